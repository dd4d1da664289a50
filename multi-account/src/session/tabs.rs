//! A different account in each tab: a request may name the account of its
//! group that acts for it, by a path prefix (`/u/{slot}/…`, stripped before the
//! app's routes match) or, for JSON clients, by a header. Slots are stable (see
//! `slots.rs`); this file is the app's choice of how they are named and what
//! "Switch" does in a tab.

/// The longest slot text read: nine digits. Anything longer is refused, not
/// parsed.
const MAX_SLOT_LEN: usize = 9;

/// What "Switch" does when it is used from a tab (a request with a selector).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TabSwitch {
    /// The tab moves to the other account's slot; the session's default
    /// account (what unprefixed pages act as) stays. Nothing is written.
    #[default]
    MoveTab,
    /// The session's default account changes, as a switch without a tab does,
    /// and the tab returns to unprefixed pages.
    ChangeDefault,
}

/// Per-tab accounts, switched on with
/// [`SessionConfig::with_tabs`](super::SessionConfig::with_tabs).
///
/// ```
/// use multi_account::session::{TabSwitch, Tabs};
/// let tabs = Tabs::default().with_prefix("/a").with_header("x-tab").with_switch(TabSwitch::ChangeDefault);
/// assert_eq!(tabs.prefix(), "/a");
/// ```
#[derive(Clone, Debug)]
pub struct Tabs {
    prefix: String,
    header: String,
    switch: TabSwitch,
}

impl Default for Tabs {
    /// The prefix `/u` (`/u/{slot}/…`), the header `X-Account-Slot`, and
    /// [`TabSwitch::MoveTab`].
    fn default() -> Self {
        Self { prefix: "/u".to_owned(), header: "x-account-slot".to_owned(), switch: TabSwitch::MoveTab }
    }
}

impl Tabs {
    /// Another path prefix (one or more segments; slashes around it are
    /// ignored). An empty one (`""`, `"/"`) keeps the prefix as it was: a tab
    /// must be told apart from the app's own paths.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        let prefix = prefix.trim_matches('/');
        if prefix.is_empty() {
            tracing::warn!("multi-account: an empty tab prefix is ignored; keeping {:?}", self.prefix);
            return self;
        }
        self.prefix = format!("/{prefix}");
        self
    }

    /// Another header name for JSON clients (ASCII, case-insensitive).
    pub fn with_header(mut self, header: &str) -> Self {
        self.header = header.to_ascii_lowercase();
        self
    }

    /// What "Switch" does in a tab.
    pub fn with_switch(mut self, switch: TabSwitch) -> Self {
        self.switch = switch;
        self
    }

    /// The path prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The header name, lowercase.
    pub fn header(&self) -> &str {
        &self.header
    }

    /// What "Switch" does in a tab.
    pub fn switch(&self) -> TabSwitch {
        self.switch
    }

    /// Splits `/u/{slot}/rest` into the selector and `/rest` (`/` when nothing
    /// follows), before the app's routes match; `None` for a path without the
    /// prefix. The slot is not checked here: the request's load does that.
    ///
    /// ```
    /// use multi_account::session::Tabs;
    /// let tabs = Tabs::default();
    /// let (tab, rest) = tabs.split_path("/u/2/inbox").unwrap();
    /// assert_eq!((tab.text(), rest), ("2", "/inbox"));
    /// assert_eq!(tabs.split_path("/u/7").unwrap().1, "/");
    /// assert!(tabs.split_path("/users/7").is_none());
    /// ```
    pub fn split_path<'a>(&self, path: &'a str) -> Option<(TabSelector, &'a str)> {
        let after = path.strip_prefix(self.prefix.as_str())?.strip_prefix('/')?;
        let (slot, rest) = match after.find('/') {
            Some(end) => (&after[..end], &after[end..]),
            None => (after, "/"),
        };
        Some((TabSelector::new(slot, TabSource::Path), rest))
    }

    /// The selector a JSON client sent in the header, if any (a value that is
    /// not text selects nothing valid).
    pub fn header_selector(&self, value: Option<&[u8]>) -> Option<TabSelector> {
        let value = value?;
        let text = std::str::from_utf8(value).unwrap_or("\u{fffd}");
        Some(TabSelector::new(text, TabSource::Header))
    }

    /// `path` (a local path; anything else is `/`) as a tab on `slot` sees it:
    /// `/u/{slot}{path}`.
    pub(crate) fn url(&self, slot: u32, path: &str) -> String {
        format!("{}/{slot}{}", self.prefix, super::local_path(path).unwrap_or("/"))
    }
}

/// Where a request named its tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TabSource {
    Path,
    Header,
}

/// The tab a request names, as sent: an adapter puts it in the request (the
/// path prefix it stripped, or the header), and the request's load checks it
/// against the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TabSelector {
    text: String,
    source: TabSource,
}

impl TabSelector {
    fn new(text: &str, source: TabSource) -> Self {
        // Overlong text is cut, then refused as malformed: a long selector costs
        // nothing to carry.
        let mut end = text.len().min(MAX_SLOT_LEN + 1);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Self { text: text[..end].to_owned(), source }
    }

    /// The selector of `slot`, as a flow that moved the tab names it.
    pub(crate) fn of_slot(slot: u32) -> Self {
        Self { text: slot.to_string(), source: TabSource::Header }
    }

    /// The selector's text (at most ten characters kept).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether it came from the path prefix (an HTML page) rather than the
    /// header (a JSON client).
    pub fn is_path(&self) -> bool {
        self.source == TabSource::Path
    }

    /// The slot it names, when it is one: digits only, no sign, no leading
    /// zero, at most nine of them.
    pub(crate) fn slot(&self) -> Option<u32> {
        let text = self.text.as_str();
        let digits = !text.is_empty() && text.len() <= MAX_SLOT_LEN && text.bytes().all(|b| b.is_ascii_digit());
        if !digits || (text.len() > 1 && text.starts_with('0')) {
            return None;
        }
        text.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_decimal_slots_parse() {
        let tabs = Tabs::default();
        let slot = |path: &str| tabs.split_path(path).and_then(|(tab, _)| tab.slot());
        assert_eq!(slot("/u/0/"), Some(0));
        assert_eq!(slot("/u/12/a/b"), Some(12));
        assert_eq!(slot("/u/999999999"), Some(999_999_999));
        for bad in ["/u/", "/u//x", "/u/01/x", "/u/-1", "/u/+1", "/u/1a", "/u/1234567890", "/u/%31", "/u/ 1"] {
            assert_eq!(slot(bad), None, "{bad}");
        }
        assert!(tabs.split_path("/u").is_none());
        assert!(tabs.split_path("/ux/1").is_none());
        let path = format!("/u/{}/x", "9".repeat(5000));
        let (long, rest) = tabs.split_path(&path).unwrap();
        assert_eq!((long.text().len(), rest), (10, "/x"));
        let (multibyte, _) = tabs.split_path("/u/1234567é").unwrap();
        assert_eq!(multibyte.slot(), None);
    }

    #[test]
    fn a_prefix_is_normalized_and_urls_carry_the_slot() {
        let tabs = Tabs::default().with_prefix("acct/");
        assert_eq!(tabs.prefix(), "/acct");
        assert_eq!(Tabs::default().with_prefix("/").with_prefix("").prefix(), "/u");
        assert_eq!(tabs.url(3, "/inbox?x=1"), "/acct/3/inbox?x=1");
        assert_eq!(tabs.url(3, "//evil.example"), "/acct/3/");
        assert_eq!(tabs.url(3, "inbox"), "/acct/3/");
        assert_eq!(tabs.split_path("/acct/3/inbox").map(|(tab, rest)| (tab.slot(), rest)), Some((Some(3), "/inbox")));
        assert_eq!((tabs.header(), tabs.switch()), ("x-account-slot", TabSwitch::MoveTab));
        let custom = Tabs::default().with_header("X-Tab").with_switch(TabSwitch::ChangeDefault);
        assert_eq!((custom.header(), custom.switch(), custom.prefix()), ("x-tab", TabSwitch::ChangeDefault, "/u"));
        let header = tabs.header_selector(Some(b"\xff")).unwrap();
        assert!(!header.is_path());
        assert_eq!(header.slot(), None);
    }
}
