//! The complete query-count matrix of the per-request loader, through the real
//! service (the adapter's routes, layer and session store) on every backend:
//!
//! | session                         | handler                     | queries |
//! |---------------------------------|-----------------------------|---------|
//! | signed out                      | any extractor               | 0       |
//! | standard (one account)          | any extractor, or several   | 1       |
//! | multi-account, 2 / 6 / 11 accts | any extractor, or several   | 1       |
//! | any                             | extracts nothing            | 0       |
//! | feature gate off                | any extractor               | 1 (the app's own user load) |
//! | feature gate off                | extracts nothing            | 0       |
//!
//! Every count is taken around exactly one request, and the response body is
//! checked too, so a count cannot pass on a request that silently did nothing.

use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::app::{SuiteUser, counted_database};
use crate::client::{Client, Harness, Options, Reply};

/// Sends one GET and returns the response with the number of statements it ran.
async fn counted(client: &mut impl Client, queries: &AtomicUsize, path: &str) -> (Reply, usize) {
    let before = queries.load(Ordering::SeqCst);
    let response = client.get(path).await;
    (response, queries.load(Ordering::SeqCst) - before)
}

/// Asserts `path` answers `body` in exactly `expected` queries.
async fn assert_queries(
    client: &mut impl Client,
    queries: &AtomicUsize,
    path: &str,
    body: &str,
    expected: usize,
    what: impl Display,
) {
    let (response, count) = counted(client, queries, path).await;
    assert_eq!(response.status, 200, "{what}: GET {path}: {}", response.body);
    assert_eq!(response.body, body, "{what}: GET {path}");
    assert_eq!(count, expected, "{what}: GET {path} ran {count} queries, expected {expected}");
}

/// `1,2,..,n`
fn ids(n: i64) -> String {
    (1..=n).map(|id| id.to_string()).collect::<Vec<_>>().join(",")
}

/// Signs in as 1 and links 2..=accounts; the last linked account is current.
async fn group_of(client: &mut impl Client, accounts: i64) {
    client.sign_in(1).await;
    for id in 2..=accounts {
        let done = client.complete_link(1, id).await;
        assert_eq!(done.status, 303, "linking {id}: {}", done.body);
    }
}

/// The multi-account rows of the matrix for a group of `accounts` (primary plus
/// `accounts - 1` links): one query per request, whatever the handler extracts.
async fn one_query_per_request_for_a_group_of<U: SuiteUser>(harness: &impl Harness, accounts: i64) {
    let (db, _guard, queries) = counted_database(accounts).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    group_of(&mut client, accounts).await;
    let q = &queries;
    let what = format!("multi-account mode, {accounts} accounts");
    let group = ids(accounts);

    let state = format!("current={accounts};primary=1;group={group}");
    assert_queries(&mut client, q, "/state", &state, 1, &what).await;
    assert_queries(&mut client, q, "/me", &accounts.to_string(), 1, &what).await;
    assert_queries(&mut client, q, "/primary", "1", 1, &what).await;
    // Two extractors in one handler share the one load.
    assert_queries(&mut client, q, "/both", &format!("{accounts}:{accounts}"), 1, &what).await;
    let (switcher, count) = counted(&mut client, q, "/switcher.json").await;
    assert_eq!(switcher.status, 200, "{what}: {}", switcher.body);
    let switcher: serde_json::Value = serde_json::from_str(&switcher.body).unwrap();
    assert_eq!(switcher["accounts"].as_array().map(Vec::len), Some(accounts as usize), "{what}: {switcher}");
    assert_eq!(count, 1, "{what}: the switcher view model costs no extra query");
    assert_queries(&mut client, q, "/plain", "plain", 0, &what).await;

    // Repeated requests stay at one each (nothing is cached across requests, and
    // nothing accumulates either).
    let before = q.load(Ordering::SeqCst);
    for _ in 0..5 {
        assert_eq!(client.get("/state").await.body, state);
    }
    assert_eq!(q.load(Ordering::SeqCst) - before, 5, "{what}: five requests, five queries");

    // After a switch to the primary, still one query.
    let url = client.switch_url(1).await;
    assert_eq!(client.get(&url).await.status, 303);
    let state = format!("current=1;primary=1;group={group}");
    assert_queries(&mut client, q, "/state", &state, 1, format!("{what}, switched to the primary")).await;
}

/// Two accounts: one query per request, whatever the handler extracts.
pub async fn multi_account_mode_two_accounts_is_one_query_per_request<U: SuiteUser>(harness: &impl Harness) {
    one_query_per_request_for_a_group_of::<U>(harness, 2).await;
}

/// Six accounts: one query per request, whatever the handler extracts.
pub async fn multi_account_mode_six_accounts_is_one_query_per_request<U: SuiteUser>(harness: &impl Harness) {
    one_query_per_request_for_a_group_of::<U>(harness, 6).await;
}

/// Eleven accounts (the largest group): one query per request.
pub async fn multi_account_mode_eleven_accounts_is_one_query_per_request<U: SuiteUser>(harness: &impl Harness) {
    // The test user allows 10 linked accounts: primary + 10 is the largest group.
    one_query_per_request_for_a_group_of::<U>(harness, 11).await;
}

/// Signed out: no query; one account: the user load, once, whatever the
/// handler asks.
pub async fn standard_mode_is_at_most_one_query_per_request<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard, queries) = counted_database(2).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    let q = &queries;

    // Signed out: nothing to load.
    assert_queries(&mut client, q, "/state", "current=;primary=;group=", 0, "signed out").await;
    let (me, count) = counted(&mut client, q, "/current").await;
    assert_eq!(me.status, 401);
    assert_eq!(count, 0, "signed out: /me runs no query");
    assert_queries(&mut client, q, "/plain", "plain", 0, "signed out").await;

    // Signed in to one account: the user load, once, whatever the handler asks.
    client.sign_in(2).await;
    let what = "standard mode";
    assert_queries(&mut client, q, "/state", "current=2;primary=;group=", 1, what).await;
    assert_queries(&mut client, q, "/me", "2", 1, what).await;
    assert_queries(&mut client, q, "/both", "2:1", 1, what).await;
    // No primary outside multi-account mode, and no extra query to find that out.
    assert_queries(&mut client, q, "/primary", "", 1, what).await;
    assert_queries(&mut client, q, "/plain", "plain", 0, what).await;
}

/// A handler that extracts nothing runs no query, in any mode.
pub async fn a_handler_that_extracts_nothing_runs_no_query_in_any_mode<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard, queries) = counted_database(6).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    let q = &queries;
    assert_queries(&mut client, q, "/plain", "plain", 0, "signed out").await;
    client.sign_in(1).await;
    assert_queries(&mut client, q, "/plain", "plain", 0, "standard mode").await;
    // Links 2..=6 (signing in as 1 again on the way).
    group_of(&mut client, 6).await;
    assert_queries(&mut client, q, "/plain", "plain", 0, "multi-account mode").await;
    client.set_enabled(false);
    assert_queries(&mut client, q, "/plain", "plain", 0, "feature gate off").await;
}

/// With the feature gate off: the app's own user load and nothing more; the
/// disabled routes touch no database.
pub async fn the_feature_gate_off_adds_no_query_to_the_apps_own_user_load<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard, queries) = counted_database(6).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    let q = &queries;

    // A standard session with the gate off: the one user load.
    client.sign_in(3).await;
    client.set_enabled(false);
    let what = "gate off, standard session";
    assert_queries(&mut client, q, "/me", "3", 1, what).await;
    assert_queries(&mut client, q, "/state", "current=3;primary=;group=", 1, what).await;
    client.set_enabled(true);

    // A six-account session sitting on a linked account: the gate off sends it
    // back to its primary, still with the one user load and nothing else.
    group_of(&mut client, 6).await;
    assert_queries(&mut client, q, "/me", "6", 1, "gate on").await;
    client.set_enabled(false);
    let what = "gate off, six-account session";
    assert_queries(&mut client, q, "/state", "current=1;primary=;group=", 1, what).await;
    assert_queries(&mut client, q, "/me", "1", 1, what).await;
    assert_queries(&mut client, q, "/both", "1:1", 1, what).await;
    assert_queries(&mut client, q, "/primary", "", 1, what).await;
    assert_queries(&mut client, q, "/plain", "plain", 0, what).await;
    // The multi-account routes are off too, without touching the database.
    let (link, count) = counted(&mut client, q, "/link/p/1").await;
    assert_eq!(link.status, 404);
    assert_eq!(count, 0, "{what}: a disabled route runs no query");
    let token = client.csrf().await;
    let before = q.load(Ordering::SeqCst);
    let started = client.post_form("/link/p/1?start", &[("csrf_token", &token)]).await;
    assert_eq!(started.status, 404);
    assert_eq!(q.load(Ordering::SeqCst) - before, 0, "{what}: a disabled link start runs no query");

    client.set_enabled(true);
    let state = format!("current=1;primary=1;group={}", ids(6));
    assert_queries(&mut client, q, "/state", &state, 1, "gate back on").await;
}

/// One query per request in multi-account mode, however big the group; the
/// app's own user load in standard mode; none for a page that extracts nothing.
pub async fn one_query_per_request_at_any_group_size<U: SuiteUser>(harness: &impl Harness) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (db, _guard, statements) = counted_database(11).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    async fn counted(client: &mut impl Client, statements: &AtomicUsize, path: &str) -> usize {
        let before = statements.load(Ordering::SeqCst);
        let reply = client.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
        statements.load(Ordering::SeqCst) - before
    }
    assert_eq!(counted(&mut client, &statements, "/state").await, 0, "signed out");
    client.sign_in(1).await;
    assert_eq!(counted(&mut client, &statements, "/state").await, 1, "standard mode");
    assert_eq!(counted(&mut client, &statements, "/plain").await, 0, "no extractor");
    for linked in 2..=11 {
        assert_eq!(client.complete_link(1, linked).await.status, 303, "linking {linked}");
        if [2, 6, 11].contains(&linked) {
            assert_eq!(counted(&mut client, &statements, "/state").await, 1, "{linked} accounts");
            assert_eq!(counted(&mut client, &statements, "/me").await, 1, "{linked} accounts");
            assert_eq!(counted(&mut client, &statements, "/plain").await, 0, "{linked} accounts");
        }
    }
    assert_eq!(client.state().await, "current=11;primary=1;group=1,2,3,4,5,6,7,8,9,10,11");
}
