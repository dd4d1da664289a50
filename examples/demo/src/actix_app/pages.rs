//! The demo's own pages on actix-web: home, sign-in, sign-out, the stylesheet,
//! and the auto-submit page of the link flow.

use actix_session::Session;
use actix_web::http::header::HeaderValue;
use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use multi_account_actix::{
    AutoSubmitForm, DefaultHandlers, MultiAccountConfig, MultiAccountHandlers, SignedInAccounts, csrf,
};

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
/// Signed out, the remembered accounts are listed to sign in again.
pub(crate) async fn home(session: Session, accounts: SignedInAccounts<User>) -> Result<HttpResponse, PageError> {
    let flash = multi_account_actix::session::take_flash(&session)?;
    let switcher = accounts.switcher();
    let (switcher, chooser) = match accounts.current() {
        Some(_) => (Some(switcher), None),
        None => (None, chooser(&session, switcher.remembered)?),
    };
    let page = views::home(Framework::Actix, accounts.current(), switcher, chooser, accounts.tab(), flash)?;
    Ok(html(StatusCode::OK, page))
}

/// A signed-out page's chooser of `remembered`, its "Forget" forms posting
/// the session's token; `None` when nothing is remembered (and then no token
/// is made).
fn chooser(session: &Session, remembered: Vec<SwitcherRemembered>) -> Result<Option<Chooser>, PageError> {
    if remembered.is_empty() {
        return Ok(None);
    }
    Ok(Chooser::of(remembered, csrf::csrf_token(session)?))
}

fn render_sign_in(session: &Session, page: SignInPage<'_>, status: StatusCode) -> Result<HttpResponse, PageError> {
    Ok(html(status, views::sign_in(Framework::Actix, &csrf::csrf_token(session)?, page)?))
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
    // "Sign in again" comes with the account's email: the form is filled in,
    // and the provider's and the email link's buttons send it too.
    let hint = login_hint(&query);
    let page = SignInPage {
        email: hint.as_deref().unwrap_or_default(),
        return_to,
        error: None,
        adding_to: adding_to(adding, &accounts),
        remembered: remembered(adding, &accounts),
        oidc: state.oidc_name(),
        email_link: state.mailer.is_some(),
    };
    render_sign_in(&session, page, StatusCode::OK)
}

/// The sign-in page again, with `message` and `status`.
fn refuse(
    session: &Session,
    state: &AppState,
    accounts: &SignedInAccounts<User>,
    (email, return_to): (&str, Option<&str>),
    message: &str,
    status: u16,
) -> Result<HttpResponse, PageError> {
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
    render_sign_in(session, page, StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
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
    if !csrf::verify(&session, field(&form, "csrf_token"))? {
        tracing::info!("sign-in refused: bad CSRF token");
        return Err(PageError::Csrf);
    }
    let credentials = Credentials::of(&form);
    let email = credentials.email.clone();
    let return_to = state.return_to(&form);
    let user = match crate::sign_in::check(&state, credentials, req.peer_addr().map(|addr| addr.ip())).await? {
        Checked::Passed(user) => user,
        Checked::Refused(refused) => {
            if refused.spends_token() {
                csrf::rotate(&session)?;
            }
            let (message, status) = (refused.message(), refused.status());
            let mut response = refuse(&session, &state, &accounts, (&email, return_to), message, status)?;
            if let Some(secs) = refused.retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return Ok(response);
        }
    };
    finish_sign_in(&session, &multi_account, &accounts, &user, return_to, "password").await
}

/// Signs in `user`, whose proof passed: the same for a password, a provider's
/// ID token and an email link (the library's `plan_sign_in` decides).
async fn finish_sign_in(
    session: &Session,
    multi_account: &MultiAccountConfig,
    accounts: &SignedInAccounts<User>,
    user: &User,
    return_to: Option<&str>,
    method: &'static str,
) -> Result<HttpResponse, PageError> {
    match multi_account.plan_sign_in(session, accounts, user, return_to) {
        SignInPlan::AlreadyInGroup => {
            multi_account_actix::session::put_flash(session, &already_here(&user.email))?;
            Ok(see_other("/"))
        }
        SignInPlan::AddExpired => {
            tracing::info!(email = %user.email, method, "sign-in refused: the link intent is gone");
            multi_account_actix::session::put_flash(session, ADD_EXPIRED)?;
            Ok(see_other("/"))
        }
        SignInPlan::SignIn { adds } => {
            // Outside "add account", this replaces (and revokes) the group.
            multi_account.sign_in(session, user).await?;
            tracing::info!(email = %user.email, adds, method, "signed in");
            Ok(see_other(return_to.unwrap_or("/")))
        }
    }
}

/// The sign-ins this session waits on at the provider.
fn pending_oidc(session: &Session) -> PendingMap {
    // Unreadable (written by another version): nothing is pending.
    session.get::<PendingMap>(oidc::PENDING_KEY).ok().flatten().unwrap_or_default()
}

/// POST `/oidc/start`: to the provider, with PKCE, `state` and `nonce` kept
/// in the session; when adding an account, asking the provider to let the
/// person choose (the email typed on the form, if any, is the login hint).
pub(crate) async fn oidc_start(
    session: Session,
    state: Data<AppState>,
    multi_account: Data<MultiAccountConfig>,
    form: web::Form<Pairs>,
    accounts: SignedInAccounts<User>,
) -> Result<HttpResponse, PageError> {
    let Some(provider) = state.oidc.clone() else { return Ok(HttpResponse::NotFound().finish()) };
    if !csrf::verify(&session, field(&form, "csrf_token"))? {
        return Err(PageError::Csrf);
    }
    let return_to = state.return_to(&form);
    // Adding, but too late already: say so now, not after the provider.
    if state.adding(return_to, multi_account.pending_link::<User>(&session), multi_account.is_enabled())
        == Adding::Expired
    {
        multi_account_actix::session::put_flash(&session, ADD_EXPIRED)?;
        return Ok(see_other("/"));
    }
    let hint = field(&form, "email").and_then(crate::sign_in::email_address);
    let now = oidc::unix_now();
    match provider.begin(&state.oidc_redirect_uri(), state.is_adding(return_to), hint.as_deref(), return_to, now).await
    {
        Ok((url, oidc_state, pending)) => {
            session.insert(oidc::PENDING_KEY, oidc::remember(pending_oidc(&session), oidc_state, pending, now))?;
            Ok(see_other(&url))
        }
        Err(error) => {
            tracing::warn!(%error, "OpenID sign-in could not start");
            let email = hint.as_deref().unwrap_or_default();
            refuse(&session, &state, &accounts, (email, return_to), error.message(), error.status())
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
    session: Session,
    state: Data<AppState>,
    multi_account: Data<MultiAccountConfig>,
    query: web::Query<Pairs>,
    accounts: SignedInAccounts<User>,
) -> Result<HttpResponse, PageError> {
    let Some(provider) = state.oidc.clone() else { return Ok(HttpResponse::NotFound().finish()) };
    let mut waiting = pending_oidc(&session);
    let pending = field(&query, "state").and_then(|key| oidc::take(&mut waiting, key, oidc::unix_now()));
    if pending.is_some() {
        // Spent whatever follows.
        session.insert(oidc::PENDING_KEY, waiting)?;
    }
    let (identity, return_to) = match provider.callback(&state.oidc_redirect_uri(), pending, &query).await {
        Ok(done) => done,
        Err((error, return_to)) => {
            tracing::info!(%error, "OpenID sign-in refused");
            let return_to = return_to.as_deref().and_then(multi_account::session::local_path);
            return refuse(&session, &state, &accounts, ("", return_to), error.message(), error.status());
        }
    };
    let return_to = return_to.as_deref().and_then(multi_account::session::local_path);
    match crate::provider_account::account_for(&state, &identity).await? {
        Ok(user) => finish_sign_in(&session, &multi_account, &accounts, &user, return_to, "openid").await,
        Err(message) => {
            tracing::info!(subject = %identity.subject, message, "OpenID sign-in refused");
            refuse(&session, &state, &accounts, ("", return_to), message, 403)
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
    if !csrf::verify(&session, field(&form, "csrf_token"))? {
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

/// GET `/spa`: the single-page app ([`crate::spa`]), under its own strict
/// Content-Security-Policy.
pub(crate) async fn spa_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, spa::CONTENT_SECURITY_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(spa::PAGE)
}

/// GET `/static/spa.js`: the single-page app's script.
pub(crate) async fn spa_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(spa::SCRIPT)
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

/// This browser's secret for email links, created at its first ask.
fn browser_secret(session: &Session, create: bool) -> Result<Option<String>, PageError> {
    let secret = session.get::<String>(email_link::BROWSER_KEY).ok().flatten();
    match secret {
        None if create => {
            let secret = email_link::new_secret();
            session.insert(email_link::BROWSER_KEY, &secret)?;
            Ok(Some(secret))
        }
        secret => Ok(secret),
    }
}

/// POST `/sign-in/email`: mails a sign-in link to the address typed on the
/// sign-in form, if an active account has it; the same page either way. Asks
/// are limited per client (the peer address, never `X-Forwarded-For`).
pub(crate) async fn email_link_request(
    req: HttpRequest,
    session: Session,
    state: Data<AppState>,
    form: web::Form<Pairs>,
    accounts: SignedInAccounts<User>,
) -> Result<HttpResponse, PageError> {
    let Some(mailer) = state.mailer.clone() else { return Ok(HttpResponse::NotFound().finish()) };
    if !csrf::verify(&session, field(&form, "csrf_token"))? {
        return Err(PageError::Csrf);
    }
    let return_to = state.return_to(&form);
    let Some(email) = field(&form, "email").and_then(crate::sign_in::email_address) else {
        return refuse(&session, &state, &accounts, ("", return_to), email_link::EMPTY, 422);
    };
    let client = req.peer_addr().map(|addr| addr.ip());
    if let Err(throttled) = state.throttle.count_link_ask(client) {
        let secs = throttled.retry_after_secs();
        tracing::info!(%email, ?client, retry_after = secs, "email link refused: too many asks from this client");
        let mut response = refuse(&session, &state, &accounts, (&email, return_to), email_link::TOO_MANY_ASKS, 429)?;
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return Ok(response);
    }
    let secret = browser_secret(&session, true)?.unwrap_or_default();
    let now = email_link::unix_now();
    email_link::request(&state.db, &mailer, state.public_url(), (email, &secret), return_to, now);
    Ok(html(StatusCode::OK, views::email_sent(Framework::Actix)?))
}

/// GET `/sign-in/email/confirm?token=…`: the link from the mail. Consumes
/// nothing: a page whose button does.
pub(crate) async fn email_link_page(
    session: Session,
    state: Data<AppState>,
    query: web::Query<Pairs>,
    accounts: SignedInAccounts<User>,
) -> Result<HttpResponse, PageError> {
    if state.mailer.is_none() {
        return Ok(HttpResponse::NotFound().finish());
    }
    let token = field(&query, "token").unwrap_or_default();
    let secret = browser_secret(&session, false)?;
    match email_link::peek(&state.db, token, secret.as_deref(), email_link::unix_now()).await? {
        Some(user) => {
            let csrf_token = csrf::csrf_token(&session)?;
            Ok(html(StatusCode::OK, views::email_confirm(Framework::Actix, &csrf_token, token, &user)?))
        }
        None => refuse(&session, &state, &accounts, ("", None), email_link::LINK_INVALID, 400),
    }
}

/// POST `/sign-in/email/confirm`: uses the link (once, in the browser that
/// asked, in time), then signs the account in as a password would.
pub(crate) async fn email_link_confirm(
    session: Session,
    state: Data<AppState>,
    multi_account: Data<MultiAccountConfig>,
    form: web::Form<Pairs>,
    accounts: SignedInAccounts<User>,
) -> Result<HttpResponse, PageError> {
    if state.mailer.is_none() {
        return Ok(HttpResponse::NotFound().finish());
    }
    if !csrf::verify(&session, field(&form, "csrf_token"))? {
        return Err(PageError::Csrf);
    }
    let token = field(&form, "token").unwrap_or_default();
    let secret = browser_secret(&session, false)?;
    let Some((user, return_to)) =
        email_link::redeem(&state.db, token, secret.as_deref(), email_link::unix_now()).await?
    else {
        return refuse(&session, &state, &accounts, ("", None), email_link::LINK_INVALID, 400);
    };
    let return_to = return_to.as_deref().and_then(multi_account::session::local_path);
    if !user.is_active() {
        return refuse(&session, &state, &accounts, ("", return_to), crate::INACTIVE, 403);
    }
    finish_sign_in(&session, &multi_account, &accounts, &user, return_to, "email link").await
}
