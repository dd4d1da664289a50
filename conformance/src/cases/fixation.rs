//! Session fixation (SPEC §4 Security model, rule 3): every privilege change
//! renews the session and rotates the CSRF token; sign-out-all ends it.

use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;

use crate::app::{SuiteUser, database, link_count, link_rows, link_rows_with_tokens};
use crate::client::{Client, Harness, Options, Reply, SESSION_COOKIE, assert_forbidden, auto_submit_token};

use super::SIGNED_OUT;

/// The session cookie changes at each privilege change: sign-in, link, switch.
pub async fn the_session_changes_on_every_privilege_change<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
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

/// A copy of the cookie taken before sign-out-all regains no linked account and
/// re-creates no row.
pub async fn a_copy_of_the_cookie_regains_nothing_after_sign_out_all<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
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

/// A session as an attacker may have captured it: its cookies and CSRF token.
struct Captured {
    what: &'static str,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

async fn capture(client: &mut impl Client, what: &'static str) -> Captured {
    let csrf = client.csrf().await;
    Captured { what, cookies: client.cookies(), csrf }
}

/// The session cookie's value now.
fn session_cookie(client: &impl Client) -> Option<String> {
    client.cookies().get(SESSION_COOKIE).cloned()
}

/// `old` (cookie and CSRF token) was renewed away; with a server-side store,
/// replaying it gives no account, no state change, nothing written. The
/// client's own cookies are put back afterwards.
async fn assert_dead(client: &mut impl Client, server_side: bool, db: &DatabaseConnection, old: &Captured) {
    let what = old.what;
    let own = client.cookies();
    assert_ne!(old.cookies.get(SESSION_COOKIE), own.get(SESSION_COOKIE), "{what}: the session id was renewed");
    if !server_side {
        // A cookie store cannot revoke a copy (the replay matrix bounds what it keeps).
        return;
    }
    let links = link_count(db).await;
    let rows = link_rows_with_tokens(db).await;

    client.set_cookies(old.cookies.clone());
    assert_eq!(client.state().await, SIGNED_OUT, "{what}: /state with the old id");
    client.set_cookies(old.cookies.clone());
    assert_eq!(client.get("/current").await.status, 401, "{what}: /current with the old id");
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
    assert_eq!(link_rows_with_tokens(db).await, rows, "{what}: no row written");

    client.set_cookies(own);
}

/// Sign-in, link, switch, unlink and sign-out-all each renew the session id;
/// with a server-side store the previous id is dead and regains nothing.
pub async fn old_session_ids_regain_nothing<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let server_side = harness.server_side();
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    let db = &db;

    // Fixation at sign-in: an id handed out before the sign-in (say, planted by an
    // attacker) is not the signed-in session.
    let anonymous = capture(&mut client, "before sign-in").await;
    assert!(anonymous.cookies.contains_key(SESSION_COOKIE), "an anonymous session exists");
    client.sign_in(1).await;
    assert_eq!(client.state().await, "current=1;primary=;group=");
    assert_dead(&mut client, server_side, db, &anonymous).await;

    // Link: the ids of the primary with its intent, and of the account signed in
    // for it, are both dead after the link.
    assert_eq!(client.start_link(1).await.status, 303);
    let pending = capture(&mut client, "intent, before signing in the second account").await;
    client.sign_in(2).await;
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    let before_link = Captured { what: "before link", cookies: client.cookies(), csrf: token.clone() };
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    assert_dead(&mut client, server_side, db, &pending).await;
    assert_dead(&mut client, server_side, db, &before_link).await;

    // Switch.
    let before_switch = capture(&mut client, "before switch").await;
    let switched = client.get(&format!("/link/switch_to/1?csrf_token={}", before_switch.csrf)).await;
    assert_eq!(switched.status, 303, "{switched:?}");
    assert_eq!(client.get("/me").await.body, "1");
    assert_dead(&mut client, server_side, db, &before_switch).await;

    // Unlink (after linking 3 as well, so there is something left to reach).
    client.complete_link(1, 3).await;
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");
    let before_unlink = capture(&mut client, "before unlink").await;
    let removed = client.post_form("/link/remove/2", &[("csrf_token", &before_unlink.csrf)]).await;
    assert_eq!(removed.status, 303, "{removed:?}");
    assert_eq!(client.state().await, "current=3;primary=1;group=1,3");
    assert_dead(&mut client, server_side, db, &before_unlink).await;

    // Sign-out-all.
    let before_sign_out = capture(&mut client, "before sign-out-all").await;
    let out = client.post_form("/link/sign-out-all", &[("csrf_token", &before_sign_out.csrf)]).await;
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(link_count(db).await, 0);
    assert_eq!(client.state().await, SIGNED_OUT);
    assert_dead(&mut client, server_side, db, &before_sign_out).await;

    // Every id of the whole flow, once more, at the end.
    for old in [&anonymous, &pending, &before_link, &before_switch, &before_unlink, &before_sign_out] {
        assert_dead(&mut client, server_side, db, old).await;
    }
}

/// A refused state change renews nothing, so it cannot be used to probe ids;
/// and a replayed dead id does not disturb the live session.
pub async fn replaying_a_dead_id_does_not_disturb_the_live_session<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let server_side = harness.server_side();
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let old = capture(&mut client, "before switch").await;
    let url = client.switch_url(1).await;
    assert_eq!(client.get(&url).await.status, 303);
    let live = client.cookies();

    for _ in 0..3 {
        assert_dead(&mut client, server_side, &db, &old).await;
    }
    let refused = client.post_form("/link/remove/2", &[]).await;
    assert_forbidden(&refused, "unlink without a token");
    assert_eq!(client.cookies(), live, "a refusal does not renew the id");
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");
    let url = client.switch_url(2).await;
    assert_eq!(client.get(&url).await.status, 303);
    assert_eq!(client.get("/me").await.body, "2");
}

/// The session cookie (and the CSRF token) change on link, switch and unlink;
/// a read leaves the cookie alone.
pub async fn the_session_is_renewed_on_link_switch_and_unlink<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;

    // Link.
    let token = client.up_to_auto_submit(1, 2).await;
    let before = session_cookie(&client).expect("a session cookie");
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert!(done.set_cookie, "the link sets a new session cookie");
    let after = session_cookie(&client).expect("a session cookie");
    assert_ne!(before, after, "session cookie after link");
    assert_ne!(client.csrf().await, token, "csrf token after link");
    assert_eq!(link_count(&db).await, 1);

    // Switch.
    let token = client.csrf().await;
    let before = session_cookie(&client).expect("a session cookie");
    let switched = client.get(&format!("/link/switch_to/1?csrf_token={token}")).await;
    assert_eq!(switched.status, 303, "{switched:?}");
    let after = session_cookie(&client).expect("a session cookie");
    assert_ne!(before, after, "session cookie after switch");
    assert_ne!(client.csrf().await, token, "csrf token after switch");
    assert_eq!(client.get("/me").await.body, "1");

    // Unlink.
    let token = client.csrf().await;
    let before = session_cookie(&client).expect("a session cookie");
    let removed = client.post_form("/link/remove/2", &[("csrf_token", &token)]).await;
    assert_eq!(removed.status, 303, "{removed:?}");
    let after = session_cookie(&client).expect("a session cookie");
    assert_ne!(before, after, "session cookie after unlink");
    assert_ne!(client.csrf().await, token, "csrf token after unlink");
    assert_eq!(link_count(&db).await, 0);
    assert_eq!(client.state().await, "current=1;primary=1;group=1");

    // Control: a read-only request leaves the cookie alone, so the comparisons
    // above measure the state changes.
    let before = session_cookie(&client).expect("a session cookie");
    let read = client.get("/state").await;
    assert!(!read.set_cookie, "a read sets no cookie: {read:?}");
    assert_eq!(session_cookie(&client), Some(before));
}

/// Every privilege change (sign-in of each account, link, switch both ways,
/// unlink, sign-out-all) gives a cookie value never seen before, and a refused
/// change leaves the cookie as it was.
pub async fn every_privilege_change_gives_a_new_cookie_value<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    let mut seen: Vec<String> = Vec::new();
    fn check(seen: &mut Vec<String>, cookie: Option<String>, response: &Reply, what: &str) {
        assert!(response.set_cookie, "{what}: sets the cookie: {response:?}");
        let value = cookie.unwrap_or_else(|| panic!("{what}: a session cookie"));
        assert!(!seen.contains(&value), "{what}: the cookie value was seen before");
        seen.push(value);
    }

    client.csrf().await;
    seen.push(session_cookie(&client).expect("an anonymous session"));
    let response = client.sign_in(1).await;
    check(&mut seen, session_cookie(&client), &response, "sign-in of 1");
    let started = client.start_link(1).await;
    assert_eq!(started.status, 303);
    seen.push(session_cookie(&client).expect("a session cookie"));
    let response = client.sign_in(2).await;
    check(&mut seen, session_cookie(&client), &response, "sign-in of 2 for the link");
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    seen.push(session_cookie(&client).expect("a session cookie"));
    let response = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    check(&mut seen, session_cookie(&client), &response, "link");
    for target in [1, 2, 1] {
        let url = client.switch_url(target).await;
        seen.push(session_cookie(&client).expect("a session cookie"));
        let response = client.get(&url).await;
        assert_eq!(response.status, 303);
        check(&mut seen, session_cookie(&client), &response, &format!("switch to {target}"));
    }

    // A refused change leaves the cookie as it was.
    let before = session_cookie(&client);
    let refused = client.post_form("/link/remove/2", &[("csrf_token", "nope")]).await;
    assert_eq!(refused.status, 403);
    assert!(!refused.set_cookie, "a refusal does not touch the cookie: {refused:?}");
    assert_eq!(session_cookie(&client), before);

    let token = client.csrf().await;
    let response = client.post_form("/link/remove/2", &[("csrf_token", &token)]).await;
    assert_eq!(response.status, 303);
    check(&mut seen, session_cookie(&client), &response, "unlink");

    let token = client.csrf().await;
    let out = client.post_form("/link/sign-out-all", &[("csrf_token", &token)]).await;
    assert_eq!(out.status, 303);
    assert!(out.set_cookie, "sign-out-all removes the cookie: {out:?}");
    assert_eq!(session_cookie(&client), None, "the session cookie is gone");
    assert_eq!(client.state().await, SIGNED_OUT);
}
