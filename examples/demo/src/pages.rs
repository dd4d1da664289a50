//! The demo's own pages: home, sign-in, sign-out, the stylesheet, and the
//! auto-submit page of the link flow.

use actix_session::Session;
use actix_web::http::header::HeaderValue;
use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use minijinja::context;
use multi_account::MultiAccountUser;
use multi_account_actix::{
    AutoSubmitForm, DefaultHandlers, MultiAccount, MultiAccountConfig, MultiAccountHandlers, csrf, session,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::User;
use crate::database::{DEMO_PASSWORD, DEMO_USERS};
use crate::entities::user::{self, UserStatus};
use crate::error::PageError;
use crate::password::{HashLimiter, MAX_PASSWORD_LEN, VerifyError};
use crate::templates::{self, APP_CSS};
use crate::throttle::SignInThrottle;

/// The longest email address accepted (RFC 5321).
const MAX_EMAIL_LEN: usize = 254;

/// The message for a wrong password and for an unknown email alike.
pub const INCORRECT: &str = "Incorrect email or password.";
/// The message for an inactive account (after a correct password).
pub const INACTIVE: &str = "This account is inactive.";
/// The message when a field is empty.
pub const EMPTY: &str = "Enter your email and password.";
/// The message when the account or this client has used up its failed attempts
/// (429, with `Retry-After`).
pub const THROTTLED: &str = "Too many failed sign-in attempts. Wait a while, then try again.";
/// The message when every password check stays busy (503).
pub const BUSY: &str = "Too many sign-in attempts right now, try again in a moment.";
/// `Retry-After` for [`BUSY`], in seconds.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// What the handlers share.
pub(crate) struct AppState {
    pub(crate) db: DatabaseConnection,
    /// The link path up to the primary's id (`/link/p/`): a sign-in that returns
    /// there completes an "add another account".
    pub(crate) link_prefix: String,
}

/// Form fields or query parameters, parsed leniently: any body or query string
/// parses, so bad input gets a page, not a 400 from the extractor.
type Pairs = Vec<(String, String)>;

fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

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

/// The signed-in account as the page header shows it.
#[derive(Serialize)]
struct AccountView {
    id: String,
    name: String,
    email: String,
    initial: String,
}

impl AccountView {
    fn of(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            name: user.name.clone(),
            email: user.email.clone(),
            initial: user.name.chars().next().unwrap_or('?').to_uppercase().collect(),
        }
    }
}

/// The seeded accounts, listed on the signed-out pages.
#[derive(Serialize)]
struct DemoAccount {
    email: &'static str,
    active: bool,
}

fn demo_accounts() -> Vec<DemoAccount> {
    DEMO_USERS.iter().map(|(_, email, status)| DemoAccount { email, active: *status == UserStatus::Active }).collect()
}

/// GET `/`: who is signed in and the account switcher, or a sign-in link.
pub(crate) async fn home(session: Session, accounts: MultiAccount<User>) -> Result<HttpResponse, PageError> {
    let flash = multi_account_actix::take_flash(&session);
    let current = accounts.current().map(AccountView::of);
    let switcher = current.is_some().then(|| accounts.switcher());
    let body = templates::render(
        "home.html",
        context! {
            current,
            switcher,
            flash,
            demo_accounts => demo_accounts(),
            demo_password => DEMO_PASSWORD,
        },
    )?;
    Ok(html(StatusCode::OK, body))
}

/// What the sign-in page shows.
struct SignInPage<'a> {
    email: &'a str,
    return_to: Option<&'a str>,
    error: Option<&'static str>,
    /// The account a new one is being added to, when adding.
    adding_to: Option<AccountView>,
}

fn render_sign_in(session: &Session, page: SignInPage<'_>, status: StatusCode) -> Result<HttpResponse, PageError> {
    let body = templates::render(
        "sign_in.html",
        context! {
            csrf_token => csrf::csrf_token(session)?,
            email => page.email,
            return_to => page.return_to,
            error => page.error,
            adding => page.adding_to.is_some(),
            adding_to => page.adding_to,
            demo_accounts => demo_accounts(),
            demo_password => DEMO_PASSWORD,
        },
    )?;
    Ok(html(status, body))
}

impl AppState {
    /// `return_to` if it is a local path ([`multi_account_actix::local_path`]).
    fn return_to<'a>(&self, pairs: &'a Pairs) -> Option<&'a str> {
        field(pairs, "return_to").and_then(multi_account_actix::local_path)
    }

    /// Whether signing in and going to `return_to` completes "add another account".
    fn is_adding(&self, return_to: Option<&str>) -> bool {
        return_to.is_some_and(|path| path.starts_with(&self.link_prefix) && path.len() > self.link_prefix.len())
    }
}

/// GET `/sign-in`: the sign-in form. Signed in already, and not in the middle of
/// adding an account, it starts adding one (as Google does).
pub(crate) async fn sign_in_page(
    session: Session,
    state: Data<AppState>,
    query: web::Query<Pairs>,
    accounts: MultiAccount<User>,
) -> Result<HttpResponse, PageError> {
    let return_to = state.return_to(&query);
    let adding = state.is_adding(return_to);
    if !adding
        && accounts.current().is_some()
        && let Some(add) = accounts.switcher().add_account_url
    {
        return Ok(see_other(&add));
    }
    let adding_to = if adding { accounts.primary().or(accounts.current()).map(AccountView::of) } else { None };
    render_sign_in(&session, SignInPage { email: "", return_to, error: None, adding_to }, StatusCode::OK)
}

/// `response` with a `Retry-After` of `secs` seconds.
fn retry_after(mut response: HttpResponse, secs: u64) -> HttpResponse {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// POST `/sign-in`: checks the password (Argon2id), refuses inactive accounts,
/// signs in, and returns to `return_to` when it is a local path.
///
/// Throttled: an account or a client (peer address) out of failed attempts gets
/// 429 before the database or the hash is touched, and no session write; a
/// sign-in that finds every hashing permit busy gets 503. Each failed attempt
/// rotates the CSRF token, so one form serves one guess.
#[allow(clippy::too_many_arguments)] // an actix handler: one extractor each
pub(crate) async fn sign_in(
    req: HttpRequest,
    session: Session,
    state: Data<AppState>,
    multi_account: Data<MultiAccountConfig>,
    throttle: Data<SignInThrottle>,
    hashing: Data<HashLimiter>,
    form: web::Form<Pairs>,
    accounts: MultiAccount<User>,
) -> Result<HttpResponse, PageError> {
    if !csrf::verify(&session, field(&form, "csrf_token")) {
        tracing::info!("sign-in refused: bad CSRF token");
        return Err(PageError::Csrf);
    }
    let email = field(&form, "email").unwrap_or_default().trim().to_lowercase();
    let password = field(&form, "password").unwrap_or_default().to_owned();
    let return_to = state.return_to(&form);
    let adding = state.is_adding(return_to);
    let adding_to = || if adding { accounts.primary().or(accounts.current()).map(AccountView::of) } else { None };
    let refuse = |error: &'static str, status: StatusCode| {
        render_sign_in(
            &session,
            SignInPage { email: &email, return_to, error: Some(error), adding_to: adding_to() },
            status,
        )
    };

    if email.is_empty() || password.is_empty() {
        return refuse(EMPTY, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Before any work: a throttled attempt costs no query and no hash. The peer
    // address, not `X-Forwarded-For` (anyone can send that header).
    let client = req.peer_addr().map(|addr| addr.ip());
    let attempt = match throttle.begin(&email, client) {
        Ok(attempt) => attempt,
        Err(throttled) => {
            let secs = throttled.retry_after_secs();
            tracing::info!(%email, client = ?client, retry_after = secs, "sign-in refused: too many failed attempts");
            return Ok(retry_after(refuse(THROTTLED, StatusCode::TOO_MANY_REQUESTS)?, secs));
        }
    };
    let user = if email.len() > MAX_EMAIL_LEN || password.len() > MAX_PASSWORD_LEN {
        None
    } else {
        user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&state.db).await?
    };
    // Hash off the async workers, a few at a time; an unknown email costs one
    // verification too.
    let phc = user.as_ref().map(|user| user.password_hash.clone());
    let verified = match hashing.verify(password, phc).await {
        Ok(verified) => verified,
        Err(VerifyError::Busy) => {
            // No password was judged: `attempt` gives its failure back when dropped.
            tracing::warn!(%email, "sign-in refused: every password check is busy");
            return Ok(retry_after(refuse(BUSY, StatusCode::SERVICE_UNAVAILABLE)?, BUSY_RETRY_AFTER_SECS));
        }
        Err(VerifyError::Blocking) => return Err(PageError::Blocking),
    };
    // A failure stays counted and rotates the CSRF token: one form, one guess.
    let Some(user) = user.filter(|_| verified) else {
        attempt.failed();
        csrf::rotate(&session)?;
        tracing::info!(%email, "sign-in refused: incorrect email or password");
        return refuse(INCORRECT, StatusCode::UNAUTHORIZED);
    };
    if !user.is_active() {
        attempt.failed();
        csrf::rotate(&session)?;
        tracing::info!(%email, "sign-in refused: inactive account");
        return refuse(INACTIVE, StatusCode::FORBIDDEN);
    }
    attempt.succeeded();

    if adding && accounts.accounts().iter().any(|account| account.id == user.id) {
        // Signing in again to an account that is already here adds nothing.
        multi_account_actix::put_flash(&session, &format!("{} is already signed in.", user.email));
        return Ok(see_other("/"));
    }
    if !adding && accounts.current().is_some() {
        // A plain sign-in replaces whoever was signed in in this browser.
        multi_account.sign_out_all::<User>(&session).await?;
    }
    session::sign_in(&session, &user)?;
    tracing::info!(email = %user.email, adding, "signed in");
    Ok(see_other(return_to.unwrap_or("/")))
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
pub struct DemoHandlers;

impl MultiAccountHandlers for DemoHandlers {
    fn render_auto_submit(&self, req: &HttpRequest, form: &AutoSubmitForm) -> HttpResponse {
        match templates::render("link.html", context! { form }) {
            Ok(body) => html(StatusCode::OK, body),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "the link page failed to render");
                DefaultHandlers.render_auto_submit(req, form)
            }
        }
    }
}
