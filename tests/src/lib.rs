//! Cross-crate tests of multi-account. The library itself is empty; the tests
//! live in `tests/`:
//!
//! - `e2e_browser` — headless Chromium, driven through chromedriver, signs in to
//!   the demo app, adds a second account, switches, removes it and signs out of
//!   all accounts, once with JavaScript and once without. It is skipped (with a
//!   message) when chromedriver is not installed, unless
//!   `MULTI_ACCOUNT_E2E_REQUIRED=1`. Screenshots of every step go to
//!   `target/e2e/`.
