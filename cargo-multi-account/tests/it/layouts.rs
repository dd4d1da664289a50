//! The layouts the installer knows: an actix-web app with entities as
//! sea-orm-cli generates them and a separate migration crate (`i32` key); an axum app with
//! its entities in `src/models/` and its migrator in the crate (`Uuid` key, a
//! status enum); a workspace with the entities in their own crate (`i64` key,
//! SeaORM 2.0's dense format).

use crate::support::{App, assert_only_inserted};

/// Installs, checks the second run changes nothing, and returns the app.
fn install_twice(fixture: &str) -> (App, String) {
    let app = App::fixture(fixture);
    let first = app.install(&[]);
    assert!(first.success, "{first:?}");
    let installed = app.snapshot();
    let second = app.install(&[]);
    assert!(second.success, "{second:?}");
    assert!(second.stdout.contains("nothing to change"), "{}", second.stdout);
    assert_eq!(app.snapshot(), installed, "the second run changed nothing");
    (app, first.stdout)
}

/// The module of the migration the install added to `migrator`'s text.
fn new_migration(migrator: &str) -> String {
    migrator
        .lines()
        .find_map(|line| line.strip_prefix("mod ").filter(|name| name.contains("_create_linked_accounts")))
        .expect("the new migration's mod")
        .trim_end_matches(';')
        .to_owned()
}

#[test]
fn actix_with_sea_orm_cli_entities_and_a_migration_crate() {
    let before = App::fixture("actix-sea-orm-cli");
    let (app, summary) = install_twice("actix-sea-orm-cli");

    assert_only_inserted(
        &before.read("src/entities/user.rs"),
        &app.read("src/entities/user.rs"),
        &[
            ", multi_account::MultiAccountUser",
            "\n#[multi_account(\n    linked_account = super::linked_account::Entity,\n    display_fields(name, email),\n    \
             auth_hash = password_hash,\n)]",
        ],
    );
    let linked = app.read("src/entities/linked_account.rs");
    assert!(linked.contains("#[linked_account(user = super::user::Entity)]"), "{linked}");
    assert_only_inserted(
        &before.read("src/entities/mod.rs"),
        &app.read("src/entities/mod.rs"),
        &["\npub mod linked_account;"],
    );
    let manifest = app.read("Cargo.toml");
    assert!(manifest.contains("# The web server."), "comments stay: {manifest}");
    assert!(manifest.contains("multi-account = { path = "), "{manifest}");
    assert!(manifest.contains("multi-account-actix = { path = "), "{manifest}");
    // The migration crate cannot see the app's entities: its migration
    // describes the table by the users table, and goes on sea-orm-cli's one line.
    let migrator = app.read("migration/src/lib.rs");
    let module = new_migration(&migrator);
    assert_only_inserted(
        &before.read("migration/src/lib.rs"),
        &migrator,
        &[&format!("\nmod {module};"), &format!(", Box::new({module}::Migration)")],
    );
    let migration = app.read(&format!("migration/src/{module}.rs"));
    assert!(
        migration.contains(
            "multi_account::LinkedAccountsTable<i32> =\n    multi_account::LinkedAccountsTable::new(\"users\", \"id\");"
        ),
        "{migration}"
    );
    assert!(app.read("migration/Cargo.toml").contains("multi-account = { path = "));
    assert!(summary.contains("its crate cannot see the entities"), "{summary}");
    assert_only_inserted(
        &before.read("src/main.rs"),
        &app.read("src/main.rs"),
        &[
            "\n    let multi_account = multi_account_actix::MultiAccountConfig::new(db.clone());",
            "\n            .configure(multi_account.routes::<crate::entities::user::Model>())",
            ".wrap(multi_account_actix::SessionToken)\n            ",
        ],
    );
    assert!(summary.contains("multi_account.sign_in(&session, &user).await?"), "{summary}");
    assert!(summary.contains("web::Data<multi_account_actix::MultiAccountConfig>,"), "{summary}");
    assert!(
        summary.contains(
            "async fn accounts(accounts: multi_account_actix::SignedInAccounts<crate::entities::user::Model>)"
        ) && summary.contains("actix_web::web::Json(accounts.switcher())"),
        "{summary}"
    );
}

#[test]
fn axum_with_models_a_uuid_key_a_status_enum_and_an_in_crate_migrator() {
    let before = App::fixture("axum-models");
    let (app, summary) = install_twice("axum-models");

    assert_only_inserted(
        &before.read("src/models/user.rs"),
        &app.read("src/models/user.rs"),
        &[
            ", multi_account::MultiAccountUser",
            "\n#[multi_account(\n    linked_account = super::linked_account::Entity,\n    \
             display_fields(display_name, email, avatar_url),\n    \
             active_check(field = status, value = UserStatus::Active),\n    auth_hash = hashed_password,\n)]",
        ],
    );
    assert_only_inserted(
        &before.read("src/models/mod.rs"),
        &app.read("src/models/mod.rs"),
        &["\npub mod linked_account;"],
    );
    let migrator = app.read("src/migrator/mod.rs");
    let module = new_migration(&migrator);
    assert_only_inserted(
        &before.read("src/migrator/mod.rs"),
        &migrator,
        &[&format!("\nmod {module};"), &format!("\n            Box::new({module}::Migration::default()),")],
    );
    let migration = app.read(&format!("src/migrator/{module}.rs"));
    assert!(migration.contains("LinkedAccountsMigration<crate::models::linked_account::Entity>"), "{migration}");
    assert!(app.read("Cargo.toml").contains("multi-account-axum = { path = "));
    assert_only_inserted(
        &before.read("src/main.rs"),
        &app.read("src/main.rs"),
        &[
            "\n    let multi_account = multi_account_axum::MultiAccountConfig::new(db.clone());",
            "\n        .merge(multi_account.router::<crate::models::user::Model, _>())",
            "\n        .layer(multi_account.layer())",
        ],
    );
    assert!(summary.contains("multi_account.sign_in(&session, &user).await?"), "{summary}");
    assert!(summary.contains("axum::Extension<multi_account_axum::MultiAccountConfig>,"), "{summary}");
    assert!(summary.contains(".route(\"/accounts\", axum::routing::get(accounts))"), "{summary}");
    assert!(summary.contains("proposed from the fields"), "{summary}");
}

#[test]
fn a_workspace_with_the_entities_in_their_own_crate() {
    let before = App::fixture("workspace-entity-crate");
    let (app, summary) = install_twice("workspace-entity-crate");

    assert_only_inserted(
        &before.read("entity/src/account.rs"),
        &app.read("entity/src/account.rs"),
        &[
            ", multi_account::MultiAccountUser",
            "\n#[multi_account(\n    linked_account = super::linked_account::Entity,\n    display_fields(username),\n    \
             active_check(field = is_active, value = true),\n    auth_hash = password_hash,\n)]",
        ],
    );
    assert_only_inserted(
        &before.read("entity/src/lib.rs"),
        &app.read("entity/src/lib.rs"),
        &["\npub mod linked_account;"],
    );
    let entity_manifest = app.read("entity/Cargo.toml");
    assert!(entity_manifest.contains("multi-account = { path = ") && !entity_manifest.contains("multi-account-actix"));
    let server_manifest = app.read("server/Cargo.toml");
    assert!(server_manifest.contains("multi-account-actix = { path = "), "{server_manifest}");
    assert!(app.read("migration/Cargo.toml").contains("multi-account = { path = "));
    let migrator = app.read("migration/src/lib.rs");
    let migration = app.read(&format!("migration/src/{}.rs", new_migration(&migrator)));
    assert!(migration.contains("LinkedAccountsMigration<entity::linked_account::Entity>"), "{migration}");
    assert!(summary.contains("entity::account::Model"), "{summary}");
    // The session middleware is bound to a name and cloned into each app.
    assert_only_inserted(
        &before.read("server/src/main.rs"),
        &app.read("server/src/main.rs"),
        &[
            "\n    let multi_account = multi_account_actix::MultiAccountConfig::new(db.clone());",
            "\n            .configure(multi_account.routes::<entity::account::Model>())",
            ".wrap(multi_account_actix::SessionToken)\n            ",
        ],
    );
}

#[test]
fn without_a_migrator_the_migration_line_names_the_entity_from_where_the_migrations_can_be() {
    // A workspace: the migrations may be in another crate than the entities.
    let app = App::fixture("workspace-entity-crate");
    std::fs::remove_dir_all(app.path("migration")).unwrap();
    let root = app.read("Cargo.toml").replace("\"entity\", \"migration\", \"server\"", "\"entity\", \"server\"");
    std::fs::write(app.path("Cargo.toml"), root).unwrap();
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    assert!(
        run.stdout.contains("LinkedAccountsMigration::<entity::linked_account::Entity>::boxed(),")
            && run.stdout.contains("(in the `entity` package itself, `crate::` in place of `entity::`"),
        "{}",
        run.stdout
    );

    // One package: the migrations are in the entities' crate.
    let entity = "use sea_orm::entity::prelude::*;\n\n#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n\
                  #[sea_orm(table_name = \"users\")]\npub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n}\n";
    let manifest = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
                    actix-web = \"4\"\nsea-orm = \"2\"\n";
    let app = App::of(&[
        ("Cargo.toml", manifest),
        ("src/main.rs", "mod entities;\nfn main() {}\n"),
        ("src/entities/mod.rs", "pub mod user;\n"),
        ("src/entities/user.rs", entity),
    ]);
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    assert!(
        run.stdout.contains("LinkedAccountsMigration::<crate::entities::linked_account::Entity>::boxed(),")
            && !run.stdout.contains("in place of"),
        "{}",
        run.stdout
    );
}

#[test]
fn no_session_middleware_is_left_to_do_with_the_code() {
    let entity = "use sea_orm::entity::prelude::*;\n\n#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n\
                  #[sea_orm(table_name = \"users\")]\npub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n}\n";
    let main = "mod user;\n\n#[actix_web::main]\nasync fn main() -> std::io::Result<()> {\n    \
                let db = sea_orm::Database::connect(\"sqlite::memory:\").await.unwrap();\n    \
                actix_web::HttpServer::new(move || actix_web::App::new().app_data(db.clone()))\n        \
                .bind((\"127.0.0.1\", 8080))?\n        .run()\n        .await\n}\n";
    let manifest = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
                    actix-web = \"4\"\nsea-orm = \"2\"\n";
    let app = App::of(&[("Cargo.toml", manifest), ("src/main.rs", main), ("src/user.rs", entity)]);
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    let after = app.read("src/main.rs");
    assert!(!after.contains("MultiAccountConfig") && !after.contains("SessionToken"), "no wiring: {after}");
    assert!(
        run.stdout.contains("Wire the server") && run.stdout.contains(".wrap(multi_account_actix::SessionToken)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_dry_run_prints_the_diff_and_writes_nothing() {
    let app = App::fixture("axum-models");
    let before = app.snapshot();
    let run = app.install(&["--dry-run"]);
    assert!(run.success, "{run:?}");
    assert_eq!(app.snapshot(), before);
    assert!(run.stdout.contains("--- a/src/models/user.rs\n+++ b/src/models/user.rs\n"), "{}", run.stdout);
    assert!(run.stdout.contains("+++ b/src/models/linked_account.rs"), "{}", run.stdout);
    assert!(run.stdout.contains("+#[multi_account("), "{}", run.stdout);
    assert!(run.stdout.contains("nothing was written"), "{}", run.stdout);
}

#[test]
fn flags_choose_the_entity_and_the_settings() {
    let app = App::fixture("axum-models");
    let run = app.install(&[
        "--user",
        "src/models/user.rs",
        "--display-fields",
        "email",
        "--active-check",
        "status=UserStatus::Suspended",
        "--auth-hash",
        "none",
    ]);
    assert!(run.success, "{run:?}");
    let user = app.read("src/models/user.rs");
    assert!(
        user.contains(
            "    display_fields(email),\n    active_check(field = status, value = UserStatus::Suspended),\n)]"
        ),
        "{user}"
    );
    assert!(!user.contains("auth_hash"), "{user}");
}

#[test]
fn a_dirty_git_tree_gets_a_warning() {
    let app = App::fixture("axum-models");
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").args(args).current_dir(app.dir.path()).output().unwrap().status;
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "."]);
    let clean = app.install(&["--dry-run"]);
    assert!(
        !clean.stderr.contains("uncommitted"),
        "untracked files count as changes, but a dry run writes nothing: {clean:?}"
    );
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    assert!(run.stderr.contains("warning: the git tree has uncommitted changes"), "{}", run.stderr);
    assert!(run.stderr.contains("review the install's 7 file(s)"), "{}", run.stderr);
}

#[test]
fn a_clean_git_tree_gets_no_warning() {
    let app = App::fixture("axum-models");
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(app.dir.path())
            .output()
            .unwrap()
            .status;
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "."]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "the app"]);
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

#[test]
fn a_migration_crate_that_cannot_see_the_entities_describes_only_what_it_can() {
    // A users table in a schema: the description would miss it, so the
    // table is left to the app, with the code.
    let app = App::fixture("actix-sea-orm-cli");
    let user = app
        .read("src/entities/user.rs")
        .replace("#[sea_orm(table_name = \"users\")]", "#[sea_orm(table_name = \"users\", schema_name = \"auth\")]");
    std::fs::write(app.path("src/entities/user.rs"), user).unwrap();
    let before = app.read("migration/src/lib.rs");
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    assert_eq!(app.read("migration/src/lib.rs"), before);
    assert!(run.stdout.contains("a `schema_name`"), "{}", run.stdout);
    assert!(
        run.stdout.contains("create_linked_accounts_table::<blog::entities::linked_account::Entity>"),
        "{}",
        run.stdout
    );

    // A linked-accounts entity written by hand with its own table name: the
    // migration creates that table.
    let app = App::fixture("actix-sea-orm-cli");
    std::fs::write(
        app.path("src/entities/linked_account.rs"),
        "#[derive(multi_account::LinkedAccount)]\n#[linked_account(user = super::user::Entity, table_name = \"account_links\")]\npub struct LinkedAccount;\n",
    )
    .unwrap();
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    let migration = app.read(&format!("migration/src/{}.rs", new_migration(&app.read("migration/src/lib.rs"))));
    assert!(
        migration.contains("LinkedAccountsTable::new(\"users\", \"id\").with_table_name(\"account_links\");"),
        "{migration}"
    );
}

/// The actix fixture with its user entity's text changed by `edit`, installed.
fn installed_with_user(edit: impl Fn(String) -> String) -> (App, crate::support::Run) {
    let app = App::fixture("actix-sea-orm-cli");
    let user = edit(app.read("src/entities/user.rs"));
    std::fs::write(app.path("src/entities/user.rs"), user).unwrap();
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    (app, run)
}

#[test]
fn the_key_column_is_the_one_sea_orm_names() {
    // `column_name`, and a snake-case field name, are the column.
    let (app, _) = installed_with_user(|user| {
        user.replace(
            "#[sea_orm(primary_key)]\n    pub id: i32,",
            "#[sea_orm(primary_key, column_name = \"user_id\")]\n    pub id: i32,",
        )
    });
    let migration = app.read(&format!("migration/src/{}.rs", new_migration(&app.read("migration/src/lib.rs"))));
    assert!(migration.contains("LinkedAccountsTable::new(\"users\", \"user_id\");"), "{migration}");
    let (app, _) = installed_with_user(|user| user.replace("pub id: i32,", "pub user_id: i32,"));
    let migration = app.read(&format!("migration/src/{}.rs", new_migration(&app.read("migration/src/lib.rs"))));
    assert!(migration.contains("LinkedAccountsTable::new(\"users\", \"user_id\");"), "{migration}");

    // Where SeaORM renames it, the table is left to the app.
    for edit in [(|user: String| user.replace("pub id: i32,", "pub ID: i32,")) as fn(String) -> String, |user| {
        user.replace(
            "#[sea_orm(table_name = \"users\")]",
            "#[sea_orm(table_name = \"users\", rename_all = \"camelCase\")]",
        )
    }] {
        let before = App::fixture("actix-sea-orm-cli").read("migration/src/lib.rs");
        let (app, run) = installed_with_user(edit);
        assert_eq!(app.read("migration/src/lib.rs"), before);
        assert!(run.stdout.contains("create_linked_accounts_table::<"), "{}", run.stdout);
    }
}

#[test]
fn a_table_migration_written_by_hand_counts_as_installed() {
    let app = App::fixture("actix-sea-orm-cli");
    let lib = app.read("migration/src/lib.rs").replace(
        "mod m20220101_000001_create_table;",
        "mod m20220101_000001_create_table;\nmod m20250101_000001_links;",
    );
    let lib = lib.replace(
        "vec![Box::new(m20220101_000001_create_table::Migration)]",
        "vec![Box::new(m20220101_000001_create_table::Migration), Box::new(m20250101_000001_links::Migration)]",
    );
    std::fs::write(app.path("migration/src/lib.rs"), &lib).unwrap();
    std::fs::write(
        app.path("migration/src/m20250101_000001_links.rs"),
        "const LINKS: multi_account::LinkedAccountsTable<i32> = multi_account::LinkedAccountsTable::new(\"users\", \"id\");\n",
    )
    .unwrap();
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    assert_eq!(app.read("migration/src/lib.rs"), lib);
    assert!(run.stdout.contains("registers the linked-accounts migration already"), "{}", run.stdout);
}

/// A one-crate actix app with `files` besides its manifest and `main.rs`.
fn actix_app(mods: &str, files: &[(&str, &str)]) -> App {
    let manifest = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
                    actix-web = \"4\"\nsea-orm = \"2\"\n";
    let main = format!("{mods}\nfn main() {{}}\n");
    let mut all = vec![("Cargo.toml", manifest), ("src/main.rs", main.as_str())];
    all.extend_from_slice(files);
    App::of(&all)
}

const PEOPLE: &str = "use sea_orm::entity::prelude::*;\n\n\
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n#[sea_orm(table_name = \"people\")]\n\
    pub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n    pub status: Status,\n}\n\n\
    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]\n\
    #[sea_orm(rs_type = \"String\", db_type = \"String(StringLen::N(8))\")]\n\
    pub enum Status {\n    #[sea_orm(string_value = \"pending\")]\n    Pending,\n    \
    #[sea_orm(string_value = \"banned\")]\n    Banned,\n}\n";

#[test]
fn the_user_entity_is_found_by_its_table_or_its_file() {
    // By the table: `member.rs` maps `users`.
    let users = PEOPLE.replace("\"people\"", "\"users\"");
    let app = actix_app("mod member;", &[("src/member.rs", &users)]);
    let run = app.install(&[]);
    assert!(run.success && app.read("src/member.rs").contains("MultiAccountUser"), "{run:?}");
    // By the file: `user.rs` maps `people`.
    let app = actix_app("mod user;", &[("src/user.rs", PEOPLE)]);
    let run = app.install(&[]);
    assert!(run.success && app.read("src/user.rs").contains("MultiAccountUser"), "{run:?}");
    // A status enum without `Active` proposes no active check.
    assert!(!app.read("src/user.rs").contains("active_check"), "{}", app.read("src/user.rs"));
}

#[test]
fn the_attribute_goes_under_the_table_and_the_derive_into_the_derive() {
    // The table attribute first, a doc comment, and a struct before `Model`.
    let user = "use sea_orm::entity::prelude::*;\n\n/// What a token claims.\npub struct Claims {\n    pub sub: i32,\n}\n\n\
                /// A user.\n#[sea_orm(table_name = \"users\")]\n#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n\
                pub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n    pub email: String,\n}\n";
    let app = actix_app("mod user;", &[("src/user.rs", user)]);
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    let after = app.read("src/user.rs");
    assert!(
        after.contains(
            "/// A user.\n#[sea_orm(table_name = \"users\")]\n#[multi_account(\n    linked_account = super::linked_account::Entity,"
        ) && after.contains("#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]"),
        "{after}"
    );
    assert!(after.contains("pub struct Claims {\n    pub sub: i32,\n}"), "{after}");
}

#[test]
fn a_user_entity_derived_by_hand_is_left_as_it_is() {
    let user = "use sea_orm::entity::prelude::*;\n\n\
                #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]\n\
                #[sea_orm(table_name = \"users\")]\npub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n}\n";
    let app = actix_app("mod user;", &[("src/user.rs", user)]);
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    assert_eq!(app.read("src/user.rs"), user);
    assert!(run.stdout.contains("MultiAccountUser is derived already"), "{}", run.stdout);
}

#[test]
fn a_server_that_holds_the_migrator_gets_each_dependency_once() {
    let entity = "use sea_orm::entity::prelude::*;\n\n#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n\
                  #[sea_orm(table_name = \"users\")]\npub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n}\n";
    let migrator = "pub struct Migrator;\n\nimpl MigratorTrait for Migrator {\n    \
                    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![]\n    }\n}\n";
    let app = App::of(&[
        ("Cargo.toml", "[workspace]\nresolver = \"3\"\nmembers = [\"entity\", \"server\"]\n"),
        (
            "entity/Cargo.toml",
            "[package]\nname = \"entity\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\nsea-orm = \"2\"\n",
        ),
        ("entity/src/lib.rs", "pub mod user;\n"),
        ("entity/src/user.rs", entity),
        (
            "server/Cargo.toml",
            "[package]\nname = \"server\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
             entity = { path = \"../entity\" }\nactix-web = \"4\"\nsea-orm-migration = \"2\"\n",
        ),
        ("server/src/main.rs", "mod migrator;\nfn main() {}\n"),
        ("server/src/migrator.rs", migrator),
    ]);
    let run = app.install(&[]);
    assert!(run.success, "{run:?}");
    let server = app.read("server/Cargo.toml");
    assert_eq!(server.matches("multi-account = ").count(), 1, "{server}");
    assert_eq!(server.matches("multi-account-actix = ").count(), 1, "{server}");
    // The migrator names the entity through the entity crate.
    let module = new_migration(&app.read("server/src/migrator.rs"));
    let migration = app.read(&format!("server/src/migrator/{module}.rs"));
    assert!(migration.contains("LinkedAccountsMigration<entity::linked_account::Entity>"), "{migration}");
}
