//! Cross-crate tests: the browser end-to-end run and the getting-started guide.
//!
//! One test binary per crate: linking one binary instead of one per file
//! saves minutes of every build on small machines.

mod e2e_browser;
