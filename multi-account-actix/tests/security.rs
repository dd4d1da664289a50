//! The security model (SPEC §4) attacked through the real HTTP surface: forged
//! links, CSRF, session renewal, open redirects, malformed input, tampered
//! cookies, expired link intents and cross-session switching. Every test checks
//! the database and/or `/state` to prove that nothing was written.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_http::Request;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use multi_account_actix::MultiAccountConfig;
use multi_account_actix::test_support::{TestClient, TestResponse, auto_submit_token};
use support::{client, database, link_count};

/// A well-formed token (64 hex chars, the real length) that no session holds.
const WRONG_TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The referers an attacker may send; none of them is this app's origin.
const HOSTILE_REFERERS: [&str; 5] = [
    "//evil.example",
    "https://evil.example/x",
    r"/\evil.example",
    "javascript:alert(1)",
    "http://localhost:8080.evil.example/x",
];

/// Same-origin prefix, but a path that is not local once the origin is stripped
/// (or an origin that only starts like ours).
const SNEAKY_REFERERS: [&str; 4] = [
    "http://localhost:8080//evil.example/x",
    r"http://localhost:8080/\evil.example",
    "http://localhost:8080/%2F%2Fevil.example",
    "http://localhost:8080@evil.example/x",
];

async fn state<S, B>(client: &mut TestClient<S>) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = client.get("/state").await;
    assert_eq!(response.status, StatusCode::OK, "/state: {}", response.body);
    response.body
}

async fn me<S, B>(client: &mut TestClient<S>) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    client.get("/me").await.body
}

/// Starts a link as the signed-in primary, signs in as `linked` and returns the
/// auto-submit page's CSRF token, without posting it.
async fn up_to_auto_submit<S, B>(client: &mut TestClient<S>, primary: i64, linked: i64) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let link = format!("/link/p/{primary}");
    let started = client.get(&link).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "starting the link: {}", started.body);
    client.sign_in(&linked).await;
    let page = client.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "auto-submit page: {}", page.body);
    auto_submit_token(&page.body).expect("csrf token in the auto-submit page")
}

fn assert_forbidden(response: &TestResponse, what: &str) {
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{what}: {response:?}");
    assert!(response.location.is_none(), "{what}: a refusal redirects nowhere: {response:?}");
}

fn assert_local_redirect(response: &TestResponse, what: &str) {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{what}: {response:?}");
    let location = response.location.as_deref().unwrap_or_else(|| panic!("{what}: no Location: {response:?}"));
    assert!(location.starts_with('/'), "{what}: Location {location:?} is not a local path");
    assert!(!location.starts_with("//"), "{what}: Location {location:?} is protocol-relative");
    assert!(!location.contains('\\'), "{what}: Location {location:?} holds a backslash");
    assert!(!location.to_ascii_lowercase().contains("evil"), "{what}: Location {location:?} leaks the referer");
}

// 1. A signed-in user cannot link (or switch) to someone else's account by id.
#[tokio::test]
async fn a_signed_in_user_cannot_link_to_another_users_id() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut attacker = client(&config).await;
    attacker.sign_in(&2).await;
    assert_eq!(state(&mut attacker).await, "current=2;primary=;group=");

    assert_forbidden(&attacker.get("/link/p/1").await, "GET /link/p/1 as user 2");
    assert_eq!(state(&mut attacker).await, "current=2;primary=;group=", "no primary written by the GET");

    let token = attacker.csrf().await;
    let posted = attacker.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_forbidden(&posted, "POST /link/p/1 with a valid token");

    let token = attacker.csrf().await;
    let switched = attacker.get(&format!("/link/switch_to/1?csrf_token={token}")).await;
    assert_forbidden(&switched, "switch to 1");
    let switched = attacker.post_with_csrf("/link/switch_to/1", &[]).await;
    assert_forbidden(&switched, "POST switch to 1");

    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(me(&mut attacker).await, "2");
    assert_eq!(state(&mut attacker).await, "current=2;primary=;group=");
}

// 2. Same attack while the attacker has a pending intent of their own.
#[tokio::test]
async fn an_own_pending_intent_does_not_open_another_primary() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut attacker = client(&config).await;
    attacker.sign_in(&2).await;
    let started = attacker.get("/link/p/2").await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    attacker.sign_in(&3).await;
    assert_eq!(state(&mut attacker).await, "current=3;primary=2;group=2", "pending intent for 2");

    assert_forbidden(&attacker.get("/link/p/1").await, "GET /link/p/1 with an intent for 2");
    let posted = attacker.post_with_csrf("/link/p/1", &[]).await;
    assert_forbidden(&posted, "POST /link/p/1 with an intent for 2");
    let url = attacker.switch_url(&1).await;
    assert_forbidden(&attacker.get(&url).await, "switch to 1");

    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(state(&mut attacker).await, "current=3;primary=2;group=2");
    assert_eq!(me(&mut attacker).await, "3");
}

// 3. A link intent of another browser session does not help.
#[tokio::test]
async fn a_link_intent_from_another_session_does_not_help() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut victim = client(&config).await;
    let mut attacker = client(&config).await;

    victim.sign_in(&1).await;
    let started = victim.get("/link/p/1").await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");

    attacker.sign_in(&2).await;
    assert_forbidden(&attacker.get("/link/p/1").await, "GET /link/p/1 from the other browser");
    let posted = attacker.post_with_csrf("/link/p/1", &[]).await;
    assert_forbidden(&posted, "POST /link/p/1 from the other browser");
    let url = attacker.switch_url(&1).await;
    assert_forbidden(&attacker.get(&url).await, "switch to 1 from the other browser");

    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(state(&mut attacker).await, "current=2;primary=;group=");
    assert_eq!(state(&mut victim).await, "current=1;primary=1;group=1", "the victim's session is untouched");

    // Control: the victim's own intent still completes in the victim's browser.
    victim.sign_in(&3).await;
    let page = victim.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    let done = victim.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert_eq!(link_count(&test.db).await, 1);
    assert_eq!(state(&mut attacker).await, "current=2;primary=;group=");
}

// 4a. Completing a link needs this session's CSRF token.
#[tokio::test]
async fn link_post_needs_this_sessions_csrf_token() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client_a = client(&config).await;
    let mut client_b = client(&config).await;
    client_b.sign_in(&3).await;
    let foreign_token = client_b.csrf().await;

    client_a.sign_in(&1).await;
    let token = up_to_auto_submit(&mut client_a, 1, 2).await;
    assert_ne!(token, foreign_token);

    assert_forbidden(&client_a.post_form("/link/p/1", &[]).await, "link POST without a token");
    assert_forbidden(&client_a.post_form("/link/p/1", &[("csrf_token", "")]).await, "link POST with an empty token");
    let wrong = client_a.post_form("/link/p/1", &[("csrf_token", WRONG_TOKEN)]).await;
    assert_forbidden(&wrong, "link POST with a wrong token");
    let truncated = client_a.post_form("/link/p/1", &[("csrf_token", &token[..63])]).await;
    assert_forbidden(&truncated, "link POST with a truncated token");
    let foreign = client_a.post_form("/link/p/1", &[("csrf_token", &foreign_token)]).await;
    assert_forbidden(&foreign, "link POST with another session's token");
    // The token in the query string of a POST is not the form field.
    let query = client_a.post_form(&format!("/link/p/1?csrf_token={token}"), &[]).await;
    assert_forbidden(&query, "link POST with the token in the query only");

    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(state(&mut client_a).await, "current=2;primary=1;group=1", "still pending, nothing linked");

    // Control: the right token still completes the same pending link.
    let done = client_a.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert_eq!(link_count(&test.db).await, 1);
    assert_eq!(state(&mut client_a).await, "current=2;primary=1;group=1,2");
}

// 4b. Switch, remove and sign-out-all need the CSRF token.
#[tokio::test]
async fn switch_remove_and_sign_out_all_need_the_csrf_token() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client_a = client(&config).await;
    let mut client_b = client(&config).await;
    client_b.sign_in(&3).await;
    let foreign_token = client_b.csrf().await;

    client_a.sign_in(&1).await;
    assert_eq!(client_a.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER);
    let linked = "current=2;primary=1;group=1,2";
    assert_eq!(state(&mut client_a).await, linked);
    assert_eq!(link_count(&test.db).await, 1);

    assert_forbidden(&client_a.get("/link/switch_to/1").await, "switch GET without a token");
    assert_forbidden(&client_a.get("/link/switch_to/1?csrf_token=").await, "switch GET with an empty token");
    let wrong = client_a.get(&format!("/link/switch_to/1?csrf_token={WRONG_TOKEN}")).await;
    assert_forbidden(&wrong, "switch GET with a wrong token");
    let foreign = client_a.get(&format!("/link/switch_to/1?csrf_token={foreign_token}")).await;
    assert_forbidden(&foreign, "switch GET with another session's token");
    assert_forbidden(&client_a.post_form("/link/switch_to/1", &[]).await, "switch POST without a token");
    assert_eq!(state(&mut client_a).await, linked, "no switch happened");

    assert_forbidden(&client_a.post_form("/link/remove/2", &[]).await, "remove without a token");
    let wrong = client_a.post_form("/link/remove/2", &[("csrf_token", WRONG_TOKEN)]).await;
    assert_forbidden(&wrong, "remove with a wrong token");
    assert_eq!(link_count(&test.db).await, 1, "the link survives");
    assert_eq!(state(&mut client_a).await, linked);

    assert_forbidden(&client_a.post_form("/link/sign-out-all", &[]).await, "sign-out-all without a token");
    let foreign = client_a.post_form("/link/sign-out-all", &[("csrf_token", &foreign_token)]).await;
    assert_forbidden(&foreign, "sign-out-all with another session's token");
    assert_eq!(link_count(&test.db).await, 1, "the links still exist");
    assert_eq!(state(&mut client_a).await, linked, "still signed in");
    assert_eq!(me(&mut client_a).await, "2");

    // Control: with the token each of them works.
    let url = client_a.switch_url(&1).await;
    assert_eq!(client_a.get(&url).await.status, StatusCode::SEE_OTHER);
    assert_eq!(me(&mut client_a).await, "1");
}

// 4c. A token captured before a switch is dead after it (rotation).
#[tokio::test]
async fn a_csrf_token_from_before_a_switch_is_rejected_after_it() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    client.complete_link(&1, &3).await;
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,2,3");

    let old = client.csrf().await;
    let switched = client.get(&format!("/link/switch_to/1?csrf_token={old}")).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "the token works once: {switched:?}");
    assert_eq!(me(&mut client).await, "1");
    let new = client.csrf().await;
    assert_ne!(old, new, "the switch rotated the token");

    assert_forbidden(&client.get(&format!("/link/switch_to/2?csrf_token={old}")).await, "switch GET, old token");
    assert_forbidden(&client.post_form("/link/switch_to/2", &[("csrf_token", &old)]).await, "switch POST, old token");
    assert_forbidden(&client.post_form("/link/remove/2", &[("csrf_token", &old)]).await, "remove, old token");
    assert_forbidden(&client.post_form("/link/sign-out-all", &[("csrf_token", &old)]).await, "sign-out-all, old token");
    assert_eq!(link_count(&test.db).await, 2);
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1,2,3");
}

// 5. The session cookie (and the CSRF token) change on link, switch and unlink.
#[tokio::test]
async fn the_session_is_renewed_on_link_switch_and_unlink() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;

    // Link.
    let token = up_to_auto_submit(&mut client, 1, 2).await;
    let before = client.session_cookie().expect("a session cookie").to_owned();
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert!(done.set_cookie, "the link sets a new session cookie");
    let after = client.session_cookie().expect("a session cookie").to_owned();
    assert_ne!(before, after, "session cookie after link");
    assert_ne!(client.csrf().await, token, "csrf token after link");
    assert_eq!(link_count(&test.db).await, 1);

    // Switch.
    let token = client.csrf().await;
    let before = client.session_cookie().expect("a session cookie").to_owned();
    let switched = client.get(&format!("/link/switch_to/1?csrf_token={token}")).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{switched:?}");
    let after = client.session_cookie().expect("a session cookie").to_owned();
    assert_ne!(before, after, "session cookie after switch");
    assert_ne!(client.csrf().await, token, "csrf token after switch");
    assert_eq!(me(&mut client).await, "1");

    // Unlink.
    let token = client.csrf().await;
    let before = client.session_cookie().expect("a session cookie").to_owned();
    let removed = client.post_form("/link/remove/2", &[("csrf_token", &token)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    let after = client.session_cookie().expect("a session cookie").to_owned();
    assert_ne!(before, after, "session cookie after unlink");
    assert_ne!(client.csrf().await, token, "csrf token after unlink");
    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1");

    // Control: a read-only request leaves the cookie alone, so the comparisons
    // above measure the state changes.
    let before = client.session_cookie().expect("a session cookie").to_owned();
    let read = client.get("/state").await;
    assert!(!read.set_cookie, "a read sets no cookie: {read:?}");
    assert_eq!(client.session_cookie(), Some(before.as_str()));
}

// 6. Redirects after switch and link stay local whatever the Referer says.
#[tokio::test]
async fn switch_and_link_redirect_only_to_local_paths() {
    let test = database(12).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;

    // Control: a same-origin Referer is honoured.
    client.headers = vec![("Referer".into(), "http://localhost:8080/settings?tab=1".into())];
    let url = client.switch_url(&1).await;
    let switched = client.get(&url).await;
    assert_eq!(switched.location.as_deref(), Some("/settings?tab=1"), "{switched:?}");

    let referers = HOSTILE_REFERERS.iter().chain(SNEAKY_REFERERS.iter());
    for (n, referer) in referers.clone().enumerate() {
        client.headers = vec![("Referer".into(), (*referer).into())];
        let target = if n % 2 == 0 { 2 } else { 1 };
        let url = client.switch_url(&target).await;
        let switched = client.get(&url).await;
        assert_local_redirect(&switched, &format!("switch GET with Referer {referer}"));
        assert_eq!(me(&mut client).await, target.to_string(), "the switch itself happened");
        let switched = client.post_with_csrf(&format!("/link/switch_to/{}", 3 - target), &[]).await;
        assert_local_redirect(&switched, &format!("switch POST with Referer {referer}"));
    }

    // Link: the intent's return path comes from the Referer at the start.
    client.headers.clear();
    let url = client.switch_url(&1).await;
    client.get(&url).await;
    let mut linked = 1;
    for (n, referer) in referers.enumerate() {
        let account = i64::try_from(n).unwrap() + 3;
        client.headers = vec![("Referer".into(), (*referer).into())];
        let started = client.get("/link/p/1").await;
        assert_local_redirect(&started, &format!("link start with Referer {referer}"));
        client.sign_in(&account).await;
        let page = client.get("/link/p/1").await;
        let token = auto_submit_token(&page.body).expect("auto-submit page");
        // The final POST comes from the auto-submit page itself.
        client.headers = vec![("Referer".into(), "http://localhost:8080/link/p/1".into())];
        let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_local_redirect(&done, &format!("link completion after Referer {referer}"));
        linked += 1;
        assert_eq!(link_count(&test.db).await, linked, "link {account} completed");
    }
}

// 7. Malformed ids: a 4xx (or a 303), never a 5xx, and nothing written.
#[tokio::test]
async fn malformed_ids_are_refused_without_side_effects() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    assert_eq!(client.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER);
    let linked = "current=2;primary=1;group=1,2";
    assert_eq!(state(&mut client).await, linked);

    let long = "9".repeat(10 * 1024);
    let long_letters = "a".repeat(10 * 1024);
    let segments = [
        "abc",
        "01",
        "+1",
        "-0",
        "%00",
        "1%00",
        "%E2%9C%93",
        "%EF%BC%91", // fullwidth digit one
        "1%2F2",
        "%2E%2E",
        "1.0",
        "%20",
        "1%0A",
        "9223372036854775808",
        long.as_str(),
        long_letters.as_str(),
    ];
    for segment in segments {
        let shown = &segment[..segment.len().min(24)];
        let switch_url = client.switch_url(&segment).await;
        let responses = [
            ("GET link", client.get(&format!("/link/p/{segment}")).await),
            ("POST link", client.post_with_csrf(&format!("/link/p/{segment}"), &[]).await),
            ("GET switch", client.get(&switch_url).await),
            ("POST switch", client.post_with_csrf(&format!("/link/switch_to/{segment}"), &[]).await),
            ("POST remove", client.post_with_csrf(&format!("/link/remove/{segment}"), &[]).await),
        ];
        for (what, response) in responses {
            let status = response.status;
            assert!(
                status.is_client_error() || status == StatusCode::SEE_OTHER,
                "{what} {shown}: {status} {}",
                response.body
            );
        }
        assert_eq!(link_count(&test.db).await, 1, "segment {shown}");
        assert_eq!(state(&mut client).await, linked, "segment {shown}");
    }
    // The ones named in the security model answer 400 precisely.
    for segment in ["abc", "01", "+1", "%E2%9C%93", long.as_str()] {
        assert_eq!(client.get(&format!("/link/p/{segment}")).await.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(client.post_with_csrf("/link/remove/-0", &[]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(link_count(&test.db).await, 1);
    assert_eq!(state(&mut client).await, linked);
}

// 7b. A tampered or truncated session cookie reads as signed out.
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

// 8. A link intent older than 10 minutes cannot be completed.
#[tokio::test]
async fn a_link_intent_expires_after_ten_minutes() {
    let test = database(3).await;
    let now = Arc::new(AtomicU64::new(1_700_000_000));
    let clock = Arc::clone(&now);
    let config = MultiAccountConfig::new(test.db.clone()).with_clock(move || clock.load(Ordering::SeqCst));
    let mut client = client(&config).await;
    client.sign_in(&1).await;

    let token = up_to_auto_submit(&mut client, 1, 2).await;
    assert_eq!(me(&mut client).await, "2", "current while the intent is fresh");
    now.fetch_add(601, Ordering::SeqCst);

    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_forbidden(&done, "link POST after 601 s");
    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(me(&mut client).await, "1", "back on the primary");
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1");

    // Control: 599 s after a fresh start the link still completes.
    let token = up_to_auto_submit(&mut client, 1, 3).await;
    now.fetch_add(599, Ordering::SeqCst);
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert_eq!(link_count(&test.db).await, 1);
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,3");
}

// 9. A link made in one browser session cannot be used from another.
#[tokio::test]
async fn a_link_from_another_session_cannot_be_switched_to() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client_a = client(&config).await;
    let mut client_b = client(&config).await;
    client_a.sign_in(&1).await;
    assert_eq!(client_a.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER);
    assert_eq!(link_count(&test.db).await, 1);

    // B signed in as 1 only.
    client_b.sign_in(&1).await;
    let url = client_b.switch_url(&2).await;
    assert_forbidden(&client_b.get(&url).await, "switch to 2 from a single-account session");
    assert_eq!(me(&mut client_b).await, "1");

    // B in multi-account mode for the same primary, with its own session token.
    let started = client_b.get("/link/p/1").await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    assert_eq!(state(&mut client_b).await, "current=1;primary=1;group=1", "A's link is not B's group");
    let url = client_b.switch_url(&2).await;
    assert_forbidden(&client_b.get(&url).await, "switch GET to 2 from another session");
    let posted = client_b.post_with_csrf("/link/switch_to/2", &[]).await;
    assert_forbidden(&posted, "switch POST to 2 from another session");
    assert_eq!(me(&mut client_b).await, "1");

    // Nor can B remove A's link, or sign it out.
    let removed = client_b.post_with_csrf("/link/remove/2", &[]).await;
    assert_forbidden(&removed, "remove A's link from B");
    let out = client_b.post_with_csrf("/link/sign-out-all", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "B signs out of B: {out:?}");
    assert_eq!(link_count(&test.db).await, 1, "A's link survives B's sign-out-all");

    // A is unaffected and can still switch.
    assert_eq!(state(&mut client_a).await, "current=2;primary=1;group=1,2");
    let url = client_a.switch_url(&1).await;
    assert_eq!(client_a.get(&url).await.status, StatusCode::SEE_OTHER);
    assert_eq!(me(&mut client_a).await, "1");
}
