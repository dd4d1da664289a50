//! Where two flows meet (0.2): a copy of the cookie completing a link for a
//! member, a sign-in over a signed-in session, an account that leaves the
//! group, and a pending link meeting a dead one.

use multi_account::LinkService;

use crate::app::{SuiteUser, database, delete_user, link_count, link_rows_with_tokens, set_status};
use crate::cases::SIGNED_OUT;
use crate::client::{Client, Harness, Options, auto_submit_token, form_token};

/// The accounts this session's sign-in records name.
async fn recorded(client: &mut impl Client) -> Vec<String> {
    let entries = client.session_entries().await;
    entries["_multi_account_auth"].as_object().map(|records| records.keys().cloned().collect()).unwrap_or_default()
}

/// A copy of the cookie of the group {1, 2, 3} switches to 2, starts adding an
/// account for 1 and posts the completion: refused (409), and nothing moves.
/// The owner keeps the whole group, and its sign-out-all reaches every link.
pub async fn a_copy_cannot_fork_the_group_by_completing_for_a_member<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut owner = harness.client::<U>(&db, &Options::default()).await;
    owner.sign_in(1).await;
    owner.complete_link(1, 2).await;
    owner.complete_link(1, 3).await;
    assert_eq!(owner.state().await, "current=3;primary=1;group=1,2,3");
    let rows = link_rows_with_tokens(&db).await;

    // One client plays both holders (a server-side store lives in its app).
    let owners = owner.cookies();
    let browser = &mut owner;
    assert_eq!(browser.switch(2).await.status, 303);
    assert_eq!(browser.start_link(1).await.status, 303);
    let page = browser.get("/link/p/1").await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(auto_submit_token(&page.body).is_none(), "a member's page does not complete: {page:?}");
    let token = form_token(&page.body).expect("the start form's token");
    let completed = browser.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(completed.status, 409, "{completed:?}");
    assert_eq!(link_rows_with_tokens(&db).await, rows, "nothing moved");
    let copies = browser.cookies();

    browser.set_cookies(owners);
    if harness.server_side() {
        // One session behind both cookies: the copy's switch renewed its id, so
        // the owner's cookie is dead; the copy's own sign-out-all ends it all.
        assert_eq!(browser.state().await, SIGNED_OUT);
        browser.set_cookies(copies);
        assert_eq!(browser.post_with_csrf("/link/sign-out-all").await.status, 303);
        assert!(link_rows_with_tokens(&db).await.is_empty());
        return;
    }
    assert_eq!(browser.state().await, "current=3;primary=1;group=1,2,3", "the owner's switcher is whole");
    assert_eq!(browser.post_with_csrf("/link/sign-out-all").await.status, 303);
    assert!(link_rows_with_tokens(&db).await.is_empty(), "sign-out-all reached every link");
    browser.set_cookies(copies);
    let state = browser.state().await;
    assert!(state.ends_with(";group=") || state.ends_with(";group=1"), "the copy keeps no linked account: {state}");
    for target in [2, 3] {
        assert!(browser.switch(target).await.is_client_error(), "the copy cannot switch to {target}");
    }
}

/// Signed in as 1 with 2 linked, a plain sign-in as 3 (outside "Add another
/// account") ends signed in as 3 alone, with a new session cookie, and leaves
/// no link of the previous group behind.
pub async fn a_sign_in_over_a_group_replaces_it_and_revokes_its_links<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    assert_eq!(link_count(&db).await, 1);
    let before = client.cookies();
    let copy = before.clone();

    let signed_in = client.sign_in(3).await;
    assert!(signed_in.status < 400, "{signed_in:?}");
    assert!(signed_in.set_cookie, "a new session cookie: {signed_in:?}");
    assert_ne!(client.cookies(), before);
    assert_eq!(client.state().await, "current=3;primary=;group=");
    assert_eq!(client.get("/me").await.body, "3");
    assert!(link_rows_with_tokens(&db).await.is_empty(), "the previous group's links were revoked");
    assert_eq!(recorded(&mut client).await, vec!["3".to_owned()]);

    // A copy from before the sign-in reaches none of the previous group's links.
    let now = client.cookies();
    client.set_cookies(copy);
    let state = client.state().await;
    assert!(!state.contains("group=1,2"), "{state}");
    assert!(client.switch(2).await.is_client_error(), "the copy cannot switch to 2");
    assert_ne!(client.get("/me").await.body, "2");
    client.set_cookies(now);

    // Within "Add another account" the same sign-in adds instead.
    client.complete_link(3, 1).await;
    assert_eq!(client.state().await, "current=1;primary=3;group=3,1");
}

/// An account that stops counting (its user inactive or deleted, its link
/// deactivated) loses its sign-in record in this session at that request, so
/// an admin who re-activates it does not bring it back into the browser.
pub async fn an_account_that_leaves_the_group_loses_its_sign_in_here<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    for linked in [2, 3, 4] {
        client.complete_link(1, linked).await;
    }
    assert_eq!(client.state().await, "current=4;primary=1;group=1,2,3,4");
    assert_eq!(recorded(&mut client).await, ["1", "2", "3", "4"]);
    let token = client.session_entries().await["session_token"].as_str().unwrap().to_owned();

    set_status(&db, 2, "inactive").await;
    assert!(LinkService::<U>::deactivate(&db, &1, &3, &token).await.unwrap());
    delete_user(&db, 4).await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_eq!(recorded(&mut client).await, ["1"], "the records of those who left went with them");

    set_status(&db, 2, "active").await;
    LinkService::<U>::activate(&db, &1, &3, &token).await.unwrap();
    assert_eq!(client.state().await, "current=1;primary=1;group=1", "re-activated, nobody is back");
    for target in [2, 3] {
        assert!(client.switch(target).await.is_client_error(), "switch to {target}");
    }

    // The primary's user made inactive signs the browser out; active again, it
    // is still signed out.
    set_status(&db, 1, "inactive").await;
    assert_eq!(client.state().await, SIGNED_OUT);
    set_status(&db, 1, "active").await;
    assert_eq!(client.state().await, SIGNED_OUT);
    assert!(recorded(&mut client).await.is_empty());
}

/// While "Add another account" is pending, only the account that signed in
/// during it stays current outside the group or completes it: a subject for an
/// account whose link died, without a new sign-in, neither acts nor re-activates
/// the link.
pub async fn a_pending_link_does_not_revive_a_dead_one<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let token = client.session_entries().await["session_token"].as_str().unwrap().to_owned();
    assert!(LinkService::<U>::deactivate(&db, &1, &2, &token).await.unwrap());
    assert_eq!(client.state().await, "current=1;primary=1;group=1");

    assert_eq!(client.start_link(1).await.status, 303);
    // The session names 2 again without a sign-in (an old subject).
    client.put_session(serde_json::json!({ "user": "user?id=2" })).await;
    let state = client.state().await;
    assert!(!state.starts_with("current=2"), "2 did not sign in during this intent: {state}");
    let page = client.get("/link/p/1").await;
    assert!(auto_submit_token(&page.body).is_none(), "no completion for 2: {page:?}");
    let posted = client.post_with_csrf("/link/p/1").await;
    assert!(posted.is_client_error(), "{posted:?}");
    let active = LinkService::<U>::group(&db, &1, &token).await.unwrap().map(|group| group.len());
    assert_eq!(active, Some(1), "the dead link stays dead");

    // Control: 2 signs in during the intent, and the link comes back.
    client.sign_in(1).await;
    assert_eq!(client.start_link(1).await.status, 303);
    client.sign_in(2).await;
    let page = client.get("/link/p/1").await;
    let completion = auto_submit_token(&page.body).expect("2 signed in during the intent: the auto-submit page");
    assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &completion)]).await.status, 303);
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
}

/// A wrong password while adding an account, then the right one on a sign-in
/// form that lost `return_to`: the account is shown as pending (never as a
/// member), with a "finish adding" form that completes the link.
pub async fn a_sign_in_without_return_to_is_pending_until_finished<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    assert_eq!(client.start_link(1).await.status, 303);
    // The app's sign-in page forgot where to return; the sign-in itself lands on "/".
    client.sign_in(2).await;
    let switcher = client.switcher().await;
    let accounts = switcher["accounts"].as_array().expect("accounts");
    let entry = |id: &str| accounts.iter().find(|account| account["id"] == id).cloned().expect("listed");
    assert_eq!(entry("1")["pending"], false);
    assert_eq!(entry("1")["primary"], true);
    assert_eq!(entry("2")["pending"], true, "not a member yet: {switcher}");
    assert_eq!(entry("2")["primary"], false);
    assert!(entry("2")["remove_form"].is_null());
    let finish = &entry("2")["finish_form"];
    assert_eq!(finish["action"], "/link/p/1", "{switcher}");
    let csrf = finish["csrf_token"].as_str().expect("its token").to_owned();
    assert_eq!(link_count(&db).await, 0, "no link yet");

    let finished = client.post_form("/link/p/1", &[("csrf_token", &csrf)]).await;
    assert_eq!(finished.status, 303, "{finished:?}");
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    let switcher = client.switcher().await;
    assert!(switcher["accounts"].as_array().unwrap().iter().all(|account| account["pending"] == false));
}

/// A session budget (`with_session_budget`) is measured on every adapter: the
/// "Add another account" that would overflow it is refused with a message and
/// writes no intent and no row; under a roomy budget the same link goes through.
pub async fn a_budgeted_session_refuses_the_link_that_would_overflow_it<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let tight = Options { session_budget: Some(400), ..Options::default() };
    let mut client = harness.client::<U>(&db, &tight).await;
    client.sign_in(1).await;
    let refused = client.start_link(1).await;
    assert_eq!(refused.status, 303, "{refused:?}");
    assert_eq!(refused.location.as_deref(), Some("/"), "{refused:?}");
    let flash = client.get("/flash").await.body;
    assert!(flash.contains("cannot hold another account"), "{flash:?}");
    let entries = client.session_entries().await;
    assert!(entries.get("_multi_account_link_intent").is_none(), "no intent: {entries}");
    assert!(link_rows_with_tokens(&db).await.is_empty(), "no group opened");

    let roomy = Options { session_budget: Some(4000), ..Options::default() };
    let mut client = harness.client::<U>(&db, &roomy).await;
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
}

/// The test app's `/plan-sign-in/..` page.
async fn plan(client: &mut impl Client, path: &str) -> String {
    let reply = client.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {reply:?}");
    reply.body
}

/// `plan_sign_in` says, before anything is written, what a sign-in will do: a
/// plain sign-in, an account added by "Add another account" (with or without
/// `return_to`), one already in the group, or an add whose intent ended.
pub async fn the_sign_in_plan_says_what_a_sign_in_will_do<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let clock = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1_000_000));
    let options = Options { clock: Some(clock.clone()), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    assert_eq!(plan(&mut client, "/plan-sign-in/1").await, "sign_in", "signed out");
    client.sign_in(1).await;
    assert_eq!(plan(&mut client, "/plan-sign-in/2").await, "sign_in", "a plain sign-in replaces the group");
    assert_eq!(plan(&mut client, "/plan-sign-in/2?return_to=/link/p/1").await, "add_expired", "no intent");

    assert_eq!(client.start_link(1).await.status, 303);
    assert_eq!(plan(&mut client, "/plan-sign-in/2?return_to=/link/p/1").await, "sign_in:adds");
    assert_eq!(plan(&mut client, "/plan-sign-in/2").await, "sign_in:adds", "return_to lost, still adding");
    assert_eq!(plan(&mut client, "/plan-sign-in/1?return_to=/link/p/1").await, "already_in_group");
    assert_eq!(plan(&mut client, "/plan-sign-in/2?return_to=/link/p/3").await, "add_expired", "another primary");
    let entries = client.session_entries().await;

    // The plan wrote nothing.
    assert_eq!(client.session_entries().await, entries);
    // Ten minutes later the intent has ended.
    clock.fetch_add(600, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(plan(&mut client, "/plan-sign-in/2?return_to=/link/p/1").await, "add_expired");
    assert_eq!(plan(&mut client, "/plan-sign-in/2").await, "sign_in");
}
