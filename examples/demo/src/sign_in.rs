//! A password sign-in, decided without a framework: the throttle, the
//! password hash (a few at a time, off the async workers) and the account's
//! status. Each framework's handler verifies the form's CSRF token, then
//! applies the [`Checked`] outcome to its session.

use std::net::IpAddr;

use multi_account::MultiAccountUser;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::User;
use crate::app_state::{AppState, Pairs, field};
use crate::entities::user;
use crate::error::PageError;
use crate::password::{MAX_PASSWORD_LEN, VerifyError};

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

/// The email and password of a sign-in form.
pub(crate) struct Credentials {
    /// Trimmed and lower-cased.
    pub(crate) email: String,
    password: String,
}

impl Credentials {
    pub(crate) fn of(form: &Pairs) -> Self {
        Self {
            email: field(form, "email").unwrap_or_default().trim().to_lowercase(),
            password: field(form, "password").unwrap_or_default().to_owned(),
        }
    }
}

/// A refused sign-in: the form again, with a message.
pub(crate) struct Refused {
    pub(crate) message: &'static str,
    pub(crate) status: u16,
    /// `Retry-After`, in seconds.
    pub(crate) retry_after: Option<u64>,
    /// A password was judged wrong (or the account inactive): the handler
    /// rotates the CSRF token, so one form serves one guess.
    pub(crate) spends_token: bool,
}

/// What a sign-in attempt came to.
pub(crate) enum Checked {
    Refused(Refused),
    /// The password is right and the account active: sign it in.
    Passed(User),
}

fn refused(message: &'static str, status: u16) -> Checked {
    Checked::Refused(refused_fields(message, status))
}

/// Checks `credentials` from `client` (the peer address, never
/// `X-Forwarded-For`: anyone can send that header). A throttled attempt costs
/// no query and no hash; an unknown email costs one verification too.
pub(crate) async fn check(
    state: &AppState,
    credentials: Credentials,
    client: Option<IpAddr>,
) -> Result<Checked, PageError> {
    let Credentials { email, password } = credentials;
    if email.is_empty() || password.is_empty() {
        return Ok(refused(EMPTY, 422));
    }
    let attempt = match state.throttle.begin(&email, client) {
        Ok(attempt) => attempt,
        Err(throttled) => {
            let secs = throttled.retry_after_secs();
            tracing::info!(%email, client = ?client, retry_after = secs, "sign-in refused: too many failed attempts");
            return Ok(Checked::Refused(Refused { retry_after: Some(secs), ..refused_fields(THROTTLED, 429) }));
        }
    };
    let user = if email.len() > MAX_EMAIL_LEN || password.len() > MAX_PASSWORD_LEN {
        None
    } else {
        user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&state.db).await?
    };
    let phc = user.as_ref().map(|user| user.password_hash.clone());
    let verified = match state.hashing.verify(password, phc).await {
        Ok(verified) => verified,
        Err(VerifyError::Busy) => {
            // No password was judged: `attempt` gives its failure back when dropped.
            tracing::warn!(%email, "sign-in refused: every password check is busy");
            return Ok(Checked::Refused(Refused {
                retry_after: Some(BUSY_RETRY_AFTER_SECS),
                ..refused_fields(BUSY, 503)
            }));
        }
        Err(VerifyError::Blocking) => return Err(PageError::Blocking),
    };
    // A failure stays counted and spends the form's token.
    let Some(user) = user.filter(|_| verified) else {
        attempt.failed();
        tracing::info!(%email, "sign-in refused: incorrect email or password");
        return Ok(Checked::Refused(Refused { spends_token: true, ..refused_fields(INCORRECT, 401) }));
    };
    if !user.is_active() {
        attempt.failed();
        tracing::info!(%email, "sign-in refused: inactive account");
        return Ok(Checked::Refused(Refused { spends_token: true, ..refused_fields(INACTIVE, 403) }));
    }
    attempt.succeeded();
    Ok(Checked::Passed(user))
}

fn refused_fields(message: &'static str, status: u16) -> Refused {
    Refused { message, status, retry_after: None, spends_token: false }
}

/// What to do with an account whose password passed.
pub(crate) enum Next {
    /// It is in this browser's group already: say so on `/`.
    AlreadyHere(String),
    /// Sign it in (after signing everybody out, when `replace`), then go to
    /// `redirect`.
    SignIn { replace: bool, redirect: String },
}

/// Decides [`Next`]: adding an account that is already here adds nothing; a
/// plain sign-in replaces whoever was signed in in this browser.
pub(crate) fn next(user: &User, adding: bool, here: &[&User], signed_in: bool, return_to: Option<&str>) -> Next {
    if adding && here.iter().any(|account| account.id == user.id) {
        return Next::AlreadyHere(format!("{} is already signed in.", user.email));
    }
    Next::SignIn { replace: !adding && signed_in, redirect: return_to.unwrap_or("/").to_owned() }
}
