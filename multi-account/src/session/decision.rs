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

/// The response a flow gives. Not `non_exhaustive`: a new kind of response is
/// a compile error in each adapter until it applies it.
#[derive(Debug, PartialEq, Eq)]
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

/// Why a flow was refused: the one refusal type every adapter answers with.
/// Each has a stable [`code`](Self::code) (snake_case, never renamed within a
/// major version) and an HTTP [`status`](Self::status):
///
/// | variant | `code()` | `status()` |
/// |---|---|---|
/// | [`Unauthorized`](Self::Unauthorized) | `unauthorized` | 401 |
/// | [`Csrf`](Self::Csrf) | `csrf` | 403 |
/// | [`Forbidden`](Self::Forbidden) | `forbidden` | 403 |
/// | [`NotInGroup`](Self::NotInGroup) | `not_in_group` | 403 |
/// | [`AlreadyInGroup`](Self::AlreadyInGroup) | `already_in_group` | 409 |
/// | [`TooManyLinkedAccounts`](Self::TooManyLinkedAccounts) | `too_many_linked_accounts` | 409 |
/// | [`SessionFull`](Self::SessionFull) | `session_full` | 409 |
/// | [`PrimaryStays`](Self::PrimaryStays) | `primary_cannot_be_removed` | 409 |
/// | [`Inactive`](Self::Inactive) | `inactive` | 403 |
/// | [`NotFound`](Self::NotFound) | `not_found` | 404 |
/// | [`MalformedId`](Self::MalformedId) | `malformed_id` | 400 |
/// | [`Disabled`](Self::Disabled) | `disabled` | 404 |
/// | [`Unavailable`](Self::Unavailable) | `unavailable` | 503 |
/// | [`UnknownSlot`](Self::UnknownSlot) | `unknown_slot` | 404 |
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Nobody is signed in.
    #[error("not signed in")]
    Unauthorized,
    /// The CSRF token is missing or wrong.
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// Not allowed in this session: a forged link, a cross-site request. The
    /// reason is for logs; a response says only `forbidden`.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The account is not in this session's signed-in group (a switch to it, or
    /// its removal).
    #[error("the account is not in this session's group")]
    NotInGroup,
    /// The account being added is in the group already: nothing changed.
    #[error("the account is already in this session's group")]
    AlreadyInGroup,
    /// The group holds `max_linked_accounts` already.
    #[error("this session already has the maximum of {max} linked accounts")]
    TooManyLinkedAccounts {
        /// The configured maximum.
        max: usize,
    },
    /// The session (a cookie) has no room for another account's sign-in.
    #[error("This browser cannot hold another account; remove one to add another.")]
    SessionFull,
    /// The primary account cannot be removed (sign out of all accounts instead).
    #[error("The primary account cannot be removed; sign out of all accounts instead.")]
    PrimaryStays,
    /// The account being added is not active.
    #[error("the account is not active")]
    Inactive,
    /// The account being added does not exist (deleted meanwhile).
    #[error("no such account")]
    NotFound,
    /// An account id in the path is malformed.
    #[error("malformed account id")]
    MalformedId,
    /// Multi-account is switched off.
    #[error("multi-account is disabled")]
    Disabled,
    /// The database failed; nothing was changed.
    #[error("the account service is unavailable")]
    Unavailable,
    /// The request named a tab (`/u/{slot}/…` or the tab header) whose slot no
    /// account of this session's group holds now: malformed, never given, or
    /// its account left (removed, expired, a new password).
    #[error("That account is not signed in here any more.")]
    UnknownSlot,
}

impl Refusal {
    /// The stable machine-readable code (see the table above).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Csrf => "csrf",
            Self::Forbidden(_) => "forbidden",
            Self::NotInGroup => "not_in_group",
            Self::AlreadyInGroup => "already_in_group",
            Self::TooManyLinkedAccounts { .. } => "too_many_linked_accounts",
            Self::SessionFull => "session_full",
            Self::PrimaryStays => "primary_cannot_be_removed",
            Self::Inactive => "inactive",
            Self::NotFound => "not_found",
            Self::MalformedId => "malformed_id",
            Self::Disabled => "disabled",
            Self::Unavailable => "unavailable",
            Self::UnknownSlot => "unknown_slot",
        }
    }

    /// Every code [`code`](Self::code) answers, in the order of the table above
    /// (for documentation and schemas).
    pub const CODES: &'static [&'static str] = &[
        "unauthorized",
        "csrf",
        "forbidden",
        "not_in_group",
        "already_in_group",
        "too_many_linked_accounts",
        "session_full",
        "primary_cannot_be_removed",
        "inactive",
        "not_found",
        "malformed_id",
        "disabled",
        "unavailable",
        "unknown_slot",
    ];

    /// The refusal of a link the rules turned down, if it is one the person can
    /// act on (a full group, an inactive or vanished account).
    pub(crate) fn of_link_rule(error: &crate::LinkError) -> Option<Self> {
        match error {
            crate::LinkError::TooManyLinkedAccounts { max } => Some(Self::TooManyLinkedAccounts { max: *max }),
            crate::LinkError::Inactive => Some(Self::Inactive),
            crate::LinkError::NotFound => Some(Self::NotFound),
            _ => None,
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Csrf | Self::Forbidden(_) | Self::NotInGroup | Self::Inactive => 403,
            Self::AlreadyInGroup | Self::TooManyLinkedAccounts { .. } | Self::SessionFull | Self::PrimaryStays => 409,
            Self::MalformedId => 400,
            Self::Disabled | Self::NotFound | Self::UnknownSlot => 404,
            Self::Unavailable => 503,
        }
    }

    /// What a response body may say: the message, but for
    /// [`Forbidden`](Self::Forbidden), whose reason stays in the logs.
    pub fn public_message(&self) -> String {
        match self {
            Self::Forbidden(_) => "forbidden".to_owned(),
            other => other.to_string(),
        }
    }
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
