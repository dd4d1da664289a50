//! The suite's user types and database: users 1..=n, active, each with a
//! password hash. [`User`] reads it as its `auth_hash`; [`PlainUser`], over the
//! same tables, has neither `auth_hash` nor `link_ttl`. Every case runs on both.

use multi_account::MultiAccountUser;
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
        remember_hint = name,
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

/// The same table read by a user type without `auth_hash` (and without
/// `link_ttl`): a password change does not sign it out.
pub mod plain_user {
    use sea_orm::entity::prelude::*;

    pub use super::user::UserStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(
        linked_account = super::plain_linked_account::Entity,
        active_check(field = status, value = UserStatus::Active),
        display_fields(name),
        max_linked_accounts = 10,
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

pub mod plain_linked_account {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = super::plain_user::Entity)]
    #[allow(dead_code)] // a marker: only its derive is used
    pub struct LinkedAccount;
}

/// The suite's user model, with `auth_hash`.
pub type User = user::Model;

/// The suite's user model without `auth_hash`.
pub type PlainUser = plain_user::Model;

/// A user type the cases run on: ids 1..=n in the `users` table.
pub trait SuiteUser: MultiAccountUser<Id = i64> + std::fmt::Debug {
    /// Whether a password change signs the account out (`auth_hash`).
    const AUTH_HASH: bool;
}

impl SuiteUser for User {
    const AUTH_HASH: bool = true;
}

impl SuiteUser for PlainUser {
    const AUTH_HASH: bool = false;
}

/// `current=..;primary=..;group=..` for a `/state` page.
pub fn state_line<U: MultiAccountUser>(current: Option<&U>, primary: Option<&U>, group: Option<Vec<&U>>) -> String {
    let id = |user: Option<&U>| user.map(|user| user.id().to_string()).unwrap_or_default();
    let group = group.map(|users| users.iter().map(|user| user.id().to_string()).collect::<Vec<_>>().join(","));
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

/// A sign-in plan as the test apps' `/plan-sign-in/{id}` page writes it.
pub fn plan_line(plan: multi_account::session::SignInPlan) -> &'static str {
    use multi_account::session::SignInPlan;
    match plan {
        SignInPlan::SignIn { adds: true } => "sign_in:adds",
        SignInPlan::SignIn { adds: false } => "sign_in",
        SignInPlan::AlreadyInGroup => "already_in_group",
        SignInPlan::AddExpired => "add_expired",
    }
}

/// Every row of the table, signed-out groups' marks included.
async fn all_rows(db: &DatabaseConnection) -> Vec<linked_account::Model> {
    use sea_orm::EntityTrait;
    linked_account::Entity::find().all(db).await.expect("links")
}

/// Whether `row` is the mark a group signed out of all accounts leaves (its own
/// row, inactive): no link, and never reached again.
fn is_signed_out_mark(row: &linked_account::Model) -> bool {
    row.primary_user_id == row.linked_user_id && row.status != multi_account::LinkStatus::Active
}

/// The link rows (primary, linked), open groups' own rows included, the marks
/// of signed-out groups not.
pub async fn link_rows(db: &DatabaseConnection) -> Vec<(i64, i64)> {
    let mut rows: Vec<(i64, i64)> = all_rows(db)
        .await
        .into_iter()
        .filter(|row| !is_signed_out_mark(row))
        .map(|row| (row.primary_user_id, row.linked_user_id))
        .collect();
    rows.sort_unstable();
    rows
}

/// Every link row as (primary, session token, linked), open groups' own rows
/// included, the marks of signed-out groups not.
pub async fn link_rows_with_tokens(db: &DatabaseConnection) -> std::collections::BTreeSet<(i64, String, i64)> {
    all_rows(db)
        .await
        .into_iter()
        .filter(|row| !is_signed_out_mark(row))
        .map(|row| (row.primary_user_id, row.session_token, row.linked_user_id))
        .collect()
}

/// The groups signed out of all accounts: their identities.
pub async fn signed_out_groups(db: &DatabaseConnection) -> std::collections::BTreeSet<String> {
    all_rows(db).await.into_iter().filter(is_signed_out_mark).map(|row| row.group_id).collect()
}

/// The number of links (rows linking another account; a group's own row, with
/// `linked_user_id = primary_user_id`, is not a link).
pub async fn link_count(db: &DatabaseConnection) -> usize {
    link_rows(db).await.iter().filter(|(primary, linked)| primary != linked).count()
}

/// Sets a user's `status` (`active` or `inactive`).
pub async fn set_status(db: &DatabaseConnection, id: i64, status: &str) {
    db.execute_unprepared(&format!("UPDATE users SET status = '{status}' WHERE id = {id}")).await.expect("status");
}

/// Changes a user's password hash (as a password change would).
pub async fn set_password_hash(db: &DatabaseConnection, id: i64, hash: &str) {
    db.execute_unprepared(&format!("UPDATE users SET password_hash = '{hash}' WHERE id = {id}"))
        .await
        .expect("password hash");
}

/// Deletes a user (its links go with it, ON DELETE CASCADE).
pub async fn delete_user(db: &DatabaseConnection, id: i64) {
    db.execute_unprepared(&format!("DELETE FROM users WHERE id = {id}")).await.expect("delete user");
}

/// Adds active users `from..=to` to the suite's table.
pub async fn add_users(db: &DatabaseConnection, from: i64, to: i64) {
    for id in from..=to {
        db.execute_unprepared(&format!(
            "INSERT INTO users (id, name, status, password_hash) VALUES ({id}, 'user{id}', 'active', 'hash-{id}')"
        ))
        .await
        .expect("insert user");
    }
}
