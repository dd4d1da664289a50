//! Why an install stopped. Every error is found before anything is written.

use std::path::PathBuf;

/// Why `cargo multi-account install` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A command-line argument the installer does not know, or a bad value.
    #[error("{0}\n(try `cargo multi-account install --help`)")]
    Usage(String),
    /// No `Cargo.toml` where the app was looked for.
    #[error("no Cargo.toml at {0} (run this in your app's directory, or pass --manifest-path)")]
    NoManifest(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A Rust file that had to be read does not parse.
    #[error("{path}: not valid Rust, so nothing was changed ({message})")]
    Unparsable {
        /// The file.
        path: PathBuf,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// A `Cargo.toml` does not parse.
    #[error("{path}: not valid TOML, so nothing was changed ({message})")]
    BadManifest {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// No SeaORM entity looks like the users table.
    #[error(
        "found no user entity: expected a SeaORM entity (`#[derive(DeriveEntityModel)] pub struct Model` with \
         `#[sea_orm(table_name = \"users\")]` or \"user\"){seen}; name it with --user <path/to/user.rs>"
    )]
    NoUserEntity {
        /// The entities that were seen, as ", saw: …", or empty.
        seen: String,
    },
    /// More than one entity could be the users table.
    #[error("found several entities that could be the users: {}; choose one with --user <path>", candidates.join(", "))]
    SeveralUserEntities {
        /// The files, with their tables.
        candidates: Vec<String>,
    },
    /// `--user` names a file that holds no SeaORM entity.
    #[error("{0}: expected a SeaORM entity here (`#[derive(DeriveEntityModel)] pub struct Model`), found none")]
    NotAnEntity(PathBuf),
    /// Something the installer must edit is not shaped as it expects.
    #[error("{path}: {expected}; nothing was changed")]
    Unexpected {
        /// The file.
        path: PathBuf,
        /// What the installer expected there.
        expected: String,
    },
    /// The app depends on neither actix-web nor axum (or on both).
    #[error("{0}")]
    Framework(String),
}

impl InstallError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
