//! The Rust code blocks of `docs/*.md` compile: each guide is a doctest of this
//! crate (`cargo test -p multi-account-tests --doc`), and a block that is not
//! marked `ignore` must build against the libraries alone. The getting-started
//! guides are checked whole by the `guide` test instead. A block may bring the
//! shared context into scope with one hidden line, `# use
//! multi_account_tests::doc_support::*;`.

pub mod doc_support;

#[cfg(doctest)]
#[doc = include_str!("../../docs/actix-integration.md")]
pub struct ActixIntegration;

#[cfg(doctest)]
#[doc = include_str!("../../docs/axum-integration.md")]
pub struct AxumIntegration;

#[cfg(doctest)]
#[doc = include_str!("../../docs/how-it-works.md")]
pub struct HowItWorks;

#[cfg(doctest)]
#[doc = include_str!("../../docs/security-model.md")]
pub struct SecurityModel;

#[cfg(doctest)]
#[doc = include_str!("../../docs/sign-in-strategies.md")]
pub struct SignInStrategies;

#[cfg(doctest)]
#[doc = include_str!("../../docs/per-tab-accounts.md")]
pub struct PerTabAccounts;

#[cfg(doctest)]
#[doc = include_str!("../../docs/remembered-accounts.md")]
pub struct RememberedAccounts;

#[cfg(doctest)]
#[doc = include_str!("../../docs/single-page-apps.md")]
pub struct SinglePageApps;

#[cfg(doctest)]
#[doc = include_str!("../../docs/testing.md")]
pub struct Testing;
