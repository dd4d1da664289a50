//! Errors of the link service.

use sea_orm::DbErr;

/// Why a link, unlink or switch was refused.
///
/// Every variant but [`LinkError::Database`] is a refusal a caller can show to the
/// person (or turn into a 4xx); `Database` is an infrastructure failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The primary account tried to link itself.
    #[error("an account cannot be linked to itself")]
    SelfLink,
    /// The session already holds the maximum number of active linked accounts.
    #[error("this session already has the maximum of {max} linked accounts")]
    TooManyLinkedAccounts {
        /// The configured `max_linked_accounts`.
        max: usize,
    },
    /// The target account is not the primary or an active linked account of this
    /// session's group.
    #[error("the account is not part of this session's account group")]
    NotInGroup,
    /// The account being linked is an active member of the group already.
    #[error("the account is already in this session's account group")]
    AlreadyInGroup,
    /// The account exists but fails its `active_check`.
    #[error("the account is not active")]
    Inactive,
    /// No user has this id.
    #[error("no such account")]
    NotFound,
    /// The session token is empty or longer than [`crate::MAX_SESSION_TOKEN_LEN`].
    #[error("the session token is malformed")]
    InvalidSessionToken,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl LinkError {
    /// A short, stable, machine-readable reason, for logs and audit events.
    pub fn reason(&self) -> &'static str {
        match self {
            LinkError::SelfLink => "self_link",
            LinkError::TooManyLinkedAccounts { .. } => "too_many_linked_accounts",
            LinkError::NotInGroup => "not_in_group",
            LinkError::AlreadyInGroup => "already_in_group",
            LinkError::Inactive => "inactive",
            LinkError::NotFound => "not_found",
            LinkError::InvalidSessionToken => "invalid_session_token",
            LinkError::Database(_) => "database",
        }
    }
}
