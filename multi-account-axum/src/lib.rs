//! # multi-account-axum
//!
//! The axum integration of [`multi_account`]: sign in to several accounts in one
//! browser and switch between them without signing in again. The rules live in
//! [`multi_account::session`]; this crate reads tower-sessions' session, asks
//! the core, and applies its decision — the same model, the same security
//! checks, as `multi-account-actix`.
//!
//! - [`MultiAccountConfig::layer`] — the layer (inside tower-sessions'
//!   `SessionManagerLayer`) that makes the config reachable and gives every
//!   signed-in session a link token;
//! - [`CurrentUser`], [`PrimaryUser`], [`SignedInAccounts`] — extractors, sharing
//!   one load per request, one query in multi-account mode;
//! - [`MultiAccountConfig::router`] — link, switch, remove and sign-out-all;
//! - [`MultiAccountHandlers`] — redirect paths and the link pages;
//! - [`session`] — `forget_session`, flash messages (sign in with `MultiAccountConfig::sign_in`);
//! - [`csrf`] — the CSRF token for your own forms.
//!
//! Any tower-sessions store works; the session's keys are the core's
//! ([`multi_account::session::keys`]).

// Library code never unwraps input; tests may.
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

mod api_routes;
mod config;
pub mod csrf;
mod error;
mod extractors;
mod handlers;
mod layer;
mod request;
mod routes;
pub mod session;
mod session_state;
mod tab_prefix;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use config::MultiAccountConfig;
pub use error::MultiAccountError;
pub use extractors::{CurrentUser, PrimaryUser, SignedInAccounts};
pub use handlers::{DefaultHandlers, MultiAccountHandlers};
pub use layer::{MultiAccountLayer, MultiAccountService};
pub use multi_account::session::{
    AUDIT_TARGET, AccountSwitcher, FormAction, Paths, RememberedAccounts, SwitcherAccount, SwitcherRemembered,
    TabSwitch, Tabs, local_path,
};
pub use tab_prefix::{TabPrefixLayer, TabPrefixService};
