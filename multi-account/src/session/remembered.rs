//! Remembered accounts: the accounts this browser signed in to, kept in a
//! long-lived cookie of their own after they leave the group (removed, expired,
//! a new password, signed out), so the chooser can offer "Sign in again".
//!
//! The cookie holds no credential: an id, the identifier the app chose
//! ([`MultiAccountUser::remember_hint`]), the display fields it marked safe
//! ([`MultiAccountUser::remember_fields`]) and when the account was last signed
//! in here. It is encrypted and authenticated (AES-256-GCM, the cookie's name as
//! associated data) with a key of its own; anything it cannot open reads as no
//! remembered accounts.

use std::time::Duration;

use cookie::{Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::MultiAccountUser;

/// The cookie's default name.
pub const REMEMBERED_COOKIE: &str = "multi_account_remembered";

/// The query parameter that carries a remembered account's identifier to the
/// sign-in page (OpenID Connect's name for it).
pub const LOGIN_HINT: &str = "login_hint";

/// The most a cookie value may be before it is not read at all (a browser
/// keeps 4096 bytes per cookie, name and attributes included).
const MAX_COOKIE_LEN: usize = 4096;

/// The most JSON sealed into the cookie: base64 of it with the nonce and tag
/// is about 3,500 bytes, under [`MAX_COOKIE_LEN`] with the attributes.
const MAX_SEALED_JSON: usize = 2600;

/// The longest identifier kept; a longer one is cut (at a character boundary).
const MAX_HINT_LEN: usize = 256;

/// Remembered accounts, turned on with
/// [`SessionConfig::with_remembered`](super::SessionConfig::with_remembered): the
/// cookie's key, name, lifetime and size.
///
/// ```
/// use std::time::Duration;
/// use multi_account::session::RememberedAccounts;
///
/// let key = [7u8; 64]; // load it from your secrets, never from source
/// let remembered = RememberedAccounts::new(&key)?
///     .with_lifetime(Duration::from_secs(14 * 24 * 3600))
///     .with_max_accounts(3);
/// assert_eq!(remembered.cookie_name(), "multi_account_remembered");
/// # Ok::<(), multi_account::session::RememberedKeyTooShort>(())
/// ```
#[derive(Clone)]
pub struct RememberedAccounts {
    key: Key,
    cookie_name: String,
    lifetime: Duration,
    max_accounts: usize,
    secure: bool,
    check_database: bool,
}

impl std::fmt::Debug for RememberedAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RememberedAccounts")
            .field("cookie_name", &self.cookie_name)
            .field("lifetime", &self.lifetime)
            .field("max_accounts", &self.max_accounts)
            .field("secure", &self.secure)
            .field("check_database", &self.check_database)
            .finish_non_exhaustive()
    }
}

/// The key given to [`RememberedAccounts::new`] is shorter than 32 bytes.
#[derive(Debug, thiserror::Error)]
#[error("the remembered accounts' key must have at least 32 bytes, not {0}")]
pub struct RememberedKeyTooShort(pub usize);

impl RememberedAccounts {
    /// Remembered accounts under `key` (at least 32 random bytes; 64 are
    /// better). The cookie's own key is derived from it with a label of its
    /// own, so reusing the session's key does not let one cookie pass for the
    /// other. Defaults: the cookie [`REMEMBERED_COOKIE`], 30 days, at most 5
    /// accounts, `Secure`, and one statement per request that drops deleted and
    /// inactive accounts from the list.
    pub fn new(key: &[u8]) -> Result<Self, RememberedKeyTooShort> {
        use sha2::Digest;
        if key.len() < 32 {
            return Err(RememberedKeyTooShort(key.len()));
        }
        let mut labelled = sha2::Sha512::new();
        labelled.update(b"multi-account remembered accounts v1\0");
        labelled.update(key);
        Ok(Self {
            key: Key::derive_from(&labelled.finalize()),
            cookie_name: REMEMBERED_COOKIE.to_owned(),
            lifetime: Duration::from_secs(30 * 24 * 3600),
            max_accounts: 5,
            secure: true,
            check_database: true,
        })
    }

    /// Another cookie name (a token of letters, digits, `-` and `_`; anything
    /// else keeps the current name).
    pub fn with_cookie_name(mut self, name: &str) -> Self {
        if !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_')) {
            self.cookie_name = name.to_owned();
        }
        self
    }

    /// How long an account stays remembered after it was last signed in here
    /// (and the cookie's `Max-Age`). At least one minute.
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.max(Duration::from_secs(60));
        self
    }

    /// The most accounts remembered; the one signed in longest ago goes first.
    /// At least 1.
    pub fn with_max_accounts(mut self, max: usize) -> Self {
        self.max_accounts = max.max(1);
        self
    }

    /// Whether the cookie is `Secure` (HTTPS only). Default `true`; turn it off
    /// only for plain-HTTP development.
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Whether each request that shows remembered accounts checks them against
    /// the database (one statement for the whole list), so a deleted or
    /// inactive account drops out at once. Off: the list is what the cookie
    /// holds, and no statement runs for it.
    pub fn with_database_check(mut self, check: bool) -> Self {
        self.check_database = check;
        self
    }

    /// The cookie's name.
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// The lifetime of a remembered account.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The most accounts remembered.
    pub fn max_accounts(&self) -> usize {
        self.max_accounts
    }

    pub(crate) fn checks_database(&self) -> bool {
        self.check_database
    }

    /// The value of this cookie in a request's `Cookie` headers (each header's
    /// text), if it has one. A request with the cookie twice has none.
    pub fn find_cookie<'a>(&self, headers: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        let mut found = None;
        for pair in headers.into_iter().flat_map(|header| header.split(';')) {
            let Some((name, value)) = pair.trim().split_once('=') else { continue };
            if name.trim() == self.cookie_name {
                if found.is_some() {
                    return None;
                }
                found = Some(value.trim());
            }
        }
        found
    }

    /// The remembered accounts in the cookie value `raw` that have not expired
    /// at `now`: none when it is missing, too long, tampered with, sealed under
    /// another key or malformed.
    pub(crate) fn open(&self, raw: Option<&str>, now: u64) -> RememberedList {
        let Some(raw) = raw.filter(|raw| !raw.is_empty()) else { return RememberedList::default() };
        if raw.len() > MAX_COOKIE_LEN {
            tracing::debug!(len = raw.len(), "multi-account: ignoring an oversized remembered-accounts cookie");
            return RememberedList::default();
        }
        // The sealed value is base64, which has no `%`: a client (or proxy)
        // that percent-encoded it is read as it meant.
        let raw = match raw.contains('%') {
            true => percent_decode(raw),
            false => raw.to_owned(),
        };
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(self.cookie_name.clone(), raw));
        let Some(opened) = jar.private(&self.key).get(&self.cookie_name) else {
            tracing::debug!("multi-account: ignoring a remembered-accounts cookie that does not open under this key");
            return RememberedList::default();
        };
        let Ok(mut entries) = serde_json::from_str::<Vec<Entry>>(opened.value()) else {
            tracing::debug!("multi-account: ignoring a malformed remembered-accounts cookie");
            return RememberedList::default();
        };
        let lifetime = self.lifetime.as_secs();
        entries.retain(|entry| !entry.id.is_empty() && entry.at.saturating_add(lifetime) > now && entry.at <= now);
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
        let mut seen = std::collections::HashSet::new();
        entries.retain(|entry| seen.insert(entry.id.clone()));
        RememberedList { entries }
    }

    /// The `Set-Cookie` header value that stores `list` (or deletes the cookie
    /// when it is empty).
    pub(crate) fn seal(&self, list: &RememberedList) -> String {
        // A browser keeps 4096 bytes of a cookie: the entries signed in
        // longest ago go until the sealed value fits with room to spare.
        let mut entries: &[Entry] = &list.entries;
        let mut value = String::new();
        while !entries.is_empty() {
            value = serde_json::to_string(entries).unwrap_or_default();
            if value.len() <= MAX_SEALED_JSON {
                break;
            }
            entries = &entries[..entries.len() - 1];
            value.clear();
        }
        let max_age = match value.is_empty() {
            true => cookie::time::Duration::ZERO,
            false => cookie::time::Duration::seconds(i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX)),
        };
        let mut cookie = Cookie::build(self.cookie_name.clone(), value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(max_age)
            .finish();
        if !cookie.value().is_empty() {
            let mut jar = CookieJar::new();
            jar.private_mut(&self.key).add(cookie);
            cookie = jar.get(&self.cookie_name).cloned().unwrap_or_else(|| Cookie::new(self.cookie_name.clone(), ""));
        }
        cookie.to_string()
    }
}

/// `text` with its `%XX` escapes decoded (an escape that is not one stays).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One remembered account, as the cookie holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) fields: Map<String, Value>,
    /// When it was last signed in here (Unix seconds).
    pub(crate) at: u64,
}

/// The remembered accounts, the one signed in here most recently first.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RememberedList {
    pub(crate) entries: Vec<Entry>,
}

impl RememberedList {
    /// Keeps at most `max` accounts besides the `signed_in` ones (which stay,
    /// however many: dropping one would bring it back on the next request),
    /// dropping those signed in here longest ago. Whether any went.
    pub(crate) fn cap(&mut self, max: usize, signed_in: &[String]) -> bool {
        let mut others = 0;
        self.retain(|entry| {
            if signed_in.contains(&entry.id) {
                return true;
            }
            others += 1;
            others <= max
        })
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.id == id)
    }

    /// Records that `user` is signed in here at `now`: a new entry, or one
    /// whose identifier or fields changed, or older than `refresh` seconds.
    /// Returns whether the list changed (so the cookie needs writing).
    pub(crate) fn note_signed_in<U: MultiAccountUser>(&mut self, user: &U, now: u64, refresh: u64) -> bool {
        let id = user.id().to_string();
        let mut hint = user.remember_hint();
        if let Some(hint) = hint.as_mut()
            && hint.len() > MAX_HINT_LEN
        {
            let mut end = MAX_HINT_LEN;
            while !hint.is_char_boundary(end) {
                end -= 1;
            }
            hint.truncate(end);
        }
        let fields: Map<String, Value> =
            user.remember_fields().into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
        let fresh = self.get(&id).is_some_and(|entry| {
            entry.hint == hint && entry.fields == fields && now.saturating_sub(entry.at) < refresh
        });
        if fresh {
            return false;
        }
        self.entries.retain(|entry| entry.id != id);
        self.entries.insert(0, Entry { id, hint, fields, at: now });
        true
    }

    /// The entries as a page shows them (for an answer that does not check
    /// them against the database: after signing out of all accounts).
    pub(crate) fn listed(&self) -> Vec<super::ApiRemembered> {
        self.entries.iter().map(|entry| super::ApiRemembered::from(&RememberedAccount::from(entry))).collect()
    }

    /// Forgets `id`; whether it was remembered.
    pub(crate) fn forget(&mut self, id: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|entry| entry.id != id);
        self.entries.len() != before
    }

    /// Keeps the entries for which `keep` is true; whether any went.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) -> bool {
        let before = self.entries.len();
        self.entries.retain(|entry| keep(entry));
        self.entries.len() != before
    }
}

/// A remembered account as a page shows it: signed out, with the identifier
/// and fields the app chose to remember.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RememberedAccount {
    /// The account's id.
    pub id: String,
    /// The identifier the app chose to remember (`remember_hint`), if any.
    pub hint: Option<String>,
    /// The display fields the app marked safe to remember (`remember_fields`).
    pub fields: Map<String, Value>,
}

impl From<&Entry> for RememberedAccount {
    fn from(entry: &Entry) -> Self {
        Self { id: entry.id.clone(), hint: entry.hint.clone(), fields: entry.fields.clone() }
    }
}

/// `url` with the `login_hint` query parameter added.
pub(crate) fn with_hint(url: &str, hint: Option<&str>) -> String {
    match hint {
        Some(hint) => {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}{LOGIN_HINT}={}", super::html::percent_encode(hint, false))
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remembered() -> RememberedAccounts {
        RememberedAccounts::new(&[1u8; 64]).unwrap().with_max_accounts(2)
    }

    #[test]
    fn the_cap_drops_the_oldest_signed_out_accounts_and_keeps_the_signed_in() {
        let mut list = RememberedList { entries: vec![entry("5", 5), entry("4", 4), entry("3", 3), entry("2", 2)] };
        assert!(list.cap(1, &["3".to_owned(), "2".to_owned()]));
        let ids: Vec<&str> = list.entries.iter().map(|entry| entry.id.as_str()).collect();
        assert_eq!(ids, ["5", "3", "2"]);
        assert!(!list.cap(1, &["3".to_owned(), "2".to_owned()]));
    }

    fn entry(id: &str, at: u64) -> Entry {
        Entry { id: id.to_owned(), hint: Some(format!("{id}@example.com")), fields: Map::new(), at }
    }

    fn value_of(header: &str) -> &str {
        header.split(';').next().unwrap().split_once('=').unwrap().1
    }

    #[test]
    fn a_sealed_list_opens_again_and_only_under_its_own_key() {
        let remembered = remembered();
        let list = RememberedList { entries: vec![entry("2", 100), entry("1", 50)] };
        let header = remembered.seal(&list);
        assert!(header.contains("HttpOnly") && header.contains("SameSite=Lax") && header.contains("Secure"));
        assert!(header.contains("Max-Age=2592000") && header.contains("Path=/"));
        assert!(!header.contains("example.com"), "the cookie is encrypted: {header}");
        assert_eq!(remembered.open(Some(value_of(&header)), 200), list);
        let other = RememberedAccounts::new(&[2u8; 64]).unwrap();
        assert_eq!(other.open(Some(value_of(&header)), 200), RememberedList::default());
        let renamed = remembered.clone().with_cookie_name("other");
        assert_eq!(renamed.open(Some(value_of(&header)), 200), RememberedList::default());
    }

    #[test]
    fn tampered_malformed_oversized_and_expired_cookies_read_as_nothing() {
        let remembered = remembered();
        let header = remembered.seal(&RememberedList { entries: vec![entry("1", 100)] });
        let value = value_of(&header);
        let mut tampered = value.as_bytes().to_vec();
        tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        for raw in [tampered.as_str(), "", "not base64!", "AAAA", &"A".repeat(5000)] {
            assert_eq!(remembered.open(Some(raw), 200), RememberedList::default(), "{raw}");
        }
        let lifetime = remembered.lifetime().as_secs();
        assert_eq!(remembered.open(Some(value), 100 + lifetime).entries.len(), 0);
        assert_eq!(remembered.open(Some(value), 99 + lifetime).entries.len(), 1);
        // Written in the future (a clock gone back, a forged time): not trusted.
        assert_eq!(remembered.open(Some(value), 99).entries.len(), 0);
    }

    #[test]
    fn a_percent_encoded_value_opens_too() {
        let remembered = remembered();
        let list = RememberedList { entries: vec![entry("1", 100)] };
        let header = remembered.seal(&list);
        let encoded = value_of(&header).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
        assert_eq!(remembered.open(Some(&encoded), 200), list);
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn a_list_too_long_for_a_cookie_loses_its_oldest_entries() {
        let remembered = remembered();
        let long = |id: u32| Entry { hint: Some("x".repeat(250)), ..entry(&id.to_string(), 1000 - u64::from(id)) };
        let list = RememberedList { entries: (0..20).map(long).collect() };
        let header = remembered.seal(&list);
        assert!(header.len() < 4000, "{}", header.len());
        let opened = remembered.open(Some(value_of(&header)), 1000);
        assert!(opened.entries.len() > 5 && opened.entries.len() < 20, "{}", opened.entries.len());
        assert_eq!(opened.entries[..], list.entries[..opened.entries.len()]);
    }

    #[test]
    fn an_empty_list_deletes_the_cookie() {
        let header = remembered().seal(&RememberedList::default());
        assert!(header.starts_with("multi_account_remembered=;"), "{header}");
        assert!(header.contains("Max-Age=0"), "{header}");
    }

    #[test]
    fn the_cookie_is_found_once_among_the_request_cookies() {
        let remembered = remembered();
        assert_eq!(remembered.find_cookie(["a=1; multi_account_remembered=xyz", "b=2"]), Some("xyz"));
        assert_eq!(remembered.find_cookie(["multi_account_remembered_x=1"]), None);
        assert_eq!(remembered.find_cookie(["multi_account_remembered=1", "multi_account_remembered=2"]), None);
    }

    #[test]
    fn a_short_key_and_odd_settings_are_refused_or_bounded() {
        assert_eq!(RememberedAccounts::new(&[0u8; 31]).unwrap_err().0, 31);
        let remembered = remembered().with_max_accounts(0).with_lifetime(Duration::ZERO).with_cookie_name("a b");
        assert_eq!(remembered.max_accounts(), 1);
        assert_eq!(remembered.lifetime(), Duration::from_secs(60));
        assert_eq!(remembered.cookie_name(), REMEMBERED_COOKIE);
    }

    #[test]
    fn the_hint_goes_on_the_sign_in_url() {
        assert_eq!(with_hint("/sign-in?return_to=%2F", Some("a+b@x")), "/sign-in?return_to=%2F&login_hint=a%2Bb%40x");
        assert_eq!(with_hint("/sign-in", Some("a")), "/sign-in?login_hint=a");
        assert_eq!(with_hint("/sign-in", None), "/sign-in");
    }
}
