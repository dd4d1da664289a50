//! What the demo's handlers share, whichever framework serves them.

use std::sync::{Arc, OnceLock};

use sea_orm::DatabaseConnection;

use crate::email_link::Mailer;
use crate::oidc::OidcProvider;
use crate::password::HashLimiter;
use crate::sign_in::Adding;
use crate::throttle::SignInThrottle;

/// The database, the sign-in limits, and where the link flow starts.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) db: DatabaseConnection,
    /// The link path up to the primary's id (`/link/p/`): a sign-in that returns
    /// there completes an "add another account".
    pub(crate) link_prefix: String,
    /// One throttle for every worker.
    pub(crate) throttle: Arc<SignInThrottle>,
    /// One hash limiter for every worker.
    pub(crate) hashing: HashLimiter,
    /// The OpenID provider, when one is configured.
    pub(crate) oidc: Option<Arc<OidcProvider>>,
    /// The mailer for email links, when mail is configured.
    pub(crate) mailer: Option<Arc<Mailer>>,
    /// Where the demo is reached from outside: the settings' URL, or the bound
    /// address (set once bound).
    pub(crate) public_url: Arc<OnceLock<String>>,
}

/// Form fields or query parameters, parsed leniently: any body or query string
/// parses, so bad input gets a page, not a 400 from the extractor.
pub(crate) type Pairs = Vec<(String, String)>;

/// The first value of `name`.
pub(crate) fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

impl AppState {
    /// `return_to` if it is a local path ([`multi_account::session::local_path`]).
    pub(crate) fn return_to<'a>(&self, pairs: &'a Pairs) -> Option<&'a str> {
        field(pairs, "return_to").and_then(multi_account::session::local_path)
    }

    /// Whether signing in and going to `return_to` completes "add another account".
    pub(crate) fn is_adding(&self, return_to: Option<&str>) -> bool {
        self.adding_to(return_to).is_some()
    }

    /// The primary's id in `return_to` when it is a link path (`/link/p/7` → `7`).
    fn adding_to<'a>(&self, return_to: Option<&'a str>) -> Option<&'a str> {
        return_to.and_then(|path| path.strip_prefix(self.link_prefix.as_str())).filter(|id| !id.is_empty())
    }

    /// How a sign-in returning to `return_to` stands towards "Add another
    /// account", given the session's fresh link intent (`pending`, the
    /// primary's id) and the feature gate.
    pub(crate) fn adding(&self, return_to: Option<&str>, pending: Option<i64>, enabled: bool) -> Adding {
        let to = self.adding_to(return_to);
        let pending = to.is_some_and(|to| pending.is_some_and(|id| id.to_string() == to));
        Adding::of(to.is_some(), pending, enabled)
    }

    /// The OpenID provider's name, when one is configured.
    pub(crate) fn oidc_name(&self) -> Option<&str> {
        self.oidc.as_deref().map(OidcProvider::name)
    }

    /// The callback URL registered with the OpenID provider.
    pub(crate) fn oidc_redirect_uri(&self) -> String {
        format!("{}{}", self.public_url(), crate::oidc::CALLBACK_PATH)
    }

    /// Where the demo is reached from outside (no trailing slash).
    pub(crate) fn public_url(&self) -> &str {
        self.public_url.get().map_or("http://127.0.0.1", String::as_str)
    }

    /// Sets [`Self::public_url`] to `http://{addr}` once the server is bound,
    /// unless the settings gave one (an unspecified address, `0.0.0.0`, is
    /// reached as `127.0.0.1`).
    pub(crate) fn bound_to(&self, mut addr: std::net::SocketAddr) {
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let _ = self.public_url.set(format!("http://{addr}"));
    }
}
