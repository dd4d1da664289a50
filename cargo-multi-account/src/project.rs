//! The app: its packages (one, or a workspace's members), their manifests,
//! dependencies and Rust files, and which framework serves it.

use std::path::{Path, PathBuf};

use crate::error::InstallError;

/// The web framework the app is served with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framework {
    Actix,
    Axum,
}

impl Framework {
    /// The adapter crate for this framework.
    pub(crate) fn adapter(self) -> &'static str {
        match self {
            Self::Actix => "multi-account-actix",
            Self::Axum => "multi-account-axum",
        }
    }
}

/// One package of the app.
#[derive(Clone)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) manifest_path: PathBuf,
    pub(crate) manifest: toml_edit::DocumentMut,
    /// The names of its `[dependencies]`.
    pub(crate) dependencies: Vec<String>,
}

impl Package {
    fn read(manifest_path: &Path) -> Result<Option<Self>, InstallError> {
        let text = std::fs::read_to_string(manifest_path).map_err(InstallError::io(manifest_path))?;
        let manifest: toml_edit::DocumentMut = text.parse().map_err(|error: toml_edit::TomlError| {
            InstallError::BadManifest { path: manifest_path.to_owned(), message: error.message().to_owned() }
        })?;
        let Some(name) = manifest.get("package").and_then(|package| package.get("name")).and_then(|name| name.as_str())
        else {
            return Ok(None);
        };
        let dependencies = manifest
            .get("dependencies")
            .and_then(toml_edit::Item::as_table_like)
            .map(|table| table.iter().map(|(name, _)| name.to_owned()).collect())
            .unwrap_or_default();
        let dir = manifest_path.parent().unwrap_or(Path::new(".")).to_owned();
        Ok(Some(Self { name: name.to_owned(), dir, manifest_path: manifest_path.to_owned(), manifest, dependencies }))
    }

    pub(crate) fn depends_on(&self, name: &str) -> bool {
        self.dependencies.iter().any(|dependency| dependency == name)
    }

    /// Every `.rs` file under `src/`, sorted.
    pub(crate) fn rust_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        collect_rust_files(&self.dir.join("src"), &mut files);
        files.sort();
        files
    }

    /// The crate's name in Rust paths.
    pub(crate) fn crate_name(&self) -> String {
        self.name.replace('-', "_")
    }
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The app as found from its top manifest.
pub(crate) struct Project {
    pub(crate) root: PathBuf,
    pub(crate) packages: Vec<Package>,
}

impl Project {
    /// Reads the manifest at `manifest_path` and, for a workspace, its members.
    pub(crate) fn open(manifest_path: &Path) -> Result<Self, InstallError> {
        if !manifest_path.is_file() {
            return Err(InstallError::NoManifest(manifest_path.to_owned()));
        }
        let root = manifest_path.parent().unwrap_or(Path::new(".")).to_owned();
        let text = std::fs::read_to_string(manifest_path).map_err(InstallError::io(manifest_path))?;
        let top: toml_edit::DocumentMut = text.parse().map_err(|error: toml_edit::TomlError| {
            InstallError::BadManifest { path: manifest_path.to_owned(), message: error.message().to_owned() }
        })?;
        let mut packages: Vec<Package> = Package::read(manifest_path)?.into_iter().collect();
        let members = top
            .get("workspace")
            .and_then(|workspace| workspace.get("members"))
            .and_then(toml_edit::Item::as_array)
            .map(|members| members.iter().filter_map(|member| member.as_str().map(str::to_owned)).collect::<Vec<_>>())
            .unwrap_or_default();
        for member in members {
            for dir in expand_member(&root, &member) {
                let manifest = dir.join("Cargo.toml");
                let same = |package: &Package| {
                    std::fs::canonicalize(&package.manifest_path).ok() == std::fs::canonicalize(&manifest).ok()
                };
                // `"."` names the root package, read already.
                if manifest.is_file()
                    && !packages.iter().any(same)
                    && let Some(package) = Package::read(&manifest)?
                {
                    packages.push(package);
                }
            }
        }
        Ok(Self { root, packages })
    }

    /// The framework the app's packages depend on.
    pub(crate) fn framework(&self) -> Result<Framework, InstallError> {
        let actix = self.packages.iter().any(|package| package.depends_on("actix-web"));
        let axum = self.packages.iter().any(|package| package.depends_on("axum"));
        match (actix, axum) {
            (true, false) => Ok(Framework::Actix),
            (false, true) => Ok(Framework::Axum),
            (false, false) => Err(InstallError::Framework(
                "the app depends on neither actix-web nor axum: multi-account has adapters for those two".to_owned(),
            )),
            (true, true) => Err(InstallError::Framework(
                "the app depends on both actix-web and axum: install in the package that serves it \
                 (--manifest-path path/to/that/Cargo.toml)"
                    .to_owned(),
            )),
        }
    }

    /// The package that serves the app: the one depending on the framework.
    pub(crate) fn server(&self, framework: Framework) -> Option<&Package> {
        let dependency = match framework {
            Framework::Actix => "actix-web",
            Framework::Axum => "axum",
        };
        self.packages.iter().find(|package| package.depends_on(dependency))
    }

    /// The package whose directory holds `file`.
    pub(crate) fn package_of(&self, file: &Path) -> Option<&Package> {
        self.packages
            .iter()
            .filter(|package| file.starts_with(&package.dir))
            .max_by_key(|package| package.dir.as_os_str().len())
    }

    /// `path` relative to the app's root, for messages.
    pub(crate) fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }
}

/// A workspace member pattern: a directory, or `dir/*`.
fn expand_member(root: &Path, member: &str) -> Vec<PathBuf> {
    match member.strip_suffix("/*") {
        Some(parent) => {
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(parent))
                .map(|entries| entries.flatten().map(|entry| entry.path()).filter(|path| path.is_dir()).collect())
                .unwrap_or_default();
            dirs.sort();
            dirs
        }
        None => vec![root.join(member)],
    }
}
