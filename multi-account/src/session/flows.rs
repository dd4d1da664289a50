//! The flows: link (page, start, complete), switch, remove and sign-out-all.
//! Each takes the session's state and the request's inputs and returns a
//! [`Decision`]; none reads a request or writes a session.

use super::accounts::Accounts;
use super::audit::{OptionalId, event, refused};
use super::change::SessionChange;
use super::config::SessionConfig;
use super::decision::{Decision, Destinations, Form, Refusal, Response};
use super::link_intent::LinkIntent;
use super::origin::{FlowRequest, local_path};
use super::state::SessionState;
use super::tabs::{TabSelector, TabSwitch};
use super::{budget, keys};
use crate::{AccountId, LinkError, LinkService, MultiAccountUser};

/// A 303 to a local path (anything else becomes `/`).
pub(crate) fn redirect(path: &str) -> Response {
    Response::Redirect(local_path(path).unwrap_or("/").to_owned())
}

pub(crate) fn parse_id<U: MultiAccountUser>(text: &str) -> Result<U::Id, Refusal> {
    U::Id::parse_canonical(text).ok_or(Refusal::MalformedId)
}

/// The same-origin and CSRF checks every state change makes, before anything
/// is loaded. A cross-site request is refused even with the right token, so a
/// leaked token cannot be used from another site.
pub(crate) fn check_request(state: &SessionState, request: &FlowRequest, action: &'static str) -> Result<(), Refusal> {
    if !request.is_same_origin() {
        refused(action, "cross_site", &"", &"");
        return Err(Refusal::Forbidden("cross-site request"));
    }
    if !state.csrf_matches(request.csrf_token.as_deref()) {
        refused(action, "csrf", &"", &"");
        return Err(Refusal::Csrf);
    }
    Ok(())
}

/// Whether the current account may add an account to `primary_id`'s group: it
/// is that primary, or a member of the session's group of that primary.
fn may_start_link<U: MultiAccountUser>(
    state: &SessionState,
    accounts: &Accounts<U>,
    primary_id: &U::Id,
    current_id: &U::Id,
) -> bool {
    match &accounts.group {
        Some(group) => state.primary_id::<U>().as_ref() == Some(primary_id) && group.contains(current_id),
        None => current_id == primary_id,
    }
}

/// Why a flow stopped short: refused outright, or turned back to a page by a
/// rule the person can act on (a full group, the primary's removal). The HTML
/// routes show the second as a message on that page; the JSON API answers both
/// as refusals.
#[derive(Debug)]
pub(crate) enum Stop {
    Refused(Refusal),
    TurnedBack { refusal: Refusal, to: String },
}

impl From<Refusal> for Stop {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl Stop {
    pub(crate) fn refusal(&self) -> Refusal {
        match self {
            Self::Refused(refusal) | Self::TurnedBack { refusal, .. } => *refusal,
        }
    }
}

/// The HTML decision of a flow that ran over `change`: a rule that turned the
/// flow back is a message on the page it returns to.
pub(crate) fn decision(mut change: SessionChange, outcome: Result<Response, Stop>) -> Decision {
    let response = match outcome {
        Ok(response) => response,
        Err(Stop::Refused(refusal)) => Response::Refused(refusal),
        Err(Stop::TurnedBack { refusal, to }) => {
            change.insert(keys::FLASH, refusal.to_string());
            redirect(&to)
        }
    };
    Decision::new(response, change.into_writes())
}

impl SessionConfig {
    /// `path` without its tab prefix, if it has one (and tabs are on).
    fn untabbed(&self, path: String) -> String {
        match self.tabs.as_ref().and_then(|tabs| tabs.split_path(&path)) {
            Some((_, rest)) => rest.to_owned(),
            None => path,
        }
    }

    pub(crate) fn check_enabled(&self) -> Result<(), Refusal> {
        if self.is_enabled() { Ok(()) } else { Err(Refusal::Disabled) }
    }

    /// The request's accounts for a state change: unavailable when the
    /// database failed.
    pub(crate) async fn load_for_change<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
    ) -> Result<Accounts<U>, Refusal> {
        let accounts = self.resolve_into::<U>(change).await;
        if accounts.database_failed {
            return Err(Refusal::Unavailable);
        }
        if accounts.is_tab_refused() {
            return Err(Refusal::UnknownSlot);
        }
        Ok(accounts)
    }

    /// The signed-in group, re-checked by the resolution (primary active and
    /// still signed in here, current account signed in): what switch and remove
    /// act on.
    async fn signed_in_group<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        action: &'static str,
        target: &U::Id,
    ) -> Result<crate::AccountGroup<U>, Refusal> {
        let accounts = self.load_for_change::<U>(change).await?;
        match accounts.group {
            Some(group) if accounts.current.is_some() => Ok(group),
            _ => {
                refused(action, "no_signed_in_group", &"", target);
                Err(Refusal::Forbidden("not a signed-in multi-account session"))
            }
        }
    }

    /// The fresh link intent of `primary_id` in this session, if any.
    fn fresh_intent<U: MultiAccountUser>(&self, state: &SessionState, primary_id: &U::Id) -> Option<LinkIntent> {
        state
            .link_intent()
            .filter(|intent| intent.is_fresh_for(&primary_id.to_string(), self.link_intent_ttl, self.now()))
    }

    /// Whether this request is the last step of a link: the session's own
    /// group, a fresh intent for it, and a signed-in account not in it yet.
    fn completes_link<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        accounts: &Accounts<U>,
        primary_id: &U::Id,
        current_id: &U::Id,
    ) -> bool {
        state.primary_id::<U>().as_ref() == Some(primary_id)
            && current_id != primary_id
            && accounts.group.as_ref().is_some_and(|group| group.is_open() && !group.contains(current_id))
            && self
                .fresh_intent::<U>(state, primary_id)
                .is_some_and(|intent| intent.was_signed_in_by(&current_id.to_string()))
    }

    /// `GET` link: reads only (but for a CSRF token on first use). As the
    /// account that just signed in for a fresh intent, the auto-submitting form
    /// that completes the link; as the primary (or an account of its group),
    /// the page whose form starts adding an account.
    pub async fn link_page<U: MultiAccountUser>(&self, state: &SessionState, primary: &str) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.link_page_in::<U>(&mut change, primary).await;
        decision(change, outcome)
    }

    async fn link_page_in<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        primary: &str,
    ) -> Result<Response, Stop> {
        self.check_enabled()?;
        let primary_id = parse_id::<U>(primary)?;
        let accounts = self.load_for_change::<U>(change).await?;
        let Some(current) = accounts.current.as_ref() else {
            refused("link", "signed_out", &primary_id, &"");
            return Err(Refusal::Unauthorized.into());
        };
        let current_id = current.id();
        if self.completes_link(change.state(), &accounts, &primary_id, &current_id) {
            let action = self.paths.link_url(&primary_id);
            return Ok(Response::AutoSubmit(Form { action, csrf_token: change.csrf_token() }));
        }
        if !may_start_link(change.state(), &accounts, &primary_id, &current_id) {
            refused("link", "not_signed_in_primary", &primary_id, &current_id);
            return Err(Refusal::Forbidden("link: the path is not this session's signed-in primary").into());
        }
        let action = self.paths.link_start_url(&primary_id);
        Ok(Response::LinkStart(Form { action, csrf_token: change.csrf_token() }))
    }

    /// `POST` link with `?start`: as the primary (or an account of its group),
    /// opens the group in the database, records a link intent and goes to
    /// sign-in.
    pub async fn link_start<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        primary: &str,
        destinations: &impl Destinations,
    ) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.link_start_in::<U>(&mut change, request, primary, destinations).await;
        decision(change, outcome)
    }

    pub(crate) async fn link_start_in<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        request: &FlowRequest,
        primary: &str,
        destinations: &impl Destinations,
    ) -> Result<Response, Stop> {
        self.check_enabled()?;
        let primary_id = parse_id::<U>(primary)?;
        check_request(change.state(), request, "link")?;
        let accounts = self.load_for_change::<U>(change).await?;
        let Some(current) = accounts.current.as_ref() else {
            refused("link", "signed_out", &primary_id, &"");
            return Err(Refusal::Unauthorized.into());
        };
        let current_id = current.id();
        if !may_start_link(change.state(), &accounts, &primary_id, &current_id) {
            refused("link", "not_signed_in_primary", &primary_id, &current_id);
            return Err(Refusal::Forbidden("link: the path is not this session's signed-in primary").into());
        }
        let link = self.paths.link_url(&primary_id);
        // The new account acts by default once linked: its return is the page
        // without the tab it was started from (that tab stays its account's).
        let return_to = request
            .same_origin_referer()
            .map(|referer| self.untabbed(referer))
            .filter(|referer| *referer != link && !referer.starts_with(&format!("{link}?")))
            .unwrap_or_else(|| destinations.after_link());
        let intent = LinkIntent::new(primary_id.to_string(), return_to, self.now(), self.link_intent_ttl);
        let intent_cost = serde_json::to_string(&intent).map_or(usize::MAX, |text| text.len() * 2);
        let extra = intent_cost.saturating_add(budget::record_cost::<U>(self.tabs.is_some()));
        if !budget::has_room(change.state(), self.session_budget, extra) {
            refused("link", "session_full", &primary_id, &current_id);
            return Err(Stop::TurnedBack { refusal: Refusal::SessionFull, to: intent.return_to });
        }
        if !accounts.group.as_ref().is_some_and(crate::AccountGroup::is_open) {
            // Entering multi-account mode, or the group was signed out of: a new
            // group under a new token, so no row of an ended group is ever
            // written again.
            // The group keeps the identity this browser holds, if it holds one,
            // so that signing out of all accounts reaches every group it opened
            // since its sign-in; otherwise a new one (never a token, which a copy
            // of the cookie from before the group would share).
            let token = super::new_session_token();
            let group_id = change.state().held_group_id().map_or_else(super::new_session_token, str::to_owned);
            let group_id =
                LinkService::<U>::open_group(&self.db, &primary_id, &token, &group_id).await.map_err(|error| {
                    tracing::error!(%error, "multi-account: opening the group failed");
                    Refusal::Unavailable
                })?;
            change.insert(keys::PRIMARY_USER_ID, primary_id.to_string());
            change.insert(keys::SESSION_TOKEN, token);
            change.insert(keys::GROUP_ID, group_id);
        }
        change.insert(keys::LINK_INTENT, intent.to_value());
        event("link_started", &primary_id, &current_id);
        Ok(redirect(&destinations.sign_in(&link)))
    }

    /// `POST` link: completes it. Requires the path id to be this session's
    /// primary, a fresh intent, another account signed in, the CSRF token, and
    /// the group still open under this session's token, which then moves to a
    /// new one (so no older copy of the cookie reaches the new link).
    pub async fn link_complete<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        primary: &str,
    ) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.link_complete_in::<U>(&mut change, request, primary).await;
        decision(change, outcome)
    }

    pub(crate) async fn link_complete_in<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        request: &FlowRequest,
        primary: &str,
    ) -> Result<Response, Stop> {
        self.check_enabled()?;
        let primary_id = parse_id::<U>(primary)?;
        check_request(change.state(), request, "link")?;
        let accounts = self.load_for_change::<U>(change).await?;
        let current_id = accounts.current.as_ref().map(MultiAccountUser::id);
        let forbid = |reason: &'static str| {
            refused("link", reason, &primary_id, &OptionalId(current_id.as_ref()));
            Refusal::Forbidden(reason)
        };
        let Some(current_id) = current_id.clone() else { return Err(forbid("signed_out").into()) };
        let Some((session_primary, token)) = change.state().multi_account::<U>() else {
            return Err(forbid("no_multi_account_session").into());
        };
        if session_primary != primary_id {
            return Err(forbid("path_is_not_session_primary").into());
        }
        if current_id == primary_id {
            return Err(forbid("current_is_primary").into());
        }
        let Some(intent) = self.fresh_intent::<U>(change.state(), &primary_id) else {
            return Err(forbid("no_fresh_link_intent").into());
        };
        // Completing for a member would move the whole group to this copy of the
        // session's token (a fork): refused, and nothing moves.
        if accounts.group.as_ref().is_some_and(|group| group.contains(&current_id)) {
            refused("link", "already_in_group", &primary_id, &current_id);
            return Err(Refusal::AlreadyInGroup.into());
        }
        // Only the account that signed in during this intent completes it: an
        // account whose link died (deactivated, expired) needs a new sign-in.
        if !intent.was_signed_in_by(&current_id.to_string()) {
            return Err(forbid("not_signed_in_during_intent").into());
        }
        // Turned back by a rule: the account's sign-in is dropped and the
        // session acts as the primary again.
        let back_to_primary = |change: &mut SessionChange, refusal: Refusal| {
            change.remove(keys::LINK_INTENT);
            change.forget_sign_in(&current_id);
            change.set_user::<U>(&primary_id);
            change.renew_privileges();
            Stop::TurnedBack { refusal, to: intent.return_to.clone() }
        };
        if !budget::has_room_without(change.state(), self.session_budget, keys::LINK_INTENT) {
            refused("link", "session_full", &primary_id, &current_id);
            return Err(back_to_primary(change, Refusal::SessionFull));
        }

        let new_token = super::new_session_token();
        match LinkService::<U>::complete_link(&self.db, &primary_id, &current_id, &token, &new_token).await {
            Ok(outcome) => {
                change.remove(keys::LINK_INTENT);
                change.insert(keys::SESSION_TOKEN, new_token);
                // A session of 0.1 names its group by its old token: keep that
                // identity now that the token moves.
                if !change.state().contains(keys::GROUP_ID) {
                    change.insert(keys::GROUP_ID, token.clone());
                }
                let mut members: Vec<String> =
                    accounts.group.iter().flat_map(|group| group.iter()).map(|user| user.id().to_string()).collect();
                members.push(current_id.to_string());
                change.retain_sign_ins(&members);
                change.renew_privileges();
                tracing::info!(target: super::AUDIT_TARGET, event = "link", primary = %primary_id, user = %current_id, outcome = ?outcome);
                Ok(redirect(&intent.return_to))
            }
            Err(LinkError::Database(error)) => {
                tracing::error!(%error, "multi-account: link failed");
                Err(Refusal::Unavailable.into())
            }
            // The group left this token meanwhile (signed out, or moved by another
            // tab completing a link): nothing to complete.
            Err(LinkError::NotInGroup) => Err(forbid("group_closed").into()),
            // Linked meanwhile (by another tab): nothing moved.
            Err(LinkError::AlreadyInGroup) => {
                refused("link", "already_in_group", &primary_id, &current_id);
                Err(Refusal::AlreadyInGroup.into())
            }
            Err(error) => {
                // Refused by the rules (full group, inactive account, ..): back to
                // the primary with a message.
                refused("link", error.reason(), &primary_id, &current_id);
                match Refusal::of_link_rule(&error) {
                    Some(refusal) => Err(back_to_primary(change, refusal)),
                    None => Err(forbid(error.reason()).into()),
                }
            }
        }
    }

    /// Switches to an account of this session's group.
    pub async fn switch<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.switch_in::<U>(&mut change, request, target, destinations).await;
        decision(change, outcome)
    }

    pub(crate) async fn switch_in<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Result<Response, Stop> {
        self.check_enabled()?;
        let target_id = parse_id::<U>(target)?;
        check_request(change.state(), request, "switch")?;
        let group = self.signed_in_group::<U>(change, "switch", &target_id).await?;
        let primary_id = group.primary().id();
        // The resolution kept only accounts that are active, linked in this
        // session and still signed in here, so membership is the whole check.
        if !group.contains(&target_id) {
            refused("switch", "not_in_group", &primary_id, &target_id);
            // The token was good but is spent: a probe with it (from a leaked
            // link) learns one answer, not many.
            change.rotate_csrf();
            return Err(Refusal::NotInGroup.into());
        }
        let back = request.same_origin_referer().unwrap_or_else(|| destinations.after_switch());
        // In a tab, "Switch" moves the tab to the account's slot, or changes the
        // default (what unprefixed pages act as) and leaves the tab, as the app
        // chose.
        if let Some(tabs) = self.tabs.as_ref().filter(|_| change.state().tab().is_some()) {
            let rest = self.untabbed(back);
            if tabs.switch() == TabSwitch::MoveTab {
                let Some(slot) = change.state().slots().of(&target_id.to_string()) else {
                    return Err(Refusal::UnknownSlot.into());
                };
                change.select_tab(Some(slot));
                event("switch_tab", &primary_id, &target_id);
                return Ok(redirect(&tabs.url(slot, &rest)));
            }
            change.set_user::<U>(&target_id);
            change.renew_privileges();
            change.select_tab(None);
            event("switch", &primary_id, &target_id);
            return Ok(redirect(&rest));
        }
        change.set_user::<U>(&target_id);
        change.renew_privileges();
        event("switch", &primary_id, &target_id);
        Ok(redirect(&back))
    }

    /// Removes one account from the group; if it was acting, back to the primary.
    pub async fn remove<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.remove_in::<U>(&mut change, request, target, destinations).await;
        decision(change, outcome)
    }

    pub(crate) async fn remove_in<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Result<Response, Stop> {
        self.check_enabled()?;
        let target_id = parse_id::<U>(target)?;
        check_request(change.state(), request, "remove")?;
        self.signed_in_group::<U>(change, "remove", &target_id).await?;
        let Some((primary_id, token)) = change.state().multi_account::<U>() else {
            refused("remove", "no_multi_account_session", &"", &target_id);
            return Err(Refusal::Forbidden("remove: not a multi-account session").into());
        };
        let mut back = request.same_origin_referer().unwrap_or_else(|| destinations.after_switch());
        if target_id == primary_id {
            refused("remove", "primary", &primary_id, &target_id);
            return Err(Stop::TurnedBack { refusal: Refusal::PrimaryStays, to: back });
        }
        match LinkService::<U>::unlink(&self.db, &primary_id, &target_id, &token).await {
            Ok(true) => {}
            Ok(false) => {
                refused("remove", "not_linked", &primary_id, &target_id);
                return Err(Refusal::NotInGroup.into());
            }
            Err(error) => {
                tracing::error!(%error, "multi-account: remove failed");
                return Err(Refusal::Unavailable.into());
            }
        }
        if change.state().signed_in_id::<U>().as_ref() == Some(&target_id) {
            change.set_user::<U>(&primary_id);
        }
        change.forget_sign_in(&target_id);
        change.renew_privileges();
        // The tab of the removed account returns to the session's default
        // account (its slot is gone), and its page to the unprefixed path.
        let removed_slot = change.state().slots().of(&target_id.to_string());
        if removed_slot.is_some() && change.state().tab().and_then(TabSelector::slot) == removed_slot {
            change.select_tab(None);
        }
        if let Some(tabs) = self.tabs.as_ref()
            && let Some((selector, rest)) = tabs.split_path(&back)
            && removed_slot.is_some()
            && selector.slot() == removed_slot
        {
            back = rest.to_owned();
        }
        event("remove", &primary_id, &target_id);
        Ok(redirect(&back))
    }

    /// Signs out of every account in this browser: deletes this session's
    /// links, then purges the session. Unavailable (and nothing written) on a
    /// database error. Returns the writes and the number of links removed.
    pub async fn sign_out_all<U: MultiAccountUser>(
        &self,
        state: &SessionState,
    ) -> Result<(Vec<super::SessionWrite>, u64), Refusal> {
        let primary = state.primary_id::<U>();
        let mut removed = 0;
        if let Some(group_id) = state.group_id() {
            removed = LinkService::<U>::revoke_group(&self.db, group_id).await.map_err(|error| {
                tracing::error!(%error, "multi-account: sign-out-all failed");
                Refusal::Unavailable
            })?;
        }
        tracing::info!(
            target: super::AUDIT_TARGET,
            event = "sign_out_all",
            primary = %OptionalId(primary.as_ref()),
            links_removed = removed,
        );
        Ok((super::forget_session(), removed))
    }

    /// The sign-out-all route: the request's checks, then [`Self::sign_out_all`]
    /// and a redirect to where signing out goes. With `forget` (and remembered
    /// accounts on), this browser forgets its remembered accounts too.
    pub async fn sign_out_all_flow<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        forget: bool,
        destinations: &impl Destinations,
    ) -> Decision {
        let checked = self.check_enabled().and_then(|()| check_request(state, request, "sign_out_all"));
        if let Err(refusal) = checked {
            return Decision::refused(refusal, Vec::new());
        }
        // Remembered accounts on: the accounts signed in now are remembered
        // (noted by a resolution, one group statement) even if no request
        // noted them since they signed in; with `forget`, none are.
        let mut noted = Vec::new();
        if self.remembered.is_some() && !forget {
            let mut change = SessionChange::new(state);
            self.resolve_into::<U>(&mut change).await;
            noted = change.into_writes();
            noted.retain(|write| matches!(write, super::SessionWrite::SetCookie { .. }));
        }
        match self.sign_out_all::<U>(state).await {
            Ok((mut writes, _)) => {
                writes.extend(noted);
                writes.extend(self.forget_all().filter(|_| forget));
                Decision::new(redirect(&destinations.signed_out()), writes)
            }
            Err(refusal) => Decision::refused(refusal, Vec::new()),
        }
    }
}
