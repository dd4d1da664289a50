//! The errors multi-account routes and extractors answer with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use multi_account::session::Refusal;

/// Why a request was refused: the core's [`Refusal`] (a 4xx, or 503 when the
/// database is down; its [`code`](Refusal::code) is stable), or one of the two
/// setup failures only an adapter has. None is a 500 caused by input.
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
    /// The session could not be written (500; a misconfigured session store).
    #[error("the session could not be written")]
    Session,
    /// The app did not register a `MultiAccountConfig` (500; a setup bug).
    #[error("multi-account is not configured: call `MultiAccountConfig::routes` in `App::configure`")]
    NotConfigured,
}

impl MultiAccountError {
    /// The refusal, when the policy refused.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::Refused(refusal) => Some(*refusal),
            Self::LeaveTab(_) => Some(Refusal::UnknownSlot),
            Self::Session | Self::NotConfigured => None,
        }
    }
}

impl ResponseError for MultiAccountError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Refused(refusal) => {
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::LeaveTab(_) => StatusCode::SEE_OTHER,
            Self::Session | Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::LeaveTab(path) = self {
            return crate::redirect(path);
        }
        let message = match self {
            // The reason of a `Forbidden` stays in the logs.
            Self::Refused(refusal) => refusal.public_message(),
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
