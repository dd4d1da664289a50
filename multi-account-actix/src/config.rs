//! Configuration shared by the loader, the handlers and the routes.

use std::sync::Arc;
use std::time::Duration;

use multi_account::session::{COOKIE_SESSION_BUDGET, Paths, RememberedAccounts, SessionConfig, Tabs};
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
/// use actix_session::{SessionMiddleware, storage::CookieSessionStore};
/// use actix_web::{App, HttpServer, cookie::Key};
/// use multi_account_actix::{MultiAccountConfig, SessionToken};
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let db = sea_orm::Database::connect("sqlite://app.sqlite?mode=rwc").await.map_err(std::io::Error::other)?;
///     let multi_account = MultiAccountConfig::new(db.clone());
///     let key = Key::generate(); // load a fixed key in production
///     HttpServer::new(move || {
///         App::new()
///             .configure(multi_account.routes::<user::Model>())
///             .wrap(SessionToken)
///             .wrap(SessionMiddleware::new(CookieSessionStore::default(), key.clone()))
///     })
///     .bind(("127.0.0.1", 8080))?
///     .run()
///     .await
/// }
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
    /// Defaults: the paths of [`Paths::default`], [`DefaultHandlers`], enabled, and
    /// a 10-minute link intent.
    pub fn new(db: DatabaseConnection) -> Self {
        #[cfg(feature = "identity")]
        let identity_key = Some(crate::session_keys::IDENTITY_USER_ID);
        #[cfg(not(feature = "identity"))]
        let identity_key = None;
        let core =
            SessionConfig::new(db).with_identity_key(identity_key).with_session_budget(Some(COOKIE_SESSION_BUDGET));
        Self { core, handlers: Arc::new(DefaultHandlers), get_switch: false }
    }

    /// The session key actix-identity keeps the signed-in id under, when the app
    /// changed it with `IdentityMiddleware::builder().id_key(..)` (feature
    /// `identity`; the default is actix-identity's own, `"actix_identity.user_id"`).
    #[cfg(feature = "identity")]
    pub fn with_identity_key(mut self, key: &'static str) -> Self {
        self.core = self.core.with_identity_key(Some(key));
        self
    }

    /// Also accepts switches by GET with the CSRF token in the query string
    /// (`/link/switch_to/{id}?csrf_token=..`), and lists such links in the
    /// switcher. Off by default: a token in a URL ends up in access logs, browser
    /// history and `Referer` headers; the switcher's POST forms need none of it.
    pub fn with_get_switch(mut self, enabled: bool) -> Self {
        self.get_switch = enabled;
        self
    }

    /// The most a session may hold, in bytes of its entries (keys plus JSON
    /// values), before "Add another account" is refused with a message instead of
    /// growing it. The default fits the cookie store's 4 KB cookie (see
    /// `docs/security-model.md`, "Cookie budget"); `None` for server-side stores
    /// (Redis), where only `max_linked_accounts` limits a group.
    pub fn with_session_budget(mut self, budget: Option<usize>) -> Self {
        self.core = self.core.with_session_budget(budget);
        self
    }

    /// Uses other route paths.
    pub fn with_paths(mut self, paths: Paths) -> Self {
        self.core = self.core.with_paths(paths);
        self
    }

    /// Uses your redirect paths and auto-submit page.
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

    /// Switches multi-account on or off at run time, for every clone of this
    /// config (and so every worker).
    pub fn set_enabled(&self, enabled: bool) {
        self.core.set_enabled(enabled);
    }
}
