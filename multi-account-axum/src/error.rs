//! The errors multi-account routes and extractors answer with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a request was refused. Each maps to a 4xx (or 503 when the database or
/// the session store is down); none is a 500 caused by input.
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
    /// outside the group, a cross-site request (403). The reason is for logs.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// An account id in the path is malformed (400).
    #[error("malformed account id")]
    MalformedId,
    /// Multi-account is switched off (404).
    #[error("multi-account is disabled")]
    Disabled,
    /// The database or the session store failed (503); nothing was changed.
    #[error("the account service is unavailable")]
    Unavailable,
    /// The app did not add [`MultiAccountLayer`](crate::MultiAccountLayer) inside
    /// tower-sessions' `SessionManagerLayer` (500; a setup bug).
    #[error(
        "multi-account is not configured: add `MultiAccountConfig::layer()` inside tower-sessions' `SessionManagerLayer`"
    )]
    NotConfigured,
}

impl MultiAccountError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::MalformedId => StatusCode::BAD_REQUEST,
            Self::Disabled => StatusCode::NOT_FOUND,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for MultiAccountError {
    fn into_response(self) -> Response {
        let message = match &self {
            // The reason stays in the logs; the client learns only that it was refused.
            Self::Forbidden(_) => "forbidden".to_owned(),
            other => other.to_string(),
        };
        (self.status(), [("content-type", "text/plain; charset=utf-8")], message).into_response()
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

impl From<tower_sessions::session::Error> for MultiAccountError {
    fn from(error: tower_sessions::session::Error) -> Self {
        tracing::error!(%error, "multi-account: the session store failed");
        Self::Unavailable
    }
}
