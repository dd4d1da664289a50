//! Connecting, resetting, migrating and seeding the demo database.

use std::path::PathBuf;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectOptions, Database, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use sea_orm_migration::MigratorTrait;

use crate::entities::user::{self, UserStatus};
use crate::migration::Migrator;
use crate::password;

/// The password of every seeded account.
pub const DEMO_PASSWORD: &str = "password";

/// A seeded account: name, email, status.
pub const DEMO_USERS: [(&str, &str, UserStatus); 4] = [
    ("Alice Anderson", "alice@example.com", UserStatus::Active),
    ("Bob Brown", "bob@example.com", UserStatus::Active),
    ("Carol Chen", "carol@example.com", UserStatus::Active),
    ("Dave Davis", "dave@example.com", UserStatus::Inactive),
];

/// Why the database could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// Connecting, migrating or seeding failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The SQLite file could not be deleted for `--reset`.
    #[error("could not delete {path} for --reset: {source}")]
    Reset {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A seed password could not be hashed.
    #[error(transparent)]
    Hash(#[from] password::HashError),
}

/// `url` with `mode=rwc` added to a SQLite file URL that has no `mode`, so the
/// file is created when missing.
pub fn normalize_url(url: &str) -> String {
    let Some(path) = sqlite_path_part(url) else { return url.to_owned() };
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

/// The file path of a SQLite URL (`sqlite://path?..`, `sqlite:path`), if it is one.
fn sqlite_path_part(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// The SQLite database file of `url`, for `--reset`; `None` for other databases
/// and in-memory SQLite.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = sqlite_path_part(url)?;
    (!path.is_empty() && !path.contains(":memory:") && !url.contains("mode=memory")).then(|| PathBuf::from(path))
}

/// Deletes a SQLite database file and its journal / WAL companions.
fn delete_sqlite_file(path: &std::path::Path) -> Result<(), DatabaseError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        match std::fs::remove_file(&file) {
            Ok(()) => tracing::info!(file = %file.display(), "deleted for --reset"),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(DatabaseError::Reset { path: file, source }),
        }
    }
    Ok(())
}

/// Connections to a SQLite file: readers in parallel, a few per core.
const SQLITE_FILE_CONNECTIONS: u32 = 4;

/// Connects to `database_url`, resets it when asked, applies the migrations and
/// seeds the demo accounts that are missing.
pub async fn open(database_url: &str, reset: bool) -> Result<DatabaseConnection, DatabaseError> {
    let url = normalize_url(database_url);
    let file = sqlite_file(&url);
    if reset && let Some(path) = &file {
        delete_sqlite_file(path)?;
    }
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging_level(log::LevelFilter::Debug);
    if file.is_some() {
        // SeaORM gives SQLite one connection unless told otherwise, and every
        // request then waits its turn on it. A file in WAL mode takes readers
        // side by side (writes still take turns, within sqlx's busy timeout).
        options
            .max_connections(SQLITE_FILE_CONNECTIONS)
            .map_sqlx_sqlite_opts(|sqlite| sqlite.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal));
    }
    let db = Database::connect(options).await?;
    if reset && file.is_none() {
        tracing::info!("--reset: reverting every migration");
        Migrator::down(&db, None).await?;
    }
    Migrator::up(&db, None).await?;
    seed(&db).await?;
    Ok(db)
}

/// Inserts each of [`DEMO_USERS`] whose email is not in the database yet.
pub async fn seed(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    for (name, email, status) in DEMO_USERS {
        if user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?.is_some() {
            continue;
        }
        user::ActiveModel {
            name: Set(name.to_owned()),
            email: Set(email.to_owned()),
            password_hash: Set(password::hash(DEMO_PASSWORD)?),
            status: Set(status),
            ..Default::default()
        }
        .insert(db)
        .await?;
        tracing::info!(email, "seeded a demo account");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls() {
        assert_eq!(normalize_url("sqlite://demo.sqlite"), "sqlite://demo.sqlite?mode=rwc");
        assert_eq!(normalize_url("sqlite:demo.sqlite?cache=shared"), "sqlite:demo.sqlite?cache=shared&mode=rwc");
        assert_eq!(normalize_url("sqlite://demo.sqlite?mode=ro"), "sqlite://demo.sqlite?mode=ro");
        assert_eq!(normalize_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(normalize_url("postgres://localhost/demo"), "postgres://localhost/demo");
        assert_eq!(sqlite_file("sqlite://dir/demo.sqlite?mode=rwc"), Some(PathBuf::from("dir/demo.sqlite")));
        assert_eq!(sqlite_file("sqlite:///tmp/demo.sqlite"), Some(PathBuf::from("/tmp/demo.sqlite")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("mysql://localhost/demo"), None);
    }
}
