//! Reading the multi-account session, and the two writes an app makes itself:
//! [`MultiAccountConfig::sign_in`] and [`forget_session`]. Every other write goes through the routes, so
//! none skips the renewal, the CSRF rotation or the sign-in record.
//!
//! Readers never fail: a missing, tampered or malformed value reads as `None`,
//! because a session value is user input.

use actix_session::Session;
use multi_account::MultiAccountUser;
use multi_account::session::{SessionState, SignInPlan};

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;
use crate::extractors::SignedInAccounts;
use crate::session_state;

/// The identity key the free functions read: actix-identity's default.
fn default_identity_key() -> Option<&'static str> {
    #[cfg(feature = "identity")]
    return Some(crate::session_keys::IDENTITY_USER_ID);
    #[cfg(not(feature = "identity"))]
    None
}

fn state(session: &Session) -> SessionState {
    session_state::read(session, default_identity_key())
}

/// The signed-in account's id, parsed from the `"user"` subject.
///
/// With the `identity` feature, actix-identity's id (written by
/// `Identity::login(&req.extensions(), user.id.to_string())`) comes first: it is
/// what the app signed in last. This reads actix-identity's default key; an app
/// that changed it (`IdentityMiddleware::builder().id_key(..)`) tells
/// `MultiAccountConfig::with_identity_key` (feature `identity`), which the
/// extractors and routes use. It does not check the account against the
/// database: the extractors do.
pub fn get_user_id<U: MultiAccountUser>(session: &Session) -> Option<U::Id> {
    state(session).signed_in_id::<U>()
}

/// The primary account's id (multi-account mode only).
pub fn get_primary_user_id<U: MultiAccountUser>(session: &Session) -> Option<U::Id> {
    state(session).primary_id::<U>()
}

/// The browser session's link token.
pub fn get_session_token(session: &Session) -> Option<String> {
    state(session).session_token().map(str::to_owned)
}

/// The primary id and session token when the session is in multi-account mode.
pub fn multi_account_session<U: MultiAccountUser>(session: &Session) -> Option<(U::Id, String)> {
    state(session).multi_account::<U>()
}

/// Whether the session is in multi-account mode (both keys present and valid).
pub fn is_multi_account_session<U: MultiAccountUser>(session: &Session) -> bool {
    multi_account_session::<U>(session).is_some()
}

/// Forgets this browser's session: every key goes, the links stay in the
/// database (a copy of a cookie-store session still reaches them). To sign out
/// of every account and delete the links, use the sign-out-all route or
/// [`MultiAccountConfig::sign_out_all`].
pub fn forget_session(session: &Session) -> Result<(), MultiAccountError> {
    session.purge();
    Ok(())
}

impl MultiAccountConfig {
    /// What a sign-in of `user`, whose proof passed, should do here (see
    /// [`SignInPlan`]): add it to the group, start a new group, or sign nobody
    /// in because it is in the group already or "Add another account" ended.
    /// `return_to` is where your sign-in page returns. Reads only; call it
    /// before [`sign_in`](Self::sign_in).
    pub fn plan_sign_in<U: MultiAccountUser>(
        &self,
        session: &Session,
        accounts: &SignedInAccounts<U>,
        user: &U,
        return_to: Option<&str>,
    ) -> SignInPlan {
        let state = session_state::read_for(self, session);
        self.core.plan_sign_in(&state, accounts.resolved(), user, return_to)
    }

    /// Signs `user` in: writes the `"user"` subject, renews the session id and
    /// rotates the CSRF token (a privilege change), and records the sign-in
    /// (with the account's `auth_hash` fingerprint, if it has one). While a link
    /// is pending (after "Add another account", within its time limit) the
    /// group is kept, so this sign-in completes the link; otherwise it starts a
    /// new group and revokes the one this browser had (its links are deleted,
    /// so no copy of the session reaches them). Call it from your sign-in
    /// handler after the password (or other) check succeeded. On a database
    /// error nothing is written.
    pub async fn sign_in<U: MultiAccountUser>(&self, session: &Session, user: &U) -> Result<(), MultiAccountError> {
        let state = session_state::read_for(self, session);
        let writes = self.core.sign_in(&state, user).await?;
        session_state::apply(session, &writes)
    }

    /// The primary that is adding an account in this session, while its link
    /// intent is fresh: your sign-in page can say "Add another account" then.
    pub fn pending_link<U: MultiAccountUser>(&self, session: &Session) -> Option<U::Id> {
        self.core.pending_link::<U>(&session_state::read_for(self, session))
    }

    /// Signs out of every account in this browser: deletes this session's links,
    /// then clears the session. Call it from your own sign-out handler (the
    /// sign-out-all route does the same). On a database error nothing is cleared.
    pub async fn sign_out_all<U: MultiAccountUser>(&self, session: &Session) -> Result<u64, MultiAccountError> {
        let state = session_state::read_for(self, session);
        let (writes, removed) = self.core.sign_out_all::<U>(&state).await?;
        session_state::apply(session, &writes)?;
        Ok(removed)
    }
}

/// Stores a one-shot message for the next page ("bob@example.com is already
/// signed in", say); [`take_flash`] shows it once.
pub fn put_flash(session: &Session, message: &str) -> Result<(), MultiAccountError> {
    session.insert(multi_account::session::keys::FLASH, message)?;
    Ok(())
}

/// Takes (and removes) the one-shot message a flow left for the next page (a
/// refused link, a primary that cannot be removed, ..). Call it where you
/// render pages. A message that is not text reads as none.
pub fn take_flash(session: &Session) -> Result<Option<String>, MultiAccountError> {
    let message = session.get::<String>(multi_account::session::keys::FLASH).ok().flatten();
    if message.is_some() {
        session.remove(multi_account::session::keys::FLASH);
    }
    Ok(message)
}
