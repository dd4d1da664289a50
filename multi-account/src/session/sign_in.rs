//! Signing in, and the writes of the signed-in account's id.

use super::change::{SessionChange, SessionWrite};
use super::keys;
use super::state::SessionState;
use crate::{MultiAccountUser, format_subject};

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

    /// A sign-in outside a running link flow starts over: the group of whoever
    /// used this browser before is left behind (a new session token, so its
    /// links are not found again, and no sign-in records but the new one), so a
    /// later "Add another account" cannot bring those accounts back. With a link
    /// intent pending and not stale (by the system clock: the sign-in helper has
    /// no config), the group stays: this sign-in completes a link.
    pub(crate) fn start_sign_in(&mut self) {
        let now = super::link_intent::system_now();
        if self.state().link_intent().is_some_and(|intent| intent.continues_at(now)) {
            return;
        }
        self.remove(keys::LINK_INTENT);
        self.remove(keys::PRIMARY_USER_ID);
        self.retain_sign_ins(&[]);
        // Every signed-in session has a token; writing it here (not on the next
        // request, in the middleware) leaves the session steady after the sign-in.
        self.insert(keys::SESSION_TOKEN, super::new_session_token());
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
        self.start_sign_in();
        self.insert(keys::VIA_IDENTITY, true);
        self.insert(keys::USER, format_subject(U::SHORT_NAME, &identity));
        self.rotate_csrf();
        Some(identity)
    }
}

/// The writes that sign `user` in: the `"user"` subject, a new session id and
/// CSRF token (a privilege change), and the sign-in record (with the account's
/// `auth_hash` fingerprint, if it has one). While a link is pending (after "Add
/// another account", within its time limit) the group is kept, so this sign-in
/// completes the link; otherwise it starts a new group. Adapters call it from
/// their `sign_in` helper, after the app checked the password (or other proof).
pub fn sign_in<U: MultiAccountUser>(state: &SessionState, user: &U) -> Vec<SessionWrite> {
    let mut change = SessionChange::new(state);
    change.start_sign_in();
    change.remove(keys::VIA_IDENTITY);
    change.insert(keys::USER, format_subject(U::SHORT_NAME, &user.id()));
    change.remember(user);
    change.renew_privileges();
    change.into_writes()
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
