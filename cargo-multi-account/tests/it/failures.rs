//! What the installer refuses: nothing is written, the exit code says so, and
//! the message names the file and what was expected.

use crate::support::{App, Run};

const MANIFEST: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\nactix-web = \"4\"\nsea-orm = \"2\"\n";

fn entity(table: &str) -> String {
    format!(
        "use sea_orm::entity::prelude::*;\n\n#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n\
         #[sea_orm(table_name = \"{table}\")]\npub struct Model {{\n    #[sea_orm(primary_key)]\n    pub id: i32,\n}}\n"
    )
}

fn refused(app: &App, args: &[&str]) -> Run {
    let before = app.snapshot();
    let run = app.install(args);
    assert!(!run.success, "{run:?}");
    assert_eq!(app.snapshot(), before, "nothing was written");
    run
}

#[test]
fn no_user_entity() {
    let posts = entity("posts");
    let app =
        App::of(&[("Cargo.toml", MANIFEST), ("src/main.rs", "mod post;\nfn main() {}\n"), ("src/post.rs", &posts)]);
    let run = refused(&app, &[]);
    assert!(run.stderr.contains("found no user entity"), "{}", run.stderr);
    assert!(run.stderr.contains("src/post.rs (table posts)"), "it lists what it saw: {}", run.stderr);
}

#[test]
fn two_candidates() {
    let (users, accounts) = (entity("users"), entity("accounts"));
    let app = App::of(&[
        ("Cargo.toml", MANIFEST),
        ("src/main.rs", "mod account;\nmod user;\nfn main() {}\n"),
        ("src/user.rs", &users),
        ("src/account.rs", &accounts),
    ]);
    let run = refused(&app, &[]);
    assert!(run.stderr.contains("several entities"), "{}", run.stderr);
    assert!(run.stderr.contains("src/user.rs (table users)") && run.stderr.contains("src/account.rs (table accounts)"));
    // Named, it goes ahead.
    assert!(app.install(&["--user", "src/user.rs"]).success);
}

#[test]
fn an_unparsable_entity_file() {
    let app = App::of(&[
        ("Cargo.toml", MANIFEST),
        ("src/main.rs", "mod user;\nfn main() {}\n"),
        ("src/user.rs", "#[derive(DeriveEntityModel)]\npub struct Model {\n    pub id: i32,\n"),
    ]);
    let run = refused(&app, &[]);
    assert!(run.stderr.contains("src/user.rs: not valid Rust"), "{}", run.stderr);
}

#[test]
fn no_framework_no_manifest_and_an_undeclared_module() {
    let users = entity("users");
    let no_framework =
        App::of(&[("Cargo.toml", "[package]\nname = \"x\"\nversion = \"0.1.0\"\n"), ("src/user.rs", &users)]);
    assert!(refused(&no_framework, &[]).stderr.contains("neither actix-web nor axum"));
    let empty = App::of(&[("README", "")]);
    assert!(refused(&empty, &[]).stderr.contains("no Cargo.toml"));
    let undeclared = App::of(&[("Cargo.toml", MANIFEST), ("src/main.rs", "fn main() {}\n"), ("src/user.rs", &users)]);
    let run = refused(&undeclared, &[]);
    assert!(run.stderr.contains("expected a `mod user;`"), "{}", run.stderr);
    let bad =
        App::of(&[("Cargo.toml", MANIFEST), ("src/main.rs", "mod user;\nfn main() {}\n"), ("src/user.rs", &users)]);
    assert!(refused(&bad, &["--user", "src/main.rs"]).stderr.contains("expected a SeaORM entity"));
    assert!(refused(&bad, &["--frobnicate"]).stderr.contains("unknown argument"));
}

#[test]
fn a_linked_account_file_that_holds_something_else() {
    let users = entity("users");
    let app = App::of(&[
        ("Cargo.toml", MANIFEST),
        ("src/main.rs", "mod user;\nfn main() {}\n"),
        ("src/user.rs", &users),
        ("src/linked_account.rs", "// the links of a social network\npub struct Link;\n"),
    ]);
    let run = refused(&app, &[]);
    assert!(
        run.stderr.contains("src/linked_account.rs") && run.stderr.contains("it holds something else"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_migrator_that_returns_no_vec() {
    let users = entity("users");
    let migrator = |body: &str| {
        format!(
            "pub struct Migrator;\n\nimpl MigratorTrait for Migrator {{\n    \
             fn migration_table_name() -> DynIden {{\n        \"migrations\".into_iden()\n    }}\n\n    \
             fn migrations() -> Vec<Box<dyn MigrationTrait>> {{\n        {body}\n    }}\n}}\n"
        )
    };
    let app = |body: &str| {
        App::of(&[
            ("Cargo.toml", MANIFEST),
            ("src/main.rs", "mod migrator;\nmod user;\nfn main() {}\n"),
            ("src/user.rs", &users),
            ("src/migrator.rs", &migrator(body)),
        ])
    };
    let run = refused(&app("all_migrations!()"), &[]);
    assert!(
        run.stderr.contains("src/migrator.rs")
            && run.stderr.contains("expected `fn migrations()` to return `vec![..]`"),
        "{}",
        run.stderr
    );
    // `fn migrations()` after another function, its `vec![..]` found.
    let ok = app("vec![]");
    let run = ok.install(&[]);
    assert!(run.success, "{run:?}");
    let migrator = ok.read("src/migrator.rs");
    assert!(migrator.contains("vec![Box::new(m"), "{migrator}");
    assert!(migrator.starts_with("mod m"), "{migrator}");
    // `src/migrator.rs`'s modules live in `src/migrator/`.
    let module = migrator.lines().next().unwrap().trim_start_matches("mod ").trim_end_matches(';');
    assert!(ok.path(&format!("src/migrator/{module}.rs")).exists(), "{migrator}");
}
