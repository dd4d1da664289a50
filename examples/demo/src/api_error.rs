//! A refused JSON request of the demo's own (the JSON sign-in): a stable
//! `code`, an HTTP status and a message for people, answered as
//! `{"code":…,"message":…}` like the library's JSON API's refusals.

use serde::Serialize;

use crate::error::PageError;
use crate::sign_in::{ADD_EXPIRED, INCORRECT, Reason, Refused, THROTTLED, already_here};

/// The message of a request that is not a JSON object with the fields asked for.
pub(crate) const MALFORMED: &str = "The request must be a JSON object with an email and a password.";
/// The message of a missing or wrong `X-CSRF-Token`.
pub(crate) const CSRF: &str = "This page's security token has expired. Try again.";
/// The message of a request another site sent.
pub(crate) const CROSS_SITE: &str = "Requests from other sites are refused.";
/// The message when the database, the session store or the password check failed.
pub(crate) const UNAVAILABLE: &str = "The account service is unavailable. Try again in a moment.";

/// Why a JSON request was refused. Its `Display` is the message for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiRefusal {
    /// Not JSON, a field missing or empty, or too large (400).
    #[error("{0}")]
    MalformedRequest(&'static str),
    /// A wrong password, an unknown email, or the right password of an
    /// inactive account (401).
    #[error("{}", INCORRECT)]
    InvalidCredentials,
    /// The `X-CSRF-Token` header is missing or wrong (403).
    #[error("{}", CSRF)]
    Csrf,
    /// Another site sent the request (403), whatever its token.
    #[error("{}", CROSS_SITE)]
    Forbidden,
    /// The account being added (whose email this is) is signed in here already (409).
    #[error("{}", already_here(.0))]
    AlreadyInGroup(String),
    /// "Add another account" ended before this sign-in (409).
    #[error("{}", ADD_EXPIRED)]
    AddExpired,
    /// The account or this client used up its failed attempts (429).
    #[error("{}", THROTTLED)]
    TooManyAttempts {
        /// `Retry-After`, in seconds.
        retry_after: u64,
    },
    /// Something the request needs failed, or is busy (503).
    #[error("{message}")]
    Unavailable {
        /// What the person is told.
        message: &'static str,
        /// `Retry-After`, in seconds, when it is known.
        retry_after: Option<u64>,
    },
}

/// The body of a refusal.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
}

impl ApiRefusal {
    /// The service failed (logged here): 503.
    pub(crate) fn unavailable(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %error, "JSON request failed");
        Self::Unavailable { message: UNAVAILABLE, retry_after: None }
    }

    /// The stable machine-readable code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::MalformedRequest(_) => "malformed_request",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Csrf => "csrf",
            Self::Forbidden => "forbidden",
            Self::AlreadyInGroup(_) => "already_in_group",
            Self::AddExpired => "add_expired",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::Unavailable { .. } => "unavailable",
        }
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::MalformedRequest(_) => 400,
            Self::InvalidCredentials => 401,
            Self::Csrf | Self::Forbidden => 403,
            Self::AlreadyInGroup(_) | Self::AddExpired => 409,
            Self::TooManyAttempts { .. } => 429,
            Self::Unavailable { .. } => 503,
        }
    }

    /// `Retry-After`, in seconds.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after } => Some(*retry_after),
            Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// `{"code":…,"message":…}`.
    pub(crate) fn body(&self) -> Vec<u8> {
        let message = self.to_string();
        json_bytes(&ErrorBody { code: self.code(), message: &message })
    }
}

/// `value` as JSON. Only the demo's own plain structs are serialized here,
/// which cannot fail; should one, the answer still is JSON.
pub(crate) fn json_bytes(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|error| {
        tracing::error!(%error, "could not serialize a JSON answer");
        br#"{"code":"unavailable","message":"The account service is unavailable."}"#.to_vec()
    })
}

impl From<Refused> for ApiRefusal {
    fn from(refused: Refused) -> Self {
        match refused.reason {
            Reason::Empty => Self::MalformedRequest(refused.message()),
            Reason::Incorrect => Self::InvalidCredentials,
            Reason::Throttled => Self::TooManyAttempts { retry_after: refused.retry_after.unwrap_or(1) },
            Reason::Busy => Self::Unavailable { message: refused.message(), retry_after: refused.retry_after },
        }
    }
}

impl From<PageError> for ApiRefusal {
    fn from(error: PageError) -> Self {
        Self::unavailable(&error)
    }
}

impl From<multi_account_actix::MultiAccountError> for ApiRefusal {
    fn from(error: multi_account_actix::MultiAccountError) -> Self {
        Self::unavailable(&error)
    }
}

impl From<multi_account_axum::MultiAccountError> for ApiRefusal {
    fn from(error: multi_account_axum::MultiAccountError) -> Self {
        Self::unavailable(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_code_status_and_message() {
        let cases = [
            (ApiRefusal::MalformedRequest(MALFORMED), "malformed_request", 400, MALFORMED.to_owned()),
            (ApiRefusal::InvalidCredentials, "invalid_credentials", 401, INCORRECT.to_owned()),
            (ApiRefusal::Csrf, "csrf", 403, CSRF.to_owned()),
            (ApiRefusal::Forbidden, "forbidden", 403, CROSS_SITE.to_owned()),
            (
                ApiRefusal::AlreadyInGroup("bob@example.com".into()),
                "already_in_group",
                409,
                already_here("bob@example.com"),
            ),
            (ApiRefusal::AddExpired, "add_expired", 409, ADD_EXPIRED.to_owned()),
            (ApiRefusal::TooManyAttempts { retry_after: 9 }, "too_many_attempts", 429, THROTTLED.to_owned()),
            (
                ApiRefusal::Unavailable { message: UNAVAILABLE, retry_after: None },
                "unavailable",
                503,
                UNAVAILABLE.to_owned(),
            ),
        ];
        for (refusal, code, status, message) in cases {
            assert_eq!((refusal.code(), refusal.status()), (code, status), "{refusal:?}");
            let body: serde_json::Value = serde_json::from_slice(&refusal.body()).unwrap();
            assert_eq!(body, serde_json::json!({ "code": code, "message": message }));
        }
        assert_eq!(ApiRefusal::TooManyAttempts { retry_after: 9 }.retry_after(), Some(9));
        assert_eq!(ApiRefusal::Csrf.retry_after(), None);
    }

    #[test]
    fn sign_in_refusals_map_to_their_codes() {
        let of = |reason, retry_after| ApiRefusal::from(Refused { reason, retry_after });
        assert_eq!(of(Reason::Empty, None).code(), "malformed_request");
        assert_eq!(of(Reason::Incorrect, None), ApiRefusal::InvalidCredentials);
        assert_eq!(of(Reason::Throttled, Some(840)), ApiRefusal::TooManyAttempts { retry_after: 840 });
        let busy = of(Reason::Busy, Some(1));
        assert_eq!((busy.code(), busy.retry_after()), ("unavailable", Some(1)));
    }
}
