//! The loader and its extractors: modes, fallbacks, and the queries they cost.

use crate::support;

use crate::support::{User, client, database, link_count, set_status, user::UserStatus};
use actix_web::http::StatusCode;
use multi_account_actix::MultiAccountConfig;

async fn client_session_token(db: &sea_orm::DatabaseConnection) -> String {
    use sea_orm::EntityTrait;
    let link = support::linked_account::Entity::find().one(db).await.unwrap().unwrap();
    link.session_token
}

#[tokio::test]
async fn signing_out_of_the_user_key_drops_the_group() {
    // A sign-out that only removes "user" must not leave a group a later sign-in
    // could fall back into.
    let test = database(2).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let mut cookies = client.cookies().clone();
    cookies.remove("id");
    client.set_cookies(cookies);
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=");
}

on_every_backend! {
async fn standard_mode_loads_the_signed_in_user_in_one_query(test, 2) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=");
    client.sign_in(&2).await;
    let before = test.queries.get();
    assert_eq!(client.get("/state").await.body, "current=2;primary=;group=");
    assert_eq!(test.queries.get() - before, 1, "standard mode: one query");
    assert_eq!(client.get("/primary").await.body, "", "no primary outside multi-account mode");
}

async fn multi_account_mode_is_one_query_for_a_group_of_six(test, 6) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    for id in 2..=6 {
        client.complete_link(&1, &id).await;
    }
    let before = test.queries.get();
    assert_eq!(client.get("/state").await.body, "current=6;primary=1;group=1,2,3,4,5,6");
    assert_eq!(test.queries.get() - before, 1, "the whole group in one query");
    // Two extractors in one handler share the one load.
    let before = test.queries.get();
    assert_eq!(client.get("/both").await.body, "6:6");
    assert_eq!(test.queries.get() - before, 1);
}

async fn a_handler_that_extracts_nothing_costs_no_query(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let before = test.queries.get();
    assert_eq!(client.get("/plain").await.body, "plain");
    assert_eq!(test.queries.get() - before, 0);
}

async fn stale_primary_clears_the_group_and_falls_back_to_standard_mode(test, 3) {
    use sea_orm::EntityTrait;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    support::user::Entity::delete_by_id(1).exec(&test.db).await.unwrap();
    assert_eq!(client.get("/state").await.body, "current=2;primary=;group=", "standard mode as 2");
    // The multi-account keys are gone: a switch is refused.
    let url = client.switch_url(&2).await;
    assert_eq!(client.get(&url).await.status, StatusCode::FORBIDDEN);
}

async fn inactive_primary_clears_the_group(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let url = client.switch_url(&1).await;
    client.get(&url).await;
    set_status(&test.db, 1, UserStatus::Inactive).await;
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=", "the primary was current");
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED);
}

async fn an_inactive_or_removed_current_account_falls_back_to_the_primary(test, 4) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    client.complete_link(&1, &3).await;
    set_status(&test.db, 3, UserStatus::Inactive).await;
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1,2");
    let url = client.switch_url(&2).await;
    client.get(&url).await;
    // Deactivating the link elsewhere (another tab, an admin) drops it at once.
    let token = client_session_token(&test.db).await;
    multi_account::LinkService::<User>::deactivate(&test.db, &1, &2, &token).await.unwrap();
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1");
    assert_eq!(link_count(&test.db).await, 2, "deactivated, not deleted");
}

async fn a_pending_link_keeps_the_new_account_current_until_it_expires(test, 3) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let clock = Arc::new(AtomicU64::new(1_000_000));
    let now = clock.clone();
    let config = MultiAccountConfig::new(test.db.clone()).with_clock(move || now.load(Ordering::SeqCst));
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    assert_eq!(client.start_link(&1).await.status, StatusCode::SEE_OTHER);
    client.sign_in(&3).await;
    clock.fetch_add(599, Ordering::SeqCst);
    assert_eq!(client.get("/me").await.body, "3", "pending intent: the new account is current");
    clock.fetch_add(2, Ordering::SeqCst);
    assert_eq!(client.get("/me").await.body, "1", "expired: back to the primary");
}

async fn a_database_error_reads_as_signed_out_not_a_panic(test, 2) {
    use sea_orm::ConnectionTrait;
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    test.db.execute_unprepared("DROP TABLE linked_accounts").await.unwrap();
    let state = client.get("/state").await;
    assert_eq!(state.status, StatusCode::OK);
    assert_eq!(state.body, "current=;primary=;group=");
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED);
    // A state change answers 503.
    let url = client.switch_url(&1).await;
    assert_eq!(client.get(&url).await.status, StatusCode::SERVICE_UNAVAILABLE);
}

async fn the_feature_gate_off_means_no_extra_queries_404_routes_and_back_to_the_primary(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    assert_eq!(client.get("/me").await.body, "2");

    config.set_enabled(false);
    let before = test.queries.get();
    assert_eq!(client.get("/state").await.body, "current=1;primary=;group=", "back on the primary");
    assert_eq!(test.queries.get() - before, 1, "only the app's own user load");
    let before = test.queries.get();
    client.get("/plain").await;
    assert_eq!(test.queries.get() - before, 0);
    assert_eq!(client.get("/link/p/1").await.status, StatusCode::NOT_FOUND);
    assert_eq!(client.start_link(&1).await.status, StatusCode::NOT_FOUND);
    let url = client.switch_url(&2).await;
    assert_eq!(client.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(client.post_with_csrf("/link/remove/2", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(client.post_with_csrf("/link/sign-out-all", &[]).await.status, StatusCode::NOT_FOUND);

    config.set_enabled(true);
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1,2", "the group is back");
}
}

// These need `auth_hash` (the suite's user type has it unless run with
// `test-plain-user`).
#[cfg(not(feature = "test-plain-user"))]
on_every_backend! {
async fn a_password_change_drops_the_account_from_every_browsers_group(test, 3) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut first = client(&config).await;
    first.sign_in(&1).await;
    first.complete_link(&1, &2).await;
    first.complete_link(&1, &3).await;
    let mut second = client(&config).await;
    second.sign_in(&1).await;
    second.complete_link(&1, &2).await;
    assert_eq!(second.get("/me").await.body, "2");

    support::set_password_hash(&test.db, 2, "new-hash").await;
    assert_eq!(first.get("/state").await.body, "current=3;primary=1;group=1,3", "first browser");
    assert_eq!(second.get("/state").await.body, "current=1;primary=1;group=1", "second browser, was on 2");
    let url = first.switch_url(&2).await;
    assert_eq!(first.get(&url).await.status, StatusCode::FORBIDDEN);

    // Signing in again with the new password brings the account back.
    second.complete_link(&1, &2).await;
    assert_eq!(second.get("/state").await.body, "current=2;primary=1;group=1,2");

    // A changed primary signs the whole browser out.
    support::set_password_hash(&test.db, 1, "another").await;
    assert_eq!(first.get("/state").await.body, "current=;primary=;group=");
}

async fn a_password_change_signs_out_a_standard_session(test, 1) {
    let config = MultiAccountConfig::new(test.db.clone());
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    assert_eq!(client.get("/me").await.body, "1");
    support::set_password_hash(&test.db, 1, "changed").await;
    assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED);
}
}
