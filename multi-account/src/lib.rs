//! # multi-account
//!
//! Multi-account linking and switching for Rust web apps, like Google's account
//! switcher: a person signs in to several accounts in one browser and moves between
//! them without signing in again.
//!
//! This is the framework-agnostic core over [SeaORM](https://www.sea-ql.org/SeaORM/):
//!
//! - [`MultiAccountUser`] — derive it on your user `Model` (`#[derive(MultiAccountUser)]`);
//! - [`LinkedAccount`] — derive it in a module to generate the linked-accounts entity;
//! - [`LinkService`] — link, unlink, switch checks and the one-query [`AccountGroup`];
//! - [`format_subject`] / [`parse_subject`] — the `"user?id=<id>"` session subject;
//! - [`migration::LinkedAccountsMigration`] — the table, for your `Migrator`, and
//!   [`migration::LinkedAccountsUpgrade`] — its upgrade from 0.1;
//! - [`session`] — the session policy both framework adapters apply.
//!
//! ## Guides
//!
//! [Getting started](https://github.com/multi-account/multi-account/blob/main/docs/getting-started.md),
//! [How it works](https://github.com/multi-account/multi-account/blob/main/docs/how-it-works.md),
//! [actix-web integration](https://github.com/multi-account/multi-account/blob/main/docs/actix-integration.md),
//! [axum integration](https://github.com/multi-account/multi-account/blob/main/docs/axum-integration.md),
//! [Security model](https://github.com/multi-account/multi-account/blob/main/docs/security-model.md),
//! [Testing your app](https://github.com/multi-account/multi-account/blob/main/docs/testing.md).
//!
//! The web framework integrations (middleware or layer, extractors, handlers,
//! routes) live in `multi-account-actix` (actix-web with actix-session) and
//! `multi-account-axum` (axum with tower-sessions); both apply the decisions of
//! [`session`], so they behave the same.
//!
//! ```
//! mod user {
//!     // src/user.rs
//!     use multi_account::MultiAccountUser;
//!     use sea_orm::entity::prelude::*;
//!
//!     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
//!     #[sea_orm(table_name = "users")]
//!     #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
//!     pub struct Model {
//!         #[sea_orm(primary_key)]
//!         pub id: i64,
//!         pub email: String,
//!     }
//!
//!     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//!     pub enum Relation {}
//!
//!     impl ActiveModelBehavior for ActiveModel {}
//! }
//!
//! mod linked_account {
//!     // src/linked_account.rs
//!     #[derive(multi_account::LinkedAccount)]
//!     #[linked_account(user = crate::user::Entity)]
//!     pub struct LinkedAccount;
//! }
//! # fn main() {}
//! ```

// Library code never unwraps input; tests may.
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

mod account_id;
mod active_user;
mod error;
mod group;
mod group_query;
mod link_service;
mod linked_account;
#[cfg(feature = "migration")]
pub mod migration;
mod schema;
pub mod session;
mod statement_cache;
mod subject;
#[cfg(feature = "test-support")]
pub mod test_database;
mod user;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
// Reachable from the crate root, rustc names these traits without the
// `__private` path in the derives' compile errors.
#[doc(hidden)]
pub use __private::{LinkedAccountEntity, SameUser};

pub use account_id::{AccountId, MAX_ID_LEN};
pub use error::LinkError;
pub use group::AccountGroup;
pub use link_service::{LinkOutcome, LinkService};
pub use linked_account::{LinkStatus, LinkedAccountColumn, LinkedAccountOf, PrimaryKeyOf};
pub use schema::{LinkedAccountsTable, create_linked_accounts_table, linked_accounts_schema};
pub use subject::{SubjectError, format_subject, parse_subject};
pub use user::{MultiAccountEntity, MultiAccountUser, auth_fingerprint};

pub use multi_account_derive::{LinkedAccount, MultiAccountUser};

/// The longest session token the link service accepts (the middleware writes 32
/// characters).
pub const MAX_SESSION_TOKEN_LEN: usize = 64;

/// The default subject short name.
pub const DEFAULT_SHORT_NAME: &str = "user";

/// The default `max_linked_accounts`.
pub const DEFAULT_MAX_LINKED_ACCOUNTS: usize = 5;
