//! The one-query group lookup, run by the loader on every request of a
//! multi-account session.
//!
//! Its SQL comes from the [`statement_cache`](crate::statement_cache). The rows are
//! ordered here rather than by the database: a `Sort` node costs PostgreSQL more
//! than sorting a dozen rows in Rust.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryTrait, Value, Values};

use crate::group::AccountGroup;
use crate::linked_account::{LinkStatus, LinkedAccountColumn as Col, LinkedAccountOf};
use crate::statement_cache::{self, Query};
use crate::user::{MultiAccountEntity, MultiAccountUser};

/// The alias of the synthetic column that orders the group: 0 for the primary,
/// the link id (auto-increment, so link order) for linked accounts.
const ORDER_ALIAS: &str = "multi_account_order";

/// The order of the rows of remembered accounts (never a link id, never 0).
const REMEMBERED_ORDER: i64 = -1;

/// The most remembered accounts checked within the group statement (one
/// cached statement per count); more are checked by a statement of their own.
pub(crate) const MAX_FOLDED_REMEMBERED: usize = 16;

/// A group, and the remembered accounts checked in the same statement (the
/// active ones among the ids asked for).
pub(crate) type GroupAndRemembered<U> = (Option<AccountGroup<U>>, Vec<U>);

/// Loads the group of (`primary_id`, `session_token`) in one round trip:
///
/// ```sql
/// SELECT users.*, $1 AS o FROM users WHERE users.id = $2           -- $1 = 0
/// UNION ALL
/// SELECT users.*, la.id FROM users JOIN linked_accounts la ON la.linked_user_id = users.id
///  WHERE la.primary_user_id = $3 AND la.session_token = $4 AND la.status = $5  -- 'active'
///    [AND la.updated_at > $6]                                       -- link_ttl
/// ```
///
/// The second branch is an index range scan on the unique key
/// `(primary_user_id, session_token, linked_user_id)`, so its cost does not grow
/// with the size of the table. `active_check` is applied to the (at most
/// `1 + max_linked_accounts`) rows here, with [`MultiAccountUser::is_active`], the
/// same comparison the SQL filter would make. The second branch also returns the
/// group's own row (`linked_user_id = primary_user_id`), which
/// [`LinkService::open_group`](crate::LinkService::open_group) writes; without it
/// the group is the primary alone ([`AccountGroup::is_open`] is false). Returns
/// `None` when the primary does not exist or is inactive.
pub(crate) async fn load_group<U, C>(
    db: &C,
    primary_id: &U::Id,
    session_token: &str,
) -> Result<Option<AccountGroup<U>>, DbErr>
where
    U: MultiAccountUser,
    C: ConnectionTrait,
{
    Ok(load_group_and::<U, C>(db, primary_id, session_token, &[]).await?.0)
}

/// [`load_group`], checking the remembered accounts `remembered` (at most
/// [`MAX_FOLDED_REMEMBERED`]) in the same statement, one more branch:
///
/// ```sql
/// UNION ALL SELECT users.*, -1 FROM users WHERE users.id IN ($7, ..)
/// ```
pub(crate) async fn load_group_and<U, C>(
    db: &C,
    primary_id: &U::Id,
    session_token: &str,
    remembered: &[U::Id],
) -> Result<GroupAndRemembered<U>, DbErr>
where
    U: MultiAccountUser,
    C: ConnectionTrait,
{
    let backend = db.get_database_backend();
    let cutoff = link_cutoff::<U>();
    let values = group_values::<U>(primary_id, session_token, cutoff, remembered);
    let query = Query::Group { link_ttl: cutoff.is_some(), remembered: remembered.len() };
    let statement = statement_cache::statement::<U>(backend, query, values, || {
        statement::<U>(primary_id, session_token, cutoff, remembered)
    });

    let mut rows = Vec::new();
    let mut checked = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let order: i64 = row.try_get("", ORDER_ALIAS)?;
        let user = U::from_query_result(&row, "")?;
        match order == REMEMBERED_ORDER {
            true if user.is_active() => checked.push(user),
            true => {}
            false => rows.push((order, user)),
        }
    }
    // Link order; the primary (order 0) first. Stable, so a duplicate keeps its place.
    rows.sort_by_key(|(order, _)| *order);
    let mut users = rows.into_iter().map(|(_, user)| user);
    // No primary row, or an inactive one: the session has no group.
    let Some(primary) = users.next().filter(|first| &first.id() == primary_id && first.is_active()) else {
        return Ok((None, checked));
    };
    // The group's own row (linked_user_id = primary_user_id, written when the
    // group was opened) is what makes links count: sign-out-all deletes it, so no
    // copy of the session finds them again, and rows without it are not reached.
    let mut opened = false;
    let linked: Vec<U> = users
        .filter(|user| {
            let own_row = &user.id() == primary_id;
            opened |= own_row;
            !own_row && user.is_active()
        })
        .collect();
    let linked = if opened { linked } else { Vec::new() };
    Ok((Some(AccountGroup::new(primary, linked, opened)), checked))
}

/// The statement's values, in the order its SQL binds them.
fn group_values<U: MultiAccountUser>(
    primary_id: &U::Id,
    session_token: &str,
    cutoff: Option<chrono::DateTime<chrono::Utc>>,
    remembered: &[U::Id],
) -> Values {
    let mut values: Vec<Value> = vec![
        0_i64.into(),
        primary_id.clone().into(),
        primary_id.clone().into(),
        session_token.into(),
        LinkStatus::Active.into(),
    ];
    if let Some(cutoff) = cutoff {
        values.push(cutoff.into());
    }
    if !remembered.is_empty() {
        values.push(REMEMBERED_ORDER.into());
        values.extend(remembered.iter().map(|id| id.clone().into()));
    }
    Values(values)
}

/// The group statement built with sea-query (binding the values of [`group_values`]).
fn statement<U: MultiAccountUser>(
    primary_id: &U::Id,
    session_token: &str,
    cutoff: Option<chrono::DateTime<chrono::Utc>>,
    remembered: &[U::Id],
) -> SelectStatement {
    let link = <U::LinkedAccount as Default>::default();
    let link_col = |c| Expr::col((link, <U::LinkedAccount as LinkedAccountOf<U::UserEntity>>::column(c)));
    let user_id_col = <U::UserEntity as MultiAccountEntity>::id_column();

    let mut statement = U::UserEntity::find().into_query();
    statement
        .expr_as(Expr::val(0_i64), Alias::new(ORDER_ALIAS))
        .and_where(Expr::col((U::UserEntity::default(), user_id_col)).eq(primary_id.clone()));

    let mut linked = U::UserEntity::find().into_query();
    linked
        .expr_as(link_col(Col::Id), Alias::new(ORDER_ALIAS))
        .inner_join(link, link_col(Col::LinkedUserId).equals((U::UserEntity::default(), user_id_col)))
        .and_where(link_col(Col::PrimaryUserId).eq(primary_id.clone()))
        .and_where(link_col(Col::SessionToken).eq(session_token))
        .and_where(link_col(Col::Status).eq(LinkStatus::Active));
    if let Some(cutoff) = cutoff {
        linked.and_where(link_col(Col::UpdatedAt).gt(cutoff));
    }
    statement.union(UnionType::All, linked);
    if !remembered.is_empty() {
        let mut checked = U::UserEntity::find().into_query();
        checked
            .expr_as(Expr::val(REMEMBERED_ORDER), Alias::new(ORDER_ALIAS))
            .and_where(Expr::col((U::UserEntity::default(), user_id_col)).is_in(remembered.iter().cloned()));
        statement.union(UnionType::All, checked);
    }
    statement
}

/// Links last changed at or before this instant have expired (`link_ttl`).
pub(crate) fn link_cutoff<U: MultiAccountUser>() -> Option<chrono::DateTime<chrono::Utc>> {
    let ttl = chrono::Duration::from_std(U::LINK_TTL?).ok()?;
    chrono::Utc::now().checked_sub_signed(ttl)
}
