//! Throwaway databases for tests (feature `test-support`): one per test, on
//! SQLite, PostgreSQL or MySQL/MariaDB, removed when dropped, so tests run in
//! parallel and leave nothing behind.
//!
//! PostgreSQL and MySQL run only when their variable is set:
//! [`POSTGRES_URL_VAR`] (`postgres://postgres@127.0.0.1:5432/test`) and
//! [`MYSQL_URL_VAR`] (`mysql://root@127.0.0.1:3306/test`). A set variable whose
//! server cannot be reached fails the test, so CI cannot pass by skipping.

use std::fmt;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

/// The variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "MULTI_ACCOUNT_TEST_POSTGRES_URL";
/// The variable naming the MySQL/MariaDB server for tests.
pub const MYSQL_URL_VAR: &str = "MULTI_ACCOUNT_TEST_MYSQL_URL";

/// A database backend tests can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    /// SQLite in memory: always available.
    Sqlite,
    /// PostgreSQL, when [`POSTGRES_URL_VAR`] is set: a schema per test.
    Postgres,
    /// MySQL/MariaDB, when [`MYSQL_URL_VAR`] is set: a database per test.
    MySql,
}

impl fmt::Display for TestBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
        })
    }
}

impl TestBackend {
    /// The server URL from the environment (`None` for SQLite or when unset).
    pub fn server_url(self) -> Option<String> {
        let var = match self {
            Self::Sqlite => return None,
            Self::Postgres => POSTGRES_URL_VAR,
            Self::MySql => MYSQL_URL_VAR,
        };
        std::env::var(var).ok().filter(|url| !url.is_empty())
    }

    /// Whether tests on this backend run here.
    pub fn is_available(self) -> bool {
        self == Self::Sqlite || self.server_url().is_some()
    }
}

/// A database for one test; dropped (schema or database removed) on drop.
pub struct TestDatabase {
    /// The connection (mutable so a test can install a metric callback).
    pub db: DatabaseConnection,
    /// The backend.
    pub backend: TestBackend,
    cleanup: Option<(String, String)>,
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase").field("backend", &self.backend).finish_non_exhaustive()
    }
}

fn unique_name() -> String {
    format!("ma_test_{}", uuid::Uuid::new_v4().simple())
}

/// `url` with its database path replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let authority_end = base.find("://").map_or(0, |scheme| scheme + 3);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

impl TestDatabase {
    /// A fresh database on `backend`, or `None` when the backend is not configured
    /// (its variable unset). Connection failures are errors.
    pub async fn create(backend: TestBackend) -> Result<Option<Self>, DbErr> {
        let (db, cleanup) = match backend {
            TestBackend::Sqlite => {
                let mut options = ConnectOptions::new("sqlite::memory:");
                options.sqlx_logging(false);
                (Database::connect(options).await?, None)
            }
            TestBackend::Postgres => {
                let Some(url) = backend.server_url() else { return Ok(None) };
                let schema = unique_name();
                let admin = Database::connect(url.as_str()).await?;
                admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await?;
                admin.close().await?;
                let mut options = ConnectOptions::new(url.as_str());
                options.set_schema_search_path(schema.clone()).max_connections(20).sqlx_logging(false);
                (Database::connect(options).await?, Some((url, schema)))
            }
            TestBackend::MySql => {
                let Some(url) = backend.server_url() else { return Ok(None) };
                let database = unique_name();
                let admin = Database::connect(url.as_str()).await?;
                admin.execute_unprepared(&format!("CREATE DATABASE `{database}`")).await?;
                admin.close().await?;
                let mut options = ConnectOptions::new(with_database(&url, &database));
                options.max_connections(20).sqlx_logging(false);
                (Database::connect(options).await?, Some((url, database)))
            }
        };
        Ok(Some(Self { db, backend, cleanup }))
    }

    /// A file-backed SQLite database in `dir` (several connections, real locks),
    /// for concurrency tests.
    pub async fn sqlite_file(dir: &std::path::Path) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", dir.join("test.db").display()));
        options.max_connections(8).sqlx_logging(false);
        let db = Database::connect(options).await?;
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
        Ok(Self { db, backend: TestBackend::Sqlite, cleanup: None })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((url, name)) = self.cleanup.take() else { return };
        let backend = self.backend;
        // Drop may run inside a runtime; do the async cleanup on a thread of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            let Ok(runtime) = runtime else { return };
            runtime.block_on(async move {
                let Ok(admin) = Database::connect(url.as_str()).await else { return };
                let statement = match backend {
                    TestBackend::Postgres => format!("DROP SCHEMA \"{name}\" CASCADE"),
                    _ => format!("DROP DATABASE `{name}`"),
                };
                if let Err(error) = admin.execute_unprepared(&statement).await {
                    tracing::warn!(%error, "could not remove a test database");
                }
                let _ = admin.close().await;
            });
        });
        let _ = cleanup.join();
    }
}

/// Whether `U`'s per-request statements (the group, with and without
/// `link_ttl` as `U` has it, and the user by id) are served from the statement
/// cache on `backend`. For the tests: they are once each was run, unless
/// sea-query changed the order it binds values in.
pub fn statements_are_cached<U: crate::MultiAccountUser>(backend: sea_orm::DatabaseBackend) -> bool {
    use crate::statement_cache::{Query, is_cached};
    is_cached::<U>(backend, Query::Group { link_ttl: U::LINK_TTL.is_some(), remembered: 0 })
        && is_cached::<U>(backend, Query::UserById)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_path() {
        assert_eq!(with_database("mysql://root@127.0.0.1:3306/test", "x"), "mysql://root@127.0.0.1:3306/x");
        assert_eq!(
            with_database("mysql://root@h:1/test?ssl-mode=disabled", "x"),
            "mysql://root@h:1/x?ssl-mode=disabled"
        );
        assert_eq!(with_database("mysql://root@h:1", "x"), "mysql://root@h:1/x");
    }
}
