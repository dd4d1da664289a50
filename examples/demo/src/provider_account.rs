//! The account a provider account signs in as, found by the provider's
//! (issuer, subject): the one name of its account that never changes.
//!
//! The verified email address is used once, at the first sign-in with a
//! provider account, to find the account here; that sign-in records the pair
//! (`oidc_identities`), and every later one follows the record. A provider
//! account whose address changes, even to the address of another account here,
//! keeps signing in as the account it first did.

use multi_account::MultiAccountUser;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, SqlErr};

use crate::User;
use crate::app_state::AppState;
use crate::entities::{oidc_identity, user};
use crate::error::PageError;
use crate::migration::MAX_OIDC_ID_LEN;
use crate::oidc::OidcIdentity;
use crate::sign_in::{EMAIL_NOT_VERIFIED, INACTIVE, NO_ACCOUNT, email_address};

/// The account `identity` signs in as, active; `Err` is the message to show.
pub(crate) async fn account_for(
    state: &AppState,
    identity: &OidcIdentity,
) -> Result<Result<User, &'static str>, PageError> {
    let fits = |text: &str| !text.is_empty() && text.len() <= MAX_OIDC_ID_LEN as usize;
    if !(fits(&identity.issuer) && fits(&identity.subject)) {
        tracing::info!(subject_len = identity.subject.len(), "OpenID sign-in refused: no usable issuer and subject");
        return Ok(Err(crate::oidc::INVALID));
    }
    if let Some(user_id) = recorded(&state.db, identity).await? {
        return active(user::Entity::find_by_id(user_id).one(&state.db).await?);
    }
    // The first sign-in with this provider account: its verified address
    // finds the account, once.
    let user = match account_for_email(state, identity.email.as_deref(), identity.email_verified).await? {
        Ok(user) => user,
        Err(message) => return Ok(Err(message)),
    };
    let row = oidc_identity::ActiveModel {
        issuer: Set(identity.issuer.clone()),
        subject: Set(identity.subject.clone()),
        user_id: Set(user.id),
        ..Default::default()
    };
    match row.insert(&state.db).await {
        Ok(_) => {
            tracing::info!(subject = %identity.subject, email = %user.email, "provider account recorded");
            Ok(Ok(user))
        }
        // Another first sign-in of the same provider account recorded it
        // meanwhile: the record decides.
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let Some(user_id) = recorded(&state.db, identity).await? else { return Err(error.into()) };
            active(user::Entity::find_by_id(user_id).one(&state.db).await?)
        }
        Err(error) => Err(error.into()),
    }
}

/// The account recorded for the provider account, compared byte for byte
/// after the lookup (subjects are case-sensitive).
async fn recorded(db: &impl ConnectionTrait, identity: &OidcIdentity) -> Result<Option<i64>, DbErr> {
    let row = oidc_identity::Entity::find()
        .filter(oidc_identity::Column::Issuer.eq(identity.issuer.as_str()))
        .filter(oidc_identity::Column::Subject.eq(identity.subject.as_str()))
        .one(db)
        .await?;
    Ok(row.filter(|row| row.issuer == identity.issuer && row.subject == identity.subject).map(|row| row.user_id))
}

/// `user` if it exists and is active.
fn active(user: Option<User>) -> Result<Result<User, &'static str>, PageError> {
    Ok(match user {
        None => Err(NO_ACCOUNT),
        Some(user) if !user.is_active() => Err(INACTIVE),
        Some(user) => Ok(user),
    })
}

/// The account a provider's verified email address names, active.
async fn account_for_email(
    state: &AppState,
    email: Option<&str>,
    verified: bool,
) -> Result<Result<User, &'static str>, PageError> {
    let Some(email) = email.and_then(email_address) else {
        return Ok(Err(NO_ACCOUNT));
    };
    if !verified {
        return Ok(Err(EMAIL_NOT_VERIFIED));
    }
    active(crate::accounts::with_email(&state.db, &email).await?)
}
