//! Each fixture app, installed and with the printed steps followed as their
//! reader would, builds and works: sign in, add a second account, switch, over
//! HTTP against the running app. Ignored by default (minutes, the first time);
//! CI runs it with `--ignored`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::{Browser, decode};
use crate::support::{App, repository};

/// A fixture, the file its server is in, its binary and its sign-in field.
struct Fixture {
    name: &'static str,
    server: &'static str,
    binary: &'static str,
    login: &'static str,
}

const FIXTURES: [Fixture; 3] = [
    Fixture { name: "actix-sea-orm-cli", server: "src/main.rs", binary: "blog", login: "email" },
    Fixture { name: "axum-models", server: "src/main.rs", binary: "shop", login: "email" },
    Fixture { name: "workspace-entity-crate", server: "server/src/main.rs", binary: "server", login: "username" },
];

#[test]
#[ignore = "builds and runs three apps (minutes); CI runs it with --ignored"]
fn installed_apps_sign_in_add_an_account_and_switch() {
    for fixture in &FIXTURES {
        let app = App::fixture(fixture.name);
        let run = app.install(&[]);
        assert!(run.success, "{}: {run:?}", fixture.name);
        follow_the_printed_steps(&app, fixture, &run.stdout);
        let edited = app.snapshot();
        let again = app.install(&[]);
        assert!(again.success && again.stdout.contains("nothing to change"), "{}: {again:?}", fixture.name);
        assert_eq!(app.snapshot(), edited, "{}: a second install changes nothing", fixture.name);

        let binary = build(&app, fixture);
        let server = Server::start(&binary, app.dir.path());
        sign_in_add_and_switch(server.addr, fixture);
        eprintln!("{}: installed, built, signed in, added an account and switched over HTTP", fixture.name);
    }
}

/// Does what the summary's "Left for you to do" says, with its code: the
/// sign-in call instead of the app's own session write, and the switcher
/// handler with its route.
fn follow_the_printed_steps(app: &App, fixture: &Fixture, summary: &str) {
    let steps = summary.split("Left for you to do:").nth(1).unwrap_or_else(|| panic!("no steps: {summary}"));
    let code: Vec<&str> = steps.lines().filter_map(|line| line.strip_prefix("    ")).collect();
    let sign_in = code.iter().find(|line| line.contains(".sign_in(&session, &user)")).expect("the sign-in call");
    let parameter = code.iter().find(|line| line.ends_with("MultiAccountConfig>,")).expect("the config parameter");
    let handler_start = code.iter().position(|line| line.starts_with("async fn accounts(")).expect("the handler");
    let handler_end = handler_start + code[handler_start..].iter().position(|line| *line == "}").expect("its end");
    let handler = code[handler_start..=handler_end].join("\n");
    let route = code.iter().find(|line| line.starts_with(".route(\"/accounts\"")).expect("the route");

    let path = app.path(fixture.server);
    let mut text = app.read(fixture.server);
    let write = text.lines().find(|line| line.contains("session.insert(\"user_id\"")).expect("the app's session write");
    let indent = &write[..write.len() - write.trim_start().len()];
    text = text.replacen(write, &format!("{indent}{sign_in}"), 1);
    let sign_in_fn = text.find("async fn sign_in(").expect("the app's sign-in handler");
    let session = sign_in_fn + text[sign_in_fn..].find("session: Session,").expect("its session parameter");
    text.insert_str(session, &format!("{parameter}\n    "));
    let chain = if text.contains("App::new()") { "App::new()" } else { "Router::new()" };
    text = text.replacen(chain, &format!("{chain}{route}"), 1);
    text.push('\n');
    text.push_str(&handler);
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// Builds the app; returns its binary.
fn build(app: &App, fixture: &Fixture) -> std::path::PathBuf {
    // The workspace's versions, so the apps build what CI has built before.
    std::fs::copy(repository().join("Cargo.lock"), app.path("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Their own target directory, kept between runs: the workspace's is
    // locked by the `cargo test` running this.
    let target = repository().join("target/installed-apps");
    let output = Command::new(cargo)
        .args(["build", "--color", "never"])
        .current_dir(app.dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{} does not build after the install:\n{stderr}", fixture.name);
    assert!(!stderr.contains("linked_account.rs"), "{}: the generated code warns:\n{stderr}", fixture.name);
    assert!(
        !stderr.contains("create_linked_accounts.rs"),
        "{}: the generated migration warns:\n{stderr}",
        fixture.name
    );
    target.join("debug").join(fixture.binary)
}

/// The running app, stopped when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(binary: &Path, dir: &Path) -> Self {
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let child = Command::new(binary)
            .env("ADDR", addr.to_string())
            .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.join("app.sqlite").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut server = Self { child, addr };
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(server.child.try_wait().unwrap().is_none(), "{} exited", binary.display());
            assert!(started.elapsed() < Duration::from_secs(30), "{} does not listen", binary.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whom the switcher lists, and who of them is current.
fn listed(accounts: &serde_json::Value) -> Vec<(String, bool)> {
    accounts["accounts"]
        .as_array()
        .unwrap_or_else(|| panic!("{accounts}"))
        .iter()
        .map(|account| (account["user"].to_string(), account["current"] == true))
        .collect()
}

/// The switcher the app's `/accounts` handler answers with.
fn switcher(browser: &mut Browser) -> serde_json::Value {
    let response = browser.get("/accounts");
    assert_eq!(response.status, 200, "{response:?}");
    response.json()
}

fn post(browser: &mut Browser, form: &serde_json::Value) -> crate::http::Response {
    let field = form["csrf_field"].as_str().unwrap_or_else(|| panic!("a form: {form}"));
    let token = form["csrf_token"].as_str().unwrap();
    browser.post_form(form["action"].as_str().unwrap(), &[(field, token)])
}

fn sign_in_add_and_switch(addr: SocketAddr, fixture: &Fixture) {
    let name = fixture.name;
    let (alice, bob) = match fixture.login {
        "email" => ("alice@example.com", "bob@example.com"),
        _ => ("alice", "bob"),
    };
    let mut browser = Browser::new(addr);
    for who in [alice, bob] {
        let signed_up = browser.post_form("/sign-up", &[(fixture.login, who), ("password", &format!("{who}-secret"))]);
        assert_eq!(signed_up.status, 201, "{name}: {signed_up:?}");
    }
    let wrong = browser.post_form("/sign-in", &[(fixture.login, alice), ("password", "wrong")]);
    assert_eq!(wrong.status, 401, "{name}: {wrong:?}");
    let signed_out = switcher(&mut browser);
    assert!(listed(&signed_out).is_empty() && signed_out["add_account_form"].is_null(), "{name}: {signed_out}");

    // Alice signs in with the app's own handler, now calling multi-account.
    let password = format!("{alice}-secret");
    let signed_in = browser.post_form("/sign-in", &[(fixture.login, alice), ("password", &password)]);
    assert_eq!(signed_in.status, 303, "{name}: {signed_in:?}");
    let accounts = switcher(&mut browser);
    let listed_now = listed(&accounts);
    assert!(listed_now.len() == 1 && listed_now[0].0.contains(alice) && listed_now[0].1, "{name}: {accounts}");

    // "Add another account" sends her to sign in, coming back to the link.
    let started = post(&mut browser, &accounts["add_account_form"]);
    assert_eq!(started.status, 303, "{name}: {started:?}");
    let sign_in_page = started.location.unwrap();
    let return_to =
        decode(sign_in_page.strip_prefix("/sign-in?return_to=").unwrap_or_else(|| panic!("{sign_in_page}")));
    let password = format!("{bob}-secret");
    let bob_signed_in = browser.post_form("/sign-in", &[(fixture.login, bob), ("password", &password)]);
    assert_eq!(bob_signed_in.status, 303, "{name}: {bob_signed_in:?}");
    let link_page = browser.get(&return_to);
    assert_eq!(link_page.status, 200, "{name}: {link_page:?}");
    let marker = "name=\"csrf_token\" value=\"";
    let token_at = link_page.body.find(marker).unwrap_or_else(|| panic!("{name}: {}", link_page.body)) + marker.len();
    let token = &link_page.body[token_at..token_at + link_page.body[token_at..].find('"').unwrap()];
    let linked = browser.post_form(&return_to, &[("csrf_token", token)]);
    assert_eq!(linked.status, 303, "{name}: {linked:?}");

    // Both are signed in, Bob acting; switching back to Alice needs no password.
    let accounts = switcher(&mut browser);
    let both = listed(&accounts);
    assert_eq!(both.len(), 2, "{name}: {accounts}");
    assert!(both[0].0.contains(alice) && !both[0].1, "{name}: {accounts}");
    assert!(both[1].0.contains(bob) && both[1].1, "{name}: {accounts}");
    let switched = post(&mut browser, &accounts["accounts"][0]["switch_form"]);
    assert_eq!(switched.status, 303, "{name}: {switched:?}");
    let accounts = switcher(&mut browser);
    let both = listed(&accounts);
    assert!(both.len() == 2 && both[0].1 && !both[1].1, "{name}: Alice is current again: {accounts}");

    // A second browser shares nothing of it.
    let other = switcher(&mut Browser::new(addr));
    assert!(listed(&other).is_empty(), "{name}: {other}");
}
