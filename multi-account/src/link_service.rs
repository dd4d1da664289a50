//! Link, unlink and switch checks: the rules of a session's account group.

use std::marker::PhantomData;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::MAX_SESSION_TOKEN_LEN;
use crate::active_user::find_active;
use crate::error::LinkError;
use crate::group::AccountGroup;
use crate::group_query::{link_cutoff, load_group};
use crate::linked_account::{LinkStatus, LinkedAccountColumn as Col, LinkedAccountOf};
use crate::user::{MultiAccountEntity, MultiAccountUser};

/// What [`LinkService::link`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    /// A new link was created.
    Linked,
    /// The account was already linked in this session; nothing changed.
    AlreadyLinked,
    /// A deactivated link was made active again.
    Reactivated,
}

/// The link service for the user model `U`.
///
/// All functions are associated functions taking the connection first, so they work
/// with a `DatabaseConnection` or inside your own transaction:
///
/// ```
/// # mod user {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
/// #     #[sea_orm(table_name = "users")]
/// #     #[multi_account(linked_account = crate::linked_account::Entity)]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i64,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// # mod linked_account {
/// #     #[derive(multi_account::LinkedAccount)]
/// #     #[linked_account(user = crate::user::Entity)]
/// #     pub struct LinkedAccount;
/// # }
/// use multi_account::LinkService;
///
/// async fn add_bob(db: &sea_orm::DatabaseConnection, token: &str) -> Result<(), multi_account::LinkError> {
///     let (alice, bob) = (1_i64, 2_i64);
///     LinkService::<user::Model>::link(db, &alice, &bob, token).await?;
///     let group = LinkService::<user::Model>::group(db, &alice, token).await?;
///     assert_eq!(group.map(|group| group.len()), Some(2));
///     Ok(())
/// }
/// # fn main() {}
/// ```
pub struct LinkService<U>(PhantomData<fn() -> U>);

type Link<U> = <U as MultiAccountUser>::LinkedAccount;

fn column<U: MultiAccountUser>(column: Col) -> Expr {
    Expr::col((<Link<U> as Default>::default(), <Link<U> as LinkedAccountOf<U::UserEntity>>::column(column)))
}

fn check_token(session_token: &str) -> Result<(), LinkError> {
    if session_token.is_empty() || session_token.len() > MAX_SESSION_TOKEN_LEN {
        return Err(LinkError::InvalidSessionToken);
    }
    Ok(())
}

impl<U: MultiAccountUser> LinkService<U> {
    /// Links `linked_id` to `primary_id` in the browser session `session_token`.
    ///
    /// Refuses a self-link, an unknown or inactive account on either side, and a
    /// link beyond `max_linked_accounts` active links; linking twice is
    /// idempotent. The check and the insert run in one transaction that holds a
    /// write lock for the primary (`SELECT .. FOR UPDATE` on PostgreSQL and MySQL,
    /// `BEGIN IMMEDIATE` on SQLite), so concurrent requests cannot exceed the
    /// maximum.
    pub async fn link<C>(
        db: &C,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
    ) -> Result<LinkOutcome, LinkError>
    where
        C: TransactionTrait<Transaction = DatabaseTransaction>,
    {
        Self::write_link(db, primary_id, linked_id, session_token, true).await
    }

    /// Runs [`Self::link_in`] in a write transaction, committing only on success.
    async fn write_link<C>(
        db: &C,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
        create: bool,
    ) -> Result<LinkOutcome, LinkError>
    where
        C: TransactionTrait<Transaction = DatabaseTransaction>,
    {
        if primary_id == linked_id {
            return Err(LinkError::SelfLink);
        }
        check_token(session_token)?;
        let txn = begin_write(db).await?;
        match Self::link_in(&txn, primary_id, linked_id, session_token, create).await {
            Ok(outcome) => {
                txn.commit().await?;
                Ok(outcome)
            }
            Err(error) => {
                txn.rollback().await?;
                Err(error)
            }
        }
    }

    async fn link_in(
        txn: &DatabaseTransaction,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
        create: bool,
    ) -> Result<LinkOutcome, LinkError> {
        let id_column = <U::UserEntity as MultiAccountEntity>::id_column();
        // Lock the primary's row: every link of this primary queues here.
        let primary = U::UserEntity::find()
            .filter(Expr::col((U::UserEntity::default(), id_column)).eq(primary_id.clone()))
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or(LinkError::NotFound)?;
        if !primary.is_active() {
            return Err(LinkError::Inactive);
        }
        let linked = U::UserEntity::find()
            .filter(Expr::col((U::UserEntity::default(), id_column)).eq(linked_id.clone()))
            .one(txn)
            .await?
            .ok_or(LinkError::NotFound)?;
        if !linked.is_active() {
            return Err(LinkError::Inactive);
        }

        if let Some(cutoff) = link_cutoff::<U>() {
            let expired = Query::delete()
                .from_table(<Link<U> as Default>::default())
                .and_where(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
                .and_where(column::<U>(Col::SessionToken).eq(session_token))
                .and_where(column::<U>(Col::UpdatedAt).lte(cutoff))
                .to_owned();
            txn.execute(&expired).await?;
        }
        // Only plain values leave this block, so the future stays `Send` for any
        // user type (models are not known to be `Sync` in generic code).
        let (existing, active) = {
            let links = <Link<U>>::find()
                .filter(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
                .filter(column::<U>(Col::SessionToken).eq(session_token))
                .all(txn)
                .await?;
            let status = <Link<U> as LinkedAccountOf<U::UserEntity>>::link_status;
            let existing = links
                .iter()
                .find(|link| <Link<U> as LinkedAccountOf<U::UserEntity>>::linked_user_id(link) == linked_id)
                .map(|link| (<Link<U> as LinkedAccountOf<U::UserEntity>>::link_id(link), status(link)));
            let active = links.iter().filter(|link| status(link) == LinkStatus::Active).count();
            (existing, active)
        };
        if let Some((_, LinkStatus::Active)) = existing {
            return Ok(LinkOutcome::AlreadyLinked);
        }
        if existing.is_none() && !create {
            return Err(LinkError::NotFound);
        }
        if active >= U::MAX_LINKED_ACCOUNTS {
            return Err(LinkError::TooManyLinkedAccounts { max: U::MAX_LINKED_ACCOUNTS });
        }

        let now = chrono::Utc::now();
        let table = <Link<U> as Default>::default();
        let col = <Link<U> as LinkedAccountOf<U::UserEntity>>::column;
        if let Some((id, _)) = existing {
            let update = Query::update()
                .table(table)
                .value(col(Col::Status), LinkStatus::Active)
                .value(col(Col::UpdatedAt), now)
                .and_where(column::<U>(Col::Id).eq(id))
                .to_owned();
            txn.execute(&update).await?;
            return Ok(LinkOutcome::Reactivated);
        }
        let mut insert = Query::insert();
        insert
            .into_table(table)
            .columns([
                col(Col::PrimaryUserId),
                col(Col::SessionToken),
                col(Col::LinkedUserId),
                col(Col::Status),
                col(Col::InsertedAt),
                col(Col::UpdatedAt),
            ])
            .values([
                Expr::val(primary_id.clone()),
                Expr::val(session_token),
                Expr::val(linked_id.clone()),
                Expr::val(LinkStatus::Active),
                Expr::val(now),
                Expr::val(now),
            ])
            .map_err(|error| LinkError::Database(sea_orm::DbErr::Custom(error.to_string())))?;
        txn.execute(&insert).await?;
        Ok(LinkOutcome::Linked)
    }

    /// Removes the link of `linked_id` from this session's group. Returns whether a
    /// link was removed.
    pub async fn unlink<C: ConnectionTrait>(
        db: &C,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
    ) -> Result<bool, LinkError> {
        check_token(session_token)?;
        let delete = Query::delete()
            .from_table(<Link<U> as Default>::default())
            .and_where(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
            .and_where(column::<U>(Col::SessionToken).eq(session_token))
            .and_where(column::<U>(Col::LinkedUserId).eq(linked_id.clone()))
            .to_owned();
        Ok(db.execute(&delete).await?.rows_affected() > 0)
    }

    /// Removes every link made in the browser session `session_token` (sign out of
    /// all accounts). Returns how many links were removed.
    pub async fn unlink_session<C: ConnectionTrait>(db: &C, session_token: &str) -> Result<u64, LinkError> {
        check_token(session_token)?;
        let delete = Query::delete()
            .from_table(<Link<U> as Default>::default())
            .and_where(column::<U>(Col::SessionToken).eq(session_token))
            .to_owned();
        Ok(db.execute(&delete).await?.rows_affected())
    }

    /// Deletes every expired link (`link_ttl`) of every session; run it now and
    /// then (a scheduled job). Returns how many were deleted; 0 without a TTL.
    pub async fn purge_expired<C: ConnectionTrait>(db: &C) -> Result<u64, LinkError> {
        let Some(cutoff) = link_cutoff::<U>() else { return Ok(0) };
        let delete = Query::delete()
            .from_table(<Link<U> as Default>::default())
            .and_where(column::<U>(Col::UpdatedAt).lte(cutoff))
            .to_owned();
        Ok(db.execute(&delete).await?.rows_affected())
    }

    /// Deactivates a link: it stays in the table but leaves the group and stops
    /// counting toward the maximum. Returns whether a link changed.
    pub async fn deactivate<C: ConnectionTrait>(
        db: &C,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
    ) -> Result<bool, LinkError> {
        check_token(session_token)?;
        let update = Query::update()
            .table(<Link<U> as Default>::default())
            .value(<Link<U> as LinkedAccountOf<U::UserEntity>>::column(Col::Status), LinkStatus::Inactive)
            .value(<Link<U> as LinkedAccountOf<U::UserEntity>>::column(Col::UpdatedAt), chrono::Utc::now())
            .and_where(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
            .and_where(column::<U>(Col::SessionToken).eq(session_token))
            .and_where(column::<U>(Col::LinkedUserId).eq(linked_id.clone()))
            .and_where(column::<U>(Col::Status).eq(LinkStatus::Active))
            .to_owned();
        Ok(db.execute(&update).await?.rows_affected() > 0)
    }

    /// Re-activates a deactivated link, under the same rules (and the same lock) as
    /// [`LinkService::link`]. Fails with [`LinkError::NotFound`] when there is no
    /// such link.
    pub async fn activate<C>(
        db: &C,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
    ) -> Result<LinkOutcome, LinkError>
    where
        C: TransactionTrait<Transaction = DatabaseTransaction>,
    {
        Self::write_link(db, primary_id, linked_id, session_token, false).await
    }

    /// The session's group: the primary, then its active linked accounts in link
    /// order, in one database round trip. `None` when the primary does not exist
    /// or fails `active_check`.
    pub async fn group<C: ConnectionTrait>(
        db: &C,
        primary_id: &U::Id,
        session_token: &str,
    ) -> Result<Option<AccountGroup<U>>, LinkError> {
        check_token(session_token)?;
        Ok(load_group::<U, C>(db, primary_id, session_token).await?)
    }

    /// The user with `id` if it exists and passes `active_check`: the query an app
    /// runs on every request to load its signed-in user (the loader's, in
    /// single-account mode). One query, its SQL rendered once per user type.
    pub async fn active_user<C: ConnectionTrait>(db: &C, id: &U::Id) -> Result<Option<U>, LinkError> {
        Ok(find_active::<U, C>(db, id).await?)
    }

    /// Checks that the session may switch to `target_id`: the target must be the
    /// primary or an active linked account of this session's group, and active.
    /// Returns the target user. One query.
    pub async fn can_switch<C: ConnectionTrait>(
        db: &C,
        primary_id: &U::Id,
        target_id: &U::Id,
        session_token: &str,
    ) -> Result<U, LinkError> {
        let group = Self::group(db, primary_id, session_token).await?.ok_or(LinkError::NotInGroup)?;
        group.get(target_id).cloned().ok_or(LinkError::NotInGroup)
    }
}

/// Begins a transaction that takes the write lock at once on SQLite (elsewhere the
/// row lock does that job).
async fn begin_write<C>(db: &C) -> Result<DatabaseTransaction, LinkError>
where
    C: TransactionTrait<Transaction = DatabaseTransaction>,
{
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?)
}
