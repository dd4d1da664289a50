//! Every flow through the axum routes.

use axum::http::StatusCode;
use multi_account_axum::MultiAccountConfig;
use multi_account_axum::test_support::auto_submit_token;

use crate::support::{client, database};

#[tokio::test]
async fn sign_in_link_switch_remove_and_sign_out_all() {
    let (db, _guard) = database(3).await;
    let config = MultiAccountConfig::new(db.clone());
    let mut client = client(&config);
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=");
    assert_eq!(client.sign_in(&1).await.status, StatusCode::NO_CONTENT);
    assert_eq!(client.get("/state").await.body, "current=1;primary=;group=");

    let started = client.start_link(&1).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    assert_eq!(started.location.as_deref(), Some("/sign-in?return_to=/link/p/1"));
    client.sign_in(&2).await;
    let page = client.get("/link/p/1").await;
    assert_eq!(page.status, StatusCode::OK);
    let token = auto_submit_token(&page.body).expect("an auto-submit form");
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert_eq!(client.get("/state").await.body, "current=2;primary=1;group=1,2");

    assert_eq!(client.complete_link(&1, &3).await.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/state").await.body, "current=3;primary=1;group=1,2,3");

    let switched = client.switch(&1).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{switched:?}");
    assert_eq!(client.get("/me").await.body, "1");

    let removed = client.post_with_csrf("/link/remove/2", &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1,3");

    let out = client.post_with_csrf("/link/sign-out-all", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=");
}

#[tokio::test]
async fn the_gate_off_answers_404_and_the_session_is_back_on_its_primary() {
    let (db, _guard) = database(2).await;
    let config = MultiAccountConfig::new(db.clone());
    let mut client = client(&config);
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    config.set_enabled(false);
    assert_eq!(client.switch(&1).await.status, StatusCode::NOT_FOUND);
    assert_eq!(client.get("/state").await.body, "current=1;primary=;group=");
    config.set_enabled(true);
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1,2");
}

#[tokio::test]
async fn bad_input_is_a_4xx_never_a_500() {
    let (db, _guard) = database(2).await;
    let config = MultiAccountConfig::new(db.clone());
    let mut client = client(&config);
    client.sign_in(&1).await;
    let cases = [
        ("/link/switch_to/abc", StatusCode::BAD_REQUEST),
        ("/link/switch_to/99999999999999999999999", StatusCode::BAD_REQUEST),
        ("/link/switch_to/2", StatusCode::FORBIDDEN),
        ("/link/remove/2", StatusCode::FORBIDDEN),
        ("/link/p/2?start", StatusCode::FORBIDDEN),
        ("/link/p/1", StatusCode::FORBIDDEN),
    ];
    for (path, status) in cases {
        let response = client.post_with_csrf(path, &[]).await;
        assert_eq!(response.status, status, "{path}: {response:?}");
    }
    let not_a_form = client.send("POST", "/link/switch_to/1", Some("application/json"), "{}".into()).await;
    assert_eq!(not_a_form.status, StatusCode::FORBIDDEN, "no token in a non-form body: {not_a_form:?}");
    let mut anonymous = crate::support::client(&config);
    let signed_out = anonymous.get("/link/p/1").await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED, "{signed_out:?}");
}
