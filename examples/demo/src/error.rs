//! Errors of the demo's own pages, and the HTML error pages for every 4xx/5xx.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};

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
    /// A multi-account operation was refused or failed (its own status).
    #[error("{0}")]
    MultiAccount(#[from] multi_account_actix::MultiAccountError),
    /// The password check could not run (503).
    #[error("the password check could not run")]
    Blocking,
    /// The session could not be written (500).
    #[error("could not write the session: {0}")]
    Session(#[from] actix_session::SessionInsertError),
    /// A template failed to render (500, a bug).
    #[error("template error: {0:#}")]
    Template(#[from] minijinja::Error),
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::MultiAccount(error) => error.status_code(),
            Self::Database(_) | Self::Link(_) | Self::Blocking => StatusCode::SERVICE_UNAVAILABLE,
            Self::Session(_) | Self::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "page failed");
        }
        // Plain text here; `error_page` turns it into the HTML error page.
        HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(self.to_string())
    }
}

/// Title and explanation shown for a status.
fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
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
        _ if status.is_client_error() => ("Request refused", "That request could not be handled."),
        _ => ("Something went wrong", "The server could not handle that request. Try again in a moment."),
    }
}

/// The HTML error page for `status`.
pub(crate) fn render_error_page(status: StatusCode) -> String {
    let (title, message) = describe(status);
    templates::render(
        "error.html",
        minijinja::context! { status => status.as_u16(), title, message, signed_out => status == StatusCode::UNAUTHORIZED },
    )
    .unwrap_or_else(|error| {
        tracing::error!(error = %format!("{error:#}"), "the error page failed to render");
        format!("{} {title}", status.as_u16())
    })
}

/// `ErrorHandlers` hook: gives every 4xx/5xx response that is not HTML already
/// (the plain-text errors of the multi-account routes, actix's empty 404, ..)
/// the demo's HTML error page, keeping its status and headers.
pub(crate) fn error_page<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
    }
    let status = response.status();
    let (request, old) = response.into_parts();
    let mut page = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.append_header((name.clone(), value.clone()));
        }
    }
    let page: HttpResponse<BoxBody> = page
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(render_error_page(status));
    let response: ServiceResponse<EitherBody<B>> = ServiceResponse::new(request, page).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}
