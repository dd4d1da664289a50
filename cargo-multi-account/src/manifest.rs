//! Adding the dependencies to a package's `Cargo.toml`, format-preserving
//! (`toml_edit`): by version, or by path into a local checkout.

use std::path::{Component, Path, PathBuf};

use crate::project::Package;

/// The version the dependencies ask for.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the crates come from.
pub(crate) enum Source<'a> {
    /// crates.io, at [`VERSION`].
    Registry,
    /// A checkout of this repository: `<root>/<crate>`.
    Checkout(&'a Path),
}

/// `package`'s manifest with `crates` in `[dependencies]` (those missing only),
/// and which were added.
pub(crate) fn add_dependencies(package: &Package, crates: &[&str], source: &Source<'_>) -> (String, Vec<String>) {
    let mut manifest = package.manifest.clone();
    let mut added = Vec::new();
    if !manifest.contains_key("dependencies") {
        manifest["dependencies"] = toml_edit::table();
    }
    if let Some(dependencies) = manifest["dependencies"].as_table_like_mut() {
        for name in crates {
            if dependencies.contains_key(name) {
                continue;
            }
            let value = match source {
                Source::Registry => toml_edit::value(VERSION.rsplit_once('.').map_or(VERSION, |(minor, _)| minor)),
                Source::Checkout(root) => {
                    let mut table = toml_edit::InlineTable::new();
                    let path = relative(&package.dir, &root.join(name));
                    table.insert("path", path.display().to_string().into());
                    toml_edit::value(table)
                }
            };
            dependencies.insert(name, value);
            added.push((*name).to_owned());
        }
    }
    (manifest.to_string(), added)
}

/// `to` relative to the directory `from` (both made absolute first), as
/// `cargo add --path` writes it.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let absolute = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let (from, to) = (absolute(from), absolute(to));
    let from: Vec<Component<'_>> = from.components().collect();
    let to_parts: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to;
    }
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for part in &to_parts[common..] {
        path.push(part);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_package() {
        assert_eq!(
            relative(Path::new("/a/app"), Path::new("/a/multi-account/core")),
            PathBuf::from("../multi-account/core")
        );
        assert_eq!(relative(Path::new("/a/app"), Path::new("/a/app/vendor/x")), PathBuf::from("vendor/x"));
    }
}
