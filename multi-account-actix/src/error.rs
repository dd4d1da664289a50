//! The errors multi-account routes and extractors answer with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// Why a request was refused. Each maps to a 4xx (or 503 when the database is
/// down); none is a 500 caused by input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MultiAccountError {
    /// Nobody is signed in (401).
    #[error("not signed in")]
    Unauthorized,
    /// The CSRF token is missing or wrong (403).
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// The request is not allowed in this session: a forged link, a switch
    /// outside the group, .. (403). The reason is for logs.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// An account id in the path is malformed (400).
    #[error("malformed account id")]
    MalformedId,
    /// Multi-account is switched off (404).
    #[error("multi-account is disabled")]
    Disabled,
    /// The database failed (503); nothing was changed.
    #[error("the account service is unavailable")]
    Unavailable,
    /// The session could not be written (500; a misconfigured session store).
    #[error("the session could not be written")]
    Session,
    /// The app did not register a `MultiAccountConfig` (500; a setup bug).
    #[error("multi-account is not configured: call `MultiAccountConfig::routes` in `App::configure`")]
    NotConfigured,
}

impl ResponseError for MultiAccountError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::MalformedId => StatusCode::BAD_REQUEST,
            Self::Disabled => StatusCode::NOT_FOUND,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Session | Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            // The reason stays in the logs; the client learns only that it was refused.
            Self::Forbidden(_) => "forbidden".to_owned(),
            other => other.to_string(),
        };
        HttpResponse::build(self.status_code()).content_type("text/plain; charset=utf-8").body(message)
    }
}

impl From<actix_session::SessionInsertError> for MultiAccountError {
    fn from(error: actix_session::SessionInsertError) -> Self {
        tracing::error!(%error, "could not write the session");
        Self::Session
    }
}

impl From<multi_account::session::Refusal> for MultiAccountError {
    fn from(refusal: multi_account::session::Refusal) -> Self {
        use multi_account::session::Refusal;
        match refusal {
            Refusal::Unauthorized => Self::Unauthorized,
            Refusal::Csrf => Self::Csrf,
            Refusal::Forbidden(reason) => Self::Forbidden(reason),
            Refusal::MalformedId => Self::MalformedId,
            Refusal::Disabled => Self::Disabled,
            Refusal::Unavailable => Self::Unavailable,
            _ => Self::Forbidden("refused"),
        }
    }
}
