//! Tampered sessions (SPEC §4 Security model, rules 5 and 6): cookies that are
//! flipped, truncated or signed with another key read as signed out; session
//! values swapped, of the wrong JSON type or huge (written server-side through
//! the test-support route, as a forged-but-valid session would be) never give a
//! 5xx, never an account that did not sign in in this session, and never write a
//! link.
//!
//! The session is signed (and encrypted) by the app's key, so the loader trusts
//! it; what keeps a swapped value from reaching another account is that every
//! account is re-checked on every load: against the group in the database (ids and
//! the session token) and against the `auth_hash` fingerprint recorded at its own
//! sign-in in this session.

use crate::support::state;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::{client, configure, database, link_count, set_status, user::UserStatus};
use actix_http::Request;
use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::cookie::Key;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, test};
use multi_account_actix::test_support::{TestClient, test_key};
use multi_account_actix::{MultiAccountConfig, SessionToken};
use serde_json::{Value, json};

/// The test app with its cookie sessions handled by `sessions`.
async fn app_with(
    config: &MultiAccountConfig,
    sessions: SessionMiddleware<CookieSessionStore>,
) -> TestClient<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error>> {
    TestClient::new(test::init_service(App::new().configure(configure(config)).wrap(SessionToken).wrap(sessions)).await)
}

/// The raw JSON of one session entry, parsed.
async fn entry<S, B>(client: &mut TestClient<S>, key: &str) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let entries = client.session_entries().await;
    entries[key].as_str().map(|raw| serde_json::from_str(raw).expect("stored JSON")).unwrap_or(Value::Null)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// Everything a page or an attack can do with the session, checking that no
/// request fails with a 5xx, that only `allowed` accounts ever act, and that no
/// link is written. Returns the `/state` seen first.
async fn probe<S, B>(
    client: &mut TestClient<S>,
    db: &sea_orm::DatabaseConnection,
    allowed: &[&str],
    what: &str,
) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let links = link_count(db).await;
    let first = state(client).await;
    let check_state = |state: &str| {
        let fields: Vec<&str> = state.split(';').collect();
        let current = fields[0].strip_prefix("current=").expect("current field");
        assert!(current.is_empty() || allowed.contains(&current), "{what}: current {current} in {state}");
        let group = fields[2].strip_prefix("group=").expect("group field");
        for id in group.split(',').filter(|id| !id.is_empty()) {
            assert!(allowed.contains(&id), "{what}: {id} in the group: {state}");
        }
    };
    check_state(&first);
    let me = client.get("/me").await;
    assert!(me.status == StatusCode::UNAUTHORIZED || allowed.contains(&me.body.as_str()), "{what}: /me {me:?}");
    let switcher = client.get("/switcher.json").await;
    assert!(!switcher.status.is_server_error(), "{what}: /switcher.json {switcher:?}");
    for target in ["3", "999", "1", "2"] {
        let url = client.switch_url(&target).await;
        let switched = client.get(&url).await;
        assert!(!switched.status.is_server_error(), "{what}: switch to {target}: {switched:?}");
        if !allowed.contains(&target) {
            assert_eq!(switched.status, StatusCode::FORBIDDEN, "{what}: switch to {target}: {switched:?}");
        }
        check_state(&state(client).await);
    }
    for path in ["/link/p/1", "/link/p/3"] {
        let posted = client.post_with_csrf(path, &[]).await;
        assert!(!posted.status.is_server_error(), "{what}: POST {path}: {posted:?}");
        let started = client.post_with_csrf(&format!("{path}?start"), &[]).await;
        assert!(!started.status.is_server_error(), "{what}: POST {path}?start: {started:?}");
        check_state(&state(client).await);
        let page = client.get(path).await;
        assert!(!page.status.is_server_error(), "{what}: GET {path}: {page:?}");
        check_state(&state(client).await);
    }
    assert_eq!(link_count(db).await, links, "{what}: no link written");
    first
}

// A tampered or truncated session cookie reads as signed out.
#[tokio::test]
async fn a_tampered_session_cookie_reads_as_signed_out() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    assert_eq!(client.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER);
    assert_eq!(state(&mut client).await, "current=2;primary=1;group=1,2");
    let token = client.csrf().await;
    let genuine = client.cookies().clone();
    let value = genuine.get("id").expect("session cookie").clone();
    assert!(value.len() > 40, "cookie value: {value}");

    let flipped: String = value
        .chars()
        .enumerate()
        .map(|(i, c)| if (20..24).contains(&i) { if c == 'A' { 'B' } else { 'A' } } else { c })
        .collect();
    assert_ne!(flipped, value);
    let truncated = value[..value.len() / 2].to_owned();
    let garbage = "x".repeat(value.len());
    for (what, tampered) in
        [("flipped", flipped), ("truncated", truncated), ("garbage", garbage), ("empty", String::new())]
    {
        let mut cookies = genuine.clone();
        cookies.insert("id".into(), tampered);
        client.set_cookies(cookies);
        let read = client.get("/state").await;
        assert_eq!(read.status, StatusCode::OK, "{what}: {read:?}");
        assert_eq!(read.body, "current=;primary=;group=", "{what}");
        assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED, "{what}");
        for response in [
            client.get(&format!("/link/switch_to/1?csrf_token={token}")).await,
            client.post_form("/link/p/1", &[("csrf_token", &token)]).await,
            client.post_form("/link/p/1?start", &[("csrf_token", &token)]).await,
            client.post_form("/link/remove/2", &[("csrf_token", &token)]).await,
            client.post_form("/link/sign-out-all", &[("csrf_token", &token)]).await,
            client.get("/link/p/1").await,
            client.get("/switcher.json").await,
        ] {
            assert!(!response.status.is_server_error(), "{what}: {response:?}");
            assert!(response.status != StatusCode::SEE_OTHER, "{what}: no state change: {response:?}");
        }
        assert_eq!(link_count(&test.db).await, 1, "{what}: the link survives");
    }

    // Control: the genuine cookie still reads as signed in.
    client.set_cookies(genuine);
    assert_eq!(state(&mut client).await, "current=2;primary=1;group=1,2");
}

// A perfectly valid session of another app (another key), or of this key but not
// encrypted (signed only), is not a session here: signed out, both ways.
#[tokio::test]
async fn a_cookie_from_another_key_or_format_reads_as_signed_out() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let other_key =
        SessionMiddleware::builder(CookieSessionStore::default(), Key::from(&[9_u8; 64])).cookie_secure(false).build();
    let signed_only = SessionMiddleware::builder(CookieSessionStore::default(), test_key())
        .cookie_secure(false)
        .cookie_content_security(CookieContentSecurity::Signed)
        .build();
    let mut ours = client(&config).await;

    for (what, sessions) in [("another key", other_key), ("signed, not encrypted", signed_only)] {
        let mut foreign = app_with(&config, sessions).await;
        foreign.sign_in(&1).await;
        assert_eq!(foreign.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER, "{what}");
        assert_eq!(state(&mut foreign).await, "current=2;primary=1;group=1,2", "{what}: signed in there");
        let token = foreign.csrf().await;
        let links = link_count(&test.db).await;

        // Its cookie, replayed against this app.
        ours.set_cookies(foreign.cookies().clone());
        assert_eq!(state(&mut ours).await, "current=;primary=;group=", "{what}");
        ours.set_cookies(foreign.cookies().clone());
        assert_eq!(ours.get("/me").await.status, StatusCode::UNAUTHORIZED, "{what}");
        for (target, path) in [(1, "/link/switch_to/1"), (2, "/link/switch_to/2")] {
            ours.set_cookies(foreign.cookies().clone());
            let switched = ours.get(&format!("{path}?csrf_token={token}")).await;
            assert_eq!(switched.status, StatusCode::FORBIDDEN, "{what}: switch to {target}: {switched:?}");
        }
        for path in ["/link/remove/2", "/link/sign-out-all", "/link/p/1"] {
            ours.set_cookies(foreign.cookies().clone());
            let posted = ours.post_form(path, &[("csrf_token", &token)]).await;
            assert_eq!(posted.status, StatusCode::FORBIDDEN, "{what}: {path}: {posted:?}");
        }
        assert_eq!(link_count(&test.db).await, links, "{what}: nothing written");

        // And ours, replayed against the other app.
        ours.set_cookies(Default::default());
        ours.sign_in(&3).await;
        foreign.set_cookies(ours.cookies().clone());
        assert_eq!(state(&mut foreign).await, "current=;primary=;group=", "{what}: ours over there");
    }
}

// Swapped, wrong-typed and huge session values over a genuine linked session
// (1 primary, 2 linked; 3 exists but never signed in here; 4 is inactive; 999
// does not exist; another browser linked 3 to 1 with its own token).
#[tokio::test]
async fn swapped_wrong_typed_and_huge_session_values() {
    let test = database(4).await;
    set_status(&test.db, 4, UserStatus::Inactive).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut other = client(&config).await;
    other.sign_in(&1).await;
    other.complete_link(&1, &3).await;
    let other_token = entry(&mut other, "session_token").await;
    let other_csrf = other.csrf().await;

    let huge = "9".repeat(2500);
    let huge_subject = format!("user?id={huge}");
    let intent = json!({ "primary": "1", "created_at": now(), "return_to": "/" });
    let signed_out = "current=;primary=;group=";
    let on_primary = "current=1;primary=1;group=1,2";
    let linked = "current=2;primary=1;group=1,2";
    let standard_2 = "current=2;primary=;group=";
    // (what, entries, the first /state expected, if it is certain)
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        ("user: another account's subject", json!({ "user": "user?id=3" }), Some(on_primary)),
        (
            "user: another account's subject, intent pending",
            json!({ "user": "user?id=3", "_multi_account_link_intent": intent }),
            Some(on_primary),
        ),
        ("user: an inactive account", json!({ "user": "user?id=4" }), Some(on_primary)),
        ("user: no such account", json!({ "user": "user?id=999" }), Some(on_primary)),
        ("user: another short name", json!({ "user": "admin?id=1" }), Some(signed_out)),
        ("user: non-canonical id", json!({ "user": "user?id=02" }), Some(signed_out)),
        ("primary: an account that never signed in here", json!({ "primary_user_id": "3" }), Some(signed_out)),
        (
            "primary and user: an account that never signed in here",
            json!({ "primary_user_id": "3", "user": "user?id=3" }),
            Some(signed_out),
        ),
        ("primary: no such account", json!({ "primary_user_id": "999" }), Some(standard_2)),
        ("primary: an inactive account", json!({ "primary_user_id": "4" }), Some(standard_2)),
        ("primary: the linked account", json!({ "primary_user_id": "2" }), None),
        (
            "session_token: matches no link",
            json!({ "session_token": "0".repeat(32) }),
            Some("current=1;primary=1;group=1"),
        ),
        (
            "session_token: another browser's",
            json!({ "session_token": other_token }),
            Some("current=1;primary=1;group=1"),
        ),
        ("csrf: another browser's", json!({ "_multi_account_csrf": other_csrf }), Some(linked)),
        ("user: a number", json!({ "user": 2 }), Some(signed_out)),
        ("user: true", json!({ "user": true }), Some(signed_out)),
        ("user: an array", json!({ "user": ["user?id=2"] }), Some(signed_out)),
        ("user: an object", json!({ "user": { "id": 2 } }), Some(signed_out)),
        ("primary: a number", json!({ "primary_user_id": 1 }), Some(standard_2)),
        ("primary: null", json!({ "primary_user_id": null }), Some(standard_2)),
        ("session_token: a number", json!({ "session_token": 12 }), Some("current=1;primary=1;group=1")),
        ("session_token: empty", json!({ "session_token": "" }), Some("current=1;primary=1;group=1")),
        (
            "session_token: 65 characters",
            json!({ "session_token": "a".repeat(65) }),
            Some("current=1;primary=1;group=1"),
        ),
        ("csrf: a number", json!({ "_multi_account_csrf": 7 }), Some(linked)),
        ("intent: a string", json!({ "_multi_account_link_intent": "1" }), Some(linked)),
        (
            "intent: wrong field types",
            json!({ "_multi_account_link_intent": { "primary": 1, "created_at": "now", "return_to": 5 } }),
            Some(linked),
        ),
        (
            "intent: another primary",
            json!({
                "_multi_account_link_intent": { "primary": "3", "created_at": now(), "return_to": "//evil.example" }
            }),
            Some(linked),
        ),
        ("fingerprints: an array", json!({ "_multi_account_auth": [] }), Some(signed_out)),
        ("fingerprints: wrong types", json!({ "_multi_account_auth": { "1": 5, "2": null } }), Some(signed_out)),
        (
            "fingerprints: wrong values",
            json!({ "_multi_account_auth": { "1": "00", "2": "00", "3": "00" } }),
            Some(signed_out),
        ),
        ("flash: a number", json!({ "_multi_account_flash": 5 }), Some(linked)),
        ("user: huge", json!({ "user": huge_subject }), Some(signed_out)),
        ("primary: huge", json!({ "primary_user_id": huge }), Some(standard_2)),
        ("session_token: huge", json!({ "session_token": huge }), Some("current=1;primary=1;group=1")),
        ("csrf: huge", json!({ "_multi_account_csrf": huge }), Some(linked)),
        ("unknown key: huge", json!({ "x": huge }), Some(linked)),
        (
            "every key: null",
            json!({
                "user": null,
                "primary_user_id": null,
                "session_token": null,
                "_multi_account_csrf": null,
                "_multi_account_link_intent": null,
                "_multi_account_auth": null,
            }),
            Some(signed_out),
        ),
    ];

    for (what, entries, expected) in cases {
        let mut client = client(&config).await;
        client.sign_in(&1).await;
        assert_eq!(client.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER, "{what}");
        assert_eq!(state(&mut client).await, linked, "{what}");
        let links = link_count(&test.db).await;
        let written = client.put_session(entries).await;
        assert_eq!(written.status, StatusCode::NO_CONTENT, "{what}: writing the session: {written:?}");
        let first = probe(&mut client, &test.db, &["1", "2"], what).await;
        if let Some(expected) = expected {
            assert_eq!(first, expected, "{what}");
        }
        assert_eq!(link_count(&test.db).await, links, "{what}: no link written");
    }
}

// A fabricated session (nobody signed in with this cookie) naming accounts in
// every way is never signed in at all, and writes nothing.
#[tokio::test]
async fn a_fabricated_session_signs_in_nobody() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut genuine = client(&config).await;
    genuine.sign_in(&1).await;
    genuine.complete_link(&1, &2).await;
    let token = entry(&mut genuine, "session_token").await;

    let cases = [
        json!({ "user": "user?id=1" }),
        json!({ "user": "user?id=2", "primary_user_id": "1", "session_token": token }),
        json!({ "user": "user?id=1", "primary_user_id": "1", "session_token": token, "_multi_account_auth": {} }),
        json!({
            "user": "user?id=2",
            "primary_user_id": "1",
            "_multi_account_link_intent": { "primary": "1", "created_at": now(), "return_to": "/" },
        }),
        json!({ "primary_user_id": "1", "session_token": token }),
    ];
    for entries in cases {
        let what = entries.to_string();
        let mut client = client(&config).await;
        assert_eq!(client.put_session(entries).await.status, StatusCode::NO_CONTENT);
        let first = probe(&mut client, &test.db, &[], &what).await;
        assert_eq!(first, "current=;primary=;group=", "{what}");
    }
    assert_eq!(state(&mut genuine).await, "current=2;primary=1;group=1,2", "the genuine session is untouched");
}
