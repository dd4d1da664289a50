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
use multi_account::MultiAccountUser;

use crate::User;
use crate::app_state::{AppState, Pairs, field};
use crate::email_link;
use crate::error::PageError;
use crate::oidc::{self, PendingMap};
use crate::settings::Framework;
use crate::sign_in::{ADD_EXPIRED, Adding, Checked, Credentials, already_here};
use crate::spa;
use crate::templates::APP_CSS;
use crate::views::{self, AccountView, Chooser, SignInPage};
use multi_account::session::{LOGIN_HINT, SignInPlan, SwitcherRemembered};

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

/// GET `/`: who is signed in and the account switcher, or a sign-in link.
/// Signed out, the remembered accounts are listed to sign in again.
pub(crate) async fn home(session: Session, accounts: SignedInAccounts<User>) -> Result<Response, PageError> {
    let flash = session::take_flash(&session).await?;
    let switcher = accounts.switcher();
    let (switcher, chooser) = match accounts.current() {
        Some(_) => (Some(switcher), None),
        None => (None, chooser(&session, switcher.remembered).await?),
    };
    let page = views::home(Framework::Axum, accounts.current(), switcher, chooser, accounts.tab(), flash)?;
    Ok(html(StatusCode::OK, page))
}

/// A signed-out page's chooser of `remembered`, its "Forget" forms posting
/// the session's token; `None` when nothing is remembered (and then no token
/// is made).
async fn chooser(session: &Session, remembered: Vec<SwitcherRemembered>) -> Result<Option<Chooser>, PageError> {
    if remembered.is_empty() {
        return Ok(None);
    }
    Ok(Chooser::of(remembered, csrf::csrf_token(session).await?))
}

async fn render_sign_in(session: &Session, page: SignInPage<'_>, status: StatusCode) -> Result<Response, PageError> {
    Ok(html(status, views::sign_in(Framework::Axum, &csrf::csrf_token(session).await?, page)?))
}

/// The account a new one is being added to, when adding.
fn adding_to(adding: bool, accounts: &SignedInAccounts<User>) -> Option<AccountView> {
    if adding { accounts.primary().or(accounts.current()).map(AccountView::of) } else { None }
}

/// The accounts the sign-in page offers to sign in again: the remembered
/// ones, when nobody is signed in and no account is being added.
fn remembered(adding: bool, accounts: &SignedInAccounts<User>) -> Vec<SwitcherRemembered> {
    if adding || accounts.current().is_some() { Vec::new() } else { accounts.switcher().remembered }
}

/// The email a "Sign in again" asks for (`login_hint`), if it could be one
/// (the form shows it HTML-escaped, as every value).
fn login_hint(query: &Pairs) -> Option<String> {
    field(query, LOGIN_HINT).and_then(crate::sign_in::email_address)
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
    // "Sign in again" comes with the account's email: the form is filled in,
    // and the provider's and the email link's buttons send it too.
    let hint = login_hint(&query);
    let page = SignInPage {
        email: hint.as_deref().unwrap_or_default(),
        return_to,
        error: None,
        adding_to: adding_to(adding, &accounts),
        remembered: remembered(adding, &accounts),
        oidc: demo.app.oidc_name(),
        email_link: demo.app.mailer.is_some(),
    };
    render_sign_in(&session, page, StatusCode::OK).await
}

/// The sign-in page again, with `message` and `status`.
async fn refuse(
    session: &Session,
    state: &AppState,
    accounts: &SignedInAccounts<User>,
    (email, return_to): (&str, Option<&str>),
    message: &str,
    status: u16,
) -> Result<Response, PageError> {
    let adding = state.is_adding(return_to);
    let page = SignInPage {
        email,
        return_to,
        error: Some(message),
        adding_to: adding_to(adding, accounts),
        remembered: remembered(adding, accounts),
        oidc: state.oidc_name(),
        email_link: state.mailer.is_some(),
    };
    render_sign_in(session, page, StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST)).await
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
    let user = match crate::sign_in::check(&demo.app, credentials, Some(peer.ip())).await? {
        Checked::Passed(user) => user,
        Checked::Refused(refused) => {
            if refused.spends_token() {
                csrf::rotate(&session).await?;
            }
            let (message, status) = (refused.message(), refused.status());
            let mut response = refuse(&session, &demo.app, &accounts, (&email, return_to), message, status).await?;
            if let Some(secs) = refused.retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return Ok(response);
        }
    };
    finish_sign_in(&demo, &session, &accounts, &user, return_to, "password").await
}

/// Signs in `user`, whose proof passed: the same for a password, a provider's
/// ID token and an email link (the library's `plan_sign_in` decides).
async fn finish_sign_in(
    demo: &DemoState,
    session: &Session,
    accounts: &SignedInAccounts<User>,
    user: &User,
    return_to: Option<&str>,
    method: &'static str,
) -> Result<Response, PageError> {
    match demo.multi_account.plan_sign_in(session, accounts, user, return_to).await? {
        SignInPlan::AlreadyInGroup => {
            session::put_flash(session, &already_here(&user.email)).await?;
            Ok(Redirect::to("/").into_response())
        }
        SignInPlan::AddExpired => {
            tracing::info!(email = %user.email, method, "sign-in refused: the link intent is gone");
            session::put_flash(session, ADD_EXPIRED).await?;
            Ok(Redirect::to("/").into_response())
        }
        SignInPlan::SignIn { adds } => {
            // Outside "add account", this replaces (and revokes) the group.
            demo.multi_account.sign_in(session, user).await?;
            tracing::info!(email = %user.email, adds, method, "signed in");
            Ok(Redirect::to(return_to.unwrap_or("/")).into_response())
        }
    }
}

/// The sign-ins this session waits on at the provider.
async fn pending_oidc(session: &Session) -> Result<PendingMap, PageError> {
    match session.get::<PendingMap>(oidc::PENDING_KEY).await {
        Ok(map) => Ok(map.unwrap_or_default()),
        // Unreadable (written by another version): nothing is pending.
        Err(tower_sessions::session::Error::SerdeJson(_)) => Ok(PendingMap::new()),
        Err(error) => Err(PageError::Session(error.to_string())),
    }
}

async fn store_pending_oidc(session: &Session, map: PendingMap) -> Result<(), PageError> {
    session.insert(oidc::PENDING_KEY, map).await.map_err(|error| PageError::Session(error.to_string()))
}

/// POST `/oidc/start`: to the provider, with PKCE, `state` and `nonce` kept
/// in the session; when adding an account, asking the provider to let the
/// person choose (the email typed on the form, if any, is the login hint).
pub(crate) async fn oidc_start(
    State(demo): State<DemoState>,
    session: Session,
    accounts: SignedInAccounts<User>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let Some(provider) = demo.app.oidc.clone() else { return Ok(StatusCode::NOT_FOUND.into_response()) };
    if !csrf::verify(&session, field(&form, "csrf_token")).await? {
        return Err(PageError::Csrf);
    }
    let return_to = demo.app.return_to(&form);
    // Adding, but too late already: say so now, not after the provider.
    let pending = demo.multi_account.pending_link::<User>(&session).await?;
    if demo.app.adding(return_to, pending, demo.multi_account.is_enabled()) == Adding::Expired {
        session::put_flash(&session, ADD_EXPIRED).await?;
        return Ok(Redirect::to("/").into_response());
    }
    let hint = field(&form, "email").and_then(crate::sign_in::email_address);
    let now = oidc::unix_now();
    let redirect_uri = demo.app.oidc_redirect_uri();
    match provider.begin(&redirect_uri, demo.app.is_adding(return_to), hint.as_deref(), return_to, now).await {
        Ok((url, oidc_state, pending)) => {
            store_pending_oidc(&session, oidc::remember(pending_oidc(&session).await?, oidc_state, pending, now))
                .await?;
            Ok(Redirect::to(&url).into_response())
        }
        Err(error) => {
            tracing::warn!(%error, "OpenID sign-in could not start");
            let email = hint.as_deref().unwrap_or_default();
            refuse(&session, &demo.app, &accounts, (email, return_to), error.message(), error.status()).await
        }
    }
}

/// GET `/oidc/callback`: the provider's answer. Its `state` must be one this
/// session is waiting on (once: it is spent here, whatever follows); the code
/// is exchanged and the ID token verified; then the account the provider
/// account signs in as ([`crate::provider_account`]: by issuer and subject)
/// signs in as with a password, and an "Add another account" completes only
/// while its link intent is still fresh.
pub(crate) async fn oidc_callback(
    State(demo): State<DemoState>,
    session: Session,
    accounts: SignedInAccounts<User>,
    Query(query): Query<Pairs>,
) -> Result<Response, PageError> {
    let Some(provider) = demo.app.oidc.clone() else { return Ok(StatusCode::NOT_FOUND.into_response()) };
    let mut waiting = pending_oidc(&session).await?;
    let pending = field(&query, "state").and_then(|key| oidc::take(&mut waiting, key, oidc::unix_now()));
    if pending.is_some() {
        // Spent whatever follows.
        store_pending_oidc(&session, waiting).await?;
    }
    let (identity, return_to) = match provider.callback(&demo.app.oidc_redirect_uri(), pending, &query).await {
        Ok(done) => done,
        Err((error, return_to)) => {
            tracing::info!(%error, "OpenID sign-in refused");
            let return_to = return_to.as_deref().and_then(multi_account::session::local_path);
            return refuse(&session, &demo.app, &accounts, ("", return_to), error.message(), error.status()).await;
        }
    };
    let return_to = return_to.as_deref().and_then(multi_account::session::local_path);
    match crate::provider_account::account_for(&demo.app, &identity).await? {
        Ok(user) => finish_sign_in(&demo, &session, &accounts, &user, return_to, "openid").await,
        Err(message) => {
            tracing::info!(subject = %identity.subject, message, "OpenID sign-in refused");
            refuse(&session, &demo.app, &accounts, ("", return_to), message, 403).await
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

/// GET `/spa`: the single-page app ([`crate::spa`]), under its own strict
/// Content-Security-Policy.
pub(crate) async fn spa_page() -> Response {
    let headers =
        [(header::CONTENT_SECURITY_POLICY, spa::CONTENT_SECURITY_POLICY), (header::CACHE_CONTROL, "no-cache")];
    (headers, Html(spa::PAGE)).into_response()
}

/// GET `/static/spa.js`: the single-page app's script.
pub(crate) async fn spa_script() -> Response {
    let headers =
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")];
    (headers, spa::SCRIPT).into_response()
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

/// This browser's secret for email links, created at its first ask.
async fn browser_secret(session: &Session, create: bool) -> Result<Option<String>, PageError> {
    let secret = match session.get::<String>(email_link::BROWSER_KEY).await {
        Ok(secret) => secret,
        Err(tower_sessions::session::Error::SerdeJson(_)) => None,
        Err(error) => return Err(PageError::Session(error.to_string())),
    };
    match secret {
        None if create => {
            let secret = email_link::new_secret();
            session
                .insert(email_link::BROWSER_KEY, &secret)
                .await
                .map_err(|error| PageError::Session(error.to_string()))?;
            Ok(Some(secret))
        }
        secret => Ok(secret),
    }
}

/// POST `/sign-in/email`: mails a sign-in link to the address typed on the
/// sign-in form, if an active account has it; the same page either way. Asks
/// are limited per client (the peer address, never `X-Forwarded-For`).
pub(crate) async fn email_link_request(
    State(demo): State<DemoState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    accounts: SignedInAccounts<User>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let Some(mailer) = demo.app.mailer.clone() else { return Ok(StatusCode::NOT_FOUND.into_response()) };
    if !csrf::verify(&session, field(&form, "csrf_token")).await? {
        return Err(PageError::Csrf);
    }
    let return_to = demo.app.return_to(&form);
    let Some(email) = field(&form, "email").and_then(crate::sign_in::email_address) else {
        return refuse(&session, &demo.app, &accounts, ("", return_to), email_link::EMPTY, 422).await;
    };
    if let Err(throttled) = demo.app.throttle.count_link_ask(Some(peer.ip())) {
        let secs = throttled.retry_after_secs();
        tracing::info!(%email, client = %peer.ip(), retry_after = secs, "email link refused: too many asks from this client");
        let mut response =
            refuse(&session, &demo.app, &accounts, (&email, return_to), email_link::TOO_MANY_ASKS, 429).await?;
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return Ok(response);
    }
    let secret = browser_secret(&session, true).await?.unwrap_or_default();
    let now = email_link::unix_now();
    email_link::request(&demo.app.db, &mailer, demo.app.public_url(), (email, &secret), return_to, now);
    Ok(html(StatusCode::OK, views::email_sent(Framework::Axum)?))
}

/// GET `/sign-in/email/confirm?token=…`: the link from the mail. Consumes
/// nothing: a page whose button does.
pub(crate) async fn email_link_page(
    State(demo): State<DemoState>,
    session: Session,
    accounts: SignedInAccounts<User>,
    Query(query): Query<Pairs>,
) -> Result<Response, PageError> {
    if demo.app.mailer.is_none() {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let token = field(&query, "token").unwrap_or_default();
    let secret = browser_secret(&session, false).await?;
    match email_link::peek(&demo.app.db, token, secret.as_deref(), email_link::unix_now()).await? {
        Some(user) => {
            let csrf_token = csrf::csrf_token(&session).await?;
            Ok(html(StatusCode::OK, views::email_confirm(Framework::Axum, &csrf_token, token, &user)?))
        }
        None => refuse(&session, &demo.app, &accounts, ("", None), email_link::LINK_INVALID, 400).await,
    }
}

/// POST `/sign-in/email/confirm`: uses the link (once, in the browser that
/// asked, in time), then signs the account in as a password would.
pub(crate) async fn email_link_confirm(
    State(demo): State<DemoState>,
    session: Session,
    accounts: SignedInAccounts<User>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    if demo.app.mailer.is_none() {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    if !csrf::verify(&session, field(&form, "csrf_token")).await? {
        return Err(PageError::Csrf);
    }
    let token = field(&form, "token").unwrap_or_default();
    let secret = browser_secret(&session, false).await?;
    let now = email_link::unix_now();
    let Some((user, return_to)) = email_link::redeem(&demo.app.db, token, secret.as_deref(), now).await? else {
        return refuse(&session, &demo.app, &accounts, ("", None), email_link::LINK_INVALID, 400).await;
    };
    let return_to = return_to.as_deref().and_then(multi_account::session::local_path);
    if !user.is_active() {
        return refuse(&session, &demo.app, &accounts, ("", return_to), crate::INACTIVE, 403).await;
    }
    finish_sign_in(&demo, &session, &accounts, &user, return_to, "email link").await
}
