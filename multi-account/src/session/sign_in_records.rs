//! Sign-in records: the session keeps one record per account that signed in
//! here (id → fingerprint of its `auth_hash`, or an empty string without one).
//! An account acts or is in this session's group only with a record in *this*
//! session: a `"user"` subject written without signing in, or a group row made
//! through another copy of the cookie, brings nobody in; an account whose hash
//! changed since (a new password) no longer counts.
//!
//! A record is small on purpose: cookie sessions hold about 4 KB, and a group
//! holds up to `1 + max_linked_accounts` of them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::change::SessionChange;
use super::keys;
use crate::{MultiAccountUser, auth_fingerprint};

/// The characters of a record kept: 64 bits of the fingerprint are plenty to
/// notice that a password hash changed.
pub(crate) const RECORD_LEN: usize = 16;

/// The session's sign-in records, keyed by canonical id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SignInRecords(BTreeMap<String, String>);

/// The record of `user` as it is now.
fn record<U: MultiAccountUser>(user: &U) -> String {
    auth_fingerprint(user)
        .map(|mut fingerprint| {
            fingerprint.truncate(RECORD_LEN);
            fingerprint
        })
        .unwrap_or_default()
}

impl SignInRecords {
    pub(crate) fn from_value(value: Option<&Value>) -> Self {
        // Deserialized from the borrowed value: no copy of the map per request.
        Self(value.and_then(|value| BTreeMap::deserialize(value).ok()).unwrap_or_default())
    }

    /// Whether `user` signed in here and its `auth_hash` is unchanged since.
    pub(crate) fn matches<U: MultiAccountUser>(&self, user: &U) -> bool {
        let current = record(user);
        self.0
            .get(&user.id().to_string())
            .is_some_and(|recorded| bool::from(recorded.as_bytes().ct_eq(current.as_bytes())))
    }

    fn write(self, change: &mut SessionChange) {
        if self.0.is_empty() {
            change.remove(keys::AUTH_FINGERPRINTS);
        } else {
            change.insert(keys::AUTH_FINGERPRINTS, serde_json::to_value(self.0).unwrap_or_default());
        }
    }
}

impl SessionChange {
    /// Records `user`'s sign-in in this session.
    pub(crate) fn remember<U: MultiAccountUser>(&mut self, user: &U) {
        let mut records = self.state().sign_in_records();
        records.0.insert(user.id().to_string(), record(user));
        records.write(self);
    }

    /// Drops the record of `id` (removed from the group).
    pub(crate) fn forget_sign_in(&mut self, id: &dyn std::fmt::Display) {
        let mut records = self.state().sign_in_records();
        if records.0.remove(&id.to_string()).is_some() {
            records.write(self);
        }
    }

    /// Keeps only the records of `ids` (a sign-in that starts over, a completed
    /// link): the session never holds more records than its group has accounts.
    pub(crate) fn retain_sign_ins(&mut self, ids: &[String]) {
        let mut records = self.state().sign_in_records();
        let before = records.0.len();
        records.0.retain(|id, _| ids.contains(id));
        if records.0.len() != before {
            records.write(self);
        }
    }
}
