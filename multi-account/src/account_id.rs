//! The primary-key types a multi-account user may have.

use std::fmt::{Debug, Display};
use std::hash::Hash;
use std::str::FromStr;

use sea_orm::sea_query::{Nullable, ValueType};
use sea_orm::{TryGetable, Value};
use serde::Serialize;

/// A user primary key that multi-account can store, compare and put in URLs.
///
/// Implemented for [`uuid::Uuid`], [`i32`], [`i64`] and [`String`], the key types
/// SeaORM users pick. The text form ([`Display`] / [`FromStr`]) is what goes into
/// the session subject and into route paths; [`AccountId::parse_canonical`]
/// accepts only the exact text that [`Display`] writes, so one account has exactly
/// one spelling (`"+7"`, `"07"` or an upper-case UUID are refused).
pub trait AccountId:
    Clone
    + Eq
    + Hash
    + Debug
    + Display
    + FromStr
    + Serialize
    + Into<Value>
    + TryGetable
    + ValueType
    + Nullable
    + Send
    + Sync
    + Unpin
    + 'static
{
    /// The longest text form an id of this type has (what a session must make
    /// room for, per account).
    const MAX_TEXT_LEN: usize = MAX_ID_LEN;

    /// Parses `text`, accepting only the canonical spelling of an id.
    ///
    /// ```
    /// use multi_account::AccountId;
    /// assert_eq!(i64::parse_canonical("42"), Some(42));
    /// assert_eq!(i64::parse_canonical("+42"), None);
    /// assert_eq!(i64::parse_canonical("042"), None);
    /// ```
    fn parse_canonical(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > Self::MAX_TEXT_LEN.min(MAX_ID_LEN) {
            return None;
        }
        let id = text.parse::<Self>().ok()?;
        (id.to_string() == text).then_some(id)
    }
}

/// The longest id text accepted anywhere (session values, paths): longer input is
/// refused before it is parsed or sent to the database.
pub const MAX_ID_LEN: usize = 255;

impl AccountId for uuid::Uuid {
    const MAX_TEXT_LEN: usize = 36;
}
impl AccountId for i32 {
    const MAX_TEXT_LEN: usize = 11;
}
impl AccountId for i64 {
    const MAX_TEXT_LEN: usize = 20;
}
impl AccountId for String {}
