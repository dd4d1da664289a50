//! Configuration shared by the loader, the handlers and the routes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_session::Session;
use multi_account::{AccountId, LinkService, MultiAccountUser};
use sea_orm::DatabaseConnection;

use crate::audit::OptionalId;
use crate::error::MultiAccountError;
use crate::link_intent::LinkIntent;
use crate::session::{get_primary_user_id, get_session_token};

use crate::handlers::{DefaultHandlers, MultiAccountHandlers};
use crate::html::percent_encode;
use crate::link_intent::{DEFAULT_LINK_INTENT_TTL, system_now};

/// Route paths. Each holds one `{..}` segment for the account id.
#[derive(Clone, Debug)]
pub struct Paths {
    /// Link an account to a primary: GET starts or resumes, POST completes.
    pub link: String,
    /// Switch to an account in the group.
    pub switch: String,
    /// Remove (sign out of) one account.
    pub remove: String,
    /// Sign out of every account in this browser.
    pub sign_out_all: String,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            link: "/link/p/{primary_user_id}".to_owned(),
            switch: "/link/switch_to/{user_id}".to_owned(),
            remove: "/link/remove/{user_id}".to_owned(),
            sign_out_all: "/link/sign-out-all".to_owned(),
        }
    }
}

impl Paths {
    /// `template` with its `{..}` segment replaced by `id`, percent-encoded.
    fn fill(template: &str, id: &dyn std::fmt::Display) -> String {
        let id = percent_encode(&id.to_string(), false);
        match (template.find('{'), template.find('}')) {
            (Some(start), Some(end)) if start < end => format!("{}{id}{}", &template[..start], &template[end + 1..]),
            _ => template.to_owned(),
        }
    }

    /// The link URL of the primary `id` ("Add another account").
    ///
    /// ```
    /// use multi_account_actix::Paths;
    /// assert_eq!(Paths::default().link_url(&42), "/link/p/42");
    /// ```
    pub fn link_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.link, id)
    }

    /// Where the form that starts adding an account to the primary `id` posts.
    ///
    /// ```
    /// use multi_account_actix::Paths;
    /// assert_eq!(Paths::default().link_start_url(&42), "/link/p/42?start");
    /// ```
    pub fn link_start_url(&self, id: &dyn std::fmt::Display) -> String {
        format!("{}?start", self.link_url(id))
    }

    /// The switch URL of `id` (without the CSRF token).
    pub fn switch_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.switch, id)
    }

    /// The remove URL of `id`.
    pub fn remove_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.remove, id)
    }
}

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
    pub(crate) db: DatabaseConnection,
    pub(crate) paths: Arc<Paths>,
    pub(crate) handlers: Arc<dyn MultiAccountHandlers>,
    pub(crate) enabled: Arc<AtomicBool>,
    pub(crate) link_intent_ttl: Duration,
    pub(crate) clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    pub(crate) identity_key: &'static str,
    pub(crate) get_switch: bool,
    pub(crate) session_budget: Option<usize>,
}

impl std::fmt::Debug for MultiAccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiAccountConfig")
            .field("paths", &self.paths)
            .field("enabled", &self.is_enabled())
            .field("link_intent_ttl", &self.link_intent_ttl)
            .field("get_switch", &self.get_switch)
            .field("session_budget", &self.session_budget)
            .finish_non_exhaustive()
    }
}

impl MultiAccountConfig {
    /// Defaults: the paths of [`Paths::default`], [`DefaultHandlers`], enabled, and
    /// a 10-minute link intent.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            paths: Arc::new(Paths::default()),
            handlers: Arc::new(DefaultHandlers),
            enabled: Arc::new(AtomicBool::new(true)),
            link_intent_ttl: DEFAULT_LINK_INTENT_TTL,
            clock: Arc::new(system_now),
            identity_key: crate::session_keys::IDENTITY_USER_ID,
            get_switch: false,
            session_budget: Some(crate::session_budget::COOKIE_SESSION_BUDGET),
        }
    }

    /// The session key actix-identity keeps the signed-in id under, when the app
    /// changed it with `IdentityMiddleware::builder().id_key(..)` (feature
    /// `identity`; the default is actix-identity's own, `"actix_identity.user_id"`).
    #[cfg(feature = "identity")]
    pub fn with_identity_key(mut self, key: &'static str) -> Self {
        self.identity_key = key;
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
        self.session_budget = budget;
        self
    }

    /// Uses other route paths.
    pub fn with_paths(mut self, paths: Paths) -> Self {
        self.paths = Arc::new(paths);
        self
    }

    /// Uses your redirect paths and auto-submit page.
    pub fn with_handlers(mut self, handlers: impl MultiAccountHandlers) -> Self {
        self.handlers = Arc::new(handlers);
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

    /// The database connection.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The route paths.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Whether multi-account is switched on. Off: no group queries, the routes
    /// answer 404, and a session on a linked account is back on its primary.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Switches multi-account on or off at run time, for every clone of this
    /// config (and so every worker).
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    pub(crate) fn now(&self) -> u64 {
        (self.clock)()
    }

    /// The primary that is adding an account in this session, while its link
    /// intent is fresh: your sign-in page can say "Add another account" then.
    pub fn pending_link<U: MultiAccountUser>(&self, session: &Session) -> Option<U::Id> {
        let intent = LinkIntent::pending(session, self.link_intent_ttl, self.now())?;
        U::Id::parse_canonical(&intent.primary)
    }

    /// Signs out of every account in this browser: deletes this session's links,
    /// then clears the session. Call it from your own sign-out handler (the
    /// sign-out-all route does the same). On a database error nothing is cleared.
    pub async fn sign_out_all<U: MultiAccountUser>(&self, session: &Session) -> Result<u64, MultiAccountError> {
        let primary = get_primary_user_id::<U>(session);
        let mut removed = 0;
        if let Some(token) = get_session_token(session) {
            removed = LinkService::<U>::unlink_session(&self.db, &token).await.map_err(|error| {
                tracing::error!(%error, "multi-account: sign-out-all failed");
                MultiAccountError::Unavailable
            })?;
        }
        session.purge();
        tracing::info!(
            target: crate::audit::AUDIT_TARGET,
            event = "sign_out_all",
            primary = %OptionalId(primary.as_ref()),
            links_removed = removed,
        );
        Ok(removed)
    }
}
