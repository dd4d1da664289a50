//! Passwordless sign-in by email link, framework-free: one-time, short-lived,
//! bound to the browser that asked for it, used once.
//!
//! Asking (`request`) stores the SHA-256 of a random token and of a secret
//! kept in the asking browser's session, and mails the token in a link. Links
//! waiting are limited per account and asking browser, so a stranger's asks
//! never use up the owner's; what bounds a stranger is the limit on asks per
//! client ([`crate::throttle::SignInThrottle::count_link_ask`]). The
//! link opens a confirm page (a GET consumes nothing, so a mail scanner that
//! fetches links spends nothing); its POST (`redeem`) deletes the row —
//! only if the token, the browser's secret and the time all match, and only
//! once, whoever races — and then the account signs in as with a password.

use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::User;
use crate::entities::{email_sign_in, user};
use crate::error::PageError;
use multi_account::MultiAccountUser;

/// The session key of this browser's secret (created at its first request).
pub(crate) const BROWSER_KEY: &str = "demo_email_browser";
/// The confirm page, `?token=…` (the access log shows paths without queries).
pub const CONFIRM_PATH: &str = "/sign-in/email/confirm";
/// How long a link works.
const LINK_TTL_SECS: i64 = 10 * 60;
/// Links waiting at once per account and asking browser: more asks from that
/// browser mail nothing (asks from other browsers are counted apart).
const MAX_WAITING: u64 = 3;
/// The longest `return_to` kept with a link.
const MAX_RETURN_TO: usize = 2048;

/// Where the demo sends mail.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// An `smtp://host:port` URL (plain SMTP, as to a local relay), or
    /// `smtp://host:587?tls=required` / `smtps://host` for TLS.
    pub smtp_url: String,
    /// The sender, e.g. `Multi-account demo <demo@localhost>`.
    pub from: String,
}

/// Why mail could not be set up or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL does not parse.
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    /// The sender address does not parse.
    #[error("invalid sender address {0:?}")]
    From(String),
    /// The message could not be built or sent.
    #[error("could not send: {0}")]
    Send(String),
}

/// The SMTP transport and sender.
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub(crate) fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|error| MailError::Url(error.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = settings.from.parse().map_err(|_| MailError::From(settings.from.clone()))?;
        Ok(Self { transport, from })
    }

    async fn send(&self, to: &User, link: &str) -> Result<(), MailError> {
        let to = Mailbox::new(Some(to.name.clone()), to.email.parse().map_err(|_| MailError::From(to.email.clone()))?);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject("Your sign-in link for the multi-account demo")
            .body(format!(
                "Open this link in the browser where you asked for it, within ten minutes, to sign in:\n\n{link}\n\n\
                 It works once. If you did not ask for it, ignore this message.\n"
            ))
            .map_err(|error| MailError::Send(error.to_string()))?;
        self.transport.send(message).await.map_err(|error| MailError::Send(error.to_string()))?;
        Ok(())
    }
}

/// A new random secret (244 bits) for a link token or a browser.
pub(crate) fn new_secret() -> String {
    format!("{}{}", multi_account::session::new_session_token(), multi_account::session::new_session_token())
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Mails a sign-in link to the active account with `email`, if there is one
/// and fewer than [`MAX_WAITING`] links this browser asked for are waiting for
/// it; otherwise does nothing — the page says the same either way, so it tells
/// nobody which addresses have accounts. All of it runs after the answer (the lookup, the insert and
/// the mail): an answer that waited for them would take longer for an address
/// with an account, and so tell as much. What fails is logged, not shown.
pub(crate) fn request(
    db: &DatabaseConnection,
    mailer: &Arc<Mailer>,
    public_url: &str,
    (email, browser_secret): (String, &str),
    return_to: Option<&str>,
    now: i64,
) {
    let link = Waiting {
        browser_hash: digest(browser_secret),
        return_to: return_to.filter(|path| path.len() <= MAX_RETURN_TO).map(str::to_owned),
        expires_at: now + LINK_TTL_SECS,
    };
    let (db, mailer, public_url) = (db.clone(), Arc::clone(mailer), public_url.to_owned());
    tokio::spawn(async move {
        if let Err(error) = issue(&db, &mailer, &public_url, &email, link, now).await {
            tracing::error!(%email, %error, "email link not sent");
        }
    });
}

/// A link about to be stored, but for its token and account.
struct Waiting {
    browser_hash: String,
    return_to: Option<String>,
    expires_at: i64,
}

async fn issue(
    db: &DatabaseConnection,
    mailer: &Mailer,
    public_url: &str,
    email: &str,
    link: Waiting,
    now: i64,
) -> Result<(), PageError> {
    email_sign_in::Entity::delete_many().filter(email_sign_in::Column::ExpiresAt.lte(now)).exec(db).await?;
    let Some(user) = crate::accounts::with_email(db, email).await? else {
        tracing::info!(%email, "email link not sent: no such account");
        return Ok(());
    };
    if !user.is_active() {
        tracing::info!(%email, "email link not sent: inactive account");
        return Ok(());
    }
    let waiting = email_sign_in::Entity::find()
        .filter(email_sign_in::Column::UserId.eq(user.id))
        .filter(email_sign_in::Column::BrowserHash.eq(link.browser_hash.as_str()))
        .count(db)
        .await?;
    if waiting >= MAX_WAITING {
        tracing::info!(%email, waiting, "email link not sent: links this browser asked for are waiting already");
        return Ok(());
    }
    let token = new_secret();
    email_sign_in::ActiveModel {
        token_hash: Set(digest(&token)),
        browser_hash: Set(link.browser_hash),
        user_id: Set(user.id),
        return_to: Set(link.return_to),
        expires_at: Set(link.expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let url = format!("{public_url}{CONFIRM_PATH}?token={token}");
    match mailer.send(&user, &url).await {
        Ok(()) => tracing::info!(%email, "email link sent"),
        Err(error) => tracing::error!(%email, %error, "email link not sent"),
    }
    Ok(())
}

/// The account a waiting link signs in, if `token` is one this browser asked
/// for and it is still good: for the confirm page (consumes nothing).
pub(crate) async fn peek(
    db: &DatabaseConnection,
    token: &str,
    browser_secret: Option<&str>,
    now: i64,
) -> Result<Option<User>, PageError> {
    let Some(link) = find(db, token, browser_secret, now).await? else { return Ok(None) };
    Ok(user::Entity::find_by_id(link.user_id).one(db).await?)
}

async fn find(
    db: &DatabaseConnection,
    token: &str,
    browser_secret: Option<&str>,
    now: i64,
) -> Result<Option<email_sign_in::Model>, PageError> {
    let Some(browser_secret) = browser_secret else { return Ok(None) };
    Ok(email_sign_in::Entity::find()
        .filter(email_sign_in::Column::TokenHash.eq(digest(token)))
        .filter(email_sign_in::Column::BrowserHash.eq(digest(browser_secret)))
        .filter(email_sign_in::Column::ExpiresAt.gt(now))
        .one(db)
        .await?)
}

/// Uses the link: deletes its row if `token`, this browser's secret and the
/// time match, and returns the account and where to go next — once: of two
/// requests racing, one deletes the row and the other finds nothing.
pub(crate) async fn redeem(
    db: &DatabaseConnection,
    token: &str,
    browser_secret: Option<&str>,
    now: i64,
) -> Result<Option<(User, Option<String>)>, PageError> {
    let Some(link) = find(db, token, browser_secret, now).await? else { return Ok(None) };
    let deleted = email_sign_in::Entity::delete_many()
        .filter(email_sign_in::Column::Id.eq(link.id))
        .filter(email_sign_in::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if deleted.rows_affected != 1 {
        return Ok(None);
    }
    let user = user::Entity::find_by_id(link.user_id).one(db).await?;
    Ok(user.map(|user| (user, link.return_to)))
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    i64::try_from(crate::oidc::unix_now()).unwrap_or(i64::MAX)
}

/// The message when no address was typed (422).
pub const EMPTY: &str = "Enter your email address to get a sign-in link.";
/// The message when this client has asked for too many links (429, with
/// `Retry-After`): the same whatever the address.
pub const TOO_MANY_ASKS: &str = "Too many sign-in links were asked for from here. Wait a while, then try again.";
/// The message after asking for a link (whether or not one was sent).
pub const SENT: &str = "If an account uses that address, a sign-in link is on its way. \
    Open it in this browser within ten minutes.";
/// The message for a link that is unknown, used, expired or from another browser.
pub const LINK_INVALID: &str =
    "This sign-in link has expired, was used already, or was asked for in another browser. Ask for a new one.";
