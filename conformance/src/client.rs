//! What an adapter provides: a [`Harness`] that builds the test app, and the
//! [`Client`] that talks to it.

use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;

/// What a case needs from a response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    /// Whether the response set or removed a cookie.
    pub set_cookie: bool,
}

/// The app's options a case may set.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `with_get_switch(true)`.
    pub get_switch: bool,
}

/// A cookie-keeping client over the adapter's test app. The app has the
/// adapter's routes at the default paths, its test routes (sign-in without a
/// password, the CSRF token, the raw session), and four pages: `/state`
/// (`current=..;primary=..;group=..`, from the adapter's `MultiAccount`
/// extractor), `/me` (the `CurrentUser` id, or empty), `/plain` (no
/// extractor), `/flash` (the adapter's `take_flash`, or empty) and
/// `POST /sign-out` (the adapter's `session::sign_out`).
#[allow(async_fn_in_trait)]
pub trait Client {
    async fn get(&mut self, path: &str) -> Reply;
    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply;
    /// POST a body that is not a form.
    async fn post_raw(&mut self, path: &str, content_type: &str, body: &str) -> Reply;
    async fn sign_in(&mut self, id: i64) -> Reply;
    async fn csrf(&mut self) -> String;
    async fn session_entries(&mut self) -> serde_json::Value;
    fn set_headers(&mut self, headers: Vec<(String, String)>);
    fn cookies(&self) -> BTreeMap<String, String>;
    fn set_cookies(&mut self, cookies: BTreeMap<String, String>);
    /// Switches the app's feature gate.
    fn set_enabled(&self, enabled: bool);

    async fn post_with_csrf(&mut self, path: &str) -> Reply {
        let token = self.csrf().await;
        self.post_form(path, &[("csrf_token", &token)]).await
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

/// Whether `MULTI_ACCOUNT_TEST_REDIS_URL` names a Redis for the suite.
pub fn redis_configured() -> bool {
    std::env::var("MULTI_ACCOUNT_TEST_REDIS_URL").is_ok_and(|url| !url.is_empty())
}

/// Builds the adapter's test app over `db`.
#[allow(async_fn_in_trait)]
pub trait Harness {
    type Client: Client;
    async fn client(&self, db: &DatabaseConnection, options: &Options) -> Self::Client;
    /// Whether the store this harness uses is configured here (a Redis store
    /// needs `MULTI_ACCOUNT_TEST_REDIS_URL`); CI fails on any skipped case.
    fn available(&self) -> bool {
        true
    }
    /// Whether the session store is server-side (a signed-out or renewed
    /// session's old id is dead), unlike a cookie store.
    fn server_side(&self) -> bool;
}
