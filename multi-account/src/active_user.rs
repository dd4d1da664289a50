//! One user by id, with `active_check`: the loader's query in standard mode,
//! what an app runs on every request to load its signed-in user.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait, Values};

use crate::statement_cache::{self, Query};
use crate::user::{MultiAccountEntity, MultiAccountUser};

/// The user with `id` if it exists and passes `active_check`. One query, its SQL
/// from the [`statement_cache`](crate::statement_cache); `active_check` is applied
/// to the row with [`MultiAccountUser::is_active`].
pub(crate) async fn find_active<U, C>(db: &C, id: &U::Id) -> Result<Option<U>, DbErr>
where
    U: MultiAccountUser,
    C: ConnectionTrait,
{
    let values = Values(vec![id.clone().into()]);
    let statement = statement_cache::statement::<U>(db.get_database_backend(), Query::UserById, values, || {
        let id_column = (U::UserEntity::default(), <U::UserEntity as MultiAccountEntity>::id_column());
        U::UserEntity::find().filter(Expr::col(id_column).eq(id.clone())).into_query()
    });
    let Some(row) = db.query_one_raw(statement).await? else { return Ok(None) };
    let user = U::from_query_result(&row, "")?;
    Ok(user.is_active().then_some(user))
}

/// The users among `ids` that exist and pass `active_check`, in one statement
/// (`WHERE id IN (..)`): the remembered accounts' check. Not cached: the number
/// of ids varies, and the list is short.
pub(crate) async fn find_active_among<U, C>(db: &C, ids: &[U::Id]) -> Result<Vec<U>, DbErr>
where
    U: MultiAccountUser,
    C: ConnectionTrait,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let id_column = (U::UserEntity::default(), <U::UserEntity as MultiAccountEntity>::id_column());
    let users = U::UserEntity::find().filter(Expr::col(id_column).is_in(ids.iter().cloned())).all(db).await?;
    Ok(users.into_iter().filter(MultiAccountUser::is_active).collect())
}
