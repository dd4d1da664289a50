//! The axum adapter's integration tests: the conformance suite, through the
//! real HTTP surface (an in-process `Router`), over tower-sessions' memory, Redis and SQL stores.

mod config;
mod conformance;
mod sql_store;
mod tower_service;
