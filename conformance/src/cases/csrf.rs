//! CSRF (SPEC §4 Security model, rules 2 and 3): every state change needs this
//! session's current CSRF token and a same-origin request; anything else is a
//! 403 that writes nothing.

use crate::app::{SuiteUser, database, link_count, link_rows, link_rows_with_tokens};
use crate::client::{Client, Harness, Options, Reply, assert_forbidden, auto_submit_token};

#[allow(unused_imports)]
use super::SIGNED_OUT;

/// Every state change needs the token and a same-origin request: no token, a
/// wrong one, or a cross-site `Sec-Fetch-Site` / `Origin` is a 403 that writes
/// nothing.
pub async fn every_state_change_needs_the_token_and_a_same_origin_request<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let before = (client.session_entries().await, link_rows(&db).await);
    for path in ["/link/switch_to/1", "/link/remove/2", "/link/p/1?start", "/link/p/1", "/link/sign-out-all"] {
        for token in [None, Some("0".repeat(64))] {
            let fields: Vec<(&str, &str)> = token.iter().map(|token| ("csrf_token", token.as_str())).collect();
            let refused = client.post_form(path, &fields).await;
            assert_eq!(refused.status, 403, "{path} {token:?}: {refused:?}");
            assert_eq!(refused.body, "missing or invalid CSRF token", "{path} {token:?}");
        }
        let token = client.csrf().await;
        for (name, value) in [("Sec-Fetch-Site", "cross-site"), ("Origin", "http://evil.example")] {
            client.set_headers(vec![(name.to_owned(), value.to_owned())]);
            let refused = client.post_form(path, &[("csrf_token", &token)]).await;
            assert_eq!(refused.status, 403, "{path} {name}: {refused:?}");
            assert_eq!(refused.body, "forbidden", "{path} {name}: the reason stays in the logs");
            client.set_headers(Vec::new());
        }
    }
    assert_eq!((client.session_entries().await, link_rows(&db).await), before, "nothing written");
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    client.set_headers(vec![("Sec-Fetch-Site".to_owned(), "same-origin".to_owned())]);
    assert_eq!(client.switch(1).await.status, 303, "control: same-origin");
}

/// A well-formed token (64 hex chars, the real length) that no session holds.
const WRONG_TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Sends one state change with `token` (`None`: no field at all).
async fn attempt(client: &mut impl Client, action: &str, token: Option<&str>) -> Reply {
    let fields: Vec<(&str, &str)> = token.map(|token| vec![("csrf_token", token)]).unwrap_or_default();
    match action {
        "switch GET" => match token {
            Some(token) => client.get(&format!("/link/switch_to/2?csrf_token={}", token.replace(' ', "%20"))).await,
            None => client.get("/link/switch_to/2").await,
        },
        "switch POST" => client.post_form("/link/switch_to/2", &fields).await,
        "unlink" => client.post_form("/link/remove/2", &fields).await,
        "sign-out-all" => client.post_form("/link/sign-out-all", &fields).await,
        "link POST" => client.post_form("/link/p/1", &fields).await,
        "link start" => client.post_form("/link/p/1?start", &fields).await,
        other => unreachable!("{other}"),
    }
}

/// Whether the session holds a link intent.
async fn has_intent(client: &mut impl Client) -> bool {
    client.session_entries().await.get("_multi_account_link_intent").is_some()
}

/// Completing a link needs this session's CSRF token: none, empty, wrong,
/// truncated, another session's, or in the query only are refused.
pub async fn link_post_needs_this_sessions_csrf_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client_a = harness.client::<U>(&db, &Options::default()).await;
    let mut client_b = harness.client::<U>(&db, &Options::default()).await;
    client_b.sign_in(3).await;
    let foreign_token = client_b.csrf().await;

    client_a.sign_in(1).await;
    let token = client_a.up_to_auto_submit(1, 2).await;
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

    assert_eq!(link_count(&db).await, 0);
    assert_eq!(client_a.state().await, "current=2;primary=1;group=1", "still pending, nothing linked");

    // Control: the right token still completes the same pending link.
    let done = client_a.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(link_count(&db).await, 1);
    assert_eq!(client_a.state().await, "current=2;primary=1;group=1,2");
}

/// Starting a link needs this session's CSRF token; a refused start writes
/// nothing (no group, no intent) and does not rotate the token.
pub async fn link_start_needs_this_sessions_csrf_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client_b = harness.client::<U>(&db, &Options::default()).await;
    client_b.sign_in(3).await;
    let foreign_token = client_b.csrf().await;

    let mut client_a = harness.client::<U>(&db, &Options::default()).await;
    let before_sign_in = client_a.csrf().await;
    client_a.sign_in(1).await;
    let token = client_a.csrf().await;
    assert_ne!(token, foreign_token);
    assert_ne!(token, before_sign_in, "signing in rotates the token");
    let standard = "current=1;primary=;group=";
    assert_eq!(client_a.state().await, standard);

    let truncated = &token[..63];
    let upper = token.to_ascii_uppercase();
    let query = format!("/link/p/1?start&csrf_token={token}");
    let attempts = [
        ("no token", "/link/p/1?start", vec![]),
        ("an empty token", "/link/p/1?start", vec![("csrf_token", "")]),
        ("a wrong token", "/link/p/1?start", vec![("csrf_token", WRONG_TOKEN)]),
        ("a truncated token", "/link/p/1?start", vec![("csrf_token", truncated)]),
        ("an upper-case token", "/link/p/1?start", vec![("csrf_token", upper.as_str())]),
        ("another session's token", "/link/p/1?start", vec![("csrf_token", foreign_token.as_str())]),
        ("the token from before the sign-in", "/link/p/1?start", vec![("csrf_token", before_sign_in.as_str())]),
        ("the token in the query only", query.as_str(), vec![]),
    ];
    for (what, path, fields) in attempts {
        assert_forbidden(&client_a.post_form(path, &fields).await, &format!("link start with {what}"));
        assert!(link_rows_with_tokens(&db).await.is_empty(), "link start with {what}: no group opened");
        assert!(!has_intent(&mut client_a).await, "link start with {what}: no intent written");
        assert_eq!(client_a.state().await, standard, "link start with {what}: nothing changed");
    }
    assert_eq!(client_a.csrf().await, token, "refusals do not rotate the token");

    // Control: the right token starts the link.
    let started = client_a.post_form("/link/p/1?start", &[("csrf_token", &token)]).await;
    assert_eq!(started.status, 303, "{started:?}");
    assert!(has_intent(&mut client_a).await, "the intent is written");
    assert_eq!(link_rows_with_tokens(&db).await.len(), 1, "the group is opened");
    assert_eq!(link_count(&db).await, 0, "and nothing linked yet");
    assert_eq!(client_a.state().await, "current=1;primary=1;group=1");
}

/// Switch (GET and POST), remove and sign-out-all need the CSRF token.
pub async fn switch_remove_and_sign_out_all_need_the_csrf_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client_a = harness.client::<U>(&db, &Options::get_switch()).await;
    let mut client_b = harness.client::<U>(&db, &Options::get_switch()).await;
    client_b.sign_in(3).await;
    let foreign_token = client_b.csrf().await;

    client_a.sign_in(1).await;
    assert_eq!(client_a.complete_link(1, 2).await.status, 303);
    let linked = "current=2;primary=1;group=1,2";
    assert_eq!(client_a.state().await, linked);
    assert_eq!(link_count(&db).await, 1);

    assert_forbidden(&client_a.get("/link/switch_to/1").await, "switch GET without a token");
    assert_forbidden(&client_a.get("/link/switch_to/1?csrf_token=").await, "switch GET with an empty token");
    let wrong = client_a.get(&format!("/link/switch_to/1?csrf_token={WRONG_TOKEN}")).await;
    assert_forbidden(&wrong, "switch GET with a wrong token");
    let foreign = client_a.get(&format!("/link/switch_to/1?csrf_token={foreign_token}")).await;
    assert_forbidden(&foreign, "switch GET with another session's token");
    assert_forbidden(&client_a.post_form("/link/switch_to/1", &[]).await, "switch POST without a token");
    assert_eq!(client_a.state().await, linked, "no switch happened");

    assert_forbidden(&client_a.post_form("/link/remove/2", &[]).await, "remove without a token");
    let wrong = client_a.post_form("/link/remove/2", &[("csrf_token", WRONG_TOKEN)]).await;
    assert_forbidden(&wrong, "remove with a wrong token");
    assert_eq!(link_count(&db).await, 1, "the link survives");
    assert_eq!(client_a.state().await, linked);

    assert_forbidden(&client_a.post_form("/link/sign-out-all", &[]).await, "sign-out-all without a token");
    let foreign = client_a.post_form("/link/sign-out-all", &[("csrf_token", &foreign_token)]).await;
    assert_forbidden(&foreign, "sign-out-all with another session's token");
    assert_eq!(link_count(&db).await, 1, "the links still exist");
    assert_eq!(client_a.state().await, linked, "still signed in");
    assert_eq!(client_a.get("/me").await.body, "2");

    // Control: with the token each of them works.
    let url = client_a.switch_url(1).await;
    assert_eq!(client_a.get(&url).await.status, 303);
    assert_eq!(client_a.get("/me").await.body, "1");
}

/// A token captured before a switch is dead after it (rotation), on every
/// state change.
pub async fn a_csrf_token_from_before_a_switch_is_rejected_after_it<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.complete_link(1, 3).await;
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");

    let old = client.csrf().await;
    let switched = client.get(&format!("/link/switch_to/1?csrf_token={old}")).await;
    assert_eq!(switched.status, 303, "the token works once: {switched:?}");
    assert_eq!(client.get("/me").await.body, "1");
    let new = client.csrf().await;
    assert_ne!(old, new, "the switch rotated the token");

    assert_forbidden(&client.get(&format!("/link/switch_to/2?csrf_token={old}")).await, "switch GET, old token");
    assert_forbidden(&client.post_form("/link/switch_to/2", &[("csrf_token", &old)]).await, "switch POST, old token");
    assert_forbidden(&client.post_form("/link/remove/2", &[("csrf_token", &old)]).await, "remove, old token");
    assert_forbidden(&client.post_form("/link/sign-out-all", &[("csrf_token", &old)]).await, "sign-out-all, old token");
    assert_eq!(link_count(&db).await, 2);
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2,3");
}

/// Every state change against every bad token: none, empty, wrong, another
/// session's, rotated away by a switch / a sign-in / a link, a longer or
/// differently cased copy of the current one, the right one in the wrong place.
pub async fn every_state_change_refuses_every_bad_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let mut other = harness.client::<U>(&db, &Options::get_switch()).await;
    other.sign_in(4).await;
    let foreign = other.csrf().await;

    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let before_switch = client.csrf().await;
    let url = client.switch_url(1).await;
    assert_eq!(client.get(&url).await.status, 303);
    let linked = "current=1;primary=1;group=1,2";
    assert_eq!(client.state().await, linked);
    let current = client.csrf().await;
    let longer = format!("{current}0");
    let upper = current.to_ascii_uppercase();
    let bad: [(&str, Option<&str>); 8] = [
        ("no token", None),
        ("empty", Some("")),
        ("wrong", Some(WRONG_TOKEN)),
        ("another session's", Some(foreign.as_str())),
        ("from before a switch", Some(before_switch.as_str())),
        ("longer", Some(longer.as_str())),
        ("upper case", Some(upper.as_str())),
        ("a space", Some(" ")),
    ];
    let rows = link_rows_with_tokens(&db).await;
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        for (what, token) in bad {
            assert_forbidden(&attempt(&mut client, action, token).await, &format!("{action}, {what} token"));
        }
        assert_eq!(client.state().await, linked, "{action}: nothing changed");
        assert_eq!(link_count(&db).await, 1, "{action}: nothing written");
        assert_eq!(link_rows_with_tokens(&db).await, rows, "{action}: no row written");
        assert!(!has_intent(&mut client).await, "{action}: no link intent written");
    }
    // The right token in the query string of a POST is not the form field.
    for path in ["/link/switch_to/2", "/link/remove/2", "/link/sign-out-all", "/link/p/1?start"] {
        let separator = if path.contains('?') { '&' } else { '?' };
        let query = client.post_form(&format!("{path}{separator}csrf_token={current}"), &[]).await;
        assert_forbidden(&query, &format!("{path}: the token only in the query"));
    }
    assert_eq!(client.state().await, linked);
    assert!(!has_intent(&mut client).await, "no link intent written");
    assert_eq!(client.csrf().await, current, "refusals do not rotate the token");

    // Link POST: the token from before the sign-in of the account being linked is
    // dead too (signing in rotates it).
    let started = attempt(&mut client, "link start", Some(&current)).await;
    assert_eq!(started.status, 303, "{started:?}");
    let before_sign_in = client.csrf().await;
    client.sign_in(3).await;
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    assert_ne!(token, before_sign_in);
    let pending = "current=3;primary=1;group=1,2";
    assert_eq!(client.state().await, pending);
    let upper = token.to_ascii_uppercase();
    let link_bad = [("from before the sign-in", Some(before_sign_in.as_str())), ("upper case", Some(upper.as_str()))];
    for (what, presented) in bad.into_iter().chain(link_bad) {
        assert_forbidden(&attempt(&mut client, "link POST", presented).await, &format!("link POST, {what} token"));
    }
    assert_eq!(client.state().await, pending, "still pending");
    assert_eq!(link_count(&db).await, 1, "nothing linked");

    // Control: the page's token completes the link, and is dead right after it.
    let done = attempt(&mut client, "link POST", Some(&token)).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(link_count(&db).await, 2);
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        assert_forbidden(&attempt(&mut client, action, Some(&token)).await, &format!("{action}, the used link token"));
    }
    assert!(!has_intent(&mut client).await, "no link intent written");
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");
    assert_eq!(link_count(&db).await, 2);
}

/// The tokens of a session before an unlink and before sign-out-all are dead
/// afterwards: sign-out-all leaves no token, so nothing can be replayed.
pub async fn tokens_from_before_unlink_and_sign_out_all_are_dead<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.complete_link(1, 3).await;
    let before_unlink = client.csrf().await;
    let removed = client.post_form("/link/remove/3", &[("csrf_token", &before_unlink)]).await;
    assert_eq!(removed.status, 303, "{removed:?}");
    let after_unlink = "current=1;primary=1;group=1,2";
    assert_eq!(client.state().await, after_unlink);
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        let response = attempt(&mut client, action, Some(&before_unlink)).await;
        assert_forbidden(&response, &format!("{action}, token from before the unlink"));
    }
    assert_eq!(client.state().await, after_unlink);
    assert_eq!(link_count(&db).await, 1);
    assert!(!has_intent(&mut client).await, "no link intent written");

    let before_sign_out = client.csrf().await;
    let out = client.post_form("/link/sign-out-all", &[("csrf_token", &before_sign_out)]).await;
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(link_count(&db).await, 0);
    client.sign_in(1).await;
    assert_eq!(attempt(&mut client, "link start", Some(&before_sign_out)).await.status, 403);
    assert!(link_rows_with_tokens(&db).await.is_empty(), "a refused start opens no group");
    assert_eq!(client.start_link(1).await.status, 303);
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        let response = attempt(&mut client, action, Some(&before_sign_out)).await;
        assert_forbidden(&response, &format!("{action}, token from before sign-out-all"));
    }
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
}

/// The session's entries and every link row: what a refused request must leave.
async fn session_and_rows(
    client: &mut impl Client,
    db: &sea_orm::DatabaseConnection,
) -> (serde_json::Value, std::collections::BTreeSet<(i64, String, i64)>) {
    (client.session_entries().await, link_rows_with_tokens(db).await)
}

/// Link start is a POST with the token: the GET page writes nothing, and a
/// start without the right token is a 403 that writes nothing.
pub async fn link_start_needs_the_token_and_a_get_writes_nothing<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.csrf().await;
    let before = session_and_rows(&mut client, &db).await;
    let page = client.get("/link/p/1").await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains(r#"action="/link/p/1?start""#), "a form that starts: {}", page.body);
    assert!(!page.set_cookie, "the GET wrote nothing");
    for token in [None, Some("0".repeat(64))] {
        let fields: Vec<(&str, &str)> = token.iter().map(|token| ("csrf_token", token.as_str())).collect();
        let started = client.post_form("/link/p/1?start", &fields).await;
        assert_eq!(started.status, 403, "{token:?}: {started:?}");
    }
    assert_eq!(session_and_rows(&mut client, &db).await, before, "nothing written");
    assert_eq!(client.start_link(1).await.status, 303, "control: with the token");
}

/// Cross-site and same-site requests (by `Sec-Fetch-Site` or `Origin`) change
/// nothing, even with the right token; same-origin ones pass.
pub async fn cross_site_requests_change_nothing<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let token = client.csrf().await;
    let before = session_and_rows(&mut client, &db).await;
    let hostile = [
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
    ];
    for (name, value) in hostile {
        client.set_headers(vec![(name.to_owned(), value.to_owned())]);
        for path in ["/link/p/1?start", "/link/switch_to/1", "/link/remove/2", "/link/sign-out-all", "/link/p/1"] {
            let response = client.post_form(path, &[("csrf_token", &token)]).await;
            assert_eq!(response.status, 403, "{name}: {value} {path}: {response:?}");
        }
    }
    client.set_headers(Vec::new());
    assert_eq!(session_and_rows(&mut client, &db).await, before, "nothing changed");
    // Control: same-origin requests pass.
    let origin = client.origin().to_owned();
    client.set_headers(vec![("Sec-Fetch-Site".to_owned(), "same-origin".to_owned()), ("Origin".to_owned(), origin)]);
    let switched = client.post_form("/link/switch_to/1", &[("csrf_token", &token)]).await;
    assert_eq!(switched.status, 303, "{switched:?}");
}

/// Switching is a POST by default: the switcher has forms, no token in URLs,
/// and a GET switch is a 405 that switches nothing.
pub async fn switching_is_post_only_unless_opted_in<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let switcher = client.switcher().await;
    let accounts = switcher["accounts"].as_array().expect("accounts");
    assert!(accounts.iter().all(|account| account["switch_url"].is_null()), "no token in URLs: {switcher}");
    assert_eq!(accounts[0]["switch_form"]["action"], "/link/switch_to/1");
    assert_eq!(switcher["add_account_form"]["action"], "/link/p/1?start");
    let token = client.csrf().await;
    let get = client.get(&format!("/link/switch_to/1?csrf_token={token}")).await;
    assert_eq!(get.status, 405, "{get:?}");
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2", "the GET switched nothing");
    assert_eq!(client.switch(1).await.status, 303);
    // Control: opted in, the switcher's links carry the token and the GET switches.
    let mut opted_in = harness.client::<U>(&db, &Options::get_switch()).await;
    opted_in.sign_in(1).await;
    let url = opted_in.switch_url(1).await;
    assert_ne!(opted_in.get(&url).await.status, 405, "GET is routed when opted in");
}

/// A refused switch spends the token it was sent with: probing costs the token.
pub async fn a_refused_switch_rotates_the_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let token = client.csrf().await;
    let refused = client.post_form("/link/switch_to/3", &[("csrf_token", &token)]).await;
    assert_eq!(refused.status, 403);
    let again = client.post_form("/link/switch_to/1", &[("csrf_token", &token)]).await;
    assert_eq!(again.status, 403, "the probed token is spent: {again:?}");
    assert_ne!(client.csrf().await, token);
}

/// `{:?}` of the `SignedInAccounts` extractor names the accounts (it is what a
/// handler logs) and never the session's CSRF token: a log line must not hand
/// out what a state change needs.
pub async fn the_extractors_debug_output_names_the_accounts_and_not_the_csrf_token<U: SuiteUser>(
    harness: &impl Harness,
) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let token = client.csrf().await;
    let debug = client.get("/debug").await;
    assert_eq!(debug.status, 200, "{debug:?}");
    assert!(debug.body.starts_with("SignedInAccounts"), "{}", debug.body);
    for name in [r#"name: "user1""#, r#"name: "user2""#] {
        assert!(debug.body.contains(name), "{name} in {}", debug.body);
    }
    assert!(!token.is_empty() && !debug.body.contains(&token), "the CSRF token leaked: {}", debug.body);
}

/// The app's own forms (a sign-in or sign-out form) carry the same token as
/// the multi-account routes: the adapter's `csrf` helpers hand it out, check it
/// and rotate it, and `SignedInAccounts::csrf_token` is that token too.
pub async fn the_apps_own_forms_share_the_sessions_token<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    let token = client.get("/own-form").await.body;
    assert_eq!(token.len(), 64, "a real token: {token:?}");
    assert_eq!(token, client.csrf().await, "the routes' token");
    assert_eq!(client.get("/accounts-view").await.body, format!("multi=false;token={token}"));

    assert_eq!(client.post_form("/own-form", &[("csrf_token", &token)]).await.status, 204, "this session's token");
    for (wrong, what) in [(None, "no token"), (Some(""), "an empty token"), (Some(WRONG_TOKEN), "a wrong token")] {
        let fields: Vec<(&str, &str)> = wrong.map(|wrong| vec![("csrf_token", wrong)]).unwrap_or_default();
        assert_eq!(client.post_form("/own-form", &fields).await.status, 403, "{what}");
    }

    client.complete_link(1, 2).await;
    let token = client.csrf().await;
    assert_eq!(client.get("/accounts-view").await.body, format!("multi=true;token={token}"));

    let rotated = client.post_form("/own-form/rotate", &[]).await.body;
    assert_eq!(rotated.len(), 64, "a real token: {rotated:?}");
    assert_ne!(rotated, token);
    assert_eq!(client.post_form("/own-form", &[("csrf_token", &token)]).await.status, 403, "the old token is spent");
    assert_eq!(client.post_form("/own-form", &[("csrf_token", &rotated)]).await.status, 204, "the new one");
    assert_eq!(client.csrf().await, rotated, "and the routes take the new one");
    assert_eq!(client.get("/accounts-view").await.body, format!("multi=true;token={rotated}"));
}
