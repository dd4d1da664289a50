//! The demo's migrations: users, then the multi-account linked-accounts table.

use multi_account::migration::LinkedAccountsMigration;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_pk_auto, string, string_len, string_len_uniq};

use crate::entities::linked_account;

/// Runs every migration of the demo (`Migrator::up(&db, None)`).
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateUsers), LinkedAccountsMigration::<linked_account::Entity>::boxed()]
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    Email,
    PasswordHash,
    Status,
}

/// Creates the `users` table.
struct CreateUsers;

impl MigrationName for CreateUsers {
    fn name(&self) -> &str {
        "m20250101_000001_create_users"
    }
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)] // the trait is declared this way upstream
impl MigrationTrait for CreateUsers {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Users::Id))
                    .col(string_len(Users::Name, 100))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string(Users::PasswordHash))
                    .col(string_len(Users::Status, 16).default("active"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
