//! Test helpers (feature `test-support`): a cookie-keeping client over an
//! in-process `Router`, test-only routes to sign in and read the CSRF token or
//! the raw session, and a one-call link flow — the same helpers as
//! `multi-account-actix`'s, so one test reads the same on both.
//!
//! Never merge [`routes`] in production: it signs anyone in without a password.

use std::collections::BTreeMap;
use std::fmt::Display;

use axum::Router;
use axum::body::Body;
use axum::extract::{Json, Path};
use axum::http::request::Parts;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use multi_account::session::html::{CSRF_FIELD, percent_encode};
use multi_account::{AccountId, LinkService, MultiAccountUser};
use tower::ServiceExt;

use crate::error::MultiAccountError;
use crate::extractors::{config, session};
use crate::session_state;

/// Sign in as any active user, without a password.
pub const SIGN_IN_PATH: &str = "/__test/sign-in/{user_id}";
/// Returns the session's CSRF token as the body.
pub const CSRF_PATH: &str = "/__test/csrf";
/// GET: the raw session entries as a JSON object. POST (JSON object body): sets
/// each entry to the given JSON, to test tampered or malformed sessions.
pub const SESSION_PATH: &str = "/__test/session";

/// The test-only routes [`SIGN_IN_PATH`], [`CSRF_PATH`] and [`SESSION_PATH`].
pub fn routes<U: MultiAccountUser, S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(SIGN_IN_PATH, post(test_sign_in::<U>))
        .route(CSRF_PATH, get(test_csrf))
        .route(SESSION_PATH, get(test_session_read).post(test_session_write))
}

async fn test_sign_in<U: MultiAccountUser>(
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let id =
        U::Id::parse_canonical(&id).ok_or(MultiAccountError::Refused(multi_account::session::Refusal::MalformedId))?;
    let user = LinkService::<U>::active_user(config.db(), &id)
        .await
        .map_err(|_| MultiAccountError::Refused(multi_account::session::Refusal::Unavailable))?;
    let user = user.ok_or(MultiAccountError::Refused(multi_account::session::Refusal::Unauthorized))?;
    config.sign_in(&session(&parts)?, &user).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn test_csrf(parts: Parts) -> Result<String, MultiAccountError> {
    let session = session(&parts)?;
    let (token, writes) = multi_account::session::csrf_token(&session_state::read(&session).await?);
    session_state::apply(&session, &writes).await?;
    Ok(token)
}

async fn test_session_read(parts: Parts) -> Result<Response, MultiAccountError> {
    let session = session(&parts)?;
    let mut entries = serde_json::Map::new();
    for key in session_state::KEYS {
        if let Some(value) = session.get_value(key).await? {
            entries.insert(key.to_owned(), value);
        }
    }
    Ok(Json(entries).into_response())
}

async fn test_session_write(
    parts: Parts,
    Json(entries): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Response, MultiAccountError> {
    let session = session(&parts)?;
    for (key, value) in entries {
        session.insert_value(&key, value).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
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

/// A client that keeps cookies between requests to an in-process router.
#[derive(Debug)]
pub struct TestClient {
    router: Router,
    cookies: BTreeMap<String, String>,
    /// Added to every request (`Referer`, `Origin`, ..). `Host` is `localhost`.
    pub headers: Vec<(String, String)>,
}

impl TestClient {
    /// Wraps an app's router (with its layers).
    pub fn new(router: Router) -> Self {
        Self { router, cookies: BTreeMap::new(), headers: Vec::new() }
    }

    /// The cookies held now (name → value).
    pub fn cookies(&self) -> &BTreeMap<String, String> {
        &self.cookies
    }

    /// Replaces the cookies (to replay an old session, or tamper with one).
    pub fn set_cookies(&mut self, cookies: BTreeMap<String, String>) {
        self.cookies = cookies;
    }

    /// The session cookie's value (`id` is tower-sessions' default name).
    pub fn session_cookie(&self) -> Option<&str> {
        self.cookies.get("id").map(String::as_str)
    }

    /// Sends `method path` with `body` (of `content_type`), the held cookies and
    /// headers, and keeps the cookies the response sets.
    pub async fn send(&mut self, method: &str, path: &str, content_type: Option<&str>, body: String) -> TestResponse {
        let content_type = content_type.map(|value| ("content-type", value.as_bytes()));
        self.send_bytes(method, path, content_type.as_slice(), body.into_bytes()).await
    }

    /// [`Self::send`] with any extra headers (values as bytes, which need not be
    /// text) and a raw body.
    pub async fn send_bytes(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
        body: Vec<u8>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path).header(header::HOST, "localhost");
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect();
            request = request.header(header::COOKIE, header_value(cookies.join("; ").as_bytes()));
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), header_value(value.as_bytes()));
        }
        for (name, value) in headers {
            request = request.header(*name, header_value(value));
        }
        let request = match request.body(Body::from(body)) {
            Ok(request) => request,
            Err(error) => panic!("a test request: {error}"),
        };
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let mut set_cookie = false;
        for value in response.headers().get_all(header::SET_COOKIE) {
            set_cookie = true;
            let text = value.to_str().unwrap_or_default();
            let mut attributes = text.split(';').map(str::trim);
            let Some((name, value)) = attributes.next().and_then(|pair| pair.split_once('=')) else { continue };
            let removed = attributes.any(|attribute| {
                attribute.eq_ignore_ascii_case("max-age=0") || attribute.to_ascii_lowercase().starts_with("max-age=-")
            });
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let text_header = |name| response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let (location, content_type) = (text_header(header::LOCATION), text_header(header::CONTENT_TYPE));
        let bytes = response.into_body().collect().await.map(|body| body.to_bytes()).unwrap_or_default();
        TestResponse { status, location, body: String::from_utf8_lossy(&bytes).into_owned(), set_cookie, content_type }
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send("GET", path, None, String::new()).await
    }

    /// POST `fields` as a form to `path`.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body: Vec<String> = fields
            .iter()
            .map(|(name, value)| format!("{}={}", percent_encode(name, false), percent_encode(value, false)))
            .collect();
        self.send("POST", path, Some("application/x-www-form-urlencoded"), body.join("&")).await
    }

    /// POST `fields` plus this session's CSRF token.
    pub async fn post_with_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push((CSRF_FIELD, &token));
        self.post_form(path, &all).await
    }

    /// Sets raw session entries.
    pub async fn put_session(&mut self, entries: serde_json::Value) -> TestResponse {
        self.send("POST", SESSION_PATH, Some("application/json"), entries.to_string()).await
    }

    /// The raw session entries (key → JSON value).
    pub async fn session_entries(&mut self) -> serde_json::Value {
        serde_json::from_str(&self.get(SESSION_PATH).await.body).unwrap_or_default()
    }

    /// This session's CSRF token (creating one if needed).
    pub async fn csrf(&mut self) -> String {
        self.get(CSRF_PATH).await.body
    }

    /// Signs in as the user with `id` through the test route.
    pub async fn sign_in(&mut self, id: &impl Display) -> TestResponse {
        self.send("POST", &SIGN_IN_PATH.replace("{user_id}", &id.to_string()), None, String::new()).await
    }

    /// The whole link flow at the default paths: as the signed-in `primary`,
    /// start a link, sign in as `linked`, load the auto-submit page and post it.
    /// Returns the final POST's response (a 303 on success).
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

    /// Starts adding an account to `primary` at the default paths.
    pub async fn start_link(&mut self, primary: &impl Display) -> TestResponse {
        self.post_with_csrf(&format!("/link/p/{primary}?start"), &[]).await
    }

    /// Switches to `id` at the default paths: the POST of the switcher's form.
    pub async fn switch(&mut self, id: &impl Display) -> TestResponse {
        self.post_with_csrf(&format!("/link/switch_to/{id}"), &[]).await
    }
}

/// `bytes` as a header value (any bytes but control characters).
fn header_value(bytes: &[u8]) -> axum::http::HeaderValue {
    match axum::http::HeaderValue::from_bytes(bytes) {
        Ok(value) => value,
        Err(error) => panic!("a test header value {bytes:?}: {error}"),
    }
}

/// The CSRF token in an auto-submit page's hidden field.
pub fn auto_submit_token(page: &str) -> Option<String> {
    let marker = format!(r#"name="{CSRF_FIELD}" value=""#);
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}
