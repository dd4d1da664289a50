//! The migration applies on SQLite with a user's `Migrator`, and the entity works
//! on the table it creates.

use crate::support::user::UserStatus;
use crate::support::{insert_user, linked_account, user};
use multi_account::LinkService;
use multi_account::migration::LinkedAccountsMigration;
use multi_account::test_database::{TestBackend, TestDatabase};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Schema, Set, SqlErr};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager, async_trait};

struct CreateUsers;

impl sea_orm_migration::MigrationName for CreateUsers {
    fn name(&self) -> &str {
        "m20240101_000001_create_users"
    }
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)]
impl MigrationTrait for CreateUsers {
    async fn up(&self, manager: &SchemaManager) -> Result<(), sea_orm::DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager.create_table(schema.create_table_from_entity(user::Entity)).await
    }
}

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateUsers), LinkedAccountsMigration::<linked_account::Entity>::boxed()]
    }
}

async fn migrate_and_use(backend: TestBackend) {
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        eprintln!("migration: skipped on {backend}");
        return;
    };
    let db = &database.db;
    Migrator::up(db, None).await.unwrap();

    insert_user(db, 1, "alice", UserStatus::Active).await;
    insert_user(db, 2, "bob", UserStatus::Active).await;
    LinkService::<user::Model>::link(db, &1, &2, "t").await.unwrap();
    let group = LinkService::<user::Model>::group(db, &1, "t").await.unwrap().unwrap();
    assert_eq!(group.len(), 2);

    // The unique key rejects a duplicate row at the database level.
    let duplicate = linked_account::ActiveModel {
        primary_user_id: Set(1),
        linked_user_id: Set(2),
        session_token: Set("t".to_owned()),
        ..Default::default()
    };
    let error = duplicate.insert(db).await.expect_err("duplicate must be rejected");
    assert!(matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))), "{backend}: {error:?}");

    Migrator::down(db, Some(1)).await.unwrap();
    assert!(linked_account::Entity::find().count(db).await.is_err(), "down drops the table");
    assert_eq!(user::Entity::find().count(db).await.unwrap(), 2, "and only that table");
    eprintln!("migration: ran on {backend}");
}

#[tokio::test]
async fn migration_on_sqlite() {
    migrate_and_use(TestBackend::Sqlite).await;
}

#[tokio::test]
async fn migration_on_postgres() {
    migrate_and_use(TestBackend::Postgres).await;
}

#[tokio::test]
async fn migration_on_mysql() {
    migrate_and_use(TestBackend::MySql).await;
}

#[tokio::test]
async fn sqlite_index_has_the_group_column_order() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let index = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'linked_accounts' AND sql LIKE '%UNIQUE%'",
        ))
        .await
        .unwrap()
        .expect("a unique index on linked_accounts");
    let sql: String = index.try_get("", "sql").unwrap();
    assert!(sql.contains(r#"("primary_user_id", "session_token", "linked_user_id")"#), "{sql}");
}
