//! What an adapter provides: a [`Harness`] that builds the test app, and the
//! [`Client`] that talks to it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use multi_account::MultiAccountUser;
use sea_orm::DatabaseConnection;

/// What a case needs from a response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    /// Whether the response set or removed a cookie.
    pub set_cookie: bool,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
}

impl Reply {
    pub fn is_client_error(&self) -> bool {
        (400..500).contains(&self.status)
    }

    pub fn is_server_error(&self) -> bool {
        self.status >= 500
    }
}

/// The app's options a case may set.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `with_get_switch(true)`.
    pub get_switch: bool,
    /// `with_clock`: the app's time (Unix seconds) is this value.
    pub clock: Option<Arc<AtomicU64>>,
    /// `with_link_intent_ttl`.
    pub link_intent_ttl: Option<Duration>,
    /// Handlers whose `after_switch_path` is this path.
    pub after_switch_path: Option<&'static str>,
    /// Handlers whose `after_link_path` is this path.
    pub after_link_path: Option<&'static str>,
    /// Handlers whose `sign_out_path` is this path.
    pub sign_out_path: Option<&'static str>,
    /// `with_paths`.
    pub paths: Option<multi_account::session::Paths>,
    /// `with_session_budget(Some(..))`.
    pub session_budget: Option<usize>,
    /// `with_tabs(..)` (and, on axum, the router wrapped in its tab layer).
    pub tabs: Option<multi_account::session::Tabs>,
    /// `with_remembered(..)`.
    pub remembered: Option<multi_account::session::RememberedAccounts>,
}

impl Options {
    /// The options with GET switch links (`with_get_switch(true)`).
    pub fn get_switch() -> Self {
        Self { get_switch: true, ..Self::default() }
    }

    /// The options with per-tab accounts (`with_tabs(Some(tabs))`).
    pub fn tabs(tabs: multi_account::session::Tabs) -> Self {
        Self { tabs: Some(tabs), ..Self::default() }
    }

    /// The app's time, for `with_clock`.
    pub fn now(&self) -> Option<u64> {
        self.clock.as_ref().map(|clock| clock.load(Ordering::SeqCst))
    }
}

/// The session cookie's name (actix-session's and tower-sessions' default).
pub const SESSION_COOKIE: &str = "id";

/// A cookie-keeping client over the adapter's test app. The app has the
/// adapter's routes at the default paths, its test routes (sign-in without a
/// password, the CSRF token, the raw session), and these pages: `/state`
/// (`current=..;primary=..;group=..`, from the adapter's `SignedInAccounts`
/// extractor), `/me` (an optional `CurrentUser`'s id, or empty), `/current`
/// (a required `CurrentUser`'s id: 401 without one), `/primary` (an optional
/// `PrimaryUser`'s id, or empty), `/both` (`CurrentUser` and `SignedInAccounts` in
/// one handler: `<current id>:<number of accounts>`), `/plain` (no
/// extractor), `/switcher.json` (`SignedInAccounts::switcher()` as JSON), `/flash`
/// (the adapter's `take_flash`, or empty) and `POST /sign-out` (the adapter's
/// `session::sign_out`).
#[allow(async_fn_in_trait)]
pub trait Client {
    async fn get(&mut self, path: &str) -> Reply;
    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply;
    /// POST a body that is not a form.
    async fn post_raw(&mut self, path: &str, content_type: &str, body: &str) -> Reply;
    /// Any request: `method path` with extra headers (values as bytes, which
    /// need not be text) and a raw body, besides the held cookies and headers.
    async fn request(&mut self, method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Reply;
    /// This app's origin as the client's requests name it (their `Host`).
    fn origin(&self) -> &'static str;
    async fn sign_in(&mut self, id: i64) -> Reply;
    async fn csrf(&mut self) -> String;
    async fn session_entries(&mut self) -> serde_json::Value;
    fn set_headers(&mut self, headers: Vec<(String, String)>);
    fn cookies(&self) -> BTreeMap<String, String>;
    fn set_cookies(&mut self, cookies: BTreeMap<String, String>);
    /// Switches the app's feature gate.
    fn set_enabled(&self, enabled: bool);

    async fn post_with_csrf(&mut self, path: &str) -> Reply {
        self.post_fields_with_csrf(path, &[]).await
    }

    /// POST `fields` plus this session's CSRF token.
    async fn post_fields_with_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.csrf().await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(path, &all).await
    }

    /// Writes raw session entries through the test route (each value as the
    /// given JSON).
    async fn put_session(&mut self, entries: serde_json::Value) -> Reply {
        self.post_raw("/__test/session", "application/json", &entries.to_string()).await
    }

    /// A GET switch URL with this session's CSRF token.
    async fn switch_url(&mut self, id: impl std::fmt::Display) -> String {
        format!("/link/switch_to/{id}?csrf_token={}", self.csrf().await)
    }

    /// The switcher as JSON (`/switcher.json`).
    async fn switcher(&mut self) -> serde_json::Value {
        let reply = self.get("/switcher.json").await;
        assert_eq!(reply.status, 200, "/switcher.json: {reply:?}");
        serde_json::from_str(&reply.body).expect("switcher JSON")
    }

    async fn state(&mut self) -> String {
        let reply = self.get("/state").await;
        assert_eq!(reply.status, 200, "/state: {reply:?}");
        reply.body
    }

    async fn start_link(&mut self, primary: i64) -> Reply {
        self.post_with_csrf(&format!("/link/p/{primary}?start")).await
    }

    async fn switch(&mut self, id: i64) -> Reply {
        self.post_with_csrf(&format!("/link/switch_to/{id}")).await
    }

    /// Starts a link as the signed-in `primary`, signs in as `linked` and
    /// returns the auto-submit page's CSRF token, without posting it.
    async fn up_to_auto_submit(&mut self, primary: i64, linked: i64) -> String {
        let started = self.start_link(primary).await;
        assert_eq!(started.status, 303, "starting the link: {started:?}");
        self.sign_in(linked).await;
        let page = self.get(&format!("/link/p/{primary}")).await;
        assert_eq!(page.status, 200, "auto-submit page: {page:?}");
        auto_submit_token(&page.body).expect("an auto-submit form")
    }

    /// The whole link flow: start, sign in as `linked`, post the auto-submit form.
    async fn complete_link(&mut self, primary: i64, linked: i64) -> Reply {
        let started = self.start_link(primary).await;
        assert_eq!(started.status, 303, "starting the link: {started:?}");
        self.sign_in(linked).await;
        let page = self.get(&format!("/link/p/{primary}")).await;
        assert_eq!(page.status, 200, "auto-submit page: {page:?}");
        let token = auto_submit_token(&page.body).expect("an auto-submit form");
        self.post_form(&format!("/link/p/{primary}"), &[("csrf_token", &token)]).await
    }
}

/// The CSRF token in an auto-submit page's hidden field.
pub fn auto_submit_token(page: &str) -> Option<String> {
    let marker = r#"name="csrf_token" value=""#;
    if !page.contains(r#"id="multi-account-link""#) {
        return None;
    }
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}

/// The CSRF token in any of the link pages' forms (the start form or the
/// auto-submit one).
pub fn form_token(page: &str) -> Option<String> {
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}

/// Adds `linked` to `primary`'s group again after it dropped out of the
/// session (a password change, a deactivated link or account): "Add another
/// account" and a new sign-in. Its link row may still exist and be active, so
/// the page after the sign-in is a member's (the start form) and completing is
/// refused (409: it is in the group already, nothing moves); otherwise the
/// auto-submit page completes the link. Returns the last reply.
pub async fn link_again(client: &mut impl Client, primary: i64, linked: i64) -> Reply {
    let started = client.start_link(primary).await;
    assert_eq!(started.status, 303, "starting the link: {started:?}");
    client.sign_in(linked).await;
    let page = client.get(&format!("/link/p/{primary}")).await;
    assert_eq!(page.status, 200, "{page:?}");
    let token = form_token(&page.body).expect("a form with the CSRF token");
    let completed = client.post_form(&format!("/link/p/{primary}"), &[("csrf_token", &token)]).await;
    if auto_submit_token(&page.body).is_some() {
        assert_eq!(completed.status, 303, "completing the link: {completed:?}");
    } else {
        assert_eq!(completed.status, 409, "a member's completion is refused: {completed:?}");
    }
    completed
}

/// Whether `MULTI_ACCOUNT_TEST_REDIS_URL` names a Redis for the suite.
pub fn redis_configured() -> bool {
    std::env::var("MULTI_ACCOUNT_TEST_REDIS_URL").is_ok_and(|url| !url.is_empty())
}

/// Builds the adapter's test app over `db`.
#[allow(async_fn_in_trait)]
pub trait Harness {
    type Client: Client;
    /// The app for user type `U` (its routes and pages generic over it).
    async fn client<U: MultiAccountUser + std::fmt::Debug>(
        &self,
        db: &DatabaseConnection,
        options: &Options,
    ) -> Self::Client;
    /// Whether the store this harness uses is configured here (a Redis store
    /// needs `MULTI_ACCOUNT_TEST_REDIS_URL`); CI fails on any skipped case.
    fn available(&self) -> bool {
        true
    }
    /// Whether the session store is server-side (a signed-out or renewed
    /// session's old id is dead), unlike a cookie store.
    fn server_side(&self) -> bool;
}

/// A refusal: 403, redirecting nowhere.
#[track_caller]
pub fn assert_forbidden(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 403, "{what}: {reply:?}");
    assert!(reply.location.is_none(), "{what}: a refusal redirects nowhere: {reply:?}");
}
