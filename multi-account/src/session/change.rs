//! The writes a decision asks the adapter to make, collected while deciding.
//! Every writer of a session change lives here: the CSRF token, the sign-in
//! records, the signed-in account and the link intent are values elsewhere.

use serde_json::Value;

use super::state::SessionState;
use super::{csrf, keys};
use crate::{MultiAccountUser, format_subject};

/// One write to the session. Apply a decision's writes in order. Not
/// `non_exhaustive`: a new kind of write is a compile error in each adapter
/// until it applies it.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionWrite {
    /// Set `key` to `value`.
    Insert {
        /// The session key.
        key: &'static str,
        /// Its new JSON value.
        value: Value,
    },
    /// Remove `key`.
    Remove {
        /// The session key.
        key: &'static str,
    },
    /// Give the session a new id (a privilege change), keeping its entries.
    Renew,
    /// Delete the session, every entry.
    Purge,
    /// Not a session entry: set a cookie of multi-account's own on the
    /// response (the remembered accounts'), as this `Set-Cookie` header value.
    SetCookie {
        /// The whole `Set-Cookie` header value, attributes included.
        header: String,
    },
}

/// The state as the writes so far leave it, and those writes: decisions read
/// the first and append to the second, so a later rule sees an earlier write.
#[derive(Debug)]
pub(crate) struct SessionChange {
    state: SessionState,
    writes: Vec<SessionWrite>,
}

impl SessionChange {
    pub(crate) fn new(state: &SessionState) -> Self {
        Self { state: state.clone(), writes: Vec::new() }
    }

    /// The state with the writes so far.
    pub(crate) fn state(&self) -> &SessionState {
        &self.state
    }

    pub(crate) fn insert(&mut self, key: &'static str, value: impl Into<Value>) {
        let value = value.into();
        self.state.set(key, value.clone());
        self.writes.push(SessionWrite::Insert { key, value });
    }

    /// Removes `key`; a key the session does not hold is no write at all.
    pub(crate) fn remove(&mut self, key: &'static str) {
        if self.state.remove(key) {
            self.writes.push(SessionWrite::Remove { key });
        }
    }

    pub(crate) fn renew(&mut self) {
        self.writes.push(SessionWrite::Renew);
    }

    pub(crate) fn into_writes(self) -> Vec<SessionWrite> {
        self.writes
    }

    /// The session's CSRF token, created (written) on first use.
    pub(crate) fn csrf_token(&mut self) -> String {
        match self.state().csrf_token() {
            Some(token) => token.to_owned(),
            None => self.rotate_csrf(),
        }
    }

    /// Replaces the CSRF token, invalidating every form rendered before.
    pub(crate) fn rotate_csrf(&mut self) -> String {
        let token = csrf::new_token();
        self.insert(keys::CSRF_TOKEN, token.clone());
        token
    }

    /// A privilege change: a new session id and a new CSRF token.
    pub(crate) fn renew_privileges(&mut self) {
        self.renew();
        self.rotate_csrf();
    }

    /// Records `user`'s sign-in in this session.
    pub(crate) fn remember<U: MultiAccountUser>(&mut self, user: &U) {
        let mut records = self.state().sign_in_records();
        records.insert(user);
        self.write_records(&records);
    }

    /// Drops the record of `id` (it left the group).
    pub(crate) fn forget_sign_in(&mut self, id: &dyn std::fmt::Display) {
        let mut records = self.state().sign_in_records();
        if records.remove(&id.to_string()) {
            self.write_records(&records);
        }
    }

    /// Keeps only the records of `ids` (a sign-in that starts over, the group
    /// as this request resolved it): the session never holds more records than
    /// its group has accounts.
    pub(crate) fn retain_sign_ins(&mut self, ids: &[String]) {
        let mut records = self.state().sign_in_records();
        if records.retain(ids) {
            self.write_records(&records);
        }
    }

    /// Gives `ids` (the listed accounts, in order) their tab slots: kept
    /// slots stay, newcomers get new ones, the others' go.
    pub(crate) fn keep_slots(&mut self, ids: &[String]) {
        let mut slots = self.state().slots();
        if slots.keep(ids) {
            self.insert(keys::SLOTS, slots.to_value());
        }
    }

    /// What the rest of this request acts as: the account on `slot`, or the
    /// session's default. Not a write: a tab is the request's, not the session's.
    pub(crate) fn select_tab(&mut self, slot: Option<u32>) {
        self.state.set_tab(slot.map(super::tabs::TabSelector::of_slot));
    }

    /// Stores `list` as the remembered accounts' cookie (one cookie write per
    /// decision: a later one replaces an earlier one), and reads it from now on.
    pub(crate) fn write_remembered(
        &mut self,
        remembered: &super::remembered::RememberedAccounts,
        list: &super::remembered::RememberedList,
    ) {
        let header = remembered.seal(list);
        let value = header.split(';').next().and_then(|pair| pair.split_once('=')).map(|(_, value)| value);
        self.state.set_remembered_cookie(value.filter(|value| !value.is_empty()).map(str::to_owned));
        self.writes.retain(|write| !matches!(write, SessionWrite::SetCookie { .. }));
        self.writes.push(SessionWrite::SetCookie { header });
    }

    fn write_records(&mut self, records: &super::sign_in_records::SignInRecords) {
        match records.to_value() {
            Some(value) => self.insert(keys::AUTH_FINGERPRINTS, value),
            None => self.remove(keys::AUTH_FINGERPRINTS),
        }
    }

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
        self.remove(keys::GROUP_ID);
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
