//! Per-account invalidation: the session remembers a fingerprint of each signed-in
//! account's `auth_hash` (see `MultiAccountUser::auth_hash`); an account whose
//! hash changed since (a new password) no longer counts as signed in here.

use std::collections::BTreeMap;

use actix_session::{Session, SessionInsertError};
use multi_account::{MultiAccountUser, auth_fingerprint};
use subtle::ConstantTimeEq;

use crate::session_keys;

type Fingerprints = BTreeMap<String, String>;

fn read(session: &Session) -> Fingerprints {
    session.get::<Fingerprints>(session_keys::AUTH_FINGERPRINTS).ok().flatten().unwrap_or_default()
}

/// Records `user`'s fingerprint (at sign-in). A no-op without `auth_hash`.
pub(crate) fn remember<U: MultiAccountUser>(session: &Session, user: &U) -> Result<(), SessionInsertError> {
    let Some(fingerprint) = auth_fingerprint(user) else { return Ok(()) };
    let mut fingerprints = read(session);
    fingerprints.insert(user.id().to_string(), fingerprint);
    session.insert(session_keys::AUTH_FINGERPRINTS, fingerprints)
}

/// Checks accounts against the session's fingerprints, reading the map once per
/// request however many accounts a group has.
pub(crate) struct Checker<'a> {
    session: &'a Session,
    fingerprints: std::cell::OnceCell<Fingerprints>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Self { session, fingerprints: std::cell::OnceCell::new() }
    }

    /// Whether `user` still matches the fingerprint recorded at its sign-in.
    /// Always true without `auth_hash`; false when nothing was recorded.
    pub(crate) fn matches<U: MultiAccountUser>(&self, user: &U) -> bool {
        let Some(current) = auth_fingerprint(user) else { return true };
        self.fingerprints
            .get_or_init(|| read(self.session))
            .get(&user.id().to_string())
            .is_some_and(|recorded| bool::from(recorded.as_bytes().ct_eq(current.as_bytes())))
    }

    /// [`remember`], keeping the cached map in step.
    pub(crate) fn remember<U: MultiAccountUser>(&mut self, user: &U) -> Result<(), SessionInsertError> {
        self.fingerprints.take();
        remember(self.session, user)
    }
}
