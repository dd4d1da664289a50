//! The JSON API's routes: the same flows as the HTML routes, answered as JSON
//! (the core decides; this applies). The CSRF token comes in `X-CSRF-Token`.

use actix_session::SessionExt;
use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use multi_account::MultiAccountUser;
use multi_account::session::{ApiBody, ApiDecision, ApiError, CSRF_HEADER, Refusal, SessionState, keys};

use crate::loader::{config, load};
use crate::request::{RequestDestinations, flow_request};
use crate::session_state;

/// Registers the JSON API's routes under `paths.api`.
pub(crate) fn register<U: MultiAccountUser>(cfg: &mut ServiceConfig, paths: &multi_account::session::Paths) {
    cfg.service(web::resource(paths.api_url("accounts")).route(web::get().to(accounts::<U>)))
        .service(web::resource(paths.api_url("switch/{user_id}")).route(web::post().to(switch::<U>)))
        .service(web::resource(paths.api_url("remove/{user_id}")).route(web::post().to(remove::<U>)))
        .service(web::resource(paths.api_url("sign-out-all")).route(web::post().to(sign_out_all::<U>)))
        .service(web::resource(paths.api_url("link/start")).route(web::post().to(link_start::<U>)))
        .service(web::resource(paths.api_url("link/complete")).route(web::post().to(link_complete::<U>)))
        .service(web::resource(paths.api_url("again/{user_id}")).route(web::post().to(again::<U>)))
        .service(web::resource(paths.api_url("forget/{user_id}")).route(web::post().to(forget::<U>)));
}

/// A refusal as the API answers it, before any decision (no config).
fn refused(refusal: Refusal) -> HttpResponse {
    json::<()>(
        StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        &ApiBody::Error(refusal.into()),
    )
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

fn json<D: serde::Serialize>(status: StatusCode, body: &ApiBody<D>) -> HttpResponse {
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
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

/// Applies a decision: its session writes, then its JSON answer. A session that
/// cannot be written answers `unavailable`, with nothing said to have happened.
fn apply<D: serde::Serialize>(req: &HttpRequest, decision: ApiDecision<D>) -> HttpResponse {
    crate::request::set_cookies(req, &decision.writes);
    if session_state::apply(&req.get_session(), &decision.writes).is_err() {
        let body: ApiBody<D> = ApiBody::Error(ApiError::from(Refusal::Unavailable));
        return json(StatusCode::SERVICE_UNAVAILABLE, &body);
    }
    json(StatusCode::from_u16(decision.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE), &decision.body)
}

/// The CSRF token of a JSON request: its header.
fn presented(req: &HttpRequest) -> Option<&str> {
    req.headers().get(CSRF_HEADER).and_then(|value| value.to_str().ok())
}

async fn accounts<U: MultiAccountUser>(req: HttpRequest) -> HttpResponse {
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let loaded = match load::<U>(&req).await {
        Ok(accounts) => accounts,
        Err(error) => return refused(error.refusal().unwrap_or(Refusal::Unavailable)),
    };
    // The token is all the answer reads (the load read the rest): not every
    // entry parsed from JSON and copied into the state.
    let session = req.get_session();
    let state = SessionState::read(None, |key| match key {
        keys::CSRF_TOKEN => session.get::<serde_json::Value>(key).unwrap_or_else(|error| {
            tracing::debug!(key, %error, "ignoring a malformed session value");
            Some(serde_json::Value::Null)
        }),
        _ => None,
    });
    apply(&req, config.core.api_accounts::<U>(&state, &loaded))
}

async fn switch<U: MultiAccountUser>(
    req: HttpRequest,
    path: Result<web::Path<String>, actix_web::Error>,
) -> HttpResponse {
    // An id that is not even text (`%FF`) is malformed like any other.
    let path = path.map_or_else(|_| String::new(), web::Path::into_inner);
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let state = session_state::read_request(&config, &req);
    let decision = config.core.api_switch::<U>(&state, &flow_request(&req, presented(&req)), &path).await;
    apply(&req, decision)
}

async fn remove<U: MultiAccountUser>(
    req: HttpRequest,
    path: Result<web::Path<String>, actix_web::Error>,
) -> HttpResponse {
    // An id that is not even text (`%FF`) is malformed like any other.
    let path = path.map_or_else(|_| String::new(), web::Path::into_inner);
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let state = session_state::read_request(&config, &req);
    let decision = config.core.api_remove::<U>(&state, &flow_request(&req, presented(&req)), &path).await;
    apply(&req, decision)
}

async fn sign_out_all<U: MultiAccountUser>(req: HttpRequest) -> HttpResponse {
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let state = session_state::read_request(&config, &req);
    let forget = crate::request::has_flag(req.query_string(), "forget");
    let decision = config.core.api_sign_out_all::<U>(&state, &flow_request(&req, presented(&req)), forget).await;
    apply(&req, decision)
}

async fn link_start<U: MultiAccountUser>(req: HttpRequest) -> HttpResponse {
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let state = session_state::read_request(&config, &req);
    let destinations = RequestDestinations { config: &config, req: &req };
    let request = flow_request(&req, presented(&req));
    let decision = config.core.api_link_start::<U>(&state, &request, &destinations).await;
    apply(&req, decision)
}

async fn link_complete<U: MultiAccountUser>(req: HttpRequest) -> HttpResponse {
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let state = session_state::read_request(&config, &req);
    let decision = config.core.api_link_complete::<U>(&state, &flow_request(&req, presented(&req))).await;
    apply(&req, decision)
}

async fn again<U: MultiAccountUser>(
    req: HttpRequest,
    path: Result<web::Path<String>, actix_web::Error>,
) -> HttpResponse {
    // An id that is not even text (`%FF`) is malformed like any other.
    let path = path.map_or_else(|_| String::new(), web::Path::into_inner);
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let state = session_state::read_request(&config, &req);
    let destinations = RequestDestinations { config: &config, req: &req };
    let request = flow_request(&req, presented(&req));
    let decision = config.core.api_sign_in_again::<U>(&state, &request, &path, &destinations).await;
    apply(&req, decision)
}

async fn forget<U: MultiAccountUser>(
    req: HttpRequest,
    path: Result<web::Path<String>, actix_web::Error>,
) -> HttpResponse {
    // An id that is not even text (`%FF`) is malformed like any other.
    let path = path.map_or_else(|_| String::new(), web::Path::into_inner);
    let Ok(config) = config(&req) else { return refused(Refusal::Unavailable) };
    let state = session_state::read_request(&config, &req);
    let decision = config.core.api_forget::<U>(&state, &flow_request(&req, presented(&req)), &path).await;
    apply(&req, decision)
}
