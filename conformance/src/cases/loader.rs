//! The loader and its extractors: modes, fallbacks, and the queries they cost.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use multi_account::LinkService;
use sea_orm::ConnectionTrait;

use crate::app::{SuiteUser, counted_database, database, delete_user, link_count, link_rows_with_tokens};
use crate::app::{set_password_hash, set_status};
use crate::client::{Client, Harness, Options, SESSION_COOKIE, link_again};

use super::SIGNED_OUT;

/// A sign-out that only removes the session cookie must not leave a group a
/// later sign-in could fall back into.
pub async fn signing_out_of_the_session_cookie_drops_the_group<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let mut cookies = client.cookies();
    cookies.remove(SESSION_COOKIE);
    client.set_cookies(cookies);
    assert_eq!(client.state().await, SIGNED_OUT);
}

/// Standard mode loads the signed-in user in one query; there is no primary.
pub async fn standard_mode_loads_the_signed_in_user_in_one_query<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard, queries) = counted_database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    assert_eq!(client.get("/current").await.status, 401);
    assert_eq!(client.state().await, SIGNED_OUT);
    client.sign_in(2).await;
    let before = queries.load(Ordering::SeqCst);
    assert_eq!(client.state().await, "current=2;primary=;group=");
    assert_eq!(queries.load(Ordering::SeqCst) - before, 1, "standard mode: one query");
    assert_eq!(client.get("/primary").await.body, "", "no primary outside multi-account mode");
}

/// A group of six loads in one query; two extractors in one handler share it.
pub async fn multi_account_mode_is_one_query_for_a_group_of_six<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard, queries) = counted_database(6).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    for id in 2..=6 {
        client.complete_link(1, id).await;
    }
    let before = queries.load(Ordering::SeqCst);
    assert_eq!(client.state().await, "current=6;primary=1;group=1,2,3,4,5,6");
    assert_eq!(queries.load(Ordering::SeqCst) - before, 1, "the whole group in one query");
    let before = queries.load(Ordering::SeqCst);
    assert_eq!(client.get("/both").await.body, "6:6");
    assert_eq!(queries.load(Ordering::SeqCst) - before, 1);
}

/// A primary that no longer exists clears the group: standard mode as the
/// current account, and the multi-account keys are gone (a switch is refused).
pub async fn stale_primary_clears_the_group_and_falls_back_to_standard_mode<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    delete_user(&db, 1).await;
    assert_eq!(client.state().await, "current=2;primary=;group=", "standard mode as 2");
    let url = client.switch_url(2).await;
    assert_eq!(client.get(&url).await.status, 403);
}

/// An inactive primary clears the group; it was current, so nobody is.
pub async fn inactive_primary_clears_the_group<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    let url = client.switch_url(1).await;
    client.get(&url).await;
    set_status(&db, 1, "inactive").await;
    assert_eq!(client.state().await, SIGNED_OUT, "the primary was current");
    assert_eq!(client.get("/current").await.status, 401);
}

/// An inactive current account, or one whose link is deactivated elsewhere,
/// falls back to the primary at once; deactivated links stay in the table.
pub async fn an_inactive_or_removed_current_account_falls_back_to_the_primary<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.complete_link(1, 3).await;
    set_status(&db, 3, "inactive").await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");
    let url = client.switch_url(2).await;
    client.get(&url).await;
    // Deactivating the link elsewhere (another tab, an admin) drops it at once.
    let (_, token, _) = link_rows_with_tokens(&db).await.into_iter().next().expect("a link row");
    LinkService::<U>::deactivate(&db, &1, &2, &token).await.unwrap();
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
    assert_eq!(link_count(&db).await, 2, "deactivated, not deleted");
}

/// While a link is pending the new account is current; once the intent
/// expires the session is back on its primary.
pub async fn a_pending_link_keeps_the_new_account_current_until_it_expires<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let clock = Arc::new(AtomicU64::new(1_000_000));
    let options = Options { clock: Some(Arc::clone(&clock)), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    assert_eq!(client.start_link(1).await.status, 303);
    client.sign_in(3).await;
    clock.fetch_add(599, Ordering::SeqCst);
    assert_eq!(client.get("/me").await.body, "3", "pending intent: the new account is current");
    clock.fetch_add(2, Ordering::SeqCst);
    assert_eq!(client.get("/me").await.body, "1", "expired: back to the primary");
}

/// A database error reads as signed out (never a panic or a 500 on a page);
/// a state change answers 503.
pub async fn a_database_error_reads_as_signed_out_not_a_panic<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    db.execute_unprepared("DROP TABLE linked_accounts").await.unwrap();
    let state = client.get("/state").await;
    assert_eq!(state.status, 200);
    assert_eq!(state.body, SIGNED_OUT);
    assert_eq!(client.get("/current").await.status, 401);
    let url = client.switch_url(1).await;
    assert_eq!(client.get(&url).await.status, 503);
}

/// With the feature gate off: no extra queries, the routes answer 404, and the
/// session reads as its primary; on again, the group is back.
pub async fn the_feature_gate_off_means_no_extra_queries_404_routes_and_back_to_the_primary<U: SuiteUser>(
    harness: &impl Harness,
) {
    let (db, _guard, queries) = counted_database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    assert_eq!(client.get("/me").await.body, "2");

    client.set_enabled(false);
    let before = queries.load(Ordering::SeqCst);
    assert_eq!(client.state().await, "current=1;primary=;group=", "back on the primary");
    assert_eq!(queries.load(Ordering::SeqCst) - before, 1, "only the app's own user load");
    let before = queries.load(Ordering::SeqCst);
    client.get("/plain").await;
    assert_eq!(queries.load(Ordering::SeqCst) - before, 0);
    assert_eq!(client.get("/link/p/1").await.status, 404);
    assert_eq!(client.start_link(1).await.status, 404);
    let url = client.switch_url(2).await;
    assert_eq!(client.get(&url).await.status, 404);
    assert_eq!(client.post_with_csrf("/link/remove/2").await.status, 404);
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 404);

    client.set_enabled(true);
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2", "the group is back");
}

/// A password change (`auth_hash`) drops the account from every browser's
/// group; signing in again brings it back; a changed primary signs the whole
/// browser out.
pub async fn a_password_change_drops_the_account_from_every_browsers_group<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut first = harness.client::<U>(&db, &Options::get_switch()).await;
    first.sign_in(1).await;
    first.complete_link(1, 2).await;
    first.complete_link(1, 3).await;
    let mut second = harness.client::<U>(&db, &Options::get_switch()).await;
    second.sign_in(1).await;
    second.complete_link(1, 2).await;
    assert_eq!(second.get("/me").await.body, "2");

    set_password_hash(&db, 2, "new-hash").await;
    assert_eq!(first.state().await, "current=3;primary=1;group=1,3", "first browser");
    assert_eq!(second.state().await, "current=1;primary=1;group=1", "second browser, was on 2");
    let url = first.switch_url(2).await;
    assert_eq!(first.get(&url).await.status, 403);

    // Signing in again with the new password brings the account back.
    link_again(&mut second, 1, 2).await;
    assert_eq!(second.state().await, "current=2;primary=1;group=1,2");

    // A changed primary signs the whole browser out.
    set_password_hash(&db, 1, "another").await;
    assert_eq!(first.state().await, SIGNED_OUT);
}

/// A password change (`auth_hash`) signs out a standard session too.
pub async fn a_password_change_signs_out_a_standard_session<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(1).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    assert_eq!(client.get("/me").await.body, "1");
    set_password_hash(&db, 1, "changed").await;
    assert_eq!(client.get("/current").await.status, 401);
}
