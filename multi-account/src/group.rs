//! A session's account group and the one-query lookup that loads it.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, UnionType};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait};

use crate::linked_account::{LinkStatus, LinkedAccountColumn as Col, LinkedAccountOf};
use crate::user::{MultiAccountEntity, MultiAccountUser};

/// The accounts of one browser session: the primary account, then the active
/// linked accounts in the order they were linked. Inactive and deleted users are
/// never in it.
#[derive(Clone, Debug)]
pub struct AccountGroup<U> {
    primary: U,
    linked: Vec<U>,
}

impl<U: MultiAccountUser> AccountGroup<U> {
    /// The primary account (the one that signed in first).
    pub fn primary(&self) -> &U {
        &self.primary
    }

    /// The linked accounts, in link order.
    pub fn linked(&self) -> &[U] {
        &self.linked
    }

    /// Every account: primary first, then linked in link order.
    pub fn iter(&self) -> impl Iterator<Item = &U> {
        std::iter::once(&self.primary).chain(self.linked.iter())
    }

    /// The account with `id`, if it is in the group.
    pub fn get(&self, id: &U::Id) -> Option<&U> {
        self.iter().find(|user| &user.id() == id)
    }

    /// Whether the account with `id` is in the group.
    pub fn contains(&self, id: &U::Id) -> bool {
        self.get(id).is_some()
    }

    /// Number of accounts, primary included.
    pub fn len(&self) -> usize {
        1 + self.linked.len()
    }

    /// Always `false`: a group has at least its primary. Present for clippy's
    /// `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Keeps only the linked accounts for which `keep` is true (the primary stays).
    pub fn retain_linked(&mut self, keep: impl FnMut(&U) -> bool) {
        self.linked.retain(keep);
    }

    /// Splits the group into primary and linked accounts.
    pub fn into_parts(self) -> (U, Vec<U>) {
        (self.primary, self.linked)
    }
}

/// The alias of the synthetic column that orders the group: 0 for the primary,
/// the link id (auto-increment, so link order) for linked accounts.
const ORDER_ALIAS: &str = "multi_account_order";

/// Loads the group of (`primary_id`, `session_token`) in one round trip:
///
/// ```sql
/// SELECT users.*, 0 AS o FROM users WHERE users.id = $1 AND <active>
/// UNION ALL
/// SELECT users.*, la.id FROM users JOIN linked_accounts la ON la.linked_user_id = users.id
///  WHERE la.primary_user_id = $1 AND la.session_token = $2 AND la.status = 'active' AND <active>
/// ORDER BY o
/// ```
///
/// The second branch is an index range scan on the unique key
/// `(primary_user_id, session_token, linked_user_id)`, so its cost does not grow
/// with the size of the table. Returns `None` when the primary does not exist or
/// is inactive.
pub(crate) async fn load_group<U, C>(
    db: &C,
    primary_id: &U::Id,
    session_token: &str,
) -> Result<Option<AccountGroup<U>>, DbErr>
where
    U: MultiAccountUser,
    C: ConnectionTrait,
{
    let backend = db.get_database_backend();
    let link = <U::LinkedAccount as Default>::default();
    let link_col = |c| Expr::col((link, <U::LinkedAccount as LinkedAccountOf<U::UserEntity>>::column(c)));
    let user_id_col = <U::UserEntity as MultiAccountEntity>::id_column();

    let mut statement = U::UserEntity::find()
        .filter(Expr::col((U::UserEntity::default(), user_id_col)).eq(primary_id.clone()))
        .filter(U::active_condition())
        .into_query();
    statement.expr_as(Expr::val(0_i64), Alias::new(ORDER_ALIAS));

    let mut linked = U::UserEntity::find().filter(U::active_condition()).into_query();
    linked
        .inner_join(link, link_col(Col::LinkedUserId).equals((U::UserEntity::default(), user_id_col)))
        .and_where(link_col(Col::PrimaryUserId).eq(primary_id.clone()))
        .and_where(link_col(Col::SessionToken).eq(session_token))
        .and_where(link_col(Col::Status).eq(LinkStatus::Active))
        .expr_as(link_col(Col::Id), Alias::new(ORDER_ALIAS));
    if let Some(cutoff) = link_cutoff::<U>() {
        linked.and_where(link_col(Col::UpdatedAt).gt(cutoff));
    }

    statement.union(UnionType::All, linked).order_by(Alias::new(ORDER_ALIAS), Order::Asc);

    let mut users = U::UserEntity::find().from_raw_sql(backend.build(&statement)).all(db).await?.into_iter();
    // The primary sorts first (order 0); if the first row is not the primary, the
    // primary is missing or inactive and the session has no group.
    match users.next() {
        Some(first) if &first.id() == primary_id => {
            Ok(Some(AccountGroup { primary: first, linked: users.filter(|user| &user.id() != primary_id).collect() }))
        }
        _ => Ok(None),
    }
}

/// Links last changed at or before this instant have expired (`link_ttl`).
pub(crate) fn link_cutoff<U: MultiAccountUser>() -> Option<chrono::DateTime<chrono::Utc>> {
    let ttl = chrono::Duration::from_std(U::LINK_TTL?).ok()?;
    chrono::Utc::now().checked_sub_signed(ttl)
}
