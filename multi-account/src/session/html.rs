//! Escaping for the little HTML and URLs multi-account writes itself (shared by
//! the adapters; not part of the stable API).

/// Escapes text for an HTML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when
/// `keep_slash`), for query values and path segments.
pub fn percent_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The form field and query parameter that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The default sign-in page that comes back to `return_to`.
pub fn default_sign_in_path(return_to: &str) -> String {
    format!("/sign-in?return_to={}", percent_encode(return_to, true))
}

/// The default page a GET of the link URL shows the primary: a button whose
/// form starts adding an account. It never starts anything by itself.
pub fn link_start_page(form: &super::Form) -> String {
    form_page("Add another account", "", form, r#"<button type="submit">Add another account</button>"#, "")
}

/// The default page shown to the account that just signed in to complete a
/// link: a form that posts itself, with a button for browsers without
/// JavaScript.
pub fn auto_submit_page(form: &super::Form) -> String {
    form_page(
        "Linking account…",
        r#" id="multi-account-link""#,
        form,
        r#"<noscript><p>Finish adding this account:</p><button type="submit">Link account</button></noscript>"#,
        r#"<script>document.getElementById("multi-account-link").submit();</script>"#,
    )
}

/// A page holding one POST form with the CSRF field: `form_attributes` go in the
/// form tag, `controls` inside it, `after` below it. Serve it with
/// `Cache-Control: no-store`.
fn form_page(title: &str, form_attributes: &str, form: &super::Form, controls: &str, after: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>{title}</title></head>
<body>
<form{form_attributes} method="post" action="{action}">
<input type="hidden" name="{CSRF_FIELD}" value="{token}">
{controls}
</form>
{after}
</body>
</html>"#,
        action = escape(&form.action),
        token = escape(&form.csrf_token),
    )
}
