//! The pending link intent: "primary P started adding an account in this session
//! at time T and wants to come back to R". Completing a link requires a fresh one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_session::{Session, SessionInsertError};
use serde::{Deserialize, Serialize};

use crate::session_keys;

/// How long a link intent stays valid by default.
pub const DEFAULT_LINK_INTENT_TTL: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct LinkIntent {
    /// The primary's id, canonical text.
    pub(crate) primary: String,
    /// Unix seconds at creation, by the config's clock.
    pub(crate) created_at: u64,
    /// Unix seconds, by the system clock, after which the intent is stale. The
    /// sign-in helper (which has no config) decides by it.
    #[serde(default)]
    pub(crate) expires_at: u64,
    /// Local path to return to once the link completes.
    pub(crate) return_to: String,
}

/// Unix seconds now, by the system clock.
pub(crate) fn system_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

impl LinkIntent {
    pub(crate) fn new(primary: String, return_to: String, now: u64, ttl: Duration) -> Self {
        let expires_at = system_now().saturating_add(ttl.as_secs());
        Self { primary, created_at: now, expires_at, return_to }
    }

    pub(crate) fn store(&self, session: &Session) -> Result<(), SessionInsertError> {
        session.insert(session_keys::LINK_INTENT, self)
    }

    pub(crate) fn clear(session: &Session) {
        session.remove(session_keys::LINK_INTENT);
    }

    fn read(session: &Session) -> Option<Self> {
        session.get::<Self>(session_keys::LINK_INTENT).ok().flatten()
    }

    /// The session's intent for `primary` if it is younger than `ttl`.
    pub(crate) fn fresh(session: &Session, primary: &str, ttl: Duration, now: u64) -> Option<Self> {
        Self::pending(session, ttl, now).filter(|intent| intent.primary == primary)
    }

    /// The session's intent, whatever its primary, if it is younger than `ttl`.
    pub(crate) fn pending(session: &Session, ttl: Duration, now: u64) -> Option<Self> {
        Self::read(session).filter(|intent| intent.is_fresh(ttl, now))
    }

    /// Younger than `ttl` at `now` (and not from the future).
    fn is_fresh(&self, ttl: Duration, now: u64) -> bool {
        let age = now.saturating_sub(self.created_at);
        self.created_at <= now && age < ttl.as_secs()
    }

    /// Whether a sign-in now continues this session's link flow: the intent is
    /// there and not stale by the system clock.
    pub(crate) fn continues_at_sign_in(session: &Session) -> bool {
        Self::read(session).is_some_and(|intent| intent.continues_at(system_now()))
    }

    /// Whether a sign-in at `now` (system clock) is still within the intent.
    fn continues_at(&self, now: u64) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_continues_until_the_intent_expires_not_after() {
        let intent = LinkIntent::new("1".to_owned(), "/".to_owned(), 0, Duration::from_secs(600));
        let start = intent.expires_at - 600;
        assert!(start + 600 >= system_now(), "stamped with the system clock");
        assert!(intent.continues_at(start));
        assert!(intent.continues_at(start + 599));
        assert!(!intent.continues_at(start + 600), "stale at exactly its TTL");
        assert!(!intent.continues_at(start + 601));
    }
}
