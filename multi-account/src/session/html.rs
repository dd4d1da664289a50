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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_each_html_special_character_and_keeps_the_rest() {
        assert_eq!(escape(r#"a&b<c>d"e'f é"#), "a&amp;b&lt;c&gt;d&quot;e&#39;f é");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn percent_encode_keeps_unreserved_characters_and_slashes_only_when_asked() {
        assert_eq!(percent_encode("a-Z_0.9~", false), "a-Z_0.9~");
        assert_eq!(percent_encode("/link/p/1?x=y z&é", true), "/link/p/1%3Fx%3Dy%20z%26%C3%A9");
        assert_eq!(percent_encode("/a", false), "%2Fa");
        assert_eq!(percent_encode("%", true), "%25");
    }

    #[test]
    fn the_default_sign_in_path_returns_to_an_encoded_path() {
        assert_eq!(default_sign_in_path("/link/p/1"), "/sign-in?return_to=/link/p/1");
        assert_eq!(default_sign_in_path("/a?b=c"), "/sign-in?return_to=/a%3Fb%3Dc");
    }

    #[test]
    fn the_link_pages_post_one_escaped_form_with_the_token() {
        let form = super::super::Form { action: r#"/link/p/1?start"&"#.to_owned(), csrf_token: "t<k>".to_owned() };
        let fields = r#"method="post" action="/link/p/1?start&quot;&amp;">
<input type="hidden" name="csrf_token" value="t&lt;k&gt;">"#;
        let start = link_start_page(&form);
        assert!(start.contains(&format!("<form {fields}")), "{start}");
        assert!(start.contains("Add another account</button>") && !start.contains("<script>"), "{start}");
        let auto = auto_submit_page(&form);
        assert!(auto.contains(&format!(r#"<form id="multi-account-link" {fields}"#)), "{auto}");
        assert!(auto.contains(r#"getElementById("multi-account-link").submit()"#), "{auto}");
        assert!(auto.contains("<noscript>") && auto.starts_with("<!doctype html>"), "{auto}");
    }
}
