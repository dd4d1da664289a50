//! The overridable parts of the link and switch flows.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use multi_account::session::html::{escape, percent_encode};

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
        form_page("Add another account", "", form, r#"<button type="submit">Add another account</button>"#, "")
    }

    /// The page shown to the account that just signed in to complete a link: a form
    /// that posts itself, with a button for browsers without JavaScript.
    fn render_auto_submit(&self, _req: &HttpRequest, form: &AutoSubmitForm) -> HttpResponse {
        form_page(
            "Linking account…",
            r#" id="multi-account-link""#,
            form,
            r#"<noscript><p>Finish adding this account:</p><button type="submit">Link account</button></noscript>"#,
            r#"<script>document.getElementById("multi-account-link").submit();</script>"#,
        )
    }
}

/// A page holding one POST form with the CSRF field: `form_attributes` go in the
/// form tag, `controls` inside it, `after` below it. Never cached.
fn form_page(title: &str, form_attributes: &str, form: &AutoSubmitForm, controls: &str, after: &str) -> HttpResponse {
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>{title}</title></head>
<body>
<form{form_attributes} method="post" action="{action}">
<input type="hidden" name="{field}" value="{token}">
{controls}
</form>
{after}
</body>
</html>"#,
        action = escape(&form.action),
        field = form.csrf_field,
        token = escape(&form.csrf_token),
    );
    HttpResponse::Ok().content_type("text/html; charset=utf-8").insert_header(("Cache-Control", "no-store")).body(body)
}

/// The defaults of [`MultiAccountHandlers`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultHandlers;

impl MultiAccountHandlers for DefaultHandlers {}
