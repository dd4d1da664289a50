//! End to end in a real browser: headless Chromium, driven through chromedriver
//! (WebDriver), uses the demo app the way a person would.
//!
//! Flow: sign in as alice → "Add another account" → sign in as bob → the link
//! completes (auto-submitting form; without JavaScript, the "Link account"
//! button) → both accounts in the switcher → switch to alice → remove bob →
//! sign out of all accounts. Run four times: the demo on actix-web and on axum,
//! each with JavaScript and with JavaScript disabled. Every step leaves a
//! screenshot in `target/e2e/<run>-<nn>-<step>.png`.
//!
//! Uses `/usr/bin/chromedriver` and `/usr/bin/chromium` (override with
//! `CHROMEDRIVER` and `CHROME`); never downloads a driver. Without chromedriver
//! the test prints "e2e browser test skipped: chromedriver not found" and passes,
//! unless `MULTI_ACCOUNT_E2E_REQUIRED=1` (CI), where it fails.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a test reports what it did

use std::error::Error;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use multi_account_demo::{Framework, Settings};
use serde_json::{Map, json};

type StepResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

/// How long a step waits for the page to get where it should.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_switching_in_a_real_browser() {
    let Some(tools) = BrowserTools::find() else {
        if std::env::var("MULTI_ACCOUNT_E2E_REQUIRED").is_ok_and(|value| value == "1") {
            panic!("e2e browser test: chromedriver not found, but MULTI_ACCOUNT_E2E_REQUIRED=1");
        }
        println!("e2e browser test skipped: chromedriver not found");
        return;
    };
    let driver = ChromeDriver::start(&tools.chromedriver);
    let screenshots = screenshot_dir();
    println!("e2e browser test: {} and {}", tools.chromedriver.display(), tools.chrome.display());
    println!("e2e browser test: screenshots in {}", screenshots.display());

    let runs = [
        (Framework::Actix, true, "actix-js"),
        (Framework::Actix, false, "actix-nojs"),
        (Framework::Axum, true, "axum-js"),
        (Framework::Axum, false, "axum-nojs"),
    ];
    for (framework, javascript, name) in runs {
        let demo = Demo::start(framework).await;
        let profile = tempfile::tempdir().expect("a temporary Chrome profile");
        let client = connect(&driver, &tools.chrome, profile.path(), javascript).await;
        let mut run = Run { name, client, base: format!("http://{}", demo.addr), step: 0, dir: screenshots.clone() };
        let outcome = flow(&mut run, javascript).await;
        if let Err(error) = run.client.clone().close().await {
            eprintln!("e2e {name}: closing the browser failed: {error}");
        }
        demo.stop().await;
        if let Err(failure) = outcome {
            panic!("{failure}");
        }
        println!("e2e browser test: run {name:?} passed ({} steps)", run.step);
    }
}

/// Runs one step: its body (an async block returning [`StepResult`]), then
/// [`Run::finish`], which screenshots it and names it in a failure.
macro_rules! step {
    ($run:expr, $name:literal, $body:block) => {{
        let body = async || -> StepResult { $body };
        let result = body().await;
        $run.finish($name, result).await?;
    }};
}

/// The whole user journey. Each step waits for its outcome, then screenshots.
async fn flow(run: &mut Run, javascript: bool) -> Result<(), String> {
    let c = run.client.clone();
    let home = format!("{}/", run.base);

    step!(run, "home-signed-out", {
        c.goto(&home).await?;
        wait_for(&c, "#sign-in-link").await?;
        Ok(())
    });
    step!(run, "sign-in-page", {
        wait_for(&c, "#sign-in-link").await?.click().await?;
        wait_for(&c, "#sign-in-form").await?;
        Ok(())
    });
    step!(run, "signed-in-as-alice", {
        fill_sign_in(&c, "alice@example.com", "password").await?;
        wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await?;
        expect_count(&c, ".account", 1).await
    });
    step!(run, "add-account", {
        expect_count(&c, "form[method=post] button#add-account", 1).await?;
        wait_for(&c, "#add-account").await?.click().await?;
        wait_for(&c, "#sign-in-form").await?;
        wait_for_text(&c, "h1", "Add another account").await
    });
    step!(run, "bob-credentials", {
        wait_for(&c, "#email").await?.send_keys("bob@example.com").await?;
        c.find(Locator::Css("#password")).await?.send_keys("password").await?;
        Ok(())
    });
    if javascript {
        // The sign-in lands on the auto-submitting link page, which posts itself.
        step!(run, "linked-by-auto-submit", {
            c.find(Locator::Css("#sign-in-form button[type=submit]")).await?.click().await?;
            wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await
        });
    } else {
        step!(run, "link-page-without-javascript", {
            c.find(Locator::Css("#sign-in-form button[type=submit]")).await?.click().await?;
            let button = wait_for(&c, "#link-account").await?;
            let text = button.text().await?;
            if text.trim() != "Link account" {
                return Err(format!("the noscript button says {text:?}").into());
            }
            if !button.is_displayed().await? {
                return Err("the noscript \"Link account\" button is not shown".into());
            }
            Ok(())
        });
        step!(run, "linked-by-button", {
            c.find(Locator::Css("#link-account")).await?.click().await?;
            wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await
        });
    }
    step!(run, "two-accounts", {
        expect_count(&c, ".account", 2).await?;
        expect_text(&c, ".account.current", "bob@example.com").await?;
        expect_text(&c, ".account.primary", "alice@example.com").await?;
        expect_text(&c, ".account.primary .badge-primary", "Primary").await?;
        expect_count(&c, ".account form[method=post] button.switch", 1).await?;
        expect_count(&c, ".account a.switch", 0).await?;
        expect_count(&c, ".account button.remove", 1).await
    });
    step!(run, "switched-to-alice", {
        c.find(Locator::Css(r#".account[data-email="alice@example.com"] button.switch"#)).await?.click().await?;
        wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await?;
        expect_text(&c, ".account.current", "alice@example.com").await?;
        expect_count(&c, ".account", 2).await
    });
    step!(run, "removed-bob", {
        c.find(Locator::Css(r#".account[data-email="bob@example.com"] button.remove"#)).await?.click().await?;
        wait_until(&c, "only alice in the switcher", async || Ok(count(&c, ".account").await? == 1)).await?;
        wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await?;
        expect_text(&c, ".account", "alice@example.com").await
    });
    step!(run, "signed-out-of-all", {
        wait_for(&c, "#sign-out-all").await?.click().await?;
        wait_for(&c, "#sign-in-link").await?;
        expect_count(&c, "#current-account", 0).await
    });
    Ok(())
}

/// One browser session going through [`flow`].
struct Run {
    name: &'static str,
    client: Client,
    base: String,
    step: u32,
    dir: PathBuf,
}

impl Run {
    /// Screenshots the step; on failure, returns a message naming the step, the
    /// page it was on and the start of that page's text.
    async fn finish(&mut self, step: &str, result: StepResult) -> Result<(), String> {
        self.step += 1;
        let failed = result.is_err();
        let file =
            self.dir.join(format!("{}-{:02}-{step}{}.png", self.name, self.step, if failed { "-FAILED" } else { "" }));
        match self.client.screenshot().await {
            Ok(png) => {
                if let Err(error) = std::fs::write(&file, png) {
                    eprintln!("e2e {}: could not write {}: {error}", self.name, file.display());
                }
            }
            Err(error) => eprintln!("e2e {}: screenshot of step {step:?} failed: {error}", self.name),
        }
        let Err(error) = result else { return Ok(()) };
        let url = self.client.current_url().await.map(|url| url.to_string()).unwrap_or_else(|e| format!("? ({e})"));
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let text: String = text.chars().take(600).collect();
        Err(format!(
            "e2e browser test, run {:?}, step {} {step:?} failed: {error}\n  at {url}\n  screenshot {}\n  page text: {text}",
            self.name,
            self.step,
            file.display()
        ))
    }
}

async fn fill_sign_in(c: &Client, email: &str, password: &str) -> StepResult {
    wait_for(c, "#email").await?.send_keys(email).await?;
    c.find(Locator::Css("#password")).await?.send_keys(password).await?;
    c.find(Locator::Css("#sign-in-form button[type=submit]")).await?.click().await?;
    Ok(())
}

/// The first element matching `css`, waiting for it to appear.
async fn wait_for(c: &Client, css: &str) -> StepResult<Element> {
    c.wait()
        .at_most(STEP_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|error| format!("no element {css:?} within {STEP_TIMEOUT:?}: {error}").into())
}

/// Polls `check` until it is true.
async fn wait_until(c: &Client, what: &str, check: impl AsyncFn() -> StepResult<bool>) -> StepResult {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            let url = c.current_url().await?;
            return Err(format!("timed out waiting for {what} (at {url})").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the first element matching `css` contains `text`.
async fn wait_for_text(c: &Client, css: &str, text: &str) -> StepResult {
    let mut last = String::new();
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Ok(element) = c.find(Locator::Css(css)).await {
            // The page may be replaced between find and text: retry then.
            if let Ok(seen) = element.text().await {
                if seen.contains(text) {
                    return Ok(());
                }
                last = seen;
            }
        }
        if Instant::now() > deadline {
            return Err(format!("{css:?} does not say {text:?} within {STEP_TIMEOUT:?} (last seen {last:?})").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(c: &Client, css: &str) -> StepResult<usize> {
    Ok(c.find_all(Locator::Css(css)).await?.len())
}

async fn expect_count(c: &Client, css: &str, expected: usize) -> StepResult {
    let found = count(c, css).await?;
    if found != expected {
        return Err(format!("expected {expected} × {css:?}, found {found}").into());
    }
    Ok(())
}

/// The first element matching `css` contains `text`, ignoring case (CSS may
/// transform it, and WebDriver reports the rendered text).
async fn expect_text(c: &Client, css: &str, text: &str) -> StepResult {
    let seen = c.find(Locator::Css(css)).await?.text().await?;
    if !seen.to_lowercase().contains(&text.to_lowercase()) {
        return Err(format!("{css:?} says {seen:?}, expected it to contain {text:?}").into());
    }
    Ok(())
}

/// chromedriver and Chromium, from `CHROMEDRIVER` / `CHROME` or `/usr/bin`.
struct BrowserTools {
    chromedriver: PathBuf,
    chrome: PathBuf,
}

impl BrowserTools {
    fn find() -> Option<Self> {
        let chromedriver = from_env_or("CHROMEDRIVER", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])?;
        let chrome =
            from_env_or("CHROME", &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])
                .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        Some(Self { chromedriver, chrome })
    }
}

fn from_env_or(var: &str, defaults: &[&str]) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|value| !value.is_empty()) {
        Some(path) => Some(PathBuf::from(path)).filter(|path| path.is_file()),
        None => defaults.iter().map(PathBuf::from).find(|path| path.is_file()),
    }
}

/// A chromedriver process on a free loopback port, killed on drop.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    fn start(binary: &Path) -> Self {
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {}: {error}", binary.display()));
        let mut driver = Self { child, url: format!("http://127.0.0.1:{port}") };
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A new Chrome session: headless, a fresh profile, JavaScript on or off.
async fn connect(driver: &ChromeDriver, chrome: &Path, profile: &Path, javascript: bool) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--password-store=basic",
        "--window-size=1000,900",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut prefs = Map::new();
    prefs.insert("credentials_enable_service".into(), json!(false));
    prefs.insert("profile.password_manager_enabled".into(), json!(false));
    if !javascript {
        prefs.insert("profile.managed_default_content_settings.javascript".into(), json!(2));
    }
    let mut capabilities = Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chrome.display().to_string(), "args": args, "prefs": prefs }),
    );
    let mut last_error = None;
    // chromedriver may take a moment after it starts listening.
    for _ in 0..3 {
        match ClientBuilder::new(HttpConnector::new()).capabilities(capabilities.clone()).connect(&driver.url).await {
            Ok(client) => return client,
            Err(error) => last_error = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!(
        "could not start a Chrome session through chromedriver: {}",
        last_error.map(|e| e.to_string()).unwrap_or_default()
    );
}

/// The demo app, in-process on a free port with a fresh SQLite file.
struct Demo {
    addr: SocketAddr,
    handle: multi_account_demo::ServerHandle,
    _dir: tempfile::TempDir,
}

impl Demo {
    async fn start(framework: Framework) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let settings = Settings { framework, ..Settings::for_test(&dir.path().join("demo.sqlite")) };
        let server = multi_account_demo::start(settings).await.expect("the demo starts");
        let (addr, handle) = (server.addr(), server.handle());
        tokio::spawn(server);
        Self { addr, handle, _dir: dir }
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// `target/e2e` under `CARGO_TARGET_DIR` or the workspace's `target/`, created.
fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf();
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|value| !value.is_empty()) {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("could not create {}: {error}", dir.display()));
    dir
}
