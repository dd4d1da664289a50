//! Per-request cost of the axum adapter through the real `Router`, in process
//! (`tower::ServiceExt::oneshot`, tower-sessions' memory store), on SQLite in
//! memory and — when `MULTI_ACCOUNT_TEST_POSTGRES_URL` is set — PostgreSQL:
//!
//! - `baseline`: an app without this crate: tower-sessions plus
//!   `user::Entity::find_by_id` of the id stored in the session;
//! - `standard`: our standard mode (one account), the `SignedInAccounts<User>`
//!   extractor;
//! - `multi_{2,6,11}`: multi-account mode with groups of 2, 6 and 11 accounts
//!   (one group query).
//!
//! The cases run interleaved (rounds of a fixed number of requests each, the
//! order rotating), so that load from other processes hits them alike; the table
//! prints each case's median time per request and the median of the per-round
//! ratios to the baseline, with its interquartile range.
//!
//! `cargo bench -p multi-account-axum --bench request_cost`
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/stats.rs"]
mod stats;

use std::time::Instant;

use stats::{median, quartiles};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use multi_account::test_database::TestBackend;
use multi_account_axum::test_support::{self, TestClient};
use multi_account_axum::{MultiAccountConfig, SignedInAccounts};
use multi_account_conformance::app::{state_line, use_backend, user};
use multi_account_conformance::{User, database};
use sea_orm::{DatabaseConnection, EntityTrait};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

const ROUNDS: usize = 30;
const REQUESTS_PER_ROUND: usize = 200;

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

async fn link(client: &mut TestClient, primary: i64, linked: i64) {
    let done = client.complete_link(&primary, &linked).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "linking {linked}: {done:?}");
}

/// Seconds per request of `REQUESTS_PER_ROUND` GETs of `/state`.
async fn round(client: &mut TestClient) -> f64 {
    let start = Instant::now();
    for _ in 0..REQUESTS_PER_ROUND {
        let reply = client.get("/state").await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    start.elapsed().as_secs_f64() / REQUESTS_PER_ROUND as f64
}

async fn run(backend: TestBackend) {
    if !use_backend(backend) {
        println!("{backend}: skipped (set its MULTI_ACCOUNT_TEST_*_URL)");
        return;
    }
    let (db, _guard) = database(11).await;
    let mut cases: Vec<(&str, TestClient)> = Vec::new();

    let mut base = TestClient::new(baseline(db.clone()));
    base.send("POST", "/sign-in/1", None, String::new()).await;
    assert_eq!(base.get("/state").await.body, "1");
    cases.push(("baseline", base));

    let config = MultiAccountConfig::new(db.clone());
    let mut standard = TestClient::new(ours(&config));
    standard.sign_in(&1).await;
    assert_eq!(standard.get("/state").await.body, "current=1;primary=;group=");
    cases.push(("standard", standard));
    for size in [2_i64, 6, 11] {
        // One database for every case (the same tables, the same pool); each
        // group is its own session's, under its own token.
        let mut client = TestClient::new(ours(&config));
        client.sign_in(&1).await;
        for linked in 2..=size {
            link(&mut client, 1, linked).await;
        }
        assert!(client.get("/state").await.body.ends_with(&format!(",{size}")));
        let name: &'static str = Box::leak(format!("multi_{size}").into_boxed_str());
        cases.push((name, client));
    }

    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for (_, client) in &mut cases {
        round(client).await; // warm up
    }
    for turn in 0..ROUNDS {
        for offset in 0..cases.len() {
            let index = (turn + offset) % cases.len();
            let seconds = round(&mut cases[index].1).await;
            times[index].push(seconds);
        }
    }
    println!("\n{backend}: {ROUNDS} interleaved rounds of {REQUESTS_PER_ROUND} requests per case");
    println!("{:<10} {:>12} {:>16} {:>20}", "case", "median µs", "ratio (paired)", "ratio IQR");
    for (index, (name, _)) in cases.iter().enumerate() {
        let mut ratios: Vec<f64> = times[index].iter().zip(&times[0]).map(|(ours, base)| ours / base).collect();
        let (low, high) = quartiles(&mut ratios.clone());
        let ratio = median(&mut ratios);
        let micros = median(&mut times[index].clone()) * 1e6;
        println!("{name:<10} {micros:>12.1} {ratio:>15.2}x {:>12.2}–{high:.2}x", low);
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        run(TestBackend::Sqlite).await;
        run(TestBackend::Postgres).await;
    });
}
