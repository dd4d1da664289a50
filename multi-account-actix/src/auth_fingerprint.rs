//! Sign-in records: the session keeps one record per account that signed in
//! here (id → fingerprint of its `auth_hash`, or an empty string without one).
//! An account acts or is in this session's group only with a record in *this*
//! session: a `"user"` subject written without `session::sign_in`, or a group row
//! made through another copy of the cookie, brings nobody in; an account whose
//! hash changed since (a new password) no longer counts.
//!
//! A record is small on purpose: cookie sessions hold about 4 KB, and a group
//! holds up to `1 + max_linked_accounts` of them.

use std::collections::BTreeMap;

use actix_session::{Session, SessionInsertError};
use multi_account::{MultiAccountUser, auth_fingerprint};
use subtle::ConstantTimeEq;

use crate::session_keys;

type Records = BTreeMap<String, String>;

/// The characters of a record kept: 64 bits of the fingerprint are plenty to
/// notice that a password hash changed.
const RECORD_LEN: usize = 16;

fn read(session: &Session) -> Records {
    session.get::<Records>(session_keys::AUTH_FINGERPRINTS).ok().flatten().unwrap_or_default()
}

fn write(session: &Session, records: &Records) -> Result<(), SessionInsertError> {
    if records.is_empty() {
        session.remove(session_keys::AUTH_FINGERPRINTS);
        return Ok(());
    }
    session.insert(session_keys::AUTH_FINGERPRINTS, records)
}

/// The record of `user` as it is now.
fn record<U: MultiAccountUser>(user: &U) -> String {
    auth_fingerprint(user)
        .map(|mut fingerprint| {
            fingerprint.truncate(RECORD_LEN);
            fingerprint
        })
        .unwrap_or_default()
}

/// Records `user`'s sign-in in this session.
pub(crate) fn remember<U: MultiAccountUser>(session: &Session, user: &U) -> Result<(), SessionInsertError> {
    let mut records = read(session);
    records.insert(user.id().to_string(), record(user));
    write(session, &records)
}

/// Drops the record of `id` (removed from the group).
pub(crate) fn forget(session: &Session, id: &dyn std::fmt::Display) -> Result<(), SessionInsertError> {
    let mut records = read(session);
    if records.remove(&id.to_string()).is_some() {
        write(session, &records)?;
    }
    Ok(())
}

/// Keeps only the records of `ids` (a sign-in that starts over, a completed
/// link): the session never holds more records than its group has accounts.
pub(crate) fn retain(session: &Session, ids: &[String]) -> Result<(), SessionInsertError> {
    let mut records = read(session);
    let before = records.len();
    records.retain(|id, _| ids.contains(id));
    if records.len() != before {
        write(session, &records)?;
    }
    Ok(())
}

/// Checks accounts against the session's records, reading them once per
/// request however many accounts a group has.
pub(crate) struct Checker<'a> {
    session: &'a Session,
    records: std::cell::OnceCell<Records>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Self { session, records: std::cell::OnceCell::new() }
    }

    /// Whether `user` signed in here and its `auth_hash` is unchanged since.
    pub(crate) fn matches<U: MultiAccountUser>(&self, user: &U) -> bool {
        let current = record(user);
        self.records
            .get_or_init(|| read(self.session))
            .get(&user.id().to_string())
            .is_some_and(|recorded| bool::from(recorded.as_bytes().ct_eq(current.as_bytes())))
    }

    /// [`remember`], keeping the cached map in step.
    pub(crate) fn remember<U: MultiAccountUser>(&mut self, user: &U) -> Result<(), SessionInsertError> {
        self.records.take();
        remember(self.session, user)
    }
}
