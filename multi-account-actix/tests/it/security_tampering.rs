//! Cookies of another key or format (SPEC §4 Security model, rule 6): a
//! perfectly valid actix-session cookie signed with another key, or with this
//! key but signed only (not encrypted), is not a session here. The tampering
//! cases every adapter shares (flipped cookies, swapped and malformed session
//! values, fabricated sessions) are conformance cases.

use crate::support::state;

use crate::support::{client, configure, database, link_count};
use actix_http::Request;
use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::cookie::Key;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, test};
use multi_account_actix::test_support::{TestClient, test_key};
use multi_account_actix::{MultiAccountConfig, SessionToken};

/// The test app with its cookie sessions handled by `sessions`.
async fn app_with(
    config: &MultiAccountConfig,
    sessions: SessionMiddleware<CookieSessionStore>,
) -> TestClient<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error>> {
    TestClient::new(test::init_service(App::new().configure(configure(config)).wrap(SessionToken).wrap(sessions)).await)
}

// A perfectly valid session of another app (another key), or of this key but not
// encrypted (signed only), is not a session here: signed out, both ways.
#[tokio::test]
async fn a_cookie_from_another_key_or_format_reads_as_signed_out() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let other_key =
        SessionMiddleware::builder(CookieSessionStore::default(), Key::from(&[9_u8; 64])).cookie_secure(false).build();
    let signed_only = SessionMiddleware::builder(CookieSessionStore::default(), test_key())
        .cookie_secure(false)
        .cookie_content_security(CookieContentSecurity::Signed)
        .build();
    let mut ours = client(&config).await;

    for (what, sessions) in [("another key", other_key), ("signed, not encrypted", signed_only)] {
        let mut foreign = app_with(&config, sessions).await;
        foreign.sign_in(&1).await;
        assert_eq!(foreign.complete_link(&1, &2).await.status, StatusCode::SEE_OTHER, "{what}");
        assert_eq!(state(&mut foreign).await, "current=2;primary=1;group=1,2", "{what}: signed in there");
        let token = foreign.csrf().await;
        let links = link_count(&test.db).await;

        // Its cookie, replayed against this app.
        ours.set_cookies(foreign.cookies().clone());
        assert_eq!(state(&mut ours).await, "current=;primary=;group=", "{what}");
        ours.set_cookies(foreign.cookies().clone());
        assert_eq!(ours.get("/me").await.status, StatusCode::UNAUTHORIZED, "{what}");
        for (target, path) in [(1, "/link/switch_to/1"), (2, "/link/switch_to/2")] {
            ours.set_cookies(foreign.cookies().clone());
            let switched = ours.get(&format!("{path}?csrf_token={token}")).await;
            assert_eq!(switched.status, StatusCode::FORBIDDEN, "{what}: switch to {target}: {switched:?}");
        }
        for path in ["/link/remove/2", "/link/sign-out-all", "/link/p/1"] {
            ours.set_cookies(foreign.cookies().clone());
            let posted = ours.post_form(path, &[("csrf_token", &token)]).await;
            assert_eq!(posted.status, StatusCode::FORBIDDEN, "{what}: {path}: {posted:?}");
        }
        assert_eq!(link_count(&test.db).await, links, "{what}: nothing written");

        // And ours, replayed against the other app.
        ours.set_cookies(Default::default());
        ours.sign_in(&3).await;
        foreign.set_cookies(ours.cookies().clone());
        assert_eq!(state(&mut foreign).await, "current=;primary=;group=", "{what}: ours over there");
    }
}
