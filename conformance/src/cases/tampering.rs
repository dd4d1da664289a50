//! Tampered sessions (SPEC §4 Security model, rules 5 and 6): session cookies
//! that are flipped, truncated or garbage read as signed out; session values
//! swapped, of the wrong JSON type or huge (written server-side through the
//! test-support route, as a forged-but-valid session would be) never give a
//! 5xx, never an account that did not sign in in this session, and never write
//! a link.
//!
//! The session is the app's own, so the loader trusts it; what keeps a swapped
//! value from reaching another account is that every account is re-checked on
//! every load: against the group in the database (ids and the session token)
//! and against the sign-in recorded for it in this session.

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::app::{SuiteUser, database, link_count, set_status};
use crate::client::{Client, Harness, Options, SESSION_COOKIE};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// Everything a page or an attack can do with the session, checking that no
/// request fails with a 5xx, that only `allowed` accounts ever act, and that no
/// link is written. Returns the `/state` seen first.
async fn probe(client: &mut impl Client, db: &DatabaseConnection, allowed: &[&str], what: &str) -> String {
    let links = link_count(db).await;
    let first = client.state().await;
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
    let me = client.get("/current").await;
    assert!(me.status == 401 || allowed.contains(&me.body.as_str()), "{what}: /me {me:?}");
    let switcher = client.get("/switcher.json").await;
    assert!(!switcher.is_server_error(), "{what}: /switcher.json {switcher:?}");
    for target in ["3", "999", "1", "2"] {
        let url = client.switch_url(target).await;
        let switched = client.get(&url).await;
        assert!(!switched.is_server_error(), "{what}: switch to {target}: {switched:?}");
        if !allowed.contains(&target) {
            assert_eq!(switched.status, 403, "{what}: switch to {target}: {switched:?}");
        }
        check_state(&client.state().await);
    }
    for path in ["/link/p/1", "/link/p/3"] {
        let posted = client.post_with_csrf(path).await;
        assert!(!posted.is_server_error(), "{what}: POST {path}: {posted:?}");
        let started = client.post_with_csrf(&format!("{path}?start")).await;
        assert!(!started.is_server_error(), "{what}: POST {path}?start: {started:?}");
        check_state(&client.state().await);
        let page = client.get(path).await;
        assert!(!page.is_server_error(), "{what}: GET {path}: {page:?}");
        check_state(&client.state().await);
    }
    assert_eq!(link_count(db).await, links, "{what}: no link written");
    first
}

/// A tampered, truncated, garbage or empty session cookie reads as signed out,
/// and nothing it sends changes state or writes a link.
pub async fn a_tampered_session_cookie_reads_as_signed_out<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    let token = client.csrf().await;
    let genuine = client.cookies();
    let value = genuine.get(SESSION_COOKIE).expect("session cookie").clone();
    assert!(value.len() >= 16, "cookie value: {value}");

    // Four characters in the middle flipped (an id store's id, a cookie store's sealed value).
    let middle = value.len() / 2 - 2..value.len() / 2 + 2;
    let flipped: String = value
        .chars()
        .enumerate()
        .map(|(i, c)| if middle.contains(&i) { if c == 'A' { 'B' } else { 'A' } } else { c })
        .collect();
    assert_ne!(flipped, value);
    let truncated = value[..value.len() / 2].to_owned();
    let garbage = "x".repeat(value.len());
    for (what, tampered) in
        [("flipped", flipped), ("truncated", truncated), ("garbage", garbage), ("empty", String::new())]
    {
        let mut cookies = genuine.clone();
        cookies.insert(SESSION_COOKIE.to_owned(), tampered);
        client.set_cookies(cookies);
        let read = client.get("/state").await;
        assert_eq!(read.status, 200, "{what}: {read:?}");
        assert_eq!(read.body, "current=;primary=;group=", "{what}");
        assert_eq!(client.get("/current").await.status, 401, "{what}");
        for response in [
            client.get(&format!("/link/switch_to/1?csrf_token={token}")).await,
            client.post_form("/link/p/1", &[("csrf_token", &token)]).await,
            client.post_form("/link/p/1?start", &[("csrf_token", &token)]).await,
            client.post_form("/link/remove/2", &[("csrf_token", &token)]).await,
            client.post_form("/link/sign-out-all", &[("csrf_token", &token)]).await,
            client.get("/link/p/1").await,
            client.get("/switcher.json").await,
        ] {
            assert!(!response.is_server_error(), "{what}: {response:?}");
            assert!(response.status != 303, "{what}: no state change: {response:?}");
        }
        assert_eq!(link_count(&db).await, 1, "{what}: the link survives");
    }

    // Control: the genuine cookie still reads as signed in.
    client.set_cookies(genuine);
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
}

// Swapped, wrong-typed and huge session values over a genuine linked session
/// (1 primary, 2 linked; 3 exists but never signed in here; 4 is inactive; 999
/// does not exist; another browser linked 3 to 1 with its own token).
pub async fn swapped_wrong_typed_and_huge_session_values<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    set_status(&db, 4, "inactive").await;
    let mut other = harness.client::<U>(&db, &Options::get_switch()).await;
    other.sign_in(1).await;
    other.complete_link(1, 3).await;
    let other_token = other.session_entries().await["session_token"].clone();
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
        let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
        client.sign_in(1).await;
        assert_eq!(client.complete_link(1, 2).await.status, 303, "{what}");
        assert_eq!(client.state().await, linked, "{what}");
        let links = link_count(&db).await;
        let written = client.put_session(entries).await;
        assert_eq!(written.status, 204, "{what}: writing the session: {written:?}");
        let first = probe(&mut client, &db, &["1", "2"], what).await;
        if let Some(expected) = expected {
            assert_eq!(first, expected, "{what}");
        }
        assert_eq!(link_count(&db).await, links, "{what}: no link written");
    }
}

/// A fabricated session (nobody signed in with this cookie) naming accounts in
/// every way is never signed in at all, and writes nothing.
pub async fn a_fabricated_session_signs_in_nobody<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut genuine = harness.client::<U>(&db, &Options::get_switch()).await;
    genuine.sign_in(1).await;
    genuine.complete_link(1, 2).await;
    let token = genuine.session_entries().await["session_token"].clone();

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
        let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
        assert_eq!(client.put_session(entries).await.status, 204);
        let first = probe(&mut client, &db, &[], &what).await;
        assert_eq!(first, "current=;primary=;group=", "{what}");
    }
    assert_eq!(genuine.state().await, "current=2;primary=1;group=1,2", "the genuine session is untouched");
}
