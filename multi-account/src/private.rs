//! Re-exports and compile-time checks used by the derive macros' generated code.
//! Not public API: paths here may change in any release.

pub use chrono;
pub use sea_orm;
pub use serde;

pub use crate::account_id::AccountId;
pub use crate::linked_account::{LinkStatus, LinkedAccountColumn, LinkedAccountOf, PrimaryKeyOf};
pub use crate::user::{MultiAccountEntity, MultiAccountUser};

/// A value usable as `active_check(value = ..)` for a field of type `F`.
#[diagnostic::on_unimplemented(
    message = "`active_check` value of type `{Self}` cannot be compared with the field's type `{F}`",
    label = "expected a value of type `{F}`",
    note = "`value` must be an expression of the field's type, e.g. an enum variant like `UserStatus::Active`, or a string for a `String` field"
)]
pub trait ActiveCheckValue<F> {
    /// Whether `field` holds this value.
    fn matches(&self, field: &F) -> bool;
    /// This value as a SeaORM value, for the active filter.
    fn into_value(self) -> sea_orm::Value;
}

impl<F: PartialEq<V>, V: Into<sea_orm::Value>> ActiveCheckValue<F> for V {
    fn matches(&self, field: &F) -> bool {
        field == self
    }
    fn into_value(self) -> sea_orm::Value {
        self.into()
    }
}

/// Checks that the `user = ..` entity of `#[derive(LinkedAccount)]` derives
/// `MultiAccountUser`: the one place that requirement is stated, so a mistake is
/// one error.
pub const fn assert_user_entity<U: MultiAccountEntity>() {}

/// The belongs-to relation from a linked-accounts column to the user entity's
/// primary key, deleting links with their user.
pub fn belongs_to_user<L, U>(from: L::Column) -> sea_orm::RelationDef
where
    L: sea_orm::EntityTrait,
    U: sea_orm::EntityTrait + Default,
{
    use sea_orm::{Iterable, PrimaryKeyToColumn};
    let builder = L::belongs_to(U::default()).from(from).on_delete(sea_orm::sea_query::ForeignKeyAction::Cascade);
    match U::PrimaryKey::iter().next() {
        Some(key) => builder.to(key.into_column()).into(),
        // DeriveEntityModel refuses an entity without a primary key, so a user
        // entity always has one.
        None => unreachable!("SeaORM entities always have a primary key"),
    }
}

pub use fallback_user::Entity as FallbackUserEntity;

/// The user key type behind an entity's primary-key value type. For a composite
/// key (refused by `#[derive(MultiAccountUser)]`, which reports it) this is its
/// first column, so the linked-accounts entity still type-checks and the user sees
/// that one error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a supported user key type",
    note = "multi-account supports `Uuid`, `i32`, `i64` and `String` primary keys"
)]
pub trait UserKey {
    /// The key type.
    type Id: AccountId;
}

impl<T: AccountId> UserKey for T {
    type Id = T;
}

macro_rules! first_of_tuple {
    ($($rest:ident),+) => {
        impl<A: AccountId, $($rest),+> UserKey for (A, $($rest),+) {
            type Id = A;
        }
    };
}
first_of_tuple!(B);
first_of_tuple!(B, C);
first_of_tuple!(B, C, D);

/// The linked-accounts id column type for the user entity `U`.
pub type UserIdOf<U> = <PrimaryKeyOf<U> as UserKey>::Id;

/// The user entity a failed `#[derive(LinkedAccount)]` falls back to (after
/// reporting its error), so the generated entity still type-checks.
mod fallback_user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "multi_account_fallback_user")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Whether `U`'s per-request statements (the group, with and without
/// `link_ttl` as `U` has it, and the user by id) are served from the statement
/// cache on `backend`. For the tests: they are once each was run, unless
/// sea-query changed the order it binds values in.
pub fn statements_are_cached<U: MultiAccountUser>(backend: sea_orm::DatabaseBackend) -> bool {
    use crate::statement_cache::{Query, is_cached};
    is_cached::<U>(backend, Query::Group { link_ttl: U::LINK_TTL.is_some() })
        && is_cached::<U>(backend, Query::UserById)
}
