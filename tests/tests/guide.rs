//! The getting-started guides cannot drift from working code: their files are
//! read from the guides themselves (`docs/getting-started.md` for actix-web,
//! `docs/getting-started-axum.md` for axum), and each guide gets the same two
//! checks.
//!
//! - `the_example_is_the_guide`, `the_axum_example_is_the_axum_guide`: the
//!   guide's example crate (`examples/getting-started`,
//!   `examples/getting-started-axum`; built and tested with the workspace) holds
//!   exactly the guide's code, file by file.
//! - `the_guide_builds_as_a_fresh_app`, `the_axum_guide_builds_as_a_fresh_app`
//!   (ignored by default, CI runs them): the guide's files, as a reader copies
//!   them into `cargo new <app>` outside this repository, build and pass their
//!   tests. Only `[patch.crates-io]` is added, pointing at this repository's
//!   crates instead of crates.io's.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a test reports what it did

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One getting-started guide and what it builds.
struct Guide {
    /// The guide, from the repository root.
    page: &'static str,
    /// The example crate that holds the guide's code, from the repository root.
    example: &'static str,
    /// The package name of `cargo new <app>` in the guide.
    app: &'static str,
    /// The adapter crate, patched to this repository's like `multi-account`.
    adapter: &'static str,
    /// How many tests the guide's test file has.
    tests: usize,
}

/// The actix-web guide.
const ACTIX: Guide = Guide {
    page: "docs/getting-started.md",
    example: "examples/getting-started",
    app: "my-app",
    adapter: "multi-account-actix",
    tests: 3,
};

/// The axum guide.
const AXUM: Guide = Guide {
    page: "docs/getting-started-axum.md",
    example: "examples/getting-started-axum",
    app: "my-axum-app",
    adapter: "multi-account-axum",
    tests: 3,
};

/// The files each guide has, in the order it shows them.
const FILES: [&str; 8] = [
    "Cargo.toml",
    "src/lib.rs",
    "src/main.rs",
    "src/user.rs",
    "src/linked_account.rs",
    "src/migrator/mod.rs",
    "src/migrator/m20240101_000001_create_users.rs",
    "tests/getting_started.rs",
];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository root").to_owned()
}

/// The guide's files: each code block whose first line names a file
/// (`// src/lib.rs`, `# Cargo.toml`), in order; blocks of the same file (`//
/// src/lib.rs (continued)`) are joined with a blank line.
fn guide_files(guide: &Guide) -> BTreeMap<String, String> {
    let page = std::fs::read_to_string(repository().join(guide.page)).expect("the guide");
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut rest = page.as_str();
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

/// The crates a manifest depends on, by section: `[dependencies]` and
/// `[dev-dependencies]` (`name = ..` and `name.workspace = true` alike).
fn dependencies(manifest: &str) -> BTreeSet<(String, String)> {
    let mut section = "";
    let mut names = BTreeSet::new();
    for line in manifest.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')) {
        if line.starts_with('[') {
            section = line;
        } else if matches!(section, "[dependencies]" | "[dev-dependencies]")
            && let Some(name) = line.split(['=', '.', ' ']).next()
        {
            names.insert((section.to_owned(), name.to_owned()));
        }
    }
    names
}

/// The guide has exactly [`FILES`], and its example crate holds each as the
/// guide shows it (its `Cargo.toml` names the workspace's crates, so only the
/// same dependencies).
fn the_example_holds_the_guide(guide: &Guide) {
    let files = guide_files(guide);
    assert_eq!(files.len(), FILES.len(), "{}: {:?}", guide.page, files.keys());
    for name in FILES {
        assert!(files.contains_key(name), "{} has no {name}: {:?}", guide.page, files.keys());
    }
    let example = repository().join(guide.example);
    let manifest = std::fs::read_to_string(example.join("Cargo.toml")).expect("the example's Cargo.toml");
    assert_eq!(
        dependencies(&manifest),
        dependencies(&files["Cargo.toml"]),
        "{}/Cargo.toml and the Cargo.toml of {} depend on other crates: change both",
        guide.example,
        guide.page,
    );
    for (name, code) in files.iter().filter(|(name, _)| *name != "Cargo.toml") {
        let file = std::fs::read_to_string(example.join(name)).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(
            file == *code || without_module_doc(&file) == code,
            "{}/{name} is not the {name} of {}: change both",
            guide.example,
            guide.page,
        );
    }
}

/// Where the fresh apps build: their own directory, kept between runs (the
/// workspace's is locked by the `cargo test` running this), next to the
/// workspace's target directory or under an absolute `CARGO_TARGET_DIR`. The
/// two guides share it (serially: cargo locks it), and so their build tools.
fn fresh_app_target() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).filter(|dir| dir.is_absolute());
    target.unwrap_or_else(|| repository().join("target")).join("guide-app")
}

/// The guide's files, in `cargo new <app>` outside this repository, build and
/// pass the guide's tests, without a warning in the guide's code.
fn the_guide_builds_as_a_fresh_app_of(guide: &Guide) {
    let started = Instant::now();
    let files = guide_files(guide);
    let app = tempfile::tempdir().expect("a directory for the app");
    let root = repository();
    // What `cargo new <app>` writes, then the guide's dependencies.
    let manifest = format!(
        "[package]\nname = {:?}\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{}\n\
         # Not published yet: this repository's crates stand in for crates.io's.\n\
         [patch.crates-io]\nmulti-account = {{ path = {:?} }}\n{} = {{ path = {:?} }}\n",
        guide.app,
        files["Cargo.toml"],
        root.join("multi-account"),
        guide.adapter,
        root.join(guide.adapter),
    );
    for (name, code) in &files {
        let path = app.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("the file's directory");
        std::fs::write(&path, if name == "Cargo.toml" { &manifest } else { code }).expect("the file");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["test", "--color", "never"])
        .current_dir(app.path())
        .env("CARGO_TARGET_DIR", fresh_app_target())
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let page = guide.page;
    assert!(output.status.success(), "the app of {page} failed to build or test:\n{stdout}\n{stderr}");
    let passed = format!("test result: ok. {} passed", guide.tests);
    assert!(stdout.contains(&passed), "the {} tests of {page} ran:\n{stdout}", guide.tests);
    assert!(
        !stderr.contains("warning:") || !stderr.contains(guide.app),
        "the code of {page} builds without warnings:\n{stderr}"
    );
    println!("the app of {page} built and passed its tests in {} ({:.0?})", app.path().display(), started.elapsed());
}

#[test]
fn the_example_is_the_guide() {
    the_example_holds_the_guide(&ACTIX);
}

#[test]
fn the_axum_example_is_the_axum_guide() {
    the_example_holds_the_guide(&AXUM);
}

#[test]
#[ignore = "builds a fresh app from scratch (minutes); CI runs it with --ignored"]
fn the_guide_builds_as_a_fresh_app() {
    the_guide_builds_as_a_fresh_app_of(&ACTIX);
}

#[test]
#[ignore = "builds a fresh app from scratch (minutes); CI runs it with --ignored"]
fn the_axum_guide_builds_as_a_fresh_app() {
    the_guide_builds_as_a_fresh_app_of(&AXUM);
}
