//! The users entity.

use sea_orm::entity::prelude::*;

/// A user who signs in with an email address and a password.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
#[sea_orm(table_name = "users")]
#[multi_account(
    linked_account = crate::linked_account::Entity,
    active_check(field = active, value = true),
    auth_hash = password_hash,
    display_fields(name, email),
)]
pub struct Model {
    /// The primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Shown in the account switcher.
    pub name: String,
    /// What the user signs in with; also shown in the switcher.
    #[sea_orm(unique)]
    pub email: String,
    /// The PHC string of the password (`password_auth::generate_hash`).
    pub password_hash: String,
    /// Inactive users cannot sign in, be linked, listed or switched to.
    pub active: bool,
}

/// Users have no relations of their own here.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
