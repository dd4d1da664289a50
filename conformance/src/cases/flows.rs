//! The flows end to end: link, switch, remove, sign-out-all, the feature gate,
//! the link page, and what each request costs in queries.

use multi_account::session::Paths;

use crate::app::{SuiteUser, database, link_count, link_rows};
use crate::client::{Client, Harness, Options, auto_submit_token};

use super::SIGNED_OUT;

/// Sign in, link two accounts, switch, remove one, sign out of all: each step
/// as the state page and the link rows show it.
pub async fn a_full_round_of_every_flow<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    assert_eq!(client.state().await, SIGNED_OUT);
    assert_eq!(client.sign_in(1).await.status, 204);
    assert_eq!(client.state().await, "current=1;primary=;group=");

    let started = client.start_link(1).await;
    assert_eq!(started.status, 303, "{started:?}");
    assert_eq!(started.location.as_deref(), Some("/sign-in?return_to=/link/p/1"));
    client.sign_in(2).await;
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("an auto-submit form");
    assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &token)]).await.status, 303);
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");

    assert_eq!(client.complete_link(1, 3).await.status, 303);
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");
    assert_eq!(client.switch(1).await.status, 303);
    assert_eq!(client.get("/me").await.body, "1");
    assert_eq!(client.post_with_csrf("/link/remove/2").await.status, 303);
    assert_eq!(client.state().await, "current=1;primary=1;group=1,3");
    assert_eq!(link_rows(&db).await, [(1, 1), (1, 3)], "the group's row and one link");
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    assert_eq!(client.state().await, SIGNED_OUT);
    assert_eq!(link_rows(&db).await, [], "every row of the session went");
}

/// With the feature gate off the routes answer 404 and the session reads as
/// its primary alone; on again, the group is back.
pub async fn the_gate_off_answers_404_and_puts_the_session_back_on_its_primary<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.set_enabled(false);
    assert_eq!(client.switch(1).await.status, 404);
    assert_eq!(client.state().await, "current=1;primary=;group=");
    client.set_enabled(true);
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");
}

/// The primary cannot be removed: a redirect with a message for the next page,
/// and nothing changes.
pub async fn removing_the_primary_is_refused_with_a_message<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let rows = link_rows(&db).await;
    let reply = client.post_with_csrf("/link/remove/1").await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert_eq!(link_rows(&db).await, rows, "nothing removed");
    let flash = client.get("/flash").await.body;
    assert!(flash.contains("primary account cannot be removed"), "{flash:?}");
    assert_eq!(client.get("/flash").await.body, "", "shown once");
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
}

/// `GET /link/p/{id}` auto-submits only for the account that just signed in to
/// complete a pending link; the primary and the group's members, even while a
/// link they started is pending, get the page whose form starts one.
pub async fn get_link_auto_submits_only_for_the_account_that_just_signed_in<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    let start_page = |reply: &crate::Reply, who: &str| {
        assert_eq!(reply.status, 200, "{who}: {reply:?}");
        assert!(reply.body.contains(r#"action="/link/p/1?start""#), "{who}: the start page: {}", reply.body);
        assert!(!reply.body.contains(r#"action="/link/p/1""#), "{who}: no auto-submit: {}", reply.body);
        assert!(auto_submit_token(&reply.body).is_none(), "{who}: no auto-submit");
    };
    client.sign_in(1).await;
    start_page(&client.get("/link/p/1").await, "the primary, nothing pending");
    assert_eq!(client.start_link(1).await.status, 303);
    start_page(&client.get("/link/p/1").await, "the primary, its link pending");
    client.sign_in(2).await;
    let page = client.get("/link/p/1").await;
    assert!(page.body.contains(r#"action="/link/p/1""#), "control: the new account auto-submits: {page:?}");
    let token = auto_submit_token(&page.body).expect("the new account auto-submits");
    assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &token)]).await.status, 303);
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    start_page(&client.get("/link/p/1").await, "a member, nothing pending");
    assert_eq!(client.start_link(1).await.status, 303, "a member starts a link");
    start_page(&client.get("/link/p/1").await, "a member, its link pending");
}

/// The link flow step by step: the start page writes nothing; the start
/// stores the intent and goes to sign-in; the new account is current while it
/// is pending and gets the auto-submit page (with a `<noscript>` button); the
/// POST links it and returns where linking started (the start's same-origin
/// Referer), or to `after_link_path` without one.
pub async fn link_flow_follows_the_seed<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    let origin = client.origin();
    client.sign_in(1).await;
    client.set_headers(vec![("Referer".to_owned(), format!("{origin}/settings"))]);

    // GET as the primary: only a page whose form starts the link; nothing written.
    let page = client.get("/link/p/1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"<form method="post" action="/link/p/1?start">"#), "{}", page.body);
    assert_eq!(link_rows(&db).await.len(), 0, "the start page writes nothing");
    assert_eq!(client.state().await, "current=1;primary=;group=");

    // POST ?start as the primary: intent stored, off to sign-in with return_to.
    let start = client.start_link(1).await;
    assert_eq!(start.status, 303);
    assert_eq!(start.location.as_deref(), Some("/sign-in?return_to=/link/p/1"));
    assert_eq!(client.state().await, "current=1;primary=1;group=1");

    // Signed in as the new account: it is current while the intent is pending.
    client.sign_in(2).await;
    assert_eq!(client.state().await, "current=2;primary=1;group=1");
    let page = client.get("/link/p/1").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"<form id="multi-account-link" method="post" action="/link/p/1">"#));
    assert!(page.body.contains("<noscript>"), "noscript fallback button");
    let token = auto_submit_token(&page.body).expect("csrf token in the page");

    // POST completes the link and returns to the page where linking started.
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/settings"));
    assert_eq!(link_count(&db).await, 1);
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    assert_eq!(client.get("/primary").await.body, "1");

    // A third account, linked through the helper.
    client.set_headers(Vec::new());
    let done = client.complete_link(1, 3).await;
    assert_eq!(done.location.as_deref(), Some("/"), "after_link_path without a referer");
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");
}

/// Switch (GET and POST), remove (the acting account: back to the primary;
/// another: the current one stays; the primary: refused) and sign-out-all
/// (every row of the session goes).
pub async fn switch_remove_and_sign_out_all<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.complete_link(1, 3).await;

    let url = client.switch_url(1).await;
    let switched = client.get(&url).await;
    assert_eq!(switched.status, 303);
    assert_eq!(client.get("/me").await.body, "1");
    // POST form switch works too.
    let switched = client.post_with_csrf("/link/switch_to/2").await;
    assert_eq!(switched.status, 303);
    assert_eq!(client.get("/me").await.body, "2");

    // Removing the acting account returns to the primary.
    let removed = client.post_with_csrf("/link/remove/2").await;
    assert_eq!(removed.status, 303);
    assert_eq!(client.state().await, "current=1;primary=1;group=1,3");
    assert_eq!(link_count(&db).await, 1);
    // Removing another account keeps the current one.
    let url = client.switch_url(3).await;
    client.get(&url).await;
    client.complete_link(1, 2).await;
    let url = client.switch_url(3).await;
    client.get(&url).await;
    client.post_with_csrf("/link/remove/2").await;
    assert_eq!(client.state().await, "current=3;primary=1;group=1,3");
    // The primary cannot be removed (it would orphan the group).
    let refused = client.post_with_csrf("/link/remove/1").await;
    assert_eq!(refused.status, 303);
    assert_eq!(client.state().await, "current=3;primary=1;group=1,3");

    let out = client.post_with_csrf("/link/sign-out-all").await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/"));
    assert_eq!(link_count(&db).await, 0, "this session's links are deleted");
    assert_eq!(link_rows(&db).await.len(), 0, "and its group's own row");
    assert_eq!(client.state().await, SIGNED_OUT);
    assert_eq!(client.get("/current").await.status, 401);
}

/// The routes mount at the app's paths, and the switcher's URLs and forms
/// follow them.
pub async fn routes_mount_at_custom_paths<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let paths = Paths {
        link: "/accounts/{id}/add".into(),
        switch: "/accounts/{id}/use".into(),
        remove: "/accounts/{id}/remove".into(),
        sign_out_all: "/accounts/leave".into(),
        again: "/accounts/{id}/again".into(),
        forget: "/accounts/{id}/forget".into(),
        api: "/accounts/api".into(),
    };
    let options = Options { get_switch: true, paths: Some(paths), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    assert_eq!(client.get("/link/p/1").await.status, 404, "default path not mounted");
    let page = client.get("/accounts/1/add").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"action="/accounts/1/add?start""#), "{}", page.body);
    let start = client.post_with_csrf("/accounts/1/add?start").await;
    assert_eq!(start.location.as_deref(), Some("/sign-in?return_to=/accounts/1/add"));
    client.sign_in(2).await;
    let page = client.get("/accounts/1/add").await;
    let token = auto_submit_token(&page.body).unwrap();
    let done = client.post_form("/accounts/1/add", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303);
    let token = client.csrf().await;
    let switched = client.get(&format!("/accounts/1/use?csrf_token={token}")).await;
    assert_eq!(switched.status, 303);
    assert_eq!(client.get("/me").await.body, "1");
    let switcher = client.switcher().await;
    assert_eq!(switcher["add_account_url"], "/accounts/1/add");
    assert_eq!(switcher["add_account_form"]["action"], "/accounts/1/add?start");
    assert_eq!(switcher["accounts"][1]["remove_form"]["action"], "/accounts/2/remove");
    client.post_with_csrf("/accounts/2/remove").await;
    assert_eq!(link_count(&db).await, 0);
    let out = client.post_with_csrf("/accounts/leave").await;
    assert_eq!(out.status, 303);
}

/// A full group refuses another account with a message and returns to the
/// primary.
pub async fn a_full_group_refuses_with_a_message_and_returns_to_the_primary<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(12).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    for id in 2..=11 {
        assert_eq!(client.complete_link(1, id).await.status, 303);
    }
    let refused = client.complete_link(1, 12).await;
    assert_eq!(refused.status, 303);
    assert_eq!(link_count(&db).await, 10);
    assert_eq!(client.get("/me").await.body, "1", "back on the primary");
}

/// The sign-in writes everything a signed-in session holds (token, CSRF token,
/// sign-in record), so the pages after it do not rewrite the session; signing
/// in again (no link pending) starts over with a new session token.
pub async fn the_session_is_steady_right_after_sign_in<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    assert!(client.sign_in(1).await.set_cookie);
    for path in ["/me", "/state", "/switcher.json", "/me"] {
        let response = client.get(path).await;
        assert_eq!(response.status, 200, "{path}");
        assert!(!response.set_cookie, "{path} rewrote the session after sign-in");
    }
    let token =
        |entries: serde_json::Value| -> String { entries["session_token"].as_str().expect("a token").to_owned() };
    let before = token(client.session_entries().await);
    client.sign_in(2).await;
    let after = token(client.session_entries().await);
    assert_eq!(after.len(), 32, "{after}");
    assert_ne!(before, after);
}

/// Without a page to return to (no `Referer`, no custom handlers), a completed
/// link, a switch, a removal and sign-out-all each land on the default page,
/// `/`; an app's handlers move the link's and sign-out-all's landing pages.
pub async fn each_flow_lands_on_its_default_page<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    let linked = client.complete_link(1, 2).await;
    assert_eq!((linked.status, linked.location.as_deref()), (303, Some("/")), "link: {linked:?}");
    client.complete_link(1, 3).await;
    let switched = client.switch(1).await;
    assert_eq!((switched.status, switched.location.as_deref()), (303, Some("/")), "switch: {switched:?}");
    let removed = client.post_with_csrf("/link/remove/2").await;
    assert_eq!((removed.status, removed.location.as_deref()), (303, Some("/")), "remove: {removed:?}");
    let signed_out = client.post_with_csrf("/link/sign-out-all").await;
    assert_eq!((signed_out.status, signed_out.location.as_deref()), (303, Some("/")), "sign-out-all: {signed_out:?}");

    // The app's own handlers choose them.
    let options = Options { after_link_path: Some("/linked"), sign_out_path: Some("/bye"), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    let linked = client.complete_link(1, 2).await;
    assert_eq!((linked.status, linked.location.as_deref()), (303, Some("/linked")), "link: {linked:?}");
    let signed_out = client.post_with_csrf("/link/sign-out-all").await;
    assert_eq!(
        (signed_out.status, signed_out.location.as_deref()),
        (303, Some("/bye")),
        "sign-out-all: {signed_out:?}"
    );
}
