//! The session model, framework-free: what a multi-account session holds, who is
//! signed in, and what each flow may do.
//!
//! Adapters (`multi-account-actix`, `multi-account-axum`) read the session once
//! into a [`SessionState`], ask [`SessionConfig`] for a decision ([`resolve`]
//! who is signed in, or run a flow: sign-in, link start and complete, switch,
//! remove, sign-out-all), and *apply* what it returns: the [`SessionWrite`]s, in
//! order, then the [`Response`]. Nothing here reads a request or writes a
//! session itself, so every rule is tested without HTTP.
//!
//! [`resolve`]: SessionConfig::resolve

mod accounts;
mod api;
mod api_body;
mod audit;
mod budget;
mod change;
mod config;
mod csrf;
mod decision;
mod flows;
#[doc(hidden)]
pub mod html;
pub mod keys;
mod link_intent;
#[cfg(feature = "openapi")]
mod openapi;
mod origin;
mod paths;
mod remembered;
mod remembered_flows;
mod remembered_note;
mod resolve;
mod sign_in;
mod sign_in_plan;
mod sign_in_records;
mod slots;
mod state;
mod switcher;
mod tabs;

pub use accounts::Accounts;
pub use api::CSRF_HEADER;
pub use api_body::{
    AccountAction, ApiAccount, ApiAccounts, ApiBody, ApiDecision, ApiError, ApiLinkStarted, ApiRemembered,
    RememberedAction, SessionAction,
};
pub use audit::AUDIT_TARGET;
pub use budget::COOKIE_SESSION_BUDGET;
pub use change::SessionWrite;
pub use config::SessionConfig;
pub use decision::{Decision, Destinations, Form, Refusal, Response};
pub use html::CSRF_FIELD;
pub use link_intent::DEFAULT_LINK_INTENT_TTL;
#[cfg(feature = "openapi")]
pub use openapi::openapi;
pub use origin::{FlowRequest, local_path};
pub use paths::{Paths, query_flag};
pub use remembered::{LOGIN_HINT, REMEMBERED_COOKIE, RememberedAccount, RememberedAccounts, RememberedKeyTooShort};
pub use resolve::Resolution;
pub use sign_in::{csrf_token, forget_session, rotate_csrf_token};
pub use sign_in_plan::SignInPlan;
pub use state::SessionState;
pub use switcher::{AccountSwitcher, FormAction, SwitcherAccount, SwitcherRemembered};
pub use tabs::{TabSelector, TabSwitch, Tabs};

/// A new random session token: 128 bits from the OS generator, hex encoded.
pub fn new_session_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
