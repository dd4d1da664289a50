//! The route paths, shared by every adapter.

use super::html::percent_encode;

/// Route paths. Each holds one `{..}` segment for the account id.
#[derive(Clone, Debug)]
pub struct Paths {
    /// Link an account to a primary: GET shows the page for the current step,
    /// POST starts (`?start`) or completes.
    pub link: String,
    /// Switch to an account in the group.
    pub switch: String,
    /// Remove (sign out of) one account.
    pub remove: String,
    /// Sign out of every account in this browser (`?forget` forgets the
    /// remembered accounts too).
    pub sign_out_all: String,
    /// "Sign in again" as a remembered account: GET goes to the sign-in page
    /// with its hint (or, signed in, shows the form that adds it); POST adds it.
    pub again: String,
    /// Forget a remembered account (POST).
    pub forget: String,
    /// The prefix of the JSON API's routes (`{api}/accounts`, ..), no trailing
    /// slash.
    pub api: String,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            link: "/link/p/{primary_user_id}".to_owned(),
            switch: "/link/switch_to/{user_id}".to_owned(),
            remove: "/link/remove/{user_id}".to_owned(),
            sign_out_all: "/link/sign-out-all".to_owned(),
            again: "/link/again/{user_id}".to_owned(),
            forget: "/link/forget/{user_id}".to_owned(),
            api: "/link/api".to_owned(),
        }
    }
}

impl Paths {
    /// `template` with its `{..}` segment replaced by `id`, percent-encoded.
    fn fill(template: &str, id: &dyn std::fmt::Display) -> String {
        let id = percent_encode(&id.to_string(), false);
        match (template.find('{'), template.find('}')) {
            (Some(start), Some(end)) if start < end => format!("{}{id}{}", &template[..start], &template[end + 1..]),
            _ => template.to_owned(),
        }
    }

    /// The link URL of the primary `id` ("Add another account").
    ///
    /// ```
    /// use multi_account::session::Paths;
    /// assert_eq!(Paths::default().link_url(&42), "/link/p/42");
    /// ```
    pub fn link_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.link, id)
    }

    /// Where the form that starts adding an account to the primary `id` posts.
    ///
    /// ```
    /// use multi_account::session::Paths;
    /// assert_eq!(Paths::default().link_start_url(&42), "/link/p/42?start");
    /// ```
    pub fn link_start_url(&self, id: &dyn std::fmt::Display) -> String {
        format!("{}?start", self.link_url(id))
    }

    /// The primary's id in `path` when it is a link URL (`/link/p/7` → `7`,
    /// a query ignored), still percent-encoded as the URL has it.
    ///
    /// ```
    /// use multi_account::session::Paths;
    /// assert_eq!(Paths::default().link_primary("/link/p/42?x=1"), Some("42".to_owned()));
    /// assert_eq!(Paths::default().link_primary("/link/switch_to/42"), None);
    /// ```
    pub fn link_primary(&self, path: &str) -> Option<String> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let (start, end) = (self.link.find('{')?, self.link.find('}')?);
        let (prefix, suffix) = (self.link.get(..start)?, self.link.get(end + 1..)?);
        let id = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
        (!id.is_empty() && !id.contains('/')).then(|| id.to_owned())
    }

    /// The JSON API's route `route` (relative, e.g. `"accounts"`).
    ///
    /// ```
    /// use multi_account::session::Paths;
    /// assert_eq!(Paths::default().api_url("accounts"), "/link/api/accounts");
    /// ```
    pub fn api_url(&self, route: &str) -> String {
        format!("{}/{route}", self.api.trim_end_matches('/'))
    }

    /// The switch URL of `id` (without the CSRF token).
    pub fn switch_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.switch, id)
    }

    /// The remove URL of `id`.
    pub fn remove_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.remove, id)
    }

    /// The "Sign in again" URL of the remembered account `id`.
    pub fn again_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.again, id)
    }

    /// The URL that forgets the remembered account `id`.
    pub fn forget_url(&self, id: &dyn std::fmt::Display) -> String {
        Self::fill(&self.forget, id)
    }
}

/// Whether the query string `query` holds the flag `name`: `name`, or
/// `name=` with any value but `0`, `false`, `off` or `no`. How the routes read
/// `?start` (link) and `?forget` (sign-out-all).
///
/// ```
/// use multi_account::session::query_flag;
/// assert!(query_flag("forget", "forget") && query_flag("a=1&forget=on", "forget"));
/// assert!(!query_flag("forget=false", "forget") && !query_flag("forgetting", "forget"));
/// ```
pub fn query_flag(query: &str, name: &str) -> bool {
    query.split('&').any(|pair| match pair.split_once('=') {
        Some((key, value)) => key == name && !matches!(value, "0" | "false" | "off" | "no"),
        None => pair == name,
    })
}

#[cfg(test)]
mod tests {
    use super::Paths;

    #[test]
    fn each_url_fills_its_own_template() {
        let paths = Paths {
            link: "/a/{id}/link".to_owned(),
            switch: "/s/{id}".to_owned(),
            remove: "/r/{id}/x".to_owned(),
            sign_out_all: "/out".to_owned(),
            again: "/g/{id}".to_owned(),
            forget: "/f/{id}".to_owned(),
            api: "/api/".to_owned(),
        };
        assert_eq!(paths.api_url("accounts"), "/api/accounts");
        assert_eq!(paths.link_url(&7), "/a/7/link");
        assert_eq!(paths.link_start_url(&7), "/a/7/link?start");
        assert_eq!(paths.switch_url(&8), "/s/8");
        assert_eq!(paths.remove_url(&9), "/r/9/x");
        assert_eq!(paths.again_url(&10), "/g/10");
        assert_eq!(paths.forget_url(&11), "/f/11");
    }

    #[test]
    fn ids_are_percent_encoded_into_one_segment() {
        assert_eq!(Paths::default().switch_url(&"a/b c"), "/link/switch_to/a%2Fb%20c");
        assert_eq!(Paths::default().remove_url(&"x?y"), "/link/remove/x%3Fy");
    }

    #[test]
    fn a_template_without_a_well_formed_segment_is_left_as_it_is() {
        // A closing brace before the opening one is not a segment: filling it
        // would slice backwards.
        assert_eq!(Paths::fill("/x}/{", &1), "/x}/{");
        assert_eq!(Paths::fill("/x/{", &1), "/x/{");
        assert_eq!(Paths::fill("/x/}", &1), "/x/}");
        assert_eq!(Paths::fill("/x/{}", &1), "/x/1");
    }
}
