//! Every session key multi-account reads or writes, named in one place. They
//! are the keys of the first release, so sessions survive upgrades.

/// The signed-in account, as the subject `"<short_name>?id=<id>"`.
pub const USER: &str = "user";
/// The primary account's id, present only in multi-account mode.
pub const PRIMARY_USER_ID: &str = "primary_user_id";
/// The random token that ties links to this browser session.
pub const SESSION_TOKEN: &str = "session_token";
/// The identity of this browser's group (kept when the group moves to a new
/// session token); absent in sessions of 0.1, whose group's identity is their
/// session token.
pub const GROUP_ID: &str = "_multi_account_group";
/// The synchronizer CSRF token.
pub const CSRF_TOKEN: &str = "_multi_account_csrf";
/// A pending link intent (primary id, creation time, return path).
pub const LINK_INTENT: &str = "_multi_account_link_intent";
/// The sign-in record of each account signed in here (id → a fingerprint of its
/// `auth_hash`, empty without one).
pub const AUTH_FINGERPRINTS: &str = "_multi_account_auth";
/// A one-shot message for the next page.
pub const FLASH: &str = "_multi_account_flash";
/// Set when the signed-in account came from an identity layer (actix-identity):
/// once its id is gone (it logged out), so is the account.
pub const VIA_IDENTITY: &str = "_multi_account_identity";

/// Each listed account's stable tab slot, and the next one to give (only when
/// the app turned per-tab accounts on).
pub const SLOTS: &str = "_multi_account_slots";

/// The keys that make a session multi-account; they go when nobody is signed in.
pub(crate) const MULTI_ACCOUNT_KEYS: [&str; 4] = [PRIMARY_USER_ID, SESSION_TOKEN, GROUP_ID, LINK_INTENT];
