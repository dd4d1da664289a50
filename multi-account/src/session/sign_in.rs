//! Signing in, and the writes of the signed-in account's id.

use super::change::{SessionChange, SessionWrite};
use super::config::SessionConfig;
use super::decision::Refusal;
use super::keys;
use super::state::SessionState;
use crate::{LinkService, MultiAccountUser, format_subject};

impl SessionConfig {
    /// Signs `user` in, after the app checked its password (or other proof): the
    /// `"user"` subject, a new session id and CSRF token (a privilege change),
    /// and the sign-in record (with the account's `auth_hash` fingerprint, if it
    /// has one). While a link is pending (after "Add another account", within
    /// its time limit) the group is kept, so this sign-in completes the link.
    /// Otherwise it starts a new group, and the group this browser had before is
    /// revoked in the database first, so no copy of the session reaches it
    /// again. Unavailable (and nothing to write) when the database fails.
    pub async fn sign_in<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        user: &U,
    ) -> Result<Vec<SessionWrite>, Refusal> {
        let mut change = SessionChange::new(state);
        let id = user.id();
        let continues = change.start_sign_in(&id.to_string());
        if let Some(group_id) = state.group_id().filter(|_| !continues) {
            let revoked = LinkService::<U>::revoke_group(&self.db, group_id).await.map_err(|error| {
                tracing::error!(%error, "multi-account: revoking the previous group at sign-in failed");
                Refusal::Unavailable
            })?;
            if revoked > 0 {
                tracing::info!(target: super::AUDIT_TARGET, event = "group_replaced", user = %id, links_removed = revoked);
            }
        }
        change.remove(keys::VIA_IDENTITY);
        change.insert(keys::USER, format_subject(U::SHORT_NAME, &id));
        change.remember(user);
        change.renew_privileges();
        Ok(change.into_writes())
    }
}

/// The writes that forget this browser's session: every key goes, the links
/// stay in the database. ([`SessionConfig::sign_out_all`] deletes them, then
/// forgets the session.)
pub fn forget_session() -> Vec<SessionWrite> {
    vec![SessionWrite::Purge]
}

/// The session's CSRF token, and the write that creates it when the session
/// has none yet: put it in every form that posts to a flow.
pub fn csrf_token(state: &SessionState) -> (String, Vec<SessionWrite>) {
    let mut change = SessionChange::new(state);
    let token = change.csrf_token();
    (token, change.into_writes())
}

/// A new CSRF token, and the write that stores it: every form rendered before
/// is spent (after a failed password guess, say).
pub fn rotate_csrf_token(state: &SessionState) -> (String, Vec<SessionWrite>) {
    let mut change = SessionChange::new(state);
    let token = change.rotate_csrf();
    (token, change.into_writes())
}
