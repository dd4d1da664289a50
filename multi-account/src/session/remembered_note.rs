//! Remembered accounts at each request: the signed-in accounts are noted in
//! the cookie, the others it holds are checked against the database (within
//! the group statement when there is one) and shown signed out.

use super::accounts::Accounts;
use super::change::SessionChange;
use super::config::SessionConfig;
use super::remembered::{RememberedAccount, RememberedAccounts, RememberedList};
use super::state::SessionState;
use crate::{AccountId, MultiAccountUser};

/// The remembered accounts the group statement checks: the ids asked for, and
/// the active ones among them once it ran.
pub(crate) struct RememberedCheck<U: MultiAccountUser> {
    pub(crate) ids: Vec<U::Id>,
    asked: Vec<String>,
    pub(crate) active: Option<Vec<U>>,
}

impl<U: MultiAccountUser> Default for RememberedCheck<U> {
    fn default() -> Self {
        Self { ids: Vec::new(), asked: Vec::new(), active: None }
    }
}

impl<U: MultiAccountUser> RememberedCheck<U> {
    /// What the group statement checks: the remembered accounts not signed in
    /// here (signed-in ones are in the group), when there are few enough.
    pub(crate) fn for_group(remembered: &RememberedAccounts, list: &RememberedList, state: &SessionState) -> Self {
        let mut check = Self::default();
        if !remembered.checks_database() {
            return check;
        }
        let records = state.sign_in_records();
        let ids: Vec<U::Id> = list
            .entries
            .iter()
            .filter(|entry| !records.contains(&entry.id))
            .filter_map(|entry| U::Id::parse_canonical(&entry.id))
            .collect();
        if ids.len() <= crate::group_query::MAX_FOLDED_REMEMBERED {
            check.asked = ids.iter().map(ToString::to_string).collect();
            check.ids = ids;
        }
        check
    }
}

impl SessionConfig {
    /// Remembers the accounts signed in here (the cookie is written when one is
    /// new, its identifier changed, or it was noted long ago), and puts the
    /// others the cookie holds in `accounts`: checked against the database in
    /// one statement (deleted and inactive ones are forgotten) unless the app
    /// shows only what the cookie holds.
    pub(crate) async fn note_remembered<U: MultiAccountUser>(
        &self,
        remembered: &RememberedAccounts,
        mut list: RememberedList,
        check: RememberedCheck<U>,
        change: &mut SessionChange,
        accounts: &mut Accounts<U>,
    ) {
        let now = self.now();
        // Noted at most about once a day (with the default 30 days): a
        // remembered account lasts its lifetime from about its last request.
        let refresh = (remembered.lifetime().as_secs() / 30).max(60);
        let mut changed = false;
        let listed = accounts.listed();
        for user in &listed {
            changed |= list.note_signed_in(*user, now, refresh);
        }
        let signed_in: Vec<String> = listed.iter().map(|user| user.id().to_string()).collect();
        changed |= list.retain(|entry| U::Id::parse_canonical(&entry.id).is_some());
        changed |= list.cap(remembered.max_accounts(), &signed_in);
        // Those the group statement did not check (it did not run, or an
        // account left the group on this request) take one statement more.
        let (asked, mut active) = match check.active {
            Some(active) => (check.asked, active.iter().map(|user| user.id().to_string()).collect()),
            None => (Vec::new(), Vec::new()),
        };
        let unchecked: Vec<U::Id> = list
            .entries
            .iter()
            .filter(|entry| !signed_in.contains(&entry.id) && !asked.contains(&entry.id))
            .filter_map(|entry| U::Id::parse_canonical(&entry.id))
            .collect();
        let mut verified = true;
        if remembered.checks_database() && !unchecked.is_empty() {
            match crate::active_user::find_active_among::<U, _>(&self.db, &unchecked).await {
                Ok(users) => active.extend(users.iter().map(|user| user.id().to_string())),
                Err(error) => {
                    tracing::error!(%error, "multi-account: checking the remembered accounts failed; showing none");
                    verified = false;
                }
            }
        }
        if remembered.checks_database() && verified {
            changed |= list.retain(|entry| signed_in.contains(&entry.id) || active.contains(&entry.id));
        }
        if changed && verified {
            change.write_remembered(remembered, &list);
        }
        let shown = list.entries.iter().filter(|entry| verified && !signed_in.contains(&entry.id));
        accounts.remembered = Some(shown.map(RememberedAccount::from).collect());
    }
}
