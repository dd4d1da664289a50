//! actix-identity interop (feature `identity`): an app that signs users in with
//! `Identity::login` gets linking and switching, and switching updates the
//! identity.

use crate::support;

use crate::support::database;
use actix_identity::{Identity, IdentityMiddleware};
use actix_web::http::StatusCode;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, test, web};
use multi_account_actix::test_support::{TestClient, auto_submit_token, cookie_session};
use multi_account_actix::{MultiAccountConfig, SessionToken};

/// The app's own sign-in: only actix-identity, no multi-account helper.
async fn login(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    match Identity::login(&req.extensions(), id.into_inner()) {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn whoami(identity: Option<Identity>) -> String {
    identity.and_then(|identity| identity.id().ok()).unwrap_or_default()
}

async fn logout(identity: Identity) -> HttpResponse {
    identity.logout();
    HttpResponse::NoContent().finish()
}

#[tokio::test]
async fn identity_sign_in_links_and_switches() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let app = test::init_service(
        App::new()
            .configure(support::configure(&config))
            .route("/login/{id}", web::post().to(login))
            .route("/whoami", web::get().to(whoami))
            .route("/logout", web::post().to(logout))
            .wrap(IdentityMiddleware::default())
            .wrap(SessionToken)
            .wrap(cookie_session()),
    )
    .await;
    let mut client = TestClient::new(app);

    client.post_form("/login/1", &[]).await;
    assert_eq!(client.get("/me").await.body, "1", "the identity is the current user");
    assert_eq!(client.start_link(&1).await.status, StatusCode::SEE_OTHER);
    client.post_form("/login/2", &[]).await;
    assert_eq!(client.get("/me").await.body, "2", "a new identity while a link is pending");
    let page = client.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &token)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/state").await.body, "current=2;primary=1;group=1,2");

    let url = client.switch_url(&1).await;
    assert_eq!(client.get(&url).await.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/whoami").await.body, "1", "switching updates the identity");
    assert_eq!(client.get("/me").await.body, "1");
    let url = client.switch_url(&2).await;
    client.get(&url).await;
    assert_eq!(client.get("/whoami").await.body, "2");

    client.post_with_csrf("/link/remove/2", &[]).await;
    assert_eq!(client.get("/whoami").await.body, "1", "removing the acting account returns the identity too");
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1");

    client.post_form("/logout", &[]).await;
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=");
    assert_eq!(client.get("/whoami").await.body, "");
}
