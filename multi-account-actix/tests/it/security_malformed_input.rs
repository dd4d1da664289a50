//! Malformed input (SPEC §4 Security model, rule 5): invalid ids, 10 KB path
//! segments, Unicode and NUL bytes in the path, the query and form fields, bodies
//! that are not forms, odd headers and cookies. Each is a 4xx (or a 303 where the
//! request is otherwise legitimate), never a 5xx or a panic, and nothing is written.

use crate::support;

use crate::support::state;

use crate::support::{LINKED, client, database, link_count, linked_client};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::test::TestRequest;
use multi_account_actix::MultiAccountConfig;
use multi_account_actix::test_support::TestResponse;

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

fn assert_clean_refusal(response: &TestResponse, what: &str) {
    let status = response.status;
    assert!(status.is_client_error() || status == StatusCode::SEE_OTHER, "{what}: {status} {}", response.body);
    if let Some(location) = &response.location {
        assert!(location.starts_with('/') && !location.starts_with("//"), "{what}: Location {location:?}");
    }
}

fn assert_client_error(response: &TestResponse, what: &str) {
    assert!(response.status.is_client_error(), "{what}: {} {}", response.status, response.body);
}

// Malformed ids: a 4xx (or a 303), never a 5xx, and nothing written.
#[tokio::test]
async fn malformed_ids_are_refused_without_side_effects() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = linked_client(&config).await;
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
        let switch_url = client.switch_url(&segment).await;
        let responses = [
            ("GET link", client.get(&format!("/link/p/{segment}")).await),
            ("POST link", client.post_with_csrf(&format!("/link/p/{segment}"), &[]).await),
            ("POST link start", client.post_with_csrf(&format!("/link/p/{segment}?start"), &[]).await),
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
        let started = client.post_with_csrf(&format!("/link/p/{segment}?start"), &[]).await;
        assert_eq!(started.status, StatusCode::BAD_REQUEST, "link start {}", shown(segment));
    }
    assert_eq!(client.post_with_csrf("/link/remove/-0", &[]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(link_count(&test.db).await, 1);
    assert_eq!(state(&mut client).await, linked);
}

// More path segments: Unicode (encoded and as raw UTF-8 bytes), NUL anywhere,
// invalid UTF-8, dot segments, an empty id, extra segments, every route.
#[tokio::test]
async fn unicode_nul_and_invalid_utf8_in_the_path() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = linked_client(&config).await;
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
        assert_eq!(link_count(&test.db).await, 1, "segment {what}");
        assert_eq!(state(&mut client).await, linked, "segment {what}");
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
        for request in [TestRequest::put(), TestRequest::delete(), TestRequest::patch()] {
            let response = client.send(request.uri(path)).await;
            assert_client_error(&response, &format!("{path} with another method"));
        }
    }
    assert!(client.get("/link/sign-out-all").await.status.is_client_error());
    assert_eq!(link_count(&test.db).await, 1);
    assert_eq!(state(&mut client).await, linked);
}

// The CSRF field with NUL bytes, Unicode, 10 KB, around the real token: refused
// (403, or 400 for what is not a form field at all) on every route, in the
// query of a switch GET and in every form.
#[tokio::test]
async fn nul_unicode_and_huge_csrf_fields() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = linked_client(&config).await;
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
        assert_eq!(link_count(&test.db).await, 1, "csrf_token {what:?}");
        assert_eq!(state(&mut client).await, linked, "csrf_token {what:?}");
    }
    // Invalid UTF-8 and NUL in a raw query string.
    for query in ["csrf_token=%FF%FE", "csrf_token=%00", "csrf_token=%C0%80", "csrf_token", "=", "&&&", "csrf_token=%"]
    {
        let response = client.get(&format!("/link/switch_to/1?{query}")).await;
        assert_client_error(&response, &format!("query {query}"));
    }
    assert_eq!(client.csrf().await, token, "refusals do not touch the token");
    assert_eq!(state(&mut client).await, linked);
}

// Bodies that are not forms, or are broken forms: 4xx, nothing written, even
// where the real token is inside.
#[tokio::test]
async fn broken_form_bodies() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = linked_client(&config).await;
    let linked = LINKED;
    let token = client.csrf().await;
    let form = header::ContentType::form_url_encoded();
    let bodies: Vec<(&str, Option<header::ContentType>, Vec<u8>)> = vec![
        ("invalid UTF-8", Some(form.clone()), b"csrf_token=\xff\xfe".to_vec()),
        ("raw NUL", Some(form.clone()), format!("csrf_token=\0{token}").into_bytes()),
        ("duplicate field", Some(form.clone()), format!("csrf_token=x&csrf_token={token}").into_bytes()),
        ("JSON body", Some(header::ContentType::json()), format!(r#"{{"csrf_token":"{token}"}}"#).into_bytes()),
        ("text body", Some(header::ContentType::plaintext()), format!("csrf_token={token}").into_bytes()),
        ("no content type", None, format!("csrf_token={token}").into_bytes()),
        ("multipart", Some(header::ContentType(mime_multipart())), format!("csrf_token={token}").into_bytes()),
        ("100 KB form", Some(form.clone()), format!("csrf_token={token}&x={}", "a".repeat(100 * 1024)).into_bytes()),
        ("broken escapes", Some(form.clone()), b"csrf_token=%%%&%zz=%".to_vec()),
        ("array syntax", Some(form), format!("csrf_token[]={token}").into_bytes()),
    ];
    for (what, content_type, body) in bodies {
        for path in ["/link/switch_to/1", "/link/remove/2", "/link/sign-out-all", "/link/p/1", "/link/p/1?start"] {
            let mut request = TestRequest::post().uri(path).set_payload(body.clone());
            if let Some(content_type) = content_type.clone() {
                request = request.insert_header(content_type);
            }
            let response = client.send(request).await;
            assert_client_error(&response, &format!("{what} to {path}"));
        }
        assert_eq!(link_count(&test.db).await, 1, "{what}");
        assert_eq!(state(&mut client).await, linked, "{what}");
    }
}

fn mime_multipart() -> actix_web::mime::Mime {
    "multipart/form-data; boundary=x".parse().expect("a mime type")
}

// Headers and cookies: a Referer with bytes that are not text, huge or broken
// cookies, several session cookies. Legitimate requests still work (303); broken
// sessions read as signed out; never a 5xx.
#[tokio::test]
async fn odd_headers_and_cookies() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = linked_client(&config).await;
    let linked = LINKED;

    // A Referer that is not visible ASCII is ignored: the switch still lands on "/".
    for referer in [&b"http://localhost:8080/\xff\xfe"[..], b"http://localhost:8080/\xc3\xa9", b"\x80", b""] {
        let token = client.csrf().await;
        let request = TestRequest::get()
            .uri(&format!("/link/switch_to/2?csrf_token={token}"))
            .insert_header((header::REFERER, HeaderValue::from_bytes(referer).expect("a header value")));
        let response = client.send(request).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "Referer {referer:?}: {response:?}");
        assert_eq!(response.location.as_deref(), Some("/"), "Referer {referer:?}");
    }
    let long_referer = format!("http://localhost:8080/{}", "a".repeat(10 * 1024));
    client.headers = vec![("Referer".into(), long_referer)];
    let token = client.csrf().await;
    let response = client.get(&format!("/link/switch_to/2?csrf_token={token}")).await;
    assert_eq!(response.location.as_deref(), Some("/"), "a 10 KB Referer is dropped: {response:?}");
    client.headers.clear();
    assert_eq!(state(&mut client).await, linked);

    // Broken session cookies read as signed out; nothing written.
    let genuine = client.cookies().clone();
    let huge = "a".repeat(10 * 1024);
    for value in ["", "%%%", "é", "null", "{}", huge.as_str()] {
        let mut cookies = genuine.clone();
        cookies.insert("id".into(), value.to_owned());
        client.set_cookies(cookies);
        let what = shown(value);
        let read = client.get("/state").await;
        assert_eq!(read.status, StatusCode::OK, "cookie {what:?}: {read:?}");
        assert_eq!(read.body, "current=;primary=;group=", "cookie {what:?}");
        let token = client.csrf().await;
        for response in [
            client.get(&format!("/link/switch_to/1?csrf_token={token}")).await,
            client.post_form("/link/remove/2", &[("csrf_token", &token)]).await,
            client.post_form("/link/p/1", &[("csrf_token", &token)]).await,
            client.post_form("/link/p/1?start", &[("csrf_token", &token)]).await,
            client.get("/me").await,
        ] {
            assert_client_error(&response, &format!("cookie {what:?}"));
        }
        assert_eq!(link_count(&test.db).await, 1, "cookie {what:?}");
    }
    client.set_cookies(genuine);
    assert_eq!(state(&mut client).await, linked);
}

// Malformed input as a signed-out visitor: nothing to refuse with a 5xx either.
#[tokio::test]
async fn malformed_input_while_signed_out() {
    let test = database(2).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
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
        assert_client_error(&client.post_with_csrf(path, &[]).await, &format!("POST {path} with a token"));
    }
    let out = client.post_with_csrf("/link/sign-out-all", &[("x", "\0")]).await;
    assert_clean_refusal(&out, "sign-out-all while signed out");
    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(state(&mut client).await, "current=;primary=;group=");
}

// An oversized Referer at link start (the POST `?start`): its path becomes the
// intent's return path, stored in the session. A path of quotes is escaped twice (the intent's JSON
// inside the session's JSON), so ~1,000 of them (well under the 2,048-byte cap of
// `local_path`) exceeded the cookie store's 4,064-byte limit and the session
// middleware failed the response with a 500. `local_path` now refuses raw quotes
// and caps paths at 512 bytes, so the intent falls back to `after_link_path`.
#[tokio::test]
async fn an_oversized_referer_at_link_start_is_not_a_server_error() {
    use actix_web::test::{call_service, try_call_service};

    let test = database(2).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let service = support::service(&config).await;
    let signed_in = call_service(&service, TestRequest::post().uri("/__test/sign-in/1").to_request()).await;
    assert_eq!(signed_in.status(), StatusCode::NO_CONTENT);
    let cookie = signed_in.response().cookies().find(|cookie| cookie.name() == "id").expect("a session cookie");
    let cookie = actix_web::cookie::Cookie::new("id", cookie.value().to_owned());
    // Signing in minted the CSRF token, so reading it leaves the cookie as it is.
    let csrf = call_service(&service, TestRequest::get().uri("/__test/csrf").cookie(cookie.clone()).to_request()).await;
    assert_eq!(csrf.status(), StatusCode::OK);
    assert!(csrf.response().cookies().next().is_none(), "the token existed: the cookie is unchanged");
    let token = String::from_utf8(actix_web::test::read_body(csrf).await.to_vec()).expect("a text token");

    for (what, path) in [("letters", "a".repeat(2040)), ("quotes", "\"".repeat(1000))] {
        let request = TestRequest::post()
            .uri("/link/p/1?start")
            .cookie(cookie.clone())
            .insert_header((header::REFERER, format!("http://localhost:8080/{path}")))
            .set_form([("csrf_token", token.as_str())])
            .to_request();
        match try_call_service(&service, request).await {
            Ok(response) => {
                assert!(!response.status().is_server_error(), "{what}: {}", response.status());
                // The start itself went through: the intent (and its return path) was stored.
                assert_eq!(response.status(), StatusCode::SEE_OTHER, "{what}: the start");
            }
            Err(error) => {
                let status = error.as_response_error().status_code();
                assert!(!status.is_server_error(), "{what}: {status}: {error}");
            }
        }
    }
    assert_eq!(link_count(&test.db).await, 0);
}

// A method a route does not take answers 405 (one resource per path), changes
// nothing, and runs no handler: a GET cannot remove an account.
#[tokio::test]
async fn other_methods_are_refused_with_405_and_change_nothing() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = linked_client(&config).await;
    let linked = LINKED;
    let csrf = client.csrf().await;

    for (method, path) in [
        (actix_web::http::Method::GET, "/link/remove/2"),
        (actix_web::http::Method::DELETE, "/link/remove/2"),
        (actix_web::http::Method::GET, "/link/sign-out-all"),
        (actix_web::http::Method::PUT, "/link/p/1"),
        (actix_web::http::Method::DELETE, "/link/switch_to/1"),
    ] {
        let uri = format!("{path}?csrf_token={csrf}");
        let response = client.send(TestRequest::default().method(method.clone()).uri(&uri)).await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {}", response.body);
        assert_eq!(link_count(&test.db).await, 1, "{method} {path}");
        assert_eq!(state(&mut client).await, linked, "{method} {path}");
    }
}
