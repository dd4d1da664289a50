//! Open redirects (SPEC §4 Security model, rule 4): redirects go to local paths
//! only (`/x`, never `//host`, `/\host` or an absolute URL), and a Referer is
//! used only when it is same-origin. The Referer feeds the link intent's return
//! path (link start → link completion) and the switch / unlink redirect; every
//! form of absolute, protocol-relative, backslash, percent-encoded and
//! whitespace-laced URL is tried there and in `return_to`-like query parameters.

use crate::app::{SuiteUser, database, link_count};
use crate::client::{Client, Harness, Options, Reply, auto_submit_token};

/// Redirect targets that must never leave the site, in every spelling.
pub const HOSTILE: [&str; 45] = [
    "//evil.example",
    "///evil.example",
    "////evil.example/x",
    "//evil.example/%2F..",
    r"/\evil.example",
    r"\\evil.example",
    r"\evil.example",
    r"/\/evil.example",
    r"\/evil.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "http://evil.example/x",
    "HtTp://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "ftp://evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%2Fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "%5C%5Cevil.example",
    "http://localhost:8080@evil.example/",
    "http://localhost:8080.evil.example/",
    "http://localhost:80800/x",
    "http://localhost:8080%40evil.example/",
    "/\t/evil.example",
    "\t//evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/ /evil.example",
    "/\u{0}/evil.example",
    "/\u{a0}/evil.example",
    "/\u{3000}/evil.example",
    "/\u{2028}/evil.example",
    "evil.example",
    "",
    "?next=//evil.example",
];

/// Odd but local: a browser resolves each of them on this origin.
pub const LOCAL: [&str; 10] = [
    "/",
    "/settings?tab=1",
    "/a/b#frag",
    "/a//b",
    "/@evil.example",
    "/evil.example",
    "/.//evil.example",
    "/%252F%252Fevil.example",
    "/%09/evil.example",
    "/https://evil.example",
];

#[track_caller]
fn assert_local_redirect(response: &Reply, what: &str) {
    assert_eq!(response.status, 303, "{what}: {response:?}");
    let location = response.location.as_deref().unwrap_or_else(|| panic!("{what}: no Location: {response:?}"));
    assert!(location.starts_with('/'), "{what}: Location {location:?} is not a local path");
    assert!(!location.starts_with("//"), "{what}: Location {location:?} is protocol-relative");
    assert!(!location.contains('\\'), "{what}: Location {location:?} holds a backslash");
    assert!(!location.to_ascii_lowercase().contains("evil"), "{what}: Location {location:?} leaks the referer");
}

/// A 303 to exactly `expected`.
#[track_caller]
fn assert_redirect_to(response: &Reply, expected: &str, what: &str) {
    assert_local_redirect(response, what);
    assert_eq!(response.location.as_deref(), Some(expected), "{what}");
}

/// Whether `value` can be sent as an HTTP header value (no control characters).
fn is_header_value(value: &str) -> bool {
    value.bytes().all(|byte| (byte >= 32 && byte != 127) || byte == b'\t')
}

/// Every Referer an attacker can send for `target`: the value itself, glued to
/// this origin, and glued to the right host with the wrong scheme. Values that
/// cannot be an HTTP header (NUL, newlines) are left out: no client can send
/// them.
fn hostile_referers(origin: &str) -> Vec<String> {
    let https = origin.replacen("http://", "https://", 1);
    let mut referers = Vec::new();
    for target in HOSTILE {
        for referer in [target.to_owned(), format!("{origin}{target}"), format!("{https}{target}")] {
            if is_header_value(&referer) && !referers.contains(&referer) {
                referers.push(referer);
            }
        }
    }
    referers
}

/// Same-origin prefix, but a path that is not local once the origin is
/// stripped (or an origin that only starts like ours).
fn sneaky_referers(origin: &str) -> [String; 4] {
    [
        format!("{origin}//evil.example/x"),
        format!(r"{origin}/\evil.example"),
        format!("{origin}/%2F%2Fevil.example"),
        format!("{origin}@evil.example/x"),
    ]
}

/// The referers an attacker may send; none of them is this app's origin.
fn hostile_referer_list(origin: &str) -> [String; 5] {
    [
        "//evil.example".to_owned(),
        "https://evil.example/x".to_owned(),
        r"/\evil.example".to_owned(),
        "javascript:alert(1)".to_owned(),
        format!("{origin}.evil.example/x"),
    ]
}

fn referer(value: &str) -> Vec<(String, String)> {
    vec![("Referer".to_owned(), value.to_owned())]
}

/// Redirects after switch and link stay local whatever the Referer says; a
/// same-origin Referer is honoured.
pub async fn switch_and_link_redirect_only_to_local_paths<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(12).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    let origin = client.origin();
    client.sign_in(1).await;
    client.complete_link(1, 2).await;

    // Control: a same-origin Referer is honoured.
    client.set_headers(referer(&format!("{origin}/settings?tab=1")));
    let url = client.switch_url(1).await;
    let switched = client.get(&url).await;
    assert_eq!(switched.location.as_deref(), Some("/settings?tab=1"), "{switched:?}");

    let referers: Vec<String> = hostile_referer_list(origin).into_iter().chain(sneaky_referers(origin)).collect();
    for (n, hostile) in referers.iter().enumerate() {
        client.set_headers(referer(hostile));
        let target = if n % 2 == 0 { 2 } else { 1 };
        let url = client.switch_url(target).await;
        let switched = client.get(&url).await;
        assert_local_redirect(&switched, &format!("switch GET with Referer {hostile}"));
        assert_eq!(client.get("/me").await.body, target.to_string(), "the switch itself happened");
        let switched = client.post_with_csrf(&format!("/link/switch_to/{}", 3 - target)).await;
        assert_local_redirect(&switched, &format!("switch POST with Referer {hostile}"));
    }

    // Link: the intent's return path comes from the Referer at the start.
    client.set_headers(Vec::new());
    let url = client.switch_url(1).await;
    client.get(&url).await;
    let mut linked = 1;
    for (n, hostile) in referers.iter().enumerate() {
        let account = i64::try_from(n).unwrap() + 3;
        client.set_headers(referer(hostile));
        let started = client.start_link(1).await;
        assert_local_redirect(&started, &format!("link start with Referer {hostile}"));
        client.sign_in(account).await;
        let page = client.get("/link/p/1").await;
        let token = auto_submit_token(&page.body).expect("auto-submit page");
        // The final POST comes from the auto-submit page itself.
        client.set_headers(referer(&format!("{origin}/link/p/1")));
        let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_local_redirect(&done, &format!("link completion after Referer {hostile}"));
        linked += 1;
        assert_eq!(link_count(&db).await, linked, "link {account} completed");
    }
}

/// Every hostile Referer, on every route that redirects: the switch (GET and
/// POST), the refused removal of the primary, a real removal, and the link flow
/// (start → sign-in → completion). Each lands on the default path "/" exactly.
pub async fn every_hostile_referer_falls_back_to_the_default_path<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    let referers = hostile_referers(client.origin());
    assert!(referers.len() > 100, "{} referers", referers.len());

    for hostile in &referers {
        let with = |what: &str| format!("{what} with Referer {hostile:?}");
        // Link 2 with the hostile Referer at the start: the intent keeps "/".
        client.set_headers(referer(hostile));
        let started = client.start_link(1).await;
        assert_redirect_to(&started, "/sign-in?return_to=/link/p/1", &with("link start"));
        client.set_headers(Vec::new());
        client.sign_in(2).await;
        let page = client.get("/link/p/1").await;
        let token = auto_submit_token(&page.body).expect("auto-submit page");
        client.set_headers(referer(hostile));
        let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_redirect_to(&done, "/", &with("link completion"));
        assert_eq!(client.state().await, "current=2;primary=1;group=1,2");

        let url = client.switch_url(1).await;
        assert_redirect_to(&client.get(&url).await, "/", &with("switch GET"));
        let switched = client.post_with_csrf("/link/switch_to/2").await;
        assert_redirect_to(&switched, "/", &with("switch POST"));
        let refused = client.post_with_csrf("/link/remove/1").await;
        assert_redirect_to(&refused, "/", &with("refused removal of the primary"));
        let removed = client.post_with_csrf("/link/remove/2").await;
        assert_redirect_to(&removed, "/", &with("removal"));
        assert_eq!(client.state().await, "current=1;primary=1;group=1");
        assert_eq!(link_count(&db).await, 0);
    }
}

/// A link refused by the rules (the group is full) goes back to the intent's
/// return path with a message: a hostile Referer at the start still gives "/".
pub async fn a_refused_link_returns_to_a_local_path<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(12).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    let origin = client.origin();
    client.sign_in(1).await;
    for id in 2..=11 {
        client.complete_link(1, id).await;
    }
    assert_eq!(link_count(&db).await, 10, "the group is full");
    for hostile in ["//evil.example".to_owned(), format!("{origin}//evil.example"), "https://evil.example/x".to_owned()]
    {
        client.set_headers(referer(&hostile));
        let started = client.start_link(1).await;
        assert_local_redirect(&started, &hostile);
        client.set_headers(Vec::new());
        client.sign_in(12).await;
        let page = client.get("/link/p/1").await;
        let token = auto_submit_token(&page.body).expect("auto-submit page");
        let refused = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_redirect_to(&refused, "/", &format!("refused link after Referer {hostile}"));
        assert_eq!(link_count(&db).await, 10);
        assert_eq!(client.get("/me").await.body, "1", "back on the primary");
    }
}

/// Query parameters and form fields named like redirect targets are not read
/// at all.
pub async fn return_to_like_query_parameters_are_ignored<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let params = ["return_to", "redirect", "redirect_to", "next", "url", "back", "location"];
    let values = ["%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil.example", "//evil.example"];
    for param in params {
        for value in values {
            let token = client.csrf().await;
            let query = format!("{param}={value}");
            let switched = client.get(&format!("/link/switch_to/1?csrf_token={token}&{query}")).await;
            assert_redirect_to(&switched, "/", &format!("switch GET ?{query}"));
            let switched = client.post_with_csrf(&format!("/link/switch_to/2?{query}")).await;
            assert_redirect_to(&switched, "/", &format!("switch POST ?{query}"));
            let token = client.csrf().await;
            let switched =
                client.post_form("/link/switch_to/1", &[("csrf_token", &token), (param, "//evil.example")]).await;
            assert_redirect_to(&switched, "/", &format!("switch POST with a {param} field"));
            let refused =
                client.post_fields_with_csrf(&format!("/link/remove/1?{query}"), &[(param, "//evil.example")]).await;
            assert_redirect_to(&refused, "/", &format!("refused removal ?{query}"));
            let url = client.switch_url(2).await;
            client.get(&url).await;
        }
    }
    // The link flow: start and completion with the parameter on every URL.
    let url = client.switch_url(1).await;
    client.get(&url).await;
    let removed = client.post_with_csrf("/link/remove/2?return_to=//evil.example").await;
    assert_redirect_to(&removed, "/", "removal ?return_to");
    let page = client.get("/link/p/1?return_to=//evil.example").await;
    assert_eq!(page.status, 200, "the start page: {page:?}");
    assert!(!page.body.contains("evil"), "the start form posts to the link path only: {}", page.body);
    let started = client
        .post_fields_with_csrf("/link/p/1?start&return_to=%2F%2Fevil.example", &[("return_to", "//evil.example")])
        .await;
    assert_redirect_to(&started, "/sign-in?return_to=/link/p/1", "link start ?return_to");
    client.sign_in(2).await;
    let page = client.get("/link/p/1?return_to=//evil.example").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    assert!(!page.body.contains("evil"), "the auto-submit form posts to the link path only: {}", page.body);
    let done = client.post_form("/link/p/1?return_to=//evil.example", &[("csrf_token", &token)]).await;
    assert_redirect_to(&done, "/", "link completion ?return_to");
    assert_eq!(link_count(&db).await, 1);
}

/// Sign-out-all always goes to the configured path, whatever the Referer.
pub async fn sign_out_all_ignores_the_referer<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    let origin = client.origin();
    for hostile in ["//evil.example".to_owned(), format!("{origin}/settings"), "https://evil.example".to_owned()] {
        client.sign_in(1).await;
        client.complete_link(1, 2).await;
        client.set_headers(referer(&hostile));
        let out = client.post_with_csrf("/link/sign-out-all?return_to=//evil.example").await;
        assert_redirect_to(&out, "/", &format!("sign-out-all with Referer {hostile}"));
        client.set_headers(Vec::new());
        assert_eq!(link_count(&db).await, 0);
    }
}

/// A Referer that is exactly this origin (no path) counts as `/`, not as
/// foreign; a longer host that starts like ours is foreign (the app's
/// `after_switch_path`).
pub async fn a_referer_of_exactly_this_origin_returns_to_the_root<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let options = Options { after_switch_path: Some("/dashboard"), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    let origin = client.origin();
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.set_headers(referer(origin));
    let switched = client.switch(1).await;
    assert_eq!(switched.location.as_deref(), Some("/"), "{switched:?}");
    client.set_headers(referer(&format!("{origin}.evil.example/x")));
    let switched = client.switch(2).await;
    assert_eq!(switched.location.as_deref(), Some("/dashboard"), "a longer host is foreign: {switched:?}");
}
