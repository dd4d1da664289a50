//! Malformed input (SPEC §4 Security model, rule 5): invalid ids, 10 KB path
//! segments, Unicode and NUL bytes in the path, the query and form fields, bodies
//! that are not forms, odd headers and cookies. Each is a 4xx (or a 303 where the
//! request is otherwise legitimate), never a 5xx or a panic, and nothing is written.

use sea_orm::DatabaseConnection;

use crate::app::{SuiteUser, database, link_count};
use crate::client::{Client, Harness, Options, Reply, SESSION_COOKIE};

/// The state line of [`linked_client`]'s session.
const LINKED: &str = "current=2;primary=1;group=1,2";

/// A client (GET switches on) signed in as 1 with 2 linked (2 current), its
/// state checked.
async fn linked_client<U: SuiteUser, H: Harness>(harness: &H, db: &DatabaseConnection) -> H::Client {
    let mut client = harness.client::<U>(db, &Options::get_switch()).await;
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.state().await, LINKED);
    client
}

/// Percent-encodes every byte but the unreserved ones.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(byte).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn shown(text: &str) -> String {
    text.chars().take(24).collect()
}

#[track_caller]
fn assert_clean_refusal(response: &Reply, what: &str) {
    let status = response.status;
    assert!(response.is_client_error() || status == 303, "{what}: {status} {}", response.body);
    if let Some(location) = &response.location {
        assert!(location.starts_with('/') && !location.starts_with("//"), "{what}: Location {location:?}");
    }
}

#[track_caller]
fn assert_client_error(response: &Reply, what: &str) {
    assert!(response.is_client_error(), "{what}: {} {}", response.status, response.body);
}

/// Malformed ids: a 4xx (or a 303), never a 5xx, and nothing written.
pub async fn malformed_ids_are_refused_without_side_effects<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = linked_client::<U, _>(harness, &db).await;
    let linked = LINKED;

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
        let switch_url = client.switch_url(segment).await;
        let responses = [
            ("GET link", client.get(&format!("/link/p/{segment}")).await),
            ("POST link", client.post_with_csrf(&format!("/link/p/{segment}")).await),
            ("POST link start", client.post_with_csrf(&format!("/link/p/{segment}?start")).await),
            ("GET switch", client.get(&switch_url).await),
            ("POST switch", client.post_with_csrf(&format!("/link/switch_to/{segment}")).await),
            ("POST remove", client.post_with_csrf(&format!("/link/remove/{segment}")).await),
        ];
        for (what, response) in responses {
            let status = response.status;
            assert!(response.is_client_error() || status == 303, "{what} {shown}: {status} {}", response.body);
        }
        assert_eq!(link_count(&db).await, 1, "segment {shown}");
        assert_eq!(client.state().await, linked, "segment {shown}");
    }
    // The ones named in the security model answer 400 precisely.
    for segment in ["abc", "01", "+1", "%E2%9C%93", long.as_str()] {
        assert_eq!(client.get(&format!("/link/p/{segment}")).await.status, 400);
        let started = client.post_with_csrf(&format!("/link/p/{segment}?start")).await;
        assert_eq!(started.status, 400, "link start {}", shown(segment));
    }
    assert_eq!(client.post_with_csrf("/link/remove/-0").await.status, 400);
    assert_eq!(link_count(&db).await, 1);
    assert_eq!(client.state().await, linked);
}

/// More path segments: Unicode (encoded and as raw UTF-8 bytes), NUL anywhere,
/// invalid UTF-8, dot segments, an empty id, extra segments, every route.
pub async fn unicode_nul_and_invalid_utf8_in_the_path<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = linked_client::<U, _>(harness, &db).await;
    let linked = LINKED;
    let nul_long = format!("1{}", "%00".repeat(3 * 1024));
    let unicode_long = encode(&"é".repeat(5 * 1024));
    let segments = [
        "%00".to_owned(),
        "%001".to_owned(),
        "2%00".to_owned(),
        "%00%00%00".to_owned(),
        encode("１"),
        encode("١"), // Arabic-Indic digit one
        encode("²"),
        encode("🔑"),
        encode("\u{202e}1"),
        encode("1\u{200b}"),
        "%FF".to_owned(),
        "%C0%AE".to_owned(), // overlong '.'
        "%ED%A0%80".to_owned(),
        "2%FF".to_owned(),
        ".".to_owned(),
        "..".to_owned(),
        "%2E".to_owned(),
        "1;2".to_owned(),
        "1,2".to_owned(),
        "0x1".to_owned(),
        "1e0".to_owned(),
        "-1".to_owned(),
        "-9223372036854775809".to_owned(),
        "18446744073709551616".to_owned(),
        "2%20".to_owned(),
        "%09".to_owned(),
        nul_long,
        unicode_long,
    ];
    for segment in &segments {
        let what = shown(segment);
        let token = client.csrf().await;
        for response in [
            client.get(&format!("/link/p/{segment}")).await,
            client.post_form(&format!("/link/p/{segment}"), &[("csrf_token", &token)]).await,
            client.post_form(&format!("/link/p/{segment}?start"), &[("csrf_token", &token)]).await,
            client.get(&format!("/link/switch_to/{segment}?csrf_token={token}")).await,
            client.post_form(&format!("/link/switch_to/{segment}"), &[("csrf_token", &token)]).await,
            client.post_form(&format!("/link/remove/{segment}"), &[("csrf_token", &token)]).await,
        ] {
            assert_client_error(&response, &format!("segment {what}"));
        }
        assert_eq!(link_count(&db).await, 1, "segment {what}");
        assert_eq!(client.state().await, linked, "segment {what}");
    }
    // Empty ids and extra segments do not match a route at all.
    let token = client.csrf().await;
    for path in
        ["/link/p/", "/link/switch_to/", "/link/remove/", "/link/p/1/x", "/link/switch_to/1/", "/link/remove//2"]
    {
        let got = client.get(&format!("{path}?csrf_token={token}")).await;
        assert_client_error(&got, &format!("GET {path}"));
        let posted = client.post_form(path, &[("csrf_token", &token)]).await;
        assert_client_error(&posted, &format!("POST {path}"));
    }
    // Unknown methods.
    for path in ["/link/p/1", "/link/switch_to/1", "/link/remove/2", "/link/sign-out-all"] {
        for method in ["PUT", "DELETE", "PATCH"] {
            let response = client.request(method, path, &[], b"").await;
            assert_client_error(&response, &format!("{path} with another method"));
        }
    }
    assert!(client.get("/link/sign-out-all").await.is_client_error());
    assert_eq!(link_count(&db).await, 1);
    assert_eq!(client.state().await, linked);
}

/// The CSRF field with NUL bytes, Unicode, 10 KB, around the real token: refused
/// (403, or 400 for what is not a form field at all) on every route, in the
/// query of a switch GET and in every form.
pub async fn nul_unicode_and_huge_csrf_fields<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = linked_client::<U, _>(harness, &db).await;
    let linked = LINKED;
    let token = client.csrf().await;
    let values = [
        "\0".to_owned(),
        format!("\0{token}"),
        format!("{token}\0"),
        format!("{}\0{}", &token[..32], &token[33..]),
        "✓".repeat(21),
        format!("{token}\u{202e}"),
        format!("\u{feff}{token}"),
        token.to_ascii_uppercase(),
        "a".repeat(10 * 1024),
        "é".repeat(5 * 1024),
        format!("{token}{}", "0".repeat(10 * 1024)),
        token.repeat(160),
    ];
    for value in &values {
        let what = shown(value);
        let query = encode(value);
        for response in [
            client.get(&format!("/link/switch_to/1?csrf_token={query}")).await,
            client.post_form("/link/switch_to/1", &[("csrf_token", value)]).await,
            client.post_form("/link/remove/2", &[("csrf_token", value)]).await,
            client.post_form("/link/sign-out-all", &[("csrf_token", value)]).await,
            client.post_form("/link/p/1", &[("csrf_token", value)]).await,
        ] {
            assert_client_error(&response, &format!("csrf_token {what:?}"));
        }
        assert_eq!(link_count(&db).await, 1, "csrf_token {what:?}");
        assert_eq!(client.state().await, linked, "csrf_token {what:?}");
    }
    // Invalid UTF-8 and NUL in a raw query string.
    for query in ["csrf_token=%FF%FE", "csrf_token=%00", "csrf_token=%C0%80", "csrf_token", "=", "&&&", "csrf_token=%"]
    {
        let response = client.get(&format!("/link/switch_to/1?{query}")).await;
        assert_client_error(&response, &format!("query {query}"));
    }
    assert_eq!(client.csrf().await, token, "refusals do not touch the token");
    assert_eq!(client.state().await, linked);
}

/// Bodies that are not forms, or are broken forms: 4xx, nothing written, even
/// where the real token is inside.
pub async fn broken_form_bodies<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = linked_client::<U, _>(harness, &db).await;
    let linked = LINKED;
    let token = client.csrf().await;
    let form = "application/x-www-form-urlencoded";
    let bodies: Vec<(&str, Option<&str>, Vec<u8>)> = vec![
        ("invalid UTF-8", Some(form), b"csrf_token=\xff\xfe".to_vec()),
        ("raw NUL", Some(form), format!("csrf_token=\0{token}").into_bytes()),
        ("duplicate field", Some(form), format!("csrf_token=x&csrf_token={token}").into_bytes()),
        ("JSON body", Some("application/json"), format!(r#"{{"csrf_token":"{token}"}}"#).into_bytes()),
        ("text body", Some("text/plain; charset=utf-8"), format!("csrf_token={token}").into_bytes()),
        ("no content type", None, format!("csrf_token={token}").into_bytes()),
        ("multipart", Some("multipart/form-data; boundary=x"), format!("csrf_token={token}").into_bytes()),
        ("100 KB form", Some(form), format!("csrf_token={token}&x={}", "a".repeat(100 * 1024)).into_bytes()),
        ("broken escapes", Some(form), b"csrf_token=%%%&%zz=%".to_vec()),
        ("array syntax", Some(form), format!("csrf_token[]={token}").into_bytes()),
    ];
    for (what, content_type, body) in bodies {
        for path in ["/link/switch_to/1", "/link/remove/2", "/link/sign-out-all", "/link/p/1", "/link/p/1?start"] {
            let headers: Vec<(&str, &[u8])> =
                content_type.iter().map(|value| ("content-type", value.as_bytes())).collect();
            let response = client.request("POST", path, &headers, &body).await;
            assert_client_error(&response, &format!("{what} to {path}"));
        }
        assert_eq!(link_count(&db).await, 1, "{what}");
        assert_eq!(client.state().await, linked, "{what}");
    }
}

/// Headers and cookies: a Referer with bytes that are not text, huge or broken
/// cookies, several session cookies. Legitimate requests still work (303); broken
/// sessions read as signed out; never a 5xx.
pub async fn odd_headers_and_cookies<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = linked_client::<U, _>(harness, &db).await;
    let linked = LINKED;

    // A Referer that is not visible ASCII is ignored: the switch still lands on "/".
    let origin = client.origin();
    let not_text = [[origin.as_bytes(), b"/\xff\xfe"].concat(), [origin.as_bytes(), b"/\xc3\xa9"].concat()];
    for referer in [&not_text[0][..], &not_text[1][..], b"\x80", b""] {
        let token = client.csrf().await;
        let path = format!("/link/switch_to/2?csrf_token={token}");
        let response = client.request("GET", &path, &[("referer", referer)], b"").await;
        assert_eq!(response.status, 303, "Referer {referer:?}: {response:?}");
        assert_eq!(response.location.as_deref(), Some("/"), "Referer {referer:?}");
    }
    let long_referer = format!("{origin}/{}", "a".repeat(10 * 1024));
    client.set_headers(vec![("Referer".into(), long_referer)]);
    let token = client.csrf().await;
    let response = client.get(&format!("/link/switch_to/2?csrf_token={token}")).await;
    assert_eq!(response.location.as_deref(), Some("/"), "a 10 KB Referer is dropped: {response:?}");
    client.set_headers(Vec::new());
    assert_eq!(client.state().await, linked);

    // Broken session cookies read as signed out; nothing written.
    let genuine = client.cookies();
    let huge = "a".repeat(10 * 1024);
    for value in ["", "%%%", "é", "null", "{}", huge.as_str()] {
        let mut cookies = genuine.clone();
        cookies.insert(SESSION_COOKIE.to_owned(), value.to_owned());
        client.set_cookies(cookies);
        let what = shown(value);
        let read = client.get("/state").await;
        assert_eq!(read.status, 200, "cookie {what:?}: {read:?}");
        assert_eq!(read.body, "current=;primary=;group=", "cookie {what:?}");
        let token = client.csrf().await;
        for response in [
            client.get(&format!("/link/switch_to/1?csrf_token={token}")).await,
            client.post_form("/link/remove/2", &[("csrf_token", &token)]).await,
            client.post_form("/link/p/1", &[("csrf_token", &token)]).await,
            client.post_form("/link/p/1?start", &[("csrf_token", &token)]).await,
            client.get("/current").await,
        ] {
            assert_client_error(&response, &format!("cookie {what:?}"));
        }
        assert_eq!(link_count(&db).await, 1, "cookie {what:?}");
    }
    client.set_cookies(genuine);
    assert_eq!(client.state().await, linked);
}

/// Malformed input as a signed-out visitor: nothing to refuse with a 5xx either.
pub async fn malformed_input_while_signed_out<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    for path in [
        "/link/p/abc",
        "/link/p/%00",
        "/link/p/1",
        "/link/p/1?start",
        "/link/switch_to/%FF",
        "/link/switch_to/1",
        "/link/remove/1",
    ] {
        assert_client_error(&client.get(path).await, &format!("GET {path}"));
        assert_client_error(&client.post_form(path, &[("csrf_token", "\0")]).await, &format!("POST {path}"));
        assert_client_error(&client.post_with_csrf(path).await, &format!("POST {path} with a token"));
    }
    let out = client.post_fields_with_csrf("/link/sign-out-all", &[("x", "\0")]).await;
    assert_clean_refusal(&out, "sign-out-all while signed out");
    assert_eq!(link_count(&db).await, 0);
    assert_eq!(client.state().await, "current=;primary=;group=");
}

/// An oversized Referer at link start (the POST `?start`): its path becomes the
/// intent's return path, stored in the session. A path of quotes is escaped twice (the intent's JSON
/// inside the session's JSON), so ~1,000 of them (well under the 2,048-byte cap of
/// `local_path`) exceeded the cookie store's 4,064-byte limit and the session
/// middleware failed the response with a 500. `local_path` now refuses raw quotes
/// and caps paths at 512 bytes, so the intent falls back to `after_link_path`.
pub async fn an_oversized_referer_at_link_start_is_not_a_server_error<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    assert_eq!(client.sign_in(1).await.status, 204);
    let token = client.csrf().await;
    let signed_in = client.cookies();
    let origin = client.origin();
    let body = format!("csrf_token={token}");
    for (what, path) in [("letters", "a".repeat(2040)), ("quotes", "\"".repeat(1000))] {
        // Each start from the same signed-in session.
        client.set_cookies(signed_in.clone());
        let referer = format!("{origin}/{path}");
        let headers: [(&str, &[u8]); 2] =
            [("referer", referer.as_bytes()), ("content-type", b"application/x-www-form-urlencoded")];
        let response = client.request("POST", "/link/p/1?start", &headers, body.as_bytes()).await;
        assert!(!response.is_server_error(), "{what}: {response:?}");
        // The start itself went through: the intent (and its return path) was stored.
        assert_eq!(response.status, 303, "{what}: the start: {response:?}");
    }
    assert_eq!(link_count(&db).await, 0);
}

/// A method a route does not take answers 405 (one resource per path), changes
/// nothing, and runs no handler: a GET cannot remove an account.
pub async fn other_methods_are_refused_with_405_and_change_nothing<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = linked_client::<U, _>(harness, &db).await;
    let linked = LINKED;
    let csrf = client.csrf().await;

    for (method, path) in [
        ("GET", "/link/remove/2"),
        ("DELETE", "/link/remove/2"),
        ("GET", "/link/sign-out-all"),
        ("PUT", "/link/p/1"),
        ("DELETE", "/link/switch_to/1"),
    ] {
        let uri = format!("{path}?csrf_token={csrf}");
        let response = client.request(method, &uri, &[], b"").await;
        assert_eq!(response.status, 405, "{method} {path}: {}", response.body);
        assert_eq!(link_count(&db).await, 1, "{method} {path}");
        assert_eq!(client.state().await, linked, "{method} {path}");
    }
}

/// Bad ids, tokens and bodies on every route: the precise 4xx.
pub async fn bad_input_is_a_4xx_never_a_500<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    let cases = [
        ("/link/switch_to/abc", 400),
        ("/link/switch_to/99999999999999999999999", 400),
        ("/link/switch_to/2", 403),
        ("/link/remove/2", 403),
        ("/link/p/2?start", 403),
        ("/link/p/1", 403),
        ("/link/p/%00", 400),
    ];
    for (path, status) in cases {
        let reply = client.post_with_csrf(path).await;
        assert_eq!(reply.status, status, "{path}: {reply:?}");
    }
    let not_a_form = client.post_raw("/link/switch_to/1", "application/json", "{}").await;
    assert_eq!(not_a_form.status, 403, "no token in a body that is not a form: {not_a_form:?}");
    let mut anonymous = harness.client::<U>(&db, &Options::default()).await;
    assert_eq!(anonymous.get("/link/p/1").await.status, 401);
    assert_eq!(anonymous.get("/me").await.body, "");
}

/// The routes read a form of up to 16 KiB (actix-web's form limit, on both
/// adapters): a token with a long field beside it still counts; a larger body
/// is no token, a 403 that writes nothing.
pub async fn a_form_of_up_to_16_kib_is_read_and_a_larger_one_is_no_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let token = client.csrf().await;
    let padding = "x".repeat(10 * 1024);
    let read = client.post_form("/link/switch_to/1", &[("csrf_token", &token), ("padding", &padding)]).await;
    assert_eq!(read.status, 303, "10 KiB: {read:?}");
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");

    let token = client.csrf().await;
    let padding = "x".repeat(17 * 1024);
    let before = client.session_entries().await;
    let refused = client.post_form("/link/switch_to/2", &[("csrf_token", &token), ("padding", &padding)]).await;
    assert_eq!(refused.status, 403, "17 KiB: {refused:?}");
    assert_eq!(client.session_entries().await, before, "nothing written");
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");
}
