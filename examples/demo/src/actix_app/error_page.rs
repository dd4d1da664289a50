//! The demo's errors and error pages on actix-web.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};

use crate::error::{PageError, render_error_page};
use crate::settings::Framework;

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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

/// `ErrorHandlers` hook: gives every 4xx/5xx response that is neither HTML
/// already nor JSON (the plain-text errors of the multi-account routes,
/// actix's empty 404, ..) the demo's HTML error page, keeping its status and
/// headers.
pub(crate) fn error_page<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    // HTML is a page already; JSON (the JSON API's and the JSON sign-in's
    // refusals) stays JSON.
    let keep =
        content_type.is_some_and(|value| value.starts_with("text/html") || value.starts_with("application/json"));
    if keep {
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
        .body(render_error_page(Framework::Actix, status.as_u16()));
    let response: ServiceResponse<EitherBody<B>> = ServiceResponse::new(request, page).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}
