//! Resolves who is signed in (current, primary, group) once per request, on the
//! first extractor that asks, and re-checks it against the database every time.

use std::rc::Rc;

use actix_session::{Session, SessionExt};
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpRequest};
use multi_account::{AccountGroup, LinkError, LinkService, MultiAccountUser};
use tokio::sync::OnceCell;

use crate::auth_fingerprint;
use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;
use crate::link_intent::LinkIntent;
use crate::session::{clear_multi_account_session, forget_user_id, multi_account_session, signed_in_id, write_user_id};
use crate::session_keys;

/// Who is signed in, as resolved for one request.
#[derive(Debug)]
pub(crate) struct Accounts<U> {
    /// The account acting now.
    pub(crate) current: Option<U>,
    /// The session's account group, in multi-account mode.
    pub(crate) group: Option<AccountGroup<U>>,
    /// The database failed: reads see a signed-out request, state changes
    /// answer 503.
    pub(crate) database_failed: bool,
}

impl<U> Accounts<U> {
    fn signed_out() -> Self {
        Self { current: None, group: None, database_failed: false }
    }

    fn signed_in(current: U, group: Option<AccountGroup<U>>) -> Self {
        Self { current: Some(current), group, database_failed: false }
    }
}

/// The per-request slot: one `OnceCell` so that extractors polled together
/// still share one load.
type Slot<U> = Rc<OnceCell<Rc<Accounts<U>>>>;

pub(crate) fn config(req: &HttpRequest) -> Result<Data<MultiAccountConfig>, MultiAccountError> {
    req.app_data::<Data<MultiAccountConfig>>().cloned().ok_or(MultiAccountError::NotConfigured)
}

/// The accounts of this request, loading them on first use.
pub(crate) async fn load<U: MultiAccountUser>(req: &HttpRequest) -> Result<Rc<Accounts<U>>, MultiAccountError> {
    let config = config(req)?;
    let slot = {
        let mut extensions = req.extensions_mut();
        match extensions.get::<Slot<U>>() {
            Some(slot) => slot.clone(),
            None => {
                let slot: Slot<U> = Rc::default();
                extensions.insert(slot.clone());
                slot
            }
        }
    };
    let session = req.get_session();
    let accounts = slot.get_or_init(|| async { Rc::new(resolve::<U>(&config, &session).await) }).await;
    Ok(accounts.clone())
}

/// Logs a database failure; the request continues as signed out.
fn database_failure<U>(error: &dyn std::fmt::Display) -> Accounts<U> {
    tracing::error!(%error, "multi-account: loading the signed-in accounts failed; treating the request as signed out");
    Accounts { database_failed: true, ..Accounts::signed_out() }
}

/// Whether `user`'s sign-in in this session still holds: a sign-in record here,
/// its `auth_hash` unchanged. An account just signed in through actix-identity
/// (`adopted`) is trusted once and its sign-in recorded.
fn verified<U: MultiAccountUser>(
    checker: &mut auth_fingerprint::Checker<'_>,
    user: &U,
    adopted: Option<&U::Id>,
) -> bool {
    if adopted == Some(&user.id()) {
        if let Err(error) = checker.remember(user) {
            tracing::error!(%error, "multi-account: could not write the session");
        }
        return true;
    }
    checker.matches(user)
}

async fn resolve<U: MultiAccountUser>(config: &MultiAccountConfig, session: &Session) -> Accounts<U> {
    let key = config.identity_key;
    let mut checker = auth_fingerprint::Checker::new(session);
    #[cfg(feature = "identity")]
    let adopted = crate::session::adopt_identity::<U>(session, key);
    #[cfg(not(feature = "identity"))]
    let adopted: Option<U::Id> = None;
    let adopted = adopted.as_ref();
    let Some(user_id) = signed_in_id::<U>(session, key) else {
        // Nobody is signed in: links must not outlive the sign-in that made them.
        if session.contains_key(session_keys::PRIMARY_USER_ID) {
            clear_multi_account_session(session);
        }
        // actix-identity logged out: forget the subject too, so signing in again
        // (even as the same account) is a new sign-in, with a new CSRF token.
        #[cfg(feature = "identity")]
        if session.contains_key(session_keys::VIA_IDENTITY) {
            forget_user_id(session, key);
        }
        return Accounts::signed_out();
    };
    let multi = multi_account_session::<U>(session);

    if !config.is_enabled() {
        // Switched off: a session sitting on a linked account goes back to its
        // primary, and nothing but the app's own user load runs.
        let id = match multi {
            Some((primary_id, _)) if primary_id != user_id => {
                restore_primary::<U>(config, session, &primary_id);
                primary_id
            }
            _ => user_id,
        };
        return standard::<U>(config, session, &id, adopted).await;
    }

    let Some((primary_id, token)) = multi else {
        return standard::<U>(config, session, &user_id, adopted).await;
    };
    let mut group = match LinkService::<U>::group(&config.db, &primary_id, &token).await {
        Ok(Some(group)) if verified(&mut checker, group.primary(), adopted) => group,
        Ok(Some(_)) => {
            // The primary's password changed since it signed in here (or it never
            // signed in here: a copied group row).
            tracing::info!(primary = %primary_id, "multi-account: primary's sign-in no longer holds; signing out");
            clear_multi_account_session(session);
            forget_user_id(session, key);
            return Accounts::signed_out();
        }
        Ok(None) => {
            // The primary was deleted or deactivated: leave multi-account mode.
            tracing::info!(primary = %primary_id, "multi-account: stale or inactive primary; clearing the group");
            clear_multi_account_session(session);
            if user_id == primary_id {
                forget_user_id(session, key);
                return Accounts::signed_out();
            }
            return standard::<U>(config, session, &user_id, adopted).await;
        }
        Err(error) => return database_failure(&error),
    };

    group.retain_linked(|user| verified(&mut checker, user, adopted));
    if let Some(current) = group.get(&user_id) {
        let current = current.clone();
        return Accounts::signed_in(current, Some(group));
    }
    // Not in the group: either it just signed in to complete a pending link, or it
    // was removed, expired or deactivated and the session returns to the primary.
    // A group signed out of (its row gone, in any copy of this session) takes
    // nobody new: the copy of a pending link is back on its primary.
    let pending = group.is_open()
        && LinkIntent::fresh(session, &primary_id.to_string(), config.link_intent_ttl, config.now()).is_some();
    if pending && user_id != primary_id {
        match find_active::<U>(config, &user_id).await {
            Ok(Some(current)) if verified(&mut checker, &current, adopted) => {
                return Accounts::signed_in(current, Some(group));
            }
            Ok(_) => {}
            Err(error) => return database_failure(&error),
        }
    }
    tracing::info!(user = %user_id, primary = %primary_id, "multi-account: current account left the group; back to the primary");
    restore_primary::<U>(config, session, &primary_id);
    Accounts::signed_in(group.primary().clone(), Some(group))
}

/// Standard (single-account) mode: the app's own user load, with `active_check`.
async fn standard<U: MultiAccountUser>(
    config: &MultiAccountConfig,
    session: &Session,
    id: &U::Id,
    adopted: Option<&U::Id>,
) -> Accounts<U> {
    let mut checker = auth_fingerprint::Checker::new(session);
    match find_active::<U>(config, id).await {
        Ok(Some(current)) if verified(&mut checker, &current, adopted) => Accounts::signed_in(current, None),
        Ok(_) => {
            forget_user_id(session, config.identity_key);
            Accounts::signed_out()
        }
        Err(error) => database_failure(&error),
    }
}

fn restore_primary<U: MultiAccountUser>(config: &MultiAccountConfig, session: &Session, primary_id: &U::Id) {
    if let Err(error) = write_user_id::<U>(session, config.identity_key, primary_id) {
        tracing::error!(%error, "multi-account: could not write the session");
    }
}

/// The user with `id` if it exists and passes `active_check`. One query.
pub(crate) async fn find_active<U: MultiAccountUser>(
    config: &MultiAccountConfig,
    id: &U::Id,
) -> Result<Option<U>, LinkError> {
    LinkService::<U>::active_user(&config.db, id).await
}
