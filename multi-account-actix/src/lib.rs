//! # multi-account-actix
//!
//! The actix-web integration of [`multi_account`]: sign in to several accounts in
//! one browser and switch between them without signing in again.
//!
//! - [`SessionToken`] — middleware that gives every session a random link token;
//! - [`CurrentUser`], [`PrimaryUser`], [`SignedInAccounts`] — extractors, loaded lazily,
//!   once per request, in one query in multi-account mode;
//! - [`MultiAccountConfig::routes`] — link, switch, remove and sign-out-all routes;
//! - [`MultiAccountHandlers`] — redirect paths and the auto-submit page;
//! - [`AccountSwitcher`] — the switcher view model for any template engine;
//! - [`session`] — the session helpers (sign in, keys), [`csrf`] — CSRF tokens.
//!
//! ```no_run
//! # mod user {
//! #     use sea_orm::entity::prelude::*;
//! #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
//! #     #[sea_orm(table_name = "users")]
//! #     #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
//! #     pub struct Model {
//! #         #[sea_orm(primary_key)]
//! #         pub id: i64,
//! #         pub email: String,
//! #     }
//! #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//! #     pub enum Relation {}
//! #     impl ActiveModelBehavior for ActiveModel {}
//! # }
//! # mod linked_account {
//! #     #[derive(multi_account::LinkedAccount)]
//! #     #[linked_account(user = crate::user::Entity)]
//! #     pub struct LinkedAccount;
//! # }
//! use actix_session::{SessionMiddleware, storage::CookieSessionStore};
//! use actix_web::{App, HttpServer, cookie::Key};
//! use multi_account_actix::{MultiAccountConfig, SessionToken};
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let db = sea_orm::Database::connect("sqlite://app.sqlite?mode=rwc").await.map_err(std::io::Error::other)?;
//!     let multi_account = MultiAccountConfig::new(db.clone());
//!     let key = Key::generate(); // load a fixed key in production
//!     HttpServer::new(move || {
//!         App::new()
//!             .configure(multi_account.routes::<user::Model>())
//!             .route("/", actix_web::web::get().to(home))
//!             .wrap(SessionToken)
//!             .wrap(SessionMiddleware::new(CookieSessionStore::default(), key.clone()))
//!     })
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! }
//!
//! async fn home(multi_account_actix::CurrentUser(user): multi_account_actix::CurrentUser<user::Model>) -> String {
//!     format!("Signed in as {}", user.email)
//! }
//! ```
//!
//! ## Guides
//!
//! [Getting started](https://github.com/multi-account/multi-account/blob/main/docs/getting-started.md),
//! [How it works](https://github.com/multi-account/multi-account/blob/main/docs/how-it-works.md),
//! [Actix integration](https://github.com/multi-account/multi-account/blob/main/docs/actix-integration.md),
//! [Security model](https://github.com/multi-account/multi-account/blob/main/docs/security-model.md),
//! [Testing your app](https://github.com/multi-account/multi-account/blob/main/docs/testing.md).
//!
//! ## Security model
//!
//! Stricter than the reference designs: a link completes only for the primary
//! that started it in this session (a fresh link intent), with a CSRF token, and
//! only for another signed-in account; switches need the token too; the session id
//! and CSRF token are renewed on link, switch and unlink; redirects go to local
//! paths only; malformed input is a 4xx, never a 500.

// Library code never unwraps input; tests may.
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

mod api_routes;
mod config;
pub mod csrf;
mod error;
mod extractors;
mod handlers;
mod loader;
mod redirect;
mod request;
mod routes;
pub mod session;
pub mod session_keys;
mod session_state;
mod session_token;
mod tab_prefix;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use config::MultiAccountConfig;
pub use error::MultiAccountError;
pub use extractors::{CurrentUser, PrimaryUser, SignedInAccounts};

/// The name [`SignedInAccounts`] had in 0.1.
#[deprecated(
    since = "0.2.0",
    note = "renamed to `SignedInAccounts`: it never refuses, while `CurrentUser` answers 401"
)]
pub type MultiAccount<U> = SignedInAccounts<U>;
pub use handlers::{AutoSubmitForm, DefaultHandlers, MultiAccountHandlers};
pub use multi_account::session::{AUDIT_TARGET, DEFAULT_LINK_INTENT_TTL, Paths, local_path};
pub use multi_account::session::{
    AccountSwitcher, FormAction, RememberedAccounts, SwitcherAccount, SwitcherRemembered, TabSwitch, Tabs,
};
pub use redirect::redirect;
pub use session_token::{SessionToken, SessionTokenMiddleware, new_session_token};
pub use tab_prefix::{TabPrefix, TabPrefixMiddleware};
