//! The pending link intent: "primary P started adding an account in this session
//! at time T and wants to come back to R". Completing a link requires a fresh one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

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
    /// The account that signed in during this intent (canonical id): the only
    /// one that may complete it, or stay current outside the group meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) signed_in: Option<String>,
}

/// Unix seconds now, by the system clock.
pub(crate) fn system_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

impl LinkIntent {
    pub(crate) fn new(primary: String, return_to: String, now: u64, ttl: Duration) -> Self {
        let expires_at = system_now().saturating_add(ttl.as_secs());
        Self { primary, created_at: now, expires_at, return_to, signed_in: None }
    }

    /// The same intent, completed by a sign-in of `id` (the latest one counts).
    pub(crate) fn signed_in_as(mut self, id: String) -> Self {
        self.signed_in = Some(id);
        self
    }

    /// Whether `id` signed in during this intent.
    pub(crate) fn was_signed_in_by(&self, id: &str) -> bool {
        self.signed_in.as_deref() == Some(id)
    }

    pub(crate) fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Younger than `ttl` at `now` (and not from the future).
    pub(crate) fn is_fresh(&self, ttl: Duration, now: u64) -> bool {
        let age = now.saturating_sub(self.created_at);
        self.created_at <= now && age < ttl.as_secs()
    }

    /// Whether this is a fresh intent of `primary`.
    pub(crate) fn is_fresh_for(&self, primary: &str, ttl: Duration, now: u64) -> bool {
        self.primary == primary && self.is_fresh(ttl, now)
    }

    /// Whether a sign-in at `now` (system clock) is still within the intent.
    pub(crate) fn continues_at(&self, now: u64) -> bool {
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

    #[test]
    fn the_system_clock_is_the_real_one() {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0);
        let now = system_now();
        assert!(before > 1_700_000_000, "a real clock");
        assert!((before..=before + 1).contains(&now), "{now} vs {before}");
    }

    #[test]
    fn fresh_until_its_ttl_and_never_from_the_future() {
        let intent =
            LinkIntent { primary: "1".into(), created_at: 100, expires_at: 0, return_to: "/".into(), signed_in: None };
        let ttl = Duration::from_secs(10);
        assert!(intent.is_fresh(ttl, 100));
        assert!(intent.is_fresh(ttl, 109));
        assert!(!intent.is_fresh(ttl, 110), "stale at exactly its TTL");
        assert!(!intent.is_fresh(ttl, 99), "from the future");
        assert!(intent.is_fresh_for("1", ttl, 105));
        assert!(!intent.is_fresh_for("2", ttl, 105), "another primary's");
    }
}
