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

/// How one listed account stands in the session.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Standing {
    /// It acts now.
    pub(crate) current: bool,
    /// The primary (or the one signed-in account, alone).
    pub(crate) primary: bool,
    /// A member of the group (multi-account mode only).
    pub(crate) member: bool,
    /// Signed in during "Add another account", not linked yet.
    pub(crate) pending: bool,
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

    /// The primary's id as a switcher shows it: alone, the signed-in account is
    /// its own primary (as it is again after the last removal).
    pub(crate) fn anchor_id(&self) -> Option<U::Id> {
        self.primary().or(self.current.as_ref()).map(crate::MultiAccountUser::id)
    }

    /// Every listed account with how it stands in the session: what the
    /// switcher and the JSON API both show.
    pub(crate) fn standings(&self) -> Vec<(&U, Standing)> {
        let current_id = self.current.as_ref().map(crate::MultiAccountUser::id);
        let anchor = self.anchor_id();
        self.listed()
            .into_iter()
            .map(|user| {
                let id = user.id();
                let standing = Standing {
                    current: current_id.as_ref() == Some(&id),
                    primary: anchor.as_ref() == Some(&id),
                    member: self.group.as_ref().is_some_and(|group| group.contains(&id)),
                    pending: self.group.as_ref().is_some_and(|group| !group.contains(&id)),
                };
                (user, standing)
            })
            .collect()
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
