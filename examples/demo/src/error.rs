//! Errors of the demo's own pages, and the HTML error page for every 4xx/5xx
//! (each framework's module answers with it).

use crate::settings::Framework;
use crate::templates;

/// Why a demo page could not be served. Input never causes a 5xx: these are
/// the database or the server failing.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The CSRF token of a form is missing or wrong (403).
    #[error("the form has expired or was not sent by this site")]
    Csrf,
    /// The database failed (503).
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A multi-account operation failed in the database (503).
    #[error("account service error: {0}")]
    Link(#[from] multi_account::LinkError),
    /// A multi-account operation was refused or failed, on actix-web (its own
    /// status).
    #[error("{0}")]
    Actix(#[from] multi_account_actix::MultiAccountError),
    /// A multi-account operation was refused or failed, on axum (its own status;
    /// a session store that failed is 503).
    #[error("{0}")]
    Axum(#[from] multi_account_axum::MultiAccountError),
    /// The password check could not run (503).
    #[error("the password check could not run")]
    Blocking,
    /// actix-session could not write the session (500).
    #[error("could not write the session: {0}")]
    ActixSession(#[from] actix_session::SessionInsertError),
    /// tower-sessions' store failed (503).
    #[error("the session store failed: {0}")]
    Session(String),
    /// A template failed to render (500, a bug).
    #[error("template error: {0:#}")]
    Template(#[from] minijinja::Error),
}

impl PageError {
    /// The status the page answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Csrf => 403,
            Self::Actix(error) => actix_web::ResponseError::status_code(error).as_u16(),
            Self::Axum(error) => error.status().as_u16(),
            Self::Database(_) | Self::Link(_) | Self::Blocking | Self::Session(_) => 503,
            Self::ActixSession(_) | Self::Template(_) => 500,
        }
    }
}

/// Title and explanation shown for a status.
fn describe(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("Bad request", "That request could not be understood. Go back and try again."),
        401 => ("Please sign in", "You need to be signed in to do that."),
        403 => (
            "Not allowed",
            "This request was refused. If you were submitting a form, it may have expired: \
             go back, reload the page and try again.",
        ),
        404 => ("Page not found", "There is nothing at this address."),
        405 => ("Not allowed", "This page does not accept that kind of request."),
        413 => ("Too large", "That request was too large."),
        503 => ("Temporarily unavailable", "The account service is unavailable. Try again in a moment."),
        402..=499 => ("Request refused", "That request could not be handled."),
        _ => ("Something went wrong", "The server could not handle that request. Try again in a moment."),
    }
}

/// The HTML error page for `status`, served by `framework`.
pub(crate) fn render_error_page(framework: Framework, status: u16) -> String {
    let (title, message) = describe(status);
    let framework = framework.to_string();
    templates::render(
        "error.html",
        minijinja::context! { framework, status, title, message, signed_out => status == 401 },
    )
    .unwrap_or_else(|error| {
        tracing::error!(error = %format!("{error:#}"), "the error page failed to render");
        format!("{status} {title}")
    })
}
