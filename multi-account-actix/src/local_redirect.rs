//! Redirect targets: only local paths, never another origin.

use actix_web::HttpRequest;
use actix_web::http::header;

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
/// use multi_account_actix::local_path;
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

/// The path (and query) of the request's `Referer` when it is same-origin and
/// local, else `None`.
pub(crate) fn same_origin_referer(req: &HttpRequest) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?;
    let info = req.connection_info();
    let origin = format!("{}://{}", info.scheme(), info.host());
    let rest = referer.strip_prefix(&origin)?;
    // The origin must end here: `https://app.example.evil.example/` is not ours.
    if !rest.is_empty() && !rest.starts_with('/') {
        return None;
    }
    let path = if rest.is_empty() { "/" } else { rest };
    let path = path.split('#').next().unwrap_or(path);
    local_path(path).map(str::to_owned)
}
