//! # multi-account demo
//!
//! A small app that shows [`multi_account`] at work, on actix-web
//! ([`multi_account_actix`]) or on axum ([`multi_account_axum`]) — the same
//! pages, templates and sign-in either way: password sign-in (Argon2id), "Add
//! another account", and a Google-style account switcher rendered with
//! minijinja, where accounts that left this browser stay listed "Signed out"
//! (remembered accounts: "Sign in again" fills in the sign-in form, "Forget").
//! SQLite by default (PostgreSQL and MySQL through `DATABASE_URL`).
//! Sessions: on actix-web an encrypted cookie by default, on axum in memory;
//! Redis through `REDIS_URL` on both.
//!
//! The binary is a thin wrapper around [`start`], so tests can run the whole app
//! in-process on a free port:
//!
//! ```no_run
//! # async fn run() -> Result<(), multi_account_demo::StartError> {
//! use multi_account_demo::{Framework, Settings};
//!
//! let settings = Settings { framework: Framework::Axum, ..Settings::for_test(std::path::Path::new("/tmp/demo.sqlite")) };
//! let server = multi_account_demo::start(settings).await?;
//! let (addr, handle) = (server.addr(), server.handle());
//! tokio::spawn(server);
//! println!("listening on http://{addr}");
//! handle.stop(true).await;
//! # Ok(()) }
//! ```

mod accounts;
mod actix_app;
mod api_error;
mod api_sign_in;
mod app_state;
mod axum_app;
pub mod clock;
pub mod database;
pub mod email_link;
pub mod entities;
mod error;
pub mod migration;
pub mod oidc;
pub mod openapi;
pub mod password;
mod provider_account;
mod server;
pub mod settings;
mod sign_in;
mod spa;
mod templates;
pub mod throttle;
mod views;

use std::sync::Arc;

pub use database::{DEMO_PASSWORD, DEMO_USERS};
pub use entities::user::Model as User;
pub use error::PageError;
pub use server::{Server, ServerHandle};
pub use settings::{Command, Framework, Settings, SettingsError};
pub use sign_in::{ADD_EXPIRED, BUSY, EMAIL_NOT_VERIFIED, EMPTY, INACTIVE, INCORRECT, NO_ACCOUNT, THROTTLED};

use multi_account::session::RememberedAccounts;

use crate::app_state::AppState;
use crate::throttle::SignInThrottle;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "multi_account_demo";

/// The name of the remembered accounts' cookie: the accounts this browser
/// signed in to, listed "Signed out" after they leave it (encrypted, under a
/// key derived from the session secret).
pub const REMEMBERED_COOKIE: &str = "multi_account_demo_remembered";

/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Sent with every response, whichever framework serves it.
const SECURITY_HEADERS: [(&str, &str); 3] =
    [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "same-origin")];

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
    /// The OpenID client could not be set up.
    #[error("OpenID Connect: {0}")]
    Oidc(oidc::OidcError),
    /// Mail could not be set up.
    #[error("mail: {0}")]
    Mail(email_link::MailError),
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
/// the server on the framework the settings name, not yet running. Await or
/// spawn the [`Server`] to serve; its [`Server::handle`] stops it.
pub async fn start(mut settings: Settings) -> Result<Server, StartError> {
    templates::check()?;
    if settings.secret.as_ref().is_some_and(|secret| secret.len() < settings::MIN_SECRET_LEN) {
        return Err(StartError::ShortSecret);
    }
    // One key for this run, the settings' or a random one: the session cookie's
    // key and the remembered accounts' key each derive from it.
    let secret = settings.secret.get_or_insert_with(|| actix_web::cookie::Key::generate().master().to_vec()).clone();
    let remembered = remembered_accounts(&secret, settings.secure_cookies())?;
    tracing::info!(database = %settings::redact_url(&settings.database_url), reset = settings.reset, "opening the database");
    let db = database::open(&settings.database_url, settings.reset).await?;
    password::warm_up();
    // One throttle and one hash limiter for all workers.
    tracing::info!(throttle = ?settings.throttle, hashing = ?settings.hashing, "sign-in limits");
    let link_prefix = multi_account::session::Paths::default().link.split('{').next().unwrap_or_default().to_owned();
    let oidc = match &settings.oidc {
        Some(oidc) => {
            tracing::info!(issuer = %oidc.issuer, client_id = %oidc.client_id, "OpenID Connect sign-in is on");
            Some(Arc::new(oidc::OidcProvider::new(oidc.clone()).map_err(StartError::Oidc)?))
        }
        None => None,
    };
    let mailer = match &settings.mail {
        Some(mail) => {
            tracing::info!(smtp = %settings::redact_url(&mail.smtp_url), "email-link sign-in is on");
            Some(Arc::new(email_link::Mailer::new(mail).map_err(StartError::Mail)?))
        }
        None => None,
    };
    let public_url = Arc::new(std::sync::OnceLock::new());
    if let Some(url) = &settings.public_url {
        let _ = public_url.set(url.clone());
    }
    let state = AppState {
        db,
        link_prefix,
        throttle: Arc::new(SignInThrottle::new(settings.throttle.clone())),
        hashing: settings.hashing.clone(),
        oidc,
        mailer,
        public_url,
    };
    tracing::info!(framework = %settings.framework, "serving");
    match settings.framework {
        Framework::Actix => actix_app::start(&settings, state, remembered).await,
        Framework::Axum => axum_app::start(&settings, state, remembered).await,
    }
}

/// Remembered accounts, as the demo keeps them: under a key derived from the
/// session secret (the library derives its own from it, so neither cookie
/// passes for the other), `Secure` as the session cookie is, and otherwise the
/// library's defaults (30 days, five accounts, checked against the database on
/// each request that shows them).
fn remembered_accounts(secret: &[u8], secure: bool) -> Result<RememberedAccounts, StartError> {
    let remembered = RememberedAccounts::new(secret).map_err(|_| StartError::ShortSecret)?;
    Ok(remembered.with_cookie_name(REMEMBERED_COOKIE).with_secure(secure))
}
