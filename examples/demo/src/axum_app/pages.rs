//! The demo's own pages on axum: the same pages as on actix-web, from the same
//! views and the same sign-in check.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use multi_account_axum::{DefaultHandlers, MultiAccountHandlers, SignedInAccounts, csrf, session};
use tower_sessions::Session;

use super::DemoState;
use crate::User;
use crate::app_state::{Pairs, field};
use crate::error::PageError;
use crate::settings::Framework;
use crate::sign_in::{Checked, Credentials, Next, Refused};
use crate::templates::APP_CSS;
use crate::views::{self, AccountView, SignInPage};

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

/// GET `/`: who is signed in and the account switcher, or a sign-in link.
pub(crate) async fn home(session: Session, accounts: SignedInAccounts<User>) -> Result<Response, PageError> {
    let flash = session::take_flash(&session).await?;
    let switcher = accounts.current().is_some().then(|| accounts.switcher());
    Ok(html(StatusCode::OK, views::home(Framework::Axum, accounts.current(), switcher, flash)?))
}

async fn render_sign_in(session: &Session, page: SignInPage<'_>, status: StatusCode) -> Result<Response, PageError> {
    Ok(html(status, views::sign_in(Framework::Axum, &csrf::csrf_token(session).await?, page)?))
}

/// The account a new one is being added to, when adding.
fn adding_to(adding: bool, accounts: &SignedInAccounts<User>) -> Option<AccountView> {
    if adding { accounts.primary().or(accounts.current()).map(AccountView::of) } else { None }
}

/// GET `/sign-in`: the sign-in form. Signed in already, and not in the middle of
/// adding an account, it starts adding one (as Google does).
pub(crate) async fn sign_in_page(
    State(demo): State<DemoState>,
    session: Session,
    accounts: SignedInAccounts<User>,
    Query(query): Query<Pairs>,
) -> Result<Response, PageError> {
    let return_to = demo.app.return_to(&query);
    let adding = demo.app.is_adding(return_to);
    if !adding
        && accounts.current().is_some()
        && let Some(add) = accounts.switcher().add_account_url
    {
        return Ok(Redirect::to(&add).into_response());
    }
    let page = SignInPage { email: "", return_to, error: None, adding_to: adding_to(adding, &accounts) };
    render_sign_in(&session, page, StatusCode::OK).await
}

/// POST `/sign-in`: checks the password ([`crate::sign_in::check`]: throttled,
/// Argon2id a few at a time), signs in, and returns to `return_to` when it is a
/// local path. Each failed attempt rotates the CSRF token: one form, one guess.
pub(crate) async fn sign_in(
    State(demo): State<DemoState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    accounts: SignedInAccounts<User>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    if !csrf::verify(&session, field(&form, "csrf_token")).await? {
        tracing::info!("sign-in refused: bad CSRF token");
        return Err(PageError::Csrf);
    }
    let credentials = Credentials::of(&form);
    let email = credentials.email.clone();
    let return_to = demo.app.return_to(&form);
    let adding = demo.app.is_adding(return_to);
    let user = match crate::sign_in::check(&demo.app, credentials, Some(peer.ip())).await? {
        Checked::Passed(user) => user,
        Checked::Refused(Refused { message, status, retry_after, spends_token }) => {
            if spends_token {
                csrf::rotate(&session).await?;
            }
            let page =
                SignInPage { email: &email, return_to, error: Some(message), adding_to: adding_to(adding, &accounts) };
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = render_sign_in(&session, page, status).await?;
            if let Some(secs) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return Ok(response);
        }
    };
    match crate::sign_in::next(&user, adding, &accounts.accounts(), accounts.current().is_some(), return_to) {
        Next::AlreadyHere(message) => {
            session::put_flash(&session, &message).await?;
            Ok(Redirect::to("/").into_response())
        }
        Next::SignIn { replace, redirect } => {
            if replace {
                demo.multi_account.sign_out_all::<User>(&session).await?;
            }
            session::sign_in(&session, &user).await?;
            tracing::info!(email = %user.email, adding, "signed in");
            Ok(Redirect::to(&redirect).into_response())
        }
    }
}

/// POST `/sign-out`: signs out of everything in this browser (deletes its links
/// and purges the session).
pub(crate) async fn sign_out(
    State(demo): State<DemoState>,
    session: Session,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    if !csrf::verify(&session, field(&form, "csrf_token")).await? {
        return Err(PageError::Csrf);
    }
    demo.multi_account.sign_out_all::<User>(&session).await?;
    Ok(Redirect::to("/").into_response())
}

/// GET `/static/app.css`.
pub(crate) async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], APP_CSS)
        .into_response()
}

/// The demo's look for the link flow's auto-submit page; the rest are defaults.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DemoHandlers;

impl MultiAccountHandlers for DemoHandlers {
    fn render_auto_submit(&self, parts: &Parts, form: &multi_account::session::Form) -> Response {
        match views::link(Framework::Axum, &form.action, &form.csrf_token) {
            Ok(body) => html(StatusCode::OK, body),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "the link page failed to render");
                DefaultHandlers.render_auto_submit(parts, form)
            }
        }
    }
}
