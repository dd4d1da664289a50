//! The session helpers and the session-token middleware.

use actix_session::Session;
use actix_web::{App, HttpResponse, test, web};
use multi_account_actix::session::{
    get_primary_user_id, get_session_token, get_user_id, is_multi_account_session, multi_account_session,
};
use multi_account_actix::test_support::{TestClient, cookie_session};
use multi_account_actix::{SessionToken, session_keys};

use crate::support::User;

async fn write(session: Session) -> HttpResponse {
    // The keys as the first release wrote them: sessions survive the upgrade.
    session.insert(session_keys::USER, "user?id=7").unwrap();
    session.insert(session_keys::PRIMARY_USER_ID, "7").unwrap();
    session.insert(session_keys::SESSION_TOKEN, "tok").unwrap();
    HttpResponse::Ok().finish()
}

async fn read(session: Session) -> String {
    format!(
        "user={:?} primary={:?} token={:?} multi={} pair={:?} raw={:?}",
        get_user_id::<User>(&session),
        get_primary_user_id::<User>(&session),
        get_session_token(&session),
        is_multi_account_session::<User>(&session),
        multi_account_session::<User>(&session),
        session.get::<String>(session_keys::USER).unwrap(),
    )
}

async fn clear(session: Session) -> HttpResponse {
    for key in [session_keys::PRIMARY_USER_ID, session_keys::SESSION_TOKEN, session_keys::LINK_INTENT] {
        session.remove(key);
    }
    HttpResponse::Ok().finish()
}

async fn tamper(session: Session) -> HttpResponse {
    session.insert(session_keys::USER, "admin?id=7").unwrap();
    session.insert(session_keys::PRIMARY_USER_ID, 7).unwrap();
    HttpResponse::Ok().finish()
}

async fn remove_token(session: Session) -> HttpResponse {
    session.remove(session_keys::SESSION_TOKEN);
    HttpResponse::Ok().finish()
}

/// Removes the token `/write` put there, so the next request shows the middleware's.
async fn clear_token<S, B>(client: &mut TestClient<S>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    client.get("/remove-token").await;
}

async fn token(session: Session) -> String {
    get_session_token(&session).unwrap_or_default()
}

fn app() -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .route("/write", web::get().to(write))
        .route("/read", web::get().to(read))
        .route("/clear", web::get().to(clear))
        .route("/tamper", web::get().to(tamper))
        .route("/token", web::get().to(token))
        .route("/remove-token", web::get().to(remove_token))
}

#[actix_web::test]
async fn readers_read_the_seed_keys() {
    let mut client = TestClient::new(test::init_service(app().wrap(cookie_session())).await);
    assert_eq!(client.get("/read").await.body, "user=None primary=None token=None multi=false pair=None raw=None");
    client.get("/write").await;
    assert_eq!(
        client.get("/read").await.body,
        r#"user=Some(7) primary=Some(7) token=Some("tok") multi=true pair=Some((7, "tok")) raw=Some("user?id=7")"#
    );
    client.get("/clear").await;
    assert_eq!(
        client.get("/read").await.body,
        r#"user=Some(7) primary=None token=None multi=false pair=None raw=Some("user?id=7")"#,
        "without the multi-account keys, the user stays"
    );
}

#[actix_web::test]
async fn tampered_values_read_as_absent() {
    let mut client = TestClient::new(test::init_service(app().wrap(cookie_session())).await);
    client.get("/tamper").await;
    // A subject for another short name and a primary id that is a number, not a
    // string, are both ignored.
    assert_eq!(
        client.get("/read").await.body,
        r#"user=None primary=None token=None multi=false pair=None raw=Some("admin?id=7")"#
    );
}

#[actix_web::test]
async fn the_middleware_creates_a_token_once_for_a_signed_in_session() {
    let mut client = TestClient::new(test::init_service(app().wrap(SessionToken).wrap(cookie_session())).await);
    let anonymous = client.get("/token").await;
    assert_eq!(anonymous.body, "", "anonymous visitors get no token");
    assert!(!anonymous.set_cookie, "and no session cookie");
    client.get("/write").await;
    clear_token(&mut client).await;
    let first = client.get("/token").await.body;
    assert_eq!(first.len(), 32);
    assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(client.get("/token").await.body, first, "no-op when a token exists");
    let mut other = TestClient::new(test::init_service(app().wrap(SessionToken).wrap(cookie_session())).await);
    other.get("/write").await;
    clear_token(&mut other).await;
    assert_ne!(other.get("/token").await.body, first, "random per session");
}

#[actix_web::test]
async fn without_the_middleware_there_is_no_token() {
    let mut client = TestClient::new(test::init_service(app().wrap(cookie_session())).await);
    assert_eq!(client.get("/token").await.body, "");
}
