//! `POST /api/sign-in` on actix-web: the steps of [`crate::api_sign_in`],
//! with actix-session and `multi-account-actix`. Always JSON: never HTML,
//! never a redirect.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use multi_account::session::CSRF_HEADER;
use multi_account_actix::{MultiAccountConfig, SignedInAccounts, csrf};

use crate::User;
use crate::api_error::ApiRefusal;
use crate::api_sign_in;
use crate::app_state::AppState;
use crate::sign_in::Checked;

/// A header's text; `"invalid"` when it is not text (present, matching no token).
fn header_text<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).map(|value| value.to_str().unwrap_or("invalid"))
}

fn json(status: u16, body: Vec<u8>, retry_after: Option<u64>) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE))
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body);
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// `POST /api/sign-in`. The body is taken as bytes, however it failed to
/// arrive (too large, cut short): the refusal is JSON too.
pub(crate) async fn api_sign_in(
    req: HttpRequest,
    session: Session,
    state: Data<AppState>,
    multi_account: Data<MultiAccountConfig>,
    accounts: SignedInAccounts<User>,
    body: Result<web::Bytes, actix_web::Error>,
) -> HttpResponse {
    match sign_in(&req, &session, &state, &multi_account, &accounts, body.ok().as_deref()).await {
        Ok(answer) => json(200, answer, None),
        Err(refusal) => json(refusal.status(), refusal.body(), refusal.retry_after()),
    }
}

async fn sign_in(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    multi_account: &MultiAccountConfig,
    accounts: &SignedInAccounts<User>,
    body: Option<&[u8]>,
) -> Result<Vec<u8>, ApiRefusal> {
    api_sign_in::admit(csrf::is_same_origin(req))?;
    if !csrf::verify(session, header_text(req, CSRF_HEADER))? {
        return Err(api_sign_in::bad_token());
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let request = api_sign_in::parse(content_type, body)?;
    let user = match crate::sign_in::check(state, request.credentials, req.peer_addr().map(|addr| addr.ip())).await? {
        Checked::Passed(user) => user,
        Checked::Refused(refused) => {
            if refused.spends_token() {
                csrf::rotate(session)?;
            }
            return Err(refused.into());
        }
    };
    let plan = multi_account.plan_sign_in(session, accounts, &user, request.return_to.as_deref());
    let adds = api_sign_in::planned(plan, &user)?;
    multi_account.sign_in(session, &user).await?;
    Ok(api_sign_in::signed_in(&user, adds, &csrf::csrf_token(session)?))
}
