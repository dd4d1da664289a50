//! A typed view of the session, read once per request.

use std::collections::BTreeMap;

use serde_json::Value;

use super::keys;
use super::link_intent::LinkIntent;
use super::sign_in_records::SignInRecords;
use super::slots::Slots;
use super::tabs::TabSelector;
use crate::{AccountId, MultiAccountUser, parse_subject};

/// The multi-account entries of one session, as the adapter read them (and as
/// the writes of a decision left them). Values are the session's own JSON; a
/// missing, tampered or malformed value reads as absent, because a session
/// value is user input.
#[derive(Clone, Debug, Default)]
pub struct SessionState {
    values: BTreeMap<String, Value>,
    identity_key: Option<&'static str>,
    size: Option<usize>,
    tab: Option<TabSelector>,
    remembered: Option<String>,
}

impl SessionState {
    /// Reads the multi-account keys (and the identity layer's id under
    /// `identity_key`, when the adapter has one) through `get`, which returns an
    /// entry's JSON value. An entry that is not JSON should come back as
    /// [`Value::Null`]: present, but unreadable. `get` is asked once per key,
    /// so it may hand its values over instead of cloning them.
    pub fn read(identity_key: Option<&'static str>, mut get: impl FnMut(&str) -> Option<Value>) -> Self {
        let mut values = BTreeMap::new();
        let identity = identity_key.into_iter();
        for key in [
            keys::USER,
            keys::PRIMARY_USER_ID,
            keys::SESSION_TOKEN,
            keys::GROUP_ID,
            keys::CSRF_TOKEN,
            keys::LINK_INTENT,
            keys::AUTH_FINGERPRINTS,
            keys::VIA_IDENTITY,
            keys::SLOTS,
        ]
        .into_iter()
        .chain(identity)
        {
            if let Some(value) = get(key) {
                values.insert(key.to_owned(), value);
            }
        }
        Self { values, identity_key, size: None, tab: None, remembered: None }
    }

    /// The same state, knowing the size of the whole session as its store writes
    /// it (bytes of the serialized entries): the cookie budget needs it.
    pub fn with_size(mut self, size: usize) -> Self {
        self.size = Some(size);
        self
    }

    /// The same state, for a request that names its tab (the selector the
    /// adapter took from the path prefix or the header).
    pub fn with_tab(mut self, tab: Option<TabSelector>) -> Self {
        self.tab = tab;
        self
    }

    /// The same state, with the value of the request's remembered-accounts
    /// cookie ([`RememberedAccounts::find_cookie`](super::RememberedAccounts::find_cookie)).
    pub fn with_remembered_cookie(mut self, value: Option<&str>) -> Self {
        self.remembered = value.map(str::to_owned);
        self
    }

    pub(crate) fn remembered_cookie(&self) -> Option<&str> {
        self.remembered.as_deref()
    }

    pub(crate) fn set_remembered_cookie(&mut self, value: Option<String>) {
        self.remembered = value;
    }

    pub(crate) fn set_tab(&mut self, tab: Option<TabSelector>) {
        self.tab = tab;
    }

    pub(crate) fn tab(&self) -> Option<&TabSelector> {
        self.tab.as_ref()
    }

    pub(crate) fn slots(&self) -> Slots {
        Slots::from_value(self.value(keys::SLOTS))
    }

    pub(crate) fn size(&self) -> Option<usize> {
        self.size
    }

    pub(crate) fn identity_key(&self) -> Option<&'static str> {
        self.identity_key
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    pub(crate) fn value(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    pub(crate) fn string(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    pub(crate) fn set(&mut self, key: &str, value: Value) {
        if let Some(size) = self.size.as_mut() {
            *size = size.saturating_add(entry_size(key, &value));
            if let Some(old) = self.values.get(key) {
                *size = size.saturating_sub(entry_size(key, old));
            }
        }
        self.values.insert(key.to_owned(), value);
    }

    pub(crate) fn remove(&mut self, key: &str) -> bool {
        let Some(old) = self.values.remove(key) else { return false };
        if let Some(size) = self.size.as_mut() {
            *size = size.saturating_sub(entry_size(key, &old));
        }
        true
    }

    /// The size of the session without its entry `key`, if it is measured.
    pub(crate) fn size_without(&self, key: &str) -> Option<usize> {
        let size = self.size?;
        Some(self.values.get(key).map_or(size, |value| size.saturating_sub(entry_size(key, value))))
    }

    /// The signed-in account's id: the identity layer's id when it has one (what
    /// the app signed in last), else the `"user"` subject. Signed in through the
    /// identity layer whose id is gone now (it logged out): nobody.
    pub fn signed_in_id<U: MultiAccountUser>(&self) -> Option<U::Id> {
        if let Some(key) = self.identity_key {
            if let Some(id) = self.string(key) {
                return U::Id::parse_canonical(id);
            }
            if self.contains(keys::VIA_IDENTITY) {
                return None;
            }
        }
        self.subject_id::<U>()
    }

    /// The id in the `"user"` subject.
    pub(crate) fn subject_id<U: MultiAccountUser>(&self) -> Option<U::Id> {
        let subject = self.string(keys::USER)?;
        match parse_subject::<U::Id>(U::SHORT_NAME, subject) {
            Ok(id) => Some(id),
            Err(error) => {
                tracing::debug!(%error, "ignoring a malformed user subject");
                None
            }
        }
    }

    /// The identity layer's id, parsed, when there is one.
    pub(crate) fn identity_id<U: MultiAccountUser>(&self) -> Option<U::Id> {
        U::Id::parse_canonical(self.string(self.identity_key?)?)
    }

    /// The primary account's id (multi-account mode only).
    pub fn primary_id<U: MultiAccountUser>(&self) -> Option<U::Id> {
        self.string(keys::PRIMARY_USER_ID).and_then(U::Id::parse_canonical)
    }

    /// The browser session's link token.
    pub fn session_token(&self) -> Option<&str> {
        self.string(keys::SESSION_TOKEN)
            .filter(|token| !token.is_empty() && token.len() <= crate::MAX_SESSION_TOKEN_LEN)
    }

    /// The identity of this browser's group: the one it holds, else (a session
    /// of 0.1, whose group never moved under an identity) its session token.
    pub fn group_id(&self) -> Option<&str> {
        self.held_group_id().or_else(|| self.session_token())
    }

    /// The group identity this session holds (written by 0.2).
    pub(crate) fn held_group_id(&self) -> Option<&str> {
        self.string(keys::GROUP_ID).filter(|id| !id.is_empty() && id.len() <= crate::MAX_SESSION_TOKEN_LEN)
    }

    /// The primary id and session token when the session is in multi-account mode.
    pub fn multi_account<U: MultiAccountUser>(&self) -> Option<(U::Id, String)> {
        Some((self.primary_id::<U>()?, self.session_token()?.to_owned()))
    }

    /// The CSRF token, when the session has a well-formed one.
    pub fn csrf_token(&self) -> Option<&str> {
        self.string(keys::CSRF_TOKEN).filter(|token| token.len() == super::csrf::TOKEN_LEN)
    }

    /// Whether `presented` is this session's CSRF token (constant-time). A
    /// session without a token accepts nothing.
    pub fn csrf_matches(&self, presented: Option<&str>) -> bool {
        super::csrf::verify(self.csrf_token(), presented)
    }

    pub(crate) fn link_intent(&self) -> Option<LinkIntent> {
        serde_json::from_value(self.value(keys::LINK_INTENT)?.clone()).ok()
    }

    pub(crate) fn sign_in_records(&self) -> SignInRecords {
        SignInRecords::from_value(self.value(keys::AUTH_FINGERPRINTS))
    }

    /// The primary that is adding an account in this session, while its link
    /// intent is younger than `ttl` at `now`.
    pub(crate) fn pending_link<U: MultiAccountUser>(&self, ttl: std::time::Duration, now: u64) -> Option<U::Id> {
        let intent = self.link_intent().filter(|intent| intent.is_fresh(ttl, now))?;
        U::Id::parse_canonical(&intent.primary)
    }
}

/// What the entry `key: value` adds to a session serialized as one JSON object
/// of JSON texts (actix-session's cookie format): `"key":"<escaped text>",`.
fn entry_size(key: &str, value: &Value) -> usize {
    let text = value.to_string();
    let quoted = |text: &str| serde_json::to_string(text).map_or(usize::MAX / 4, |quoted| quoted.len());
    quoted(key) + quoted(&text) + 2
}
