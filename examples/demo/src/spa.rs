//! The single-page version of the demo: one HTML page and one script, no build
//! step, driven only by `fetch` against the library's JSON API
//! (`/link/api/…`) and the demo's JSON sign-in ([`crate::api_sign_in`]).
//! Served outside the session (as the stylesheet is): loading them creates no
//! session; the script's first `GET /link/api/accounts` does.

/// Where the page is served.
pub(crate) const PAGE_PATH: &str = "/spa";
/// Where its script is served.
pub(crate) const SCRIPT_PATH: &str = "/static/spa.js";

/// The page.
pub(crate) const PAGE: &str = include_str!("../static/spa.html");
/// Its script.
pub(crate) const SCRIPT: &str = include_str!("../static/spa.js");

/// The page's Content-Security-Policy: its own script and stylesheet, `fetch`
/// to its own origin, nothing inline, no framing, and no form ever submitted
/// by the browser (the script sends them; without it, nothing is sent, so a
/// password never lands in a URL).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_its_script_and_stylesheet_and_nothing_inline() {
        assert!(PAGE.contains(&format!(r#"<script src="{SCRIPT_PATH}" defer></script>"#)), "{PAGE}");
        assert!(PAGE.contains(r#"<link rel="stylesheet" href="/static/app.css">"#));
        assert_eq!(PAGE.matches("<script").count(), 1, "one script, from a file");
        assert!(!PAGE.contains("style="), "no inline style: the policy refuses it");
        let handlers = PAGE.match_indices(" on").filter(|(at, _)| {
            let name = PAGE[at + 3..].chars().take_while(char::is_ascii_lowercase).count();
            PAGE[at + 3 + name..].starts_with('=')
        });
        assert_eq!(handlers.count(), 0, "no inline event handler: the policy refuses them");
        assert!(!SCRIPT.contains("innerHTML"), "the script builds elements, never HTML text");
    }

    #[test]
    fn the_page_lists_the_seeded_accounts() {
        for (_, email, status) in crate::DEMO_USERS {
            let listed = format!("<li><code>{email}</code>");
            assert!(PAGE.contains(&listed), "{email}");
            let inactive = format!(r#"{listed} <span class="badge badge-muted">inactive</span>"#);
            assert_eq!(PAGE.contains(&inactive), status != crate::entities::user::UserStatus::Active, "{email}");
        }
        assert!(PAGE.contains(&format!("the password <code>{}</code>", crate::DEMO_PASSWORD)));
    }
}
