//! The test app: users 1..=n, the multi-account routes, the test routes and a
//! report page.
#![allow(dead_code)] // each test module uses a part

use axum::Router;
use axum::routing::get;
use multi_account::MultiAccountUser;
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account_axum::test_support::{self, TestClient};
use multi_account_axum::{MultiAccount, MultiAccountConfig};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Schema, Set};
use tower_sessions::{MemoryStore, SessionManagerLayer};

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

pub type User = user::Model;

/// A fresh SQLite database with users 1..=`count`.
pub async fn database(count: i64) -> (DatabaseConnection, TestDatabase) {
    let test = TestDatabase::create(TestBackend::Sqlite).await.expect("database").expect("sqlite");
    let db = test.db.clone();
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
    (db, test)
}

/// `current=..;primary=..;group=..` of the request.
async fn state(accounts: MultiAccount<User>) -> String {
    let ids = |users: Vec<&User>| users.iter().map(|user| user.id().to_string()).collect::<Vec<_>>().join(",");
    format!(
        "current={};primary={};group={}",
        accounts.current().map(|user| user.id.to_string()).unwrap_or_default(),
        accounts.primary().map(|user| user.id.to_string()).unwrap_or_default(),
        accounts.group().map(|group| ids(group.iter().collect())).unwrap_or_default(),
    )
}

async fn me(user: Option<multi_account_axum::CurrentUser<User>>) -> String {
    user.map(|multi_account_axum::CurrentUser(user)| user.id.to_string()).unwrap_or_default()
}

async fn plain() -> &'static str {
    "plain"
}

/// The app over a memory store.
pub fn app(config: &MultiAccountConfig) -> Router {
    Router::new()
        .merge(config.router::<User, ()>())
        .merge(test_support::routes::<User, ()>())
        .route("/state", get(state))
        .route("/me", get(me))
        .route("/plain", get(plain))
        .layer(config.layer())
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false))
}

pub fn client(config: &MultiAccountConfig) -> TestClient {
    TestClient::new(app(config))
}
