//! The CSRF token for your own forms (a sign-in or sign-out form): the same
//! synchronizer token the multi-account routes check, compared in constant
//! time, rotated on every privilege change.

use axum::http::request::Parts;
use tower_sessions::Session;

use crate::error::MultiAccountError;
use crate::session_state;

// The form field that carries the token.
pub use multi_account::session::CSRF_FIELD;

/// The session's CSRF token, created on first use (which writes the session:
/// call it only where a form needs it). Signed-in pages get it from
/// [`SignedInAccounts::csrf_token`](crate::SignedInAccounts::csrf_token).
pub async fn csrf_token(session: &Session) -> Result<String, MultiAccountError> {
    let state = session_state::read(session).await?;
    let (token, writes) = multi_account::session::csrf_token(&state);
    session_state::apply(session, &writes).await?;
    Ok(token)
}

/// Whether `presented` is this session's token. A session without a token
/// accepts nothing.
pub async fn verify(session: &Session, presented: Option<&str>) -> Result<bool, MultiAccountError> {
    Ok(session_state::read(session).await?.csrf_matches(presented))
}

/// Replaces the token, invalidating every form rendered before (a failed
/// password guess spends it, say).
pub async fn rotate(session: &Session) -> Result<String, MultiAccountError> {
    let (token, writes) = multi_account::session::rotate_csrf_token(&session_state::read(session).await?);
    session_state::apply(session, &writes).await?;
    Ok(token)
}

/// Whether the request was sent from this site (`Sec-Fetch-Site` of
/// `same-origin` or `none`, or none; an `Origin` that is this one, or none):
/// the check every multi-account route makes before its token check. Make it
/// in your own state-changing routes that browsers call (a JSON sign-in), so a
/// token leaked to another site is of no use there.
pub fn is_same_origin(parts: &Parts) -> bool {
    crate::request::flow_request(parts, None).is_same_origin()
}
