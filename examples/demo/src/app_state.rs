//! What the demo's handlers share, whichever framework serves them.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::password::HashLimiter;
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
        return_to.is_some_and(|path| path.starts_with(&self.link_prefix) && path.len() > self.link_prefix.len())
    }
}
