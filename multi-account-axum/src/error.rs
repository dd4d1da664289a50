//! The errors multi-account routes and extractors answer with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use multi_account::session::Refusal;

/// Why a request was refused: the core's [`Refusal`] (a 4xx, or 503 when the
/// database or the session store is down; its [`code`](Refusal::code) is
/// stable), or the one setup failure only an adapter has. None is a 500 caused
/// by input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MultiAccountError {
    /// Refused by the session policy.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The app did not add [`MultiAccountLayer`](crate::MultiAccountLayer) inside
    /// tower-sessions' `SessionManagerLayer` (500; a setup bug).
    #[error(
        "multi-account is not configured: add `MultiAccountConfig::layer()` inside tower-sessions' `SessionManagerLayer`"
    )]
    NotConfigured,
}

impl MultiAccountError {
    /// The refusal, when the policy refused.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::Refused(refusal) => Some(*refusal),
            Self::NotConfigured => None,
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Refused(refusal) => {
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for MultiAccountError {
    fn into_response(self) -> Response {
        let message = match &self {
            // The reason of a `Forbidden` stays in the logs.
            Self::Refused(refusal) => refusal.public_message(),
            other => other.to_string(),
        };
        (self.status(), [("content-type", "text/plain; charset=utf-8")], message).into_response()
    }
}

impl From<tower_sessions::session::Error> for MultiAccountError {
    fn from(error: tower_sessions::session::Error) -> Self {
        tracing::error!(%error, "multi-account: the session store failed");
        Self::Refused(Refusal::Unavailable)
    }
}
