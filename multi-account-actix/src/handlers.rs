//! The overridable parts of the link and switch flows.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use multi_account::session::html;

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
        html::default_sign_in_path(return_to)
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
        form_page(html::link_start_page(&form.to_core()))
    }

    /// The page shown to the account that just signed in to complete a link: a form
    /// that posts itself, with a button for browsers without JavaScript.
    fn render_auto_submit(&self, _req: &HttpRequest, form: &AutoSubmitForm) -> HttpResponse {
        form_page(html::auto_submit_page(&form.to_core()))
    }
}

impl AutoSubmitForm {
    fn to_core(&self) -> multi_account::session::Form {
        multi_account::session::Form { action: self.action.clone(), csrf_token: self.csrf_token.clone() }
    }
}

/// A form page, never cached.
fn form_page(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").insert_header(("Cache-Control", "no-store")).body(body)
}

/// The defaults of [`MultiAccountHandlers`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultHandlers;

impl MultiAccountHandlers for DefaultHandlers {}
