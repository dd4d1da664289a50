//! The files an install writes: shown as a unified diff (`--dry-run`), or
//! written all together — all or none.

use std::path::{Path, PathBuf};

use crate::error::InstallError;

/// One file's new text (and its old one, `None` for a new file).
pub(crate) struct Change {
    pub(crate) path: PathBuf,
    pub(crate) before: Option<String>,
    pub(crate) after: String,
}

/// Every change of an install, at most one per file.
#[derive(Default)]
pub(crate) struct ChangeSet {
    changes: Vec<Change>,
}

impl ChangeSet {
    /// Adds a change; a second change of the same file replaces the first one's
    /// new text (it was made from it).
    pub(crate) fn push(&mut self, change: Change) {
        if change.before.as_deref() == Some(change.after.as_str()) {
            return;
        }
        match self.changes.iter_mut().find(|existing| existing.path == change.path) {
            Some(existing) => existing.after = change.after,
            None => self.changes.push(change),
        }
    }

    /// The current text of `path` in this change set (its new text if it is
    /// changed already), or `None` when it is not in the set.
    pub(crate) fn text_of(&self, path: &Path) -> Option<&str> {
        self.changes.iter().find(|change| change.path == path).map(|change| change.after.as_str())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = &Path> {
        self.changes.iter().map(|change| change.path.as_path())
    }

    /// A unified diff of every change, paths relative to `root`.
    pub(crate) fn diff(&self, root: &Path) -> String {
        let mut out = String::new();
        for change in &self.changes {
            let name = change.path.strip_prefix(root).unwrap_or(&change.path).display().to_string();
            let before = change.before.as_deref().unwrap_or("");
            let old = if change.before.is_some() { format!("a/{name}") } else { "/dev/null".to_owned() };
            let diff = similar::TextDiff::from_lines(before, change.after.as_str());
            out.push_str(&diff.unified_diff().context_radius(3).header(&old, &format!("b/{name}")).to_string());
        }
        out
    }

    /// Writes every change: first each new text beside its file, then renames
    /// them over the files. Any failure undoes what was done, so the tree is as
    /// it was. A file that changed since it was read stops the install first.
    pub(crate) fn write(&self) -> Result<(), InstallError> {
        for change in &self.changes {
            let now = std::fs::read_to_string(&change.path).ok();
            if now != change.before {
                return Err(InstallError::Unexpected {
                    path: change.path.clone(),
                    expected: "the file changed while the installer ran".to_owned(),
                });
            }
        }
        let staged: Vec<PathBuf> = self.changes.iter().map(|change| staging_path(&change.path)).collect();
        let cleanup = |staged: &[PathBuf]| {
            for path in staged {
                let _ = std::fs::remove_file(path);
            }
        };
        for (change, stage) in self.changes.iter().zip(&staged) {
            let written = change
                .path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(stage, &change.after));
            if let Err(source) = written {
                cleanup(&staged);
                return Err(InstallError::Io { path: change.path.clone(), source });
            }
        }
        for (done, (change, stage)) in self.changes.iter().zip(&staged).enumerate() {
            if let Err(source) = std::fs::rename(stage, &change.path) {
                // Put back the files already replaced, remove the new ones.
                for undo in &self.changes[..done] {
                    let _ = match &undo.before {
                        Some(before) => std::fs::write(&undo.path, before),
                        None => std::fs::remove_file(&undo.path),
                    };
                }
                cleanup(&staged[done..]);
                return Err(InstallError::Io { path: change.path.clone(), source });
            }
        }
        Ok(())
    }
}

fn staging_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.multi-account-install"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_files_are_written_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.rs");
        std::fs::write(&kept, "old\n").unwrap();
        let mut changes = ChangeSet::default();
        changes.push(Change { path: kept.clone(), before: Some("old\n".into()), after: "new\n".into() });
        // A directory where a file should go: its rename fails.
        let blocked = dir.path().join("blocked.rs");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("inside"), "").unwrap();
        changes.push(Change { path: blocked.clone(), before: None, after: "x".into() });
        assert!(changes.write().is_err());
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old\n", "the first file is back");
        let leftovers: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().flatten().map(|entry| entry.file_name()).collect();
        assert_eq!(leftovers.len(), 2, "no staged files left: {leftovers:?}");
    }

    #[test]
    fn the_diff_is_unified_and_names_new_files() {
        let mut changes = ChangeSet::default();
        changes.push(Change { path: "/app/src/a.rs".into(), before: Some("a\nb\n".into()), after: "a\nc\n".into() });
        changes.push(Change { path: "/app/src/new.rs".into(), before: None, after: "x\n".into() });
        let diff = changes.diff(Path::new("/app"));
        assert!(diff.contains("--- a/src/a.rs\n+++ b/src/a.rs\n"), "{diff}");
        assert!(diff.contains("-b\n+c\n"), "{diff}");
        assert!(diff.contains("--- /dev/null\n+++ b/src/new.rs\n"), "{diff}");
    }
}
