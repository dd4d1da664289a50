//! The session subject: `"<short_name>?id=<id>"`.
//!
//! This is the format AshAuthentication writes to the session's `"user"` key, kept
//! so that sessions read the same across implementations.

use crate::account_id::AccountId;

/// Why a subject string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// The string does not start with `"<short_name>?id="`.
    #[error("subject does not start with `{expected}?id=`")]
    WrongPrefix {
        /// The short name that was expected.
        expected: &'static str,
    },
    /// The id part is empty, too long, or not the canonical spelling of an id.
    #[error("subject id is malformed")]
    MalformedId,
}

/// Formats the subject for `id`: `format_subject("user", &42) == "user?id=42"`.
///
/// ```
/// assert_eq!(multi_account::format_subject("user", &42_i64), "user?id=42");
/// ```
pub fn format_subject<I: AccountId>(short_name: &str, id: &I) -> String {
    format!("{short_name}?id={id}")
}

/// Parses a subject written by [`format_subject`] with the same `short_name`.
///
/// Anything else (another short name, extra characters, a non-canonical id, an
/// id of the wrong type) is an error; the function never panics.
///
/// ```
/// use multi_account::{parse_subject, SubjectError};
/// assert_eq!(parse_subject::<i64>("user", "user?id=42"), Ok(42));
/// assert!(parse_subject::<i64>("user", "admin?id=42").is_err());
/// assert_eq!(parse_subject::<i64>("user", "user?id=4x"), Err(SubjectError::MalformedId));
/// ```
pub fn parse_subject<I: AccountId>(short_name: &'static str, subject: &str) -> Result<I, SubjectError> {
    let id = subject
        .strip_prefix(short_name)
        .and_then(|rest| rest.strip_prefix("?id="))
        .ok_or(SubjectError::WrongPrefix { expected: short_name })?;
    I::parse_canonical(id).ok_or(SubjectError::MalformedId)
}
