//! What a flow decided: the response to give and the session writes to apply.

use super::change::SessionWrite;

/// A flow's decision. Apply `writes` in order, then answer with `response`.
#[derive(Debug)]
pub struct Decision {
    /// What to answer.
    pub response: Response,
    /// The session writes to apply first (a refusal may carry some: a refused
    /// switch spends the CSRF token).
    pub writes: Vec<SessionWrite>,
}

/// The response a flow gives.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// 303 See Other to this local path.
    Redirect(String),
    /// The page that posts `form` by itself: the last step of a link.
    AutoSubmit(Form),
    /// The page whose form starts adding an account.
    LinkStart(Form),
    /// Refused.
    Refused(Refusal),
}

/// A form the response renders: where it posts, with which CSRF token.
#[derive(Debug, PartialEq, Eq)]
pub struct Form {
    /// The form's `action`.
    pub action: String,
    /// The value of its hidden `csrf_token` field.
    pub csrf_token: String,
}

/// Why a flow was refused. Each is a 4xx, or a 503 when the database is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Nobody is signed in (401).
    #[error("not signed in")]
    Unauthorized,
    /// The CSRF token is missing or wrong (403).
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// Not allowed in this session: a forged link, a switch outside the group,
    /// a cross-site request (403). The reason is for logs.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// An account id in the path is malformed (400).
    #[error("malformed account id")]
    MalformedId,
    /// Multi-account is switched off (404).
    #[error("multi-account is disabled")]
    Disabled,
    /// The database failed (503); nothing was changed.
    #[error("the account service is unavailable")]
    Unavailable,
}

/// The app's redirect targets, asked only when a flow needs one (the adapter
/// implements it over its handler hooks and the request).
pub trait Destinations {
    /// Where a completed link returns when the request named no page.
    fn after_link(&self) -> String;
    /// Where a switch or a removal returns when the request named no page.
    fn after_switch(&self) -> String;
    /// The sign-in page, returning to `link` once signed in.
    fn sign_in(&self, link: &str) -> String;
    /// Where sign-out-all goes.
    fn signed_out(&self) -> String;
}

impl Decision {
    pub(crate) fn new(response: Response, writes: Vec<SessionWrite>) -> Self {
        Self { response, writes }
    }

    pub(crate) fn refused(refusal: Refusal, writes: Vec<SessionWrite>) -> Self {
        Self { response: Response::Refused(refusal), writes }
    }
}
