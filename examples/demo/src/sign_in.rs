//! A password sign-in, decided without a framework: the throttle, the
//! password hash (a few at a time, off the async workers) and the account's
//! status. Each framework's handler verifies the form's CSRF token, then
//! applies the [`Checked`] outcome to its session.

use std::net::IpAddr;

use multi_account::MultiAccountUser;

use crate::User;
use crate::app_state::{AppState, Pairs, field};
use crate::error::PageError;
use crate::password::VerifyError;
use crate::throttle::AccountKey;

/// The longest email address accepted (RFC 5321).
const MAX_EMAIL_LEN: usize = 254;

/// The message for a wrong password, an unknown email, and the right password
/// of an inactive account alike: a password guess learns nothing more than
/// "not signed in".
pub const INCORRECT: &str = "Incorrect email or password.";
/// The message for an inactive account that a provider or an email link
/// vouched for (its owner proved who they are; a password never gets it).
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

/// `text` as an email address (trimmed, lower-cased) if it could be one: no
/// control characters or spaces (it goes into logs and to providers), at most
/// [`MAX_EMAIL_LEN`] bytes.
pub(crate) fn email_address(text: &str) -> Option<String> {
    let email = text.trim().to_lowercase();
    let plausible = email.len() <= MAX_EMAIL_LEN
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(|c| c.is_control() || c.is_whitespace());
    plausible.then_some(email)
}

/// The email and password of a sign-in form.
pub(crate) struct Credentials {
    /// Trimmed and lower-cased.
    pub(crate) email: String,
    password: String,
}

impl Credentials {
    /// The email (trimmed and lower-cased here) and password as typed.
    pub(crate) fn new(email: &str, password: String) -> Self {
        Self { email: email.trim().to_lowercase(), password }
    }

    /// The `email` and `password` fields of a sign-in form.
    pub(crate) fn of(form: &Pairs) -> Self {
        Self::new(field(form, "email").unwrap_or_default(), field(form, "password").unwrap_or_default().to_owned())
    }
}

/// Why a sign-in was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The email or the password is empty (422).
    Empty,
    /// A wrong password, an unknown email, or the right password of an
    /// inactive account (401).
    Incorrect,
    /// The account or the client used up its failed attempts (429).
    Throttled,
    /// Every password check stays busy (503).
    Busy,
}

/// A refused sign-in: the form again (or a JSON error), with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) reason: Reason,
    /// `Retry-After`, in seconds.
    pub(crate) retry_after: Option<u64>,
}

impl Refused {
    /// What the person is told.
    pub(crate) fn message(&self) -> &'static str {
        match self.reason {
            Reason::Empty => EMPTY,
            Reason::Incorrect => INCORRECT,
            Reason::Throttled => THROTTLED,
            Reason::Busy => BUSY,
        }
    }

    /// The HTTP status of the answer.
    pub(crate) fn status(&self) -> u16 {
        match self.reason {
            Reason::Empty => 422,
            Reason::Incorrect => 401,
            Reason::Throttled => 429,
            Reason::Busy => 503,
        }
    }

    /// A password was judged (wrong, or right for an inactive account): the
    /// handler rotates the CSRF token, so one form serves one guess.
    pub(crate) fn spends_token(&self) -> bool {
        self.reason == Reason::Incorrect
    }
}

/// What a sign-in attempt came to.
pub(crate) enum Checked {
    Refused(Refused),
    /// The password is right and the account active: sign it in.
    Passed(User),
}

fn refused(reason: Reason) -> Checked {
    Checked::Refused(Refused { reason, retry_after: None })
}

/// Checks `credentials` from `client` (the peer address, never
/// `X-Forwarded-For`: anyone can send that header). A throttled client costs
/// no query, a throttled account one query (which account it is decides the
/// count), and neither a hash; an unknown email costs one verification too.
pub(crate) async fn check(
    state: &AppState,
    credentials: Credentials,
    client: Option<IpAddr>,
) -> Result<Checked, PageError> {
    let Credentials { email, password } = credentials;
    if email.is_empty() || password.is_empty() {
        return Ok(refused(Reason::Empty));
    }
    if let Err(throttled) = state.throttle.check_client(client) {
        return Ok(too_many(&email, client, throttled));
    }
    let user = if email.len() > MAX_EMAIL_LEN { None } else { crate::accounts::with_email(&state.db, &email).await? };
    // Failures count against the account, however its address was typed.
    let key = user.as_ref().map_or_else(|| AccountKey::no_account(&email), |user| AccountKey::Account(user.id));
    let attempt = match state.throttle.begin(key, client) {
        Ok(attempt) => attempt,
        Err(throttled) => return Ok(too_many(&email, client, throttled)),
    };
    let phc = user.as_ref().map(|user| user.password_hash.clone());
    let verified = match state.hashing.verify(password, phc).await {
        Ok(verified) => verified,
        Err(VerifyError::Busy) => {
            // No password was judged: `attempt` gives its failure back when dropped.
            tracing::warn!(%email, "sign-in refused: every password check is busy");
            return Ok(Checked::Refused(Refused { reason: Reason::Busy, retry_after: Some(BUSY_RETRY_AFTER_SECS) }));
        }
        Err(VerifyError::Blocking) => return Err(PageError::Blocking),
    };
    // A failure stays counted and spends the form's token. The right password
    // of an inactive account is one: saying "inactive" would confirm the
    // password to whoever guessed it.
    let Some(user) = user.filter(|user| verified && user.is_active()) else {
        attempt.failed();
        let reason = if verified { "inactive account" } else { "incorrect email or password" };
        tracing::info!(%email, reason, "sign-in refused");
        return Ok(refused(Reason::Incorrect));
    };
    attempt.succeeded();
    Ok(Checked::Passed(user))
}

/// The answer to an attempt the throttle refused (429, with `Retry-After`).
fn too_many(email: &str, client: Option<IpAddr>, throttled: crate::throttle::Throttled) -> Checked {
    let secs = throttled.retry_after_secs();
    tracing::info!(%email, client = ?client, retry_after = secs, "sign-in refused: too many failed attempts");
    Checked::Refused(Refused { reason: Reason::Throttled, retry_after: Some(secs) })
}

/// The message when an account that is being added is in the group already.
pub(crate) fn already_here(email: &str) -> String {
    format!("{email} is already signed in \u{2014} switch to it.")
}
/// The message when "Add another account" ended (its time ran out, or adding
/// accounts is off) before the new account signed in.
pub const ADD_EXPIRED: &str =
    "Adding an account took too long, or is not possible right now. Start again from the account menu.";
/// The message when the provider did not verify the account's email address.
pub const EMAIL_NOT_VERIFIED: &str = "The provider has not verified the email address of this account.";
/// The message when no account here has the provider account's email address.
pub const NO_ACCOUNT: &str = "There is no account here for that email address.";

/// How a sign-in stands towards "Add another account".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Adding {
    /// A plain sign-in.
    No,
    /// Adding, and the link intent is fresh and the feature on.
    Pending,
    /// Adding, but the intent is gone or the feature off.
    Expired,
}

impl Adding {
    /// `adding`: the sign-in returns to a link path; `pending`: the session's
    /// fresh link intent is for that path's primary; `enabled`: the feature gate.
    pub(crate) fn of(adding: bool, pending: bool, enabled: bool) -> Self {
        match (adding, pending && enabled) {
            (false, _) => Self::No,
            (true, true) => Self::Pending,
            (true, false) => Self::Expired,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_is_pending_only_with_a_fresh_intent_and_the_feature_on() {
        assert_eq!(Adding::of(false, false, true), Adding::No);
        assert_eq!(Adding::of(false, true, false), Adding::No);
        assert_eq!(Adding::of(true, true, true), Adding::Pending);
        assert_eq!(Adding::of(true, false, true), Adding::Expired);
        assert_eq!(Adding::of(true, true, false), Adding::Expired);
    }

    #[test]
    fn email_addresses_are_trimmed_lowercased_and_plain() {
        assert_eq!(email_address(" Bob@Example.com ").as_deref(), Some("bob@example.com"));
        for bad in ["", "bob", "@example.com", "bob@", "bob@exa mple.com", "bob@example.com\nforged", "bob\u{7f}@x.y"] {
            assert_eq!(email_address(bad), None, "{bad:?}");
        }
        assert_eq!(email_address(&format!("{}@x.y", "a".repeat(MAX_EMAIL_LEN))), None);
    }
}
