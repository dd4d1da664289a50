//! The getting-started guide cannot drift from working code: its files are
//! read from `docs/getting-started.md` itself.
//!
//! - `the_example_is_the_guide`: `examples/getting-started` (built and tested
//!   with the workspace) holds exactly the guide's code, file by file.
//! - `the_guide_builds_as_a_fresh_app` (ignored by default, CI runs it): the
//!   guide's files, as a reader copies them into `cargo new my-app` outside
//!   this repository, build and pass their test. Only `[patch.crates-io]` is
//!   added, pointing at this repository's crates instead of crates.io's.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a test reports what it did

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository root").to_owned()
}

/// The guide's files: each code block whose first line names a file
/// (`// src/lib.rs`, `# Cargo.toml`), in order; blocks of the same file (`//
/// src/lib.rs (continued)`) are joined with a blank line.
fn guide_files() -> BTreeMap<String, String> {
    let guide = std::fs::read_to_string(repository().join("docs/getting-started.md")).expect("the guide");
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut rest = guide.as_str();
    while let Some(start) = rest.find("\n```") {
        let after = &rest[start + 4..];
        let Some(info_end) = after.find('\n') else { break };
        let body_and_rest = &after[info_end + 1..];
        let Some(end) = body_and_rest.find("```\n") else { break };
        let body = &body_and_rest[..end];
        rest = &body_and_rest[end + 4..];
        let Some((first, code)) = body.split_once('\n') else { continue };
        let name = first.strip_prefix("// ").or_else(|| first.strip_prefix("# ")).unwrap_or("");
        let name = name.split_whitespace().next().unwrap_or("");
        let is_file = name.ends_with(".rs") || name == "Cargo.toml";
        if is_file {
            let file = files.entry(name.to_owned()).or_default();
            if !file.is_empty() {
                file.push('\n');
            }
            file.push_str(code);
        }
    }
    files
}

/// `text` without its leading module doc (`//!` lines and the blank line after).
fn without_module_doc(text: &str) -> &str {
    let mut rest = text;
    while let Some(line_end) = rest.find('\n').filter(|_| rest.starts_with("//!")) {
        rest = &rest[line_end + 1..];
    }
    rest.strip_prefix('\n').unwrap_or(rest)
}

#[test]
fn the_example_is_the_guide() {
    let files = guide_files();
    let expected = [
        "Cargo.toml",
        "src/lib.rs",
        "src/main.rs",
        "src/user.rs",
        "src/linked_account.rs",
        "src/migrator/mod.rs",
        "src/migrator/m20240101_000001_create_users.rs",
        "tests/getting_started.rs",
    ];
    assert_eq!(files.keys().map(String::as_str).collect::<Vec<_>>().len(), expected.len(), "{:?}", files.keys());
    for name in expected {
        assert!(files.contains_key(name), "the guide has no {name}: {:?}", files.keys());
    }
    let example = repository().join("examples/getting-started");
    for (name, code) in files.iter().filter(|(name, _)| *name != "Cargo.toml") {
        let file = std::fs::read_to_string(example.join(name)).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(
            file == *code || without_module_doc(&file) == code,
            "examples/getting-started/{name} is not the guide's {name}: change both"
        );
    }
}

#[test]
#[ignore = "builds a fresh app from scratch (minutes); CI runs it with --ignored"]
fn the_guide_builds_as_a_fresh_app() {
    let files = guide_files();
    let app = tempfile::tempdir().expect("a directory for the app");
    let root = repository();
    // What `cargo new my-app` writes, then the guide's dependencies.
    let manifest = format!(
        "[package]\nname = \"my-app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{}\n\
         # Not published yet: this repository's crates stand in for crates.io's.\n\
         [patch.crates-io]\nmulti-account = {{ path = {:?} }}\nmulti-account-actix = {{ path = {:?} }}\n",
        files["Cargo.toml"],
        root.join("multi-account"),
        root.join("multi-account-actix"),
    );
    for (name, code) in &files {
        let path = app.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("the file's directory");
        std::fs::write(&path, if name == "Cargo.toml" { &manifest } else { code }).expect("the file");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Its own target directory, kept between runs: the workspace's is locked
    // by the `cargo test` running this.
    let target = root.join("target/guide-app");
    let output = Command::new(cargo)
        .args(["test", "--color", "never"])
        .current_dir(app.path())
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the guide's app failed to build or test:\n{stdout}\n{stderr}");
    assert!(stdout.contains("test result: ok. 2 passed"), "the guide's two tests ran:\n{stdout}");
    assert!(
        !stderr.contains("warning:") || !stderr.contains("my-app"),
        "the guide's code builds without warnings:\n{stderr}"
    );
    println!("the guide's app built and passed its tests in {}", app.path().display());
}
