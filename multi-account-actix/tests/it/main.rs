//! The actix adapter's integration tests.
//!
//! One test binary per crate: linking one binary instead of one per file
//! saves minutes of every build on small machines.

#[macro_use]
mod support;

mod audit_events;
mod conformance;
mod faults;
mod flows;
mod fuzz_loader;
mod identity;
mod loader;
mod query_counts;
mod redis_instances;
mod security_csrf;
mod security_fixation;
mod security_forged_link;
mod security_malformed_input;
mod security_open_redirect;
mod security_privilege;
mod security_seams;
mod security_tampering;
mod session_helpers;
mod switcher;
