//! Resolves who is signed in (current, primary, group), re-checked against the
//! database on every request, and the writes that keep the session in step.

use std::sync::Arc;

use super::accounts::{Accounts, TabsView};
use super::change::{SessionChange, SessionWrite};
use super::config::SessionConfig;
use super::decision::Refusal;
use super::keys;
use super::remembered_note::RememberedCheck;
use super::sign_in_records::SignInRecords;
use super::state::SessionState;
use super::tabs::{TabSelector, Tabs};
use crate::{LinkService, MultiAccountUser};

/// The accounts of a request, and the session writes the resolution made: a
/// session that lost an account (deleted, deactivated, signed out elsewhere,
/// a changed password) forgets it, so it stays signed out of it.
#[derive(Debug)]
pub struct Resolution<U> {
    /// Who is signed in.
    pub accounts: Accounts<U>,
    /// The writes to apply.
    pub writes: Vec<SessionWrite>,
}

/// Whether `user`'s sign-in in this session still holds: a sign-in record here,
/// its `auth_hash` unchanged. An account just signed in through the identity
/// layer (`adopted`) is trusted once and its sign-in recorded.
fn verified<U: MultiAccountUser>(
    records: &SignInRecords,
    change: &mut SessionChange,
    user: &U,
    adopted: Option<&U::Id>,
) -> bool {
    if adopted == Some(&user.id()) {
        change.remember(user);
        return true;
    }
    records.matches(user)
}

/// Keeps the listed accounts' slots, then puts the account of the request's tab
/// in `current`: a member of the group as this request re-checked it (or the
/// one signed-in account, alone). A slot that no such account holds selects
/// nobody; on a page (the path prefix) the next page says why.
fn select_tab<U: MultiAccountUser>(
    tabs: &Arc<Tabs>,
    change: &mut SessionChange,
    mut accounts: Accounts<U>,
) -> Accounts<U> {
    let listed: Vec<String> = accounts.listed().iter().map(|user| user.id().to_string()).collect();
    change.keep_slots(&listed);
    let mut view = TabsView { tabs: tabs.clone(), slots: change.state().slots(), selected: None, refused: false };
    if let Some(selector) = change.state().tab().cloned() {
        let selected = selector.slot().and_then(|slot| {
            let holder = view.slots.holder(slot)?;
            let user = match &accounts.group {
                Some(group) => group.iter().find(|user| user.id().to_string() == holder),
                None => accounts.current.as_ref().filter(|user| user.id().to_string() == holder),
            }?;
            Some((slot, user.clone()))
        });
        match selected {
            Some((slot, user)) => {
                accounts.current = Some(user);
                view.selected = Some(slot);
            }
            None => {
                tracing::info!(tab = selector.text(), "multi-account: a request named a tab no account holds");
                accounts.current = None;
                accounts.group = None;
                view.refused = true;
            }
        }
    }
    accounts.tabs = Some(view);
    accounts
}

impl SessionConfig {
    /// Who is signed in with this session: the current account (active, with a
    /// sign-in record here that still matches its `auth_hash`), and in
    /// multi-account mode the group (primary and linked accounts, each checked
    /// the same way). One query in multi-account mode, the app's own user load
    /// otherwise.
    pub async fn resolve<U: MultiAccountUser>(&self, state: &SessionState) -> Resolution<U> {
        let mut change = SessionChange::new(state);
        let accounts = self.resolve_into::<U>(&mut change).await;
        // A page whose tab acts as nobody goes to itself without it: the next
        // page says why. (A refused flow writes no message, and an anonymous
        // visitor gets no session from it.)
        if accounts.is_tab_refused()
            && state.tab().is_some_and(TabSelector::is_path)
            && state.signed_in_id::<U>().is_some()
        {
            change.insert(keys::FLASH, Refusal::UnknownSlot.to_string());
        }
        Resolution { accounts, writes: change.into_writes() }
    }

    pub(crate) async fn resolve_into<U: MultiAccountUser>(&self, change: &mut SessionChange) -> Accounts<U> {
        let Some(remembered) = self.remembered.as_deref() else {
            let accounts = self.resolve_session::<U>(change, &mut RememberedCheck::default()).await;
            return self.apply_tab(change, accounts);
        };
        let list = remembered.open(change.state().remembered_cookie(), self.now());
        let mut check = RememberedCheck::for_group(remembered, &list, change.state());
        let mut accounts = self.resolve_session::<U>(change, &mut check).await;
        if !accounts.database_failed {
            self.note_remembered(remembered, list, check, change, &mut accounts).await;
        }
        self.apply_tab(change, accounts)
    }

    /// The request's tab, when tabs are on.
    fn apply_tab<U: MultiAccountUser>(&self, change: &mut SessionChange, accounts: Accounts<U>) -> Accounts<U> {
        match &self.tabs {
            Some(tabs) if !accounts.database_failed => select_tab(tabs, change, accounts),
            _ => accounts,
        }
    }

    /// Who is signed in with this session, whatever tab the request names;
    /// the group statement, when it runs, checks `check.ids` too.
    async fn resolve_session<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        check: &mut RememberedCheck<U>,
    ) -> Accounts<U> {
        let adopted = change.adopt_identity::<U>();
        let adopted = adopted.as_ref();
        // Read after the adoption, which may have started a new sign-in.
        let records = change.state().sign_in_records();
        let Some(user_id) = change.state().signed_in_id::<U>() else {
            // Nobody is signed in: links must not outlive the sign-in that made them.
            if change.state().contains(super::keys::PRIMARY_USER_ID) {
                change.clear_multi_account();
            }
            // The identity layer logged out: forget the subject too, so signing in
            // again (even as the same account) is a new sign-in, with a new token.
            if change.state().contains(super::keys::VIA_IDENTITY) {
                change.forget_user();
            }
            return Accounts::signed_out();
        };
        let multi = change.state().multi_account::<U>();

        if !self.is_enabled() {
            // Switched off: a session sitting on a linked account goes back to its
            // primary, and nothing but the app's own user load runs.
            let id = match multi {
                Some((primary_id, _)) if primary_id != user_id => {
                    change.set_user::<U>(&primary_id);
                    primary_id
                }
                _ => user_id,
            };
            return self.standard::<U>(change, &records, &id, adopted).await;
        }

        let Some((primary_id, token)) = multi else {
            return self.standard::<U>(change, &records, &user_id, adopted).await;
        };
        let loaded = LinkService::<U>::group_and(&self.db, &primary_id, &token, &check.ids).await;
        let loaded = loaded.map(|(group, active)| {
            check.active = Some(active);
            group
        });
        let mut group = match loaded {
            Ok(Some(group)) if verified(&records, change, group.primary(), adopted) => group,
            Ok(Some(_)) => {
                // The primary's password changed since it signed in here (or it
                // never signed in here: a copied group row).
                tracing::info!(primary = %primary_id, "multi-account: primary's sign-in no longer holds; signing out");
                change.clear_multi_account();
                change.forget_user();
                change.retain_sign_ins(&[]);
                return Accounts::signed_out();
            }
            Ok(None) => {
                // The primary was deleted or deactivated: leave multi-account mode.
                tracing::info!(primary = %primary_id, "multi-account: stale or inactive primary; clearing the group");
                change.clear_multi_account();
                if user_id == primary_id {
                    change.forget_user();
                    change.retain_sign_ins(&[]);
                    return Accounts::signed_out();
                }
                return self.standard::<U>(change, &records, &user_id, adopted).await;
            }
            Err(error) => return Accounts::database_failure(&error),
        };

        // A group that is not open under this token was signed out of (in any
        // copy of this session), moved to another token, or expired. Signed out
        // of all accounts, it signs this copy out too: one more query, only here.
        if !group.is_open() {
            let revoked = match change.state().group_id() {
                Some(group_id) => LinkService::<U>::is_group_revoked(&self.db, group_id).await,
                None => Ok(false),
            };
            match revoked {
                Ok(false) => {}
                Ok(true) => {
                    tracing::info!(primary = %primary_id, "multi-account: the group was signed out of; signing out");
                    change.clear_multi_account();
                    change.forget_user();
                    change.retain_sign_ins(&[]);
                    return Accounts::signed_out();
                }
                Err(error) => return Accounts::database_failure(&error),
            }
        }
        group.retain_linked(|user| verified(&records, change, user, adopted));
        // An account that left the group (inactive, deleted, unlinked, expired, a
        // new password) leaves its sign-in behind: coming back takes a new one.
        let mut members: Vec<String> = group.iter().map(|user| user.id().to_string()).collect();
        if let Some(current) = group.get(&user_id) {
            let current = current.clone();
            change.retain_sign_ins(&members);
            return Accounts::signed_in(current, Some(group));
        }
        // Not in the group: either it signed in during the pending link intent to
        // complete it, or it was removed, expired or deactivated and the session
        // returns to the primary. A group signed out of (its row gone, in any copy
        // of this session) takes nobody new: the copy of a pending link is back on
        // its primary.
        let pending = group.is_open()
            && change.state().link_intent().is_some_and(|intent| {
                intent.is_fresh_for(&primary_id.to_string(), self.link_intent_ttl, self.now())
                    && intent.was_signed_in_by(&user_id.to_string())
            });
        if pending && user_id != primary_id {
            match LinkService::<U>::active_user(&self.db, &user_id).await {
                Ok(Some(current)) if verified(&records, change, &current, adopted) => {
                    members.push(user_id.to_string());
                    change.retain_sign_ins(&members);
                    return Accounts::signed_in(current, Some(group));
                }
                Ok(_) => {}
                Err(error) => return Accounts::database_failure(&error),
            }
        }
        tracing::info!(user = %user_id, primary = %primary_id, "multi-account: current account left the group; back to the primary");
        change.retain_sign_ins(&members);
        change.set_user::<U>(&primary_id);
        Accounts::signed_in(group.primary().clone(), Some(group))
    }

    /// Standard (single-account) mode: the app's own user load, with
    /// `active_check`.
    async fn standard<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        records: &SignInRecords,
        id: &U::Id,
        adopted: Option<&U::Id>,
    ) -> Accounts<U> {
        match LinkService::<U>::active_user(&self.db, id).await {
            Ok(Some(current)) if verified(records, change, &current, adopted) => Accounts::signed_in(current, None),
            Ok(_) => {
                change.forget_user();
                // Gone, inactive or a new password: its sign-in goes too.
                change.forget_sign_in(id);
                Accounts::signed_out()
            }
            Err(error) => Accounts::database_failure(&error),
        }
    }
}
