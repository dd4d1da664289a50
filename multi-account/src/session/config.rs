//! Everything the session model needs at run time, shared by every adapter.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::link_intent::{DEFAULT_LINK_INTENT_TTL, system_now};
use super::paths::Paths;
use super::remembered::RememberedAccounts;
use super::state::SessionState;
use super::tabs::Tabs;
use crate::MultiAccountUser;

/// The database, the paths, the on/off switch, the link intent's lifetime and
/// clock, the identity layer's key and the session budget. Cheap to clone
/// (shared state inside). An adapter's config holds one.
#[derive(Clone)]
pub struct SessionConfig {
    pub(crate) db: DatabaseConnection,
    pub(crate) paths: Arc<Paths>,
    pub(crate) enabled: Arc<AtomicBool>,
    pub(crate) link_intent_ttl: Duration,
    pub(crate) clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    pub(crate) identity_key: Option<&'static str>,
    pub(crate) session_budget: Option<usize>,
    pub(crate) tabs: Option<Arc<Tabs>>,
    pub(crate) remembered: Option<Arc<RememberedAccounts>>,
}

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("paths", &self.paths)
            .field("enabled", &self.is_enabled())
            .field("link_intent_ttl", &self.link_intent_ttl)
            .field("identity_key", &self.identity_key)
            .field("session_budget", &self.session_budget)
            .field("tabs", &self.tabs)
            .field("remembered", &self.remembered)
            .finish_non_exhaustive()
    }
}

impl SessionConfig {
    /// Defaults: [`Paths::default`], enabled, a 10-minute link intent, the
    /// system clock, no identity layer, no session budget, and no per-tab
    /// accounts, no remembered accounts.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            paths: Arc::new(Paths::default()),
            enabled: Arc::new(AtomicBool::new(true)),
            link_intent_ttl: DEFAULT_LINK_INTENT_TTL,
            clock: Arc::new(system_now),
            identity_key: None,
            session_budget: None,
            tabs: None,
            remembered: None,
        }
    }

    /// Uses other route paths.
    pub fn with_paths(mut self, paths: Paths) -> Self {
        self.paths = Arc::new(paths);
        self
    }

    /// How long an account may take to sign in and complete a link.
    pub fn with_link_intent_ttl(mut self, ttl: Duration) -> Self {
        self.link_intent_ttl = ttl;
        self
    }

    /// Replaces the clock (Unix seconds) used for link intents; for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The session key under which an identity layer (actix-identity) keeps the
    /// signed-in id, read as the current account when present.
    pub fn with_identity_key(mut self, key: Option<&'static str>) -> Self {
        self.identity_key = key;
        self
    }

    /// The most a session may hold, in bytes of its serialized entries, before
    /// "Add another account" is refused with a message instead of growing it
    /// ([`COOKIE_SESSION_BUDGET`](super::COOKIE_SESSION_BUDGET) for a cookie
    /// store); `None` for server-side stores.
    pub fn with_session_budget(mut self, budget: Option<usize>) -> Self {
        self.session_budget = budget;
        self
    }

    /// Turns per-tab accounts on: a request may name the account of its group
    /// that acts for it (see [`Tabs`]). Off by default.
    pub fn with_tabs(mut self, tabs: Option<Tabs>) -> Self {
        self.tabs = tabs.map(Arc::new);
        self
    }

    /// Turns remembered accounts on: accounts that leave this browser's group
    /// stay in its chooser, signed out, with "Sign in again" and "Forget" (see
    /// [`RememberedAccounts`]). Off by default.
    pub fn with_remembered(mut self, remembered: Option<RememberedAccounts>) -> Self {
        self.remembered = remembered.map(Arc::new);
        self
    }

    /// The remembered accounts' settings, when they are on.
    pub fn remembered(&self) -> Option<&RememberedAccounts> {
        self.remembered.as_deref()
    }

    /// The per-tab accounts' settings, when they are on.
    pub fn tabs(&self) -> Option<&Tabs> {
        self.tabs.as_deref()
    }

    /// The database connection.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The route paths.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The identity layer's key, if any.
    pub fn identity_key(&self) -> Option<&'static str> {
        self.identity_key
    }

    /// The session budget, if any.
    pub fn session_budget(&self) -> Option<usize> {
        self.session_budget
    }

    /// Whether multi-account is switched on. Off: no group queries, the flows
    /// are refused as disabled, and a session on a linked account is back on
    /// its primary.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Switches multi-account on or off at run time, for every clone.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    pub(crate) fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Reads `state` the way this config's identity layer needs.
    pub fn read_state(&self, get: impl FnMut(&str) -> Option<serde_json::Value>) -> SessionState {
        SessionState::read(self.identity_key, get)
    }

    /// The primary that is adding an account in this session, while its link
    /// intent is fresh: a sign-in page can say "Add another account" then.
    pub fn pending_link<U: MultiAccountUser>(&self, state: &SessionState) -> Option<U::Id> {
        state.pending_link::<U>(self.link_intent_ttl, self.now())
    }
}
