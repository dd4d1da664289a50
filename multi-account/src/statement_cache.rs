//! SQL text of the per-request queries, rendered once and reused.
//!
//! The loader runs one query on every authenticated request. Rendering it with
//! sea-query each time costs about as much client CPU as decoding its rows, so
//! its SQL is rendered once per user type, backend and query, and only the values
//! are new each time. A rendered statement is reused only if sea-query bound the
//! values in the order the caller lists them; otherwise it is rendered every time.

use std::any::TypeId;
use std::sync::{Arc, RwLock};

use sea_orm::sea_query::SelectStatement;
use sea_orm::{DatabaseBackend, Statement, Values};

/// Which per-request query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Query {
    /// The account group ([`crate::group_query`]); with `link_ttl` it has one
    /// more condition, and with `remembered` ids a third branch that checks
    /// that many remembered accounts.
    Group { link_ttl: bool, remembered: usize },
    /// One user by id.
    UserById,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    user: TypeId,
    backend: DatabaseBackend,
    query: Query,
}

/// A handful of entries (user types × backends × queries), so a list. `None`
/// marks a statement that must be rendered every time.
static CACHE: RwLock<Vec<(Key, Option<Arc<str>>)>> = RwLock::new(Vec::new());

/// The statement of `query` for the user type `U` with `values`: from the cache,
/// or rendered by `build` (whose values must be `values`, in this order) and
/// cached.
pub(crate) fn statement<U: 'static>(
    backend: DatabaseBackend,
    query: Query,
    values: Values,
    build: impl FnOnce() -> SelectStatement,
) -> Statement {
    let key = Key { user: TypeId::of::<U>(), backend, query };
    if let Some(sql) = cached(key) {
        return Statement::from_sql_and_values(backend, &*sql, values.0);
    }
    let statement = backend.build(&build());
    if let Ok(mut cache) = CACHE.write()
        && !cache.iter().any(|(cached, _)| *cached == key)
    {
        let reusable = statement.values.as_ref() == Some(&values);
        if !reusable {
            // Only if sea-query changed the order it binds values in: stay correct
            // rather than bind values to the wrong placeholders.
            tracing::warn!(?query, "multi-account: a statement binds values in an unexpected order; not caching it");
        }
        cache.push((key, reusable.then(|| Arc::from(statement.sql.as_str()))));
    }
    statement
}

fn cached(key: Key) -> Option<Arc<str>> {
    let cache = CACHE.read().ok()?;
    cache.iter().find(|(cached, _)| *cached == key).and_then(|(_, sql)| sql.clone())
}

#[cfg(feature = "test-support")]
/// Whether `query` for `U` on `backend` is served from the cache.
pub(crate) fn is_cached<U: 'static>(backend: DatabaseBackend, query: Query) -> bool {
    cached(Key { user: TypeId::of::<U>(), backend, query }).is_some()
}
