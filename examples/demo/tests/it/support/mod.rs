//! Runs the demo in-process on a free port, and a tiny HTTP/1.1 client with a
//! cookie jar that talks to it over loopback.
#![allow(dead_code)]
#![allow(clippy::print_stdout)] // the tests report which databases they ran on

pub mod oidc;
pub mod smtp;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use multi_account_demo::{Framework, ServerHandle, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

thread_local! {
    /// The framework of the running test (each `#[tokio::test]` blocks on its
    /// own thread).
    static FRAMEWORK: std::cell::Cell<Framework> = const { std::cell::Cell::new(Framework::Actix) };
}

/// The framework this thread's demos are served with.
pub fn framework() -> Framework {
    FRAMEWORK.with(std::cell::Cell::get)
}

/// Serves this thread's demos with `framework`.
pub fn use_framework(framework: Framework) {
    FRAMEWORK.with(|cell| cell.set(framework));
}

/// A test of the demo over HTTP, run once on each framework: `Demo::start`
/// serves with the framework of the running test.
macro_rules! demo_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            async fn run() $body

            #[tokio::test]
            async fn actix() {
                $crate::support::use_framework(multi_account_demo::Framework::Actix);
                run().await
            }

            #[tokio::test]
            async fn axum() {
                $crate::support::use_framework(multi_account_demo::Framework::Axum);
                run().await
            }
        }
    };
}

/// A loopback address other than 127.0.0.1 (`127.0.0.{last}`): another client
/// to the server.
pub fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, last))
}

/// Runs `test` on SQLite (`None`: the demo's own file), then on a throwaway
/// MariaDB/MySQL database (`Some(url)`) when `MULTI_ACCOUNT_TEST_MYSQL_URL` is
/// set: what a collation changes must hold on both.
pub async fn on_sqlite_and_mysql(test: impl AsyncFn(Option<String>)) {
    test(None).await;
    match std::env::var("MULTI_ACCOUNT_TEST_MYSQL_URL").ok().filter(|url| !url.is_empty()) {
        Some(server) => {
            crate::backends::with_throwaway_database(&server, async |url| test(Some(url)).await).await;
            println!("ran on mysql");
        }
        None => println!("skipped on mysql"),
    }
}

/// The demo, running on 127.0.0.1 with a fresh SQLite file (or the database
/// the settings name), on the framework of the running test.
pub struct Demo {
    pub addr: SocketAddr,
    pub db_path: PathBuf,
    /// The database the demo uses.
    pub database_url: String,
    handle: ServerHandle,
    _dir: tempfile::TempDir,
}

impl Demo {
    pub async fn start() -> Self {
        Self::start_with(|settings| settings).await
    }

    /// Starts with the test settings as `adjust` changes them.
    pub async fn start_with(adjust: impl FnOnce(Settings) -> Settings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("demo.sqlite");
        let framework = framework();
        let settings = adjust(Settings { framework, ..Settings::for_test(&db_path) });
        let database_url = settings.database_url.clone();
        let server = multi_account_demo::start(settings).await.unwrap();
        let (addr, handle) = (server.addr(), server.handle());
        tokio::spawn(server);
        Self { addr, db_path, database_url, handle, _dir: dir }
    }

    /// Starts on the database at `url` (`None`: a fresh SQLite file), with the
    /// test settings as `adjust` changes them.
    pub async fn start_on(url: Option<String>, adjust: impl FnOnce(Settings) -> Settings) -> Self {
        Self::start_with(|settings| {
            let settings = adjust(settings);
            match url {
                Some(database_url) => Settings { database_url, ..settings },
                None => settings,
            }
        })
        .await
    }

    /// A connection of the test's own to the demo's database.
    pub async fn database(&self) -> sea_orm::DatabaseConnection {
        sea_orm::Database::connect(&self.database_url).await.unwrap()
    }

    pub fn client(&self) -> Client {
        Client::to(self.addr)
    }

    /// A client whose connections come from `source` (another loopback address,
    /// such as 127.0.0.2, is another client to the server).
    pub fn client_from(&self, source: IpAddr) -> Client {
        Client { addr: self.addr, cookies: Vec::new(), source: Some(source) }
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The value of the first `name="csrf_token"` field on the page.
    pub fn csrf_token(&self) -> Option<String> {
        attribute_after(&self.body, r#"name="csrf_token""#, "value")
    }

    /// The `href` of every `<a class="{class} ...">` on the page, unescaped.
    pub fn links(&self, class: &str) -> Vec<String> {
        let marker = format!(r#"<a class="{class}"#);
        let mut links = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find(&marker) {
            rest = &rest[start + marker.len()..];
            let tag = &rest[..rest.find('>').unwrap()];
            if let Some(href) = attribute_after(tag, "", "href") {
                links.push(href);
            }
        }
        links
    }

    /// The `href` of the element with `id`.
    pub fn href_of(&self, id: &str) -> Option<String> {
        let at = self.body.find(&format!(r#"id="{id}""#))?;
        let tag = self.body[..at].rfind('<')?;
        let end = self.body[at..].find('>')? + at;
        attribute_after(&self.body[tag..end], "", "href")
    }

    /// The form holding the element with `id`.
    pub fn form_of(&self, id: &str) -> Option<Form> {
        let at = self.body.find(&format!(r#"id="{id}""#))?;
        form_around(&self.body, at)
    }

    /// The form around every `<button class="{class} ...">` on the page.
    pub fn forms(&self, class: &str) -> Vec<Form> {
        let marker = format!(r#"<button class="{class}"#);
        self.body
            .match_indices(&marker)
            .map(|(at, _)| form_around(&self.body, at).unwrap_or_else(|| panic!("a {class} button outside a form")))
            .collect()
    }

    /// Every `href` on the page, unescaped.
    pub fn hrefs(&self) -> Vec<String> {
        self.body
            .match_indices(r#"href=""#)
            .filter_map(|(at, _)| attribute_after(&self.body[at..], "", "href"))
            .collect()
    }

    /// The `action` of the form right before the element matching `marker`.
    pub fn form_action_before(&self, marker: &str) -> Option<String> {
        let at = self.body.find(marker)?;
        let form = self.body[..at].rfind("<form")?;
        attribute_after(&self.body[form..at], "", "action")
    }

    /// How many times `needle` occurs on the page.
    pub fn count(&self, needle: &str) -> usize {
        self.body.matches(needle).count()
    }
}

/// A `<form>` on a page: where and how it submits, and its CSRF field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub method: String,
    pub action: String,
    /// The value of its `csrf_token` field, if it has one.
    pub csrf_token: Option<String>,
}

/// The form that holds the text at `at`.
fn form_around(body: &str, at: usize) -> Option<Form> {
    let start = body[..at].rfind("<form")?;
    if body[start..at].contains("</form>") {
        return None;
    }
    let end = body[at..].find("</form>")? + at;
    let form = &body[start..end];
    let tag = &form[..form.find('>')?];
    Some(Form {
        method: attribute_after(tag, "", "method")?,
        action: attribute_after(tag, "", "action")?,
        csrf_token: attribute_after(form, r#"name="csrf_token""#, "value"),
    })
}

/// The (HTML-unescaped) value of `attribute` in the first tag text after `marker`.
pub fn attribute_after(text: &str, marker: &str, attribute: &str) -> Option<String> {
    let at = text.find(marker)? + marker.len();
    let pattern = format!(r#"{attribute}=""#);
    let start = text[at..].find(&pattern)? + at + pattern.len();
    let end = text[start..].find('"')? + start;
    Some(unescape(&text[start..end]))
}

pub fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser stand-in: sends requests over loopback, keeps the cookies.
pub struct Client {
    pub addr: SocketAddr,
    cookies: Vec<(String, String)>,
    /// The local address to connect from; `None` lets the OS pick.
    source: Option<IpAddr>,
}

impl Client {
    /// A client of the server at `addr`, with an empty cookie jar.
    pub fn to(addr: SocketAddr) -> Self {
        Client { addr, cookies: Vec::new(), source: None }
    }

    /// The cookie jar, to replay later.
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.cookies.clone()
    }

    /// Puts back a cookie jar taken with [`Self::cookies`].
    pub fn set_cookies(&mut self, cookies: Vec<(String, String)>) {
        self.cookies = cookies;
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, None, &[]).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        self.post_raw(path, "application/x-www-form-urlencoded", body.as_bytes()).await
    }

    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: &[u8]) -> Response {
        self.request("POST", path, Some(body), &[("Content-Type", content_type)]).await
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut stream = match self.source {
            Some(source) => {
                let socket = if source.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.unwrap();
                socket.bind(SocketAddr::new(source, 0)).unwrap();
                socket.connect(self.addr).await.unwrap()
            }
            None => TcpStream::connect(self.addr).await.unwrap(),
        };
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !self.cookies.is_empty() {
            let cookies = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            head.push_str(&format!("Cookie: {cookies}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        if let Some(body) = body {
            stream.write_all(body).await.unwrap();
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let response = parse(&raw);
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                self.store_cookie(value);
            }
        }
        response
    }

    fn store_cookie(&mut self, header: &str) {
        let pair = header.split(';').next().unwrap_or_default();
        let Some((name, value)) = pair.split_once('=') else { return };
        let expired = header.to_ascii_lowercase().contains("max-age=0");
        self.cookies.retain(|(existing, _)| existing != name);
        if !expired && !value.is_empty() {
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// Signs in through the form; returns the POST's response.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Response {
        self.sign_in_returning_to(email, password, None).await
    }

    /// Submits `form` (a POST form) with its CSRF token.
    pub async fn submit(&mut self, form: &Form) -> Response {
        assert_eq!(form.method, "post", "{form:?}");
        let token = form.csrf_token.as_deref().unwrap_or_else(|| panic!("a csrf_token field in {form:?}"));
        self.post_form(&form.action, &[("csrf_token", token)]).await
    }

    /// Signed in as `primary`, adds `linked` through the link flow, as a browser
    /// would: the add-account form on the home page, the sign-in form, the
    /// auto-submit page.
    pub async fn add_account(&mut self, primary_id: u32, linked: &str) {
        let link = format!("/link/p/{primary_id}");
        let add = self.get("/").await.form_of("add-account").expect("the add-account form");
        assert_eq!(add.action, format!("{link}?start"), "{add:?}");
        let start = self.submit(&add).await;
        assert_eq!(start.status, 303, "POST {}: {}", add.action, start.body);
        let signed_in = self.sign_in_returning_to(linked, "password", Some(&link)).await;
        assert_eq!(signed_in.location(), Some(link.as_str()), "{}", signed_in.body);
        let page = self.get(&link).await;
        let token = page.csrf_token().expect("the auto-submit form");
        let done = self.post_form(&link, &[("csrf_token", &token)]).await;
        assert_eq!(done.status, 303, "POST {link}: {}", done.body);
    }

    pub async fn sign_in_returning_to(&mut self, email: &str, password: &str, return_to: Option<&str>) -> Response {
        let page = match return_to {
            Some(return_to) => self.get(&format!("/sign-in?return_to={}", encode(return_to))).await,
            None => self.get("/sign-in").await,
        };
        let token = page.csrf_token().expect("csrf token on the sign-in page");
        let mut fields = vec![("csrf_token", token.as_str()), ("email", email), ("password", password)];
        if let Some(return_to) = return_to {
            fields.push(("return_to", return_to));
        }
        self.post_form("/sign-in", &fields).await
    }
}

pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn parse(raw: &[u8]) -> Response {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked =
        headers.iter().any(|(name, value)| name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}
