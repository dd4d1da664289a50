//! The demo's migrations: users, the multi-account linked-accounts table, the
//! email sign-in links.

use multi_account::migration::LinkedAccountsMigration;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, string, string_len, string_len_null, string_len_uniq};

use crate::entities::linked_account;

/// Runs every migration of the demo (`Migrator::up(&db, None)`).
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateUsers),
            LinkedAccountsMigration::<linked_account::Entity>::boxed(),
            Box::new(CreateEmailSignIns),
        ]
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

#[derive(DeriveIden)]
enum EmailSignIns {
    Table,
    Id,
    TokenHash,
    BrowserHash,
    UserId,
    ReturnTo,
    ExpiresAt,
}

/// Creates the `email_sign_ins` table.
struct CreateEmailSignIns;

impl MigrationName for CreateEmailSignIns {
    fn name(&self) -> &str {
        "m20261203_000001_create_email_sign_ins"
    }
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)] // the trait is declared this way upstream
impl MigrationTrait for CreateEmailSignIns {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailSignIns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EmailSignIns::Id))
                    .col(string_len_uniq(EmailSignIns::TokenHash, 64))
                    .col(string_len(EmailSignIns::BrowserHash, 64))
                    .col(big_integer(EmailSignIns::UserId))
                    .col(string_len_null(EmailSignIns::ReturnTo, 2048))
                    .col(big_integer(EmailSignIns::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailSignIns::Table, EmailSignIns::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(EmailSignIns::Table).to_owned()).await
    }
}
