//! Per-request cost of the axum adapter through the real `Router`, in process
//! (`tower::ServiceExt::oneshot`, tower-sessions' memory store), on SQLite in
//! memory and — when `MULTI_ACCOUNT_TEST_POSTGRES_URL` is set — PostgreSQL:
//!
//! - `baseline`: an app without this crate: tower-sessions plus
//!   `user::Entity::find_by_id` of the id stored in the session;
//! - `standard`: our standard mode (one account), the `SignedInAccounts<User>`
//!   extractor;
//! - `multi_{2,6,11}`: multi-account mode with groups of 2, 6 and 11 accounts
//!   (one group query);
//! - `json_6`: the JSON API's `GET {api}/accounts` (`/link/api/accounts`) on
//!   the six-account session of `multi_6` (the same per-request load, one
//!   statement), answered as JSON; the table adds its paired ratio to
//!   `multi_6`, the `SignedInAccounts` extractor's request (target ≤ 1.05×);
//! - `multi_6_tabs`, `tab_6`: per-tab accounts on (`with_tabs`, the router
//!   wrapped in the tab prefix layer), a six-account session linked there:
//!   `/state` unprefixed (the default account), and prefixed, `/u/2/state`,
//!   acting as the account on slot 2 (not the default); the table adds
//!   `multi_6_tabs / multi_6` (tabs on against off) and `tab_6 / multi_6_tabs`
//!   (target ≤ 1.05×).
//! - `multi_6_rem`, `multi_6_rem3`: remembered accounts on
//!   (`with_remembered`), the six-account session with no signed-out
//!   remembered account, and with three (linked, then removed): the table adds
//!   both against `multi_6` (remembered accounts off). The three are checked
//!   within the group statement: still one statement.
//!
//! The cases run interleaved (rounds of a fixed number of requests each, the
//! order rotating), so that load from other processes hits them alike; the table
//! prints each case's median time per request and the median of the per-round
//! ratios to the baseline, with its interquartile range, and the statements one
//! request runs (SeaORM's metric callback).
//!
//! `cargo bench -p multi-account-axum --bench request_cost`
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/stats.rs"]
mod stats;

use std::sync::atomic::Ordering;
use std::time::Instant;

use stats::{median, quartiles};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use multi_account::test_database::TestBackend;
use multi_account_axum::test_support::{self, TestClient};
use multi_account_axum::{MultiAccountConfig, RememberedAccounts, SignedInAccounts, Tabs};
use multi_account_conformance::User;
use multi_account_conformance::app::{counted_database, state_line, use_backend, user};
use sea_orm::{DatabaseConnection, EntityTrait};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

const ROUNDS: usize = 30;
const REQUESTS_PER_ROUND: usize = 200;
/// The JSON API's accounts request at the default `Paths::api`.
const JSON_ACCOUNTS: &str = "/link/api/accounts";
/// `json_6 / multi_6` at most this (paired median).
const JSON_TARGET: f64 = 1.05;
/// `/state` in the tab of slot 2: the six-account group's third account (slots
/// go 0, 1, … in the order the accounts joined), not the default.
const TAB_STATE: &str = "/u/2/state";
/// `tab_6 / multi_6_tabs` (and `multi_6_tabs / multi_6`) at most this.
const TAB_TARGET: f64 = 1.05;

/// The baseline app: a session holding the user id, and the user loaded by id.
fn baseline(db: DatabaseConnection) -> Router {
    async fn sign_in(session: Session, axum::extract::Path(id): axum::extract::Path<i64>) -> StatusCode {
        session.insert("user_id", id).await.unwrap();
        StatusCode::NO_CONTENT
    }
    async fn me(session: Session, axum::extract::State(db): axum::extract::State<DatabaseConnection>) -> String {
        let id: Option<i64> = session.get("user_id").await.unwrap();
        let user = match id {
            Some(id) => user::Entity::find_by_id(id).one(&db).await.unwrap(),
            None => None,
        };
        user.map(|user| user.id.to_string()).unwrap_or_default()
    }
    Router::new()
        .route("/sign-in/{id}", post(sign_in))
        .route("/state", get(me))
        .with_state(db)
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false))
}

/// Our app, as the conformance suite builds it.
fn ours(config: &MultiAccountConfig) -> Router {
    async fn state(accounts: SignedInAccounts<User>) -> String {
        state_line(accounts.current(), accounts.primary(), accounts.group().map(|group| group.iter().collect()))
    }
    Router::new()
        .merge(config.router::<User, ()>())
        .merge(test_support::routes::<User, ()>())
        .route("/state", get(state))
        .layer(config.layer())
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false))
}

/// Our app with per-tab accounts (`config` has them on): the tab prefix layer
/// around the whole router, kept a `Router` through a fallback.
fn ours_with_tabs(config: &MultiAccountConfig) -> Router {
    Router::new().fallback_service(tower_layer::Layer::layer(&config.tab_prefix(), ours(config)))
}

async fn link(client: &mut TestClient, primary: i64, linked: i64) {
    let done = client.complete_link(&primary, &linked).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "linking {linked}: {done:?}");
}

/// Seconds per request of `REQUESTS_PER_ROUND` GETs of `path`.
async fn round(client: &mut TestClient, path: &str) -> f64 {
    let start = Instant::now();
    for _ in 0..REQUESTS_PER_ROUND {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    start.elapsed().as_secs_f64() / REQUESTS_PER_ROUND as f64
}

/// Checks the JSON accounts answer of a session of `size` accounts (1 primary,
/// `size` current, the rest linked): every account, one current, one primary,
/// none pending, a CSRF token; and that the request does not write the session.
async fn check_json(client: &mut TestClient, size: i64) {
    let reply = client.get(JSON_ACCOUNTS).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert!(!reply.set_cookie, "GET {JSON_ACCOUNTS} rewrote the session: the bench would not be steady");
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    let accounts = body["accounts"].as_array().expect("accounts");
    let ids: Vec<&str> = accounts.iter().map(|account| account["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..=size).map(|id| id.to_string()).collect();
    assert_eq!(ids, expected, "{}", reply.body);
    let flag = |name: &str| accounts.iter().filter(|account| account[name] == true).count();
    assert_eq!((flag("current"), flag("primary"), flag("pending")), (1, 1, 0), "{}", reply.body);
    assert_eq!(accounts[size as usize - 1]["current"], true);
    assert!(body["csrf_token"].as_str().is_some_and(|token| !token.is_empty()), "{}", reply.body);
}

async fn run(backend: TestBackend) {
    if !use_backend(backend) {
        println!("{backend}: skipped (set its MULTI_ACCOUNT_TEST_*_URL)");
        return;
    }
    let (db, _guard, statements) = counted_database(11).await;
    // (name, client, path): the cases in table order, the baseline first.
    let mut cases: Vec<(&str, TestClient, &str)> = Vec::new();

    let mut base = TestClient::new(baseline(db.clone()));
    base.send("POST", "/sign-in/1", None, String::new()).await;
    assert_eq!(base.get("/state").await.body, "1");
    cases.push(("baseline", base, "/state"));

    let config = MultiAccountConfig::new(db.clone());
    let mut standard = TestClient::new(ours(&config));
    standard.sign_in(&1).await;
    assert_eq!(standard.get("/state").await.body, "current=1;primary=;group=");
    cases.push(("standard", standard, "/state"));
    for size in [2_i64, 6, 11] {
        // One database for every case (the same tables, the same pool); each
        // group is its own session's, under its own token.
        let router = ours(&config);
        let mut client = TestClient::new(router.clone());
        client.sign_in(&1).await;
        for linked in 2..=size {
            link(&mut client, 1, linked).await;
        }
        assert!(client.get("/state").await.body.ends_with(&format!(",{size}")));
        let name: &'static str = Box::leak(format!("multi_{size}").into_boxed_str());
        if size == 6 {
            // The same session (the router's memory store, the same cookies),
            // asked for over JSON.
            let mut json = TestClient::new(router);
            json.set_cookies(client.cookies().clone());
            check_json(&mut json, size).await;
            cases.push((name, client, "/state"));
            cases.push(("json_6", json, JSON_ACCOUNTS));
        } else {
            cases.push((name, client, "/state"));
        }
    }
    // Tabs on: a six-account session linked in that app (slots 0..=5 for
    // accounts 1..=6, the last linked the default), unprefixed and in a tab.
    let tab_config = MultiAccountConfig::new(db.clone()).with_tabs(Some(Tabs::default()));
    let router = ours_with_tabs(&tab_config);
    let mut tabs = TestClient::new(router.clone());
    tabs.sign_in(&1).await;
    for linked in 2..=6 {
        link(&mut tabs, 1, linked).await;
    }
    assert_eq!(tabs.get("/state").await.body, "current=6;primary=1;group=1,2,3,4,5,6");
    let mut tab = TestClient::new(router);
    tab.set_cookies(tabs.cookies().clone());
    assert_eq!(tab.get(TAB_STATE).await.body, "current=3;primary=1;group=1,2,3,4,5,6");
    cases.push(("multi_6_tabs", tabs, "/state"));
    cases.push(("tab_6", tab, TAB_STATE));

    // Remembered accounts on: six signed in, none remembered signed out; and
    // six signed in with three remembered (accounts 7..=9, linked and removed).
    let remembered = RememberedAccounts::new(&[9; 64]).expect("a key").with_secure(false);
    let remembered_config = MultiAccountConfig::new(db.clone()).with_remembered(Some(remembered));
    for (name, removed) in [("multi_6_rem", 0_i64), ("multi_6_rem3", 3)] {
        let mut client = TestClient::new(ours(&remembered_config));
        client.sign_in(&1).await;
        for linked in 2..=6 + removed {
            link(&mut client, 1, linked).await;
        }
        client.switch(&6).await;
        for gone in 7..=6 + removed {
            let reply = client.post_with_csrf(&format!("/link/remove/{gone}"), &[]).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
        }
        assert_eq!(client.get("/state").await.body, "current=6;primary=1;group=1,2,3,4,5,6");
        let listed = client.get(JSON_ACCOUNTS).await.body;
        let body: serde_json::Value = serde_json::from_str(&listed).expect("JSON");
        assert_eq!(body["remembered"].as_array().map(Vec::len), Some(removed as usize), "{listed}");
        cases.push((name, client, "/state"));
    }

    // Statements of one request, each after a settling request.
    let mut counts = Vec::new();
    for (_, client, path) in &mut cases {
        client.get(path).await;
        let before = statements.load(Ordering::SeqCst);
        let reply = client.get(path).await;
        assert!(!reply.set_cookie, "GET {path} rewrote the session: the bench would not be steady");
        counts.push(statements.load(Ordering::SeqCst) - before);
    }

    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for (_, client, path) in &mut cases {
        round(client, path).await; // warm up
    }
    for turn in 0..ROUNDS {
        for offset in 0..cases.len() {
            let index = (turn + offset) % cases.len();
            let (_, client, path) = &mut cases[index];
            let seconds = round(client, path).await;
            times[index].push(seconds);
        }
    }
    // Median and quartiles of the per-round ratios of case `index` to `reference`.
    let paired = |index: usize, reference: usize| {
        let mut ratios: Vec<f64> = times[index].iter().zip(&times[reference]).map(|(ours, base)| ours / base).collect();
        let (low, high) = quartiles(&mut ratios.clone());
        (median(&mut ratios), low, high)
    };
    println!("\n{backend}: {ROUNDS} interleaved rounds of {REQUESTS_PER_ROUND} requests per case");
    println!("{:<12} {:>10} {:>12} {:>16} {:>20}", "case", "statements", "median µs", "ratio (paired)", "ratio IQR");
    for (index, (name, _, _)) in cases.iter().enumerate() {
        let (ratio, low, high) = paired(index, 0);
        let micros = median(&mut times[index].clone()) * 1e6;
        println!("{name:<12} {:>10} {micros:>12.1} {ratio:>15.2}x {:>12.2}–{high:.2}x", counts[index], low);
    }
    let index = |wanted: &str| cases.iter().position(|(name, _, _)| *name == wanted).expect("a case");
    let (ratio, low, high) = paired(index("json_6"), index("multi_6"));
    println!(
        "json_6 / multi_6 (JSON accounts / the SignedInAccounts extractor, six accounts): {ratio:.2}x \
         (IQR {low:.2}–{high:.2}x) — target <= {JSON_TARGET}x: {}",
        if ratio <= JSON_TARGET { "MET" } else { "NOT MET" }
    );
    let (ratio, low, high) = paired(index("multi_6_tabs"), index("multi_6"));
    println!(
        "multi_6_tabs / multi_6 (tabs on, unprefixed / tabs off, six accounts): {ratio:.2}x \
         (IQR {low:.2}–{high:.2}x) — target <= {TAB_TARGET}x: {}",
        if ratio <= TAB_TARGET { "MET" } else { "NOT MET" }
    );
    for name in ["multi_6_rem", "multi_6_rem3"] {
        let (ratio, low, high) = paired(index(name), index("multi_6"));
        println!(
            "{name} / multi_6 (remembered accounts on / off, six signed in): {ratio:.2}x (IQR {low:.2}–{high:.2}x)"
        );
    }
    let (ratio, low, high) = paired(index("tab_6"), index("multi_6_tabs"));
    println!(
        "tab_6 / multi_6_tabs (a tab's account at /u/2 / the default unprefixed, six accounts): {ratio:.2}x \
         (IQR {low:.2}–{high:.2}x) — target <= {TAB_TARGET}x: {}",
        if ratio <= TAB_TARGET { "MET" } else { "NOT MET" }
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        run(TestBackend::Sqlite).await;
        run(TestBackend::Postgres).await;
    });
}
