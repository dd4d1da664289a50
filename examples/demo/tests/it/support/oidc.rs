//! A real OpenID Provider for the tests: `oidc-provider` from npm
//! (`tests/oidc-provider/provider.mjs`), run with Node on a free loopback port,
//! and a browser stand-in's walk through its login pages.
#![allow(clippy::print_stdout)] // the tests report whether the provider ran

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use multi_account_demo::oidc::{AddAccountPrompt, OidcSettings};

use super::{Client, Response, attribute_after};

/// The client the provider knows (its redirect URI is
/// `http://127.0.0.1/oidc/callback` on any port).
pub const CLIENT_ID: &str = "multi-account-demo";
pub const CLIENT_SECRET: &str = "demo-secret";

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

/// A running provider; dropped, it stops.
pub struct Provider {
    pub issuer: String,
    pub addr: SocketAddr,
    child: Child,
}

impl Provider {
    /// Starts a provider of its own, or `None` (printing `skipped on
    /// oidc-provider`) when its npm packages are not installed; CI installs
    /// them and fails on a skip.
    pub fn start() -> Option<Self> {
        let dir = provider_dir();
        if !dir.join("node_modules/oidc-provider").is_dir() {
            println!("skipped on oidc-provider (run `npm ci --prefix {}`)", dir.display());
            return None;
        }
        let mut child = Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".to_owned()))
            .args(["provider.mjs", "--port", "0", "--exit-with-stdin"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs provider.mjs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("ready line: {line:?}"));
        let issuer = ready["issuer"].as_str().unwrap().to_owned();
        let addr = issuer.trim_start_matches("http://").parse().unwrap();
        println!("ran on oidc-provider");
        Some(Self { issuer, addr, child })
    }

    /// The provider every test of this binary shares (started once; it stops
    /// when the test binary exits and closes its stdin).
    pub fn shared() -> Option<&'static Self> {
        static SHARED: OnceLock<Option<Provider>> = OnceLock::new();
        SHARED.get_or_init(Self::start).as_ref()
    }

    /// The demo's settings for this provider.
    pub fn settings(&self, prompt: AddAccountPrompt) -> OidcSettings {
        OidcSettings {
            name: "Test ID".to_owned(),
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: Some(CLIENT_SECRET.to_owned()),
            add_account_prompt: prompt,
        }
    }

    /// A browser's cookie jar at the provider.
    pub fn browser(&self) -> Client {
        Client::to(self.addr)
    }

    /// The authorization requests the provider received for the app on
    /// `app_port` (tests share the provider; each demo has its own port).
    pub async fn authorizations(&self, app_port: u16) -> Vec<serde_json::Value> {
        let response = self.browser().get("/test/authorizations").await;
        assert_eq!(response.status, 200, "{}", response.body);
        let all: Vec<serde_json::Value> = serde_json::from_str(&response.body).unwrap();
        let port = format!(":{app_port}/");
        all.into_iter().filter(|entry| entry["redirect_uri"].as_str().is_some_and(|uri| uri.contains(&port))).collect()
    }

    /// Changes the provider account `sub` (or adds it): its email address,
    /// verified. The next ID token for it says so.
    pub async fn set_account(&self, sub: &str, email: &str) {
        let response = self.browser().post_form("/test/accounts", &[("sub", sub), ("email", email)]).await;
        assert_eq!(response.status, 200, "{}", response.body);
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path and query of an absolute `http://127.0.0.1:port/...` URL.
pub fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/".to_owned(), |at| rest[at..].to_owned())
}

/// The value of query parameter `name` in `url`, percent-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| decode(value))
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// What a person does at the provider's login page.
pub enum AtProvider<'a> {
    /// Signs in with this login (email or subject) and `password`.
    SignIn(&'a str),
    /// Expects no login page (the provider answers from its own session).
    NoPage,
}

/// A browser at the provider: follows `url` (the demo's redirect there),
/// signs in on the login page as `action` says, and returns the URL the
/// provider sends the browser back to (the demo's callback, with `code` and
/// `state`), and whether a login page was shown.
pub async fn through_provider(browser: &mut Client, url: &str, action: AtProvider<'_>) -> (String, bool) {
    let mut next = path_of(url);
    let mut method_post: Option<Vec<(String, String)>> = None;
    let mut saw_login = false;
    for _ in 0..12 {
        let response: Response = match method_post.take() {
            Some(fields) => {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                browser.post_form(&next, &fields).await
            }
            None => browser.get(&next).await,
        };
        if (300..400).contains(&response.status) {
            let location = response.location().unwrap().to_owned();
            if location.contains("/oidc/callback") {
                return (location, saw_login);
            }
            next = path_of(&location);
            continue;
        }
        assert_eq!(response.status, 200, "at the provider, {next}: {}", response.body);
        if response.body.contains(r#"id="login-form""#) {
            saw_login = true;
            let AtProvider::SignIn(login) = action else { panic!("a login page where none was expected") };
            next = attribute_after(&response.body, r#"id="login-form""#, "action").unwrap();
            method_post = Some(vec![("login".into(), login.into()), ("password".into(), "password".into())]);
        } else if response.body.contains("/session/end/confirm") {
            // Signing in as another account than the provider's own session:
            // it ends that one first (a form that submits itself).
            let xsrf = attribute_after(&response.body, r#"name="xsrf""#, "value").unwrap();
            next = "/session/end/confirm".to_owned();
            method_post = Some(vec![("xsrf".into(), xsrf), ("logout".into(), "yes".into())]);
        } else {
            panic!("an unexpected page at the provider, {next}: {}", response.body);
        }
    }
    panic!("the provider never sent the browser back");
}
