//! The remembered accounts' flows: "Sign in again" (the add-account flow, or a
//! plain sign-in, with the account's hint) and "Forget". Like every flow, each
//! takes the session's state and the request's inputs and returns a decision.

use super::accounts::Accounts;
use super::audit::{event, refused};
use super::change::SessionChange;
use super::config::SessionConfig;
use super::decision::{Decision, Destinations, Form, Refusal, Response};
use super::flows::{Stop, check_request, decision, parse_id, redirect};
use super::origin::FlowRequest;
use super::remembered::{RememberedAccounts, with_hint};
use super::state::SessionState;
use crate::MultiAccountUser;

/// The hint of `target`, if this request's accounts list it as remembered:
/// not remembered (or deleted, inactive, expired) is `not_found`; signed in
/// here is `already_in_group`.
fn remembered_hint<U: MultiAccountUser>(accounts: &Accounts<U>, target: &U::Id) -> Result<Option<String>, Refusal> {
    let text = target.to_string();
    if let Some(account) = accounts.remembered().iter().find(|account| account.id == text) {
        return Ok(account.hint.clone());
    }
    if accounts.listed().iter().any(|user| &user.id() == target) {
        return Err(Refusal::AlreadyInGroup);
    }
    Err(Refusal::NotFound)
}

impl SessionConfig {
    fn remembered_on(&self) -> Result<&RememberedAccounts, Refusal> {
        self.remembered.as_deref().ok_or(Refusal::Disabled)
    }

    /// Signed out, "Sign in again" is the sign-in page with the hint, returning
    /// where a link would.
    fn plain_sign_in(hint: Option<&str>, destinations: &impl Destinations) -> Response {
        redirect(&with_hint(&destinations.sign_in(&destinations.after_link()), hint))
    }

    /// `GET` "Sign in again": signed out, a redirect to the sign-in page with
    /// the account's hint; signed in, the page whose form adds it (a GET
    /// changes nothing).
    pub async fn sign_in_again_page<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        target: &str,
        destinations: &impl Destinations,
    ) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.sign_in_again_page_in::<U>(&mut change, target, destinations).await;
        decision(change, outcome)
    }

    async fn sign_in_again_page_in<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        target: &str,
        destinations: &impl Destinations,
    ) -> Result<Response, Stop> {
        self.remembered_on()?;
        let target_id = parse_id::<U>(target)?;
        let accounts = self.load_for_change::<U>(change).await?;
        let hint = remembered_hint(&accounts, &target_id)?;
        if accounts.anchor_id().is_none() {
            return Ok(Self::plain_sign_in(hint.as_deref(), destinations));
        }
        self.check_enabled()?;
        let action = self.paths.again_url(&target_id);
        Ok(Response::LinkStart(Form { action, csrf_token: change.csrf_token() }))
    }

    /// `POST` "Sign in again": signed in, starts adding the account (the
    /// add-account flow, the sign-in page given its hint); signed out, as the
    /// `GET`. Needs the CSRF token and a same-origin request.
    pub async fn sign_in_again<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.sign_in_again_in::<U>(&mut change, request, target, destinations).await;
        decision(change, outcome)
    }

    pub(crate) async fn sign_in_again_in<U: MultiAccountUser>(
        &self,
        change: &mut SessionChange,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Result<Response, Stop> {
        self.remembered_on()?;
        let target_id = parse_id::<U>(target)?;
        check_request(change.state(), request, "sign_in_again")?;
        let accounts = self.load_for_change::<U>(change).await?;
        let hint = remembered_hint(&accounts, &target_id).inspect_err(|refusal| {
            refused("sign_in_again", refusal.code(), &"", &target_id);
        })?;
        let Some(anchor) = accounts.anchor_id() else {
            return Ok(Self::plain_sign_in(hint.as_deref(), destinations));
        };
        match self.link_start_in::<U>(change, request, &anchor.to_string(), destinations).await? {
            Response::Redirect(sign_in) => {
                event("sign_in_again", &anchor, &target_id);
                Ok(Response::Redirect(with_hint(&sign_in, hint.as_deref())))
            }
            other => Ok(other),
        }
    }

    /// `POST` "Forget": this browser no longer remembers the account. Needs the
    /// CSRF token and a same-origin request; forgetting an account that is not
    /// remembered changes nothing. Reads no database.
    pub fn forget(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Decision {
        let mut change = SessionChange::new(state);
        let outcome = self.forget_in(&mut change, request, target, destinations);
        decision(change, outcome)
    }

    pub(crate) fn forget_in(
        &self,
        change: &mut SessionChange,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> Result<Response, Stop> {
        let remembered = self.remembered_on()?;
        if target.is_empty() || target.len() > crate::MAX_SESSION_TOKEN_LEN {
            return Err(Refusal::MalformedId.into());
        }
        check_request(change.state(), request, "forget")?;
        let mut list = remembered.open(change.state().remembered_cookie(), self.now());
        if list.forget(target) {
            change.write_remembered(remembered, &list);
            tracing::info!(target: super::AUDIT_TARGET, event = "forget", user = %target);
        }
        Ok(redirect(&request.same_origin_referer().unwrap_or_else(|| destinations.after_switch())))
    }

    /// The write that forgets every remembered account (sign-out-all with
    /// `forget`), when they are on.
    pub(crate) fn forget_all(&self) -> Option<super::SessionWrite> {
        let remembered = self.remembered.as_deref()?;
        Some(super::SessionWrite::SetCookie { header: remembered.seal(&Default::default()) })
    }
}
