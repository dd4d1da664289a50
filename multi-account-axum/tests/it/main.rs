//! The axum adapter's integration tests, through the real HTTP surface (an
//! in-process `Router` with tower-sessions' memory store).

mod support;

mod flows;
mod security;
