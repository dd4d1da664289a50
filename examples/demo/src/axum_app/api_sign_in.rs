//! `POST /api/sign-in` on axum: the steps of [`crate::api_sign_in`], with
//! tower-sessions and `multi-account-axum`. Always JSON: never HTML, never a
//! redirect.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use multi_account::session::CSRF_HEADER;
use multi_account_axum::{SignedInAccounts, csrf};
use tower_sessions::Session;

use super::DemoState;
use crate::User;
use crate::api_error::ApiRefusal;
use crate::api_sign_in;
use crate::sign_in::Checked;

/// A header's text; `"invalid"` when it is not text (present, matching no token).
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|value| value.to_str().unwrap_or("invalid"))
}

fn json(status: u16, body: Vec<u8>, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")];
    let mut response = (status, headers, body).into_response();
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// `POST /api/sign-in`. The body is taken as bytes, however it failed to
/// arrive (larger than the body limit, cut short): the refusal is JSON too.
pub(crate) async fn api_sign_in(
    State(demo): State<DemoState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    accounts: SignedInAccounts<User>,
    parts: Parts,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = body.map_err(|rejection| tracing::info!(%rejection, "JSON sign-in: the body could not be read")).ok();
    match sign_in(&demo, peer, &session, &accounts, &parts, body.as_deref()).await {
        Ok(answer) => json(200, answer, None),
        Err(refusal) => json(refusal.status(), refusal.body(), refusal.retry_after()),
    }
}

async fn sign_in(
    demo: &DemoState,
    peer: SocketAddr,
    session: &Session,
    accounts: &SignedInAccounts<User>,
    parts: &Parts,
    body: Option<&[u8]>,
) -> Result<Vec<u8>, ApiRefusal> {
    api_sign_in::admit(csrf::is_same_origin(parts))?;
    let headers = &parts.headers;
    if !csrf::verify(session, header_text(headers, CSRF_HEADER)).await? {
        return Err(api_sign_in::bad_token());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let request = api_sign_in::parse(content_type, body)?;
    let user = match crate::sign_in::check(&demo.app, request.credentials, Some(peer.ip())).await? {
        Checked::Passed(user) => user,
        Checked::Refused(refused) => {
            if refused.spends_token() {
                csrf::rotate(session).await?;
            }
            return Err(refused.into());
        }
    };
    let plan = demo.multi_account.plan_sign_in(session, accounts, &user, request.return_to.as_deref()).await?;
    let adds = api_sign_in::planned(plan, &user)?;
    demo.multi_account.sign_in(session, &user).await?;
    Ok(api_sign_in::signed_in(&user, adds, &csrf::csrf_token(session).await?))
}
