//! The overridable parts of the link and switch flows.

use axum::http::header;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use multi_account::session::{Form, html};

/// Redirect paths and the link pages, overridable per app. Every method has a
/// sensible default.
///
/// ```
/// use axum::http::request::Parts;
/// use multi_account_axum::MultiAccountHandlers;
///
/// struct MyHandlers;
///
/// impl MultiAccountHandlers for MyHandlers {
///     fn after_switch_path(&self, _parts: &Parts) -> String {
///         "/dashboard".to_owned()
///     }
/// }
/// ```
pub trait MultiAccountHandlers: Send + Sync + 'static {
    /// Where a completed link lands when the page it started from is unknown.
    fn after_link_path(&self, _parts: &Parts) -> String {
        "/".to_owned()
    }

    /// Where a switch (or a removal) lands when the referring page is unknown or
    /// not same-origin.
    fn after_switch_path(&self, _parts: &Parts) -> String {
        "/".to_owned()
    }

    /// The sign-in page that comes back to `return_to` (a local path) after a
    /// successful sign-in. Your sign-in handler must redirect there only if
    /// [`local_path`](crate::local_path) accepts it.
    fn sign_in_path(&self, _parts: &Parts, return_to: &str) -> String {
        html::default_sign_in_path(return_to)
    }

    /// Where sign-out-all lands.
    fn sign_out_path(&self, _parts: &Parts) -> String {
        "/".to_owned()
    }

    /// The page a GET of the link URL shows the primary: a button whose form
    /// (`form`, posting to the link URL with `?start`) starts adding an account.
    fn render_link_start(&self, _parts: &Parts, form: &Form) -> Response {
        form_page(html::link_start_page(form))
    }

    /// The page shown to the account that just signed in to complete a link: a
    /// form that posts itself.
    fn render_auto_submit(&self, _parts: &Parts, form: &Form) -> Response {
        form_page(html::auto_submit_page(form))
    }
}

/// A form page, never cached.
fn form_page(body: String) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

/// The defaults of [`MultiAccountHandlers`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultHandlers;

impl MultiAccountHandlers for DefaultHandlers {}
