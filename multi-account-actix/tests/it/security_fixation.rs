//! Session fixation (SPEC §4 Security model, rule 3): every privilege change
//! (sign-in, link, switch, unlink) renews the session id and rotates the CSRF
//! token, and sign-out-all ends the session.
//!
//! With a server-side store (Redis) an old session id is dead afterwards: replaying
//! it (with its old CSRF token) regains no account. Those tests run when
//! `MULTI_ACCOUNT_TEST_REDIS_URL` is set and print "skipped" otherwise. With the
//! cookie store the session cannot be revoked, but its cookie value changes on
//! every privilege change.

use crate::support;

use crate::support::{assert_forbidden, me, state, up_to_auto_submit};

use crate::support::{client, configure, database, link_count};
use actix_http::Request;
use actix_session::SessionMiddleware;
use actix_session::storage::RedisSessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, test};
use multi_account_actix::test_support::{TestClient, TestResponse, auto_submit_token, test_key};
use multi_account_actix::{MultiAccountConfig, SessionToken};
use std::collections::BTreeMap;

const REDIS_URL_VAR: &str = "MULTI_ACCOUNT_TEST_REDIS_URL";

fn redis_url(test: &str) -> Option<String> {
    let url = std::env::var(REDIS_URL_VAR).ok().filter(|url| !url.is_empty());
    if url.is_none() {
        eprintln!("{test}: skipped (set {REDIS_URL_VAR})");
    }
    url
}

/// The test app with Redis sessions.
async fn redis_client(
    config: &MultiAccountConfig,
    redis_url: &str,
) -> TestClient<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error>> {
    let store = RedisSessionStore::new(redis_url).await.expect("redis reachable");
    let app = App::new()
        .configure(configure(config))
        .wrap(SessionToken)
        .wrap(SessionMiddleware::builder(store, test_key()).cookie_secure(false).build());
    TestClient::new(test::init_service(app).await)
}

/// A session as an attacker may have captured it: its cookies and CSRF token.
struct Captured {
    what: &'static str,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

async fn capture<S, B>(client: &mut TestClient<S>, what: &'static str) -> Captured
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let csrf = client.csrf().await;
    Captured { what, cookies: client.cookies().clone(), csrf }
}

/// Replays `old` (cookie and CSRF token) against the server-side store: no
/// account, no state change, nothing written. The client's own cookies are put
/// back afterwards.
async fn assert_dead<S, B>(client: &mut TestClient<S>, db: &sea_orm::DatabaseConnection, old: &Captured)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let what = old.what;
    let own = client.cookies().clone();
    let links = link_count(db).await;
    let rows = support::link_rows(db).await;
    assert_ne!(old.cookies.get("id"), own.get("id"), "{what}: the session id was renewed");

    client.set_cookies(old.cookies.clone());
    assert_eq!(state(client).await, "current=;primary=;group=", "{what}: /state with the old id");
    client.set_cookies(old.cookies.clone());
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED, "{what}: /me with the old id");
    for target in [1, 2, 3] {
        client.set_cookies(old.cookies.clone());
        let switched = client.get(&format!("/link/switch_to/{target}?csrf_token={}", old.csrf)).await;
        assert_forbidden(&switched, &format!("{what}: switch GET to {target} with the old id and token"));
        client.set_cookies(old.cookies.clone());
        let switched = client.post_form(&format!("/link/switch_to/{target}"), &[("csrf_token", &old.csrf)]).await;
        assert_forbidden(&switched, &format!("{what}: switch POST to {target} with the old id and token"));
    }
    client.set_cookies(old.cookies.clone());
    let linked = client.post_form("/link/p/1", &[("csrf_token", &old.csrf)]).await;
    assert_forbidden(&linked, &format!("{what}: link POST with the old id and token"));
    client.set_cookies(old.cookies.clone());
    let started = client.post_form("/link/p/1?start", &[("csrf_token", &old.csrf)]).await;
    assert_forbidden(&started, &format!("{what}: link start with the old id and token"));
    client.set_cookies(old.cookies.clone());
    let removed = client.post_form("/link/remove/2", &[("csrf_token", &old.csrf)]).await;
    assert_forbidden(&removed, &format!("{what}: unlink with the old id and token"));
    client.set_cookies(old.cookies.clone());
    let out = client.post_form("/link/sign-out-all", &[("csrf_token", &old.csrf)]).await;
    assert_forbidden(&out, &format!("{what}: sign-out-all with the old id and token"));
    assert_eq!(link_count(db).await, links, "{what}: nothing written");
    assert_eq!(support::link_rows(db).await, rows, "{what}: no row written");

    client.set_cookies(own);
}

// Sign-in, link, switch, unlink and sign-out-all each leave the previous session
// id dead in Redis.
#[actix_web::test]
async fn old_redis_session_ids_regain_nothing() {
    let Some(url) = redis_url("old_redis_session_ids_regain_nothing") else { return };
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = redis_client(&config, &url).await;
    let db = &test.db;

    // Fixation at sign-in: an id handed out before the sign-in (say, planted by an
    // attacker) is not the signed-in session.
    let anonymous = capture(&mut client, "before sign-in").await;
    assert!(anonymous.cookies.contains_key("id"), "an anonymous session exists");
    client.sign_in(&1).await;
    assert_eq!(state(&mut client).await, "current=1;primary=;group=");
    assert_dead(&mut client, db, &anonymous).await;

    // Link: the ids of the primary with its intent, and of the account signed in
    // for it, are both dead after the link.
    assert_eq!(client.start_link(&1).await.status, StatusCode::SEE_OTHER);
    let pending = capture(&mut client, "intent, before signing in the second account").await;
    client.sign_in(&2).await;
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    let before_link = Captured { what: "before link", cookies: client.cookies().clone(), csrf: token.clone() };
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert_eq!(state(&mut client).await, "current=2;primary=1;group=1,2");
    assert_dead(&mut client, db, &pending).await;
    assert_dead(&mut client, db, &before_link).await;

    // Switch.
    let before_switch = capture(&mut client, "before switch").await;
    let switched = client.get(&format!("/link/switch_to/1?csrf_token={}", before_switch.csrf)).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{switched:?}");
    assert_eq!(me(&mut client).await, "1");
    assert_dead(&mut client, db, &before_switch).await;

    // Unlink (after linking 3 as well, so there is something left to reach).
    client.complete_link(&1, &3).await;
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,2,3");
    let before_unlink = capture(&mut client, "before unlink").await;
    let removed = client.post_form("/link/remove/2", &[("csrf_token", &before_unlink.csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,3");
    assert_dead(&mut client, db, &before_unlink).await;

    // Sign-out-all.
    let before_sign_out = capture(&mut client, "before sign-out-all").await;
    let out = client.post_form("/link/sign-out-all", &[("csrf_token", &before_sign_out.csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert_eq!(link_count(db).await, 0);
    assert_eq!(state(&mut client).await, "current=;primary=;group=");
    assert_dead(&mut client, db, &before_sign_out).await;

    // Every id of the whole flow, once more, at the end.
    for old in [&anonymous, &pending, &before_link, &before_switch, &before_unlink, &before_sign_out] {
        assert_dead(&mut client, db, old).await;
    }
    eprintln!("old_redis_session_ids_regain_nothing: ran on redis");
}

// A refused state change renews nothing, so it cannot be used to probe ids; and
// a replayed dead id does not resurrect the session for the live cookie either.
#[actix_web::test]
async fn replaying_a_dead_redis_id_does_not_disturb_the_live_session() {
    let Some(url) = redis_url("replaying_a_dead_redis_id_does_not_disturb_the_live_session") else { return };
    let test = database(2).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = redis_client(&config, &url).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let old = capture(&mut client, "before switch").await;
    let url = client.switch_url(&1).await;
    assert_eq!(client.get(&url).await.status, StatusCode::SEE_OTHER);
    let live = client.cookies().clone();

    for _ in 0..3 {
        assert_dead(&mut client, &test.db, &old).await;
    }
    let refused = client.post_form("/link/remove/2", &[]).await;
    assert_forbidden(&refused, "unlink without a token");
    assert_eq!(client.cookies(), &live, "a refusal does not renew the id");
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1,2");
    let url = client.switch_url(&2).await;
    assert_eq!(client.get(&url).await.status, StatusCode::SEE_OTHER);
    assert_eq!(me(&mut client).await, "2");
    eprintln!("replaying_a_dead_redis_id_does_not_disturb_the_live_session: ran on redis");
}

// The session cookie (and the CSRF token) change on link, switch and unlink.
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

// With the cookie store, every privilege change (sign-in of each account, link,
// switch both ways, unlink, sign-out-all) gives a cookie value never seen before,
// and a refused change leaves the cookie as it was.
#[tokio::test]
async fn every_privilege_change_gives_a_new_cookie_value() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    let mut seen: Vec<String> = Vec::new();
    fn check(seen: &mut Vec<String>, client_cookie: Option<&str>, response: &TestResponse, what: &str) {
        assert!(response.set_cookie, "{what}: sets the cookie: {response:?}");
        let value = client_cookie.unwrap_or_else(|| panic!("{what}: a session cookie")).to_owned();
        assert!(!seen.contains(&value), "{what}: the cookie value was seen before");
        seen.push(value);
    }

    client.csrf().await;
    seen.push(client.session_cookie().expect("an anonymous session").to_owned());
    let response = client.sign_in(&1).await;
    check(&mut seen, client.session_cookie(), &response, "sign-in of 1");
    let started = client.start_link(&1).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    seen.push(client.session_cookie().expect("a session cookie").to_owned());
    let response = client.sign_in(&2).await;
    check(&mut seen, client.session_cookie(), &response, "sign-in of 2 for the link");
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    seen.push(client.session_cookie().expect("a session cookie").to_owned());
    let response = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    check(&mut seen, client.session_cookie(), &response, "link");
    for target in [1, 2, 1] {
        let url = client.switch_url(&target).await;
        seen.push(client.session_cookie().expect("a session cookie").to_owned());
        let response = client.get(&url).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        check(&mut seen, client.session_cookie(), &response, &format!("switch to {target}"));
    }

    // A refused change leaves the cookie as it was.
    let before = client.session_cookie().map(str::to_owned);
    let refused = client.post_form("/link/remove/2", &[("csrf_token", "nope")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.set_cookie, "a refusal does not touch the cookie: {refused:?}");
    assert_eq!(client.session_cookie().map(str::to_owned), before);

    let token = client.csrf().await;
    let response = client.post_form("/link/remove/2", &[("csrf_token", &token)]).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    check(&mut seen, client.session_cookie(), &response, "unlink");

    let token = client.csrf().await;
    let out = client.post_form("/link/sign-out-all", &[("csrf_token", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.set_cookie, "sign-out-all removes the cookie: {out:?}");
    assert_eq!(client.session_cookie(), None, "the session cookie is gone");
    assert_eq!(state(&mut client).await, "current=;primary=;group=");
}
