//! A synchronizer-token CSRF defence: one random token per session, sent with
//! every state change (form field or query parameter `csrf_token`), compared in
//! constant time, and rotated on every privilege change.

use actix_session::Session;

use crate::error::MultiAccountError;
use crate::session_state;

// The form field / query parameter that carries the token.
pub use multi_account::session::CSRF_FIELD;

/// The session's CSRF token, created on first use. Put it in every form that
/// posts to a multi-account route (the switcher view model already does).
pub fn csrf_token(session: &Session) -> Result<String, MultiAccountError> {
    let state = session_state::read(session, None);
    let (token, writes) = multi_account::session::csrf_token(&state);
    session_state::apply(session, &writes)?;
    Ok(token)
}

/// Whether `presented` is this session's token (constant-time comparison). A
/// session without a token accepts nothing. (A `Result` like axum's, whose
/// session store can fail; actix-session's reads cannot.)
pub fn verify(session: &Session, presented: Option<&str>) -> Result<bool, MultiAccountError> {
    Ok(session_state::read(session, None).csrf_matches(presented))
}

/// Replaces the token, invalidating every form rendered before (a failed
/// password guess spends it, say).
pub fn rotate(session: &Session) -> Result<String, MultiAccountError> {
    let (token, writes) = multi_account::session::rotate_csrf_token(&session_state::read(session, None));
    session_state::apply(session, &writes)?;
    Ok(token)
}

/// Whether the request was sent from this site (`Sec-Fetch-Site` of
/// `same-origin` or `none`, or none; an `Origin` that is this one, or none):
/// the check every multi-account route makes before its token check. Make it
/// in your own state-changing routes that browsers call (a JSON sign-in), so a
/// token leaked to another site is of no use there.
pub fn is_same_origin(req: &actix_web::HttpRequest) -> bool {
    crate::request::flow_request(req, None).is_same_origin()
}
