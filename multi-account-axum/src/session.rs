//! Reading the multi-account session, and the writes an app makes itself:
//! [`MultiAccountConfig::sign_in`] and [`forget_session`]. Every other write goes
//! through the routes, so none skips the renewal, the CSRF rotation or the
//! sign-in record.

use multi_account::MultiAccountUser;
use multi_account::session::SignInPlan;
use tower_sessions::Session;

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;
use crate::extractors::SignedInAccounts;
use crate::session_state;

/// Forgets this browser's session: the whole session goes, the links stay in
/// the database. To sign out of every account and delete the links, use the
/// sign-out-all route or [`MultiAccountConfig::sign_out_all`].
pub async fn forget_session(session: &Session) -> Result<(), MultiAccountError> {
    session_state::apply(session, &multi_account::session::forget_session()).await
}

/// The signed-in account's id, from the `"user"` subject. It does not check the
/// account against the database: the extractors do.
pub async fn get_user_id<U: MultiAccountUser>(session: &Session) -> Result<Option<U::Id>, MultiAccountError> {
    Ok(session_state::read(session).await?.signed_in_id::<U>())
}

impl MultiAccountConfig {
    /// What a sign-in of `user`, whose proof passed, should do here (see
    /// [`SignInPlan`]): add it to the group, start a new group, or sign nobody
    /// in because it is in the group already or "Add another account" ended.
    /// `return_to` is where your sign-in page returns. Reads only; call it
    /// before [`sign_in`](Self::sign_in).
    pub async fn plan_sign_in<U: MultiAccountUser>(
        &self,
        session: &Session,
        accounts: &SignedInAccounts<U>,
        user: &U,
        return_to: Option<&str>,
    ) -> Result<SignInPlan, MultiAccountError> {
        let state = session_state::read(session).await?;
        Ok(self.core.plan_sign_in(&state, accounts.resolved(), user, return_to))
    }

    /// Signs `user` in: writes the `"user"` subject, cycles the session id and
    /// rotates the CSRF token (a privilege change), and records the sign-in
    /// (with the account's `auth_hash` fingerprint, if it has one). While a link
    /// is pending (after "Add another account", within its time limit) the
    /// group is kept, so this sign-in completes the link; otherwise it starts a
    /// new group and revokes the one this browser had (its links are deleted,
    /// so no copy of the session reaches them). Call it from your sign-in
    /// handler after the password (or other) check. On a database error
    /// nothing is written.
    pub async fn sign_in<U: MultiAccountUser>(&self, session: &Session, user: &U) -> Result<(), MultiAccountError> {
        let state = session_state::read(session).await?;
        let writes = self.core.sign_in(&state, user).await?;
        session_state::apply(session, &writes).await
    }

    /// Signs out of every account in this browser: deletes this session's links,
    /// then clears the session. Call it from your own sign-out handler (the
    /// sign-out-all route does the same). On a database error nothing is cleared.
    pub async fn sign_out_all<U: MultiAccountUser>(&self, session: &Session) -> Result<u64, MultiAccountError> {
        let state = session_state::read(session).await?;
        let (writes, removed) = self.core.sign_out_all::<U>(&state).await?;
        session_state::apply(session, &writes).await?;
        Ok(removed)
    }

    /// The primary that is adding an account in this session, while its link
    /// intent is fresh: your sign-in page can say "Add another account" then.
    pub async fn pending_link<U: MultiAccountUser>(
        &self,
        session: &Session,
    ) -> Result<Option<U::Id>, MultiAccountError> {
        Ok(self.core.pending_link::<U>(&session_state::read(session).await?))
    }
}

/// Stores a one-shot message for the next page ("bob@example.com is already
/// signed in", say); [`take_flash`] shows it once.
pub async fn put_flash(session: &Session, message: &str) -> Result<(), MultiAccountError> {
    session.insert_value(multi_account::session::keys::FLASH, message.into()).await?;
    Ok(())
}

/// Takes (and removes) the one-shot message a flow left for the next page (a
/// refused link, a primary that cannot be removed, ..). Call it where you
/// render pages.
pub async fn take_flash(session: &Session) -> Result<Option<String>, MultiAccountError> {
    // Read first: tower-sessions counts any removal as a change, and a page
    // without a message must not write the session.
    if session.get_value(multi_account::session::keys::FLASH).await?.is_none() {
        return Ok(None);
    }
    let message = session.remove_value(multi_account::session::keys::FLASH).await?;
    Ok(message.and_then(|value| value.as_str().map(str::to_owned)))
}
