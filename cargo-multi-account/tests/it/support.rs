//! A fixture app in a temporary directory, and the installer run on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root (`--path` points the app's dependencies there).
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// A copy of `tests/fixtures/<name>` in a temporary directory.
pub struct App {
    pub dir: tempfile::TempDir,
}

impl App {
    pub fn fixture(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name), dir.path());
        Self { dir }
    }

    /// An app made of `files` (path, text).
    pub fn of(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Self { dir }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
    }

    /// Every file and its text.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        walk(self.dir.path(), self.dir.path(), &mut files);
        files
    }

    /// Runs `cargo-multi-account multi-account install <args>` in the app
    /// (with `--path` to this repository).
    pub fn install(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_cargo-multi-account"))
            .args(["multi-account", "install", "--path"])
            .arg(repository())
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        Run {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

#[derive(Debug)]
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                walk(root, &path, files);
            }
        } else {
            files.insert(
                path.strip_prefix(root).unwrap().to_owned(),
                std::fs::read_to_string(&path).unwrap_or_default(),
            );
        }
    }
}

/// `after` is `before` with exactly these insertions (nothing else changed:
/// comments and formatting stay).
pub fn assert_only_inserted(before: &str, after: &str, inserted: &[&str]) {
    let mut rest = after.to_owned();
    for piece in inserted {
        assert!(rest.contains(piece), "expected {piece:?} in:\n{after}");
        rest = rest.replacen(piece, "", 1);
    }
    assert_eq!(rest, before, "only the insertions changed the file:\n{after}");
}
