//! The link, switch, remove and sign-out-all routes.

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Form, Path, Query, RawQuery};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use multi_account::MultiAccountUser;
use multi_account::session::{Decision, Response as FlowResponse};
use serde::Deserialize;

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;
use crate::extractors::{config, session};
use crate::request::{RequestDestinations, flow_request};
use crate::session_state;

/// The CSRF token of a form or query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CsrfParam {
    csrf_token: Option<String>,
}

/// The largest form these routes read (actix-web's `web::Form` default): their
/// forms hold a CSRF token, nothing more, so a larger body is no token.
const FORM_LIMIT: usize = 16 * 1024;

/// The token of a form that may not even be a form: anything unreadable is
/// no token (a 403 like a wrong one, not a rejection of its own).
fn presented(form: Result<Form<CsrfParam>, FormRejection>) -> Option<String> {
    form.ok().and_then(|Form(form)| form.csrf_token)
}

impl MultiAccountConfig {
    /// The four routes for the user model `U`, at [`Paths`](crate::Paths): link
    /// (GET shows the page for the current step, POST starts with `?start` or
    /// completes), switch (POST; GET too with
    /// [`with_get_switch`](Self::with_get_switch)), remove and sign-out-all
    /// (POST); and the JSON API under `Paths::api` (`GET accounts`, `POST
    /// switch/{id}`, `remove/{id}`, `sign-out-all`, `link/start`,
    /// `link/complete`). Every POST needs the CSRF token (a form field; the
    /// `X-CSRF-Token` header for the JSON API) and a same-origin request; a body
    /// over 16 KiB is no form (no token). Merge it into your router, and add
    /// [`layer`](Self::layer).
    pub fn router<U: MultiAccountUser, S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let paths = self.paths();
        let switch = post(switch_post::<U>);
        let switch = if self.get_switch { switch.get(switch_get::<U>) } else { switch };
        Router::new()
            .route(&paths.link, get(link_page::<U>).post(link_post::<U>))
            .route(&paths.switch, switch)
            .route(&paths.remove, post(remove::<U>))
            .route(&paths.sign_out_all, post(sign_out_all::<U>))
            .route(&paths.again, get(again_page::<U>).post(again::<U>))
            .route(&paths.forget, post(forget))
            .merge(crate::api_routes::router::<U, S>(paths))
            .layer(DefaultBodyLimit::max(FORM_LIMIT))
    }
}

/// Applies a decision: its session writes, then its response.
async fn apply(config: &MultiAccountConfig, parts: &Parts, decision: Decision) -> Result<Response, MultiAccountError> {
    session_state::apply(&session(parts)?, &decision.writes).await?;
    crate::request::set_cookies(parts, &decision.writes);
    match decision.response {
        FlowResponse::Redirect(path) => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, path)]).into_response()),
        FlowResponse::AutoSubmit(form) => Ok(config.handlers.render_auto_submit(parts, &form)),
        FlowResponse::LinkStart(form) => Ok(config.handlers.render_link_start(parts, &form)),
        FlowResponse::Refused(refusal) => Err(refusal.into()),
    }
}

/// GET link: reads only (but for a CSRF token on first use).
async fn link_page<U: MultiAccountUser>(
    Path(primary): Path<String>,
    parts: Parts,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let state = session_state::read_request(&config, &parts).await?;
    let decision = config.core.link_page::<U>(&state, &primary).await;
    apply(&config, &parts, decision).await
}

/// POST link: `?start` starts adding an account; otherwise completes the link.
async fn link_post<U: MultiAccountUser>(
    Path(primary): Path<String>,
    RawQuery(query): RawQuery,
    parts: Parts,
    form: Result<Form<CsrfParam>, FormRejection>,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let starts = crate::request::has_flag(query.as_deref(), "start");
    let state = session_state::read_request(&config, &parts).await?;
    let request = flow_request(&parts, presented(form));
    let decision = if starts {
        let destinations = RequestDestinations { config: &config, parts: &parts };
        config.core.link_start::<U>(&state, &request, &primary, &destinations).await
    } else {
        config.core.link_complete::<U>(&state, &request, &primary).await
    };
    apply(&config, &parts, decision).await
}

async fn switch_get<U: MultiAccountUser>(
    Path(target): Path<String>,
    query: Result<Query<CsrfParam>, QueryRejection>,
    parts: Parts,
) -> Result<Response, MultiAccountError> {
    let token = query.ok().and_then(|Query(query)| query.csrf_token);
    switch::<U>(parts, &target, token).await
}

async fn switch_post<U: MultiAccountUser>(
    Path(target): Path<String>,
    parts: Parts,
    form: Result<Form<CsrfParam>, FormRejection>,
) -> Result<Response, MultiAccountError> {
    switch::<U>(parts, &target, presented(form)).await
}

/// Switches to an account of this session's group.
async fn switch<U: MultiAccountUser>(
    parts: Parts,
    target: &str,
    presented: Option<String>,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let state = session_state::read_request(&config, &parts).await?;
    let request = flow_request(&parts, presented);
    let destinations = RequestDestinations { config: &config, parts: &parts };
    let decision = config.core.switch::<U>(&state, &request, target, &destinations).await;
    apply(&config, &parts, decision).await
}

/// Removes one account from the group; if it was acting, back to the primary.
async fn remove<U: MultiAccountUser>(
    Path(target): Path<String>,
    parts: Parts,
    form: Result<Form<CsrfParam>, FormRejection>,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let state = session_state::read_request(&config, &parts).await?;
    let request = flow_request(&parts, presented(form));
    let destinations = RequestDestinations { config: &config, parts: &parts };
    let decision = config.core.remove::<U>(&state, &request, &target, &destinations).await;
    apply(&config, &parts, decision).await
}

/// Signs out of every account: deletes this session's links, then clears it.
async fn sign_out_all<U: MultiAccountUser>(
    parts: Parts,
    form: Result<Form<CsrfParam>, FormRejection>,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let state = session_state::read_request(&config, &parts).await?;
    let request = flow_request(&parts, presented(form));
    let destinations = RequestDestinations { config: &config, parts: &parts };
    let forget = crate::request::has_flag(parts.uri.query(), "forget");
    let decision = config.core.sign_out_all_flow::<U>(&state, &request, forget, &destinations).await;
    apply(&config, &parts, decision).await
}

/// GET "Sign in again": signed out, to the sign-in page with the account's
/// hint; signed in, the page whose form adds it.
async fn again_page<U: MultiAccountUser>(
    Path(target): Path<String>,
    parts: Parts,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let state = session_state::read_request(&config, &parts).await?;
    let destinations = RequestDestinations { config: &config, parts: &parts };
    let decision = config.core.sign_in_again_page::<U>(&state, &target, &destinations).await;
    apply(&config, &parts, decision).await
}

/// POST "Sign in again": adds the remembered account (the add-account flow).
async fn again<U: MultiAccountUser>(
    Path(target): Path<String>,
    parts: Parts,
    form: Result<Form<CsrfParam>, FormRejection>,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let state = session_state::read_request(&config, &parts).await?;
    let request = flow_request(&parts, presented(form));
    let destinations = RequestDestinations { config: &config, parts: &parts };
    let decision = config.core.sign_in_again::<U>(&state, &request, &target, &destinations).await;
    apply(&config, &parts, decision).await
}

/// POST "Forget": this browser no longer remembers the account.
async fn forget(
    Path(target): Path<String>,
    parts: Parts,
    form: Result<Form<CsrfParam>, FormRejection>,
) -> Result<Response, MultiAccountError> {
    let config = config(&parts)?;
    let state = session_state::read_request(&config, &parts).await?;
    let request = flow_request(&parts, presented(form));
    let destinations = RequestDestinations { config: &config, parts: &parts };
    apply(&config, &parts, config.core.forget(&state, &request, &target, &destinations)).await
}
