//! Who is signed in, as resolved for one request.

use std::sync::Arc;

use super::remembered::RememberedAccount;
use super::slots::Slots;
use super::tabs::Tabs;
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
    /// The tab slots, when the app turned per-tab accounts on.
    pub(crate) tabs: Option<TabsView>,
    /// The remembered (signed-out) accounts to show, when they are on.
    pub(crate) remembered: Option<Vec<RememberedAccount>>,
}

/// The tab slots of a request's accounts, and the tab the request named.
#[derive(Clone, Debug)]
pub(crate) struct TabsView {
    pub(crate) tabs: Arc<Tabs>,
    pub(crate) slots: Slots,
    /// The slot this request acts on, when it named one that holds.
    pub(crate) selected: Option<u32>,
    /// The request named a slot that does not hold: nobody acts for it.
    pub(crate) refused: bool,
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
        Self { current: None, group: None, database_failed: false, tabs: None, remembered: None }
    }

    pub(crate) fn signed_in(current: U, group: Option<AccountGroup<U>>) -> Self {
        Self { current: Some(current), group, database_failed: false, tabs: None, remembered: None }
    }

    /// Logs a database failure; the request continues as signed out.
    pub(crate) fn database_failure(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "multi-account: loading the signed-in accounts failed; treating the request as signed out");
        Self { database_failed: true, ..Self::signed_out() }
    }

    /// The accounts this browser remembers that are not signed in here now,
    /// the one signed in most recently first: each can "Sign in again" or be
    /// forgotten. Empty unless remembered accounts are on. None of them counts
    /// as signed in anywhere.
    pub fn remembered(&self) -> &[RememberedAccount] {
        self.remembered.as_deref().unwrap_or_default()
    }

    /// The slot this request's tab acts on (`/u/{slot}/…` or the tab header),
    /// when it named one and per-tab accounts are on.
    pub fn tab(&self) -> Option<u32> {
        self.tabs.as_ref()?.selected
    }

    /// Whether the request named a tab whose slot no account of the group
    /// holds: nobody acts for it, and the extractors and flows refuse it
    /// ([`Refusal::UnknownSlot`](super::Refusal::UnknownSlot)).
    pub fn is_tab_refused(&self) -> bool {
        self.tabs.as_ref().is_some_and(|view| view.refused)
    }

    /// `path` (a local path; anything else is `/`) as a link from this page:
    /// in a tab, it keeps the tab (`/u/{slot}{path}`); otherwise it is `path`.
    ///
    /// The app's own links use it so that a tab stays on its account.
    pub fn url_for(&self, path: &str) -> String {
        match self.tabs.as_ref().and_then(|view| Some((&view.tabs, view.selected?))) {
            Some((tabs, slot)) => tabs.url(slot, path),
            None => super::local_path(path).unwrap_or("/").to_owned(),
        }
    }
}

impl<U: crate::MultiAccountUser> Accounts<U> {
    /// The stable tab slot of the listed account `id`, when per-tab accounts
    /// are on.
    pub fn slot_of(&self, id: &U::Id) -> Option<u32> {
        self.tabs.as_ref()?.slots.of(&id.to_string())
    }

    /// `path` in the tab of the listed account `id` (`/u/{slot}{path}`), for
    /// "open in a new tab"; `None` when per-tab accounts are off or `id` has
    /// no slot.
    pub fn url_for_account(&self, id: &U::Id, path: &str) -> Option<String> {
        let view = self.tabs.as_ref()?;
        Some(view.tabs.url(view.slots.of(&id.to_string())?, path))
    }

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
