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
    /// The page's tab (`/u/{slot}/…`) names no account of this session's group
    /// now: 303 to this path without the tab, where the next page says why.
    /// Its [`refusal`](Self::refusal) is [`Refusal::UnknownSlot`].
    #[error("that account is not signed in here any more; continue at {0}")]
    LeaveTab(String),
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
            Self::LeaveTab(_) => Some(Refusal::UnknownSlot),
            Self::NotConfigured => None,
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Refused(refusal) => {
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::LeaveTab(_) => StatusCode::SEE_OTHER,
            Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for MultiAccountError {
    fn into_response(self) -> Response {
        if let Self::LeaveTab(path) = &self {
            return (StatusCode::SEE_OTHER, [("location", path.as_str())]).into_response();
        }
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
