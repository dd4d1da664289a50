//! `cargo multi-account install` on fixture apps (copied to a temporary
//! directory first): what it writes, that it writes nothing on a second run,
//! on `--dry-run` or on a failure.

mod http;
mod support;

mod builds;
mod failures;
mod layouts;
