//! CSRF (SPEC §4 Security model, rules 2 and 3): every state change (link start
//! and completion POSTs, switch GET and POST, unlink, sign-out-all) needs this
//! session's current CSRF
//! token. Missing, empty, wrong, another session's, or rotated-away tokens (from
//! before a switch, a sign-in or a link) are refused with 403 and nothing written.

use crate::support;

use crate::support::{assert_forbidden, me, state, up_to_auto_submit};

use crate::support::{client, link_count};
use actix_http::Request;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use multi_account_actix::MultiAccountConfig;
use multi_account_actix::test_support::{TestClient, TestResponse, auto_submit_token};

/// A well-formed token (64 hex chars, the real length) that no session holds.
const WRONG_TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Sends one state change with `token` (`None`: no field at all).
async fn attempt<S, B>(client: &mut TestClient<S>, action: &str, token: Option<&str>) -> TestResponse
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
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

// Completing a link needs this session's CSRF token.
#[tokio::test]
async fn link_post_needs_this_sessions_csrf_token() {
    let test = support::database(3).await;
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

/// Whether the session holds a link intent.
async fn has_intent<S, B>(client: &mut TestClient<S>) -> bool
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    client.session_entries().await.get("_multi_account_link_intent").is_some()
}

// Starting a link needs this session's CSRF token; a refused start writes nothing.
#[tokio::test]
async fn link_start_needs_this_sessions_csrf_token() {
    let test = support::database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client_b = client(&config).await;
    client_b.sign_in(&3).await;
    let foreign_token = client_b.csrf().await;

    let mut client_a = client(&config).await;
    let before_sign_in = client_a.csrf().await;
    client_a.sign_in(&1).await;
    let token = client_a.csrf().await;
    assert_ne!(token, foreign_token);
    assert_ne!(token, before_sign_in, "signing in rotates the token");
    let standard = "current=1;primary=;group=";
    assert_eq!(state(&mut client_a).await, standard);

    let truncated = &token[..63];
    let upper = token.to_ascii_uppercase();
    let query = format!("/link/p/1?start&csrf_token={token}");
    let attempts = [
        ("no token", "/link/p/1?start", vec![]),
        ("an empty token", "/link/p/1?start", vec![("csrf_token", "")]),
        ("a wrong token", "/link/p/1?start", vec![("csrf_token", WRONG_TOKEN)]),
        ("a truncated token", "/link/p/1?start", vec![("csrf_token", truncated)]),
        ("an upper-case token", "/link/p/1?start", vec![("csrf_token", &upper)]),
        ("another session's token", "/link/p/1?start", vec![("csrf_token", &foreign_token)]),
        ("the token from before the sign-in", "/link/p/1?start", vec![("csrf_token", &before_sign_in)]),
        ("the token in the query only", query.as_str(), vec![]),
    ];
    for (what, path, fields) in attempts {
        assert_forbidden(&client_a.post_form(path, &fields).await, &format!("link start with {what}"));
        assert!(support::link_rows(&test.db).await.is_empty(), "link start with {what}: no group opened");
        assert!(!has_intent(&mut client_a).await, "link start with {what}: no intent written");
        assert_eq!(state(&mut client_a).await, standard, "link start with {what}: nothing changed");
    }
    assert_eq!(client_a.csrf().await, token, "refusals do not rotate the token");

    // Control: the right token starts the link.
    let started = client_a.post_form("/link/p/1?start", &[("csrf_token", &token)]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    assert!(has_intent(&mut client_a).await, "the intent is written");
    assert_eq!(support::link_rows(&test.db).await.len(), 1, "the group is opened");
    assert_eq!(link_count(&test.db).await, 0, "and nothing linked yet");
    assert_eq!(state(&mut client_a).await, "current=1;primary=1;group=1");
}

// Switch, remove and sign-out-all need the CSRF token.
#[tokio::test]
async fn switch_remove_and_sign_out_all_need_the_csrf_token() {
    let test = support::database(3).await;
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

// A token captured before a switch is dead after it (rotation).
#[tokio::test]
async fn a_csrf_token_from_before_a_switch_is_rejected_after_it() {
    let test = support::database(3).await;
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

on_every_backend! {
// Every state change against every bad token: none, empty, wrong, another
// session's, rotated away by a switch / a sign-in / a link, a longer or
// differently cased copy of the current one, the right one in the wrong place.
async fn every_state_change_refuses_every_bad_token(test, 4) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut other = client(&config).await;
    other.sign_in(&4).await;
    let foreign = other.csrf().await;

    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let before_switch = client.csrf().await;
    let url = client.switch_url(&1).await;
    assert_eq!(client.get(&url).await.status, StatusCode::SEE_OTHER);
    let linked = "current=1;primary=1;group=1,2";
    assert_eq!(state(&mut client).await, linked);
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
    let rows = support::link_rows(&test.db).await;
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        for (what, token) in bad {
            assert_forbidden(&attempt(&mut client, action, token).await, &format!("{action}, {what} token"));
        }
        assert_eq!(state(&mut client).await, linked, "{action}: nothing changed");
        assert_eq!(link_count(&test.db).await, 1, "{action}: nothing written");
        assert_eq!(support::link_rows(&test.db).await, rows, "{action}: no row written");
        assert!(!has_intent(&mut client).await, "{action}: no link intent written");
    }
    // The right token in the query string of a POST is not the form field.
    for path in ["/link/switch_to/2", "/link/remove/2", "/link/sign-out-all", "/link/p/1?start"] {
        let separator = if path.contains('?') { '&' } else { '?' };
        let query = client.post_form(&format!("{path}{separator}csrf_token={current}"), &[]).await;
        assert_forbidden(&query, &format!("{path}: the token only in the query"));
    }
    assert_eq!(state(&mut client).await, linked);
    assert!(!has_intent(&mut client).await, "no link intent written");
    assert_eq!(client.csrf().await, current, "refusals do not rotate the token");

    // Link POST: the token from before the sign-in of the account being linked is
    // dead too (signing in rotates it).
    let started = attempt(&mut client, "link start", Some(&current)).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    let before_sign_in = client.csrf().await;
    client.sign_in(&3).await;
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    assert_ne!(token, before_sign_in);
    let pending = "current=3;primary=1;group=1,2";
    assert_eq!(state(&mut client).await, pending);
    let upper = token.to_ascii_uppercase();
    let link_bad = [("from before the sign-in", Some(before_sign_in.as_str())), ("upper case", Some(upper.as_str()))];
    for (what, presented) in bad.into_iter().chain(link_bad) {
        assert_forbidden(&attempt(&mut client, "link POST", presented).await, &format!("link POST, {what} token"));
    }
    assert_eq!(state(&mut client).await, pending, "still pending");
    assert_eq!(link_count(&test.db).await, 1, "nothing linked");

    // Control: the page's token completes the link, and is dead right after it.
    let done = attempt(&mut client, "link POST", Some(&token)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert_eq!(link_count(&test.db).await, 2);
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        assert_forbidden(&attempt(&mut client, action, Some(&token)).await, &format!("{action}, the used link token"));
    }
    assert!(!has_intent(&mut client).await, "no link intent written");
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,2,3");
    assert_eq!(link_count(&test.db).await, 2);
}

// The tokens of a session before an unlink and before sign-out-all are dead
// afterwards: sign-out-all leaves no token, so nothing can be replayed.
async fn tokens_from_before_unlink_and_sign_out_all_are_dead(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    client.complete_link(&1, &3).await;
    let before_unlink = client.csrf().await;
    let removed = client.post_form("/link/remove/3", &[("csrf_token", &before_unlink)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    let after_unlink = "current=1;primary=1;group=1,2";
    assert_eq!(state(&mut client).await, after_unlink);
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        let response = attempt(&mut client, action, Some(&before_unlink)).await;
        assert_forbidden(&response, &format!("{action}, token from before the unlink"));
    }
    assert_eq!(state(&mut client).await, after_unlink);
    assert_eq!(link_count(&test.db).await, 1);
    assert!(!has_intent(&mut client).await, "no link intent written");

    let before_sign_out = client.csrf().await;
    let out = client.post_form("/link/sign-out-all", &[("csrf_token", &before_sign_out)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert_eq!(link_count(&test.db).await, 0);
    client.sign_in(&1).await;
    assert_eq!(attempt(&mut client, "link start", Some(&before_sign_out)).await.status, StatusCode::FORBIDDEN);
    assert!(support::link_rows(&test.db).await.is_empty(), "a refused start opens no group");
    assert_eq!(client.start_link(&1).await.status, StatusCode::SEE_OTHER);
    for action in ["switch GET", "switch POST", "unlink", "sign-out-all", "link start"] {
        let response = attempt(&mut client, action, Some(&before_sign_out)).await;
        assert_forbidden(&response, &format!("{action}, token from before sign-out-all"));
    }
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1");
}
}
