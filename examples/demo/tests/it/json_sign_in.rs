//! The JSON sign-in (`POST /api/sign-in`) over real HTTP on loopback, with the
//! library's JSON API (`/link/api/…`) around it, as the single-page app uses
//! them; and the single-page app's files.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Client, Demo, Response};
use multi_account_demo::clock::ManualClock;
use multi_account_demo::password::HashLimiter;
use multi_account_demo::throttle::{PER_ACCOUNT, ThrottleConfig};
use multi_account_demo::{ADD_EXPIRED, BUSY, EMPTY, INCORRECT, Settings, THROTTLED};

const SIGN_IN: &str = "/api/sign-in";
const ACCOUNTS: &str = "/link/api/accounts";

/// The JSON body of `response`, which must be JSON, and never a redirect.
fn json_of(response: &Response) -> Value {
    assert_eq!(response.header("content-type"), Some("application/json"), "{} {}", response.status, response.body);
    assert_eq!(response.location(), None, "never a redirect");
    let failed = response.status >= 500 && response.status != 503;
    assert!(!failed, "never a server error but 503: {} {}", response.status, response.body);
    serde_json::from_str(&response.body).unwrap_or_else(|error| panic!("{error}: {}", response.body))
}

/// `{"code":…,"message":…}` with `status`; returns the message.
fn refused(response: &Response, status: u16, code: &str) -> String {
    let body = json_of(response);
    assert_eq!((response.status, body["code"].as_str()), (status, Some(code)), "{}", response.body);
    assert_eq!(body.as_object().map(|object| object.len()), Some(2), "code and message only: {body}");
    body["message"].as_str().expect("a message").to_owned()
}

/// `GET /link/api/accounts`.
async fn accounts(client: &mut Client) -> Value {
    let response = client.get(ACCOUNTS).await;
    assert_eq!(response.status, 200, "{}", response.body);
    json_of(&response)
}

/// The session's CSRF token, as `GET /link/api/accounts` answers it.
async fn token(client: &mut Client) -> String {
    accounts(client).await["csrf_token"].as_str().expect("a token").to_owned()
}

/// The emails of the accounts answered, in order, with their marks.
fn listed(body: &Value) -> Vec<(String, bool, bool, bool)> {
    body["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|account| {
            let mark = |name: &str| account[name].as_bool().expect(name);
            (
                account["user"]["email"].as_str().expect("an email").to_owned(),
                mark("current"),
                mark("primary"),
                mark("pending"),
            )
        })
        .collect()
}

/// A POST of `body` as JSON with `token` in `X-CSRF-Token` and `headers`.
async fn post(client: &mut Client, path: &str, token: Option<&str>, body: &[u8], headers: &[(&str, &str)]) -> Response {
    let mut all = vec![("Content-Type", "application/json")];
    if let Some(token) = token {
        all.push(("X-CSRF-Token", token));
    }
    all.extend_from_slice(headers);
    // A later header of the same name (a test's own Content-Type) wins: drop the default.
    if headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        all.remove(0);
    }
    client.request("POST", path, Some(body), &all).await
}

/// `POST /api/sign-in` as a same-origin `fetch` sends it.
async fn sign_in(client: &mut Client, token: &str, email: &str, password: &str) -> Response {
    let body = json!({ "email": email, "password": password }).to_string();
    let origin = format!("http://{}", client.addr);
    let headers = [("Sec-Fetch-Site", "same-origin"), ("Origin", origin.as_str())];
    post(client, SIGN_IN, Some(token), body.as_bytes(), &headers).await
}

/// Signs `email` in with a fresh token; returns the token the sign-in answered.
async fn signed_in(client: &mut Client, email: &str) -> String {
    let token = token(client).await;
    let done = sign_in(client, &token, email, "password").await;
    assert_eq!(done.status, 200, "{}", done.body);
    let body = json_of(&done);
    let new = body["csrf_token"].as_str().expect("the new token").to_owned();
    assert_ne!(new, token, "the sign-in rotates the token");
    new
}

/// A request refused before its password is read: what it is, its token,
/// body and extra headers, and the status and code it is answered.
type Early<'a> = (&'a str, Option<&'a str>, &'a [u8], Vec<(&'a str, &'a str)>, u16, &'a str);

/// The code of a request that is not the JSON asked for.
const MALFORMED: &str = "malformed_request";

/// `POST /link/api/{route}` with `token`; returns the response.
async fn api(client: &mut Client, route: &str, token: &str) -> Response {
    post(client, &format!("/link/api/{route}"), Some(token), b"", &[]).await
}

demo_test! {
    async fn a_json_sign_in_signs_in_and_answers_the_new_token() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let before = accounts(&mut client).await;
        assert_eq!(before["accounts"], json!([]), "{before}");
        let first = before["csrf_token"].as_str().unwrap().to_owned();

        // Case and surrounding spaces do not matter, as on the form.
        let done = sign_in(&mut client, &first, " Alice@Example.com ", "password").await;
        assert_eq!(done.status, 200, "{}", done.body);
        let body = json_of(&done);
        let new = body["csrf_token"].as_str().unwrap().to_owned();
        assert_eq!(body, json!({ "csrf_token": new }));
        assert_ne!(new, first, "signing in rotates the token");
        assert_eq!(done.header("cache-control"), Some("no-store"));

        let after = accounts(&mut client).await;
        assert_eq!(listed(&after), [("alice@example.com".to_owned(), true, true, false)]);
        assert_eq!(after["csrf_token"].as_str(), Some(new.as_str()), "the answered token is the session's");
        assert!(client.get("/").await.body.contains("Signed in as alice@example.com"), "the HTML pages agree");
        // The token from before the sign-in is spent.
        refused(&api(&mut client, "link/start", &first).await, 403, "csrf");
        demo.stop().await;
    }
}

demo_test! {
    async fn a_wrong_password_is_401_and_spends_the_token() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let first = token(&mut client).await;
        let wrong = sign_in(&mut client, &first, "alice@example.com", "wrong").await;
        assert_eq!(refused(&wrong, 401, "invalid_credentials"), INCORRECT);
        // One token, one guess: the right password with the spent token is refused unread.
        refused(&sign_in(&mut client, &first, "alice@example.com", "password").await, 403, "csrf");
        let second = token(&mut client).await;
        assert_ne!(second, first, "the failure rotated the token");

        // An unknown email, and the right password of an inactive account, read the same.
        let unknown = sign_in(&mut client, &second, "nobody@example.com", "password").await;
        assert_eq!(refused(&unknown, 401, "invalid_credentials"), INCORRECT);
        let third = token(&mut client).await;
        let inactive = sign_in(&mut client, &third, "dave@example.com", "password").await;
        assert_eq!(refused(&inactive, 401, "invalid_credentials"), INCORRECT);
        assert_ne!(token(&mut client).await, third);

        assert_eq!(accounts(&mut client).await["accounts"], json!([]), "nobody got signed in");
        signed_in(&mut client, "alice@example.com").await;
        demo.stop().await;
    }
}

demo_test! {
    async fn refusals_before_the_password_change_nothing() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let first = token(&mut client).await;
        let alice = json!({ "email": "alice@example.com", "password": "password" }).to_string();
        let alice = alice.as_bytes();
        let ours = format!("http://{}", demo.addr);
        let long = format!(r#"{{"email":"alice@example.com","password":"{}"}}"#, "a".repeat(20 * 1024));

        let other_site = |header: &'static str, value: &'static str| vec![(header, value)];
        let cases: Vec<Early<'_>> = vec![
            ("no token", None, alice, vec![], 403, "csrf"),
            ("a wrong token", Some("0000"), alice, vec![], 403, "csrf"),
            ("another site", Some(&first), alice, other_site("Sec-Fetch-Site", "cross-site"), 403, "forbidden"),
            ("same site", Some(&first), alice, other_site("Sec-Fetch-Site", "same-site"), 403, "forbidden"),
            ("another Origin", Some(&first), alice, other_site("Origin", "http://evil.example"), 403, "forbidden"),
            ("a form", Some(&first), b"email=alice%40example.com&password=password", vec![], 400, MALFORMED),
            ("broken JSON", Some(&first), br#"{"email":"alice@example.com","#, vec![], 400, MALFORMED),
            ("no password", Some(&first), br#"{"email":"alice@example.com"}"#, vec![], 400, MALFORMED),
            ("a number", Some(&first), br#"{"email":"alice@example.com","password":1}"#, vec![], 400, MALFORMED),
            ("an array", Some(&first), br#"["alice@example.com","password"]"#, vec![], 400, MALFORMED),
            ("sent as text", Some(&first), alice, other_site("Content-Type", "text/plain"), 400, MALFORMED),
            ("too large", Some(&first), long.as_bytes(), vec![], 400, MALFORMED),
        ];
        for (case, presented, body, headers, status, code) in cases {
            let response = post(&mut client, SIGN_IN, presented, body, &headers).await;
            let body = json_of(&response);
            let answered = (response.status, body["code"].as_str());
            assert_eq!(answered, (status, Some(code)), "{case}: {}", response.body);
            assert!(body["message"].as_str().is_some_and(|message| !message.is_empty()), "{case}: {body}");
            let now = accounts(&mut client).await;
            assert_eq!(now["accounts"], json!([]), "{case}: nobody signed in");
            assert_eq!(now["csrf_token"].as_str(), Some(first.as_str()), "{case}: the token stays");
        }
        let empty = post(&mut client, SIGN_IN, Some(&first), br#"{"email":" ","password":""}"#, &[]).await;
        assert_eq!(refused(&empty, 400, "malformed_request"), EMPTY);

        // The same request from this origin, said so or not, signs in.
        let same = [("Sec-Fetch-Site", "same-origin"), ("Origin", ours.as_str())];
        let done = post(&mut client, SIGN_IN, Some(&first), alice, &same).await;
        assert_eq!(done.status, 200, "{}", done.body);
        let mut other = demo.client();
        let fresh = token(&mut other).await;
        let done = post(&mut other, SIGN_IN, Some(&fresh), alice, &[]).await;
        assert_eq!(done.status, 200, "no Sec-Fetch-Site nor Origin (not a browser): {}", done.body);
        demo.stop().await;
    }
}

demo_test! {
    async fn the_json_sign_in_shares_the_form_s_throttle() {
        let clock = Arc::new(ManualClock::new());
        let throttle = ThrottleConfig { clock: clock.clone(), ..ThrottleConfig::default() };
        let demo = Demo::start_with(|settings| Settings { throttle, ..settings }).await;
        let mut client = demo.client();
        for _ in 0..PER_ACCOUNT.max_failures {
            let fresh = token(&mut client).await;
            refused(&sign_in(&mut client, &fresh, "alice@example.com", "wrong").await, 401, "invalid_credentials");
        }
        let last = token(&mut client).await;
        for password in ["wrong", "password"] {
            let throttled = sign_in(&mut client, &last, "alice@example.com", password).await;
            assert_eq!(refused(&throttled, 429, "too_many_attempts"), THROTTLED);
            assert_eq!(throttled.header("retry-after"), Some("900"));
        }
        assert_eq!(token(&mut client).await, last, "a throttled attempt spends no token");
        // The HTML form counts against the same account.
        assert_eq!(demo.client().sign_in("alice@example.com", "password").await.status, 429);

        clock.advance(Duration::from_secs(15 * 60));
        let done = sign_in(&mut client, &last, "alice@example.com", "password").await;
        assert_eq!(done.status, 200, "{}", done.body);
        demo.stop().await;
    }
}

demo_test! {
    async fn with_every_password_check_busy_it_answers_503() {
        let permits = Arc::new(tokio::sync::Semaphore::new(1));
        let hashing = HashLimiter::with_semaphore(permits.clone(), Duration::from_millis(20));
        let demo = Demo::start_with(|settings| Settings { hashing, ..settings }).await;
        let mut client = demo.client();
        let first = token(&mut client).await;
        // The test holds the only permit, as a sign-in stuck hashing would.
        let held = permits.acquire().await.unwrap();
        let busy = sign_in(&mut client, &first, "alice@example.com", "wrong").await;
        assert_eq!(refused(&busy, 503, "unavailable"), BUSY);
        assert_eq!(busy.header("retry-after"), Some("1"));
        drop(held);
        // No password was judged: the token stays, and serves the next attempt.
        assert_eq!(token(&mut client).await, first);
        assert_eq!(sign_in(&mut client, &first, "alice@example.com", "password").await.status, 200);
        demo.stop().await;
    }
}

demo_test! {
    async fn a_json_sign_in_during_a_json_link_adds_the_account() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let token = signed_in(&mut client, "alice@example.com").await;

        let started = api(&mut client, "link/start", &token).await;
        assert_eq!(started.status, 200, "{}", started.body);
        let started = json_of(&started);
        assert_eq!(started["complete"], "/link/api/link/complete");
        let token = started["csrf_token"].as_str().unwrap().to_owned();
        // Signed in during the link, bob waits to be added.
        let done = sign_in(&mut client, &token, "bob@example.com", "password").await;
        assert_eq!(done.status, 200, "{}", done.body);
        let token = json_of(&done)["csrf_token"].as_str().unwrap().to_owned();
        let waiting = accounts(&mut client).await;
        assert_eq!(
            listed(&waiting),
            [("alice@example.com".to_owned(), false, true, false), ("bob@example.com".to_owned(), true, false, true)],
            "{waiting}"
        );
        assert_eq!(waiting["accounts"][1]["actions"], json!(["finish_link"]), "{waiting}");

        let linked = api(&mut client, "link/complete", &token).await;
        assert_eq!(linked.status, 200, "{}", linked.body);
        let linked = json_of(&linked);
        assert_eq!(
            listed(&linked),
            [("alice@example.com".to_owned(), false, true, false), ("bob@example.com".to_owned(), true, false, false)],
            "{linked}"
        );
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as bob@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 2);

        // Carol, with the link path the start names (as the HTML form's `return_to`).
        let token = linked["csrf_token"].as_str().unwrap().to_owned();
        let started = json_of(&api(&mut client, "link/start", &token).await);
        let return_to = started["sign_in"].as_str().unwrap().split_once("return_to=").unwrap().1.replace("%2F", "/");
        assert_eq!(return_to, "/link/p/1");
        let body = json!({ "email": "carol@example.com", "password": "password", "return_to": return_to }).to_string();
        let done = post(&mut client, SIGN_IN, started["csrf_token"].as_str(), body.as_bytes(), &[]).await;
        assert_eq!(done.status, 200, "{}", done.body);
        let token = json_of(&done)["csrf_token"].as_str().unwrap().to_owned();
        let linked = json_of(&api(&mut client, "link/complete", &token).await);
        assert_eq!(linked["accounts"].as_array().map(Vec::len), Some(3), "{linked}");

        // An account of the group again: nothing changes.
        let token = linked["csrf_token"].as_str().unwrap().to_owned();
        let started = json_of(&api(&mut client, "link/start", &token).await);
        let token = started["csrf_token"].as_str().unwrap().to_owned();
        let again = sign_in(&mut client, &token, "bob@example.com", "password").await;
        let message = refused(&again, 409, "already_in_group");
        assert_eq!(message, "bob@example.com is already signed in \u{2014} switch to it.");
        let now = accounts(&mut client).await;
        assert_eq!(now["accounts"].as_array().map(Vec::len), Some(3), "{now}");
        assert_eq!(now["csrf_token"].as_str(), Some(token.as_str()), "nothing was written");
        demo.stop().await;
    }
}

demo_test! {
    async fn an_add_whose_link_expired_signs_nobody_in() {
        let demo =
            Demo::start_with(|settings| Settings { link_intent_ttl: Some(Duration::from_secs(1)), ..settings }).await;
        let mut client = demo.client();
        let token = signed_in(&mut client, "alice@example.com").await;
        let started = json_of(&api(&mut client, "link/start", &token).await);
        let token = started["csrf_token"].as_str().unwrap().to_owned();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let body = json!({ "email": "bob@example.com", "password": "password", "return_to": "/link/p/1" }).to_string();
        let late = post(&mut client, SIGN_IN, Some(&token), body.as_bytes(), &[]).await;
        assert_eq!(refused(&late, 409, "add_expired"), ADD_EXPIRED);
        let now = accounts(&mut client).await;
        assert_eq!(listed(&now), [("alice@example.com".to_owned(), true, true, false)], "alice stays, alone");
        assert_eq!(now["csrf_token"].as_str(), Some(token.as_str()), "nothing was written");
        demo.stop().await;
    }
}

demo_test! {
    async fn a_plain_json_sign_in_over_a_group_replaces_it() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let token = signed_in(&mut client, "alice@example.com").await;
        let started = json_of(&api(&mut client, "link/start", &token).await);
        let done = sign_in(&mut client, started["csrf_token"].as_str().unwrap(), "bob@example.com", "password").await;
        let token = json_of(&done)["csrf_token"].as_str().unwrap().to_owned();
        let linked = json_of(&api(&mut client, "link/complete", &token).await);
        assert_eq!(linked["accounts"].as_array().map(Vec::len), Some(2), "{linked}");
        let before = client.cookies();

        // No link pending: carol signs in alone, in a fresh session, and
        // alice's link to bob is revoked.
        let done = sign_in(&mut client, linked["csrf_token"].as_str().unwrap(), "carol@example.com", "password").await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_ne!(client.cookies(), before, "a fresh session cookie");
        let now = accounts(&mut client).await;
        assert_eq!(listed(&now), [("carol@example.com".to_owned(), true, true, false)], "{now}");
        let db = demo.database().await;
        let links = sea_orm::ConnectionTrait::query_one_raw(
            &db,
            sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM linked_accounts WHERE linked_user_id <> primary_user_id",
            ),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(links.try_get::<i64>("", "n").unwrap(), 0, "alice's link to bob was revoked");
        demo.stop().await;
    }
}

demo_test! {
    async fn the_single_page_app_is_served_under_a_strict_policy() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let page = client.get("/spa").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        let policy = page.header("content-security-policy").expect("a Content-Security-Policy");
        let directives = ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "form-action 'none'"];
        for directive in directives.into_iter().chain(["frame-ancestors 'none'"]) {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(page.body.contains(r#"<script src="/static/spa.js" defer></script>"#), "{}", page.body);
        let script = client.get("/static/spa.js").await;
        assert_eq!(script.status, 200);
        assert_eq!(script.header("content-type"), Some("text/javascript; charset=utf-8"));
        assert!(script.body.contains("/api/sign-in"));
        assert_eq!(client.cookies(), vec![], "loading the app creates no session");

        // The JSON API's refusals reach it as JSON, past the HTML error pages.
        let token = signed_in(&mut client, "alice@example.com").await;
        refused(&api(&mut client, "switch/2", "0000").await, 403, "csrf");
        refused(&api(&mut client, "switch/not-an-id", &token).await, 400, "malformed_id");
        refused(&api(&mut client, "switch/2", &token).await, 403, "forbidden");
        demo.stop().await;
    }
}
