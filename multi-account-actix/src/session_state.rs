//! The bridge to actix-session: reads the session into the core's
//! [`SessionState`] and applies a decision's [`SessionWrite`]s.

use actix_session::Session;
use multi_account::session::{SessionState, SessionWrite};

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;

/// Reads the session's multi-account entries. An entry that is not JSON reads
/// as present but unreadable.
pub(crate) fn read(session: &Session, identity_key: Option<&'static str>) -> SessionState {
    SessionState::read(identity_key, |key| match session.get::<serde_json::Value>(key) {
        Ok(value) => value,
        Err(error) => {
            tracing::debug!(key, %error, "ignoring a malformed session value");
            Some(serde_json::Value::Null)
        }
    })
}

/// [`read`] with the config's identity key, measured when a budget applies.
pub(crate) fn read_for(config: &MultiAccountConfig, session: &Session) -> SessionState {
    let state = read(session, config.core.identity_key());
    if config.core.session_budget().is_none() {
        return state;
    }
    let size = serde_json::to_string(&*session.entries()).map_or(usize::MAX, |state| state.len());
    state.with_size(size)
}

/// [`read_for`] for a flow of `req`, with the tab it names.
pub(crate) fn read_request(config: &MultiAccountConfig, req: &actix_web::HttpRequest) -> SessionState {
    use actix_session::SessionExt;
    read_for(config, &req.get_session())
        .with_tab(crate::request::tab(req))
        .with_remembered_cookie(crate::request::remembered_cookie(req))
}

/// Applies `writes` in order.
pub(crate) fn apply(session: &Session, writes: &[SessionWrite]) -> Result<(), MultiAccountError> {
    for write in writes {
        match write {
            SessionWrite::Insert { key, value } => session.insert(*key, value)?,
            SessionWrite::Remove { key } => {
                session.remove(key);
            }
            SessionWrite::Renew => session.renew(),
            SessionWrite::Purge => session.purge(),
            // Not the session's: the caller queues it for the response
            // (`request::set_cookies`).
            SessionWrite::SetCookie { .. } => {}
        }
    }
    Ok(())
}

/// [`apply`], logging instead of failing: for reads that keep the session in
/// step (the loader, a CSRF token for a page).
pub(crate) fn apply_logged(session: &Session, writes: &[SessionWrite]) {
    if let Err(error) = apply(session, writes) {
        tracing::error!(%error, "multi-account: could not write the session");
    }
}
