//! Finding the account that has an email address, exactly.
//!
//! A database compares text by its column's collation, and MariaDB's and
//! MySQL's defaults ignore case and accents and pad spaces:
//! `WHERE email = 'dàve@example.com'` finds `dave@example.com`. So the row the
//! lookup finds is checked again in Rust: it is the account only if its stored
//! address is the normalized input byte for byte. Otherwise there is no such
//! account, on every database alike.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::User;
use crate::entities::user;

/// The account whose address is `email` (trimmed and lower-cased, as
/// addresses are stored), compared byte for byte after the lookup.
pub(crate) async fn with_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<User>, DbErr> {
    // The unique index on `email` compares by the same collation as this
    // filter, so at most one row can match.
    let found = user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?;
    Ok(found.filter(|user| {
        let exact = user.email == email;
        if !exact {
            tracing::info!(%email, "the database matched another address: no such account");
        }
        exact
    }))
}
