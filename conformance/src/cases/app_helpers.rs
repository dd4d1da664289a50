//! The adapter's helpers for an app's own handlers (its sign-in page, its
//! sign-out button, its flash messages): they read and write what the routes
//! do.

use crate::app::{SuiteUser, database, link_count, link_rows};
use crate::client::{Client, Harness, Options};

/// `get_user_id` and `pending_link` read the session as the routes left it,
/// `put_flash` leaves a message the next page takes once, and `sign_out_all`
/// deletes this session's links and answers how many.
pub async fn the_apps_session_helpers_read_and_write_what_the_routes_do<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    assert_eq!(client.get("/helpers").await.body, "user=;pending=", "signed out");
    client.sign_in(1).await;
    assert_eq!(client.get("/helpers").await.body, "user=1;pending=");
    let started = client.start_link(1).await;
    assert_eq!(started.status, 303, "{started:?}");
    assert_eq!(client.get("/helpers").await.body, "user=1;pending=1", "adding an account to 1");
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.complete_link(1, 3).await.status, 303);
    assert_eq!(client.get("/helpers").await.body.split(';').next(), Some("user=3"));

    assert_eq!(client.post_form("/helpers/flash", &[]).await.status, 204);
    assert_eq!(client.get("/flash").await.body, "from the app");
    assert_eq!(client.get("/flash").await.body, "", "shown once");

    assert_eq!(link_count(&db).await, 2);
    let signed_out = client.post_form("/helpers/sign-out-all", &[]).await;
    assert_eq!(signed_out.body, "2", "the links removed (the group's own row is not one): {signed_out:?}");
    assert_eq!(link_rows(&db).await, Vec::new(), "the group's own row too");
    assert_eq!(client.get("/helpers").await.body, "user=;pending=");
    assert_eq!(client.state().await, super::SIGNED_OUT);
}
