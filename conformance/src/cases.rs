//! The cases. Each takes the adapter's harness and proves one rule through the
//! adapter's real HTTP surface.

use sea_orm::ConnectionTrait;

use crate::app::{counted_database, database, link_rows};
use crate::client::{Client, Harness, Options, auto_submit_token};

const SIGNED_OUT: &str = "current=;primary=;group=";

pub async fn a_full_round_of_every_flow(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client(&db, &Options::default()).await;
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

pub async fn the_gate_off_answers_404_and_puts_the_session_back_on_its_primary(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.set_enabled(false);
    assert_eq!(client.switch(1).await.status, 404);
    assert_eq!(client.state().await, "current=1;primary=;group=");
    client.set_enabled(true);
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");
}

pub async fn bad_input_is_a_4xx_never_a_500(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
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
    let mut anonymous = harness.client(&db, &Options::default()).await;
    assert_eq!(anonymous.get("/link/p/1").await.status, 401);
    assert_eq!(anonymous.get("/me").await.body, "");
}

pub async fn every_state_change_needs_the_token_and_a_same_origin_request(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let before = (client.session_entries().await, link_rows(&db).await);
    for path in ["/link/switch_to/1", "/link/remove/2", "/link/p/1?start", "/link/p/1", "/link/sign-out-all"] {
        for token in [None, Some("0".repeat(64))] {
            let fields: Vec<(&str, &str)> = token.iter().map(|token| ("csrf_token", token.as_str())).collect();
            let refused = client.post_form(path, &fields).await;
            assert_eq!(refused.status, 403, "{path} {token:?}: {refused:?}");
        }
        let token = client.csrf().await;
        for (name, value) in [("Sec-Fetch-Site", "cross-site"), ("Origin", "http://evil.example")] {
            client.set_headers(vec![(name.to_owned(), value.to_owned())]);
            let refused = client.post_form(path, &[("csrf_token", &token)]).await;
            assert_eq!(refused.status, 403, "{path} {name}: {refused:?}");
            client.set_headers(Vec::new());
        }
    }
    assert_eq!((client.session_entries().await, link_rows(&db).await), before, "nothing written");
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    client.set_headers(vec![("Sec-Fetch-Site".to_owned(), "same-origin".to_owned())]);
    assert_eq!(client.switch(1).await.status, 303, "control: same-origin");
}

pub async fn anonymous_requests_write_no_session(harness: &impl Harness) {
    let (db, _guard) = database(1).await;
    for path in ["/state", "/me", "/plain", "/link/p/1"] {
        let mut client = harness.client(&db, &Options::default()).await;
        let reply = client.get(path).await;
        assert!(!reply.set_cookie, "{path}: no session for an anonymous visitor: {reply:?}");
    }
}

pub async fn a_copy_of_the_cookie_regains_nothing_after_sign_out_all(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let copy = client.cookies();
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    client.set_cookies(copy);
    // A cookie store cannot forget a copy: it may still name the primary, alone
    // (its group row is gone); a server-side store forgot the session.
    let state = client.state().await;
    assert!(
        [SIGNED_OUT, "current=1;primary=;group=", "current=1;primary=1;group=1"].contains(&state.as_str()),
        "nothing it did not have, and no linked account: {state}"
    );
    for path in ["/link/switch_to/1", "/link/switch_to/2", "/link/p/1"] {
        client.post_with_csrf(path).await;
    }
    assert_eq!(link_rows(&db).await, [], "no row re-created");
}

pub async fn the_session_changes_on_every_privilege_change(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
    client.csrf().await;
    let mut seen = vec![client.cookies()];
    client.sign_in(1).await;
    seen.push(client.cookies());
    client.complete_link(1, 2).await;
    seen.push(client.cookies());
    client.switch(1).await;
    seen.push(client.cookies());
    for pair in seen.windows(2) {
        assert_ne!(pair[0], pair[1], "a new session cookie at each step");
    }
}

pub async fn a_new_password_signs_the_account_out(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    db.execute_unprepared("UPDATE users SET password_hash = 'new' WHERE id = 2").await.unwrap();
    assert_eq!(client.state().await, "current=1;primary=1;group=1", "2 is out of this session");
    db.execute_unprepared("UPDATE users SET password_hash = 'new' WHERE id = 1").await.unwrap();
    assert_eq!(client.state().await, SIGNED_OUT, "the primary too");
}

pub async fn a_subject_without_a_sign_in_is_nobody(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
    client.sign_in(1).await;
    let mut entries = client.session_entries().await;
    assert!(entries.get("user").is_some(), "{entries}");
    // Another account's subject, written without a sign-in: no record for it.
    client.post_raw("/__test/session", "application/json", r#"{"user":"user?id=2"}"#).await;
    entries = client.session_entries().await;
    assert!(entries.get("user").is_some_and(|user| user.to_string().contains("id=2")), "{entries}");
    assert_eq!(client.state().await, SIGNED_OUT);
}

pub async fn get_link_auto_submits_only_for_the_account_that_just_signed_in(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
    let start_page = |reply: &crate::Reply, who: &str| {
        assert_eq!(reply.status, 200, "{who}: {reply:?}");
        assert!(reply.body.contains(r#"action="/link/p/1?start""#), "{who}: {}", reply.body);
        assert!(auto_submit_token(&reply.body).is_none(), "{who}: no auto-submit");
    };
    client.sign_in(1).await;
    start_page(&client.get("/link/p/1").await, "the primary");
    client.start_link(1).await;
    start_page(&client.get("/link/p/1").await, "the primary, its link pending");
    client.sign_in(2).await;
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("the new account auto-submits");
    client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    start_page(&client.get("/link/p/1").await, "a member");
    client.start_link(1).await;
    start_page(&client.get("/link/p/1").await, "a member, its link pending");
}

pub async fn replay_through_sign_out_all(harness: &impl Harness) {
    crate::replay::replay_matrix(harness, crate::replay::THROUGH_SIGN_OUT_ALL).await;
}

pub async fn replay_through_sign_out(harness: &impl Harness) {
    crate::replay::replay_matrix(harness, crate::replay::THROUGH_SIGN_OUT).await;
}

/// One query per request in multi-account mode, however big the group; the
/// app's own user load in standard mode; none for a page that extracts nothing.
pub async fn one_query_per_request_at_any_group_size(harness: &impl Harness) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (db, _guard, statements) = counted_database(11).await;
    let mut client = harness.client(&db, &Options::default()).await;
    async fn counted(client: &mut impl Client, statements: &AtomicUsize, path: &str) -> usize {
        let before = statements.load(Ordering::SeqCst);
        let reply = client.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
        statements.load(Ordering::SeqCst) - before
    }
    assert_eq!(counted(&mut client, &statements, "/state").await, 0, "signed out");
    client.sign_in(1).await;
    assert_eq!(counted(&mut client, &statements, "/state").await, 1, "standard mode");
    assert_eq!(counted(&mut client, &statements, "/plain").await, 0, "no extractor");
    for linked in 2..=11 {
        assert_eq!(client.complete_link(1, linked).await.status, 303, "linking {linked}");
        if [2, 6, 11].contains(&linked) {
            assert_eq!(counted(&mut client, &statements, "/state").await, 1, "{linked} accounts");
            assert_eq!(counted(&mut client, &statements, "/me").await, 1, "{linked} accounts");
            assert_eq!(counted(&mut client, &statements, "/plain").await, 0, "{linked} accounts");
        }
    }
    assert_eq!(client.state().await, "current=11;primary=1;group=1,2,3,4,5,6,7,8,9,10,11");
}

/// The primary cannot be removed: a redirect with a message for the next page,
/// and nothing changes.
pub async fn removing_the_primary_is_refused_with_a_message(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client(&db, &Options::default()).await;
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
