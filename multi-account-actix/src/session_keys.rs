//! Every session key this crate reads or writes, named in one place (the
//! core's, [`multi_account::session::keys`], plus actix-identity's).

pub use multi_account::session::keys::*;

/// actix-identity's default key for the signed-in id (feature `identity`): read
/// as the current account when present, and written on every switch. See
/// `MultiAccountConfig::with_identity_key` (feature `identity`).
pub const IDENTITY_USER_ID: &str = "actix_identity.user_id";
