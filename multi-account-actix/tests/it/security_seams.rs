//! The seams between flows (security review II): sign-in while a link is
//! pending, a copy of the cookie taken at any step and replayed at any later
//! step, anonymous visitors, cross-site requests, actix-identity's logout, and the
//! cookie budget. Each runs on a user type with `auth_hash` (the suite's) and on
//! one without `auth_hash` or `link_ttl`, on the cookie store and on Redis.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use actix_http::Request;
use actix_session::SessionMiddleware;
use actix_session::storage::RedisSessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, test, web};
use multi_account::MultiAccountUser;
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account_actix::test_support::{self, TestClient, TestResponse, auto_submit_token, test_key};
use multi_account_actix::{MultiAccount, MultiAccountConfig, SessionToken};
use sea_orm::{ConnectionTrait, DatabaseConnection, Schema};

/// The suite's user type without `auth_hash` and `link_ttl`.
mod plain_user {
    use multi_account::MultiAccountUser;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
    #[sea_orm(table_name = "plain_users")]
    #[multi_account(linked_account = super::plain_link::Entity, display_fields(name), max_linked_accounts = 10)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub password_hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod plain_link {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = super::plain_user::Entity, table_name = "plain_links")]
    #[allow(dead_code)] // a marker: only its derive is used
    pub struct LinkedAccount;
}

/// A user type of the seams tests: its tables and how to change a password.
trait Variant: MultiAccountUser<Id = i64> {
    const USERS: &'static str;
    const LINKS: &'static str;
    const AUTH_HASH: bool;
    async fn create_tables(db: &DatabaseConnection);
}

impl Variant for support::User {
    const USERS: &'static str = "users";
    const LINKS: &'static str = "linked_accounts";
    const AUTH_HASH: bool = support::AUTH_HASH;
    async fn create_tables(db: &DatabaseConnection) {
        let schema = Schema::new(db.get_database_backend());
        db.execute(&schema.create_table_from_entity(support::user::Entity)).await.unwrap();
        multi_account::create_linked_accounts_table::<support::linked_account::Entity>(db).await.unwrap();
    }
}

impl Variant for plain_user::Model {
    const USERS: &'static str = "plain_users";
    const LINKS: &'static str = "plain_links";
    const AUTH_HASH: bool = false;
    async fn create_tables(db: &DatabaseConnection) {
        let schema = Schema::new(db.get_database_backend());
        db.execute(&schema.create_table_from_entity(plain_user::Entity)).await.unwrap();
        multi_account::create_linked_accounts_table::<plain_link::Entity>(db).await.unwrap();
    }
}

/// A fresh SQLite database with users 1..=3 of `U`.
async fn database<U: Variant>() -> (DatabaseConnection, TestDatabase) {
    let guard = TestDatabase::create(TestBackend::Sqlite).await.unwrap().unwrap();
    let db = guard.db.clone();
    U::create_tables(&db).await;
    seed::<U>(&db).await;
    (db, guard)
}

/// Users 1..=3, active, and no links: the start of every scenario.
async fn seed<U: Variant>(db: &DatabaseConnection) {
    db.execute_unprepared(&format!("DELETE FROM {}", U::LINKS)).await.unwrap();
    db.execute_unprepared(&format!("DELETE FROM {}", U::USERS)).await.unwrap();
    for id in 1..=3 {
        // The suite's user (support::User) has more columns than plain_user.
        let sql = if U::USERS == "users" {
            format!(
                "INSERT INTO {} (id, name, email, status, password_hash) VALUES ({id}, 'user{id}', 'user{id}@example.com', 'active', 'hash-{id}')",
                U::USERS
            )
        } else {
            format!("INSERT INTO {} (id, name, password_hash) VALUES ({id}, 'user{id}', 'hash-{id}')", U::USERS)
        };
        db.execute_unprepared(&sql).await.unwrap();
    }
}

async fn change_password<U: Variant>(db: &DatabaseConnection, id: i64) {
    db.execute_unprepared(&format!("UPDATE {} SET password_hash = 'changed-{id}' WHERE id = {id}", U::USERS))
        .await
        .unwrap();
}

/// Every row of `U`'s links table as `(primary, token, linked)`.
async fn rows<U: Variant>(db: &DatabaseConnection) -> BTreeSet<(i64, String, i64)> {
    let sql = format!("SELECT primary_user_id, session_token, linked_user_id FROM {}", U::LINKS);
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    db.query_all_raw(statement)
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap(), row.try_get_by_index(2).unwrap())
        })
        .collect()
}

/// `current=<id>;primary=<id>;group=<ids>` as the extractors see it.
async fn state_page<U: MultiAccountUser>(accounts: MultiAccount<U>) -> String {
    let ids = |users: Vec<&U>| users.iter().map(|u| u.id().to_string()).collect::<Vec<_>>().join(",");
    format!(
        "current={};primary={};group={}",
        accounts.current().map(|u| u.id().to_string()).unwrap_or_default(),
        accounts.primary().map(|u| u.id().to_string()).unwrap_or_default(),
        accounts.group().map(|g| ids(g.iter().collect())).unwrap_or_default(),
    )
}

async fn switcher_json<U: MultiAccountUser>(accounts: MultiAccount<U>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(accounts.switcher())
}

async fn sign_out(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    use actix_session::SessionExt;
    multi_account_actix::session::sign_out(&req.get_session());
    actix_web::HttpResponse::NoContent().finish()
}

fn configure<U: MultiAccountUser>(config: &MultiAccountConfig) -> impl FnOnce(&mut web::ServiceConfig) + use<U> {
    let routes = config.routes::<U>();
    move |cfg: &mut web::ServiceConfig| {
        routes(cfg);
        test_support::routes::<U>()(cfg);
        cfg.route("/state", web::get().to(state_page::<U>))
            .route("/switcher.json", web::get().to(switcher_json::<U>))
            .route("/sign-out", web::post().to(sign_out));
    }
}

/// Which session store a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Store {
    Cookie,
    Redis,
}

/// The Redis of `MULTI_ACCOUNT_TEST_REDIS_URL`, if set (CI sets it, and fails
/// on a skipped run).
fn redis_url() -> Option<String> {
    std::env::var("MULTI_ACCOUNT_TEST_REDIS_URL").ok().filter(|url| !url.is_empty())
}

/// Runs `$body` with `$client` over `U` on `store` (each store builds another
/// service type, hence a macro).
macro_rules! with_client {
    ($config:expr, $user:ty, $store:expr, |$client:ident| $body:expr) => {{
        let config: &MultiAccountConfig = $config;
        match $store {
            Store::Cookie => {
                let app = App::new()
                    .configure(configure::<$user>(config))
                    .wrap(SessionToken)
                    .wrap(test_support::cookie_session());
                let mut $client = TestClient::new(test::init_service(app).await);
                $body
            }
            Store::Redis => {
                let Some(url) = redis_url() else {
                    eprintln!("security seams: skipped on redis (set MULTI_ACCOUNT_TEST_REDIS_URL)");
                    return;
                };
                let store = RedisSessionStore::new(url).await.expect("redis reachable");
                let app = App::new()
                    .configure(configure::<$user>(config))
                    .wrap(SessionToken)
                    .wrap(SessionMiddleware::builder(store, test_key()).cookie_secure(false).build());
                let mut $client = TestClient::new(test::init_service(app).await);
                $body
            }
        }
    }};
}

async fn get_state<S, B>(client: &mut TestClient<S>) -> State
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = client.get("/state").await;
    assert_eq!(response.status, StatusCode::OK, "/state: {response:?}");
    State::parse(&response.body)
}

/// The parsed state line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    current: Option<i64>,
    primary: Option<i64>,
    group: Vec<i64>,
}

impl State {
    fn parse(line: &str) -> Self {
        let mut parts = line.split(';').map(|part| part.split_once('=').map_or("", |(_, value)| value));
        let id = |text: &str| text.parse::<i64>().ok();
        let current = parts.next().and_then(id);
        let primary = parts.next().and_then(id);
        let group = parts.next().unwrap_or("").split(',').filter_map(id).collect();
        Self { current, primary, group }
    }

    /// Every account this session can act as or switch to.
    fn accounts(&self) -> BTreeSet<i64> {
        self.current.iter().chain(self.group.iter()).copied().collect()
    }
}

fn assert_refused(response: &TestResponse, what: &str) {
    assert!(response.status.is_client_error(), "{what}: refused with a 4xx: {response:?}");
}

// ---------------------------------------------------------------------------
// The replay matrix.

/// One step of a person's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    SignIn(i64),
    StartLink,
    /// The account signs in while the link is pending, and the auto-submit page
    /// is showing.
    AutoSubmitShown(i64),
    CompleteLink,
    Switch(i64),
    Remove(i64),
    PasswordChange(i64),
    SignOut,
    SignOutAll,
}

const THROUGH_SIGN_OUT_ALL: &[Step] = &[
    Step::SignIn(1),
    Step::StartLink,
    Step::AutoSubmitShown(2),
    Step::CompleteLink,
    Step::Switch(1),
    Step::StartLink,
    Step::AutoSubmitShown(3),
    Step::CompleteLink,
    Step::Remove(2),
    Step::PasswordChange(3),
    Step::SignOutAll,
];

const THROUGH_SIGN_OUT: &[Step] =
    &[Step::SignIn(1), Step::StartLink, Step::AutoSubmitShown(2), Step::CompleteLink, Step::Switch(1), Step::SignOut];

/// Runs `step` as the person would, checking that it worked.
async fn run_step<U: Variant, S, B>(
    client: &mut TestClient<S>,
    db: &DatabaseConnection,
    step: Step,
    auto_submit: &mut Option<String>,
) where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = match step {
        Step::SignIn(id) => client.sign_in(&id).await,
        Step::StartLink => client.start_link(&1).await,
        Step::AutoSubmitShown(id) => {
            client.sign_in(&id).await;
            let page = client.get("/link/p/1").await;
            *auto_submit = auto_submit_token(&page.body);
            assert!(auto_submit.is_some(), "{step:?}: the auto-submit page: {page:?}");
            page
        }
        Step::CompleteLink => {
            let token = auto_submit.take().expect("an auto-submit page before");
            client.post_form("/link/p/1", &[("csrf_token", &token)]).await
        }
        Step::Switch(id) => client.switch(&id).await,
        Step::Remove(id) => client.post_with_csrf(&format!("/link/remove/{id}"), &[]).await,
        Step::PasswordChange(id) => {
            change_password::<U>(db, id).await;
            return;
        }
        Step::SignOut => client.post_form("/sign-out", &[]).await,
        Step::SignOutAll => client.post_with_csrf("/link/sign-out-all", &[]).await,
    };
    assert!(response.status.is_success() || response.status.is_redirection(), "{step:?}: {response:?}");
}

/// What must hold for a copy taken after `steps[copied]`, replayed after
/// `steps[now]`, whose state at the copy was `had`.
fn check_replayed<U: Variant>(steps: &[Step], copied: usize, now: usize, store: Store, had: &State, seen: &State) {
    let what = format!("copy after {:?} (#{copied}), replayed after {:?} (#{now})", steps[copied], steps[now]);
    let later = &steps[copied + 1..=now];
    assert!(
        seen.accounts().is_subset(&had.accounts()),
        "{what}: no account it did not have: had {had:?}, has {seen:?}"
    );
    let signed_out_all = later.contains(&Step::SignOutAll);
    let signed_out = later.contains(&Step::SignOut);
    if signed_out_all {
        // The cookie store cannot revoke the copy: it keeps one account, no more.
        assert!(seen.accounts().len() <= 1, "{what}: sign-out-all ended the group: {seen:?}");
    }
    if store == Store::Redis && (signed_out_all || signed_out || later.iter().any(|step| renews(*step))) {
        // A server-side session renewed or ended since the copy: its id is dead.
        assert_eq!(seen.current, None, "{what}: Redis: the old session id is dead: {seen:?}");
    }
    for (index, step) in later.iter().enumerate() {
        match *step {
            Step::Remove(id) if !later[index..].contains(&Step::AutoSubmitShown(id)) => {
                assert!(!seen.group.contains(&id), "{what}: removed account {id} is not in the group: {seen:?}");
            }
            Step::PasswordChange(id) if U::AUTH_HASH => {
                assert!(!seen.accounts().contains(&id), "{what}: account {id} changed its password: {seen:?}");
            }
            _ => {}
        }
    }
}

/// Steps after which a server-side session has a new id.
fn renews(step: Step) -> bool {
    matches!(step, Step::SignIn(_) | Step::AutoSubmitShown(_) | Step::CompleteLink | Step::Switch(_) | Step::Remove(_))
}

/// The copy's attempts to regain what it lost: complete a link with its own
/// auto-submit page, switch to every account.
async fn replay_attempts<S, B>(client: &mut TestClient<S>, copied_auto_submit: Option<&str>)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    if let Some(token) = copied_auto_submit {
        client.post_form("/link/p/1", &[("csrf_token", token)]).await;
    }
    let page = client.get("/link/p/1").await;
    if let Some(token) = auto_submit_token(&page.body).filter(|_| page.body.contains("multi-account-link")) {
        client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    }
    for target in 1..=3 {
        client.switch(&target).await;
    }
}

/// Every (copy step, replay step) pair of `steps`, each on a fresh run.
async fn replay_matrix<U: Variant>(steps: &[Step], store: Store) {
    let (db, _guard) = database::<U>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, U, store, |client| {
        let mut pairs = 0;
        for copied in 0..steps.len() {
            for now in copied + 1..steps.len() {
                seed::<U>(&db).await;
                client.set_cookies(BTreeMap::new());
                let mut auto_submit = None;
                let mut copy = None;
                for (index, step) in steps.iter().enumerate().take(now + 1) {
                    run_step::<U, _, _>(&mut client, &db, *step, &mut auto_submit).await;
                    if index == copied {
                        let had = get_state(&mut client).await;
                        copy = Some((client.cookies().clone(), had, auto_submit.clone()));
                    }
                }
                let (cookies, had, copied_auto_submit) = copy.expect("copied");
                let before = rows::<U>(&db).await;
                client.set_cookies(cookies);
                let seen = get_state(&mut client).await;
                check_replayed::<U>(steps, copied, now, store, &had, &seen);
                replay_attempts(&mut client, copied_auto_submit.as_deref()).await;
                let seen = get_state(&mut client).await;
                check_replayed::<U>(steps, copied, now, store, &had, &seen);
                let after = rows::<U>(&db).await;
                assert!(
                    after.is_subset(&before),
                    "copy after {:?} (#{copied}) replayed after {:?} (#{now}) wrote rows: before {before:?}, after {after:?}",
                    steps[copied],
                    steps[now]
                );
                pairs += 1;
            }
        }
        eprintln!("replay matrix: {pairs} pairs on {store:?}, auth_hash: {}", U::AUTH_HASH);
    });
}

macro_rules! replay_matrix_tests {
    ($($name:ident: $user:ty, $steps:expr, $store:expr;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                replay_matrix::<$user>($steps, $store).await;
            }
        )*
    };
}

replay_matrix_tests! {
    replay_through_sign_out_all_cookie_auth_hash: support::User, THROUGH_SIGN_OUT_ALL, Store::Cookie;
    replay_through_sign_out_all_cookie_plain: plain_user::Model, THROUGH_SIGN_OUT_ALL, Store::Cookie;
    replay_through_sign_out_all_redis_auth_hash: support::User, THROUGH_SIGN_OUT_ALL, Store::Redis;
    replay_through_sign_out_all_redis_plain: plain_user::Model, THROUGH_SIGN_OUT_ALL, Store::Redis;
    replay_through_sign_out_cookie_auth_hash: support::User, THROUGH_SIGN_OUT, Store::Cookie;
    replay_through_sign_out_cookie_plain: plain_user::Model, THROUGH_SIGN_OUT, Store::Cookie;
    replay_through_sign_out_redis_auth_hash: support::User, THROUGH_SIGN_OUT, Store::Redis;
    replay_through_sign_out_redis_plain: plain_user::Model, THROUGH_SIGN_OUT, Store::Redis;
}

// ---------------------------------------------------------------------------
// Finding 1: a link intent pre-seeded by an attacker in a shared browser.

async fn pre_seeded_intent<U: Variant>(store: Store) {
    let (db, _guard) = database::<U>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, U, store, |browser| {
        // The attacker (1) signs in at a shared computer, starts "Add another
        // account", copies the cookie and walks away.
        browser.sign_in(&1).await;
        assert_eq!(browser.start_link(&1).await.status, StatusCode::SEE_OTHER);
        let copy = browser.cookies().clone();
        // The victim (2) signs in next and the auto-submit page runs.
        browser.sign_in(&2).await;
        let page = browser.get("/link/p/1").await;
        let token = auto_submit_token(&page.body).expect("auto-submit page");
        browser.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        // The attacker replays the copy: the victim is not in its group.
        browser.set_cookies(copy);
        let state = get_state(&mut browser).await;
        assert!(!state.accounts().contains(&2), "the copy does not reach the victim: {state:?}");
        assert_refused(&browser.switch(&2).await, "switch into the victim");
        assert!(!get_state(&mut browser).await.accounts().contains(&2));
    });
}

#[tokio::test]
async fn a_pre_seeded_intent_links_nobody_into_the_copy_plain_cookie() {
    pre_seeded_intent::<plain_user::Model>(Store::Cookie).await;
}

#[tokio::test]
async fn a_pre_seeded_intent_links_nobody_into_the_copy_auth_hash_cookie() {
    pre_seeded_intent::<support::User>(Store::Cookie).await;
}

#[tokio::test]
async fn a_pre_seeded_intent_links_nobody_into_the_copy_plain_redis() {
    pre_seeded_intent::<plain_user::Model>(Store::Redis).await;
}

// Group membership needs a sign-in record in this cookie even without auth_hash:
// a group row written for an account that never signed in here brings it nobody.
#[tokio::test]
async fn a_group_row_without_a_sign_in_here_is_not_membership() {
    let (db, _guard) = database::<plain_user::Model>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, plain_user::Model, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.start_link(&1).await;
        let token = client.session_entries().await["session_token"].as_str().unwrap().trim_matches('"').to_owned();
        multi_account::LinkService::<plain_user::Model>::link(&db, &1, &3, &token).await.unwrap();
        let state = get_state(&mut client).await;
        assert_eq!(state.group, vec![1], "3 has a row but never signed in here: {state:?}");
        assert_refused(&client.switch(&3).await, "switch to 3");
    });
}

// ---------------------------------------------------------------------------
// Finding 2: a copy taken at the auto-submit page, replayed after sign-out-all.

async fn replay_after_sign_out_all<U: Variant>(store: Store) {
    let (db, _guard) = database::<U>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, U, store, |client| {
        client.sign_in(&1).await;
        let token = support::up_to_auto_submit(&mut client, 1, 2).await;
        let copy = client.cookies().clone();
        client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_eq!(get_state(&mut client).await.group, vec![1, 2]);
        client.post_with_csrf("/link/sign-out-all", &[]).await;
        assert!(rows::<U>(&db).await.is_empty(), "sign-out-all deleted the group");

        client.set_cookies(copy);
        let state = get_state(&mut client).await;
        assert_eq!(state.accounts().len(), 1, "one account, no group, after sign-out-all: {state:?}");
        let other = if state.current == Some(1) { 2 } else { 1 };
        assert_refused(&client.switch(&other).await, "switch to the other signed-out account");
        assert_refused(&client.post_form("/link/p/1", &[("csrf_token", &token)]).await, "re-link with the copy");
        assert_eq!(get_state(&mut client).await.accounts().len(), 1);
        assert!(rows::<U>(&db).await.is_empty(), "the copy re-created no row");
    });
}

#[tokio::test]
async fn a_copy_from_the_auto_submit_page_regains_nothing_after_sign_out_all_plain() {
    replay_after_sign_out_all::<plain_user::Model>(Store::Cookie).await;
}

#[tokio::test]
async fn a_copy_from_the_auto_submit_page_regains_nothing_after_sign_out_all_auth_hash() {
    replay_after_sign_out_all::<support::User>(Store::Cookie).await;
}

// A copy taken before "Remove" does not bring the removed account back.
#[tokio::test]
async fn a_copy_from_before_remove_does_not_bring_the_account_back() {
    let (db, _guard) = database::<plain_user::Model>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, plain_user::Model, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.complete_link(&1, &2).await;
        client.switch(&1).await;
        let copy = client.cookies().clone();
        client.post_with_csrf("/link/remove/2", &[]).await;
        let entries = client.session_entries().await;
        assert!(!entries["_multi_account_auth"].as_str().unwrap_or("").contains("\"2\""), "pruned: {entries}");
        let before = rows::<plain_user::Model>(&db).await;
        client.set_cookies(copy);
        assert_eq!(get_state(&mut client).await.group, vec![1]);
        assert_refused(&client.switch(&2).await, "switch to the removed account");
        assert_eq!(rows::<plain_user::Model>(&db).await, before);
    });
}

// ---------------------------------------------------------------------------
// Finding 3: an expired intent at sign-in starts a new group.

#[tokio::test]
async fn a_sign_in_after_the_intent_expired_starts_a_new_group() {
    let (db, _guard) = database::<support::User>().await;
    // The real clock, and a one-second intent.
    let config = MultiAccountConfig::new(db.clone()).with_link_intent_ttl(std::time::Duration::from_secs(1));
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.start_link(&1).await;
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        client.sign_in(&3).await;
        let state = get_state(&mut client).await;
        assert_eq!(state, State { current: Some(3), primary: None, group: vec![] }, "a new sign-in, not under 1");
        let entries = client.session_entries().await;
        assert!(entries.get("primary_user_id").is_none(), "{entries}");
        assert!(entries.get("_multi_account_link_intent").is_none(), "{entries}");
    });
}

// Control: within the intent's time, the sign-in continues the link flow.
#[tokio::test]
async fn a_sign_in_within_the_intent_continues_the_link() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone()).with_link_intent_ttl(std::time::Duration::from_secs(60));
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.start_link(&1).await;
        client.sign_in(&3).await;
        assert_eq!(get_state(&mut client).await, State { current: Some(3), primary: Some(1), group: vec![1] });
    });
}

// ---------------------------------------------------------------------------
// Finding 5: link start is a POST with the token; cross-site requests change
// nothing.

async fn session_and_rows<S, B>(
    client: &mut TestClient<S>,
    db: &DatabaseConnection,
) -> (serde_json::Value, BTreeSet<(i64, String, i64)>)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    (client.session_entries().await, rows::<support::User>(db).await)
}

#[tokio::test]
async fn link_start_needs_the_token_and_a_get_writes_nothing() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.csrf().await;
        let before = session_and_rows(&mut client, &db).await;
        let page = client.get("/link/p/1").await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        assert!(page.body.contains(r#"action="/link/p/1?start""#), "a form that starts: {}", page.body);
        assert!(!page.set_cookie, "the GET wrote nothing");
        for token in [None, Some("0".repeat(64))] {
            let fields: Vec<(&str, &str)> = token.iter().map(|token| ("csrf_token", token.as_str())).collect();
            let started = client.post_form("/link/p/1?start", &fields).await;
            assert_eq!(started.status, StatusCode::FORBIDDEN, "{token:?}: {started:?}");
        }
        assert_eq!(session_and_rows(&mut client, &db).await, before, "nothing written");
        assert_eq!(client.start_link(&1).await.status, StatusCode::SEE_OTHER, "control: with the token");
    });
}

#[tokio::test]
async fn cross_site_requests_change_nothing() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.complete_link(&1, &2).await;
        let token = client.csrf().await;
        let before = session_and_rows(&mut client, &db).await;
        let hostile = [
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Site", "same-site"),
            ("Origin", "https://evil.example"),
            ("Origin", "null"),
        ];
        for (name, value) in hostile {
            client.headers = vec![(name.to_owned(), value.to_owned())];
            for path in ["/link/p/1?start", "/link/switch_to/1", "/link/remove/2", "/link/sign-out-all", "/link/p/1"] {
                let response = client.post_form(path, &[("csrf_token", &token)]).await;
                assert_eq!(response.status, StatusCode::FORBIDDEN, "{name}: {value} {path}: {response:?}");
            }
        }
        client.headers.clear();
        assert_eq!(session_and_rows(&mut client, &db).await, before, "nothing changed");
        // Control: same-origin requests pass.
        client.headers = vec![
            ("Sec-Fetch-Site".to_owned(), "same-origin".to_owned()),
            ("Origin".to_owned(), "http://localhost:8080".to_owned()),
        ];
        let switched = client.post_form("/link/switch_to/1", &[("csrf_token", &token)]).await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER, "{switched:?}");
    });
}

// ---------------------------------------------------------------------------
// Finding 6: anonymous visitors get no session.

async fn anonymous_requests_write_no_session(store: Store) {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, store, |client| {
        for path in ["/state", "/switcher.json", "/state"] {
            client.set_cookies(BTreeMap::new());
            let response = client.get(path).await;
            assert_eq!(response.status, StatusCode::OK, "{path}: {response:?}");
            assert!(!response.set_cookie, "{store:?} {path}: an anonymous view writes no session");
        }
        // Control: a signed-in switcher mints its token.
        client.sign_in(&1).await;
        let switcher: serde_json::Value = serde_json::from_str(&client.get("/switcher.json").await.body).unwrap();
        assert_eq!(switcher["sign_out_all_form"]["csrf_token"].as_str().map(str::len), Some(64));
    });
}

#[tokio::test]
async fn anonymous_requests_write_no_cookie_session() {
    anonymous_requests_write_no_session(Store::Cookie).await;
}

#[tokio::test]
async fn anonymous_requests_write_no_redis_session() {
    anonymous_requests_write_no_session(Store::Redis).await;
}

// ---------------------------------------------------------------------------
// Finding 8: POST switch by default, GET only when opted in; a refused switch
// spends the token.

#[tokio::test]
async fn switching_is_post_only_unless_opted_in() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.complete_link(&1, &2).await;
        let switcher: serde_json::Value = serde_json::from_str(&client.get("/switcher.json").await.body).unwrap();
        let accounts = switcher["accounts"].as_array().unwrap();
        assert!(accounts.iter().all(|account| account["switch_url"].is_null()), "no token in URLs: {switcher}");
        assert_eq!(accounts[0]["switch_form"]["action"], "/link/switch_to/1");
        assert_eq!(switcher["add_account_form"]["action"], "/link/p/1?start");
        let token = client.csrf().await;
        let get = client.get(&format!("/link/switch_to/1?csrf_token={token}")).await;
        assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED, "{get:?}");
        assert_eq!(get_state(&mut client).await.current, Some(2), "the GET switched nothing");
        assert_eq!(client.switch(&1).await.status, StatusCode::SEE_OTHER);
    });
}

#[tokio::test]
async fn a_refused_switch_rotates_the_token() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.complete_link(&1, &2).await;
        let token = client.csrf().await;
        let refused = client.post_form("/link/switch_to/3", &[("csrf_token", &token)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let again = client.post_form("/link/switch_to/1", &[("csrf_token", &token)]).await;
        assert_eq!(again.status, StatusCode::FORBIDDEN, "the probed token is spent: {again:?}");
        assert_ne!(client.csrf().await, token);
    });
}

// ---------------------------------------------------------------------------
// Finding 4: actix-identity's logout without purging, and its id key.

mod identity {
    use actix_identity::config::LogoutBehavior;
    use actix_identity::{Identity, IdentityMiddleware};
    use actix_web::{HttpMessage, HttpRequest, HttpResponse};

    use super::*;

    async fn login(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
        match Identity::login(&req.extensions(), id.into_inner()) {
            Ok(_) => HttpResponse::NoContent().finish(),
            Err(_) => HttpResponse::InternalServerError().finish(),
        }
    }

    async fn logout(identity: Identity) -> HttpResponse {
        identity.logout();
        HttpResponse::NoContent().finish()
    }

    async fn me(user: Option<multi_account_actix::CurrentUser<support::User>>) -> String {
        user.map(|multi_account_actix::CurrentUser(user)| user.id.to_string()).unwrap_or_default()
    }

    async fn run(key: Option<&'static str>, visit_deadline: Option<std::time::Duration>) {
        let (db, _guard) = database::<support::User>().await;
        let mut config = MultiAccountConfig::new(db.clone());
        let mut identity = IdentityMiddleware::builder()
            .logout_behavior(LogoutBehavior::DeleteIdentityKeys)
            .visit_deadline(visit_deadline);
        if let Some(key) = key {
            config = config.with_identity_key(key);
            identity = identity.id_key(key);
        }
        let app = App::new()
            .configure(configure::<support::User>(&config))
            .route("/login/{id}", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/me", web::get().to(me))
            .wrap(identity.build())
            .wrap(SessionToken)
            .wrap(test_support::cookie_session());
        let mut client = TestClient::new(test::init_service(app).await);

        client.post_form("/login/1", &[]).await;
        let before = client.csrf().await;
        client.post_form("/login/2", &[]).await;
        assert_eq!(client.get("/me").await.body, "2", "the identity is the current user");
        assert_eq!(client.get("/me").await.body, "2", "and on the next request: its sign-in was recorded");
        assert_ne!(client.csrf().await, before, "adopting a sign-in rotates the CSRF token");
        if let Some(deadline) = visit_deadline {
            // actix-identity stores visit times in whole seconds: one more to be sure.
            tokio::time::sleep(deadline + std::time::Duration::from_millis(1500)).await;
        } else {
            client.post_form("/logout", &[]).await;
        }
        assert_eq!(client.get("/me").await.body, "", "signed out with the identity");
        assert_eq!(get_state(&mut client).await.current, None);
        // Signing in again as the same account is a new sign-in: a new token.
        let before = client.csrf().await;
        client.post_form("/login/2", &[]).await;
        assert_eq!(client.get("/me").await.body, "2");
        assert_ne!(client.csrf().await, before, "the same account signing in again rotates the token");
    }

    #[tokio::test]
    async fn delete_identity_keys_logout_signs_out() {
        run(None, None).await;
    }

    #[tokio::test]
    async fn a_custom_id_key_is_respected() {
        run(Some("app.user"), None).await;
    }

    #[tokio::test]
    async fn a_visit_deadline_signs_out() {
        // Whole seconds, so requests within a second of each other never expire.
        run(None, Some(std::time::Duration::from_secs(3))).await;
    }
}

// ---------------------------------------------------------------------------
// Finding 7: the cookie budget. For each key type, with ids as long as the type
// allows, accounts are added until "Add another account" is refused: the
// session cookie never passes 4096 bytes and the app never answers 500. The
// sizes found are the ones `docs/security-model.md` documents.

macro_rules! budget_user {
    ($user:ident, $links:ident, $users_table:literal, $links_table:literal, $id:ty) => {
        mod $user {
            use multi_account::MultiAccountUser;
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
            #[sea_orm(table_name = $users_table)]
            #[multi_account(linked_account = super::$links::Entity, max_linked_accounts = 250)]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub id: $id,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }

        mod $links {
            #[derive(multi_account::LinkedAccount)]
            #[linked_account(user = super::$user::Entity, table_name = $links_table)]
            #[allow(dead_code)] // a marker: only its derive is used
            pub struct LinkedAccount;
        }
    };
}

budget_user!(i32_user, i32_link, "i32_users", "i32_links", i32);
budget_user!(i64_user, i64_link, "i64_users", "i64_links", i64);
budget_user!(uuid_user, uuid_link, "uuid_users", "uuid_links", uuid::Uuid);
budget_user!(string_user, string_link, "string_users", "string_links", String);

/// The `n`th id of a key type, as long as the type allows.
trait LongestId: MultiAccountUser {
    fn nth(n: u32) -> Self::Id;
}

impl LongestId for i32_user::Model {
    fn nth(n: u32) -> i32 {
        i32::MIN + n as i32
    }
}

impl LongestId for i64_user::Model {
    fn nth(n: u32) -> i64 {
        i64::MIN + i64::from(n)
    }
}

impl LongestId for uuid_user::Model {
    fn nth(n: u32) -> uuid::Uuid {
        uuid::Uuid::from_u128(u128::from(n) | (0xffff_ffff_u128 << 96))
    }
}

impl LongestId for string_user::Model {
    fn nth(n: u32) -> String {
        format!("{n:0>255}")
    }
}

/// Adds accounts to a group until the start is refused; returns the group size
/// reached.
async fn largest_group<U, L>() -> usize
where
    U: LongestId,
    L: multi_account::LinkedAccountOf<U::UserEntity>,
{
    let guard = TestDatabase::create(TestBackend::Sqlite).await.unwrap().unwrap();
    let db = guard.db.clone();
    let schema = Schema::new(db.get_database_backend());
    db.execute(&schema.create_table_from_entity(U::UserEntity::default())).await.unwrap();
    multi_account::create_linked_accounts_table::<L>(&db).await.unwrap();
    let config = MultiAccountConfig::new(db.clone());
    let app = App::new().configure(configure::<U>(&config)).wrap(SessionToken).wrap(test_support::cookie_session());
    let mut client = TestClient::new(test::init_service(app).await);
    let primary = U::nth(1);
    let cookie_fits =
        |client: &TestClient<_>| client.session_cookie().is_none_or(|value| "id=".len() + value.len() <= 4096);
    for n in 1..=250 {
        let id = U::nth(n);
        insert_user::<U>(&db, id.clone()).await;
        if n == 1 {
            assert_eq!(client.sign_in(&id).await.status, StatusCode::NO_CONTENT);
            continue;
        }
        let started = client.start_link(&primary).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
        assert!(cookie_fits(&client), "the cookie fits after {n} accounts");
        if !started.location.as_deref().is_some_and(|to| to.starts_with("/sign-in")) {
            // Refused with a message: the group is as large as the cookie allows.
            let state = client.get("/state").await.body;
            let group = state.rsplit("group=").next().unwrap_or("").split(',').filter(|id| !id.is_empty()).count();
            assert_eq!(group as u32, n - 1, "{state}");
            return group;
        }
        let signed_in = client.sign_in(&id).await;
        assert_eq!(signed_in.status, StatusCode::NO_CONTENT, "sign-in {n}: {signed_in:?}");
        let page = client.get(&format!("/link/p/{primary}")).await;
        let token = auto_submit_token(&page.body).expect("auto-submit page");
        let done = client.post_form(&format!("/link/p/{primary}"), &[("csrf_token", &token)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "link {n}: {done:?}");
        assert!(cookie_fits(&client), "the cookie fits after {n} accounts");
    }
    panic!("no limit reached");
}

async fn insert_user<U: MultiAccountUser>(db: &DatabaseConnection, id: U::Id) {
    let table = <U::UserEntity as sea_orm::EntityName>::table_name(&U::UserEntity::default()).to_owned();
    let statement = sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        format!("INSERT INTO {table} (id) VALUES (?)"),
        [id.into()],
    );
    db.execute_raw(statement).await.unwrap();
}

#[tokio::test]
async fn the_largest_group_that_fits_a_cookie_per_key_type() {
    let sizes = [
        ("i32", largest_group::<i32_user::Model, i32_link::Entity>().await),
        ("i64", largest_group::<i64_user::Model, i64_link::Entity>().await),
        ("Uuid", largest_group::<uuid_user::Model, uuid_link::Entity>().await),
        ("String (255)", largest_group::<string_user::Model, string_link::Entity>().await),
    ];
    eprintln!("largest groups in a cookie session: {sizes:?}");
    // Primary included; without `auth_hash` (its fingerprint adds 16 bytes per account).
    assert_eq!(sizes, [("i32", 101), ("i64", 69), ("Uuid", 43), ("String (255)", 4)], "update docs/security-model.md");
}

// ---------------------------------------------------------------------------
// Finding 7: sign-in records are pruned, so the session holds no more of them
// than its group has accounts.

/// The ids with a sign-in record in this session.
async fn recorded<S, B>(client: &mut TestClient<S>) -> BTreeSet<String>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let entries = client.session_entries().await;
    let records = entries["_multi_account_auth"].as_str().unwrap_or("{}");
    let records: serde_json::Map<String, serde_json::Value> = serde_json::from_str(records).unwrap();
    records.keys().cloned().collect()
}

fn ids(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

#[tokio::test]
async fn sign_in_records_are_pruned() {
    let (db, _guard) = database::<plain_user::Model>().await;
    db.execute_unprepared("INSERT INTO plain_users (id, name, password_hash) VALUES (4, 'user4', 'hash-4')")
        .await
        .unwrap();
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, plain_user::Model, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.complete_link(&1, &2).await;
        client.complete_link(&1, &3).await;
        assert_eq!(recorded(&mut client).await, ids(&["1", "2", "3"]));
        // 3's link is deactivated elsewhere: the next completed link keeps only
        // the group's records.
        let token = client.session_entries().await["session_token"].as_str().unwrap().trim_matches('"').to_owned();
        assert!(multi_account::LinkService::<plain_user::Model>::deactivate(&db, &1, &3, &token).await.unwrap());
        client.complete_link(&1, &4).await;
        assert_eq!(get_state(&mut client).await.group, vec![1, 2, 4]);
        assert_eq!(recorded(&mut client).await, ids(&["1", "2", "4"]), "3's record went with its link");
        // Remove drops the removed account's record.
        client.post_with_csrf("/link/remove/2", &[]).await;
        assert_eq!(recorded(&mut client).await, ids(&["1", "4"]));
        // A sign-in outside the link flow starts over with its own record only.
        client.sign_in(&3).await;
        assert_eq!(recorded(&mut client).await, ids(&["3"]));
        assert_eq!(get_state(&mut client).await, State { current: Some(3), primary: None, group: vec![] });
    });
}

// The intent's time limit is exclusive: at exactly its TTL it is stale.
#[tokio::test]
async fn a_link_intent_is_stale_at_exactly_its_ttl() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let (db, _guard) = database::<support::User>().await;
    let now = Arc::new(AtomicU64::new(1_800_000_000));
    let clock = Arc::clone(&now);
    let config = MultiAccountConfig::new(db.clone()).with_clock(move || clock.load(Ordering::SeqCst));
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        let token = support::up_to_auto_submit(&mut client, 1, 2).await;
        now.fetch_add(600, Ordering::SeqCst);
        let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_eq!(done.status, StatusCode::FORBIDDEN, "600 s: stale: {done:?}");
        assert!(rows::<support::User>(&db).await.iter().all(|(primary, _, linked)| primary == linked), "no link");
    });
}

// The budget is checked again when the link completes: the app's own session
// writes in between may have used the room.
#[tokio::test]
async fn a_session_filled_meanwhile_refuses_the_completion() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        let token = support::up_to_auto_submit(&mut client, 1, 2).await;
        // The app stores 2.3 KB of its own in the session.
        client.put_session(serde_json::json!({ "app_draft": "x".repeat(2350) })).await;
        let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
        assert!(client.session_cookie().is_some_and(|value| value.len() < 4096 - 3), "the cookie still fits");
        let entries = client.session_entries().await;
        assert!(entries["_multi_account_flash"].as_str().unwrap_or("").contains("cannot hold another account"));
        assert_eq!(get_state(&mut client).await, State { current: Some(1), primary: Some(1), group: vec![1] });
        assert!(rows::<support::User>(&db).await.iter().all(|(primary, _, linked)| primary == linked), "no link");
    });
}

// An account seen inactive is signed out of this cookie for good: re-activated,
// it needs a new sign-in (its subject was forgotten, not just hidden).
#[tokio::test]
async fn an_account_seen_inactive_stays_signed_out_after_it_is_reactivated() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&2).await;
        assert_eq!(get_state(&mut client).await.current, Some(2));
        db.execute_unprepared("UPDATE users SET status = 'inactive' WHERE id = 2").await.unwrap();
        assert_eq!(get_state(&mut client).await.current, None, "inactive: signed out");
        db.execute_unprepared("UPDATE users SET status = 'active' WHERE id = 2").await.unwrap();
        assert_eq!(get_state(&mut client).await.current, None, "active again, but this cookie signed out");
        assert!(client.session_entries().await.get("user").is_none());
    });
}

// A Referer that is exactly this origin (no path) counts as `/`, not as foreign.
#[tokio::test]
async fn a_referer_of_exactly_this_origin_returns_to_the_root() {
    struct Dashboard;
    impl multi_account_actix::MultiAccountHandlers for Dashboard {
        fn after_switch_path(&self, _req: &actix_web::HttpRequest) -> String {
            "/dashboard".to_owned()
        }
    }
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone()).with_handlers(Dashboard);
    with_client!(&config, support::User, Store::Cookie, |client| {
        client.sign_in(&1).await;
        client.complete_link(&1, &2).await;
        client.headers = vec![("Referer".to_owned(), "http://localhost:8080".to_owned())];
        let switched = client.switch(&1).await;
        assert_eq!(switched.location.as_deref(), Some("/"), "{switched:?}");
        client.headers = vec![("Referer".to_owned(), "http://localhost:8080.evil.example/x".to_owned())];
        let switched = client.switch(&2).await;
        assert_eq!(switched.location.as_deref(), Some("/dashboard"), "a longer host is foreign: {switched:?}");
    });
}

// `GET /link/p/{id}` auto-submits only for the account that just signed in to
// complete a pending link; the primary and the group's members, even while a
// link they started is pending, get the page whose form starts one.
#[tokio::test]
async fn get_link_auto_submits_only_for_the_account_that_just_signed_in() {
    let (db, _guard) = database::<support::User>().await;
    let config = MultiAccountConfig::new(db.clone());
    with_client!(&config, support::User, Store::Cookie, |client| {
        let start_page = |page: &TestResponse, who: &str| {
            assert_eq!(page.status, StatusCode::OK, "{who}: {page:?}");
            assert!(page.body.contains(r#"action="/link/p/1?start""#), "{who}: the start page: {}", page.body);
            assert!(!page.body.contains(r#"action="/link/p/1""#), "{who}: no auto-submit: {}", page.body);
        };
        client.sign_in(&1).await;
        start_page(&client.get("/link/p/1").await, "the primary, nothing pending");
        assert_eq!(client.start_link(&1).await.status, StatusCode::SEE_OTHER);
        start_page(&client.get("/link/p/1").await, "the primary, its link pending");
        client.sign_in(&2).await;
        let page = client.get("/link/p/1").await;
        assert!(page.body.contains(r#"action="/link/p/1""#), "control: the new account auto-submits: {page:?}");
        let token = auto_submit_token(&page.body).expect("token");
        assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &token)]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(get_state(&mut client).await.accounts(), BTreeSet::from([1, 2]));
        start_page(&client.get("/link/p/1").await, "a member, nothing pending");
        assert_eq!(client.start_link(&1).await.status, StatusCode::SEE_OTHER, "a member starts a link");
        start_page(&client.get("/link/p/1").await, "a member, its link pending");
    });
}
