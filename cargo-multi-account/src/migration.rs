//! Registering the linked-accounts migration with the app's `Migrator`
//! (sea-orm-migration): a new migration file in the app's naming scheme,
//! added to `migrations()`.

use std::path::{Path, PathBuf};

use crate::error::InstallError;
use crate::project::Project;
use crate::source::{SourceFile, insert_all};

/// The last token inside `vec![..]`.
#[derive(Clone, Copy)]
enum LastToken {
    /// The list is empty (comments aside).
    None,
    Comma,
    Entry,
}

/// The app's `impl MigratorTrait for Migrator`.
pub(crate) struct Migrator {
    pub(crate) source: SourceFile,
    /// The package it is in.
    pub(crate) package: String,
    /// Where a new entry goes: right after the last token in `vec![..]`
    /// (before any comment that follows it).
    insert_at: usize,
    /// What that last token is.
    last: LastToken,
    /// Where the `]` is.
    close: usize,
    /// The entries' indentation.
    indent: String,
    /// The `mod` declarations of migrations in the file.
    modules: Vec<String>,
    /// `vec![..]` is on one line (sea-orm-cli's template): a new entry goes
    /// on it too.
    one_line: bool,
}

/// The migrator of the app, if it has one.
pub(crate) fn find(project: &Project) -> Result<Option<Migrator>, InstallError> {
    for package in &project.packages {
        for path in package.rust_files() {
            let text = std::fs::read_to_string(&path).map_err(InstallError::io(&path))?;
            if !text.contains("MigratorTrait for Migrator") {
                continue;
            }
            let source = SourceFile::parse(&path, text)?;
            return Migrator::of(source, &package.name).map(Some);
        }
    }
    Ok(None)
}

impl Migrator {
    fn of(source: SourceFile, package: &str) -> Result<Self, InstallError> {
        let unexpected =
            |expected: &str| InstallError::Unexpected { path: source.path.clone(), expected: expected.to_owned() };
        let migrations = source
            .syntax
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Impl(item) => Some(item),
                _ => None,
            })
            .flat_map(|item| &item.items)
            .find_map(|item| match item {
                syn::ImplItem::Fn(function) if function.sig.ident == "migrations" => Some(function),
                _ => None,
            })
            .ok_or_else(|| unexpected("expected `fn migrations()` in `impl MigratorTrait for Migrator`"))?;
        // The function's value: its last expression, without a `;`.
        let vec = match migrations.block.stmts.last() {
            Some(syn::Stmt::Expr(syn::Expr::Macro(mac), None)) if mac.mac.path.is_ident("vec") => &mac.mac,
            _ => return Err(unexpected("expected `fn migrations()` to return `vec![..]`")),
        };
        let syn::MacroDelimiter::Bracket(bracket) = &vec.delimiter else {
            return Err(unexpected("expected `vec![..]` with square brackets"));
        };
        let close = source.start_of(bracket.span.close());
        let open = source.end_of(bracket.span.open());
        let (insert_at, last) = match vec.tokens.clone().into_iter().last() {
            None => (open, LastToken::None),
            Some(proc_macro2::TokenTree::Punct(punct)) if punct.as_char() == ',' => {
                (source.end_of(punct.span()), LastToken::Comma)
            }
            Some(token) => (source.end_of(token.span()), LastToken::Entry),
        };
        let one_line = !source.text[open..close].contains('\n');
        let first_entry = source.text[open..close].trim_start_matches([' ', '\t', '\r', '\n']);
        let entry_offset = close - first_entry.len();
        let indent = if first_entry.trim().is_empty() {
            format!("{}    ", source.indent_at(close))
        } else {
            source.indent_at(entry_offset).to_owned()
        };
        let modules = source
            .syntax
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(item) if item.content.is_none() => Some(item.ident.to_string()),
                _ => None,
            })
            .collect();
        Ok(Self { source, package: package.to_owned(), insert_at, last, close, indent, modules, one_line })
    }

    /// Whether the linked-accounts migration is registered already.
    /// (By the migrator's text, a module's name, or a module's file, which
    /// may have been written by hand.)
    pub(crate) fn has_linked_accounts(&self) -> bool {
        let creates_the_table =
            |text: &str| text.contains("LinkedAccountsMigration") || text.contains("LinkedAccountsTable");
        creates_the_table(&self.source.text)
            || self.modules.iter().any(|module| {
                module.ends_with("_create_linked_accounts")
                    || std::fs::read_to_string(self.module_path(module)).is_ok_and(|text| creates_the_table(&text))
            })
    }

    /// The new migration module's name, after the app's scheme
    /// (`mYYYYMMDD_HHMMSS_name`, as sea-orm-cli writes them) for `today`.
    pub(crate) fn module_name(&self, today: &str) -> String {
        let taken = |name: &str| self.modules.iter().any(|module| module == name);
        (1..)
            .map(|count| format!("m{today}_{count:06}_create_linked_accounts"))
            .find(|name| !taken(name))
            .unwrap_or_default()
    }

    /// The file of the new migration module.
    pub(crate) fn module_path(&self, module: &str) -> PathBuf {
        let dir = self.source.path.parent().unwrap_or(Path::new("."));
        // `mod x;` in `src/migrator.rs` is `src/migrator/x.rs`; in a `mod.rs`,
        // `lib.rs` or `main.rs`, it is next to it.
        let dir = match self.source.path.file_stem().and_then(|stem| stem.to_str()) {
            Some("mod" | "lib" | "main") | None => dir.to_owned(),
            Some(stem) => dir.join(stem),
        };
        dir.join(format!("{module}.rs"))
    }

    /// The migrator's file with `mod <module>;` and its entry in `vec![..]`.
    pub(crate) fn register(&self, module: &str, file: &MigrationFile) -> String {
        let migration = match file {
            MigrationFile::OfTheEntity(_) => format!("{module}::Migration::default()"),
            MigrationFile::OfTheTable { .. } => format!("{module}::Migration"),
        };
        let entry = format!("Box::new({migration})");
        let mut insertions = if self.one_line {
            let separator = match self.last {
                LastToken::None => "",
                LastToken::Comma => " ",
                LastToken::Entry => ", ",
            };
            vec![(self.insert_at, format!("{separator}{entry}"))]
        } else {
            // On a line of its own, after the last entry's line (and its
            // comment), unless the `]` is on that line.
            let line_end = self.source.text[self.insert_at..self.close]
                .find('\n')
                .map_or(self.insert_at, |offset| self.insert_at + offset);
            // The comma first: at one offset, insertions keep their order.
            let mut insertions = Vec::new();
            if let LastToken::Entry = self.last {
                insertions.push((self.insert_at, ",".to_owned()));
            }
            insertions.push((line_end, format!("\n{}{entry},", self.indent)));
            insertions
        };
        let last_mod = self
            .source
            .syntax
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(item) if item.content.is_none() => {
                    Some(self.source.end_of(item.semi.as_ref().map_or(item.ident.span(), |semi| semi.span)))
                }
                _ => None,
            })
            .max();
        match last_mod {
            Some(end) => insertions.push((end, format!("\nmod {module};"))),
            None => insertions.push((0, format!("mod {module};\n\n"))),
        }
        insert_all(&self.source.text, insertions)
    }
}

/// The new migration, by what the migrator's crate can name.
pub(crate) enum MigrationFile {
    /// The library's migration for the app's linked-accounts entity (its path).
    OfTheEntity(String),
    /// The table described by the users table, for a migrator that cannot
    /// name the entities (sea-orm-cli's `migration` crate).
    OfTheTable { users_table: String, user_id_column: String, key_type: &'static str, table: Option<String> },
}

impl MigrationFile {
    /// The table migration for users in `users_table` keyed by `user_id_column`
    /// of the Rust type `key_type` (the links in `table`, or the default
    /// table), if multi-account supports that key type.
    pub(crate) fn of_the_table(
        users_table: &str,
        user_id_column: &str,
        key_type: &str,
        table: Option<String>,
    ) -> Option<Self> {
        let key_type = match key_type.rsplit("::").next().unwrap_or(key_type) {
            "i32" => "i32",
            "i64" => "i64",
            "String" => "String",
            "Uuid" => "sea_orm_migration::sea_orm::prelude::Uuid",
            _ => return None,
        };
        Some(Self::OfTheTable {
            users_table: users_table.to_owned(),
            user_id_column: user_id_column.to_owned(),
            key_type,
            table,
        })
    }

    /// The file's text.
    pub(crate) fn text(&self) -> String {
        match self {
            Self::OfTheEntity(entity) => format!(
                "//! Creates multi-account's linked-accounts table (added by `cargo multi-account install`).\n\
                 \n\
                 /// The table of the accounts linked in each browser session, from the entity.\n\
                 pub type Migration = multi_account::migration::LinkedAccountsMigration<{entity}>;\n"
            ),
            Self::OfTheTable { users_table, user_id_column, key_type, table } => format!(
                "//! Creates multi-account's linked-accounts table (added by `cargo multi-account install`).\n\
                 //! This crate cannot name the app's entities, so the table is described by\n\
                 //! the users table it refers to.\n\
                 \n\
                 use sea_orm_migration::prelude::*;\n\
                 \n\
                 /// The accounts linked in each browser session, for users in the table {users_table:?}.\n\
                 const LINKED_ACCOUNTS: multi_account::LinkedAccountsTable<{key_type}> =\n    \
                 multi_account::LinkedAccountsTable::new({users_table:?}, {user_id_column:?}){};\n\
                 \n\
                 #[derive(DeriveMigrationName)]\n\
                 pub struct Migration;\n\
                 \n\
                 #[async_trait::async_trait]\n\
                 impl MigrationTrait for Migration {{\n    \
                 async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n        \
                 LINKED_ACCOUNTS.create_table(manager.get_connection()).await\n    \
                 }}\n\
                 \n    \
                 async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n        \
                 LINKED_ACCOUNTS.drop_table(manager.get_connection()).await\n    \
                 }}\n\
                 }}\n",
                table.as_ref().map(|table| format!(".with_table_name({table:?})")).unwrap_or_default()
            ),
        }
    }
}

/// Today's date as `YYYYMMDD` (UTC), for migration names.
pub(crate) fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / 86_400);
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!("{year:04}{month:02}{day:02}")
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(vec: &str) -> String {
        let text = format!(
            "mod m1;\n#[cfg(test)]\nmod tests {{}}\n\npub struct Migrator;\n\nimpl MigratorTrait for Migrator {{\n    \
             fn migrations() -> Vec<Box<dyn MigrationTrait>> {{\n        {vec}\n    }}\n}}\n"
        );
        let source = SourceFile::parse(Path::new("lib.rs"), text).unwrap();
        let migrator = Migrator::of(source, "migration").unwrap();
        let file = MigrationFile::of_the_table("users", "id", "i32", None).unwrap();
        let after = migrator.register("m2", &file);
        let start = after.find("vec![").unwrap();
        let end = after[start..].find("\n    }").unwrap();
        assert!(after.starts_with("mod m1;\nmod m2;\n#[cfg(test)]\nmod tests {}"), "{after}");
        after[start..start + end].to_owned()
    }

    #[test]
    fn an_entry_goes_after_the_last_token_whatever_the_list_looks_like() {
        assert_eq!(
            registered("vec![Box::new(m1::Migration)]"),
            "vec![Box::new(m1::Migration), Box::new(m2::Migration)]"
        );
        assert_eq!(
            registered("vec![Box::new(m1::Migration),]"),
            "vec![Box::new(m1::Migration), Box::new(m2::Migration)]"
        );
        assert_eq!(registered("vec![]"), "vec![Box::new(m2::Migration)]");
        // The last token a `>`, not a comma.
        assert_eq!(
            registered("vec![Box::new(m1::Migration) as Box<dyn MigrationTrait>]"),
            "vec![Box::new(m1::Migration) as Box<dyn MigrationTrait>, Box::new(m2::Migration)]"
        );
        assert_eq!(registered("vec![/* none yet */]"), "vec![Box::new(m2::Migration)/* none yet */]");
        assert_eq!(
            registered("vec![\n            Box::new(m1::Migration) // the users\n        ]"),
            "vec![\n            Box::new(m1::Migration), // the users\n            Box::new(m2::Migration),\n        ]"
        );
        assert_eq!(
            registered("vec![\n            Box::new(m0::Migration),\n            Box::new(m1::Migration)]"),
            "vec![\n            Box::new(m0::Migration),\n            Box::new(m1::Migration),\n            Box::new(m2::Migration),]"
        );
        assert_eq!(
            registered("vec![\n            Box::new(m1::Migration),\n        ]"),
            "vec![\n            Box::new(m1::Migration),\n            Box::new(m2::Migration),\n        ]"
        );
    }

    #[test]
    fn the_table_migration_names_a_key_type_the_migration_crate_can_see() {
        let key = |key_type: &str| match MigrationFile::of_the_table("users", "id", key_type, None) {
            Some(MigrationFile::OfTheTable { key_type, .. }) => Some(key_type),
            _ => None,
        };
        assert_eq!(key("i32"), Some("i32"));
        assert_eq!(key("i64"), Some("i64"));
        assert_eq!(key("String"), Some("String"));
        assert_eq!(key("uuid::Uuid"), Some("sea_orm_migration::sea_orm::prelude::Uuid"));
        assert_eq!(key("Uuid"), Some("sea_orm_migration::sea_orm::prelude::Uuid"));
        assert_eq!(key("u64"), None, "not a key type multi-account supports");
        assert_eq!(key("(i32,i32)"), None);
    }

    #[test]
    fn names_read_from_the_app_are_written_as_escaped_literals() {
        let hostile = "users\n}\nfn injected() {}\n// \"";
        let file = MigrationFile::of_the_table(hostile, "id\"\n", "i64", Some("links\n#[x]".to_owned())).unwrap();
        let text = file.text();
        let parsed = syn::parse_file(&text).unwrap_or_else(|error| panic!("{error}: {text}"));
        let names: Vec<String> = parsed
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Fn(function) => Some(function.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        assert!(names.is_empty(), "no function was injected: {text}");
        assert_eq!(
            text.lines().count(),
            MigrationFile::of_the_table("users", "id", "i64", Some("links".into())).unwrap().text().lines().count()
        );
    }

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_790), (2026, 12, 3));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(47_541), (2100, 3, 1));
        assert_eq!(civil_from_days(-25_508), (1900, 3, 1));
    }

    #[test]
    fn today_is_the_systems_date() {
        let date = || {
            let output = std::process::Command::new("date").args(["-u", "+%Y%m%d"]).output().unwrap();
            String::from_utf8(output.stdout).unwrap().trim().to_owned()
        };
        // Read between two readings of the system's date (which may straddle midnight).
        let (before, today, after) = (date(), today(), date());
        assert!(today == before || today == after, "{today}, the system says {before} / {after}");
    }
}
