//! The schema: your users, then the linked accounts.

use sea_orm_migration::prelude::*;

mod m20240101_000001_create_users;

/// Runs the migrations in order (`Migrator::up(&db, None)`).
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20240101_000001_create_users::Migration),
            multi_account::migration::LinkedAccountsMigration::<crate::linked_account::Entity>::boxed(),
        ]
    }
}
