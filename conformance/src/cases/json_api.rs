//! The JSON API: every flow over JSON, under the same rules as the HTML routes
//! (the CSRF token in `X-CSRF-Token`, same-origin, a renewed session and a
//! rotated token on every privilege change), every refusal JSON with its
//! stable code, and no credential in any answer.

use crate::app::{SuiteUser, counted_database, database, link_count, link_rows_with_tokens, set_status};
use crate::cases::SIGNED_OUT;
use crate::client::{Client, Harness, Options, Reply};
use crate::json::{self, API, account, assert_refused, current, ids};

/// What the session holds that is a credential: its link token and group
/// identity. No answer may carry them.
async fn credentials(client: &mut impl Client) -> Vec<String> {
    let entries = client.session_entries().await;
    ["session_token", "_multi_account_group"]
        .iter()
        .filter_map(|key| entries[*key].as_str().map(str::to_owned))
        .filter(|value| !value.is_empty())
        .collect()
}

#[track_caller]
fn assert_no_credential(reply: &Reply, credentials: &[String]) {
    for credential in credentials {
        assert!(!reply.body.contains(credential.as_str()), "an answer carries a credential: {reply:?}");
    }
}

/// Signed out, sign in, add two accounts, switch, remove, sign out of all —
/// all over JSON, each answer the accounts as the change left them.
pub async fn json_a_full_round_of_every_flow<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;

    let signed_out = json::accounts(&mut client).await;
    assert_eq!(ids(&signed_out), Vec::<i64>::new());
    assert_eq!(signed_out["actions"], serde_json::json!([]));
    assert!(signed_out["csrf_token"].as_str().is_some_and(|token| !token.is_empty()), "a token for the sign-in");

    client.sign_in(1).await;
    let alone = json::accounts(&mut client).await;
    assert_eq!((ids(&alone), current(&alone)), (vec![1], Some(1)));
    assert_eq!(account(&alone, 1)["primary"], true);
    assert_eq!(account(&alone, 1)["actions"], serde_json::json!([]));
    assert_eq!(alone["actions"], serde_json::json!(["add_account", "sign_out_all"]));

    let started = json::post_with_token(&mut client, "link/start").await;
    let started_body = json::body(&started);
    assert_eq!(started.status, 200, "{started:?}");
    assert_eq!(started_body["complete"], format!("{API}/link/complete"));
    assert!(started_body["expires_in"].as_u64().is_some_and(|seconds| seconds > 0), "{started:?}");
    assert!(started_body["sign_in"].as_str().is_some_and(|path| path.starts_with('/')), "{started:?}");
    let secrets = credentials(&mut client).await;
    assert!(!secrets.is_empty(), "a group has a token and an identity");
    assert_no_credential(&started, &secrets);

    client.sign_in(2).await;
    let pending = json::accounts(&mut client).await;
    assert_eq!((ids(&pending), current(&pending)), (vec![1, 2], Some(2)));
    assert_eq!(account(&pending, 2)["pending"], true);
    assert_eq!(account(&pending, 2)["actions"], serde_json::json!(["finish_link"]));
    assert_eq!(link_count(&db).await, 0, "not linked before the completion");

    let completed = json::post_with_token(&mut client, "link/complete").await;
    assert_eq!(completed.status, 200, "{completed:?}");
    let group = json::body(&completed);
    assert_eq!((ids(&group), current(&group)), (vec![1, 2], Some(2)));
    assert_eq!(account(&group, 2)["pending"], false);
    assert_eq!(account(&group, 1)["actions"], serde_json::json!(["switch"]));
    assert_eq!(account(&group, 2)["actions"], serde_json::json!(["remove"]));
    assert_eq!(link_count(&db).await, 1);
    let secrets = credentials(&mut client).await;
    assert_no_credential(&completed, &secrets);

    assert_eq!(json::link(&mut client, 3).await.status, 200);
    let switched = json::post_with_token(&mut client, "switch/1").await;
    assert_eq!(switched.status, 200, "{switched:?}");
    let switched = json::body(&switched);
    assert_eq!((ids(&switched), current(&switched)), (vec![1, 2, 3], Some(1)));
    assert_eq!(client.get("/me").await.body, "1", "the HTML side agrees");

    let removed = json::post_with_token(&mut client, "remove/2").await;
    assert_eq!(removed.status, 200, "{removed:?}");
    assert_eq!(ids(&json::body(&removed)), vec![1, 3]);
    assert_eq!(link_count(&db).await, 1);

    let secrets = credentials(&mut client).await;
    let out = json::post_with_token(&mut client, "sign-out-all").await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_no_credential(&out, &secrets);
    assert_eq!(json::body(&out), serde_json::json!({"accounts": [], "actions": [], "csrf_token": null}));
    assert_eq!(client.state().await, SIGNED_OUT);
    assert!(link_rows_with_tokens(&db).await.is_empty(), "every link revoked");
}

/// Each state change over JSON needs this session's token in `X-CSRF-Token`
/// (a form field is not read, a wrong or missing header refused), and a
/// cross-site request is refused even with the right token. Nothing changes.
pub async fn json_state_changes_need_the_header_token_and_a_same_origin_request<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    assert_eq!(json::link(&mut client, 2).await.status, 200);
    let token = json::token(&mut client).await;
    let state = client.state().await;
    let rows = link_rows_with_tokens(&db).await;
    for route in ["switch/1", "remove/2", "sign-out-all", "link/start", "link/complete"] {
        let missing = json::post(&mut client, route, None).await;
        assert_refused(&missing, 403, "csrf");
        let wrong = json::post(&mut client, route, Some("0123456789abcdef0123456789abcdef")).await;
        assert_refused(&wrong, 403, "csrf");
        let path = format!("{API}/{route}");
        let in_a_form = client.post_form(&path, &[("csrf_token", &token)]).await;
        assert_refused(&in_a_form, 403, "csrf");
        for headers in [
            vec![("x-csrf-token", token.as_bytes()), ("sec-fetch-site", b"cross-site".as_slice())],
            vec![("x-csrf-token", token.as_bytes()), ("origin", b"https://evil.example".as_slice())],
            vec![("x-csrf-token", token.as_bytes()), ("sec-fetch-site", b"same-site".as_slice())],
        ] {
            let cross = client.request("POST", &path, &headers, b"").await;
            let body = assert_refused(&cross, 403, "forbidden");
            assert_eq!(body["message"], "forbidden", "the reason stays in the logs");
        }
        for refused in [&missing, &wrong, &in_a_form] {
            assert!(!refused.set_cookie, "{route}: a refused request writes no session: {refused:?}");
        }
        assert_eq!(client.state().await, state, "{route}: nothing changed");
        assert_eq!(link_rows_with_tokens(&db).await, rows, "{route}: no row changed");
    }
    // And the same request with the right header is taken.
    assert_eq!(json::post(&mut client, "switch/1", Some(&token)).await.status, 200);
}

/// Every refusal is JSON with its stable code and status — never HTML, a
/// redirect or a 500.
pub async fn json_refusals_are_json_with_stable_codes<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;

    // Signed out.
    let token = json::token(&mut client).await;
    assert_refused(&json::post(&mut client, "switch/1", Some(&token)).await, 403, "forbidden");
    assert_refused(&json::post(&mut client, "link/start", Some(&token)).await, 401, "unauthorized");
    assert_refused(&json::post(&mut client, "link/complete", Some(&token)).await, 403, "forbidden");

    client.sign_in(1).await;
    assert_eq!(json::link(&mut client, 2).await.status, 200);
    assert_refused(&json::post_with_token(&mut client, "switch/abc").await, 400, "malformed_id");
    assert_refused(&json::post_with_token(&mut client, "remove/%00").await, 400, "malformed_id");
    assert_refused(&json::post_with_token(&mut client, "switch/%FF").await, 400, "malformed_id");
    assert_refused(&json::post_with_token(&mut client, "remove/%C3%28").await, 400, "malformed_id");
    let long = format!("switch/{}", "9".repeat(4096));
    assert_refused(&json::post_with_token(&mut client, &long).await, 400, "malformed_id");
    assert_refused(&json::post_with_token(&mut client, "switch/3").await, 403, "not_in_group");
    assert_refused(&json::post_with_token(&mut client, "remove/3").await, 403, "not_in_group");
    assert_refused(&json::post_with_token(&mut client, "remove/1").await, 409, "primary_cannot_be_removed");
    assert_eq!(link_count(&db).await, 1, "the primary stays, and its link");
    // No intent: nothing to complete.
    assert_refused(&json::post_with_token(&mut client, "link/complete").await, 403, "forbidden");

    // A member signs in again during a new intent: it is in the group already.
    assert_eq!(json::post_with_token(&mut client, "link/start").await.status, 200);
    client.sign_in(2).await;
    let rows = link_rows_with_tokens(&db).await;
    assert_refused(&json::post_with_token(&mut client, "link/complete").await, 409, "already_in_group");
    assert_eq!(link_rows_with_tokens(&db).await, rows, "nothing moved");

    // An account deactivated after it signed in to be added: the request's load
    // already puts the session back on its primary, so there is nothing to
    // complete (`inactive` is the answer only when it happens between that
    // load and the link's own re-check).
    assert_eq!(json::post_with_token(&mut client, "link/start").await.status, 200);
    client.sign_in(3).await;
    set_status(&db, 3, "inactive").await;
    assert_refused(&json::post_with_token(&mut client, "link/complete").await, 403, "forbidden");
    assert_eq!(current(&json::accounts(&mut client).await), Some(1));
    assert_eq!(link_count(&db).await, 1);

    // The feature gate off.
    client.set_enabled(false);
    assert_refused(&json::post_with_token(&mut client, "switch/1").await, 404, "disabled");
    client.set_enabled(true);
}

/// A full group refuses the next link with `too_many_linked_accounts`, and the
/// session is back on its primary.
pub async fn json_a_full_group_refuses_the_next_link<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(12).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    for id in 2..=11 {
        assert_eq!(json::link(&mut client, id).await.status, 200, "linking {id}");
    }
    let refused = json::link(&mut client, 12).await;
    assert_refused(&refused, 409, "too_many_linked_accounts");
    assert_eq!(link_count(&db).await, 10);
    assert_eq!(current(&json::accounts(&mut client).await), Some(1), "back on the primary");
}

/// Every privilege change over JSON gives a new session cookie and a new token
/// (answered in the body), and the token from before is dead.
pub async fn json_privilege_changes_renew_the_session_and_rotate_the_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    assert_eq!(json::post_with_token(&mut client, "link/start").await.status, 200);
    client.sign_in(2).await;
    let mut token = json::token(&mut client).await;
    for route in ["link/complete", "switch/1", "remove/2"] {
        let cookie = client.cookies();
        let reply = json::post(&mut client, route, Some(&token)).await;
        assert_eq!(reply.status, 200, "{route}: {reply:?}");
        assert!(reply.set_cookie && client.cookies() != cookie, "{route}: a new session cookie");
        let answered = json::body(&reply)["csrf_token"].as_str().expect("a token").to_owned();
        assert_ne!(answered, token, "{route}: the token rotated");
        assert_eq!(json::token(&mut client).await, answered, "{route}: the answered token is the session's");
        assert_refused(&json::post(&mut client, "switch/1", Some(&token)).await, 403, "csrf");
        token = answered;
    }
}

/// `GET accounts` is one statement at six accounts, as the HTML extractor is,
/// and none when signed out.
pub async fn json_accounts_is_one_statement_at_six_accounts<U: SuiteUser>(harness: &impl Harness) {
    use std::sync::atomic::Ordering;
    let (db, _guard, statements) = counted_database(6).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    let before = statements.load(Ordering::SeqCst);
    assert_eq!(ids(&json::accounts(&mut client).await), Vec::<i64>::new());
    assert_eq!(statements.load(Ordering::SeqCst) - before, 0, "signed out: no statement");
    client.sign_in(1).await;
    for id in 2..=6 {
        assert_eq!(json::link(&mut client, id).await.status, 200);
    }
    let before = statements.load(Ordering::SeqCst);
    let accounts = json::accounts(&mut client).await;
    assert_eq!(ids(&accounts), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(statements.load(Ordering::SeqCst) - before, 1, "one statement for the group of six");
}

/// The API under a custom prefix.
pub async fn json_api_mounts_at_a_custom_prefix<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let paths = multi_account::session::Paths { api: "/api/accounts-v1".into(), ..Default::default() };
    let options = Options { paths: Some(paths), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    let reply = client.get("/api/accounts-v1/accounts").await;
    assert_eq!(ids(&json::body(&reply)), vec![1]);
    assert_eq!(client.get(&format!("{API}/accounts")).await.status, 404, "not at the default prefix");
    let token = json::body(&reply)["csrf_token"].as_str().expect("a token").to_owned();
    let started =
        client.request("POST", "/api/accounts-v1/link/start", &[("x-csrf-token", token.as_bytes())], b"").await;
    assert_eq!(json::body(&started)["complete"], "/api/accounts-v1/link/complete");
}
