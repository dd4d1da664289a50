//! The cookie budget: how much a session may hold before "Add another account"
//! is refused instead of growing it past what the cookie store can send.
//!
//! actix-session's cookie store serializes the session's entries as one JSON
//! object and refuses (a 500) above 4064 bytes; encrypted and base64-encoded, a
//! state of n bytes becomes a cookie value of about 4/3 (n + 28) bytes, and
//! browsers drop a cookie above 4096. So about 3000 bytes of state fit; the
//! default budget stops at 2560 and leaves the rest to the app's own keys.

use actix_session::Session;

/// The default budget, in bytes of the session state as the cookie store
/// serializes it.
pub(crate) const COOKIE_SESSION_BUDGET: usize = 2560;

/// What one more account's sign-in record costs, at most, for ids of `U`: its
/// id and a 16-character fingerprint, quoted and escaped inside the state.
pub(crate) fn record_cost<U: multi_account::MultiAccountUser>() -> usize {
    use multi_account::AccountId;
    <U::Id as AccountId>::MAX_TEXT_LEN + 16 + 10
}

/// The size of the session state, as the cookie store would write it.
pub(crate) fn state_size(session: &Session) -> usize {
    serde_json::to_string(&*session.entries()).map_or(usize::MAX, |state| state.len())
}

/// Whether the session, as it is now, still has room for `extra` more bytes.
pub(crate) fn has_room(session: &Session, budget: Option<usize>, extra: usize) -> bool {
    budget.is_none_or(|budget| state_size(session).saturating_add(extra) <= budget)
}

/// Whether the session, without its entry `key`, is within the budget.
pub(crate) fn has_room_without(session: &Session, budget: Option<usize>, key: &str) -> bool {
    let Some(budget) = budget else { return true };
    let entries = session.entries();
    let rest: std::collections::HashMap<&String, &String> = entries.iter().filter(|(name, _)| *name != key).collect();
    serde_json::to_string(&rest).is_ok_and(|state| state.len() <= budget)
}
