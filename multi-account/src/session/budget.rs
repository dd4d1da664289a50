//! The cookie budget: how much a session may hold before "Add another account"
//! is refused instead of growing it past what the cookie store can send.
//!
//! actix-session's cookie store serializes the session's entries as one JSON
//! object and refuses (a 500) above 4064 bytes; encrypted and base64-encoded, a
//! state of n bytes becomes a cookie value of about 4/3 (n + 28) bytes, and
//! browsers drop a cookie above 4096. So about 3000 bytes of state fit; the
//! default budget stops at 2560 and leaves the rest to the app's own keys.

use super::state::SessionState;
use crate::{AccountId, MultiAccountUser};

/// The default budget, in bytes of the session state as a cookie store
/// serializes it.
pub const COOKIE_SESSION_BUDGET: usize = 2560;

/// What one more account's sign-in record costs, at most, for ids of `U`: its
/// id and a 16-character fingerprint, quoted and escaped inside the state; with
/// per-tab accounts, its slot too (the id again and up to ten digits).
pub(crate) fn record_cost<U: MultiAccountUser>(tabs: bool) -> usize {
    let record = <U::Id as AccountId>::MAX_TEXT_LEN + super::sign_in_records::RECORD_LEN + 10;
    let slot = if tabs { <U::Id as AccountId>::MAX_TEXT_LEN + 18 } else { 0 };
    record + slot
}

/// Whether the session still has room for `extra` more bytes. An unmeasured
/// session (a server-side store) always has.
pub(crate) fn has_room(state: &SessionState, budget: Option<usize>, extra: usize) -> bool {
    match (budget, state.size()) {
        (Some(budget), Some(size)) => size.saturating_add(extra) <= budget,
        _ => true,
    }
}

/// Whether the session, without its entry `key`, is within the budget.
pub(crate) fn has_room_without(state: &SessionState, budget: Option<usize>, key: &str) -> bool {
    match (budget, state.size_without(key)) {
        (Some(budget), Some(size)) => size <= budget,
        _ => true,
    }
}
