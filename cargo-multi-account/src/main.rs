//! `cargo multi-account install`: adds multi-account to an existing SeaORM app
//! on actix-web or axum — the user entity's derive and attribute, the
//! linked-accounts entity, the migration, the dependencies — and prints what
//! is left to do by hand, with the code for the app's types.
//!
//! Every edit is made at the exact source span of what was parsed (formatting
//! and comments stay); `--dry-run` prints a unified diff; all files are
//! written or none; a second run changes nothing.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool

mod changes;
mod error;
mod install;
mod manifest;
mod migration;
mod options;
mod project;
mod proposal;
mod server;
mod source;
mod user_entity;

use std::process::ExitCode;

use crate::options::{Options, USAGE};

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if options.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            eprintln!("error: the current directory: {error}");
            return ExitCode::FAILURE;
        }
    };
    match run(&options, &cwd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options, cwd: &std::path::Path) -> Result<(), error::InstallError> {
    let outcome = install::plan(options, cwd)?;
    if options.dry_run {
        print!("{}", outcome.changes.diff(&outcome.root));
        println!("(dry run: nothing was written)");
    } else if !outcome.changes.is_empty() {
        warn_if_dirty(&outcome.root, &outcome.changes);
        outcome.changes.write()?;
    }
    for line in &outcome.done {
        println!("{line}");
    }
    if outcome.changes.is_empty() {
        println!("multi-account is installed already: nothing to change");
    }
    if !outcome.manual.is_empty() {
        println!("\nLeft for you to do:");
        for (number, step) in outcome.manual.iter().enumerate() {
            println!("\n{}. {step}", number + 1);
        }
    }
    Ok(())
}

/// Warns when git reports uncommitted changes in the files about to change:
/// the install is easiest to review (and undo) on a clean tree.
fn warn_if_dirty(root: &std::path::Path, changes: &changes::ChangeSet) {
    let Ok(output) = std::process::Command::new("git").arg("-C").arg(root).args(["status", "--porcelain"]).output()
    else {
        return;
    };
    if output.status.success() && !output.stdout.is_empty() {
        let count = changes.paths().count();
        eprintln!(
            "warning: the git tree has uncommitted changes; review the install's {count} file(s) with `git diff`"
        );
    }
}
