//! The sea-orm-migration migration for the linked-accounts table.

use std::marker::PhantomData;

use sea_orm::EntityTrait;
use sea_orm::sea_query::Table;
use sea_orm_migration::{DbErr, MigrationName, MigrationTrait, SchemaManager, async_trait};

use crate::schema::linked_accounts_schema;

/// Creates (and on `down`, drops) the table of the linked-accounts entity `L`,
/// with its unique index on `(primary_user_id, session_token, linked_user_id)`.
///
/// Add it to your `Migrator` after the migration that creates your users table:
///
/// ```
/// # mod user {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
/// #     #[sea_orm(table_name = "users")]
/// #     #[multi_account(linked_account = crate::linked_account::Entity)]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i64,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// # mod linked_account {
/// #     #[derive(multi_account::LinkedAccount)]
/// #     #[linked_account(user = crate::user::Entity)]
/// #     pub struct LinkedAccount;
/// # }
/// # mod m20240101_000001_create_users {
/// #     use sea_orm_migration::prelude::*;
/// #     pub struct Migration;
/// #     impl MigrationName for Migration {
/// #         fn name(&self) -> &str { "m20240101_000001_create_users" }
/// #     }
/// #     #[async_trait::async_trait]
/// #     #[allow(elided_lifetimes_in_paths)]
/// #     impl MigrationTrait for Migration {
/// #         async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> { Ok(()) }
/// #     }
/// # }
/// use sea_orm_migration::{MigrationTrait, MigratorTrait};
///
/// pub struct Migrator;
///
/// impl MigratorTrait for Migrator {
///     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
///         vec![
///             Box::new(m20240101_000001_create_users::Migration),
///             multi_account::migration::LinkedAccountsMigration::<linked_account::Entity>::boxed(),
///         ]
///     }
/// }
/// # fn main() {}
/// ```
pub struct LinkedAccountsMigration<L>(PhantomData<fn() -> L>);

impl<L> LinkedAccountsMigration<L> {
    /// The migration, boxed for `MigratorTrait::migrations`.
    pub fn boxed() -> Box<dyn MigrationTrait>
    where
        L: EntityTrait + Default,
    {
        Box::new(Self(PhantomData))
    }
}

impl<L> Default for LinkedAccountsMigration<L> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<L> MigrationName for LinkedAccountsMigration<L> {
    fn name(&self) -> &str {
        "m20261124_000001_multi_account_create_linked_accounts"
    }
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)] // the trait is declared this way upstream
impl<L: EntityTrait + Default> MigrationTrait for LinkedAccountsMigration<L> {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (table, indexes) = linked_accounts_schema::<L>(manager.get_database_backend());
        manager.create_table(table).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(L::default()).to_owned()).await
    }
}

/// Upgrades the linked-accounts table of the entity `L` from multi-account 0.1
/// to 0.2: adds `group_id` (the group's identity, kept when its links move to a
/// new session token), fills it with each row's session token and indexes it.
/// A no-op on a table [`LinkedAccountsMigration`] created with 0.2, so add it
/// after that migration in every app, new or upgraded:
///
/// ```ignore
/// vec![
///     Box::new(m20240101_000001_create_users::Migration),
///     multi_account::migration::LinkedAccountsMigration::<linked_account::Entity>::boxed(),
///     multi_account::migration::LinkedAccountsUpgrade::<linked_account::Entity>::boxed(),
/// ]
/// ```
///
/// Its `down` keeps the column (0.1 ignores it).
pub struct LinkedAccountsUpgrade<L>(PhantomData<fn() -> L>);

impl<L> LinkedAccountsUpgrade<L> {
    /// The migration, boxed for `MigratorTrait::migrations`.
    pub fn boxed() -> Box<dyn MigrationTrait>
    where
        L: EntityTrait + Default,
    {
        Box::new(Self(PhantomData))
    }
}

impl<L> Default for LinkedAccountsUpgrade<L> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<L> MigrationName for LinkedAccountsUpgrade<L> {
    fn name(&self) -> &str {
        "m20261206_000001_multi_account_linked_accounts_group_id"
    }
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)] // the trait is declared this way upstream
impl<L: EntityTrait + Default> MigrationTrait for LinkedAccountsUpgrade<L> {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::schema::add_group_id(manager.get_connection(), L::default().table_name()).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
