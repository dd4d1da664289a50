//! The bridge to tower-sessions: reads the session into the core's
//! [`SessionState`] and applies a decision's [`SessionWrite`]s.

use multi_account::session::{SessionState, SessionWrite, keys};
use tower_sessions::Session;

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;

/// The keys the core reads (it asks for nothing else).
pub(crate) const KEYS: [&str; 9] = [
    keys::USER,
    keys::PRIMARY_USER_ID,
    keys::SESSION_TOKEN,
    keys::GROUP_ID,
    keys::CSRF_TOKEN,
    keys::LINK_INTENT,
    keys::AUTH_FINGERPRINTS,
    keys::VIA_IDENTITY,
    keys::SLOTS,
];

/// Reads the session's multi-account entries (one store load, then memory).
pub(crate) async fn read(session: &Session) -> Result<SessionState, MultiAccountError> {
    read_keys(session, &KEYS).await
}

/// Reads only `keys`, for a decision that looks at nothing else; the other
/// entries read as absent.
pub(crate) async fn read_keys(session: &Session, keys: &[&'static str]) -> Result<SessionState, MultiAccountError> {
    let mut values = Vec::with_capacity(keys.len());
    for &key in keys {
        if let Some(value) = session.get_value(key).await? {
            values.push((key, value));
        }
    }
    // The core asks for each key once: hand the values over.
    Ok(SessionState::read(None, |key| values.iter_mut().find(|(name, _)| *name == key).map(|(_, value)| value.take())))
}

/// [`read`], measured when the config sets a session budget: tower-sessions
/// does not list a session's entries, so the budget counts multi-account's own
/// (these keys and the flash), as actix-session's cookie store would serialize
/// them; leave room in the budget for the app's own keys.
pub(crate) async fn read_for(
    config: &MultiAccountConfig,
    session: &Session,
) -> Result<SessionState, MultiAccountError> {
    if config.core.session_budget().is_none() {
        return read(session).await;
    }
    let mut entries = std::collections::BTreeMap::new();
    for key in KEYS.into_iter().chain([keys::FLASH]) {
        if let Some(value) = session.get_value(key).await? {
            entries.insert(key, value.to_string());
        }
    }
    let size = serde_json::to_string(&entries).map_or(usize::MAX, |text| text.len());
    Ok(read(session).await?.with_size(size))
}

/// [`read_for`] for a flow of the request `parts`, with the tab it names.
pub(crate) async fn read_request(
    config: &MultiAccountConfig,
    parts: &axum::http::request::Parts,
) -> Result<SessionState, MultiAccountError> {
    let session = parts.extensions.get::<Session>().ok_or(MultiAccountError::NotConfigured)?;
    let state = read_for(config, session).await?.with_tab(crate::request::tab(parts));
    Ok(state.with_remembered_cookie(crate::request::remembered_cookie(parts)))
}

/// Applies `writes` in order.
pub(crate) async fn apply(session: &Session, writes: &[SessionWrite]) -> Result<(), MultiAccountError> {
    for write in writes {
        match write {
            SessionWrite::Insert { key, value } => {
                session.insert_value(key, value.clone()).await?;
            }
            SessionWrite::Remove { key } => {
                session.remove_value(key).await?;
            }
            SessionWrite::Renew => session.cycle_id().await?,
            SessionWrite::Purge => session.flush().await?,
            // Not the session's: the caller queues it for the response
            // (`request::set_cookies`).
            SessionWrite::SetCookie { .. } => {}
        }
    }
    Ok(())
}
