//! Before signing in an account whose proof passed: does this sign-in add it to
//! the browser's group, is it there already, or did "Add another account" end
//! while the person was away (at a provider, in their inbox)? Every app needs
//! this answer; the adapters ask it with their session and extractor.

use super::accounts::Accounts;
use super::config::SessionConfig;
use super::html::percent_encode;
use super::state::SessionState;
use crate::MultiAccountUser;

/// What to do with an account whose proof passed, decided by
/// [`SessionConfig::plan_sign_in`] before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInPlan {
    /// Sign it in. `adds`: it completes a pending "Add another account" (the
    /// group stays); otherwise it starts a new group and the browser's previous
    /// one is revoked.
    SignIn {
        /// Whether the sign-in completes a pending "Add another account".
        adds: bool,
    },
    /// It is in this browser's group already: sign nobody in, offer to switch.
    AlreadyInGroup,
    /// It was to be added, but "Add another account" ended (its time ran out,
    /// or multi-account was switched off): sign nobody in, so the accounts
    /// signed in here stay; ask the person to start again.
    AddExpired,
}

impl SignInPlan {
    /// Whether the account should be signed in.
    pub fn signs_in(self) -> bool {
        matches!(self, Self::SignIn { .. })
    }
}

impl SessionConfig {
    /// What a sign-in of `user` should do in this session, whose signed-in
    /// accounts are `accounts`; `return_to` is where the sign-in page returns
    /// (`/link/p/<id>` when "Add another account" sent the browser there).
    /// Reads only.
    pub fn plan_sign_in<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        accounts: &Accounts<U>,
        user: &U,
        return_to: Option<&str>,
    ) -> SignInPlan {
        let pending = self.is_enabled().then(|| self.pending_link::<U>(state)).flatten().map(|id| id.to_string());
        let returns_to_link = return_to.and_then(|path| self.paths.link_primary(path));
        let adding = pending.is_some() || returns_to_link.is_some();
        let id = user.id();
        if adding && accounts.listed().iter().any(|account| account.id() == id) {
            return SignInPlan::AlreadyInGroup;
        }
        match (returns_to_link, pending) {
            (Some(to), Some(pending)) if to == percent_encode(&pending, false) => SignInPlan::SignIn { adds: true },
            // A link path without its fresh intent: adding would replace the group.
            (Some(_), _) => SignInPlan::AddExpired,
            // The intent is pending; the sign-in page lost `return_to`. The
            // sign-in still adds (the account is shown as pending until the link
            // completes).
            (None, Some(_)) => SignInPlan::SignIn { adds: true },
            (None, None) => SignInPlan::SignIn { adds: false },
        }
    }
}
