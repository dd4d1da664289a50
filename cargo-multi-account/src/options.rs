//! The command line.

use std::path::PathBuf;

use crate::error::InstallError;

/// The help text.
pub(crate) const USAGE: &str = "\
Adds multi-account to an existing SeaORM app on actix-web or axum.

Usage: cargo multi-account install [OPTIONS]

Options:
  --manifest-path <PATH>   the app's Cargo.toml (default: ./Cargo.toml)
  --user <PATH>            the user entity's file, when the installer cannot tell
  --display-fields <A,B>   the fields the account switcher shows (default: proposed
                           from name, email, avatar_url, username, display_name)
  --active-check <F=V>     only users whose field F equals V may be linked and
                           switched to, e.g. status=UserStatus::Active
  --auth-hash <FIELD>      the field whose change signs the account out everywhere
                           (default: password_hash when there is one); `none` for none
  --path <DIR>             depend on a local checkout of multi-account (its root)
                           instead of the published version
  --dry-run                print the changes as a unified diff and write nothing
  -h, --help               print this help";

/// What the command line asks for.
#[derive(Debug, Default)]
pub(crate) struct Options {
    pub(crate) manifest_path: Option<PathBuf>,
    pub(crate) user: Option<PathBuf>,
    pub(crate) display_fields: Option<Vec<String>>,
    pub(crate) active_check: Option<(String, String)>,
    /// `Some(None)`: `--auth-hash none`.
    pub(crate) auth_hash: Option<Option<String>>,
    pub(crate) path: Option<PathBuf>,
    pub(crate) dry_run: bool,
    pub(crate) help: bool,
}

impl Options {
    /// Parses the arguments after the program name. Cargo runs
    /// `cargo-multi-account multi-account install ...`; run directly, the
    /// binary takes `install ...` too.
    pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, InstallError> {
        let mut args = args.into_iter().peekable();
        if args.peek().map(String::as_str) == Some("multi-account") {
            args.next();
        }
        let mut options = Self::default();
        match args.next().as_deref() {
            Some("install") => {}
            Some("-h" | "--help") | None => {
                options.help = true;
                return Ok(options);
            }
            Some(other) => return Err(InstallError::Usage(format!("unknown command {other:?}: expected `install`"))),
        }
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = |what: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .filter(|value| !value.is_empty())
                    .ok_or_else(|| InstallError::Usage(format!("{name} needs {what}")))
            };
            match name.as_str() {
                "-h" | "--help" => options.help = true,
                "--dry-run" => options.dry_run = true,
                "--manifest-path" => options.manifest_path = Some(value("a path")?.into()),
                "--user" => options.user = Some(value("a path")?.into()),
                "--path" => options.path = Some(value("a directory")?.into()),
                "--display-fields" => {
                    let fields = value("field names, e.g. name,email")?;
                    options.display_fields = Some(fields.split(',').map(|field| field.trim().to_owned()).collect());
                }
                "--active-check" => {
                    let check = value("FIELD=VALUE, e.g. status=UserStatus::Active")?;
                    let (field, expected) = check.split_once('=').ok_or_else(|| {
                        InstallError::Usage(format!("--active-check {check:?}: expected FIELD=VALUE"))
                    })?;
                    options.active_check = Some((field.trim().to_owned(), expected.trim().to_owned()));
                }
                "--auth-hash" => {
                    let field = value("a field name, or none")?;
                    options.auth_hash = Some((field != "none").then_some(field));
                }
                _ => return Err(InstallError::Usage(format!("unknown argument {arg:?}"))),
            }
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, InstallError> {
        Options::parse(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn cargo_passes_the_subcommand_name_first() {
        let options = parse(&["multi-account", "install", "--dry-run", "--user=src/user.rs"]).unwrap();
        assert!(options.dry_run);
        assert_eq!(options.user.as_deref(), Some(std::path::Path::new("src/user.rs")));
        assert!(parse(&["install", "--path", "../multi-account"]).unwrap().path.is_some());
        assert!(parse(&["multi-account"]).unwrap().help);
    }

    #[test]
    fn flags_take_their_values() {
        let options =
            parse(&["install", "--display-fields", "name, email", "--active-check", "status=Status::Active"]).unwrap();
        assert_eq!(options.display_fields.unwrap(), ["name", "email"]);
        assert_eq!(options.active_check.unwrap(), ("status".into(), "Status::Active".into()));
        assert_eq!(parse(&["install", "--auth-hash", "none"]).unwrap().auth_hash, Some(None));
        let options = parse(&["install", "--manifest-path=app/Cargo.toml", "--help"]).unwrap();
        assert_eq!(options.manifest_path.unwrap(), PathBuf::from("app/Cargo.toml"));
        assert!(options.help);
        assert!(parse(&["install", "-h"]).unwrap().help);
    }

    #[test]
    fn bad_arguments_are_errors() {
        for args in
            [&["install", "--nope"][..], &["install", "--user"], &["uninstall"], &["install", "--active-check", "x"]]
        {
            assert!(matches!(parse(args), Err(InstallError::Usage(_))), "{args:?}");
        }
        // Only `--name=value` is split at `=`: `-h=x` is no `-h`.
        assert!(matches!(parse(&["install", "-h=x"]), Err(InstallError::Usage(_))));
    }
}
