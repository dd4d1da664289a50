//! A synchronizer-token CSRF defence: one random token per session, sent with
//! every state change, compared in constant time, and rotated on every
//! privilege change. The token is a value; `SessionChange` writes it.

use subtle::ConstantTimeEq;

/// The length of a token.
pub(crate) const TOKEN_LEN: usize = 64;

/// A new token: 244 random bits from the OS generator.
pub(crate) fn new_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Whether `presented` is the session's token `expected` (constant-time
/// comparison). A session without a token accepts nothing.
pub(crate) fn verify(expected: Option<&str>, presented: Option<&str>) -> bool {
    let (Some(expected), Some(presented)) = (expected, presented) else {
        return false;
    };
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}
