//! Per-request cost through the real actix service, in process
//! (`actix_web::test::init_service` + `call_service`, signed cookie sessions), on
//! SQLite in memory and — when `MULTI_ACCOUNT_TEST_POSTGRES_URL` is set — on
//! PostgreSQL (a throwaway schema per run):
//!
//! - `a_baseline`: an app without this crate: actix-session plus
//!   `user::Entity::find_by_id` of the id stored in the session;
//! - `b_standard`: our standard mode, the `CurrentUser<User>` extractor;
//! - `c_multi_{2,6,11}`: our multi-account mode, the `SignedInAccounts<User>` extractor,
//!   for groups of 2, 6 and 11 accounts (one group query);
//! - `c_json_6`: the JSON API's `GET {api}/accounts` (`/link/api/accounts`) on
//!   the six-account session of `c_multi_6`: the same per-request load (one
//!   statement), answered as JSON; checked against `c_multi_6`, the
//!   `SignedInAccounts` extractor's request (target ≤ 1.05×);
//! - `c_multi_6_tabs`, `c_tab_6`: per-tab accounts on (`with_tabs`, the
//!   `TabPrefix` middleware), the six-account session of `c_multi_6`: the
//!   extractor's request unprefixed (the default account), and prefixed,
//!   `/u/2/bench/multi`, acting as the account on slot 2 (not the default);
//!   checked against `c_multi_6` (tabs off) and `c_multi_6_tabs` (target ≤
//!   1.05×);
//! - `d_naive_{2,6,11}`: the reference implementation's strategy on the same
//!   sessions: the primary, then the links, then one query per linked account;
//! - `p_group_only_6` (with the cases above, to share their rounds): the group
//!   query from a bare handler on the six-account session (session keys read by
//!   hand, no loader, no fingerprint check), so the loader's own share is the
//!   difference to `c_multi_6`;
//! - `p_*` (a second group, to see where the time goes): `/plain` (no
//!   extractor, so no query) through the baseline app and through the real app
//!   with the standard and the six-account session cookies; and the database
//!   work alone: `find_by_id` and `LinkService::group` of six, no HTTP.
//!
//! After criterion's runs, an interleaved timing loop runs every case in turn
//! (40 rounds, ~25 ms per case per round, the order rotating), so that load from
//! other processes hits all cases alike. The tables print, per case: queries per
//! request, criterion's mean with its 95% confidence interval, the ratio of
//! criterion means to the baseline, the interleaved median, and the median of
//! the per-round (paired) ratios to the baseline with its interquartile range.
//! The targets are checked on the paired ratios: `c_multi_6 <= 1.3 x a_baseline`,
//! `d_naive_6 >= 2 x c_multi_6`, `c_json_6 <= 1.05 x c_multi_6`, and
//! `c_tab_6 <= 1.05 x c_multi_6_tabs` (`c_multi_6_tabs / c_multi_6` alongside).
//!
//! `cargo bench -p multi-account-actix --bench request_cost`
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use actix_http::Request;
use actix_session::Session;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{ErrorInternalServerError, ErrorUnauthorized};
use actix_web::http::StatusCode;
use actix_web::rt::{System, SystemRunner};
use actix_web::{App, HttpResponse, test, web};
use criterion::Criterion;
use multi_account::test_database::TestBackend;
use multi_account::{LinkService, LinkStatus};
use multi_account_actix::session::{get_user_id, multi_account_session};
use multi_account_actix::test_support::{self, TestClient};
use multi_account_actix::{MultiAccountConfig, SessionToken, SignedInAccounts, Tabs};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use support::{QueryCounter, User, linked_account, user};

use common::{Case, Interleaved};

/// The JSON API's accounts request at the default `Paths::api`.
const JSON_ACCOUNTS: &str = "/link/api/accounts";

/// The extractor's request in the tab of slot 2: the six-account group's third
/// account (slots go 0, 1, … in the order the accounts joined), not the default.
const TAB_MULTI: &str = "/u/2/bench/multi";

/// The session key the baseline app keeps its user id under.
const BASELINE_USER_KEY: &str = "user_id";

// ---------------------------------------------------------------- (a) baseline

/// Signs in to the baseline app: just the id in the session.
async fn baseline_sign_in(session: Session, path: web::Path<i64>) -> actix_web::Result<HttpResponse> {
    session.insert(BASELINE_USER_KEY, path.into_inner())?;
    session.renew();
    Ok(HttpResponse::NoContent().finish())
}

/// What an app without this crate does on every page: the user by id.
async fn baseline_me(session: Session, db: web::Data<DatabaseConnection>) -> actix_web::Result<String> {
    let id: i64 = session.get(BASELINE_USER_KEY)?.ok_or_else(|| ErrorUnauthorized("signed out"))?;
    let user = user::Entity::find_by_id(id)
        .one(db.get_ref())
        .await
        .map_err(ErrorInternalServerError)?
        .ok_or_else(|| ErrorUnauthorized("unknown user"))?;
    Ok(user.id.to_string())
}

/// The baseline app: actix-session (the same cookie store and key) and one route.
async fn baseline_service(
    db: &DatabaseConnection,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(
        App::new()
            .app_data(web::Data::new(db.clone()))
            .route("/sign-in/{id}", web::post().to(baseline_sign_in))
            .route("/me", web::get().to(baseline_me))
            .route("/plain", web::get().to(|| async { "plain" }))
            .wrap(test_support::cookie_session()),
    )
    .await
}

// ------------------------------------------------------------- (c) our extractor

/// Our multi-account mode: the `SignedInAccounts` extractor (current, primary, group).
async fn multi(accounts: SignedInAccounts<User>) -> String {
    format!("{}:{}", accounts.current().map(|user| user.id).unwrap_or_default(), accounts.accounts().len())
}

/// The group query from a plain handler (session keys read by hand, no loader, no
/// fingerprint check): what the loader adds on top of its query.
async fn group_only(session: Session, db: web::Data<DatabaseConnection>) -> actix_web::Result<String> {
    let (primary_id, token) =
        multi_account_session::<User>(&session).ok_or_else(|| ErrorUnauthorized("not multi-account"))?;
    let group = LinkService::<User>::group(db.get_ref(), &primary_id, &token)
        .await
        .map_err(ErrorInternalServerError)?
        .ok_or_else(|| ErrorUnauthorized("no group"))?;
    let current = get_user_id::<User>(&session).unwrap_or(primary_id);
    Ok(format!("{current}:{}", group.len()))
}

// ------------------------------------------------------------------ (d) naive

/// The reference implementation's strategy: load the primary, query the session's
/// links, then load each linked account by id (2 + links queries).
async fn naive(session: Session, db: web::Data<DatabaseConnection>) -> actix_web::Result<String> {
    let db = db.get_ref();
    let current_id = get_user_id::<User>(&session).ok_or_else(|| ErrorUnauthorized("signed out"))?;
    let (primary_id, token) =
        multi_account_session::<User>(&session).ok_or_else(|| ErrorUnauthorized("not multi-account"))?;
    let primary = user::Entity::find_by_id(primary_id)
        .one(db)
        .await
        .map_err(ErrorInternalServerError)?
        .ok_or_else(|| ErrorUnauthorized("no primary"))?;
    let links = linked_account::Entity::find()
        .filter(linked_account::Column::PrimaryUserId.eq(primary_id))
        .filter(linked_account::Column::SessionToken.eq(token))
        .filter(linked_account::Column::Status.eq(LinkStatus::Active))
        .order_by_asc(linked_account::Column::Id)
        .all(db)
        .await
        .map_err(ErrorInternalServerError)?;
    let mut group = vec![primary];
    // The group's own row (linked_user_id = primary) names the primary, loaded above.
    for link in links.into_iter().filter(|link| link.linked_user_id != primary_id) {
        if let Some(user) =
            user::Entity::find_by_id(link.linked_user_id).one(db).await.map_err(ErrorInternalServerError)?
        {
            group.push(user);
        }
    }
    let current = group.iter().find(|user| user.id == current_id).map(|user| user.id).unwrap_or(primary_id);
    Ok(format!("{current}:{}", group.len()))
}

/// The real app (the test app of `tests/it/support`: routes, `SessionToken`, cookie
/// sessions) plus the bench handlers.
fn full_app(
    config: &MultiAccountConfig,
    db: &DatabaseConnection,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    App::new()
        .configure(support::configure(config))
        .app_data(web::Data::new(db.clone()))
        .route("/bench/multi", web::get().to(multi))
        .route("/bench/naive", web::get().to(naive))
        .route("/bench/group-only", web::get().to(group_only))
        .wrap(SessionToken)
        .wrap(test_support::cookie_session())
}

async fn full_service(
    config: &MultiAccountConfig,
    db: &DatabaseConnection,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(full_app(config, db)).await
}

/// The real app with per-tab accounts: `config` has them on, and its
/// `TabPrefix` takes `/u/{slot}` off the path before routing.
async fn tab_service(
    config: &MultiAccountConfig,
    db: &DatabaseConnection,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(full_app(config, db).wrap(config.tab_prefix())).await
}

// ------------------------------------------------------------------- harness

/// Sends `path` once, checks the answer, and returns the queries it ran.
async fn check<S, B>(client: &mut TestClient<S>, queries: &QueryCounter, path: &str, body: &str) -> usize
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    // Settle: the first request after a sign-in or link may still write the session.
    client.get(path).await;
    let before = queries.get();
    let response = client.get(path).await;
    assert_eq!((response.status, response.body.as_str()), (StatusCode::OK, body), "GET {path}");
    assert!(!response.set_cookie, "GET {path} rewrote the session: the bench would not be steady");
    queries.get() - before
}

/// Sends the JSON accounts request once (after a settling one), checks the
/// answer of a session of `size` accounts (1 primary, `size` current, the rest
/// linked: every account, one current, one primary, none pending, a CSRF token)
/// and that it does not write the session; returns the queries it ran.
async fn check_json<S, B>(client: &mut TestClient<S>, queries: &QueryCounter, size: usize) -> usize
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    client.get(JSON_ACCOUNTS).await;
    let before = queries.get();
    let reply = client.get(JSON_ACCOUNTS).await;
    let ran = queries.get() - before;
    assert_eq!(reply.status, StatusCode::OK, "GET {JSON_ACCOUNTS}: {}", reply.body);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert!(!reply.set_cookie, "GET {JSON_ACCOUNTS} rewrote the session: the bench would not be steady");
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    let accounts = body["accounts"].as_array().expect("accounts");
    let ids: Vec<&str> = accounts.iter().map(|account| account["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..=size).map(|id| id.to_string()).collect();
    assert_eq!(ids, expected, "{}", reply.body);
    let flag = |name: &str| accounts.iter().filter(|account| account[name] == true).count();
    assert_eq!((flag("current"), flag("primary"), flag("pending")), (1, 1, 0), "{}", reply.body);
    assert_eq!(accounts[size - 1]["current"], true, "{}", reply.body);
    assert!(body["csrf_token"].as_str().is_some_and(|token| !token.is_empty()), "{}", reply.body);
    ran
}

/// Times `iters` requests of `path` (the criterion routine).
fn time<S, B>(system: &SystemRunner, client: &mut TestClient<S>, path: &str, iters: u64) -> Duration
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    system.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(client.get(path).await);
        }
        start.elapsed()
    })
}

/// A client on the real app with the cookies (the session) of `other`.
fn same_session<S, B, S2, B2>(service: S, other: &TestClient<S2>) -> TestClient<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
    S2: Service<Request, Response = ServiceResponse<B2>, Error = actix_web::Error>,
    B2: MessageBody,
{
    let mut client = TestClient::new(service);
    client.set_cookies(other.cookies().clone());
    client
}

/// A routine: `iters` requests of `path` with `client`'s session.
fn requests<S, B>(system: &SystemRunner, mut client: TestClient<S>, path: &'static str) -> impl FnMut(u64) -> Duration
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    move |iters| time(system, &mut client, path, iters)
}

struct Results {
    backend: TestBackend,
    cases: Vec<(String, usize)>,
    cases_run: Interleaved,
    parts: Vec<(String, usize)>,
    parts_run: Interleaved,
}

fn run_backend(
    criterion: &mut Criterion,
    system: &SystemRunner,
    db: &DatabaseConnection,
    q: &QueryCounter,
    backend: TestBackend,
) -> Results {
    let config = MultiAccountConfig::new(db.clone());
    let tab_config = MultiAccountConfig::new(db.clone()).with_tabs(Some(Tabs::default()));

    // (a) the baseline app, signed in as 1.
    let mut baseline = TestClient::new(system.block_on(baseline_service(db)));
    system.block_on(baseline.send(test::TestRequest::post().uri("/sign-in/1")));
    // (b) standard mode, signed in as 1.
    let mut standard = TestClient::new(system.block_on(full_service(&config, db)));
    system.block_on(standard.sign_in(&1));
    // (c)/(d) sessions with groups of 2, 6 and 11 (primary 1, linked 2..=n).
    let mut groups = Vec::new();
    for accounts in [2_i64, 6, 11] {
        let mut client = TestClient::new(system.block_on(full_service(&config, db)));
        system.block_on(async {
            client.sign_in(&1).await;
            for id in 2..=accounts {
                let done = client.complete_link(&1, &id).await;
                assert_eq!(done.status, StatusCode::SEE_OTHER, "linking {id}");
            }
            // Settle the session (the last link left the new account current).
            client.get("/bench/multi").await;
        });
        groups.push((accounts, client));
    }

    // Every case checks its answer and counts its queries once before timing.
    let mut cases = Vec::new();
    let queries = system.block_on(check(&mut baseline, q, "/me", "1"));
    let baseline_plain = same_session(system.block_on(baseline_service(db)), &baseline);
    cases.push(Case::new("a_baseline", queries, requests(system, baseline, "/me")));
    let queries = system.block_on(check(&mut standard, q, "/me", "1"));
    let standard_plain = same_session(system.block_on(full_service(&config, db)), &standard);
    cases.push(Case::new("b_standard", queries, requests(system, standard, "/me")));
    let mut naive_clients = Vec::new();
    let mut six_plain = None;
    let mut six_group_only = None;
    let mut six_json = None;
    for (accounts, mut client) in groups {
        let body = format!("{accounts}:{accounts}");
        let mut naive = same_session(system.block_on(full_service(&config, db)), &client);
        let naive_queries = system.block_on(check(&mut naive, q, "/bench/naive", &body));
        naive_clients.push((accounts, naive_queries, naive));
        if accounts == 6 {
            six_plain = Some(same_session(system.block_on(full_service(&config, db)), &client));
            six_group_only = Some(same_session(system.block_on(full_service(&config, db)), &client));
            six_json = Some(same_session(system.block_on(full_service(&config, db)), &client));
        }
        let queries = system.block_on(check(&mut client, q, "/bench/multi", &body));
        cases.push(Case::new(format!("c_multi_{accounts}"), queries, requests(system, client, "/bench/multi")));
        if let Some(mut json) = six_json.take() {
            let queries = system.block_on(check_json(&mut json, q, 6));
            // The same session with tabs on: its first request gives the six
            // accounts their slots (a session write), then the default account
            // unprefixed, and the account on slot 2 in its tab.
            let mut tabs = same_session(system.block_on(tab_service(&tab_config, db)), &json);
            cases.push(Case::new("c_json_6", queries, requests(system, json, JSON_ACCOUNTS)));
            let queries = system.block_on(check(&mut tabs, q, "/bench/multi", "6:6"));
            let mut tab = same_session(system.block_on(tab_service(&tab_config, db)), &tabs);
            let tab_queries = system.block_on(check(&mut tab, q, TAB_MULTI, "3:6"));
            cases.push(Case::new("c_multi_6_tabs", queries, requests(system, tabs, "/bench/multi")));
            cases.push(Case::new("c_tab_6", tab_queries, requests(system, tab, TAB_MULTI)));
        }
    }
    for (accounts, queries, client) in naive_clients {
        cases.push(Case::new(format!("d_naive_{accounts}"), queries, requests(system, client, "/bench/naive")));
    }

    let mut client = six_group_only.take().unwrap();
    let queries = system.block_on(check(&mut client, q, "/bench/group-only", "6:6"));
    cases.push(Case::new("p_group_only_6", queries, requests(system, client, "/bench/group-only")));
    let group_name = format!("request_cost_{backend}");
    common::criterion_group(criterion, &group_name, &mut cases);
    let cases_run = Interleaved::measure(&mut cases, rounds(), BATCH);

    // Where the time goes: the same apps and sessions without the database, and
    // the database work alone (no HTTP, no session).
    let mut parts = Vec::new();
    let mut client = baseline_plain;
    let queries = system.block_on(check(&mut client, q, "/plain", "plain"));
    parts.push(Case::new("p_baseline_plain", queries, requests(system, client, "/plain")));
    for (name, mut client) in [("p_standard_plain", standard_plain), ("p_multi_6_plain", six_plain.unwrap())] {
        let queries = system.block_on(check(&mut client, q, "/plain", "plain"));
        parts.push(Case::new(name, queries, requests(system, client, "/plain")));
    }
    let token = system.block_on(session_token_of_group(db, 5));
    let before = q.get();
    system.block_on(user::Entity::find_by_id(1).one(db)).unwrap().unwrap();
    parts.push(Case::new("p_db_find_by_id", q.get() - before, move |iters| {
        system.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(user::Entity::find_by_id(1).one(db).await.unwrap());
            }
            start.elapsed()
        })
    }));
    let before = q.get();
    let group6 = system.block_on(LinkService::<User>::group(db, &1, &token)).unwrap().unwrap();
    assert_eq!(group6.len(), 6);
    parts.push(Case::new("p_db_group_6", q.get() - before, move |iters| {
        system.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(LinkService::<User>::group(db, &1, &token).await.unwrap());
            }
            start.elapsed()
        })
    }));
    let parts_name = format!("request_cost_{backend}_parts");
    common::criterion_group(criterion, &parts_name, &mut parts);
    let parts_run = Interleaved::measure(&mut parts, rounds(), BATCH);

    Results { backend, cases: common::summaries(&cases), cases_run, parts: common::summaries(&parts), parts_run }
}

/// The session token of the session whose group has `links` links.
async fn session_token_of_group(db: &DatabaseConnection, links: usize) -> String {
    let all = linked_account::Entity::find().all(db).await.unwrap();
    let mut tokens: Vec<&str> = all.iter().map(|link| link.session_token.as_str()).collect();
    tokens.sort_unstable();
    tokens.dedup();
    // Not counting the group's own row (linked_user_id = primary_user_id).
    let links_of = |token: &str| {
        all.iter().filter(|link| link.session_token == token && link.linked_user_id != link.primary_user_id).count()
    };
    let token = tokens.into_iter().find(|token| links_of(token) == links);
    token.expect("a session with that many links").to_owned()
}

/// Interleaved rounds after criterion, for the paired ratios (one under
/// `cargo test --benches`).
fn rounds() -> usize {
    if common::wants_report() { 40 } else { 1 }
}
/// Time per case per round.
const BATCH: Duration = Duration::from_millis(25);

fn main() {
    let mut criterion = common::criterion();
    let system = System::new();
    let mut databases = Vec::new();
    for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
        if let Some(test) = system.block_on(support::database_on(backend, 11)) {
            databases.push(test);
        }
    }
    let connections: Vec<(TestBackend, DatabaseConnection, QueryCounter)> =
        databases.iter().map(|test| (test.backend, test.db.clone(), test.queries.clone())).collect();
    let bench = common::wants_report();
    let mut results = Vec::new();
    for (backend, db, queries) in &connections {
        let result = run_backend(&mut criterion, &system, db, queries, *backend);
        if bench {
            results.push(result);
        }
    }
    criterion.final_summary();

    for result in &results {
        let backend = result.backend;
        let group = format!("request_cost_{backend}");
        println!("\n## request_cost on {backend}: per-request cost through the real service\n");
        common::print_table(&group, &result.cases, &result.cases_run, "a_baseline");
        println!();
        common::target_check(&group, &result.cases_run, "c_multi_6", "<=", 1.3, "a_baseline");
        common::target_check(&group, &result.cases_run, "d_naive_6", ">=", 2.0, "c_multi_6");
        common::target_check(&group, &result.cases_run, "c_json_6", "<=", 1.05, "c_multi_6");
        common::target_check(&group, &result.cases_run, "c_multi_6_tabs", "<=", 1.05, "c_multi_6");
        common::target_check(&group, &result.cases_run, "c_tab_6", "<=", 1.05, "c_multi_6_tabs");
        let parts = format!("request_cost_{backend}_parts");
        println!("\n### where the time goes on {backend}: no database (`/plain`), and the database alone\n");
        common::print_table(&parts, &result.parts, &result.parts_run, "p_baseline_plain");
    }
    if !TestBackend::Postgres.is_available() {
        println!("\n(PostgreSQL skipped: set MULTI_ACCOUNT_TEST_POSTGRES_URL)");
    }
    drop(results);
    drop(databases);
}
