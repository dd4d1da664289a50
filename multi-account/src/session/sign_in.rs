//! Signing in, and the writes of the signed-in account's id.

use super::change::{SessionChange, SessionWrite};
use super::config::SessionConfig;
use super::decision::Refusal;
use super::keys;
use super::state::SessionState;
use crate::{LinkService, MultiAccountUser, format_subject};

impl SessionChange {
    /// Makes `id` the signed-in account (the `"user"` subject, and the identity
    /// layer's id when the session has one, so it follows switches). It signs
    /// nobody in by itself: an account counts only with a sign-in record.
    pub(crate) fn set_user<U: MultiAccountUser>(&mut self, id: &U::Id) {
        if let Some(key) = self.state().identity_key().filter(|key| self.state().contains(key)) {
            self.insert(key, id.to_string());
        }
        self.insert(keys::USER, format_subject(U::SHORT_NAME, id));
    }

    /// Forgets the signed-in account (and the identity layer's id).
    pub(crate) fn forget_user(&mut self) {
        if let Some(key) = self.state().identity_key() {
            self.remove(key);
            self.remove(keys::VIA_IDENTITY);
        }
        self.remove(keys::USER);
    }

    /// Removes the multi-account keys (primary id, session token, link intent).
    pub(crate) fn clear_multi_account(&mut self) {
        for key in keys::MULTI_ACCOUNT_KEYS {
            self.remove(key);
        }
    }

    /// A sign-in of `id` outside a running link flow starts over: the group of
    /// whoever used this browser before is left behind (a new session token, so
    /// its links are not found again, and no sign-in records but the new one),
    /// so a later "Add another account" cannot bring those accounts back. With a
    /// link intent pending and not stale (by the system clock: the identity
    /// layer's adoption has no config), the group stays: this sign-in completes
    /// a link, and the intent records that `id` signed in during it. Returns
    /// whether the sign-in continues a link.
    pub(crate) fn start_sign_in(&mut self, id: &str) -> bool {
        let now = super::link_intent::system_now();
        if let Some(intent) = self.state().link_intent().filter(|intent| intent.continues_at(now)) {
            self.insert(keys::LINK_INTENT, intent.signed_in_as(id.to_owned()).to_value());
            return true;
        }
        self.remove(keys::LINK_INTENT);
        self.remove(keys::PRIMARY_USER_ID);
        self.retain_sign_ins(&[]);
        // Every signed-in session has a token; writing it here (not on the next
        // request, in the middleware) leaves the session steady after the sign-in.
        self.insert(keys::SESSION_TOKEN, super::new_session_token());
        false
    }

    /// An id the app just signed in through the identity layer (it differs from
    /// the `"user"` subject): signed in here as [`sign_in`] does (a new group
    /// unless a link is pending, the subject, a rotated CSRF token; the caller
    /// records the sign-in once it loaded the account). Returns the id, once.
    pub(crate) fn adopt_identity<U: MultiAccountUser>(&mut self) -> Option<U::Id> {
        let identity = self.state().identity_id::<U>()?;
        if self.state().subject_id::<U>().as_ref() == Some(&identity) {
            return None;
        }
        self.start_sign_in(&identity.to_string());
        self.insert(keys::VIA_IDENTITY, true);
        self.insert(keys::USER, format_subject(U::SHORT_NAME, &identity));
        self.rotate_csrf();
        Some(identity)
    }
}

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
        if let Some(token) = state.session_token().filter(|_| !continues) {
            let revoked = LinkService::<U>::unlink_session(&self.db, token).await.map_err(|error| {
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

/// The writes of signing out of everything in this browser: the whole session
/// goes. ([`SessionConfig::sign_out_all`](super::SessionConfig::sign_out_all) also deletes the session's links.)
pub fn sign_out() -> Vec<SessionWrite> {
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
