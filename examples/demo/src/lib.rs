//! # multi-account demo
//!
//! A small app that shows [`multi_account`] and [`multi_account_actix`] at work:
//! password sign-in (Argon2id), "Add another account", and a Google-style
//! account switcher rendered with minijinja. SQLite by default (PostgreSQL and
//! MySQL through `DATABASE_URL`), cookie sessions by default (Redis through
//! `REDIS_URL`).
//!
//! The binary is a thin wrapper around [`start`], so tests can run the whole app
//! in-process on a free port:
//!
//! ```no_run
//! # async fn run() -> Result<(), multi_account_demo::StartError> {
//! let settings = multi_account_demo::Settings::for_test(std::path::Path::new("/tmp/demo.sqlite"));
//! let (server, addr) = multi_account_demo::start(settings).await?;
//! let handle = server.handle();
//! tokio::spawn(server);
//! println!("listening on http://{addr}");
//! handle.stop(true).await;
//! # Ok(()) }
//! ```

pub mod clock;
pub mod database;
pub mod entities;
mod error;
pub mod migration;
mod pages;
pub mod password;
pub mod settings;
mod templates;
pub mod throttle;

use std::net::SocketAddr;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::{CookieSessionStore, RedisSessionStore, SessionStore};
use actix_web::cookie::Key;
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, Logger};
use actix_web::web::{self, Data};
use actix_web::{App, HttpServer};
use multi_account_actix::{MultiAccountConfig, SessionToken};

pub use database::{DEMO_PASSWORD, DEMO_USERS};
pub use entities::user::Model as User;
pub use error::PageError;
pub use pages::{BUSY, DemoHandlers, EMPTY, INACTIVE, INCORRECT, THROTTLED};
pub use settings::{Command, Settings, SettingsError};

use crate::pages::AppState;
use crate::throttle::SignInThrottle;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "multi_account_demo";

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened, migrated or seeded.
    #[error(transparent)]
    Database(#[from] database::DatabaseError),
    /// Redis (for sessions) could not be reached.
    #[error("could not connect to Redis at {url}: {message}")]
    Redis {
        /// The Redis URL, without its password.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The session secret is shorter than [`settings::MIN_SECRET_LEN`] bytes.
    #[error("the session secret must be at least {} bytes long", settings::MIN_SECRET_LEN)]
    ShortSecret,
    /// A template does not parse (a bug in the demo).
    #[error("template error: {0:#}")]
    Template(#[from] minijinja::Error),
    /// The address could not be bound.
    #[error("could not listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Opens (and migrates and seeds) the database, binds the address and returns
/// the server, not yet running, with the address it listens on. Await or spawn
/// the [`Server`] to serve; its [`Server::handle`] stops it.
pub async fn start(settings: Settings) -> Result<(Server, SocketAddr), StartError> {
    templates::check()?;
    let key = match &settings.secret {
        Some(secret) if secret.len() >= settings::MIN_SECRET_LEN => Key::from(secret),
        Some(_) => return Err(StartError::ShortSecret),
        None => Key::generate(),
    };
    tracing::info!(database = %settings::redact_url(&settings.database_url), reset = settings.reset, "opening the database");
    let db = database::open(&settings.database_url, settings.reset).await?;
    password::warm_up();

    let config = MultiAccountConfig::new(db.clone()).with_handlers(DemoHandlers);
    let link_prefix = config.paths().link.split('{').next().unwrap_or_default().to_owned();
    let state = Data::new(AppState { db, link_prefix });

    match &settings.redis_url {
        Some(url) => {
            let store = RedisSessionStore::new(url.clone())
                .await
                .map_err(|error| StartError::Redis { url: settings::redact_url(url), message: format!("{error:#}") })?;
            tracing::info!(redis = %settings::redact_url(url), "sessions are kept in Redis");
            serve(&settings, state, config, key, move || store.clone())
        }
        None => serve(&settings, state, config, key, CookieSessionStore::default),
    }
}

/// Builds and binds the server with the session store `make_store` makes for
/// each worker.
fn serve<S, F>(
    settings: &Settings,
    state: Data<AppState>,
    config: MultiAccountConfig,
    key: Key,
    make_store: F,
) -> Result<(Server, SocketAddr), StartError>
where
    S: SessionStore + 'static,
    F: Fn() -> S + Clone + Send + 'static,
{
    // Cookie sessions are encrypted (private), Redis session ids signed; plain
    // HTTP on localhost, so not `Secure`.
    let content_security =
        if settings.redis_url.is_some() { CookieContentSecurity::Signed } else { CookieContentSecurity::Private };
    // One throttle and one hash limiter for all workers.
    tracing::info!(throttle = ?settings.throttle, hashing = ?settings.hashing, "sign-in limits");
    let throttle = Data::new(SignInThrottle::new(settings.throttle.clone()));
    let hashing = Data::new(settings.hashing.clone());
    let mut server = HttpServer::new(move || {
        let session = SessionMiddleware::builder(make_store(), key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_secure(false)
            .cookie_content_security(content_security)
            .build();
        // Everything but the stylesheet runs inside the session: `SessionToken`
        // writes a token into every session it sees, so an asset behind it would
        // create a session (a cookie, or a Redis key) per anonymous request.
        let pages = web::scope("")
            .configure(config.routes::<User>())
            .route("/", web::get().to(pages::home))
            .route("/sign-in", web::get().to(pages::sign_in_page))
            .route("/sign-in", web::post().to(pages::sign_in))
            .route("/sign-out", web::post().to(pages::sign_out))
            .wrap(SessionToken)
            .wrap(session);
        App::new()
            .app_data(state.clone())
            .app_data(throttle.clone())
            .app_data(hashing.clone())
            .app_data(web::FormConfig::default().limit(16 * 1024))
            .route("/static/app.css", web::get().to(pages::stylesheet))
            .service(pages)
            .wrap(ErrorHandlers::new().default_handler(error::error_page))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            // The path without its query string: no token or other secret in the log.
            .wrap(
                Logger::new("%{method}xi %U %s %Dms").custom_request_replace("method", |req| req.method().to_string()),
            )
    })
    .shutdown_timeout(5);
    if let Some(workers) = settings.workers {
        server = server.workers(workers);
    }
    let address = format!("{}:{}", settings.host, settings.port);
    let server = server
        .bind((settings.host.as_str(), settings.port))
        .map_err(|source| StartError::Bind { address: address.clone(), source })?;
    let addr = server.addrs().first().copied().ok_or_else(|| StartError::Bind {
        address,
        source: std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address bound"),
    })?;
    Ok((server.run(), addr))
}
