//! A synchronizer-token CSRF defence: one random token per session, sent with
//! every state change (form field or query parameter `csrf_token`), compared in
//! constant time, and rotated on every privilege change.

use actix_session::{Session, SessionInsertError};
use subtle::ConstantTimeEq;

use crate::session::get_string;
use crate::session_keys;

/// The form field / query parameter that carries the token.
pub const CSRF_FIELD: &str = "csrf_token";

fn new_token() -> String {
    // 244 random bits from the OS generator.
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The session's CSRF token, created on first use. Put it in every form that
/// posts to a multi-account route (the switcher view model already does).
pub fn csrf_token(session: &Session) -> Result<String, SessionInsertError> {
    if let Some(token) = get_string(session, session_keys::CSRF_TOKEN).filter(|token| token.len() == 64) {
        return Ok(token);
    }
    let token = new_token();
    session.insert(session_keys::CSRF_TOKEN, &token)?;
    Ok(token)
}

/// Replaces the token, invalidating every form rendered before.
pub fn rotate(session: &Session) -> Result<String, SessionInsertError> {
    let token = new_token();
    session.insert(session_keys::CSRF_TOKEN, &token)?;
    Ok(token)
}

/// Whether `presented` is this session's token (constant-time comparison). A
/// session without a token accepts nothing.
pub fn verify(session: &Session, presented: Option<&str>) -> bool {
    let (Some(expected), Some(presented)) = (get_string(session, session_keys::CSRF_TOKEN), presented) else {
        return false;
    };
    expected.len() == 64 && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}
