//! The migration applies on SQLite with a user's `Migrator`, and the entity works
//! on the table it creates.

use crate::support::user::UserStatus;
use crate::support::{i32_link, i64_link, insert_user, linked_account, string_link, user, uuid_link};
use multi_account::migration::LinkedAccountsMigration;
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account::{LinkService, LinkedAccountsTable, linked_accounts_schema};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Schema, Set, SqlErr};
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

/// The linked-accounts migration as a migration crate that cannot see the
/// entities writes it (what `cargo multi-account install` generates there).
struct CreateLinkedAccountsWithoutTheEntity;

const LINKED_ACCOUNTS: LinkedAccountsTable<i64> = LinkedAccountsTable::new("users", "id");

impl sea_orm_migration::MigrationName for CreateLinkedAccountsWithoutTheEntity {
    fn name(&self) -> &str {
        "m20240101_000002_create_linked_accounts"
    }
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)]
impl MigrationTrait for CreateLinkedAccountsWithoutTheEntity {
    async fn up(&self, manager: &SchemaManager) -> Result<(), sea_orm::DbErr> {
        LINKED_ACCOUNTS.create_table(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), sea_orm::DbErr> {
        LINKED_ACCOUNTS.drop_table(manager.get_connection()).await
    }
}

struct MigratorWithoutTheEntity;

impl MigratorTrait for MigratorWithoutTheEntity {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateUsers), Box::new(CreateLinkedAccountsWithoutTheEntity)]
    }
}

/// `LinkedAccountsTable` writes the very DDL the derived entity's schema does,
/// on every backend and for every key type.
#[test]
fn the_table_without_its_entity_is_the_entitys_table() {
    fn same<L: sea_orm::EntityTrait + Default, K: multi_account::AccountId>(table: LinkedAccountsTable<K>) {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres, DbBackend::MySql] {
            let (entity_table, entity_indexes) = linked_accounts_schema::<L>(backend);
            let (described_table, described_indexes) = table.schema();
            assert_eq!(backend.build(&described_table).sql, backend.build(&entity_table).sql, "{backend:?}");
            let sql = |indexes: &[sea_orm::sea_query::IndexCreateStatement]| {
                let mut sql: Vec<String> = indexes.iter().map(|index| backend.build(index).sql).collect();
                sql.sort();
                sql
            };
            assert_eq!(sql(&described_indexes), sql(&entity_indexes), "{backend:?}");
        }
    }
    same::<linked_account::Entity, i64>(LinkedAccountsTable::new("users", "id"));
    same::<i32_link::Entity, i32>(LinkedAccountsTable::new("i32_users", "id").with_table_name("i32_links"));
    same::<i64_link::Entity, i64>(LinkedAccountsTable::new("i64_users", "id").with_table_name("i64_links"));
    // The key type as the installer writes it in a migration crate.
    same::<uuid_link::Entity, sea_orm_migration::sea_orm::prelude::Uuid>(
        LinkedAccountsTable::new("uuid_users", "id").with_table_name("uuid_links"),
    );
    same::<string_link::Entity, String>(LinkedAccountsTable::new("string_users", "id").with_table_name("string_links"));
}

async fn migrate_and_use(backend: TestBackend) {
    migrate_and_use_with::<Migrator>(backend).await;
    migrate_and_use_with::<MigratorWithoutTheEntity>(backend).await;
}

async fn migrate_and_use_with<M: MigratorTrait>(backend: TestBackend) {
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        eprintln!("migration: skipped on {backend}");
        return;
    };
    let db = &database.db;
    M::up(db, None).await.unwrap();

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

    M::down(db, Some(1)).await.unwrap();
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

/// The linked-accounts table as multi-account 0.1 created it (no `group_id`),
/// under the name of 0.1's migration, so a 0.2 `Migrator` sees it applied.
struct CreateLinkedAccounts01;

impl sea_orm_migration::MigrationName for CreateLinkedAccounts01 {
    fn name(&self) -> &str {
        "m20261124_000001_multi_account_create_linked_accounts"
    }
}

#[async_trait::async_trait]
#[allow(elided_lifetimes_in_paths)]
impl MigrationTrait for CreateLinkedAccounts01 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), sea_orm::DbErr> {
        use sea_orm::sea_query::{Alias, ColumnDef, ForeignKey, ForeignKeyAction, Index, Table};
        let column = |name: &str| ColumnDef::new(Alias::new(name)).not_null().take();
        let table = Table::create()
            .table(Alias::new("linked_accounts"))
            .col(ColumnDef::new(Alias::new("id")).big_integer().not_null().auto_increment().primary_key())
            .col(column("primary_user_id").big_integer())
            .col(column("session_token").string_len(64))
            .col(column("linked_user_id").big_integer())
            .col(column("status").string_len(16))
            .col(column("inserted_at").timestamp_with_time_zone())
            .col(column("updated_at").timestamp_with_time_zone())
            .foreign_key(
                ForeignKey::create()
                    .from(Alias::new("linked_accounts"), Alias::new("linked_user_id"))
                    .to(Alias::new("users"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .take();
        manager.create_table(table).await?;
        let unique = Index::create()
            .name("idx-linked_accounts-group")
            .table(Alias::new("linked_accounts"))
            .unique()
            .col(Alias::new("primary_user_id"))
            .col(Alias::new("session_token"))
            .col(Alias::new("linked_user_id"))
            .take();
        manager.create_index(unique).await
    }
}

struct Migrator01;

impl MigratorTrait for Migrator01 {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateUsers), Box::new(CreateLinkedAccounts01)]
    }
}

/// An app's `Migrator` on 0.2: the create migration, then the upgrade.
struct Migrator02;

impl MigratorTrait for Migrator02 {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateUsers),
            LinkedAccountsMigration::<linked_account::Entity>::boxed(),
            multi_account::migration::LinkedAccountsUpgrade::<linked_account::Entity>::boxed(),
        ]
    }
}

/// Rows written by the 0.1 schema upgrade: each row's group is its session
/// token, the groups load as before, and signing one out reaches its rows only.
/// On a new database the upgrade is a no-op after the 0.2 create migration.
async fn upgrade_from_0_1(backend: TestBackend) {
    use multi_account::migration::LinkedAccountsUpgrade;
    use sea_orm_migration::MigrationTrait as _;
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        eprintln!("migration 0.1 → 0.2: skipped on {backend}");
        return;
    };
    let db = &database.db;
    Migrator01::up(db, None).await.unwrap();
    for (id, name) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        insert_user(db, id, name, UserStatus::Active).await;
    }
    let now = chrono::Utc::now();
    for (primary, token, linked) in [(1_i64, "t-a", 1_i64), (1, "t-a", 2), (3, "t-b", 3), (3, "t-b", 1)] {
        use sea_orm::sea_query::{Alias, Query};
        let insert = Query::insert()
            .into_table(Alias::new("linked_accounts"))
            .columns(
                ["primary_user_id", "session_token", "linked_user_id", "status", "inserted_at", "updated_at"]
                    .map(Alias::new),
            )
            .values_panic([primary.into(), token.into(), linked.into(), "active".into(), now.into(), now.into()])
            .take();
        db.execute(&insert).await.unwrap();
    }

    Migrator02::up(db, None).await.unwrap();
    let rows = linked_account::Entity::find().all(db).await.unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|row| row.group_id == row.session_token), "{backend}: {rows:?}");
    let ids = |group: Option<multi_account::AccountGroup<user::Model>>| {
        group.map(|group| (group.iter().map(|user| user.id).collect::<Vec<_>>(), group.is_open()))
    };
    type Links = LinkService<user::Model>;
    assert_eq!(ids(Links::group(db, &1, "t-a").await.unwrap()), Some((vec![1, 2], true)));
    assert_eq!(Links::revoke_group(db, "t-a").await.unwrap(), 1);
    assert!(Links::is_group_revoked(db, "t-a").await.unwrap());
    assert_eq!(ids(Links::group(db, &1, "t-a").await.unwrap()), Some((vec![1], false)));
    assert_eq!(ids(Links::group(db, &3, "t-b").await.unwrap()), Some((vec![3, 1], true)), "the other group");
    // A link made after the upgrade joins its group's identity.
    Links::link(db, &3, &2, "t-b").await.unwrap();
    let joined = linked_account::Entity::find().all(db).await.unwrap();
    assert!(joined.iter().filter(|row| row.session_token == "t-b").all(|row| row.group_id == "t-b"), "{joined:?}");
    // Run again (a second app sharing the database): nothing to do.
    LinkedAccountsUpgrade::<linked_account::Entity>::default().up(&SchemaManager::new(db)).await.unwrap();

    // A new database: the 0.2 create migration writes the column; the upgrade
    // then does nothing.
    let Some(fresh) = TestDatabase::create(backend).await.unwrap() else { return };
    Migrator02::up(&fresh.db, None).await.unwrap();
    insert_user(&fresh.db, 1, "alice", UserStatus::Active).await;
    insert_user(&fresh.db, 2, "bob", UserStatus::Active).await;
    LinkService::<user::Model>::link(&fresh.db, &1, &2, "t").await.unwrap();
    assert_eq!(LinkService::<user::Model>::group(&fresh.db, &1, "t").await.unwrap().map(|group| group.len()), Some(2));
    eprintln!("migration 0.1 → 0.2: ran on {backend}");
}

#[tokio::test]
async fn upgrade_from_0_1_on_sqlite() {
    upgrade_from_0_1(TestBackend::Sqlite).await;
}

#[tokio::test]
async fn upgrade_from_0_1_on_postgres() {
    upgrade_from_0_1(TestBackend::Postgres).await;
}

#[tokio::test]
async fn upgrade_from_0_1_on_mysql() {
    upgrade_from_0_1(TestBackend::MySql).await;
}
