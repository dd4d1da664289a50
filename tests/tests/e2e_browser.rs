//! End to end in a real browser: headless Chromium, driven through chromedriver
//! (WebDriver), uses the demo app the way a person would.
//!
//! Flow: sign in as alice → "Add another account" → sign in as bob → the link
//! completes (auto-submitting form; without JavaScript, the "Link account"
//! button) → both accounts in the switcher → switch to alice → remove bob →
//! sign out of all accounts → alice and bob listed "Signed out" (remembered
//! accounts) → bob's "Sign in again" (a link): the sign-in form with his email
//! filled in → sign in as bob → alice's "Sign in again" in his switcher (a
//! form: "Add another account" with her email filled in) → sign in as alice →
//! both in one group again, nobody listed signed out → remove alice →
//! "Forget" her, gone after a reload too → "Sign out and forget accounts on this
//! computer" lists nobody. Run four times: the demo on actix-web and on axum,
//! each with JavaScript and with JavaScript disabled. Every step leaves a
//! screenshot in `target/e2e/<run>-<nn>-<step>.png`.
//!
//! A second test adds accounts through OpenID Connect: the test provider
//! (`examples/demo/tests/oidc-provider`, `oidc-provider` from npm, run with
//! Node) next to the demo, both on 127.0.0.1. Flow: sign in as alice with a
//! password → "Add another account" → bob's email, "Continue with Test ID" →
//! the provider's login page (asked for `prompt=login`, `login_hint` bob) →
//! back at the demo the link completes → switch to alice → add carol the same
//! way, which first ends bob's session at the provider (its sign-out
//! confirmation submits itself; without JavaScript, its button is clicked) →
//! three accounts → sign out of all. Same four runs (`oidc-actix-js`, …).
//! Without Node or the provider's `node_modules` it prints "OIDC browser run
//! skipped" and passes, unless `MULTI_ACCOUNT_E2E_REQUIRED=1`; when it runs it
//! prints "ran on oidc-provider". The provider's log goes to
//! `target/e2e/oidc-provider.log`.
//!
//! A third test drives the single-page version of the demo (`/spa`: one page
//! whose script uses only `fetch`, against the JSON API and the demo's JSON
//! sign-in), on actix-web and on axum (`spa-actix`, `spa-axum`): a wrong
//! password (its message shown) → sign in as alice → "Add another account" →
//! sign in as bob, which completes the link → switch to alice → switch to bob
//! → remove bob → sign out of all accounts (alice and bob listed signed out;
//! alice's "Sign in again" fills in the form) → sign in as carol → bob's "Sign
//! in again" adds him → "Forget" alice → "Sign out and forget accounts on this
//! computer". After each step it also asks `GET /link/api/accounts` from the
//! page, so the server's view, not only the page's, is checked.
//!
//! Uses `/usr/bin/chromedriver` and `/usr/bin/chromium` (override with
//! `CHROMEDRIVER` and `CHROME`); never downloads a driver. Without chromedriver
//! the test prints "e2e browser test skipped: chromedriver not found" and passes,
//! unless `MULTI_ACCOUNT_E2E_REQUIRED=1` (CI), where it fails.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a test reports what it did

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use multi_account_demo::oidc::{AddAccountPrompt, OidcSettings};
use multi_account_demo::{Framework, Settings};
use serde_json::{Map, Value, json};

type StepResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

/// How long a step waits for the page to get where it should.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// One browser test at a time: the tests of this file run in parallel
/// otherwise, two Chromiums on a small machine make every wait slower.
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn e2e_required() -> bool {
    std::env::var("MULTI_ACCOUNT_E2E_REQUIRED").is_ok_and(|value| value == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_switching_in_a_real_browser() {
    let Some(tools) = BrowserTools::find() else {
        if e2e_required() {
            panic!("e2e browser test: chromedriver not found, but MULTI_ACCOUNT_E2E_REQUIRED=1");
        }
        println!("e2e browser test skipped: chromedriver not found");
        return;
    };
    let _one = ONE_BROWSER_AT_A_TIME.lock().await;
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
        let demo = Demo::start(framework, None).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_account_through_openid_connect_in_a_real_browser() {
    let Some(tools) = BrowserTools::find() else {
        if e2e_required() {
            panic!("e2e browser test: chromedriver not found, but MULTI_ACCOUNT_E2E_REQUIRED=1");
        }
        println!("e2e browser test skipped: chromedriver not found (OIDC browser run skipped)");
        return;
    };
    let node = match OidcProvider::find() {
        Ok(node) => node,
        Err(reason) => {
            if e2e_required() {
                panic!("e2e browser test: OIDC browser run: {reason}, but MULTI_ACCOUNT_E2E_REQUIRED=1");
            }
            println!("e2e browser test: OIDC browser run skipped: {reason}");
            return;
        }
    };
    let _one = ONE_BROWSER_AT_A_TIME.lock().await;
    let screenshots = screenshot_dir();
    let provider = OidcProvider::start(&node, &screenshots.join("oidc-provider.log"));
    println!("ran on oidc-provider");
    println!("e2e browser test: OIDC provider at {}", provider.issuer);
    let driver = ChromeDriver::start(&tools.chromedriver);

    let started = Instant::now();
    let runs = [
        (Framework::Actix, true, "oidc-actix-js"),
        (Framework::Actix, false, "oidc-actix-nojs"),
        (Framework::Axum, true, "oidc-axum-js"),
        (Framework::Axum, false, "oidc-axum-nojs"),
    ];
    for (framework, javascript, name) in runs {
        let run_started = Instant::now();
        let demo = Demo::start(framework, Some(provider.settings())).await;
        let profile = tempfile::tempdir().expect("a temporary Chrome profile");
        let client = connect(&driver, &tools.chrome, profile.path(), javascript).await;
        let mut run = Run { name, client, base: format!("http://{}", demo.addr), step: 0, dir: screenshots.clone() };
        let outcome = oidc_flow(&mut run, javascript, &provider.issuer, demo.addr.port()).await;
        if let Err(error) = run.client.clone().close().await {
            eprintln!("e2e {name}: closing the browser failed: {error}");
        }
        demo.stop().await;
        if let Err(failure) = outcome {
            panic!("{failure}\n  provider log: {}", screenshots.join("oidc-provider.log").display());
        }
        println!(
            "e2e browser test: run {name:?} passed ({} steps, {:.1} s)",
            run.step,
            run_started.elapsed().as_secs_f64()
        );
    }
    println!("e2e browser test: OIDC runs took {:.1} s", started.elapsed().as_secs_f64());
    provider.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_page_app_in_a_real_browser() {
    let Some(tools) = BrowserTools::find() else {
        if e2e_required() {
            panic!("e2e browser test: chromedriver not found, but MULTI_ACCOUNT_E2E_REQUIRED=1");
        }
        println!("e2e browser test skipped: chromedriver not found (single-page app run skipped)");
        return;
    };
    let _one = ONE_BROWSER_AT_A_TIME.lock().await;
    let driver = ChromeDriver::start(&tools.chromedriver);
    let screenshots = screenshot_dir();
    for (framework, name) in [(Framework::Actix, "spa-actix"), (Framework::Axum, "spa-axum")] {
        let demo = Demo::start(framework, None).await;
        let profile = tempfile::tempdir().expect("a temporary Chrome profile");
        let client = connect(&driver, &tools.chrome, profile.path(), true).await;
        let mut run = Run { name, client, base: format!("http://{}", demo.addr), step: 0, dir: screenshots.clone() };
        let outcome = spa_flow(&mut run).await;
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
    // A different account in each tab: "Open in new tab" puts alice in a tab
    // of her own (`/u/0/`) while this one stays bob.
    let bobs_tab = c.window().await.map_err(|error| error.to_string())?;
    step!(run, "alice-in-a-new-tab", {
        let link = c.find(Locator::Css(r#".account[data-email="alice@example.com"] a.open-tab"#)).await?;
        if link.attr("target").await?.as_deref() != Some("_blank") {
            return Err("\"Open in new tab\" does not open a new tab".into());
        }
        let before = c.windows().await?;
        link.click().await?;
        wait_until(&c, "a second tab", async || Ok(c.windows().await?.len() == before.len() + 1)).await?;
        let tab = c.windows().await?.into_iter().find(|handle| !before.contains(handle)).ok_or("no new tab")?;
        c.switch_to_window(tab).await?;
        wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await?;
        wait_for(&c, "#tab-note").await?;
        let url = c.current_url().await?;
        if url.path() != "/u/0/" {
            return Err(format!("alice's tab is at {url}, not /u/0/").into());
        }
        Ok(())
    });
    step!(run, "each-tab-its-own", {
        // The first tab, reloaded, is still bob's; alice's tab is still hers.
        let alices_tab = c.window().await?;
        c.switch_to_window(bobs_tab.clone()).await?;
        c.refresh().await?;
        wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await?;
        expect_count(&c, "#tab-note", 0).await?;
        c.switch_to_window(alices_tab).await?;
        c.refresh().await?;
        wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await
    });
    step!(run, "a-tabs-form-acts-in-the-tab", {
        // "Switch" posted from alice's tab moves that tab to bob's slot; the
        // first tab's default (bob) is untouched either way, so check the URL.
        c.find(Locator::Css(r#".account[data-email="bob@example.com"] button.switch"#)).await?.click().await?;
        wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await?;
        let url = c.current_url().await?;
        if url.path() != "/u/1/" {
            return Err(format!("the tab moved to {url}, not bob's /u/1/").into());
        }
        c.close_window().await?;
        c.switch_to_window(bobs_tab.clone()).await?;
        c.refresh().await?;
        wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await
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
    remembered_flow(run, javascript).await
}

/// Remembered accounts, after [`flow`] signed out of all accounts (bob was
/// removed before): both listed signed out; each signs in again, bob signed
/// out (a link to the sign-in page), alice signed in (a form that adds her);
/// then "Forget" and "Sign out and forget accounts on this computer".
async fn remembered_flow(run: &mut Run, javascript: bool) -> Result<(), String> {
    let c = run.client.clone();
    const ALICE: &str = r#".remembered-account[data-email="alice@example.com"]"#;
    const BOB: &str = r#".remembered-account[data-email="bob@example.com"]"#;

    step!(run, "remembered-signed-out", {
        expect_count(&c, "#account-chooser .remembered-account", 2).await?;
        expect_text(&c, ALICE, "Alice Anderson").await?;
        expect_text(&c, ALICE, "Signed out").await?;
        expect_text(&c, BOB, "Bob Brown").await?;
        expect_text(&c, BOB, "Signed out").await?;
        expect_count(&c, ".account", 0).await
    });
    step!(run, "bob-sign-in-again", {
        c.find(Locator::Css(&format!("{BOB} a.sign-in-again"))).await?.click().await?;
        wait_for(&c, "#sign-in-form").await?;
        wait_for_text(&c, "h1", "Sign in").await?;
        expect_value(&c, "#email", "bob@example.com").await
    });
    step!(run, "bob-signed-in-again", {
        c.find(Locator::Css("#password")).await?.send_keys("password").await?;
        c.find(Locator::Css("#sign-in-form button[type=submit]")).await?.click().await?;
        wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await?;
        expect_count(&c, ".account", 1).await?;
        expect_count(&c, "#account-switcher .remembered-account", 1).await?;
        expect_text(&c, ALICE, "Signed out").await?;
        // Signed in, "Sign in again" is a form (it adds to this browser's accounts).
        expect_count(&c, &format!("{ALICE} form[method=post] button.sign-in-again"), 1).await?;
        expect_count(&c, &format!("{ALICE} a.sign-in-again"), 0).await
    });
    step!(run, "alice-sign-in-again", {
        c.find(Locator::Css(&format!("{ALICE} button.sign-in-again"))).await?.click().await?;
        wait_for(&c, "#sign-in-form").await?;
        wait_for_text(&c, "h1", "Add another account").await?;
        expect_value(&c, "#email", "alice@example.com").await?;
        c.find(Locator::Css("#password")).await?.send_keys("password").await?;
        Ok(())
    });
    if javascript {
        step!(run, "alice-back-by-auto-submit", {
            c.find(Locator::Css("#sign-in-form button[type=submit]")).await?.click().await?;
            wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await
        });
    } else {
        step!(run, "alice-link-page", {
            c.find(Locator::Css("#sign-in-form button[type=submit]")).await?.click().await?;
            wait_for(&c, "#link-account").await?;
            Ok(())
        });
        step!(run, "alice-back-by-button", {
            c.find(Locator::Css("#link-account")).await?.click().await?;
            wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await
        });
    }
    step!(run, "one-group-again", {
        expect_count(&c, ".account", 2).await?;
        expect_text(&c, ".account.current", "alice@example.com").await?;
        expect_text(&c, ".account.primary", "bob@example.com").await?;
        expect_count(&c, ".remembered-account", 0).await
    });
    step!(run, "removed-alice-remembered", {
        // Bob is the primary now (alice joined his group): alice can be removed.
        c.find(Locator::Css(r#".account[data-email="alice@example.com"] button.remove"#)).await?.click().await?;
        wait_until(&c, "only bob signed in", async || Ok(count(&c, ".account").await? == 1)).await?;
        wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await?;
        expect_count(&c, ALICE, 1).await?;
        expect_text(&c, ALICE, "Signed out").await
    });
    step!(run, "forgot-alice", {
        c.find(Locator::Css(&format!("{ALICE} button.forget"))).await?.click().await?;
        wait_until(&c, "alice forgotten", async || Ok(count(&c, ".remembered-account").await? == 0)).await?;
        c.refresh().await?;
        wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await?;
        expect_count(&c, ".remembered-account", 0).await?;
        expect_count(&c, ".account", 1).await
    });
    step!(run, "signed-out-and-forgot", {
        let button = wait_for(&c, "#sign-out-all-forget").await?;
        expect_text(&c, "#sign-out-all-forget", "Sign out and forget accounts on this computer").await?;
        button.click().await?;
        wait_for(&c, "#sign-in-link").await?;
        expect_count(&c, "#current-account", 0).await?;
        expect_count(&c, "#account-chooser", 0).await?;
        expect_count(&c, ".remembered-account", 0).await
    });
    Ok(())
}

/// The form field `css` holds `value`.
async fn expect_value(c: &Client, css: &str, value: &str) -> StepResult {
    let held = c.find(Locator::Css(css)).await?.prop("value").await?.unwrap_or_default();
    if held != value {
        return Err(format!("{css:?} holds {held:?}, expected {value:?}").into());
    }
    Ok(())
}

/// "Add another account" through the OpenID provider at `issuer`, twice: bob
/// (the provider has no session yet), then carol (the provider ends bob's
/// session first). `demo_port` picks this demo's requests in the provider's log.
async fn oidc_flow(run: &mut Run, javascript: bool, issuer: &str, demo_port: u16) -> Result<(), String> {
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
        expect_text(&c, "#sign-in-form #oidc-sign-in", "Continue with Test ID").await
    });
    step!(run, "signed-in-as-alice", {
        fill_sign_in(&c, "alice@example.com", "password").await?;
        wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await?;
        expect_count(&c, ".account", 1).await
    });
    step!(run, "add-account", {
        wait_for(&c, "#add-account").await?.click().await?;
        wait_for_text(&c, "h1", "Add another account").await?;
        expect_text(&c, "#oidc-sign-in", "Continue with Test ID").await
    });
    step!(run, "bob-email", {
        wait_for(&c, "#email").await?.send_keys("bob@example.com").await?;
        Ok(())
    });
    step!(run, "provider-login-for-bob", {
        c.find(Locator::Css("#oidc-sign-in")).await?.click().await?;
        at_provider_login(&c, issuer, "bob@example.com").await?;
        let seen = authorizations(issuer, demo_port).await?;
        if seen.len() != 1 {
            return Err(format!("expected 1 authorization request from this demo, the provider saw {seen:?}").into());
        }
        expect_authorization(&seen[0], "bob@example.com")
    });
    step!(run, "bob-signed-in-at-provider", {
        c.find(Locator::Css("#password")).await?.send_keys("password").await?;
        c.find(Locator::Css("#login-form #submit")).await?.click().await?;
        if javascript {
            // The callback, then the auto-submitting link page.
            wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await
        } else {
            // The provider had no session: no sign-out confirmation, straight
            // back to the demo's link page.
            match wait_for_any(&c, &["#link-account", SIGN_OUT_CONFIRMATION]).await? {
                0 => Ok(()),
                _ => Err("the provider asked to end a session it should not have".into()),
            }
        }
    });
    if !javascript {
        step!(run, "bob-linked-by-button", {
            c.find(Locator::Css("#link-account")).await?.click().await?;
            wait_for_text(&c, "#current-account", "Signed in as bob@example.com").await
        });
    }
    step!(run, "two-accounts", {
        expect_count(&c, ".account", 2).await?;
        expect_text(&c, ".account.current", "bob@example.com").await?;
        expect_text(&c, ".account.primary", "alice@example.com").await
    });
    step!(run, "switched-to-alice", {
        c.find(Locator::Css(r#".account[data-email="alice@example.com"] button.switch"#)).await?.click().await?;
        wait_for_text(&c, "#current-account", "Signed in as alice@example.com").await?;
        expect_text(&c, ".account.current", "alice@example.com").await?;
        expect_count(&c, ".account", 2).await
    });
    step!(run, "add-another-account", {
        wait_for(&c, "#add-account").await?.click().await?;
        wait_for_text(&c, "h1", "Add another account").await?;
        wait_for(&c, "#email").await?.send_keys("carol@example.com").await?;
        Ok(())
    });
    step!(run, "provider-login-for-carol", {
        c.find(Locator::Css("#oidc-sign-in")).await?.click().await?;
        at_provider_login(&c, issuer, "carol@example.com").await?;
        let seen = authorizations(issuer, demo_port).await?;
        match seen.as_slice() {
            [_, carol] => expect_authorization(carol, "carol@example.com"),
            _ => Err(format!("expected 2 authorization requests from this demo, the provider saw {seen:?}").into()),
        }
    });
    if javascript {
        // The provider signed bob in: it ends that session first, on a page
        // that submits itself, then sends the browser back.
        step!(run, "carol-linked", {
            c.find(Locator::Css("#password")).await?.send_keys("password").await?;
            c.find(Locator::Css("#login-form #submit")).await?.click().await?;
            wait_for_text(&c, "#current-account", "Signed in as carol@example.com").await
        });
    } else {
        step!(run, "provider-sign-out-confirmation", {
            c.find(Locator::Css("#password")).await?.send_keys("password").await?;
            c.find(Locator::Css("#login-form #submit")).await?.click().await?;
            match wait_for_any(&c, &[SIGN_OUT_CONFIRMATION, "#link-account"]).await? {
                0 => Ok(()),
                _ => Err("the provider switched from bob to carol without ending bob's session".into()),
            }
        });
        step!(run, "carol-link-page", {
            let button = c.find(Locator::Css(SIGN_OUT_CONFIRMATION)).await?;
            if !button.is_displayed().await? {
                return Err("the provider's sign-out button is not shown".into());
            }
            button.click().await?;
            wait_for(&c, "#link-account").await?;
            Ok(())
        });
        step!(run, "carol-linked-by-button", {
            c.find(Locator::Css("#link-account")).await?.click().await?;
            wait_for_text(&c, "#current-account", "Signed in as carol@example.com").await
        });
    }
    step!(run, "three-accounts", {
        expect_count(&c, ".account", 3).await?;
        expect_text(&c, ".account.current", "carol@example.com").await?;
        expect_text(&c, ".account.primary", "alice@example.com").await?;
        expect_count(&c, r#".account[data-email="bob@example.com"]"#, 1).await
    });
    step!(run, "signed-out-of-all", {
        wait_for(&c, "#sign-out-all").await?.click().await?;
        wait_for(&c, "#sign-in-link").await?;
        expect_count(&c, "#current-account", 0).await
    });
    Ok(())
}

/// The single-page app's journey: every action is a `fetch`; the page shows
/// its result, and the JSON API, asked from the same page, agrees.
async fn spa_flow(run: &mut Run) -> Result<(), String> {
    let c = run.client.clone();
    let spa = format!("{}/spa", run.base);

    step!(run, "spa-signed-out", {
        c.goto(&spa).await?;
        wait_for(&c, r#"#spa[data-view="sign-in"][aria-busy="false"]"#).await?;
        expect_text(&c, "#spa-sign-in-title", "Sign in").await?;
        expect_server(&c, &[], None).await
    });
    step!(run, "spa-wrong-password", {
        spa_sign_in(&c, "alice@example.com", "wrong").await?;
        wait_for_text(&c, "#spa-error", "Incorrect email or password.").await?;
        if !c.find(Locator::Css("#spa-sign-in")).await?.is_displayed().await? {
            return Err("the sign-in form is gone after a wrong password".into());
        }
        expect_server(&c, &[], None).await
    });
    step!(run, "spa-signed-in-as-alice", {
        // The email stays; the refused password was cleared. The wrong guess
        // spent the token: the page sends the one it was answered since.
        let email = c.find(Locator::Css("#spa-email")).await?.prop("value").await?.unwrap_or_default();
        if email != "alice@example.com" {
            return Err(format!("the email field holds {email:?} after the refusal").into());
        }
        c.find(Locator::Css("#spa-password")).await?.send_keys("password").await?;
        c.find(Locator::Css("#spa-sign-in-submit")).await?.click().await?;
        wait_for_text(&c, "#spa-current", "Signed in as alice@example.com").await?;
        wait_for_text(&c, "#spa-status", "Signed in as alice@example.com.").await?;
        expect_count(&c, "#spa-error:empty", 1).await?;
        expect_count(&c, "#spa-account-list .account", 1).await?;
        expect_server(&c, &["alice@example.com"], Some("alice@example.com")).await
    });
    step!(run, "spa-add-account", {
        c.find(Locator::Css("#spa-add-account")).await?.click().await?;
        wait_for(&c, r#"#spa[data-view="adding"][aria-busy="false"]"#).await?;
        expect_text(&c, "#spa-sign-in-title", "Add another account").await?;
        expect_text(&c, "#spa-sign-in-hint", "It joins alice@example.com").await
    });
    step!(run, "spa-added-bob", {
        spa_sign_in(&c, "bob@example.com", "password").await?;
        wait_for_text(&c, "#spa-status", "Added bob@example.com to this browser.").await?;
        wait_for_text(&c, "#spa-current", "Signed in as bob@example.com").await?;
        expect_count(&c, "#spa-account-list .account", 2).await?;
        expect_text(&c, ".account.current", "bob@example.com").await?;
        expect_text(&c, ".account.primary", "alice@example.com").await?;
        expect_text(&c, ".account.primary .badge-primary", "Primary").await?;
        expect_count(&c, ".account.pending", 0).await?;
        expect_server(&c, &["alice@example.com", "bob@example.com"], Some("bob@example.com")).await
    });
    step!(run, "spa-switched-to-alice", {
        spa_click(&c, r#".account[data-email="alice@example.com"] button.switch"#).await?;
        wait_for_text(&c, "#spa-current", "Signed in as alice@example.com").await?;
        wait_for_text(&c, "#spa-status", "Switched to alice@example.com.").await?;
        expect_text(&c, ".account.current", "alice@example.com").await?;
        expect_server(&c, &["alice@example.com", "bob@example.com"], Some("alice@example.com")).await
    });
    step!(run, "spa-switched-to-bob", {
        spa_click(&c, r#".account[data-email="bob@example.com"] button.switch"#).await?;
        wait_for_text(&c, "#spa-current", "Signed in as bob@example.com").await?;
        expect_text(&c, ".account.current", "bob@example.com").await?;
        expect_server(&c, &["alice@example.com", "bob@example.com"], Some("bob@example.com")).await
    });
    step!(run, "spa-removed-bob", {
        spa_click(&c, r#".account[data-email="bob@example.com"] button.remove"#).await?;
        wait_for_text(&c, "#spa-status", "Signed out of bob@example.com in this browser.").await?;
        wait_for_text(&c, "#spa-current", "Signed in as alice@example.com").await?;
        expect_count(&c, "#spa-account-list .account", 1).await?;
        expect_server(&c, &["alice@example.com"], Some("alice@example.com")).await
    });
    step!(run, "spa-signed-out-of-all", {
        spa_click(&c, "#spa-sign-out-all").await?;
        wait_for(&c, r#"#spa[data-view="sign-in"][aria-busy="false"]"#).await?;
        wait_for_text(&c, "#spa-status", "Signed out of all accounts.").await?;
        expect_server(&c, &[], None).await
    });
    step!(run, "spa-remembered-signed-out", {
        // Signed out, the accounts this browser remembers are offered; "Sign
        // in again" fills in the form.
        expect_count(&c, "#spa-remembered-list .remembered-account", 2).await?;
        expect_server_remembered(&c, &["alice@example.com", "bob@example.com"]).await?;
        spa_click(&c, r#".remembered-account[data-email="alice@example.com"] button.sign-in-again"#).await?;
        wait_for_text(&c, "#spa-status", "Enter the password of alice@example.com.").await?;
        expect_value(&c, "#spa-email", "alice@example.com").await
    });
    step!(run, "spa-signed-in-as-carol", {
        // A new session: the page's token is the one it asked for after signing out.
        spa_sign_in(&c, "carol@example.com", "password").await?;
        wait_for_text(&c, "#spa-current", "Signed in as carol@example.com").await?;
        expect_server(&c, &["carol@example.com"], Some("carol@example.com")).await?;
        expect_count(&c, "#spa-remembered-list .remembered-account", 2).await
    });
    step!(run, "spa-sign-in-again-bob", {
        // Signed in, "Sign in again" adds the account, its email filled in.
        spa_click(&c, r#".remembered-account[data-email="bob@example.com"] button.sign-in-again"#).await?;
        wait_for(&c, r#"#spa[data-view="adding"][aria-busy="false"]"#).await?;
        expect_text(&c, "#spa-sign-in-title", "Add another account").await?;
        expect_text(&c, "#spa-sign-in-hint", "It joins carol@example.com").await?;
        expect_value(&c, "#spa-email", "bob@example.com").await
    });
    step!(run, "spa-added-bob-again", {
        c.find(Locator::Css("#spa-password")).await?.send_keys("password").await?;
        c.find(Locator::Css("#spa-sign-in-submit")).await?.click().await?;
        wait_for_text(&c, "#spa-status", "Added bob@example.com to this browser.").await?;
        expect_count(&c, "#spa-account-list .account", 2).await?;
        expect_server(&c, &["carol@example.com", "bob@example.com"], Some("bob@example.com")).await?;
        expect_count(&c, "#spa-remembered-list .remembered-account", 1).await?;
        expect_server_remembered(&c, &["alice@example.com"]).await
    });
    step!(run, "spa-forgot-alice", {
        spa_click(&c, r#".remembered-account[data-email="alice@example.com"] button.forget"#).await?;
        wait_for_text(&c, "#spa-status", "This computer forgot alice@example.com.").await?;
        expect_count(&c, ".remembered-account", 0).await?;
        expect_server_remembered(&c, &[]).await?;
        expect_server(&c, &["carol@example.com", "bob@example.com"], Some("bob@example.com")).await
    });
    step!(run, "spa-signed-out-and-forgot", {
        spa_click(&c, "#spa-sign-out-all-forget").await?;
        wait_for(&c, r#"#spa[data-view="sign-in"][aria-busy="false"]"#).await?;
        wait_for_text(&c, "#spa-status", "Signed out of all accounts, and this computer forgot them.").await?;
        expect_count(&c, ".remembered-account", 0).await?;
        expect_server(&c, &[], None).await?;
        expect_server_remembered(&c, &[]).await
    });
    Ok(())
}

/// The server remembers exactly `emails` signed out (in any order).
async fn expect_server_remembered(c: &Client, emails: &[&str]) -> StepResult {
    let answer = api_accounts(c).await?;
    let remembered = answer["remembered"].as_array().ok_or_else(|| format!("no remembered in {answer}"))?;
    let mut listed: Vec<&str> = remembered.iter().filter_map(|entry| entry["hint"].as_str()).collect();
    listed.sort_unstable();
    let mut expected = emails.to_vec();
    expected.sort_unstable();
    if listed != expected {
        return Err(format!("GET /link/api/accounts remembers {listed:?}, expected {expected:?}: {answer}").into());
    }
    Ok(())
}

/// Types `email` and `password` into the single-page app's form and submits it.
async fn spa_sign_in(c: &Client, email: &str, password: &str) -> StepResult {
    wait_for(c, r#"#spa[aria-busy="false"]"#).await?;
    let field = c.find(Locator::Css("#spa-email")).await?;
    field.clear().await?;
    field.send_keys(email).await?;
    let field = c.find(Locator::Css("#spa-password")).await?;
    field.clear().await?;
    field.send_keys(password).await?;
    c.find(Locator::Css("#spa-sign-in-submit")).await?.click().await?;
    Ok(())
}

/// Clicks `css` once the single-page app is idle.
async fn spa_click(c: &Client, css: &str) -> StepResult {
    wait_for(c, r#"#spa[aria-busy="false"]"#).await?;
    wait_for(c, css).await?.click().await?;
    Ok(())
}

/// `GET /link/api/accounts`, fetched by the page (its cookies, its origin).
async fn api_accounts(c: &Client) -> StepResult<Value> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        fetch("/link/api/accounts", { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then((response) => response.json())
          .then(done, (error) => done({ error: String(error) }));
    "#;
    Ok(c.execute_async(script, Vec::new()).await?)
}

/// The server lists exactly `emails`, in order, with `current` acting.
async fn expect_server(c: &Client, emails: &[&str], current: Option<&str>) -> StepResult {
    let answer = api_accounts(c).await?;
    let accounts = answer["accounts"].as_array().ok_or_else(|| format!("no accounts in {answer}"))?;
    let listed: Vec<&str> = accounts.iter().filter_map(|account| account["user"]["email"].as_str()).collect();
    let acting = accounts.iter().find(|account| account["current"] == true).and_then(|a| a["user"]["email"].as_str());
    if listed != emails || acting != current {
        let expected = format!("expected {emails:?}, current {current:?}");
        return Err(format!("GET /link/api/accounts lists {listed:?}, current {acting:?}; {expected}: {answer}").into());
    }
    Ok(())
}

/// The provider's "end the session of the other account first" page: its
/// own page's `#logout` button, or the self-submitting form's `<noscript>`
/// button (oidc-provider's form post to `/session/end/confirm`).
const SIGN_OUT_CONFIRMATION: &str = r#"#logout, form[action$="/session/end/confirm"] button[type=submit]"#;

/// Waits for the provider's login page, asked to re-authenticate
/// (`prompt=login`) with `email` as the login hint, prefilled.
async fn at_provider_login(c: &Client, issuer: &str, email: &str) -> StepResult {
    wait_for(c, "#login-form").await?;
    let url = c.current_url().await?;
    if !url.as_str().starts_with(&format!("{issuer}/")) {
        return Err(format!("the login page is at {url}, not at the provider {issuer}").into());
    }
    let prompt = c.find(Locator::Css("#prompt")).await?.text().await?;
    if prompt.trim() != "login" {
        return Err(format!("the provider's #prompt says {prompt:?}, expected \"login\"").into());
    }
    let hint = c.find(Locator::Css("#login-hint")).await?.text().await?;
    if hint.trim() != email {
        return Err(format!("the provider's #login-hint says {hint:?}, expected {email:?}").into());
    }
    let login = c.find(Locator::Css("#login")).await?.prop("value").await?.unwrap_or_default();
    if login != email {
        return Err(format!("the provider's #login field holds {login:?}, expected {email:?}").into());
    }
    Ok(())
}

/// One authorization request in the provider's log: "Add another account"
/// asks for `prompt=login` with the email as `login_hint`, and the provider
/// showed its login page.
fn expect_authorization(entry: &Value, email: &str) -> StepResult {
    if entry["prompt_raw"] != "login" || entry["login_hint"] != email || entry["interaction"] != true {
        return Err(format!("expected prompt_raw \"login\", login_hint {email:?}, interaction true: {entry}").into());
    }
    Ok(())
}

/// Waits until one of `selectors` matches; returns its index.
async fn wait_for_any(c: &Client, selectors: &[&str]) -> StepResult<usize> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        for (index, css) in selectors.iter().enumerate() {
            if count(c, css).await? > 0 {
                return Ok(index);
            }
        }
        if Instant::now() > deadline {
            let url = c.current_url().await?;
            return Err(format!("none of {selectors:?} within {STEP_TIMEOUT:?} (at {url})").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The provider's log of authorization requests (`GET /test/authorizations`)
/// from the demo on `demo_port` (its redirect URI names the port).
async fn authorizations(issuer: &str, demo_port: u16) -> StepResult<Vec<Value>> {
    let authority = issuer.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let body = tokio::task::spawn_blocking(move || -> StepResult<String> {
        let mut stream = TcpStream::connect(&authority)?;
        stream.set_read_timeout(Some(STEP_TIMEOUT))?;
        write!(stream, "GET /test/authorizations HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) = response.split_once("\r\n\r\n").ok_or("an HTTP response without a header end")?;
        if !head.starts_with("HTTP/1.1 200") {
            return Err(format!("GET /test/authorizations: {head}").into());
        }
        Ok(body.to_owned())
    })
    .await??;
    let all: Vec<Value> = serde_json::from_str(&body)?;
    let port = format!(":{demo_port}/");
    Ok(all.into_iter().filter(|entry| entry["redirect_uri"].as_str().is_some_and(|uri| uri.contains(&port))).collect())
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

/// The test OpenID Provider (`examples/demo/tests/oidc-provider`), run with
/// Node on a free loopback port; stopped on drop (and when this process
/// exits: `--exit-with-stdin`).
struct OidcProvider {
    issuer: String,
    child: Child,
}

/// Node and the provider's directory, found.
struct NodeProvider {
    node: String,
    dir: PathBuf,
}

impl OidcProvider {
    /// Node (`NODE` or `node`) and the provider's installed npm packages, or
    /// why the run is skipped.
    fn find() -> Result<NodeProvider, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo/tests/oidc-provider");
        let node = std::env::var("NODE").ok().filter(|value| !value.is_empty()).unwrap_or_else(|| "node".to_owned());
        let runs = Command::new(&node)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !runs {
            return Err(format!("node not found ({node:?}; set NODE)"));
        }
        if !dir.join("node_modules/oidc-provider").is_dir() {
            return Err(format!("oidc-provider not installed (run `npm ci --prefix {}`)", dir.display()));
        }
        Ok(NodeProvider { node, dir })
    }

    /// Starts `provider.mjs` and waits for its ready line; its stderr goes to `log`.
    fn start(found: &NodeProvider, log: &Path) -> Self {
        let log_file = std::fs::File::create(log).unwrap_or_else(|error| panic!("{}: {error}", log.display()));
        let mut child = Command::new(&found.node)
            .args(["provider.mjs", "--port", "0", "--exit-with-stdin"])
            .current_dir(&found.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {} provider.mjs: {error}", found.node));
        let stdout = child.stdout.take().expect("the provider's stdout");
        let (send, ready) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = send.send(read);
        });
        // Generous: on a loaded 2-core CI machine Node's start (module
        // loading, a 2048-bit RSA key) once took over 30 s.
        let waited = Instant::now();
        let line = match ready.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(line)) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                let said = std::fs::read_to_string(log).unwrap_or_default();
                panic!(
                    "the OIDC provider did not get ready ({other:?}, after {:.1} s); its log ({}):\n{said}",
                    waited.elapsed().as_secs_f64(),
                    log.display()
                );
            }
        };
        println!("e2e browser test: the OIDC provider was ready in {:.1} s", waited.elapsed().as_secs_f64());
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the OIDC provider's ready line: {line:?}; see {}", log.display()));
        let issuer = ready["issuer"].as_str().unwrap_or_else(|| panic!("no issuer in {line:?}")).to_owned();
        Self { issuer, child }
    }

    /// The demo's settings for this provider.
    fn settings(&self) -> OidcSettings {
        OidcSettings {
            name: "Test ID".into(),
            issuer: self.issuer.clone(),
            client_id: "multi-account-demo".into(),
            client_secret: Some("demo-secret".into()),
            add_account_prompt: AddAccountPrompt::Auto,
        }
    }

    fn stop(self) {
        drop(self);
    }
}

impl Drop for OidcProvider {
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
    async fn start(framework: Framework, oidc: Option<OidcSettings>) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let settings = Settings { framework, oidc, ..Settings::for_test(&dir.path().join("demo.sqlite")) };
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
