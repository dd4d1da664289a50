//! What a flow needs to know about the request: the CSRF token it presents and
//! where it comes from. Redirect targets are local paths only.

/// The longest redirect target kept; longer ones are dropped. Kept small because
/// a return path is stored in the session (cookie sessions hold ~4 KB).
const MAX_PATH_LEN: usize = 512;

/// Returns `path` if it is a local absolute path (`/x`), else `None`.
///
/// Refuses protocol-relative (`//host`), backslash (`/\host`, any `\`), absolute
/// (`https://..`, `javascript:..`) and percent-encoded slash or backslash right
/// after the leading `/` (`/%2F%2Fhost`), and anything but printable ASCII without
/// `"`, `<`, `>` and `` ` `` (browsers percent-encode the rest; raw, they are only
/// ever an attack), including control characters and whitespace, which browsers
/// strip or reinterpret. At most 512 bytes.
///
/// ```
/// use multi_account::session::local_path;
/// assert_eq!(local_path("/settings?tab=1"), Some("/settings?tab=1"));
/// assert_eq!(local_path("//evil.example"), None);
/// assert_eq!(local_path("/\\evil.example"), None);
/// assert_eq!(local_path("https://evil.example/x"), None);
/// ```
pub fn local_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let lower = rest.get(..3).map(str::to_ascii_lowercase);
    let encoded_separator = matches!(lower.as_deref(), Some("%2f" | "%5c"));
    let valid = path.len() <= MAX_PATH_LEN
        && !rest.starts_with('/')
        && !encoded_separator
        && path.bytes().all(|byte| byte.is_ascii_graphic() && !matches!(byte, b'\\' | b'"' | b'<' | b'>' | b'`'));
    valid.then_some(path)
}

/// The request's inputs to a state-changing flow, as the adapter read them.
#[derive(Clone, Debug, Default)]
pub struct FlowRequest {
    /// The CSRF token presented (form field or query parameter `csrf_token`).
    pub csrf_token: Option<String>,
    /// This server's origin as the request addressed it, `scheme://host[:port]`.
    pub origin: String,
    /// The `Sec-Fetch-Site` header (`"invalid"` if not text).
    pub sec_fetch_site: Option<String>,
    /// The `Origin` header (`"invalid"` if not text).
    pub origin_header: Option<String>,
    /// The `Referer` header, if it is text.
    pub referer: Option<String>,
}

impl FlowRequest {
    /// Whether the browser sent this on its own or from this origin: a
    /// `Sec-Fetch-Site` of `same-origin` or `none` (typed, bookmarked) or none at
    /// all, and an `Origin` that is this one or none. Every flow checks it;
    /// the adapters' `csrf::is_same_origin` applies it to an app's own state
    /// changes (a JSON sign-in, say).
    pub fn is_same_origin(&self) -> bool {
        let fetch_site_ok = self
            .sec_fetch_site
            .as_deref()
            .is_none_or(|site| site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"));
        let origin_ok = self.origin_header.as_deref().is_none_or(|origin| origin == self.origin);
        fetch_site_ok && origin_ok
    }

    /// The path (and query) of the `Referer` when it is same-origin and local.
    pub(crate) fn same_origin_referer(&self) -> Option<String> {
        let rest = self.referer.as_deref()?.strip_prefix(self.origin.as_str())?;
        // The origin must end here: `https://app.example.evil.example/` is not ours.
        if !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        let path = if rest.is_empty() { "/" } else { rest };
        let path = path.split('#').next().unwrap_or(path);
        local_path(path).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(referer: &str) -> FlowRequest {
        FlowRequest { origin: "http://app.example".into(), referer: Some(referer.into()), ..FlowRequest::default() }
    }

    #[test]
    fn only_plain_local_paths_are_redirect_targets() {
        for good in ["/", "/a", "/settings?tab=1&x=%20", "/a/b.c~d"] {
            assert_eq!(local_path(good), Some(good), "{good}");
        }
        let long = format!("/{}", "a".repeat(MAX_PATH_LEN));
        for bad in [
            "",
            "a",
            "//evil",
            "/\\evil",
            "/%2F%2Fevil",
            "/%5cevil",
            "/a b",
            "/a\"b",
            "/a<b",
            "/a>b",
            "/a`b",
            "/a\tb",
            "/é",
            "https://evil/x",
            long.as_str(),
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert!(local_path(&long[..MAX_PATH_LEN]).is_some(), "exactly the longest kept");
    }

    #[test]
    fn a_referer_counts_only_from_this_origin() {
        assert_eq!(request("http://app.example/a?b#c").same_origin_referer().as_deref(), Some("/a?b"));
        assert_eq!(request("http://app.example").same_origin_referer().as_deref(), Some("/"));
        assert_eq!(request("http://app.example.evil.example/").same_origin_referer(), None);
        assert_eq!(request("http://evil.example/").same_origin_referer(), None);
        assert_eq!(request("http://app.example//evil.example").same_origin_referer(), None);
    }

    #[test]
    fn cross_site_requests_are_told_apart() {
        let with = |site: Option<&str>, origin: Option<&str>| FlowRequest {
            origin: "http://app.example".into(),
            sec_fetch_site: site.map(Into::into),
            origin_header: origin.map(Into::into),
            ..FlowRequest::default()
        };
        assert!(with(None, None).is_same_origin());
        assert!(with(Some("same-origin"), Some("http://app.example")).is_same_origin());
        assert!(with(Some("None"), None).is_same_origin());
        assert!(!with(Some("cross-site"), None).is_same_origin());
        assert!(!with(Some("same-site"), None).is_same_origin());
        assert!(!with(None, Some("http://evil.example")).is_same_origin());
        assert!(!with(None, Some("invalid")).is_same_origin());
    }
}
