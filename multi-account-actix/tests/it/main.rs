//! The actix adapter's integration tests.
//!
//! One test binary per crate: linking one binary instead of one per file
//! saves minutes of every build on small machines.

#[macro_use]
mod support;

mod conformance;
mod faults;
mod fuzz_loader;
mod identity;
mod redis_instances;
mod security_open_redirect;
mod security_seams;
mod security_tampering;
mod session_helpers;
mod switcher;
