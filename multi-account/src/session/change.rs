//! The writes a decision asks the adapter to make, collected while deciding.

use serde_json::Value;

use super::state::SessionState;

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
}
