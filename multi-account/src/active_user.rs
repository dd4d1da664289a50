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
