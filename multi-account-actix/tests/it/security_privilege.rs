//! Privilege escalation through the switch (SPEC §4 Security model, rules 1 and
//! 6): a switch reaches only the accounts this browser session linked and that are
//! still linked, active and unchanged (auth hash); everything else is refused with
//! nothing written. Runs on every configured backend.

use crate::support::{assert_forbidden, me, state};

use crate::support::{User, client, link_count, set_password_hash, set_status, user, user::UserStatus};
use actix_http::Request;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use multi_account::LinkService;
use multi_account_actix::MultiAccountConfig;
use multi_account_actix::test_support::TestClient;
use sea_orm::EntityTrait;

/// This session's link token, read from the raw session.
async fn session_token<S, B>(client: &mut TestClient<S>) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let entries = client.session_entries().await;
    let raw = entries["session_token"].as_str().expect("a session token in the session");
    serde_json::from_str(raw).expect("the session token is a JSON string")
}

/// Both switch forms (GET with the token in the URL, POST with it in the form)
/// to `target`; each must be refused.
async fn assert_switch_refused<S, B>(client: &mut TestClient<S>, target: i64, what: &str)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let url = client.switch_url(&target).await;
    assert_forbidden(&client.get(&url).await, &format!("{what}: switch GET to {target}"));
    let posted = client.post_with_csrf(&format!("/link/switch_to/{target}"), &[]).await;
    assert_forbidden(&posted, &format!("{what}: switch POST to {target}"));
}

/// A switch (GET, token in the URL) to `target` that must go through.
async fn switch_to<S, B>(client: &mut TestClient<S>, target: i64)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let url = client.switch_url(&target).await;
    let response = client.get(&url).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "switch to {target}: {}", response.body);
}

/// A client signed in as 1 with 2 and 3 linked (3 current).
async fn three_accounts(
    config: &MultiAccountConfig,
) -> TestClient<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error>> {
    let mut client = client(config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    client.complete_link(&1, &3).await;
    client
}

on_every_backend! {
// A link made in one browser session cannot be used from another.
async fn a_link_from_another_session_cannot_be_switched_to(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client_a = client(&config).await;
    let mut client_b = client(&config).await;
    client_a.sign_in(&1).await;
    assert_eq!(client_a.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER);
    assert_eq!(link_count(&test.db).await, 1);

    // B signed in as 1 only.
    client_b.sign_in(&1).await;
    let url = client_b.switch_url(&2).await;
    assert_forbidden(&client_b.get(&url).await, "switch to 2 from a single-account session");
    assert_eq!(me(&mut client_b).await, "1");

    // B in multi-account mode for the same primary, with its own session token.
    let started = client_b.start_link(&1).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    assert_eq!(state(&mut client_b).await, "current=1;primary=1;group=1", "A's link is not B's group");
    let url = client_b.switch_url(&2).await;
    assert_forbidden(&client_b.get(&url).await, "switch GET to 2 from another session");
    let posted = client_b.post_with_csrf("/link/switch_to/2", &[]).await;
    assert_forbidden(&posted, "switch POST to 2 from another session");
    assert_eq!(me(&mut client_b).await, "1");

    // Nor can B remove A's link, or sign it out.
    let removed = client_b.post_with_csrf("/link/remove/2", &[]).await;
    assert_forbidden(&removed, "remove A's link from B");
    let out = client_b.post_with_csrf("/link/sign-out-all", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "B signs out of B: {out:?}");
    assert_eq!(link_count(&test.db).await, 1, "A's link survives B's sign-out-all");

    // A is unaffected and can still switch.
    assert_eq!(state(&mut client_a).await, "current=2;primary=1;group=1,2");
    let url = client_a.switch_url(&1).await;
    assert_eq!(client_a.get(&url).await.status, StatusCode::SEE_OTHER);
    assert_eq!(me(&mut client_a).await, "1");
}

// Someone else signs in on the same browser without signing the first person
// out (a shared computer): the new sign-in starts over and can reach none of the
// previous group, not by switching, not by "Add another account".
async fn a_new_sign_in_does_not_inherit_the_previous_group(test, 4) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    assert_eq!(state(&mut client).await, "current=2;primary=1;group=1,2");

    client.sign_in(&3).await;
    assert_eq!(state(&mut client).await, "current=3;primary=;group=");
    for target in [1, 2] {
        assert_switch_refused(&mut client, target, "previous group").await;
    }
    assert_forbidden(&client.get("/link/p/1").await, "link page for the previous primary");
    assert_forbidden(&client.start_link(&1).await, "link start for the previous primary");
    assert_forbidden(&client.post_with_csrf("/link/p/1", &[]).await, "link POST for the previous primary");

    // Its own group holds only its own accounts.
    assert_eq!(client.complete_link(&3, &4).await.status, StatusCode::SEE_OTHER);
    assert_eq!(state(&mut client).await, "current=4;primary=3;group=3,4");
    for target in [1, 2] {
        assert_switch_refused(&mut client, target, "previous group, after linking").await;
    }
    assert_eq!(link_count(&test.db).await, 2);
}

// Accounts that were never linked here, or do not exist, are out of reach from a
// multi-account session too, and a signed-out session reaches nothing.
async fn a_switch_reaches_only_this_sessions_group(test, 4) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    assert_switch_refused(&mut client, 1, "signed out").await;
    assert_eq!(state(&mut client).await, "current=;primary=;group=");

    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let linked = "current=2;primary=1;group=1,2";
    assert_eq!(state(&mut client).await, linked);
    for target in [3, 4, 999, 0, -1] {
        assert_switch_refused(&mut client, target, "outside the group").await;
        assert_eq!(state(&mut client).await, linked, "target {target}");
    }
    assert_eq!(link_count(&test.db).await, 1);

    // Control: the group itself is reachable.
    switch_to(&mut client, 1).await;
    assert_eq!(me(&mut client).await, "1");
}

// LinkService::deactivate takes an account out of the group at once: no switch to
// it, and a session sitting on it is back on the primary.
async fn a_deactivated_link_cannot_be_switched_to(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = three_accounts(&config).await;
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,2,3");
    let token = session_token(&mut client).await;

    assert!(LinkService::<User>::deactivate(&test.db, &1, &2, &token).await.unwrap());
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "deactivated link").await;
    assert_eq!(me(&mut client).await, "3");

    // Deactivating the acting account sends the session back to the primary.
    assert!(LinkService::<User>::deactivate(&test.db, &1, &3, &token).await.unwrap());
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "deactivated acting link").await;
    assert_switch_refused(&mut client, 2, "deactivated link").await;
    assert_eq!(me(&mut client).await, "1");
    assert_eq!(link_count(&test.db).await, 2, "deactivated links stay in the table; nothing was added");

    // Control: re-activated, the link is usable again.
    LinkService::<User>::activate(&test.db, &1, &2, &token).await.unwrap();
    switch_to(&mut client, 2).await;
    assert_eq!(me(&mut client).await, "2");
}

// An account that fails `active_check` is out of the group while inactive, and
// the session cannot switch to it or stay on it.
async fn an_inactive_account_cannot_be_switched_to(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = three_accounts(&config).await;
    switch_to(&mut client, 1).await;
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1,2,3");

    set_status(&test.db, 2, UserStatus::Inactive).await;
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "inactive target").await;
    assert_eq!(me(&mut client).await, "1");

    // The acting account becomes inactive: back to the primary, no way back.
    switch_to(&mut client, 3).await;
    set_status(&test.db, 3, UserStatus::Inactive).await;
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "inactive acting account").await;
    assert_eq!(link_count(&test.db).await, 2);

    // Control: active again, the link (which survived) works again.
    set_status(&test.db, 2, UserStatus::Active).await;
    switch_to(&mut client, 2).await;
    assert_eq!(me(&mut client).await, "2");
}

// A deleted account (its links go with it, ON DELETE CASCADE) is unreachable.
async fn a_deleted_account_cannot_be_switched_to(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = three_accounts(&config).await;
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,2,3");

    user::Entity::delete_by_id(2).exec(&test.db).await.unwrap();
    assert_eq!(link_count(&test.db).await, 1, "the link went with the account");
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "deleted target").await;

    // The acting account deleted: back to the primary.
    user::Entity::delete_by_id(3).exec(&test.db).await.unwrap();
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "deleted acting account").await;
    assert_eq!(me(&mut client).await, "1");
    assert_eq!(link_count(&test.db).await, 0);
}

// Sign-out-all in another tab of the same browser (sharing the cookie) deletes
// the session's links. Cookie sessions cannot be revoked server-side, so a copy
// of the old cookie still names primary 1 (who did sign in with it), but the
// group is gone: the replayed session can never reach the linked account again.
async fn after_sign_out_all_a_replayed_cookie_cannot_switch_to_the_linked_account(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    assert_eq!(state(&mut client).await, "current=2;primary=1;group=1,2");
    let token = client.csrf().await;
    let captured = client.cookies().clone();

    let out = client.post_with_csrf("/link/sign-out-all", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert_eq!(link_count(&test.db).await, 0);
    assert_eq!(state(&mut client).await, "current=;primary=;group=");

    client.set_cookies(captured);
    // The old cookie still names account 2 as current, but 2 is no longer linked.
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1", "the replayed session is back on its primary");
    let switched = client.get(&format!("/link/switch_to/2?csrf_token={token}")).await;
    assert_forbidden(&switched, "switch GET to 2 with the replayed cookie and its token");
    assert_switch_refused(&mut client, 2, "replayed cookie").await;
    assert_ne!(me(&mut client).await, "2");
    assert_eq!(link_count(&test.db).await, 0, "nothing was re-created");
}

}

// The password tests need `auth_hash` (the suite's user type has it unless
// run with `test-plain-user`).
#[cfg(not(feature = "test-plain-user"))]
on_every_backend! {
// A password change (auth_hash) drops that account from this browser's group:
// no switch to it until it signs in again.
async fn after_a_password_change_the_account_cannot_be_switched_to(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = three_accounts(&config).await;
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,2,3");

    set_password_hash(&test.db, 2, "new-hash-2").await;
    assert_eq!(state(&mut client).await, "current=3;primary=1;group=1,3");
    assert_switch_refused(&mut client, 2, "password changed").await;

    // The acting account's password changes: back to the primary.
    set_password_hash(&test.db, 3, "new-hash-3").await;
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1");
    assert_switch_refused(&mut client, 3, "acting account's password changed").await;
    assert_eq!(me(&mut client).await, "1");
    assert_eq!(link_count(&test.db).await, 2, "the links stay; the session just no longer holds those sign-ins");

    // Control: adding it again (signing in with the new password) brings it back.
    let relinked = client.complete_link(&1, &2).await;
    assert_eq!(relinked.status, StatusCode::SEE_OTHER, "{relinked:?}");
    assert_eq!(link_count(&test.db).await, 2, "the existing link is reused");
    assert_eq!(state(&mut client).await, "current=2;primary=1;group=1,2");
    switch_to(&mut client, 1).await;
    switch_to(&mut client, 2).await;
    assert_eq!(me(&mut client).await, "2");
}

// The primary's password changes: the whole session is signed out, and a switch
// sent straight away (before any page load notices) must not get through either.
async fn after_the_primarys_password_change_nothing_can_be_switched_to(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    switch_to(&mut client, 1).await;
    assert_eq!(state(&mut client).await, "current=1;primary=1;group=1,2");

    set_password_hash(&test.db, 1, "new-hash-1").await;
    // No read in between: the switch is the first request to see the change.
    assert_switch_refused(&mut client, 2, "primary's password changed").await;
    assert_eq!(state(&mut client).await, "current=;primary=;group=");
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_switch_refused(&mut client, 2, "after the sign-out").await;
    assert_switch_refused(&mut client, 1, "after the sign-out").await;
    assert_eq!(link_count(&test.db).await, 1);
}

}

on_every_backend! {
// An app whose sign-out removes only "user" (instead of `session::sign_out`)
// leaves the multi-account keys until the next page load. A switch sent straight
// away must not sign the browser back in without a password (nor an unlink act
// for nobody).
async fn a_session_without_a_user_cannot_switch_into_the_group(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    assert_eq!(state(&mut client).await, "current=2;primary=1;group=1,2");

    // "user" unreadable (null) = removed, as far as every reader is concerned.
    assert_eq!(client.put_session(serde_json::json!({ "user": null })).await.status, StatusCode::NO_CONTENT);
    assert_switch_refused(&mut client, 2, "signed out of user").await;
    assert_forbidden(&client.post_with_csrf("/link/remove/2", &[]).await, "signed out of user: unlink");
    assert_switch_refused(&mut client, 1, "signed out of user").await;
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(state(&mut client).await, "current=;primary=;group=");
    assert_eq!(link_count(&test.db).await, 1);
}
}
