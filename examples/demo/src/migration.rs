//! The demo's migrations: users, the multi-account linked-accounts table, the
//! email sign-in links, the provider accounts.

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
            Box::new(CreateOidcIdentities),
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

#[derive(DeriveIden)]
enum OidcIdentities {
    Table,
    Id,
    Issuer,
    Subject,
    UserId,
}

/// The longest issuer and subject stored (OpenID Connect caps `sub` at 255
/// ASCII characters; both fit one unique index on MySQL).
pub const MAX_OIDC_ID_LEN: u32 = 255;

/// Creates the `oidc_identities` table: one row per provider account, unique
/// by (issuer, subject).
struct CreateOidcIdentities;

impl MigrationName for CreateOidcIdentities {
    fn name(&self) -> &str {
        "m20261206_000001_create_oidc_identities"
    }
}

/// An issuer or subject column. Both are case-sensitive: on MySQL and
/// MariaDB, whose default collations ignore case and accents, they compare
/// bytes (the collation implies its character set, utf8mb4), so that the
/// unique index does not take `Ab` and `ab` for one provider account.
fn oidc_id_column(name: OidcIdentities, backend: sea_orm::DatabaseBackend) -> ColumnDef {
    let mut column = string_len(name, MAX_OIDC_ID_LEN);
    if backend == sea_orm::DatabaseBackend::MySql {
        column.extra("COLLATE utf8mb4_bin");
    }
    column
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)] // the trait is declared this way upstream
impl MigrationTrait for CreateOidcIdentities {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(OidcIdentities::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OidcIdentities::Id))
                    .col(oidc_id_column(OidcIdentities::Issuer, backend))
                    .col(oidc_id_column(OidcIdentities::Subject, backend))
                    .col(big_integer(OidcIdentities::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OidcIdentities::Table, OidcIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-oidc_identities-issuer-subject")
                    .table(OidcIdentities::Table)
                    .unique()
                    .col(OidcIdentities::Issuer)
                    .col(OidcIdentities::Subject)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OidcIdentities::Table).to_owned()).await
    }
}
