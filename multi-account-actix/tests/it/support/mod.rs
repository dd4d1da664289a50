//! A test app over SQLite: users, links, the multi-account routes, and pages that
//! report what the extractors saw.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, HttpResponse, test, web};
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account_actix::test_support::{self, TestClient, TestResponse, auto_submit_token};
use multi_account_actix::{CurrentUser, MultiAccountConfig, PrimaryUser, SessionToken, SignedInAccounts};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Schema, Set};

pub mod user {
    use multi_account::MultiAccountUser;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum UserStatus {
        #[sea_orm(string_value = "active")]
        Active,
        #[sea_orm(string_value = "inactive")]
        Inactive,
    }

    // With the feature `test-plain-user` the suite runs on the same user without
    // `auth_hash` (CI runs it both ways); neither has `link_ttl`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[cfg_attr(
        not(feature = "test-plain-user"),
        multi_account(
            linked_account = super::linked_account::Entity,
            active_check(field = status, value = UserStatus::Active),
            display_fields(name, email),
            max_linked_accounts = 10,
            auth_hash = password_hash,
        )
    )]
    #[cfg_attr(
        feature = "test-plain-user",
        multi_account(
            linked_account = super::linked_account::Entity,
            active_check(field = status, value = UserStatus::Active),
            display_fields(name, email),
            max_linked_accounts = 10,
        )
    )]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub email: String,
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

/// Whether the suite's user type has `auth_hash` (not with `test-plain-user`).
pub const AUTH_HASH: bool = cfg!(not(feature = "test-plain-user"));

/// Counts statements through SeaORM's metric callback.
#[derive(Clone, Default)]
pub struct QueryCounter(Arc<AtomicUsize>);

impl QueryCounter {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct TestDb {
    pub db: DatabaseConnection,
    pub queries: QueryCounter,
    pub backend: TestBackend,
    /// Removes the database (schema) when the test ends.
    _guard: TestDatabase,
}

/// An in-memory SQLite database with users 1..=count (all active), named user1...
pub async fn database(count: i64) -> TestDb {
    database_on(TestBackend::Sqlite, count).await.expect("sqlite is always available")
}

/// A fresh database on `backend` with users 1..=count, or `None` (printed) when
/// the backend is not configured.
pub async fn database_on(backend: TestBackend, count: i64) -> Option<TestDb> {
    let Some(guard) = TestDatabase::create(backend).await.expect("test database server unreachable") else {
        eprintln!("skipped on {backend} (set its MULTI_ACCOUNT_TEST_*_URL)");
        return None;
    };
    let mut db = guard.db.clone();
    let queries = QueryCounter::default();
    let inner = queries.0.clone();
    db.set_metric_callback(move |_| {
        inner.fetch_add(1, Ordering::SeqCst);
    });
    let schema = Schema::new(db.get_database_backend());
    db.execute(&schema.create_table_from_entity(user::Entity)).await.unwrap();
    multi_account::create_linked_accounts_table::<linked_account::Entity>(&db).await.unwrap();
    for id in 1..=count {
        user::ActiveModel {
            id: Set(id),
            name: Set(format!("user{id}")),
            email: Set(format!("user{id}@example.com")),
            status: Set(user::UserStatus::Active),
            password_hash: Set(format!("hash-{id}")),
        }
        .insert(&db)
        .await
        .unwrap();
    }
    Some(TestDb { db, queries, backend, _guard: guard })
}

/// One test per backend (`name::sqlite`, `name::postgres`, `name::mysql`), each
/// with a fresh database of `count` users bound to `test`.
#[macro_export]
macro_rules! on_every_backend {
    ($(async fn $name:ident($test:ident, $count:literal) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($test: $crate::support::TestDb) $body

                async fn on(backend: multi_account::test_database::TestBackend) {
                    if let Some(test) = $crate::support::database_on(backend, $count).await {
                        run(test).await;
                        eprintln!("{}: ran on {backend}", stringify!($name));
                    }
                }

                #[tokio::test]
                async fn sqlite() {
                    on(multi_account::test_database::TestBackend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    on(multi_account::test_database::TestBackend::Postgres).await;
                }

                #[tokio::test]
                async fn mysql() {
                    on(multi_account::test_database::TestBackend::MySql).await;
                }
            }
        )*
    };
}

pub async fn set_status(db: &DatabaseConnection, id: i64, status: user::UserStatus) {
    let model = user::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    let mut model: user::ActiveModel = model.into();
    model.status = Set(status);
    model.update(db).await.unwrap();
}

/// Changes a user's password hash (as a password change would).
pub async fn set_password_hash(db: &DatabaseConnection, id: i64, hash: &str) {
    let model = user::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    let mut model: user::ActiveModel = model.into();
    model.password_hash = Set(hash.to_owned());
    model.update(db).await.unwrap();
}

/// The number of links (rows linking another account; a group's own row, with
/// `linked_user_id = primary_user_id`, is not a link).
pub async fn link_count(db: &DatabaseConnection) -> usize {
    linked_account::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .filter(|link| link.linked_user_id != link.primary_user_id)
        .count()
}

/// Every row of the links table, groups' own rows included, as
/// `(primary, token, linked)`.
pub async fn link_rows(db: &DatabaseConnection) -> std::collections::BTreeSet<(i64, String, i64)> {
    linked_account::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|link| (link.primary_user_id, link.session_token, link.linked_user_id))
        .collect()
}

/// `current=<id>;primary=<id>;group=<ids>` as the extractors see it.
async fn state_page(accounts: SignedInAccounts<User>) -> String {
    let ids = |users: Vec<&User>| users.iter().map(|u| u.id.to_string()).collect::<Vec<_>>().join(",");
    format!(
        "current={};primary={};group={}",
        accounts.current().map(|u| u.id.to_string()).unwrap_or_default(),
        accounts.primary().map(|u| u.id.to_string()).unwrap_or_default(),
        accounts.group().map(|g| ids(g.iter().collect())).unwrap_or_default(),
    )
}

async fn me_page(CurrentUser(user): CurrentUser<User>) -> String {
    user.id.to_string()
}

async fn primary(primary: Option<PrimaryUser<User>>) -> String {
    primary.map(|PrimaryUser(user)| user.id.to_string()).unwrap_or_default()
}

async fn both(CurrentUser(user): CurrentUser<User>, accounts: SignedInAccounts<User>) -> String {
    format!("{}:{}", user.id, accounts.accounts().len())
}

async fn plain() -> HttpResponse {
    HttpResponse::Ok().body("plain")
}

async fn switcher_json(accounts: SignedInAccounts<User>) -> HttpResponse {
    HttpResponse::Ok().json(accounts.switcher())
}

/// The app: multi-account routes, test routes, and the report pages.
///
/// The suite's switches use GET links (`with_get_switch`, the opt-in); the
/// default, POST only, is tested in `security_seams.rs`.
pub fn configure(config: &MultiAccountConfig) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let routes = config.clone().with_get_switch(true).routes::<User>();
    move |cfg: &mut web::ServiceConfig| {
        routes(cfg);
        test_support::routes::<User>()(cfg);
        cfg.route("/state", web::get().to(state_page))
            .route("/me", web::get().to(me_page))
            .route("/primary", web::get().to(primary))
            .route("/both", web::get().to(both))
            .route("/plain", web::get().to(plain))
            .route("/switcher.json", web::get().to(switcher_json));
    }
}

pub async fn service(
    config: &MultiAccountConfig,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error> {
    test::init_service(App::new().configure(configure(config)).wrap(SessionToken).wrap(test_support::cookie_session()))
        .await
}

pub async fn client(
    config: &MultiAccountConfig,
) -> TestClient<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error>> {
    TestClient::new(service(config).await)
}

// Helpers shared by the security tests.

/// The state line of [`linked_client`]'s session.
pub const LINKED: &str = "current=2;primary=1;group=1,2";

/// A client signed in as 1 with 2 linked (2 current), its state checked.
pub async fn linked_client(
    config: &MultiAccountConfig,
) -> TestClient<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error>> {
    let mut client = client(config).await;
    client.sign_in(&1).await;
    assert_eq!(client.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER);
    assert_eq!(state(&mut client).await, LINKED);
    client
}

pub async fn state<S, B>(client: &mut TestClient<S>) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = client.get("/state").await;
    assert_eq!(response.status, StatusCode::OK, "/state: {}", response.body);
    response.body
}

pub async fn me<S, B>(client: &mut TestClient<S>) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    client.get("/me").await.body
}

/// Starts a link as the signed-in primary, signs in as `linked` and returns the
/// auto-submit page's CSRF token, without posting it.
pub async fn up_to_auto_submit<S, B>(client: &mut TestClient<S>, primary: i64, linked: i64) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let link = format!("/link/p/{primary}");
    let started = client.start_link(&primary).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "starting the link: {}", started.body);
    client.sign_in(&linked).await;
    let page = client.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "auto-submit page: {}", page.body);
    auto_submit_token(&page.body).expect("csrf token in the auto-submit page")
}

pub fn assert_forbidden(response: &TestResponse, what: &str) {
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{what}: {response:?}");
    assert!(response.location.is_none(), "{what}: a refusal redirects nowhere: {response:?}");
}
