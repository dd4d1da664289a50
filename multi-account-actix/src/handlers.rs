//! The overridable parts of the link and switch flows.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::html::{escape, percent_encode};

/// A form of the link flow: the auto-submit page's (completes a link) or the
/// link start page's (starts adding an account).
#[derive(Clone, Debug, Serialize)]
pub struct AutoSubmitForm {
    /// The URL to POST to.
    pub action: String,
    /// The CSRF field name (`csrf_token`).
    pub csrf_field: &'static str,
    /// The CSRF token.
    pub csrf_token: String,
}

/// Redirect paths and the auto-submit page, overridable per app like the seed's
/// controller callbacks. Every method has a sensible default.
///
/// ```
/// use actix_web::HttpRequest;
/// use multi_account_actix::MultiAccountHandlers;
///
/// struct MyHandlers;
///
/// impl MultiAccountHandlers for MyHandlers {
///     fn after_switch_path(&self, _req: &HttpRequest) -> String {
///         "/dashboard".to_owned()
///     }
/// }
/// ```
pub trait MultiAccountHandlers: Send + Sync + 'static {
    /// Where a completed link lands when the page it started from is unknown.
    fn after_link_path(&self, _req: &HttpRequest) -> String {
        "/".to_owned()
    }

    /// Where a switch (or a removal) lands when the referring page is unknown or
    /// not same-origin.
    fn after_switch_path(&self, _req: &HttpRequest) -> String {
        "/".to_owned()
    }

    /// The sign-in page that comes back to `return_to` (a local path) after a
    /// successful sign-in. Your sign-in handler must redirect there only if
    /// [`local_path`](crate::local_path) accepts it.
    fn sign_in_path(&self, _req: &HttpRequest, return_to: &str) -> String {
        format!("/sign-in?return_to={}", percent_encode(return_to, true))
    }

    /// Where sign-out-all lands.
    fn sign_out_path(&self, _req: &HttpRequest) -> String {
        "/".to_owned()
    }

    /// The page a GET of the link URL shows the primary: a button whose form
    /// (`form`, posting to the link URL with `?start`) starts adding an account.
    /// Starting is a state change, so it is a POST with the CSRF token; this page
    /// never starts anything by itself.
    fn render_link_start(&self, _req: &HttpRequest, form: &AutoSubmitForm) -> HttpResponse {
        let body = format!(
            r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Add another account</title></head>
<body>
<form method="post" action="{action}">
<input type="hidden" name="{field}" value="{token}">
<button type="submit">Add another account</button>
</form>
</body>
</html>"#,
            action = escape(&form.action),
            field = form.csrf_field,
            token = escape(&form.csrf_token),
        );
        html_page(body)
    }

    /// The page shown to the account that just signed in to complete a link: a form
    /// that posts itself, with a button for browsers without JavaScript.
    fn render_auto_submit(&self, _req: &HttpRequest, form: &AutoSubmitForm) -> HttpResponse {
        let body = format!(
            r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Linking account…</title></head>
<body>
<form id="multi-account-link" method="post" action="{action}">
<input type="hidden" name="{field}" value="{token}">
<noscript><p>Finish adding this account:</p><button type="submit">Link account</button></noscript>
</form>
<script>document.getElementById("multi-account-link").submit();</script>
</body>
</html>"#,
            action = escape(&form.action),
            field = form.csrf_field,
            token = escape(&form.csrf_token),
        );
        html_page(body)
    }
}

/// A page that carries a CSRF token: never cached.
fn html_page(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").insert_header(("Cache-Control", "no-store")).body(body)
}

/// The defaults of [`MultiAccountHandlers`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultHandlers;

impl MultiAccountHandlers for DefaultHandlers {}
