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

    /// Records `user`'s sign-in as it is now.
    pub(crate) fn insert<U: MultiAccountUser>(&mut self, user: &U) {
        self.0.insert(user.id().to_string(), record(user));
    }

    /// Whether `id` has a record here.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }

    /// Drops the record of `id`; whether there was one.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        self.0.remove(id).is_some()
    }

    /// Keeps only the records of `ids`; whether any went.
    pub(crate) fn retain(&mut self, ids: &[String]) -> bool {
        let before = self.0.len();
        self.0.retain(|id, _| ids.contains(id));
        self.0.len() != before
    }

    /// The session value, or `None` when there is no record left.
    pub(crate) fn to_value(&self) -> Option<Value> {
        (!self.0.is_empty()).then(|| serde_json::to_value(&self.0).unwrap_or_default())
    }
}
