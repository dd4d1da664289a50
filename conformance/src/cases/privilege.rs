//! Privilege (SPEC §4 Security model, rule 1): a session reaches only the
//! accounts that signed in in it and are still linked, active and unchanged.

use multi_account::LinkService;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::app::{SuiteUser, database, delete_user, link_count, set_password_hash, set_status};
use crate::client::{Client, Harness, Options, assert_forbidden, link_again};

use super::SIGNED_OUT;

/// A password change (`auth_hash`) signs that account out of every session;
/// the primary's signs the whole session out.
pub async fn a_new_password_signs_the_account_out<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    db.execute_unprepared("UPDATE users SET password_hash = 'new' WHERE id = 2").await.unwrap();
    assert_eq!(client.state().await, "current=1;primary=1;group=1", "2 is out of this session");
    db.execute_unprepared("UPDATE users SET password_hash = 'new' WHERE id = 1").await.unwrap();
    assert_eq!(client.state().await, SIGNED_OUT, "the primary too");
}

/// A subject written into the session without a sign-in in it is nobody.
pub async fn a_subject_without_a_sign_in_is_nobody<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    let mut entries = client.session_entries().await;
    assert!(entries.get("user").is_some(), "{entries}");
    // Another account's subject, written without a sign-in: no record for it.
    client.post_raw("/__test/session", "application/json", r#"{"user":"user?id=2"}"#).await;
    entries = client.session_entries().await;
    assert!(entries.get("user").is_some_and(|user| user.to_string().contains("id=2")), "{entries}");
    assert_eq!(client.state().await, SIGNED_OUT);
}

/// This session's token (the `session_token` entry).
async fn session_token(client: &mut impl Client) -> String {
    let entries = client.session_entries().await;
    entries["session_token"].as_str().expect("a session token in the session").to_owned()
}

/// A switch to `target` (GET with the token, and POST) that must be refused.
async fn assert_switch_refused(client: &mut impl Client, target: i64, what: &str) {
    let url = client.switch_url(target).await;
    assert_forbidden(&client.get(&url).await, &format!("{what}: switch GET to {target}"));
    let posted = client.post_with_csrf(&format!("/link/switch_to/{target}")).await;
    assert_forbidden(&posted, &format!("{what}: switch POST to {target}"));
}

/// A switch (GET, token in the URL) to `target` that must go through.
async fn switch_to(client: &mut impl Client, target: i64) {
    let url = client.switch_url(target).await;
    let response = client.get(&url).await;
    assert_eq!(response.status, 303, "switch to {target}: {response:?}");
}

/// A client signed in as 1 with 2 and 3 linked (3 current), GET switches on.
async fn three_accounts<U: SuiteUser, H: Harness>(harness: &H, db: &DatabaseConnection) -> H::Client {
    let mut client = harness.client::<U>(db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.complete_link(1, 3).await;
    client
}

/// A link made in one browser session cannot be used from another: not to
/// switch, not to remove, not to sign it out.
pub async fn a_link_from_another_session_cannot_be_switched_to<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client_a = harness.client::<U>(&db, &Options::get_switch()).await;
    let mut client_b = harness.client::<U>(&db, &Options::get_switch()).await;
    client_a.sign_in(1).await;
    assert_eq!(client_a.complete_link(1, 2).await.status, 303);
    assert_eq!(link_count(&db).await, 1);

    // B signed in as 1 only.
    client_b.sign_in(1).await;
    let url = client_b.switch_url(2).await;
    assert_forbidden(&client_b.get(&url).await, "switch to 2 from a single-account session");
    assert_eq!(client_b.get("/me").await.body, "1");

    // B in multi-account mode for the same primary, with its own session token.
    let started = client_b.start_link(1).await;
    assert_eq!(started.status, 303, "{started:?}");
    assert_eq!(client_b.state().await, "current=1;primary=1;group=1", "A's link is not B's group");
    let url = client_b.switch_url(2).await;
    assert_forbidden(&client_b.get(&url).await, "switch GET to 2 from another session");
    let posted = client_b.post_with_csrf("/link/switch_to/2").await;
    assert_forbidden(&posted, "switch POST to 2 from another session");
    assert_eq!(client_b.get("/me").await.body, "1");

    // Nor can B remove A's link, or sign it out.
    let removed = client_b.post_with_csrf("/link/remove/2").await;
    assert_forbidden(&removed, "remove A's link from B");
    let out = client_b.post_with_csrf("/link/sign-out-all").await;
    assert_eq!(out.status, 303, "B signs out of B: {out:?}");
    assert_eq!(link_count(&db).await, 1, "A's link survives B's sign-out-all");

    // A is unaffected and can still switch.
    assert_eq!(client_a.state().await, "current=2;primary=1;group=1,2");
    let url = client_a.switch_url(1).await;
    assert_eq!(client_a.get(&url).await.status, 303);
    assert_eq!(client_a.get("/me").await.body, "1");
}

/// Someone else signs in on the same browser without signing the first person
/// out (a shared computer): the new sign-in starts over and can reach none of
/// the previous group, not by switching, not by "Add another account".
pub async fn a_new_sign_in_does_not_inherit_the_previous_group<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");

    client.sign_in(3).await;
    assert_eq!(client.state().await, "current=3;primary=;group=");
    for target in [1, 2] {
        assert_switch_refused(&mut client, target, "previous group").await;
    }
    assert_forbidden(&client.get("/link/p/1").await, "link page for the previous primary");
    assert_forbidden(&client.start_link(1).await, "link start for the previous primary");
    assert_forbidden(&client.post_with_csrf("/link/p/1").await, "link POST for the previous primary");

    // Its own group holds only its own accounts.
    assert_eq!(client.complete_link(3, 4).await.status, 303);
    assert_eq!(client.state().await, "current=4;primary=3;group=3,4");
    for target in [1, 2] {
        assert_switch_refused(&mut client, target, "previous group, after linking").await;
    }
    assert_eq!(link_count(&db).await, 1, "the sign-in as 3 revoked the previous group's link");
}

/// Accounts that were never linked here, or do not exist, are out of reach from
/// a multi-account session too, and a signed-out session reaches nothing.
pub async fn a_switch_reaches_only_this_sessions_group<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    assert_switch_refused(&mut client, 1, "signed out").await;
    assert_eq!(client.state().await, SIGNED_OUT);

    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let linked = "current=2;primary=1;group=1,2";
    assert_eq!(client.state().await, linked);
    for target in [3, 4, 999, 0, -1] {
        assert_switch_refused(&mut client, target, "outside the group").await;
        assert_eq!(client.state().await, linked, "target {target}");
    }
    assert_eq!(link_count(&db).await, 1);

    // Control: the group itself is reachable.
    switch_to(&mut client, 1).await;
    assert_eq!(client.get("/me").await.body, "1");
}

/// `LinkService::deactivate` takes an account out of the group at once: no
/// switch to it, and a session sitting on it is back on the primary.
pub async fn a_deactivated_link_cannot_be_switched_to<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = three_accounts::<U, _>(harness, &db).await;
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");
    let token = session_token(&mut client).await;

    assert!(LinkService::<U>::deactivate(&db, &1, &2, &token).await.unwrap());
    assert_eq!(client.state().await, "current=3;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "deactivated link").await;
    assert_eq!(client.get("/me").await.body, "3");

    // Deactivating the acting account sends the session back to the primary.
    assert!(LinkService::<U>::deactivate(&db, &1, &3, &token).await.unwrap());
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "deactivated acting link").await;
    assert_switch_refused(&mut client, 2, "deactivated link").await;
    assert_eq!(client.get("/me").await.body, "1");
    assert_eq!(link_count(&db).await, 2, "deactivated links stay in the table; nothing was added");

    // Re-activated by an admin, the link does not bring the account back into
    // this browser: it left the group, and its sign-in went with it.
    LinkService::<U>::activate(&db, &1, &2, &token).await.unwrap();
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 2, "re-activated link, no new sign-in").await;
    // Control: signed in again through "Add another account", it is back.
    link_again(&mut client, 1, 2).await;
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    switch_to(&mut client, 1).await;
    switch_to(&mut client, 2).await;
    assert_eq!(client.get("/me").await.body, "2");
}

/// An account that fails `active_check` is out of the group while inactive, and
/// the session cannot switch to it or stay on it.
pub async fn an_inactive_account_cannot_be_switched_to<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = three_accounts::<U, _>(harness, &db).await;
    switch_to(&mut client, 1).await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2,3");

    set_status(&db, 2, "inactive").await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "inactive target").await;
    assert_eq!(client.get("/me").await.body, "1");

    // The acting account becomes inactive: back to the primary, no way back.
    switch_to(&mut client, 3).await;
    set_status(&db, 3, "inactive").await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "inactive acting account").await;
    assert_eq!(link_count(&db).await, 2);

    // Active again, it does not come back into this browser by itself: its
    // sign-in here went when it left the group.
    set_status(&db, 2, "active").await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 2, "re-activated account, no new sign-in").await;
    // Control: signed in again through "Add another account", it is back.
    link_again(&mut client, 1, 2).await;
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
}

/// A deleted account (its links go with it, ON DELETE CASCADE) is unreachable.
pub async fn a_deleted_account_cannot_be_switched_to<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = three_accounts::<U, _>(harness, &db).await;
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");

    delete_user(&db, 2).await;
    assert_eq!(link_count(&db).await, 1, "the link went with the account");
    assert_eq!(client.state().await, "current=3;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "deleted target").await;

    // The acting account deleted: back to the primary.
    delete_user(&db, 3).await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "deleted acting account").await;
    assert_eq!(client.get("/me").await.body, "1");
    assert_eq!(link_count(&db).await, 0);
}

/// Sign-out-all in another tab of the same browser (sharing the cookie) deletes
/// the session's links. A cookie store cannot revoke the session, so a copy of
/// the old cookie may still name primary 1 (who did sign in with it), but the
/// group is gone: the replayed session can never reach the linked account again.
pub async fn after_sign_out_all_a_replayed_cookie_cannot_switch_to_the_linked_account<U: SuiteUser>(
    harness: &impl Harness,
) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    let token = client.csrf().await;
    let captured = client.cookies();

    let out = client.post_with_csrf("/link/sign-out-all").await;
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(link_count(&db).await, 0);
    assert_eq!(client.state().await, SIGNED_OUT);

    client.set_cookies(captured);
    // The old cookie still names account 2 as current, but its group was signed
    // out of all accounts: on any store it resolves to nobody.
    assert_eq!(client.state().await, SIGNED_OUT, "the replayed session is gone");
    let switched = client.get(&format!("/link/switch_to/2?csrf_token={token}")).await;
    assert_forbidden(&switched, "switch GET to 2 with the replayed cookie and its token");
    assert_switch_refused(&mut client, 2, "replayed cookie").await;
    assert_ne!(client.get("/me").await.body, "2");
    assert_eq!(link_count(&db).await, 0, "nothing was re-created");
}

/// A password change (`auth_hash`) drops that account from this browser's
/// group: no switch to it until it signs in again.
pub async fn after_a_password_change_the_account_cannot_be_switched_to<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = three_accounts::<U, _>(harness, &db).await;
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3");

    set_password_hash(&db, 2, "new-hash-2").await;
    assert_eq!(client.state().await, "current=3;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "password changed").await;

    // The acting account's password changes: back to the primary.
    set_password_hash(&db, 3, "new-hash-3").await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "acting account's password changed").await;
    assert_eq!(client.get("/me").await.body, "1");
    assert_eq!(link_count(&db).await, 2, "the links stay; the session just no longer holds those sign-ins");

    // Control: adding it again (signing in with the new password) brings it back.
    link_again(&mut client, 1, 2).await;
    assert_eq!(link_count(&db).await, 2, "the existing link is reused");
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");
    switch_to(&mut client, 1).await;
    switch_to(&mut client, 2).await;
    assert_eq!(client.get("/me").await.body, "2");
}

/// The primary's password changes: the whole session is signed out, and a
/// switch sent straight away (before any page load notices) must not get
/// through either.
pub async fn after_the_primarys_password_change_nothing_can_be_switched_to<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    switch_to(&mut client, 1).await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");

    set_password_hash(&db, 1, "new-hash-1").await;
    // No read in between: the switch is the first request to see the change.
    assert_switch_refused(&mut client, 2, "primary's password changed").await;
    assert_eq!(client.state().await, SIGNED_OUT);
    assert_eq!(client.get("/current").await.status, 401);
    assert_switch_refused(&mut client, 2, "after the sign-out").await;
    assert_switch_refused(&mut client, 1, "after the sign-out").await;
    assert_eq!(link_count(&db).await, 1);
}

/// An app whose sign-out removes only "user" (instead of `session::sign_out`)
/// leaves the multi-account keys until the next page load. A switch sent
/// straight away must not sign the browser back in without a password (nor an
/// unlink act for nobody).
pub async fn a_session_without_a_user_cannot_switch_into_the_group<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    assert_eq!(client.state().await, "current=2;primary=1;group=1,2");

    // "user" unreadable (null) = removed, as far as every reader is concerned.
    assert_eq!(client.put_session(serde_json::json!({ "user": null })).await.status, 204);
    assert_switch_refused(&mut client, 2, "signed out of user").await;
    assert_forbidden(&client.post_with_csrf("/link/remove/2").await, "signed out of user: unlink");
    assert_switch_refused(&mut client, 1, "signed out of user").await;
    assert_eq!(client.get("/current").await.status, 401);
    assert_eq!(client.state().await, SIGNED_OUT);
    assert_eq!(link_count(&db).await, 1);
}
