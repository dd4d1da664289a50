//! Who is signed in, as resolved for one request.

use crate::AccountGroup;

/// Who is signed in: the account acting now, and the session's group.
#[derive(Clone, Debug)]
pub struct Accounts<U> {
    /// The account acting now.
    pub current: Option<U>,
    /// The session's account group, in multi-account mode.
    pub group: Option<AccountGroup<U>>,
    /// The database failed: reads see a signed-out request, state changes are
    /// refused as unavailable.
    pub database_failed: bool,
}

impl<U> Accounts<U> {
    pub(crate) fn signed_out() -> Self {
        Self { current: None, group: None, database_failed: false }
    }

    pub(crate) fn signed_in(current: U, group: Option<AccountGroup<U>>) -> Self {
        Self { current: Some(current), group, database_failed: false }
    }

    /// Logs a database failure; the request continues as signed out.
    pub(crate) fn database_failure(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "multi-account: loading the signed-in accounts failed; treating the request as signed out");
        Self { database_failed: true, ..Self::signed_out() }
    }
}

impl<U: crate::MultiAccountUser> Accounts<U> {
    /// The primary account, in multi-account mode.
    pub fn primary(&self) -> Option<&U> {
        self.group.as_ref().map(AccountGroup::primary)
    }

    /// The current account while it completes a link: signed in during "Add
    /// another account", not a member of the group yet.
    pub fn pending(&self) -> Option<&U> {
        let group = self.group.as_ref()?;
        self.current.as_ref().filter(|current| !group.contains(&current.id()))
    }

    /// Every account a switcher lists: the group (and the current account, while
    /// it completes a link), or just the current account.
    pub fn listed(&self) -> Vec<&U> {
        match (&self.group, &self.current) {
            (Some(group), Some(current)) if !group.contains(&current.id()) => {
                group.iter().chain(std::iter::once(current)).collect()
            }
            (Some(group), _) => group.iter().collect(),
            (None, current) => current.iter().collect(),
        }
    }
}
