//! Test helpers (feature `test-support`): a cookie-keeping client over an
//! in-process actix service, test-only routes to sign in and read the CSRF token,
//! and a one-call link flow.
//!
//! ```
//! # mod user {
//! #     use sea_orm::entity::prelude::*;
//! #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
//! #     #[sea_orm(table_name = "users")]
//! #     #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
//! #     pub struct Model {
//! #         #[sea_orm(primary_key)]
//! #         pub id: i64,
//! #         pub email: String,
//! #     }
//! #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//! #     pub enum Relation {}
//! #     impl ActiveModelBehavior for ActiveModel {}
//! # }
//! # mod linked_account {
//! #     #[derive(multi_account::LinkedAccount)]
//! #     #[linked_account(user = crate::user::Entity)]
//! #     pub struct LinkedAccount;
//! # }
//! use actix_web::{App, test};
//! use multi_account_actix::test_support::{self, TestClient};
//! use multi_account_actix::{MultiAccountConfig, SessionToken};
//!
//! async fn alice_adds_bob(db: sea_orm::DatabaseConnection) {
//!     let config = MultiAccountConfig::new(db);
//!     let app = test::init_service(
//!         App::new()
//!             .configure(config.routes::<user::Model>())
//!             .configure(test_support::routes::<user::Model>())
//!             .wrap(SessionToken)
//!             .wrap(test_support::cookie_session()),
//!     )
//!     .await;
//!     let mut client = TestClient::new(app);
//!     client.sign_in(&1).await;
//!     client.complete_link(&1, &2).await;
//! }
//! # fn main() {}
//! ```
//!
//! Never mount [`routes`] in production: it signs anyone in without a password.

use std::collections::BTreeMap;
use std::fmt::Display;

use actix_http::Request;
use actix_session::storage::CookieSessionStore;
use actix_session::{SessionExt, SessionMiddleware};
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, Key};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::test::{TestRequest, call_service, read_body};
use actix_web::web::{self, ServiceConfig};
use actix_web::{Error, HttpRequest, HttpResponse};
use multi_account::{AccountId, MultiAccountUser};

use crate::csrf::{CSRF_FIELD, csrf_token};
use crate::error::MultiAccountError;
use crate::loader::config;

/// Sign in as any active user, without a password.
pub const SIGN_IN_PATH: &str = "/__test/sign-in/{user_id}";
/// Returns the session's CSRF token as the body.
pub const CSRF_PATH: &str = "/__test/csrf";
/// GET: the raw session entries as a JSON object. POST (JSON object body): sets
/// each entry to the given raw JSON, to test tampered or malformed sessions.
pub const SESSION_PATH: &str = "/__test/session";

/// The test-only routes [`SIGN_IN_PATH`] and [`CSRF_PATH`].
pub fn routes<U: MultiAccountUser>() -> impl FnOnce(&mut ServiceConfig) {
    |cfg: &mut ServiceConfig| {
        cfg.route(SIGN_IN_PATH, web::post().to(test_sign_in::<U>))
            .route(CSRF_PATH, web::get().to(test_csrf))
            .route(SESSION_PATH, web::get().to(test_session_read))
            .route(SESSION_PATH, web::post().to(test_session_write));
    }
}

async fn test_sign_in<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let id = U::Id::parse_canonical(&path)
        .ok_or(MultiAccountError::Refused(multi_account::session::Refusal::MalformedId))?;
    let user = multi_account::LinkService::<U>::active_user(config.db(), &id)
        .await
        .map_err(|_| MultiAccountError::Refused(multi_account::session::Refusal::Unavailable))?;
    let user = user.ok_or(MultiAccountError::Refused(multi_account::session::Refusal::Unauthorized))?;
    config.sign_in(&req.get_session(), &user).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn test_csrf(req: HttpRequest) -> Result<String, MultiAccountError> {
    csrf_token(&req.get_session())
}

async fn test_session_read(req: HttpRequest) -> HttpResponse {
    let session = req.get_session();
    let entries: serde_json::Map<String, serde_json::Value> =
        session.entries().iter().map(|(key, raw)| (key.clone(), serde_json::Value::String(raw.clone()))).collect();
    HttpResponse::Ok().json(entries)
}

async fn test_session_write(
    req: HttpRequest,
    entries: web::Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, MultiAccountError> {
    let session = req.get_session();
    for (key, value) in entries.into_inner() {
        session.insert(key, value)?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The key the test cookie sessions are signed with.
pub fn test_key() -> Key {
    Key::from(&[7_u8; 64])
}

/// A cookie session middleware for tests (not `Secure`, fixed key).
pub fn cookie_session() -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), test_key()).cookie_secure(false).build()
}

/// What a test needs from a response.
#[derive(Clone, Debug)]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The `Location` header.
    pub location: Option<String>,
    /// The body as text.
    pub body: String,
    /// Whether the response set or removed a cookie.
    pub set_cookie: bool,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
}

/// A client that keeps cookies between requests to an in-process service.
pub struct TestClient<S> {
    service: S,
    cookies: BTreeMap<String, String>,
    /// Added to every request (`Referer`, `Host`, ..).
    pub headers: Vec<(String, String)>,
}

impl<S, B> TestClient<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    /// Wraps a service from `actix_web::test::init_service`.
    pub fn new(service: S) -> Self {
        Self { service, cookies: BTreeMap::new(), headers: Vec::new() }
    }

    /// The cookies held now (name → value).
    pub fn cookies(&self) -> &BTreeMap<String, String> {
        &self.cookies
    }

    /// Replaces the cookies (to replay an old session, or tamper with one).
    pub fn set_cookies(&mut self, cookies: BTreeMap<String, String>) {
        self.cookies = cookies;
    }

    /// The session cookie's value (`id` is actix-session's default name).
    pub fn session_cookie(&self) -> Option<&str> {
        self.cookies.get("id").map(String::as_str)
    }

    /// Sends `request` with the held cookies and headers, and keeps the cookies
    /// the response sets.
    pub async fn send(&mut self, mut request: TestRequest) -> TestResponse {
        for (name, value) in &self.cookies {
            request = request.cookie(Cookie::new(name.clone(), value.clone()));
        }
        for (name, value) in &self.headers {
            request = request.insert_header((name.as_str(), value.as_str()));
        }
        let response = call_service(&self.service, request.to_request()).await;
        let mut set_cookie = false;
        for cookie in response.response().cookies() {
            set_cookie = true;
            let removed = cookie.max_age().is_some_and(|age| age.is_zero() || age.is_negative());
            if removed {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies.insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let status = response.status();
        let text_header = |name| response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let (location, content_type) = (text_header(header::LOCATION), text_header(header::CONTENT_TYPE));
        let body = String::from_utf8_lossy(&read_body(response).await).into_owned();
        TestResponse { status, location, body, set_cookie, content_type }
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(TestRequest::get().uri(path)).await
    }

    /// POST `fields` as a form to `path`.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        self.send(TestRequest::post().uri(path).set_form(fields)).await
    }

    /// POST `fields` plus this session's CSRF token.
    pub async fn post_with_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push((CSRF_FIELD, &token));
        self.post_form(path, &all).await
    }

    /// Sets raw session entries (each value is stored as its JSON text).
    pub async fn put_session(&mut self, entries: serde_json::Value) -> TestResponse {
        self.send(TestRequest::post().uri(SESSION_PATH).set_json(entries)).await
    }

    /// The raw session entries (key → stored JSON text).
    pub async fn session_entries(&mut self) -> serde_json::Value {
        serde_json::from_str(&self.get(SESSION_PATH).await.body).unwrap_or_default()
    }

    /// This session's CSRF token (creating one if needed).
    pub async fn csrf(&mut self) -> String {
        self.get(CSRF_PATH).await.body
    }

    /// Signs in as the user with `id` through the test route.
    pub async fn sign_in(&mut self, id: &impl Display) -> TestResponse {
        self.send(TestRequest::post().uri(&SIGN_IN_PATH.replace("{user_id}", &id.to_string()))).await
    }

    /// The whole link flow at the default paths: as the signed-in `primary`, start
    /// a link ([`Self::start_link`]), sign in as `linked`, load the auto-submit
    /// page and post it. Returns
    /// the final POST's response (a 303 on success).
    pub async fn complete_link(&mut self, primary: &impl Display, linked: &impl Display) -> TestResponse {
        let link = format!("/link/p/{primary}");
        let started = self.start_link(primary).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "starting the link: {}", started.body);
        self.sign_in(linked).await;
        let page = self.get(&link).await;
        assert_eq!(page.status, StatusCode::OK, "auto-submit page: {}", page.body);
        let token = auto_submit_token(&page.body).unwrap_or_default();
        self.post_form(&link, &[(CSRF_FIELD, &token)]).await
    }

    /// Starts adding an account to `primary` at the default paths: the POST of
    /// the switcher's "Add another account" form (a 303 to sign-in on success).
    pub async fn start_link(&mut self, primary: &impl Display) -> TestResponse {
        self.post_with_csrf(&format!("/link/p/{primary}?start"), &[]).await
    }

    /// Switches to `id` at the default paths: the POST of the switcher's form.
    pub async fn switch(&mut self, id: &impl Display) -> TestResponse {
        self.post_with_csrf(&format!("/link/switch_to/{id}"), &[]).await
    }

    /// A GET switch URL with this session's CSRF token (for apps that opted in
    /// with `MultiAccountConfig::with_get_switch`).
    pub async fn switch_url(&mut self, id: &impl Display) -> String {
        format!("/link/switch_to/{id}?{CSRF_FIELD}={}", self.csrf().await)
    }
}

/// The CSRF token in an auto-submit page's hidden field.
pub fn auto_submit_token(page: &str) -> Option<String> {
    let marker = format!(r#"name="{CSRF_FIELD}" value=""#);
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}
