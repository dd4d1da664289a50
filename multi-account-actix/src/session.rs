//! Read and write the multi-account session keys over [`actix_session::Session`],
//! mirroring AshMultiAccount's session module.
//!
//! Readers never fail: a missing, tampered or malformed value reads as `None` (and
//! is logged at `debug`), because a session value is user input. Writers fail only
//! when the session store cannot serialize, which does not happen for these types.

use actix_session::{Session, SessionInsertError};
use multi_account::{AccountId, MultiAccountUser, format_subject, parse_subject};

use crate::session_keys;

/// Reads a string value, treating anything that is not a JSON string as absent.
pub(crate) fn get_string(session: &Session, key: &str) -> Option<String> {
    match session.get::<String>(key) {
        Ok(value) => value,
        Err(error) => {
            tracing::debug!(key, %error, "ignoring a malformed session value");
            None
        }
    }
}

/// The signed-in account's id, parsed from the `"user"` subject.
///
/// With the `identity` feature, actix-identity's id (written by
/// `Identity::login(&req.extensions(), user.id.to_string())`) comes first: it is
/// what the app signed in last. This reads actix-identity's default key; an app
/// that changed it (`IdentityMiddleware::builder().id_key(..)`) tells
/// `MultiAccountConfig::with_identity_key` (feature `identity`),
/// which the extractors and routes use.
pub fn get_user_id<U: MultiAccountUser>(session: &Session) -> Option<U::Id> {
    signed_in_id::<U>(session, session_keys::IDENTITY_USER_ID)
}

/// [`get_user_id`] with actix-identity's id under `identity_key`.
pub(crate) fn signed_in_id<U: MultiAccountUser>(session: &Session, identity_key: &str) -> Option<U::Id> {
    #[cfg(feature = "identity")]
    {
        if let Some(id) = get_string(session, identity_key) {
            return U::Id::parse_canonical(&id);
        }
        // Signed in through actix-identity, whose keys are gone now: it logged
        // out (`LogoutBehavior::DeleteIdentityKeys`, or a login or visit deadline).
        if session.contains_key(session_keys::VIA_IDENTITY) {
            return None;
        }
    }
    #[cfg(not(feature = "identity"))]
    let _ = identity_key;
    subject_id::<U>(session)
}

/// The id in the `"user"` subject.
fn subject_id<U: MultiAccountUser>(session: &Session) -> Option<U::Id> {
    let subject = get_string(session, session_keys::USER)?;
    match parse_subject::<U::Id>(U::SHORT_NAME, &subject) {
        Ok(id) => Some(id),
        Err(error) => {
            tracing::debug!(%error, "ignoring a malformed user subject");
            None
        }
    }
}

/// Writes the `"user"` subject for `id`. This is what signing in and switching do
/// at the session level, but it signs nobody in by itself: an account counts only
/// with a sign-in record, which [`sign_in`] writes. Use [`sign_in`] in a sign-in
/// handler.
///
/// With the `identity` feature it also updates actix-identity's id when the
/// session has one, so `Identity::id()` follows switches.
pub fn put_user_id<U: MultiAccountUser>(session: &Session, id: &U::Id) -> Result<(), SessionInsertError> {
    write_user_id::<U>(session, session_keys::IDENTITY_USER_ID, id)
}

/// [`put_user_id`] with actix-identity's id under `identity_key`.
pub(crate) fn write_user_id<U: MultiAccountUser>(
    session: &Session,
    identity_key: &str,
    id: &U::Id,
) -> Result<(), SessionInsertError> {
    // Only sessions the app signed in through actix-identity carry its key.
    #[cfg(feature = "identity")]
    if session.contains_key(identity_key) {
        session.insert(identity_key, id.to_string())?;
    }
    #[cfg(not(feature = "identity"))]
    let _ = identity_key;
    session.insert(session_keys::USER, format_subject(U::SHORT_NAME, id))
}

/// An id the app just signed in with `Identity::login` (the identity differs from
/// the `"user"` subject): signs it in here as [`sign_in`] does (a new group
/// unless a link is pending, the subject, a rotated CSRF token; the loader
/// records the sign-in) and returns the id, once.
#[cfg(feature = "identity")]
pub(crate) fn adopt_identity<U: MultiAccountUser>(session: &Session, identity_key: &str) -> Option<U::Id> {
    let identity = U::Id::parse_canonical(&get_string(session, identity_key)?)?;
    if subject_id::<U>(session).as_ref() == Some(&identity) {
        return None;
    }
    let adopted = (|| {
        start_sign_in(session)?;
        session.insert(session_keys::VIA_IDENTITY, true)?;
        session.insert(session_keys::USER, format_subject(U::SHORT_NAME, &identity))?;
        crate::csrf::rotate(session).map(|_| ())
    })();
    if let Err(error) = adopted {
        tracing::error!(%error, "could not write the session");
    }
    Some(identity)
}

/// Forgets the signed-in account (and, with the `identity` feature, the identity).
pub fn remove_user_id(session: &Session) {
    forget_user_id(session, session_keys::IDENTITY_USER_ID);
}

/// [`remove_user_id`] with actix-identity's id under `identity_key`.
pub(crate) fn forget_user_id(session: &Session, identity_key: &str) {
    #[cfg(feature = "identity")]
    {
        session.remove(identity_key);
        session.remove(session_keys::VIA_IDENTITY);
    }
    #[cfg(not(feature = "identity"))]
    let _ = identity_key;
    session.remove(session_keys::USER);
}

/// The primary account's id (multi-account mode only).
pub fn get_primary_user_id<U: MultiAccountUser>(session: &Session) -> Option<U::Id> {
    get_string(session, session_keys::PRIMARY_USER_ID).and_then(|text| U::Id::parse_canonical(&text))
}

/// Writes the primary account's id.
pub fn put_primary_user_id<U: MultiAccountUser>(session: &Session, id: &U::Id) -> Result<(), SessionInsertError> {
    session.insert(session_keys::PRIMARY_USER_ID, id.to_string())
}

/// The browser session's link token.
pub fn get_session_token(session: &Session) -> Option<String> {
    get_string(session, session_keys::SESSION_TOKEN)
        .filter(|token| !token.is_empty() && token.len() <= multi_account::MAX_SESSION_TOKEN_LEN)
}

/// Writes the browser session's link token.
pub fn put_session_token(session: &Session, token: &str) -> Result<(), SessionInsertError> {
    session.insert(session_keys::SESSION_TOKEN, token)
}

/// Sets `"primary_user_id"` and `"session_token"` together: a multi-account
/// session needs both.
pub fn put_multi_account_session<U: MultiAccountUser>(
    session: &Session,
    primary_id: &U::Id,
    session_token: &str,
) -> Result<(), SessionInsertError> {
    put_primary_user_id::<U>(session, primary_id)?;
    put_session_token(session, session_token)
}

/// The primary id and session token when the session is in multi-account mode.
pub fn multi_account_session<U: MultiAccountUser>(session: &Session) -> Option<(U::Id, String)> {
    Some((get_primary_user_id::<U>(session)?, get_session_token(session)?))
}

/// Whether the session is in multi-account mode (both keys present and valid).
pub fn is_multi_account_session<U: MultiAccountUser>(session: &Session) -> bool {
    multi_account_session::<U>(session).is_some()
}

/// Removes the multi-account keys (primary id, session token, link intent); keeps
/// `"user"`.
pub fn clear_multi_account_session(session: &Session) {
    for key in session_keys::MULTI_ACCOUNT_KEYS {
        session.remove(key);
    }
}

/// A sign-in outside a running link flow starts over: the group of whoever used
/// this browser before is left behind (a new session token, so its links are not
/// found again, and no sign-in records but the new one), so a later "Add another
/// account" cannot bring those accounts back. With a link intent pending and not
/// stale, the group stays: this sign-in completes a link.
fn start_sign_in(session: &Session) -> Result<(), SessionInsertError> {
    if crate::link_intent::LinkIntent::continues_at_sign_in(session) {
        return Ok(());
    }
    crate::link_intent::LinkIntent::clear(session);
    session.remove(session_keys::PRIMARY_USER_ID);
    crate::auth_fingerprint::retain(session, &[])?;
    // Every signed-in session has a token; writing it here (not on the next
    // request, in the middleware) leaves the session steady after the sign-in.
    put_session_token(session, &crate::session_token::new_session_token())
}

/// Signs `user` in: writes the `"user"` subject, renews the session id and rotates
/// the CSRF token (a privilege change), and records the sign-in (with the
/// account's `auth_hash` fingerprint, if it has one). While a link is pending
/// (after "Add another account", within its time limit) the group is kept, so
/// this sign-in completes the link; otherwise it starts a new group. Call it from
/// your sign-in handler after the password (or other) check succeeded.
pub fn sign_in<U: MultiAccountUser>(session: &Session, user: &U) -> Result<(), SessionInsertError> {
    start_sign_in(session)?;
    #[cfg(feature = "identity")]
    session.remove(session_keys::VIA_IDENTITY);
    session.insert(session_keys::USER, format_subject(U::SHORT_NAME, &user.id()))?;
    crate::auth_fingerprint::remember(session, user)?;
    session.renew();
    crate::csrf::rotate(session)?;
    Ok(())
}

/// Signs out of everything in this browser: removes every key. To also delete
/// this session's links, use the sign-out-all route or
/// [`MultiAccountConfig::sign_out_all`](crate::MultiAccountConfig::sign_out_all).
pub fn sign_out(session: &Session) {
    session.purge();
}
