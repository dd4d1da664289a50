//! Side by side in one run: the request that resolves the signed-in accounts of
//! a browser holding six, through this crate's axum adapter and through
//! better-auth's multi-session plugin (the published crate, axum + SeaORM), on
//! the same database server with the same SeaORM pool settings.
//!
//! - `ours_1`, `ours_6`: `GET /state` through our `Router` (tower-sessions'
//!   memory store, the `SignedInAccounts` extractor): current, primary and
//!   group of a one- and a six-account session;
//! - `ours_json_6`: our JSON API's `GET /link/api/accounts` of the six-account
//!   session (the same per-request load, one statement, answered as JSON: each
//!   account's id, display fields, flags and actions, and the CSRF token): the
//!   request a client of ours makes to show the accounts;
//! - `peer_1`: better-auth's `GET /auth/get-session` (the active account) of a
//!   browser signed in once;
//! - `peer_6`: better-auth's `GET /auth/multi-session/list-device-sessions` of a
//!   browser signed in to six accounts (its six device cookies and the active
//!   session cookie): the request its client makes to show the accounts.
//!
//! Every account signs in through the real HTTP surface of each (our test
//! sign-in and link routes; better-auth's `/sign-up/email`). The cases run
//! interleaved, rounds of a fixed number of requests, the order rotating; the
//! table gives each case's median time per request and the median of the
//! per-round ratios, peer to ours (`peer_6` against both `ours_6` and
//! `ours_json_6`, and `ours_json_6 / ours_6`).
//!
//! `bash multi-account-axum/benches/peer-better-auth/run.sh`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod peer;

#[path = "../../common/stats.rs"]
mod stats;

use stats::{median, quartiles};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use http_body_util::BodyExt;
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account_axum::{MultiAccountConfig, SignedInAccounts, test_support};
use multi_account_conformance::User;
use multi_account_conformance::app::counted_database;
use multi_account_conformance::app::{state_line, use_backend};
use tower::ServiceExt;
use tower_sessions::{MemoryStore, SessionManagerLayer};

const ROUNDS: usize = 30;
const REQUESTS_PER_ROUND: usize = 200;
/// The browser's accounts in the six-account cases.
const ACCOUNTS: usize = 6;

/// A browser: a cookie jar in front of an in-process router.
pub struct Browser {
    router: Router,
    cookies: BTreeMap<String, String>,
}

/// What a response said.
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
}

impl Browser {
    fn new(router: Router) -> Self {
        Self { router, cookies: BTreeMap::new() }
    }

    /// Sends a request with the jar's cookies (and, for a body, JSON and the
    /// app's own origin); keeps what the response sets or clears.
    pub async fn send(&mut self, method: &str, path: &str, json: Option<serde_json::Value>) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect();
            request = request.header(header::COOKIE, cookies.join("; "));
        }
        let body = match json {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json").header(header::ORIGIN, peer::ORIGIN);
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let response = self.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            let pair = cookie.to_str().unwrap().split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || cookie.to_str().unwrap().to_ascii_lowercase().contains("max-age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply { status, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// The cookies held, by name.
    pub fn cookie_names(&self) -> Vec<&str> {
        self.cookies.keys().map(String::as_str).collect()
    }
}

/// Our app, as the adapter's own benchmark builds it.
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

/// A client signed in to our app with `accounts` accounts (1 and its links).
async fn our_client(config: &MultiAccountConfig, accounts: i64) -> Client {
    Client::Ours(our_test_client(ours(config), accounts).await)
}

async fn our_test_client(router: Router, accounts: i64) -> test_support::TestClient {
    let mut client = test_support::TestClient::new(router);
    client.sign_in(&1).await;
    for linked in 2..=accounts {
        let done = client.complete_link(&1, &linked).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "linking {linked}: {done:?}");
    }
    client
}

/// Our JSON API's accounts request (the default `Paths::api`).
const JSON_ACCOUNTS: &str = "/link/api/accounts";

/// A client of our app signed in to `accounts` accounts, checked over JSON: it
/// lists them all, primary first, the last one current, none pending.
async fn our_json_client(config: &MultiAccountConfig, accounts: i64) -> Client {
    let mut client = our_test_client(ours(config), accounts).await;
    let reply = client.get(JSON_ACCOUNTS).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let reply = client.get(JSON_ACCOUNTS).await;
    assert!(!reply.set_cookie, "GET {JSON_ACCOUNTS} rewrote the session");
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    let listed = body["accounts"].as_array().expect("accounts");
    let ids: Vec<&str> = listed.iter().map(|account| account["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..=accounts).map(|id| id.to_string()).collect();
    assert_eq!(ids, expected, "{}", reply.body);
    let flag = |name: &str| listed.iter().filter(|account| account[name] == true).count();
    assert_eq!((flag("current"), flag("primary"), flag("pending")), (1, 1, 0), "{}", reply.body);
    assert_eq!(listed[accounts as usize - 1]["current"], true, "{}", reply.body);
    Client::Ours(client)
}

/// Either app's client.
enum Client {
    Ours(test_support::TestClient),
    Peer(Browser),
}

impl Client {
    async fn get(&mut self, path: &str) -> Reply {
        match self {
            Self::Ours(client) => {
                let reply = client.get(path).await;
                Reply { status: reply.status, body: reply.body }
            }
            Self::Peer(browser) => browser.send("GET", path, None).await,
        }
    }
}

/// Seconds per request of `REQUESTS_PER_ROUND` GETs of `path`, each checked.
async fn round(client: &mut Client, path: &str, expect: &str) -> f64 {
    let start = Instant::now();
    for _ in 0..REQUESTS_PER_ROUND {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert!(reply.body.contains(expect), "{path}: {}", reply.body);
    }
    start.elapsed().as_secs_f64() / REQUESTS_PER_ROUND as f64
}

/// One case: a name, a client, the page it asks for, a text every reply holds.
struct Case {
    name: &'static str,
    client: Client,
    path: &'static str,
    expect: String,
}

/// The index of the case named `name`.
fn position(cases: &[Case], name: &str) -> usize {
    cases.iter().position(|case| case.name == name).expect("a case")
}

async fn run(backend: TestBackend) {
    if !use_backend(backend) {
        println!("{backend}: skipped (set its MULTI_ACCOUNT_TEST_*_URL)");
        return;
    }
    let (db, _guard, our_statements) = counted_database(ACCOUNTS as i64).await;
    let config = MultiAccountConfig::new(db.clone());
    // The peer's tables in a database of their own on the same server (a
    // schema of its own on PostgreSQL), so neither app sees the other's `users`.
    let peer_database = TestDatabase::create(backend).await.expect("database").expect("a configured backend");
    let mut peer_db = peer_database.db.clone();
    let peer_statements = Arc::new(AtomicUsize::new(0));
    let counter = peer_statements.clone();
    // PEER_BENCH_SQL=1 prints the peer's statements as they run (setup included).
    let print_sql = std::env::var_os("PEER_BENCH_SQL").is_some();
    peer_db.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        if print_sql {
            println!("peer SQL: {}", info.statement.sql);
        }
    });
    let peer = peer::app(peer_db).await;

    let mut cases = vec![
        Case { name: "ours_1", client: our_client(&config, 1).await, path: "/state", expect: "current=1;".into() },
        Case {
            name: "ours_6",
            client: our_client(&config, ACCOUNTS as i64).await,
            path: "/state",
            expect: "group=1,2,3,4,5,6".into(),
        },
        Case {
            name: "ours_json_6",
            client: our_json_client(&config, ACCOUNTS as i64).await,
            path: JSON_ACCOUNTS,
            expect: format!("\"id\":\"{ACCOUNTS}\",\"user\""),
        },
        Case {
            name: "peer_1",
            client: Client::Peer(peer::signed_in(peer.clone(), 1).await),
            path: "/auth/get-session",
            expect: "peer1@example.com".into(),
        },
        Case {
            name: "peer_6",
            client: Client::Peer(peer::signed_in(peer.clone(), ACCOUNTS).await),
            path: "/auth/multi-session/list-device-sessions",
            expect: format!("peer{ACCOUNTS}@example.com"),
        },
    ];
    // The six-account peer lists all six.
    let peer_6 = position(&cases, "peer_6");
    let path = cases[peer_6].path;
    let listed = cases[peer_6].client.get(path).await;
    let sessions: Vec<serde_json::Value> = serde_json::from_str(&listed.body).expect("a JSON list");
    assert_eq!(sessions.len(), ACCOUNTS, "better-auth lists every account: {}", listed.body);

    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut statements = Vec::new();
    for case in &mut cases {
        round(&mut case.client, case.path, &case.expect).await; // warm up
        // Statements of one request: ours on our tables, the peer's on its own.
        let counter = if matches!(case.client, Client::Ours(_)) { &our_statements } else { &peer_statements };
        let before = counter.load(Ordering::SeqCst);
        case.client.get(case.path).await;
        statements.push(counter.load(Ordering::SeqCst) - before);
    }
    for turn in 0..ROUNDS {
        for offset in 0..cases.len() {
            let index = (turn + offset) % cases.len();
            let case = &mut cases[index];
            let seconds = round(&mut case.client, case.path, &case.expect).await;
            times[index].push(seconds);
        }
    }
    println!("\n{backend}: {ROUNDS} interleaved rounds of {REQUESTS_PER_ROUND} requests per case");
    println!("{:<12} {:>12} {:>12}", "case", "median µs", "statements");
    for (index, case) in cases.iter().enumerate() {
        println!("{:<12} {:>12.1} {:>12}", case.name, median(&mut times[index].clone()) * 1e6, statements[index]);
    }
    for (peer, ours, what) in [
        ("peer_1", "ours_1", "one account"),
        ("peer_6", "ours_6", "six accounts"),
        ("peer_6", "ours_json_6", "six accounts, ours over JSON"),
    ] {
        let (peer, ours) = (position(&cases, peer), position(&cases, ours));
        let mut ratios: Vec<f64> = times[peer].iter().zip(&times[ours]).map(|(peer, ours)| peer / ours).collect();
        let (low, high) = quartiles(&mut ratios.clone());
        println!(
            "{what}: {} / {} = {:.2}x (IQR {low:.2}–{high:.2}x; above 1: the peer is slower)",
            cases[peer].name,
            cases[ours].name,
            median(&mut ratios)
        );
    }
    let (json, html) = (position(&cases, "ours_json_6"), position(&cases, "ours_6"));
    let mut ratios: Vec<f64> = times[json].iter().zip(&times[html]).map(|(json, html)| json / html).collect();
    let (low, high) = quartiles(&mut ratios.clone());
    println!("ours over JSON: ours_json_6 / ours_6 = {:.2}x (IQR {low:.2}–{high:.2}x)", median(&mut ratios));
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        run(TestBackend::Sqlite).await;
        run(TestBackend::Postgres).await;
    });
}
