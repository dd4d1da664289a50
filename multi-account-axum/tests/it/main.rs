//! The axum adapter's integration tests: the conformance suite, through the
//! real HTTP surface (an in-process `Router`, tower-sessions' memory store).

mod conformance;
