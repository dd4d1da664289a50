//! The flows over JSON: the same rules as the HTML routes (the same functions
//! decide), answered as data. A success answers the session's accounts as the
//! change left them (one more statement: the group as the database now holds
//! it); a refusal answers its stable code.

use super::accounts::Accounts;
use super::api_body::{ApiAccounts, ApiBody, ApiDecision, ApiError, ApiLinkStarted};
use super::change::SessionChange;
use super::config::SessionConfig;
use super::decision::{Destinations, Refusal, Response};
use super::flows::Stop;
use super::origin::FlowRequest;
use super::state::SessionState;
use crate::MultiAccountUser;

/// The header a JSON client sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl<D> ApiDecision<D> {
    fn refused(refusal: Refusal, change: SessionChange) -> Self {
        Self { status: refusal.status(), body: ApiBody::Error(ApiError::from(refusal)), writes: change.into_writes() }
    }
}

/// The primary a JSON link acts for: the session's, or the signed-in account
/// alone (the HTML routes name it in the path). None when signed out.
fn link_primary<U: MultiAccountUser>(state: &SessionState) -> Option<String> {
    state.primary_id::<U>().or_else(|| state.signed_in_id::<U>()).map(|id| id.to_string())
}

/// The accounts answer over `change`, which it may add the CSRF token to.
fn accounts_answer<U: MultiAccountUser>(mut change: SessionChange, accounts: &Accounts<U>) -> ApiDecision<U::Display> {
    if accounts.database_failed {
        return ApiDecision::refused(Refusal::Unavailable, change);
    }
    let token = change.csrf_token();
    let body = ApiBody::Accounts(ApiAccounts::new(accounts, Some(token)));
    ApiDecision { status: 200, body, writes: change.into_writes() }
}

impl SessionConfig {
    /// `GET {api}/accounts`: the accounts this request resolved (the adapter's
    /// per-request load, shared with the extractors: no statement of its own)
    /// and the session's CSRF token (created on first use, so a signed-out
    /// client gets one for its sign-in). Unavailable when the database failed.
    pub fn api_accounts<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        accounts: &Accounts<U>,
    ) -> ApiDecision<U::Display> {
        let change = SessionChange::new(state);
        accounts_answer(change, accounts)
    }

    /// The accounts as `change` leaves the session, resolved again.
    async fn resolved_answer<U: MultiAccountUser>(&self, mut change: SessionChange) -> ApiDecision<U::Display> {
        let accounts: Accounts<U> = self.resolve_into::<U>(&mut change).await;
        accounts_answer(change, &accounts)
    }

    /// The answer of a state change that ran over `change`.
    async fn change_answer<U: MultiAccountUser>(
        &self,
        change: SessionChange,
        outcome: Result<Response, Stop>,
    ) -> ApiDecision<U::Display> {
        match outcome {
            Ok(Response::Refused(refusal)) => ApiDecision::refused(refusal, change),
            Ok(_) => self.resolved_answer::<U>(change).await,
            Err(stop) => ApiDecision::refused(stop.refusal(), change),
        }
    }

    /// `POST {api}/switch/{id}`.
    pub async fn api_switch<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
    ) -> ApiDecision<U::Display> {
        let mut change = SessionChange::new(state);
        let outcome = self.switch_in::<U>(&mut change, request, target, &NoPages).await;
        self.change_answer::<U>(change, outcome).await
    }

    /// `POST {api}/remove/{id}`.
    pub async fn api_remove<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
    ) -> ApiDecision<U::Display> {
        let mut change = SessionChange::new(state);
        let outcome = self.remove_in::<U>(&mut change, request, target, &NoPages).await;
        self.change_answer::<U>(change, outcome).await
    }

    /// `POST {api}/link/start`: records the intent and answers where the next
    /// account signs in (`destinations.sign_in`) and where to complete.
    pub async fn api_link_start<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        destinations: &impl Destinations,
    ) -> ApiDecision<U::Display> {
        let mut change = SessionChange::new(state);
        let Some(primary) = link_primary::<U>(state) else {
            return ApiDecision::refused(Refusal::Unauthorized, change);
        };
        match self.link_start_in::<U>(&mut change, request, &primary, destinations).await {
            Ok(Response::Redirect(sign_in)) => self.link_started(sign_in, change),
            Ok(Response::Refused(refusal)) => ApiDecision::refused(refusal, change),
            // The start answers a redirect or a refusal; anything else is a
            // flow this API does not know.
            Ok(_) => ApiDecision::refused(Refusal::Forbidden("unexpected link start"), change),
            Err(stop) => ApiDecision::refused(stop.refusal(), change),
        }
    }

    /// `POST {api}/link/complete`: adds the account that signed in since the
    /// start; answers the new group.
    pub async fn api_link_complete<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
    ) -> ApiDecision<U::Display> {
        let mut change = SessionChange::new(state);
        let Some(primary) = state.primary_id::<U>() else {
            return ApiDecision::refused(Refusal::Forbidden("no_multi_account_session"), change);
        };
        let outcome = self.link_complete_in::<U>(&mut change, request, &primary.to_string()).await;
        self.change_answer::<U>(change, outcome).await
    }

    /// `POST {api}/again/{id}`: as the signed-in group, starts adding the
    /// remembered account `target` (answered as `link/start` is, the sign-in
    /// URL carrying its hint); signed out, `unauthorized` (sign in with the
    /// hint the accounts list gives).
    pub async fn api_sign_in_again<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
        destinations: &impl Destinations,
    ) -> ApiDecision<U::Display> {
        let mut change = SessionChange::new(state);
        if state.signed_in_id::<U>().is_none() {
            return ApiDecision::refused(Refusal::Unauthorized, change);
        }
        match self.sign_in_again_in::<U>(&mut change, request, target, destinations).await {
            Ok(Response::Redirect(sign_in)) => self.link_started(sign_in, change),
            Ok(Response::Refused(refusal)) => ApiDecision::refused(refusal, change),
            Ok(_) => ApiDecision::refused(Refusal::Forbidden("unexpected link start"), change),
            Err(stop) => ApiDecision::refused(stop.refusal(), change),
        }
    }

    /// `POST {api}/forget/{id}`: this browser forgets the remembered account
    /// `target`; answers the accounts as the change left them.
    pub async fn api_forget<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        target: &str,
    ) -> ApiDecision<U::Display> {
        let mut change = SessionChange::new(state);
        let outcome = self.forget_in(&mut change, request, target, &NoPages);
        self.change_answer::<U>(change, outcome).await
    }

    fn link_started<D>(&self, sign_in: String, mut change: SessionChange) -> ApiDecision<D> {
        let body = ApiBody::LinkStarted(ApiLinkStarted {
            sign_in,
            complete: self.paths.api_url("link/complete"),
            expires_in: self.link_intent_ttl.as_secs(),
            csrf_token: change.csrf_token(),
        });
        ApiDecision { status: 200, body, writes: change.into_writes() }
    }

    /// `POST {api}/sign-out-all`: the same checks and effect as the route;
    /// answers no accounts and no token (the session is gone).
    pub async fn api_sign_out_all<U: MultiAccountUser>(
        &self,
        state: &SessionState,
        request: &FlowRequest,
        forget: bool,
    ) -> ApiDecision<U::Display> {
        let decision = self.sign_out_all_flow::<U>(state, request, forget, &NoPages).await;
        match decision.response {
            Response::Refused(refusal) => ApiDecision {
                status: refusal.status(),
                body: ApiBody::Error(ApiError::from(refusal)),
                writes: decision.writes,
            },
            _ => ApiDecision {
                status: 200,
                body: ApiBody::Accounts(ApiAccounts {
                    accounts: Vec::new(),
                    actions: Vec::new(),
                    csrf_token: None,
                    remembered: self.remembered.as_ref().map(|remembered| match forget {
                        true => Vec::new(),
                        false => remembered.open(state.remembered_cookie(), self.now()).listed(),
                    }),
                }),
                writes: decision.writes,
            },
        }
    }
}

/// The JSON API has no pages to return to: a switch or a removal answers the
/// accounts, not a redirect.
struct NoPages;

impl Destinations for NoPages {
    fn after_link(&self) -> String {
        "/".to_owned()
    }

    fn after_switch(&self) -> String {
        "/".to_owned()
    }

    fn sign_in(&self, _link: &str) -> String {
        "/".to_owned()
    }

    fn signed_out(&self) -> String {
        "/".to_owned()
    }
}
