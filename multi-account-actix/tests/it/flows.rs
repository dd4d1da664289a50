//! The link, switch, remove and sign-out-all flows through the real service.

use crate::support;

use crate::support::{client, link_count};
use actix_web::http::StatusCode;
use multi_account_actix::test_support::auto_submit_token;
use multi_account_actix::{MultiAccountConfig, Paths};

on_every_backend! {
async fn link_flow_follows_the_seed(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.headers.push(("Referer".into(), "http://localhost:8080/settings".into()));

    // GET as the primary: only a page whose form starts the link; nothing written.
    let page = client.get("/link/p/1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"<form method="post" action="/link/p/1?start">"#), "{}", page.body);
    assert_eq!(support::link_rows(&test.db).await.len(), 0, "the start page writes nothing");
    assert_eq!(client.get("/state").await.body, "current=1;primary=;group=");

    // POST ?start as the primary: intent stored, off to sign-in with return_to.
    let start = client.start_link(&1).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    assert_eq!(start.location.as_deref(), Some("/sign-in?return_to=/link/p/1"));
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1");

    // Signed in as the new account: it is current while the intent is pending.
    client.sign_in(&2).await;
    assert_eq!(client.get("/state").await.body, "current=2;primary=1;group=1");
    let page = client.get("/link/p/1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<form id="multi-account-link" method="post" action="/link/p/1">"#));
    assert!(page.body.contains("<noscript>"), "noscript fallback button");
    let token = auto_submit_token(&page.body).expect("csrf token in the page");

    // POST completes the link and returns to the page where linking started.
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/settings"));
    assert_eq!(link_count(&test.db).await, 1);
    assert_eq!(client.get("/state").await.body, "current=2;primary=1;group=1,2");
    assert_eq!(client.get("/primary").await.body, "1");

    // A third account, linked through the helper.
    client.headers.clear();
    let done = client.complete_link(&1, &3).await;
    assert_eq!(done.location.as_deref(), Some("/"), "after_link_path without a referer");
    assert_eq!(client.get("/state").await.body, "current=3;primary=1;group=1,2,3");
}

async fn switch_remove_and_sign_out_all(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    client.complete_link(&1, &3).await;

    let url = client.switch_url(&1).await;
    let switched = client.get(&url).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/me").await.body, "1");
    // POST form switch works too.
    let switched = client.post_with_csrf("/link/switch_to/2", &[]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/me").await.body, "2");

    // Removing the acting account returns to the primary.
    let removed = client.post_with_csrf("/link/remove/2", &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1,3");
    assert_eq!(link_count(&test.db).await, 1);
    // Removing another account keeps the current one.
    let url = client.switch_url(&3).await;
    client.get(&url).await;
    client.complete_link(&1, &2).await;
    let url = client.switch_url(&3).await;
    client.get(&url).await;
    client.post_with_csrf("/link/remove/2", &[]).await;
    assert_eq!(client.get("/state").await.body, "current=3;primary=1;group=1,3");
    // The primary cannot be removed (it would orphan the group).
    let refused = client.post_with_csrf("/link/remove/1", &[]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/state").await.body, "current=3;primary=1;group=1,3");

    let out = client.post_with_csrf("/link/sign-out-all", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/"));
    assert_eq!(link_count(&test.db).await, 0, "this session's links are deleted");
    assert_eq!(support::link_rows(&test.db).await.len(), 0, "and its group's own row");
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=");
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED);
}

async fn routes_mount_at_custom_paths(test, 2) {
    let paths = Paths {
        link: "/accounts/{id}/add".into(),
        switch: "/accounts/{id}/use".into(),
        remove: "/accounts/{id}/remove".into(),
        sign_out_all: "/accounts/leave".into(),
    };
    let config = MultiAccountConfig::new(test.db.clone()).with_paths(paths);
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    assert_eq!(client.get("/link/p/1").await.status, StatusCode::NOT_FOUND, "default path not mounted");
    let page = client.get("/accounts/1/add").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"action="/accounts/1/add?start""#), "{}", page.body);
    let start = client.post_with_csrf("/accounts/1/add?start", &[]).await;
    assert_eq!(start.location.as_deref(), Some("/sign-in?return_to=/accounts/1/add"));
    client.sign_in(&2).await;
    let page = client.get("/accounts/1/add").await;
    let token = auto_submit_token(&page.body).unwrap();
    let done = client.post_form("/accounts/1/add", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let token = client.csrf().await;
    let switched = client.get(&format!("/accounts/1/use?csrf_token={token}")).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/me").await.body, "1");
    let switcher: serde_json::Value = serde_json::from_str(&client.get("/switcher.json").await.body).unwrap();
    assert_eq!(switcher["add_account_url"], "/accounts/1/add");
    assert_eq!(switcher["add_account_form"]["action"], "/accounts/1/add?start");
    assert_eq!(switcher["accounts"][1]["remove_form"]["action"], "/accounts/2/remove");
    client.post_with_csrf("/accounts/2/remove", &[]).await;
    assert_eq!(link_count(&test.db).await, 0);
    let out = client.post_with_csrf("/accounts/leave", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
}

async fn a_full_group_refuses_with_a_message_and_returns_to_the_primary(test, 12) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    for id in 2..=11 {
        assert_eq!(client.complete_link(&1, &id).await.status, StatusCode::SEE_OTHER);
    }
    let refused = client.complete_link(&1, &12).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(link_count(&test.db).await, 10);
    assert_eq!(client.get("/me").await.body, "1", "back on the primary");
}

async fn the_session_is_steady_right_after_sign_in(test, 2) {
    // sign_in writes everything a signed-in session holds (token, CSRF token,
    // fingerprint), so the pages after it do not rewrite the cookie.
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    assert!(client.sign_in(&1).await.set_cookie);
    for path in ["/me", "/state", "/switcher.json", "/me"] {
        let response = client.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert!(!response.set_cookie, "{path} rewrote the session after sign-in");
    }
    // Signing in again (no link pending) starts over with a new token.
    // (Session values are stored JSON-encoded.)
    let token = |entries: serde_json::Value| -> String {
        serde_json::from_str(entries["session_token"].as_str().expect("a token")).expect("a JSON string")
    };
    let before = token(client.session_entries().await);
    client.sign_in(&2).await;
    let after = token(client.session_entries().await);
    assert_eq!(after.len(), 32, "{after}");
    assert_ne!(before, after);
}
}
