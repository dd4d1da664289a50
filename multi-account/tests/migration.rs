//! The migration applies on SQLite with a user's `Migrator`, and the entity works
//! on the table it creates.

mod support;

use multi_account::LinkService;
use multi_account::migration::LinkedAccountsMigration;
use sea_orm::{ConnectionTrait, Database, Schema};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager, async_trait};
use support::user::UserStatus;
use support::{insert_user, linked_account, user};

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

#[tokio::test]
async fn migration_creates_a_working_table_with_its_unique_key() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
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

    insert_user(&db, 1, "alice", UserStatus::Active).await;
    insert_user(&db, 2, "bob", UserStatus::Active).await;
    LinkService::<user::Model>::link(&db, &1, &2, "t").await.unwrap();
    let group = LinkService::<user::Model>::group(&db, &1, "t").await.unwrap().unwrap();
    assert_eq!(group.len(), 2);

    Migrator::down(&db, Some(1)).await.unwrap();
    let gone = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT name FROM sqlite_master WHERE name = 'linked_accounts'",
        ))
        .await
        .unwrap();
    assert!(gone.is_none(), "down drops the table");
}
