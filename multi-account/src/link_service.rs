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
    /// It writes the row only: an account is in a session's group only with its
    /// sign-in in that session (`MultiAccountConfig::sign_in`, checked on every
    /// request), so a row written here brings nobody into any browser by itself.
    ///
    /// Refuses a self-link, an unknown or inactive account on either side, and a
    /// link beyond `max_linked_accounts` active links; linking twice is
    /// idempotent. Opens the group (see [`Self::open_group`]) if this session has
    /// none. The check and the insert run in one transaction that holds a write
    /// lock for the primary (`SELECT .. FOR UPDATE` on PostgreSQL and MySQL,
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
        Self::write_link(db, primary_id, linked_id, session_token, LinkMode::Create).await
    }

    /// Completes a link made in a running sign-in flow: the session's group
    /// (`from_token`) must still be open, its links move to `to_token`, and
    /// `linked_id` joins them there, in one transaction under the primary's lock.
    ///
    /// Moving the group to a new token is what makes a copy of the session taken
    /// earlier useless: its token finds no group afterwards, and since the group
    /// must exist, the copy cannot complete a link of its own either. Fails with
    /// [`LinkError::NotInGroup`] when `from_token` has no open group (signed out,
    /// expired, or already moved by another request), and with
    /// [`LinkError::AlreadyInGroup`] when `linked_id` is an active member already
    /// (nothing moves).
    pub async fn complete_link<C>(
        db: &C,
        primary_id: &U::Id,
        linked_id: &U::Id,
        from_token: &str,
        to_token: &str,
    ) -> Result<LinkOutcome, LinkError>
    where
        C: TransactionTrait<Transaction = DatabaseTransaction>,
    {
        check_token(from_token)?;
        Self::write_link(db, primary_id, linked_id, to_token, LinkMode::Move { from_token }).await
    }

    /// Opens the group of `primary_id` in the browser session `session_token`
    /// under the identity `group_id`: writes the group's own row
    /// (`linked_user_id = primary_user_id`), without which [`Self::group`]
    /// finds no group. Idempotent (an open group keeps the identity it has);
    /// refreshes the row's `updated_at` (and so its `link_ttl`). Returns the
    /// group's identity. Fails with [`LinkError::NotInGroup`] for a group that
    /// was signed out of ([`Self::revoke_group`]).
    pub async fn open_group<C>(
        db: &C,
        primary_id: &U::Id,
        session_token: &str,
        group_id: &str,
    ) -> Result<String, LinkError>
    where
        C: TransactionTrait<Transaction = DatabaseTransaction>,
    {
        check_token(session_token)?;
        check_token(group_id)?;
        let txn = begin_write(db).await?;
        let opened = async {
            Self::lock_active_primary(&txn, primary_id).await?;
            Self::delete_expired(&txn, primary_id, session_token).await?;
            Self::ensure_group_row(&txn, primary_id, session_token, Some(group_id)).await
        }
        .await;
        finish(txn, opened).await
    }

    /// Runs [`Self::link_in`] in a write transaction, committing only on success.
    async fn write_link<C>(
        db: &C,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
        mode: LinkMode<'_>,
    ) -> Result<LinkOutcome, LinkError>
    where
        C: TransactionTrait<Transaction = DatabaseTransaction>,
    {
        if primary_id == linked_id {
            return Err(LinkError::SelfLink);
        }
        check_token(session_token)?;
        let txn = begin_write(db).await?;
        let outcome = Self::link_in(&txn, primary_id, linked_id, session_token, mode).await;
        finish(txn, outcome).await
    }

    /// Locks the primary's row (every link of this primary queues here) and
    /// checks that it exists and is active.
    async fn lock_active_primary(txn: &DatabaseTransaction, primary_id: &U::Id) -> Result<(), LinkError> {
        let id_column = <U::UserEntity as MultiAccountEntity>::id_column();
        let primary = U::UserEntity::find()
            .filter(Expr::col((U::UserEntity::default(), id_column)).eq(primary_id.clone()))
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or(LinkError::NotFound)?;
        if !primary.is_active() {
            return Err(LinkError::Inactive);
        }
        Ok(())
    }

    /// Deletes the expired rows (`link_ttl`) of this session's group.
    async fn delete_expired(
        txn: &DatabaseTransaction,
        primary_id: &U::Id,
        session_token: &str,
    ) -> Result<(), LinkError> {
        if let Some(cutoff) = link_cutoff::<U>() {
            let expired = Query::delete()
                .from_table(<Link<U> as Default>::default())
                .and_where(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
                .and_where(column::<U>(Col::SessionToken).eq(session_token))
                .and_where(column::<U>(Col::UpdatedAt).lte(cutoff))
                .to_owned();
            txn.execute(&expired).await?;
        }
        Ok(())
    }

    /// The condition on the group's own row of (`primary_id`, `session_token`).
    fn group_row(primary_id: &U::Id, session_token: &str) -> sea_orm::sea_query::Condition {
        sea_orm::sea_query::Condition::all()
            .add(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
            .add(column::<U>(Col::SessionToken).eq(session_token))
            .add(column::<U>(Col::LinkedUserId).eq(primary_id.clone()))
    }

    /// The identity of the open group of (`primary_id`, `session_token`): its
    /// own row, active (expired rows are deleted before; a signed-out group's
    /// row is inactive).
    async fn open_group_id(
        txn: &DatabaseTransaction,
        primary_id: &U::Id,
        session_token: &str,
    ) -> Result<Option<String>, LinkError> {
        let row = <Link<U>>::find()
            .filter(Self::group_row(primary_id, session_token))
            .filter(column::<U>(Col::Status).eq(LinkStatus::Active))
            .one(txn)
            .await?;
        Ok(row.map(|row| <Link<U> as LinkedAccountOf<U::UserEntity>>::group_id(&row).to_owned()))
    }

    /// Whether `linked_id` has an active link in the group of (`primary_id`,
    /// `session_token`).
    async fn is_active_member(
        txn: &DatabaseTransaction,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
    ) -> Result<bool, LinkError> {
        let row = <Link<U>>::find()
            .filter(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
            .filter(column::<U>(Col::SessionToken).eq(session_token))
            .filter(column::<U>(Col::LinkedUserId).eq(linked_id.clone()))
            .filter(column::<U>(Col::Status).eq(LinkStatus::Active))
            .one(txn)
            .await?;
        Ok(row.is_some())
    }

    /// Refreshes the group's own row, or writes it under `group_id` (a new
    /// identity when `None`); returns the group's identity. A signed-out group
    /// (its row inactive) is not opened again.
    async fn ensure_group_row(
        txn: &DatabaseTransaction,
        primary_id: &U::Id,
        session_token: &str,
        group_id: Option<&str>,
    ) -> Result<String, LinkError> {
        let now = chrono::Utc::now();
        let col = <Link<U> as LinkedAccountOf<U::UserEntity>>::column;
        let row = <Link<U>>::find().filter(Self::group_row(primary_id, session_token)).one(txn).await?;
        let Some(row) = row else {
            let group_id = group_id.map_or_else(crate::session::new_session_token, str::to_owned);
            Self::insert_row(txn, primary_id, primary_id, session_token, &group_id, now).await?;
            return Ok(group_id);
        };
        if <Link<U> as LinkedAccountOf<U::UserEntity>>::link_status(&row) != LinkStatus::Active {
            return Err(LinkError::NotInGroup);
        }
        let refresh = Query::update()
            .table(<Link<U> as Default>::default())
            .value(col(Col::UpdatedAt), now)
            .and_where(column::<U>(Col::Id).eq(<Link<U> as LinkedAccountOf<U::UserEntity>>::link_id(&row)))
            .to_owned();
        txn.execute(&refresh).await?;
        Ok(<Link<U> as LinkedAccountOf<U::UserEntity>>::group_id(&row).to_owned())
    }

    async fn insert_row(
        txn: &DatabaseTransaction,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
        group_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), LinkError> {
        let col = <Link<U> as LinkedAccountOf<U::UserEntity>>::column;
        let mut insert = Query::insert();
        insert
            .into_table(<Link<U> as Default>::default())
            .columns([
                col(Col::PrimaryUserId),
                col(Col::SessionToken),
                col(Col::GroupId),
                col(Col::LinkedUserId),
                col(Col::Status),
                col(Col::InsertedAt),
                col(Col::UpdatedAt),
            ])
            .values([
                Expr::val(primary_id.clone()),
                Expr::val(session_token),
                Expr::val(group_id),
                Expr::val(linked_id.clone()),
                Expr::val(LinkStatus::Active),
                Expr::val(now),
                Expr::val(now),
            ])
            .map_err(|error| LinkError::Database(sea_orm::DbErr::Custom(error.to_string())))?;
        txn.execute(&insert).await?;
        Ok(())
    }

    async fn link_in(
        txn: &DatabaseTransaction,
        primary_id: &U::Id,
        linked_id: &U::Id,
        session_token: &str,
        mode: LinkMode<'_>,
    ) -> Result<LinkOutcome, LinkError> {
        let id_column = <U::UserEntity as MultiAccountEntity>::id_column();
        Self::lock_active_primary(txn, primary_id).await?;
        let linked = U::UserEntity::find()
            .filter(Expr::col((U::UserEntity::default(), id_column)).eq(linked_id.clone()))
            .one(txn)
            .await?
            .ok_or(LinkError::NotFound)?;
        if !linked.is_active() {
            return Err(LinkError::Inactive);
        }

        let group_id = match mode {
            LinkMode::Create => {
                Self::delete_expired(txn, primary_id, session_token).await?;
                Self::ensure_group_row(txn, primary_id, session_token, None).await?
            }
            LinkMode::Existing => {
                Self::delete_expired(txn, primary_id, session_token).await?;
                Self::open_group_id(txn, primary_id, session_token).await?.ok_or(LinkError::NotFound)?
            }
            LinkMode::Move { from_token } => {
                Self::delete_expired(txn, primary_id, from_token).await?;
                let Some(group_id) = Self::open_group_id(txn, primary_id, from_token).await? else {
                    return Err(LinkError::NotInGroup);
                };
                // A member's completion would move the group for nothing (and to a
                // token only this copy of the session holds): refused first.
                if Self::is_active_member(txn, primary_id, linked_id, from_token).await? {
                    return Err(LinkError::AlreadyInGroup);
                }
                if from_token != session_token {
                    let moved = Query::update()
                        .table(<Link<U> as Default>::default())
                        .value(<Link<U> as LinkedAccountOf<U::UserEntity>>::column(Col::SessionToken), session_token)
                        .and_where(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
                        .and_where(column::<U>(Col::SessionToken).eq(from_token))
                        .to_owned();
                    txn.execute(&moved).await?;
                }
                Self::ensure_group_row(txn, primary_id, session_token, Some(&group_id)).await?
            }
        };
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
            let linked_user = <Link<U> as LinkedAccountOf<U::UserEntity>>::linked_user_id;
            // The group's own row is not a link.
            let active = links
                .iter()
                .filter(|link| status(link) == LinkStatus::Active && linked_user(link) != primary_id)
                .count();
            (existing, active)
        };
        if let Some((_, LinkStatus::Active)) = existing {
            return Ok(LinkOutcome::AlreadyLinked);
        }
        if existing.is_none() && matches!(mode, LinkMode::Existing) {
            return Err(LinkError::NotFound);
        }
        if active >= U::MAX_LINKED_ACCOUNTS {
            return Err(LinkError::TooManyLinkedAccounts { max: U::MAX_LINKED_ACCOUNTS });
        }

        let now = chrono::Utc::now();
        let col = <Link<U> as LinkedAccountOf<U::UserEntity>>::column;
        if let Some((id, _)) = existing {
            let update = Query::update()
                .table(<Link<U> as Default>::default())
                .value(col(Col::Status), LinkStatus::Active)
                .value(col(Col::UpdatedAt), now)
                .and_where(column::<U>(Col::Id).eq(id))
                .to_owned();
            txn.execute(&update).await?;
            return Ok(LinkOutcome::Reactivated);
        }
        Self::insert_row(txn, primary_id, linked_id, session_token, &group_id, now).await?;
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
        if primary_id == linked_id {
            // The group's own row goes only with the whole group (revoke_group).
            return Ok(false);
        }
        let delete = Query::delete()
            .from_table(<Link<U> as Default>::default())
            .and_where(column::<U>(Col::PrimaryUserId).eq(primary_id.clone()))
            .and_where(column::<U>(Col::SessionToken).eq(session_token))
            .and_where(column::<U>(Col::LinkedUserId).eq(linked_id.clone()))
            .to_owned();
        Ok(db.execute(&delete).await?.rows_affected() > 0)
    }

    /// Signs the group `group_id` out of all accounts, wherever its rows are
    /// (under whichever session token a completed link moved them to): deletes
    /// its links and marks its own rows signed out, so no copy of the session
    /// finds a linked account or opens the group again, and a request that
    /// still names the group resolves to nobody ([`Self::is_group_revoked`]).
    /// Returns how many links were removed (the group's own rows are not links).
    pub async fn revoke_group<C>(db: &C, group_id: &str) -> Result<u64, LinkError>
    where
        C: TransactionTrait<Transaction = DatabaseTransaction>,
    {
        check_token(group_id)?;
        let txn = begin_write(db).await?;
        let revoked = async {
            let links = Query::delete()
                .from_table(<Link<U> as Default>::default())
                .and_where(column::<U>(Col::GroupId).eq(group_id))
                .and_where(own_row::<U>().not())
                .to_owned();
            let removed = txn.execute(&links).await?.rows_affected();
            let signed_out = Query::update()
                .table(<Link<U> as Default>::default())
                .value(<Link<U> as LinkedAccountOf<U::UserEntity>>::column(Col::Status), LinkStatus::Inactive)
                .value(<Link<U> as LinkedAccountOf<U::UserEntity>>::column(Col::UpdatedAt), chrono::Utc::now())
                .and_where(column::<U>(Col::GroupId).eq(group_id))
                .and_where(own_row::<U>())
                .to_owned();
            txn.execute(&signed_out).await?;
            Ok(removed)
        }
        .await;
        finish(txn, revoked).await
    }

    /// Whether the group `group_id` was signed out of all accounts
    /// ([`Self::revoke_group`]). One query.
    pub async fn is_group_revoked<C: ConnectionTrait>(db: &C, group_id: &str) -> Result<bool, LinkError> {
        check_token(group_id)?;
        let row = <Link<U>>::find()
            .filter(column::<U>(Col::GroupId).eq(group_id))
            .filter(own_row::<U>())
            .filter(column::<U>(Col::Status).eq(LinkStatus::Inactive))
            .one(db)
            .await?;
        Ok(row.is_some())
    }

    /// Deletes the marks of groups signed out of at or before `before` (see
    /// [`Self::revoke_group`]); run it now and then with your sessions' longest
    /// lifetime, after which no cookie names those groups. Returns how many
    /// went.
    pub async fn purge_signed_out<C: ConnectionTrait>(
        db: &C,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, LinkError> {
        let delete = Query::delete()
            .from_table(<Link<U> as Default>::default())
            .and_where(own_row::<U>())
            .and_where(column::<U>(Col::Status).eq(LinkStatus::Inactive))
            .and_where(column::<U>(Col::UpdatedAt).lte(before))
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
        if primary_id == linked_id {
            return Ok(false);
        }
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
    /// [`LinkService::link`]. Like it, it brings nobody back into a browser by
    /// itself: the account left the group's sessions with its sign-in, and
    /// needs a new one there. Fails with [`LinkError::NotFound`] when there is no
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
        Self::write_link(db, primary_id, linked_id, session_token, LinkMode::Existing).await
    }

    /// The session's group: the primary, then its active linked accounts in link
    /// order, in one database round trip. `None` when the primary does not exist
    /// or fails `active_check`. A group this session never opened, or signed out
    /// of with [`Self::revoke_group`], is the primary alone
    /// ([`AccountGroup::is_open`] is false).
    pub async fn group<C: ConnectionTrait>(
        db: &C,
        primary_id: &U::Id,
        session_token: &str,
    ) -> Result<Option<AccountGroup<U>>, LinkError> {
        check_token(session_token)?;
        Ok(load_group::<U, C>(db, primary_id, session_token).await?)
    }

    /// [`Self::group`], checking the remembered accounts `remembered` in the
    /// same statement: the active ones among them come back too.
    pub(crate) async fn group_and<C: ConnectionTrait>(
        db: &C,
        primary_id: &U::Id,
        session_token: &str,
        remembered: &[U::Id],
    ) -> Result<crate::group_query::GroupAndRemembered<U>, LinkError> {
        check_token(session_token)?;
        Ok(crate::group_query::load_group_and::<U, C>(db, primary_id, session_token, remembered).await?)
    }

    /// The user with `id` if it exists and passes `active_check`: the query an app
    /// runs on every request to load its signed-in user (the loader's, in
    /// single-account mode). One query, its SQL rendered once per user type.
    pub async fn active_user<C: ConnectionTrait>(db: &C, id: &U::Id) -> Result<Option<U>, LinkError> {
        Ok(find_active::<U, C>(db, id).await?)
    }
}

/// The condition "this is a group's own row" (`linked_user_id = primary_user_id`).
fn own_row<U: MultiAccountUser>() -> sea_orm::sea_query::SimpleExpr {
    column::<U>(Col::LinkedUserId).equals((
        <Link<U> as Default>::default(),
        <Link<U> as LinkedAccountOf<U::UserEntity>>::column(Col::PrimaryUserId),
    ))
}

/// Which group a link goes into.
#[derive(Clone, Copy)]
enum LinkMode<'a> {
    /// The session's group, opened if needed (a new link).
    Create,
    /// An existing link of an open group (re-activation).
    Existing,
    /// The open group of `from_token`, moved to the link's token first.
    Move { from_token: &'a str },
}

/// Commits on success, rolls back otherwise.
async fn finish<T>(txn: DatabaseTransaction, outcome: Result<T, LinkError>) -> Result<T, LinkError> {
    match outcome {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(error) => {
            txn.rollback().await?;
            Err(error)
        }
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
