//! The suite's user type and database: users 1..=n, active, each with a
//! password hash (`auth_hash`).

use multi_account::test_database::{TestBackend, TestDatabase};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Schema, Set};

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum UserStatus {
        #[sea_orm(string_value = "active")]
        Active,
        #[sea_orm(string_value = "inactive")]
        Inactive,
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(
        linked_account = super::linked_account::Entity,
        active_check(field = status, value = UserStatus::Active),
        display_fields(name),
        max_linked_accounts = 10,
        auth_hash = password_hash,
    )]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub name: String,
        pub status: UserStatus,
        pub password_hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod linked_account {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = super::user::Entity)]
    pub struct LinkedAccount;
}

/// The suite's user model.
pub type User = user::Model;

/// `current=..;primary=..;group=..` for a `/state` page.
pub fn state_line(current: Option<&User>, primary: Option<&User>, group: Option<Vec<&User>>) -> String {
    let id = |user: Option<&User>| user.map(|user| user.id.to_string()).unwrap_or_default();
    let group = group.map(|users| users.iter().map(|user| user.id.to_string()).collect::<Vec<_>>().join(","));
    format!("current={};primary={};group={}", id(current), id(primary), group.unwrap_or_default())
}

thread_local! {
    /// The backend of the running case (each `#[tokio::test]` runs on its own
    /// current-thread runtime).
    static BACKEND: std::cell::Cell<TestBackend> = const { std::cell::Cell::new(TestBackend::Sqlite) };
}

/// Runs this thread's cases on `backend`; false when it is not configured.
pub fn use_backend(backend: TestBackend) -> bool {
    BACKEND.with(|cell| cell.set(backend));
    backend.is_available()
}

/// A fresh database of the case's backend with users 1..=`count`.
pub async fn database(count: i64) -> (DatabaseConnection, TestDatabase) {
    let (db, test, _) = counted_database(count).await;
    (db, test)
}

/// [`database`], and the number of statements on the app's tables (users,
/// links) run through the connection it returns (SeaORM's metric callback); a
/// session store that shares the connection is not counted.
pub async fn counted_database(
    count: i64,
) -> (DatabaseConnection, TestDatabase, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let backend = BACKEND.with(std::cell::Cell::get);
    let test = TestDatabase::create(backend).await.expect("database").expect("a configured backend");
    let mut db = test.db.clone();
    let statements = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |info| {
        let sql = &info.statement.sql;
        if sql.contains("users") || sql.contains("linked_accounts") {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let schema = Schema::new(db.get_database_backend());
    db.execute(&schema.create_table_from_entity(user::Entity)).await.expect("users table");
    multi_account::create_linked_accounts_table::<linked_account::Entity>(&db).await.expect("links table");
    for id in 1..=count {
        user::ActiveModel {
            id: Set(id),
            name: Set(format!("user{id}")),
            status: Set(user::UserStatus::Active),
            password_hash: Set(format!("hash-{id}")),
        }
        .insert(&db)
        .await
        .expect("insert user");
    }
    (db, test, statements)
}

/// The link rows (primary, linked), group rows included.
pub async fn link_rows(db: &DatabaseConnection) -> Vec<(i64, i64)> {
    use sea_orm::EntityTrait;
    let mut rows: Vec<(i64, i64)> = linked_account::Entity::find()
        .all(db)
        .await
        .expect("links")
        .into_iter()
        .map(|row| (row.primary_user_id, row.linked_user_id))
        .collect();
    rows.sort_unstable();
    rows
}
