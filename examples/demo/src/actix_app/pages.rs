//! The demo's own pages on actix-web: home, sign-in, sign-out, the stylesheet,
//! and the auto-submit page of the link flow.

use actix_session::Session;
use actix_web::http::header::HeaderValue;
use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use multi_account_actix::{
    AutoSubmitForm, DefaultHandlers, MultiAccountConfig, MultiAccountHandlers, SignedInAccounts, csrf, session,
};

use crate::User;
use crate::app_state::{AppState, Pairs, field};
use crate::error::PageError;
use crate::settings::Framework;
use crate::sign_in::{Checked, Credentials, Next, Refused};
use crate::templates::APP_CSS;
use crate::views::{self, AccountView, SignInPage};

/// A 303 redirect to a local path.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// GET `/`: who is signed in and the account switcher, or a sign-in link.
pub(crate) async fn home(session: Session, accounts: SignedInAccounts<User>) -> Result<HttpResponse, PageError> {
    let flash = multi_account_actix::take_flash(&session);
    let switcher = accounts.current().is_some().then(|| accounts.switcher());
    Ok(html(StatusCode::OK, views::home(Framework::Actix, accounts.current(), switcher, flash)?))
}

fn render_sign_in(session: &Session, page: SignInPage<'_>, status: StatusCode) -> Result<HttpResponse, PageError> {
    Ok(html(status, views::sign_in(Framework::Actix, &csrf::csrf_token(session)?, page)?))
}

/// The account a new one is being added to, when adding.
fn adding_to(adding: bool, accounts: &SignedInAccounts<User>) -> Option<AccountView> {
    if adding { accounts.primary().or(accounts.current()).map(AccountView::of) } else { None }
}

/// GET `/sign-in`: the sign-in form. Signed in already, and not in the middle of
/// adding an account, it starts adding one (as Google does).
pub(crate) async fn sign_in_page(
    session: Session,
    state: Data<AppState>,
    query: web::Query<Pairs>,
    accounts: SignedInAccounts<User>,
) -> Result<HttpResponse, PageError> {
    let return_to = state.return_to(&query);
    let adding = state.is_adding(return_to);
    if !adding
        && accounts.current().is_some()
        && let Some(add) = accounts.switcher().add_account_url
    {
        return Ok(see_other(&add));
    }
    let page = SignInPage { email: "", return_to, error: None, adding_to: adding_to(adding, &accounts) };
    render_sign_in(&session, page, StatusCode::OK)
}

/// POST `/sign-in`: checks the password ([`crate::sign_in::check`]: throttled,
/// Argon2id a few at a time), signs in, and returns to `return_to` when it is a
/// local path. Each failed attempt rotates the CSRF token: one form, one guess.
pub(crate) async fn sign_in(
    req: HttpRequest,
    session: Session,
    state: Data<AppState>,
    multi_account: Data<MultiAccountConfig>,
    form: web::Form<Pairs>,
    accounts: SignedInAccounts<User>,
) -> Result<HttpResponse, PageError> {
    if !csrf::verify(&session, field(&form, "csrf_token")) {
        tracing::info!("sign-in refused: bad CSRF token");
        return Err(PageError::Csrf);
    }
    let credentials = Credentials::of(&form);
    let email = credentials.email.clone();
    let return_to = state.return_to(&form);
    let adding = state.is_adding(return_to);
    let user = match crate::sign_in::check(&state, credentials, req.peer_addr().map(|addr| addr.ip())).await? {
        Checked::Passed(user) => user,
        Checked::Refused(Refused { message, status, retry_after, spends_token }) => {
            if spends_token {
                csrf::rotate(&session)?;
            }
            let page =
                SignInPage { email: &email, return_to, error: Some(message), adding_to: adding_to(adding, &accounts) };
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = render_sign_in(&session, page, status)?;
            if let Some(secs) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return Ok(response);
        }
    };
    match crate::sign_in::next(&user, adding, &accounts.accounts(), accounts.current().is_some(), return_to) {
        Next::AlreadyHere(message) => {
            multi_account_actix::put_flash(&session, &message);
            Ok(see_other("/"))
        }
        Next::SignIn { replace, redirect } => {
            if replace {
                multi_account.sign_out_all::<User>(&session).await?;
            }
            session::sign_in(&session, &user)?;
            tracing::info!(email = %user.email, adding, "signed in");
            Ok(see_other(&redirect))
        }
    }
}

/// POST `/sign-out`: signs out of everything in this browser (deletes its links
/// and purges the session).
pub(crate) async fn sign_out(
    session: Session,
    multi_account: Data<MultiAccountConfig>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, PageError> {
    if !csrf::verify(&session, field(&form, "csrf_token")) {
        return Err(PageError::Csrf);
    }
    multi_account.sign_out_all::<User>(&session).await?;
    Ok(see_other("/"))
}

/// GET `/static/app.css`.
pub(crate) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(APP_CSS)
}

/// The demo's look for the link flow's auto-submit page; the rest are defaults.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DemoHandlers;

impl MultiAccountHandlers for DemoHandlers {
    fn render_auto_submit(&self, req: &HttpRequest, form: &AutoSubmitForm) -> HttpResponse {
        match views::link(Framework::Actix, &form.action, &form.csrf_token) {
            Ok(body) => html(StatusCode::OK, body),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "the link page failed to render");
                DefaultHandlers.render_auto_submit(req, form)
            }
        }
    }
}
