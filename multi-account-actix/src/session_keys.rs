//! Every session key this crate reads or writes, named in one place.

/// The signed-in account, as the subject `"<short_name>?id=<id>"`.
pub const USER: &str = "user";
/// The primary account's id, present only in multi-account mode.
pub const PRIMARY_USER_ID: &str = "primary_user_id";
/// The random token that ties links to this browser session.
pub const SESSION_TOKEN: &str = "session_token";
/// The synchronizer CSRF token.
pub const CSRF_TOKEN: &str = "_multi_account_csrf";
/// A pending link intent (primary id, creation time, return path).
pub const LINK_INTENT: &str = "_multi_account_link_intent";
/// The sign-in record of each account signed in here (id → a fingerprint of its
/// `auth_hash`, empty without one).
pub const AUTH_FINGERPRINTS: &str = "_multi_account_auth";
/// A one-shot message for the next page.
pub const FLASH: &str = "_multi_account_flash";

/// actix-identity's default key for the signed-in id (feature `identity`): read
/// as the current account when present, and written on every switch. See
/// `MultiAccountConfig::with_identity_key` (feature `identity`).
pub const IDENTITY_USER_ID: &str = "actix_identity.user_id";

/// Set when the signed-in account came from actix-identity: once its id is gone
/// (actix-identity logged out), so is the account.
#[cfg(feature = "identity")]
pub(crate) const VIA_IDENTITY: &str = "_multi_account_identity";

/// The keys [`crate::session::clear_multi_account_session`] removes.
pub(crate) const MULTI_ACCOUNT_KEYS: [&str; 3] = [PRIMARY_USER_ID, SESSION_TOKEN, LINK_INTENT];
