//! The install: reads the app, decides every change, then shows or writes
//! them all. Nothing is written before everything is decided.

use std::path::{Path, PathBuf};

use crate::changes::{Change, ChangeSet};
use crate::error::InstallError;
use crate::manifest::{self, Source};
use crate::migration::{self, MigrationFile};
use crate::options::Options;
use crate::project::{Framework, Project};
use crate::proposal::{self, Proposal};
use crate::server::{self, Wiring};
use crate::source::{SourceFile, insert_all};
use crate::user_entity::{self, UserEntity};

/// What an install did (or, with `--dry-run`, would do).
pub(crate) struct Outcome {
    pub(crate) changes: ChangeSet,
    pub(crate) root: PathBuf,
    /// One line per thing done, for the summary.
    pub(crate) done: Vec<String>,
    /// What is left to do by hand, with the code for this app.
    pub(crate) manual: Vec<String>,
}

/// Plans the install of the app at `options.manifest_path` (or `./Cargo.toml`).
pub(crate) fn plan(options: &Options, cwd: &Path) -> Result<Outcome, InstallError> {
    let manifest_path = options.manifest_path.clone().unwrap_or_else(|| cwd.join("Cargo.toml"));
    let project = Project::open(&manifest_path)?;
    let framework = project.framework()?;
    let entities = user_entity::entity_files(&project)?;
    let user_option = options.user.as_ref().map(|user| if user.is_absolute() { user.clone() } else { cwd.join(user) });
    let user = user_entity::choose(&project, entities, user_option.as_deref())?;
    let mut outcome =
        Outcome { changes: ChangeSet::default(), root: project.root.clone(), done: Vec::new(), manual: Vec::new() };
    let entity_package = project.package_of(user.path()).ok_or_else(|| InstallError::Unexpected {
        path: user.path().to_owned(),
        expected: "expected a file of a package".into(),
    })?;
    let src = entity_package.dir.join("src");
    outcome.done.push(format!(
        "user entity: {} (table {}, key {})",
        project.display(user.path()),
        user.table.as_deref().unwrap_or("?"),
        user.key_type.as_deref().unwrap_or("?"),
    ));

    // The user entity: the derive and the attribute.
    let enum_variants = |name: &str| enum_variants(&project, name);
    let proposal = Proposal::new(&user, options, enum_variants);
    if user.installed {
        outcome.done.push("MultiAccountUser is derived already: the user entity stays as it is".into());
    } else {
        let indent = user.source.indent_at(user.attribute_after).to_owned();
        let derive = if user.derive_trailing_comma {
            " multi_account::MultiAccountUser"
        } else {
            ", multi_account::MultiAccountUser"
        };
        let attribute = format!("\n{}", proposal.attribute("super::linked_account::Entity", &indent));
        let after = insert_all(
            &user.source.text,
            vec![(user.derive_close, derive.to_owned()), (user.attribute_after, attribute)],
        );
        outcome.changes.push(Change { path: user.path().to_owned(), before: Some(user.source.text.clone()), after });
        outcome.done.push(format!("derived MultiAccountUser on {}", project.display(user.path())));
        summarize_proposal(&proposal, &mut outcome.done);
    }

    // The linked-accounts entity, next to the user entity, and its `mod`.
    let linked = user.path().with_file_name("linked_account.rs");
    let linked_text = linked_account_file(&user.module());
    let mut linked_table = None;
    match std::fs::read_to_string(&linked) {
        Ok(existing) if existing.contains("LinkedAccount") => {
            outcome.done.push(format!("{} exists already", project.display(&linked)));
            linked_table = user_entity::linked_account_table(&existing);
        }
        Ok(_) => {
            return Err(InstallError::Unexpected {
                path: linked,
                expected: "expected no file here, or the linked-accounts entity (it holds something else)".into(),
            });
        }
        Err(_) => {
            outcome.changes.push(Change { path: linked.clone(), before: None, after: linked_text });
            outcome.done.push(format!("created {} (the linked-accounts entity)", project.display(&linked)));
        }
    }
    register_module(&project, &user, &src, &mut outcome)?;

    // Dependencies.
    let source = match &options.path {
        Some(path) => Source::Checkout(path),
        None => Source::Registry,
    };
    let server = project.server(framework).unwrap_or(entity_package);
    let mut wanted: Vec<(&crate::project::Package, Vec<&str>)> = vec![(entity_package, vec!["multi-account"])];
    if server.manifest_path == entity_package.manifest_path {
        wanted[0].1.push(framework.adapter());
    } else {
        wanted.push((server, vec!["multi-account", framework.adapter()]));
    }

    // The migration.
    let module_path = module_path(&user, &src);
    plan_migration(&project, &user, entity_package, &module_path, linked_table, &mut outcome, &mut wanted)?;
    for (package, crates) in wanted {
        let before = outcome.changes.text_of(&package.manifest_path).map(str::to_owned);
        let package_now;
        let package = match &before {
            Some(text) => {
                package_now = crate::project::Package {
                    manifest: text.parse().unwrap_or_else(|_| package.manifest.clone()),
                    ..package.clone()
                };
                &package_now
            }
            None => package,
        };
        let (after, added) = manifest::add_dependencies(package, &crates, &source);
        if !added.is_empty() {
            let original =
                std::fs::read_to_string(&package.manifest_path).map_err(InstallError::io(&package.manifest_path))?;
            outcome.changes.push(Change { path: package.manifest_path.clone(), before: Some(original), after });
            outcome.done.push(format!("{}: added {}", project.display(&package.manifest_path), added.join(", ")));
        }
    }

    // Seen from the server's code.
    let crate_path = if server.manifest_path == entity_package.manifest_path {
        "crate".to_owned()
    } else {
        entity_package.crate_name()
    };
    let model = format!("{crate_path}::{module_path}{}::Model", user.module());
    match server::wire(server, framework, &model)? {
        Wiring::Wired { source, after, done } => {
            outcome.changes.push(Change { path: source.path.clone(), before: Some(source.text.clone()), after });
            outcome.done.extend(done.into_iter().map(|line| line.replace(&format!("{}/", project.root.display()), "")));
        }
        Wiring::Already(path) => outcome.done.push(format!("{} is wired already", project.display(&path))),
        Wiring::NotFound(message) => outcome.manual.push(format!(
            "{message}

{}",
            server::manual_wiring(framework, &model)
        )),
    }
    outcome.manual.push(sign_in_step(framework, &model));
    outcome.manual.push(switcher_step(framework, &model));
    Ok(outcome)
}

/// The migration: a new file registered in the app's `Migrator`, from the
/// entity where the migrator can name it, else from the users table; or the
/// manual step. The packages that then need `multi-account` go in `wanted`.
fn plan_migration<'a>(
    project: &'a Project,
    user: &UserEntity,
    entity_package: &'a crate::project::Package,
    module_path: &str,
    linked_table: Option<String>,
    outcome: &mut Outcome,
    wanted: &mut Vec<(&'a crate::project::Package, Vec<&'static str>)>,
) -> Result<(), InstallError> {
    match migration::find(project)? {
        Some(migrator) if migrator.has_linked_accounts() => {
            outcome.done.push(format!(
                "{} registers the linked-accounts migration already",
                project.display(&migrator.source.path)
            ));
        }
        Some(migrator) => {
            let migration_package = project.packages.iter().find(|package| package.name == migrator.package);
            let entity = match migration_package {
                Some(package) if package.manifest_path == entity_package.manifest_path => {
                    Some(format!("crate::{module_path}linked_account::Entity"))
                }
                Some(package) if package.depends_on(&entity_package.name) => {
                    Some(format!("{}::{module_path}linked_account::Entity", entity_package.crate_name()))
                }
                _ => None,
            };
            let file = match entity {
                Some(entity) => Some(MigrationFile::OfTheEntity(entity)),
                None => match (&user.table, &user.key_column, &user.key_type) {
                    (Some(table), Some(column), Some(key_type)) => {
                        MigrationFile::of_the_table(table, column, key_type, linked_table)
                    }
                    _ => None,
                },
            };
            match (file, migration_package) {
                (Some(file), Some(package)) => {
                    let module = migrator.module_name(&migration::today());
                    let path = migrator.module_path(&module);
                    outcome.changes.push(Change { path: path.clone(), before: None, after: file.text() });
                    let registered = migrator.register(&module, &file);
                    outcome.changes.push(Change {
                        path: migrator.source.path.clone(),
                        before: Some(migrator.source.text.clone()),
                        after: registered,
                    });
                    outcome.done.push(format!(
                        "added the migration {} and registered it in {}{}",
                        project.display(&path),
                        project.display(&migrator.source.path),
                        match file {
                            MigrationFile::OfTheEntity(_) => "",
                            MigrationFile::OfTheTable { .. } =>
                                " (its crate cannot see the entities: the table is described by the users table)",
                        }
                    ));
                    if package.manifest_path != entity_package.manifest_path {
                        wanted.push((package, vec!["multi-account"]));
                    }
                }
                _ => outcome.manual.push(format!(
                    "The migrator ({}) cannot see the user entity's crate, and the user entity's table or key \
                     is not one it can describe (a `schema_name`, `rename_all`, or a key type multi-account does not \
                     support). Create the table from the app instead, once at start-up:\n\n    \
                     multi_account::create_linked_accounts_table::<{}::{module_path}linked_account::Entity>(&db).await?;",
                    project.display(&migrator.source.path),
                    entity_package.crate_name(),
                )),
            }
        }
        None => outcome.manual.push(no_migrator_step(project, entity_package, module_path)),
    }
    Ok(())
}

/// The manual step without a `Migrator`: the migration's line, naming the
/// entity from wherever the migrations will be. In a workspace they may be in
/// another crate than the entities, so the entity crate's name comes first.
fn no_migrator_step(project: &Project, entity_package: &crate::project::Package, module_path: &str) -> String {
    let line = |root: &str| {
        format!(
            "multi_account::migration::LinkedAccountsMigration::<{root}::{module_path}linked_account::Entity>::boxed(),"
        )
    };
    let intro = "No sea-orm-migration Migrator found. Add this line to your migrations, after the users table:";
    if project.packages.len() > 1 {
        let crate_name = entity_package.crate_name();
        format!(
            "{intro}\n\n    {}\n\n(in the `{}` package itself, `crate::` in place of `{crate_name}::`; another package \
             needs `multi-account` and `{}` among its dependencies)",
            line(&crate_name),
            entity_package.name,
            entity_package.name,
        )
    } else {
        format!("{intro}\n\n    {}", line("crate"))
    }
}

fn summarize_proposal(proposal: &Proposal, done: &mut Vec<String>) {
    let from = |source: proposal::Source| match source {
        proposal::Source::Flag => "from the flag",
        proposal::Source::Proposed => "proposed from the fields; change it in the attribute if it is wrong",
    };
    if let Some((fields, source)) = &proposal.display_fields {
        done.push(format!("  display_fields({}): {}", fields.join(", "), from(*source)));
    }
    if let Some(((field, value), source)) = &proposal.active_check {
        done.push(format!("  active_check(field = {field}, value = {value}): {}", from(*source)));
    }
    if let Some((field, source)) = &proposal.auth_hash {
        done.push(format!("  auth_hash = {field}: {}", from(*source)));
    }
}

/// The path of the user entity's parent module from the crate root, with a
/// trailing `::` (empty for a module at the root): `entities::`.
fn module_path(user: &UserEntity, src: &Path) -> String {
    let Some(dir) = user.path().parent() else { return String::new() };
    let Ok(relative) = dir.strip_prefix(src) else { return String::new() };
    relative.components().map(|part| format!("{}::", part.as_os_str().to_string_lossy())).collect()
}

/// Declares `mod linked_account;` next to the user entity's `mod`.
fn register_module(
    project: &Project,
    user: &UserEntity,
    src: &Path,
    outcome: &mut Outcome,
) -> Result<(), InstallError> {
    let module = user.module();
    for candidate in user.parent_candidates(src) {
        let Ok(text) = std::fs::read_to_string(&candidate) else { continue };
        let parent = SourceFile::parse(&candidate, text)?;
        let declared = |name: &str| {
            parent.syntax.items.iter().find_map(|item| match item {
                syn::Item::Mod(item) if item.ident == name && item.content.is_none() => Some(item),
                _ => None,
            })
        };
        let Some(user_mod) = declared(&module) else { continue };
        if declared("linked_account").is_some() {
            outcome.done.push(format!("{} declares `mod linked_account` already", project.display(&candidate)));
            return Ok(());
        }
        let start = parent.start_of(user_mod.mod_token.span);
        let vis_start = match &user_mod.vis {
            syn::Visibility::Inherited => start,
            vis => parent.start_of(syn::spanned::Spanned::span(vis)),
        };
        let vis = &parent.text[vis_start..start];
        let end = parent.end_of(user_mod.semi.as_ref().map_or(user_mod.ident.span(), |semi| semi.span));
        let indent = parent.indent_at(vis_start);
        let after = insert_all(&parent.text, vec![(end, format!("\n{indent}{vis}mod linked_account;"))]);
        outcome.changes.push(Change { path: candidate.clone(), before: Some(parent.text.clone()), after });
        outcome.done.push(format!("declared `mod linked_account;` in {}", project.display(&candidate)));
        return Ok(());
    }
    Err(InstallError::Unexpected {
        path: user.path().to_owned(),
        expected: format!(
            "expected a `mod {module};` for this file in {}",
            user.parent_candidates(src).iter().map(|path| project.display(path)).collect::<Vec<_>>().join(" or ")
        ),
    })
}

/// The linked-accounts entity module, next to the user entity `user_module`.
fn linked_account_file(user_module: &str) -> String {
    format!(
        "//! The accounts linked in each browser session, for multi-account: the\n\
         //! `Entity`, `Model` and `Column` are generated by `#[derive(LinkedAccount)]`.\n\
         \n\
         /// Marker for the generated linked-accounts entity.\n\
         #[allow(dead_code)] // never built: the derive reads it and generates the entity\n\
         #[derive(multi_account::LinkedAccount)]\n\
         #[linked_account(user = super::{user_module}::Entity)]\n\
         pub struct LinkedAccount;\n"
    )
}

/// The variants of the enum `name`, wherever in the app it is defined.
fn enum_variants(project: &Project, name: &str) -> Vec<String> {
    let needle = format!("enum {name}");
    for package in &project.packages {
        for path in package.rust_files() {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            if !text.contains(&needle) {
                continue;
            }
            let Ok(file) = SourceFile::parse(&path, text) else { continue };
            for item in &file.syntax.items {
                if let syn::Item::Enum(item) = item
                    && item.ident == name
                {
                    return item.variants.iter().map(|variant| variant.ident.to_string()).collect();
                }
            }
        }
    }
    Vec::new()
}

/// The one call the sign-in handler needs, for this app's user type, and
/// where the add-account flow sends the browser to sign in.
fn sign_in_step(framework: Framework, model: &str) -> String {
    let (adapter, parameter) = match framework {
        Framework::Actix => {
            ("multi_account_actix", "multi_account: actix_web::web::Data<multi_account_actix::MultiAccountConfig>,")
        }
        Framework::Axum => (
            "multi_account_axum",
            "axum::Extension(multi_account): axum::Extension<multi_account_axum::MultiAccountConfig>,",
        ),
    };
    format!(
        "Your sign-in handler takes the config (the routes or the layer put it there):\n\n    {parameter}\n\n\
         and once the password (or other proof) passed, signs the account in (a sign-in outside \"Add another \
         account\" replaces the browser's group and deletes its links):\n\n    \
         multi_account.sign_in(&session, &user).await?; // user: {model}\n\n\
         \"Add another account\" sends the browser to `/sign-in?return_to=<the link page>`: once signed in, \
         redirect to `return_to` when `{adapter}::local_path(&return_to)` accepts it, and the link completes. \
         A sign-in page elsewhere: implement `{adapter}::MultiAccountHandlers::sign_in_path` and pass it to \
         `MultiAccountConfig::with_handlers`."
    )
}

/// Reading who is signed in, and the switcher for the app's templates.
fn switcher_step(framework: Framework, model: &str) -> String {
    let (adapter, handler, route) = match framework {
        Framework::Actix => (
            "multi_account_actix",
            format!(
                "async fn accounts(accounts: multi_account_actix::SignedInAccounts<{model}>) -> impl actix_web::Responder {{\n        \
                 actix_web::web::Json(accounts.switcher())\n    }}"
            ),
            ".route(\"/accounts\", actix_web::web::get().to(accounts))",
        ),
        Framework::Axum => (
            "multi_account_axum",
            format!(
                "async fn accounts(accounts: multi_account_axum::SignedInAccounts<{model}>) -> impl axum::response::IntoResponse {{\n        \
                 axum::Json(accounts.switcher())\n    }}"
            ),
            ".route(\"/accounts\", axum::routing::get(accounts))",
        ),
    };
    format!(
        "Where a handler reads the signed-in user from the session, take `{adapter}::CurrentUser<{model}>` \
         instead (401 when signed out). Show the account switcher on your pages: take \
         `{adapter}::SignedInAccounts<{model}>` and give `accounts.switcher()` to your template (it is \
         `Serialize`: each account's `user`, `current` and `switch_form`, then `add_account_form` and \
         `sign_out_all_form`, each an `action` to POST with its `csrf_field` and `csrf_token`). As JSON, \
         for a front end:\n\n    {handler}\n\n    {route}"
    )
}
