//! One-shot messages shown on the next page (a refused switch, a full group, ..).

use actix_session::Session;

use crate::session_keys;

/// Stores a message for the next page.
pub fn put_flash(session: &Session, message: &str) {
    if let Err(error) = session.insert(session_keys::FLASH, message) {
        tracing::error!(%error, "could not store a flash message");
    }
}

/// Takes (and removes) the pending message, if any. Call it where you render pages.
pub fn take_flash(session: &Session) -> Option<String> {
    let message = session.get::<String>(session_keys::FLASH).ok().flatten();
    if message.is_some() {
        session.remove(session_keys::FLASH);
    }
    message
}
