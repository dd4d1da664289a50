//! The JSON API's routes: the same flows as the HTML routes, answered as JSON
//! (the core decides; this applies). The CSRF token comes in `X-CSRF-Token`.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use multi_account::MultiAccountUser;
use multi_account::session::{ApiBody, ApiDecision, ApiError, CSRF_HEADER, Paths, Refusal, keys};

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;
use crate::extractors::{config, load, session};
use crate::request::{RequestDestinations, flow_request};
use crate::session_state;

/// The JSON API's routes under `paths.api`.
pub(crate) fn router<U: MultiAccountUser, S: Clone + Send + Sync + 'static>(paths: &Paths) -> Router<S> {
    Router::new()
        .route(&paths.api_url("accounts"), get(accounts::<U>))
        .route(&paths.api_url("switch/{user_id}"), post(switch::<U>))
        .route(&paths.api_url("remove/{user_id}"), post(remove::<U>))
        .route(&paths.api_url("sign-out-all"), post(sign_out_all::<U>))
        .route(&paths.api_url("link/start"), post(link_start::<U>))
        .route(&paths.api_url("link/complete"), post(link_complete::<U>))
        .route(&paths.api_url("again/{user_id}"), post(again::<U>))
        .route(&paths.api_url("forget/{user_id}"), post(forget::<U>))
}

/// Room for `body` as JSON, so that writing it rarely grows the buffer (three
/// reallocations cost a third as much as serializing six accounts); small
/// enough for the allocator's fast path at six accounts of a short display.
fn json_capacity<D>(body: &ApiBody<D>) -> usize {
    match body {
        ApiBody::Accounts(accounts) => 128 + 128 * accounts.accounts.len(),
        _ => 128,
    }
}

fn json<D: serde::Serialize>(status: u16, body: &ApiBody<D>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut bytes = Vec::with_capacity(json_capacity(body));
    let (status, bytes) = match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => (status, bytes),
        Err(error) => {
            // Only an app's display type can fail to serialize.
            tracing::error!(%error, "multi-account: could not serialize a JSON answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                br#"{"code":"unavailable","message":"the account service is unavailable"}"#.to_vec(),
            )
        }
    };
    // Answers carry a CSRF token: never cached.
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")];
    (status, headers, bytes).into_response()
}

/// An error before any decision (no config, a session store down), as JSON.
fn failed(error: &MultiAccountError) -> Response {
    let refusal = error.refusal().unwrap_or(Refusal::Unavailable);
    json::<()>(refusal.status(), &ApiBody::Error(ApiError::from(refusal)))
}

/// Applies a decision: its session writes, then its JSON answer.
async fn apply<D: serde::Serialize>(parts: &Parts, decision: ApiDecision<D>) -> Response {
    let written = match session(parts) {
        Ok(session) => {
            crate::request::set_cookies(parts, &decision.writes);
            session_state::apply(&session, &decision.writes).await
        }
        Err(error) => Err(error),
    };
    match written {
        Ok(()) => json(decision.status, &decision.body),
        Err(error) => failed(&error),
    }
}

/// The CSRF token of a JSON request: its header.
fn presented(parts: &Parts) -> Option<String> {
    parts.headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// The config and the session's state, read for a flow.
async fn prepare(
    parts: &Parts,
) -> Result<(MultiAccountConfig, multi_account::session::SessionState), MultiAccountError> {
    let config = config(parts)?;
    let state = session_state::read_request(&config, parts).await?;
    Ok((config, state))
}

async fn accounts<U: MultiAccountUser>(request: Request) -> Response {
    // The request's own parts: `Parts` as an extractor would clone them (its
    // headers and extensions), a tenth of what this route adds to the load.
    let (mut parts, _body) = request.into_parts();
    let answer = async {
        let config = config(&parts)?;
        let loaded = load::<U>(&mut parts).await?;
        // The token is all the answer reads (the load read the rest).
        let state = session_state::read_keys(&session(&parts)?, &[keys::CSRF_TOKEN]).await?;
        Ok::<_, MultiAccountError>(config.core.api_accounts::<U>(&state, &loaded))
    };
    match answer.await {
        Ok(decision) => apply(&parts, decision).await,
        Err(error) => failed(&error),
    }
}

async fn switch<U: MultiAccountUser>(target: Result<Path<String>, PathRejection>, parts: Parts) -> Response {
    // An id that is not even text (`%FF`) is malformed like any other.
    let target = target.map_or_else(|_| String::new(), |Path(target)| target);
    let (config, state) = match prepare(&parts).await {
        Ok(prepared) => prepared,
        Err(error) => return failed(&error),
    };
    let decision = config.core.api_switch::<U>(&state, &flow_request(&parts, presented(&parts)), &target).await;
    apply(&parts, decision).await
}

async fn remove<U: MultiAccountUser>(target: Result<Path<String>, PathRejection>, parts: Parts) -> Response {
    // An id that is not even text (`%FF`) is malformed like any other.
    let target = target.map_or_else(|_| String::new(), |Path(target)| target);
    let (config, state) = match prepare(&parts).await {
        Ok(prepared) => prepared,
        Err(error) => return failed(&error),
    };
    let decision = config.core.api_remove::<U>(&state, &flow_request(&parts, presented(&parts)), &target).await;
    apply(&parts, decision).await
}

async fn sign_out_all<U: MultiAccountUser>(parts: Parts) -> Response {
    let (config, state) = match prepare(&parts).await {
        Ok(prepared) => prepared,
        Err(error) => return failed(&error),
    };
    let forget = crate::request::has_flag(parts.uri.query(), "forget");
    let request = flow_request(&parts, presented(&parts));
    let decision = config.core.api_sign_out_all::<U>(&state, &request, forget).await;
    apply(&parts, decision).await
}

async fn link_start<U: MultiAccountUser>(parts: Parts) -> Response {
    let (config, state) = match prepare(&parts).await {
        Ok(prepared) => prepared,
        Err(error) => return failed(&error),
    };
    let destinations = RequestDestinations { config: &config, parts: &parts };
    let request = flow_request(&parts, presented(&parts));
    let decision = config.core.api_link_start::<U>(&state, &request, &destinations).await;
    apply(&parts, decision).await
}

async fn link_complete<U: MultiAccountUser>(parts: Parts) -> Response {
    let (config, state) = match prepare(&parts).await {
        Ok(prepared) => prepared,
        Err(error) => return failed(&error),
    };
    let decision = config.core.api_link_complete::<U>(&state, &flow_request(&parts, presented(&parts))).await;
    apply(&parts, decision).await
}

async fn again<U: MultiAccountUser>(target: Result<Path<String>, PathRejection>, parts: Parts) -> Response {
    // An id that is not even text (`%FF`) is malformed like any other.
    let target = target.map_or_else(|_| String::new(), |Path(target)| target);
    let (config, state) = match prepare(&parts).await {
        Ok(prepared) => prepared,
        Err(error) => return failed(&error),
    };
    let destinations = RequestDestinations { config: &config, parts: &parts };
    let request = flow_request(&parts, presented(&parts));
    let decision = config.core.api_sign_in_again::<U>(&state, &request, &target, &destinations).await;
    apply(&parts, decision).await
}

async fn forget<U: MultiAccountUser>(target: Result<Path<String>, PathRejection>, parts: Parts) -> Response {
    // An id that is not even text (`%FF`) is malformed like any other.
    let target = target.map_or_else(|_| String::new(), |Path(target)| target);
    let (config, state) = match prepare(&parts).await {
        Ok(prepared) => prepared,
        Err(error) => return failed(&error),
    };
    let decision = config.core.api_forget::<U>(&state, &flow_request(&parts, presented(&parts)), &target).await;
    apply(&parts, decision).await
}
