//! Each fixture app, installed, builds (`cargo check`): the code the
//! installer writes compiles against this repository's crates. Ignored by
//! default (minutes, the first time); CI runs it with `--ignored`.

use std::process::Command;

use crate::support::{App, repository};

#[test]
#[ignore = "builds three apps (minutes); CI runs it with --ignored"]
fn installed_apps_build() {
    for fixture in ["actix-sea-orm-cli", "axum-models", "workspace-entity-crate"] {
        let app = App::fixture(fixture);
        let run = app.install(&[]);
        assert!(run.success, "{fixture}: {run:?}");
        // The workspace's versions, so the apps build what CI has built before.
        std::fs::copy(repository().join("Cargo.lock"), app.path("Cargo.lock")).unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        // Their own target directory, kept between runs: the workspace's is
        // locked by the `cargo test` running this.
        let output = Command::new(cargo)
            .args(["check", "--color", "never"])
            .current_dir(app.dir.path())
            .env("CARGO_TARGET_DIR", repository().join("target/installed-apps"))
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{fixture} does not build after the install:\n{stderr}");
        assert!(!stderr.contains("linked_account.rs"), "{fixture}: the generated code warns:\n{stderr}");
    }
}
