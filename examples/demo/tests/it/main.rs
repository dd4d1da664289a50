//! The demo's tests: its pages over HTTP, each database backend, the sign-in
//! throttle, exact email matching, OpenID Connect, email links and remembered
//! accounts.
//!
//! One test binary per crate: linking one binary instead of one per file
//! saves minutes of every build on small machines.

#[macro_use]
mod support;

mod backends;
mod database;
mod demo;
mod email_link;
mod exact_emails;
mod json_sign_in;
mod oidc;
mod openapi;
mod remembered;
mod throttle;
