//! The core's integration tests.
//!
//! One test binary per crate: linking one binary instead of one per file
//! saves minutes of every build on small machines.

#[macro_use]
mod support;

mod key_types;
mod link_race;
mod link_service;
mod link_ttl;
mod migration;
mod session_policy;
mod subject;
mod ui;
