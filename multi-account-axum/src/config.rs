//! Configuration shared by the layer, the extractors and the routes.

use std::sync::Arc;
use std::time::Duration;

use multi_account::session::{Paths, RememberedAccounts, SessionConfig, Tabs};
use sea_orm::DatabaseConnection;

use crate::handlers::{DefaultHandlers, MultiAccountHandlers};

/// Everything multi-account needs at run time: the database, the paths, the
/// handler hooks and the on/off switch. Cheap to clone (shared state inside).
///
/// ```no_run
/// # mod user {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
/// #     #[sea_orm(table_name = "users")]
/// #     #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i64,
/// #         pub email: String,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// # mod linked_account {
/// #     #[derive(multi_account::LinkedAccount)]
/// #     #[linked_account(user = crate::user::Entity)]
/// #     pub struct LinkedAccount;
/// # }
/// use axum::Router;
/// use multi_account_axum::MultiAccountConfig;
/// use tower_sessions::{MemoryStore, SessionManagerLayer};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let db = sea_orm::Database::connect("sqlite://app.sqlite?mode=rwc").await?;
/// let multi_account = MultiAccountConfig::new(db);
/// let app: Router = Router::new()
///     .merge(multi_account.router::<user::Model, ()>())
///     .layer(multi_account.layer())
///     .layer(SessionManagerLayer::new(MemoryStore::default()));
/// # Ok(()) }
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct MultiAccountConfig {
    /// The framework-free session model: it decides, this crate applies.
    pub(crate) core: SessionConfig,
    pub(crate) handlers: Arc<dyn MultiAccountHandlers>,
    pub(crate) get_switch: bool,
}

impl std::fmt::Debug for MultiAccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiAccountConfig")
            .field("core", &self.core)
            .field("get_switch", &self.get_switch)
            .finish_non_exhaustive()
    }
}

impl MultiAccountConfig {
    /// Defaults: the paths of [`Paths::default`], [`DefaultHandlers`], enabled, a
    /// 10-minute link intent, and no session budget (tower-sessions' stores are
    /// server-side).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { core: SessionConfig::new(db), handlers: Arc::new(DefaultHandlers), get_switch: false }
    }

    /// Also accepts switches by GET with the CSRF token in the query string, and
    /// lists such links in the switcher. Off by default: a token in a URL ends up
    /// in access logs, browser history and `Referer` headers.
    pub fn with_get_switch(mut self, enabled: bool) -> Self {
        self.get_switch = enabled;
        self
    }

    /// The most a session may hold, in bytes of its serialized entries, before
    /// "Add another account" is refused with a message (for a cookie store).
    pub fn with_session_budget(mut self, budget: Option<usize>) -> Self {
        self.core = self.core.with_session_budget(budget);
        self
    }

    /// Uses other route paths.
    pub fn with_paths(mut self, paths: Paths) -> Self {
        self.core = self.core.with_paths(paths);
        self
    }

    /// Uses your redirect paths and link pages.
    pub fn with_handlers(mut self, handlers: impl MultiAccountHandlers) -> Self {
        self.handlers = Arc::new(handlers);
        self
    }

    /// How long an account may take to sign in and complete a link.
    pub fn with_link_intent_ttl(mut self, ttl: Duration) -> Self {
        self.core = self.core.with_link_intent_ttl(ttl);
        self
    }

    /// Replaces the clock (Unix seconds) used for link intents; for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.core = self.core.with_clock(clock);
        self
    }

    /// Turns per-tab accounts on (off by default): a request may name the
    /// account of its group that acts for it, by the path prefix
    /// `/u/{slot}/…` or, for JSON clients, a header (see [`Tabs`]).
    pub fn with_tabs(mut self, tabs: Option<Tabs>) -> Self {
        self.core = self.core.with_tabs(tabs);
        self
    }

    /// Turns remembered accounts on: an account that leaves this browser's
    /// group stays in its switcher, signed out, with "Sign in again" and
    /// "Forget", in an encrypted cookie of its own (see
    /// [`RememberedAccounts`]). Off by default.
    pub fn with_remembered(mut self, remembered: Option<RememberedAccounts>) -> Self {
        self.core = self.core.with_remembered(remembered);
        self
    }

    /// The database connection.
    pub fn db(&self) -> &DatabaseConnection {
        self.core.db()
    }

    /// The route paths.
    pub fn paths(&self) -> &Paths {
        self.core.paths()
    }

    /// Whether multi-account is switched on. Off: no group queries, the routes
    /// answer 404, and a session on a linked account is back on its primary.
    pub fn is_enabled(&self) -> bool {
        self.core.is_enabled()
    }

    /// Switches multi-account on or off at run time, for every clone.
    pub fn set_enabled(&self, enabled: bool) {
        self.core.set_enabled(enabled);
    }
}
