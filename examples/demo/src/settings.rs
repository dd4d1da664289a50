//! Run-time settings: defaults, environment variables and command-line flags.

use std::fmt;

use crate::email_link::MailSettings;
use crate::oidc::{AddAccountPrompt, OidcSettings};
use crate::password::HashLimiter;
use crate::throttle::ThrottleConfig;

/// The SQLite file the demo uses when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://multi-account-demo.sqlite?mode=rwc";
/// The port the demo listens on when neither `PORT` nor `--port` is given.
pub const DEFAULT_PORT: u16 = 4000;
/// The sender of email links when `MULTI_ACCOUNT_DEMO_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "Multi-account demo <demo@localhost>";
/// Where the OpenAPI document of the JSON API is served when
/// `MULTI_ACCOUNT_DEMO_OPENAPI_PATH` is not set.
pub const DEFAULT_OPENAPI_PATH: &str = "/link/api/openapi.json";
/// The shortest `MULTI_ACCOUNT_DEMO_SECRET` accepted (the cookie signing and
/// encryption key is derived from it).
pub const MIN_SECRET_LEN: usize = 64;

/// The command-line help.
pub const USAGE: &str = "\
Usage: multi-account-demo [--framework actix|axum] [--port N] [--reset]

Options:
  --framework F  serve with actix-web (default) or axum: the same pages either way
                 (env MULTI_ACCOUNT_DEMO_FRAMEWORK)
  --port N       listen on 127.0.0.1:N (default 4000; env PORT; 0 picks a free port)
  --reset        delete the demo database and create it again (env MULTI_ACCOUNT_DEMO_RESET=1)
  -h, --help     print this help

Environment:
  DATABASE_URL               sqlite://, postgres:// or mysql:// URL
                             (default sqlite://multi-account-demo.sqlite?mode=rwc)
  REDIS_URL                  keep sessions in Redis (default: in an encrypted cookie
                             on actix-web, in memory on axum)
  MULTI_ACCOUNT_DEMO_SECRET  key of the session cookie, 64+ bytes; the remembered
                             accounts' cookie derives a key of its own from it
                             (default: random at each start, so restarting signs
                             everybody out and forgets the remembered accounts)
  MULTI_ACCOUNT_DEMO_PUBLIC_URL
                             the URL the browser reaches the demo at, scheme and host
                             only (default http://HOST:PORT as bound, 127.0.0.1 for
                             0.0.0.0); the OpenID callback and email links are under it;
                             an https:// URL makes the cookies Secure
  MULTI_ACCOUNT_DEMO_OIDC_ISSUER, MULTI_ACCOUNT_DEMO_OIDC_CLIENT_ID,
  MULTI_ACCOUNT_DEMO_OIDC_CLIENT_SECRET (optional), MULTI_ACCOUNT_DEMO_OIDC_NAME
                             sign in with an OpenID Connect provider too; register
                             PUBLIC_URL/oidc/callback as its redirect URI
  MULTI_ACCOUNT_DEMO_OIDC_ADD_ACCOUNT_PROMPT
                             what \"Add another account\" asks the provider for: auto
                             (select_account if it supports it, else login),
                             select_account, login or none
  MULTI_ACCOUNT_DEMO_SMTP_URL
                             offer sign-in by email link, mailed through this SMTP
                             server (smtp://host:port; ?tls=required or smtps:// for TLS)
  MULTI_ACCOUNT_DEMO_MAIL_FROM
                             the links' sender (default Multi-account demo <demo@localhost>)
  MULTI_ACCOUNT_DEMO_OPENAPI_PATH
                             where the JSON API's OpenAPI document is served
                             (default /link/api/openapi.json)
  RUST_LOG                   log filter (default info)";

/// A setting that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A port that is not a number from 0 to 65535.
    #[error("invalid port {0:?}: expected a number from 0 to 65535")]
    InvalidPort(String),
    /// `--port` without a value.
    #[error("--port needs a value, e.g. --port 4000")]
    MissingPortValue,
    /// A framework the demo does not serve with.
    #[error("unknown framework {0:?}: expected actix or axum")]
    UnknownFramework(String),
    /// `--framework` without a value.
    #[error("--framework needs a value: actix or axum")]
    MissingFrameworkValue,
    /// An argument the demo does not know.
    #[error("unknown argument {0:?} (try --help)")]
    UnknownArgument(String),
    /// `MULTI_ACCOUNT_DEMO_SECRET` is too short.
    #[error("MULTI_ACCOUNT_DEMO_SECRET must be at least {MIN_SECRET_LEN} bytes long (it is {0})")]
    ShortSecret(usize),
    /// Only one of the OpenID issuer and client id is set.
    #[error("set both MULTI_ACCOUNT_DEMO_OIDC_ISSUER and MULTI_ACCOUNT_DEMO_OIDC_CLIENT_ID, or neither")]
    IncompleteOidc,
    /// A public URL that is not `http://…` or `https://…`.
    #[error("MULTI_ACCOUNT_DEMO_PUBLIC_URL must start with http:// or https:// (it is {0:?})")]
    InvalidPublicUrl(String),
    /// An OpenAPI document path that is not a plain absolute path.
    #[error(
        "MULTI_ACCOUNT_DEMO_OPENAPI_PATH must be a path starting with / without a query, spaces or {{, }}, * and : (it is {0:?})"
    )]
    InvalidOpenApiPath(String),
    /// An add-account prompt the demo does not know.
    #[error("unknown MULTI_ACCOUNT_DEMO_OIDC_ADD_ACCOUNT_PROMPT {0:?}: expected auto, select_account, login or none")]
    UnknownPrompt(String),
}

/// The web framework that serves the demo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framework {
    /// actix-web, with `multi-account-actix` and actix-session.
    #[default]
    Actix,
    /// axum, with `multi-account-axum` and tower-sessions.
    Axum,
}

impl std::str::FromStr for Framework {
    type Err = SettingsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "actix" | "actix-web" => Ok(Self::Actix),
            "axum" => Ok(Self::Axum),
            _ => Err(SettingsError::UnknownFramework(text.to_owned())),
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Actix => "actix-web",
            Self::Axum => "axum",
        })
    }
}

/// What the command line asks for.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once, at start-up
pub enum Command {
    /// Run the demo with these settings.
    Run(Settings),
    /// Print [`USAGE`] and exit.
    Help,
}

/// Everything [`crate::start`] needs.
#[derive(Clone)]
pub struct Settings {
    /// The framework that serves the demo.
    pub framework: Framework,
    /// The address to listen on (default `127.0.0.1`).
    pub host: String,
    /// The port; 0 picks a free one (see the address [`crate::start`] returns).
    pub port: u16,
    /// The SeaORM database URL.
    pub database_url: String,
    /// Delete the database (SQLite file) or revert every migration (other
    /// databases) before migrating and seeding again.
    pub reset: bool,
    /// Keep sessions in Redis at this URL (instead of the session cookie on
    /// actix-web, of memory on axum).
    pub redis_url: Option<String>,
    /// The key material (64+ bytes) of the session cookie and of the
    /// remembered accounts' cookie; `None` generates a random key at start.
    pub secret: Option<Vec<u8>>,
    /// HTTP worker threads on actix-web; `None` uses one per CPU core (axum runs
    /// on the caller's tokio runtime).
    pub workers: Option<usize>,
    /// The limits on failed sign-ins per account and per client.
    pub throttle: ThrottleConfig,
    /// How many password hashes run at once, and how long a sign-in waits for one.
    pub hashing: HashLimiter,
    /// The URL the browser reaches the demo at; `None`: `http://{bound address}`.
    pub public_url: Option<String>,
    /// An OpenID Connect provider to sign in with, next to passwords.
    pub oidc: Option<OidcSettings>,
    /// How long "Add another account" waits for the new account to sign in;
    /// `None`: the library's default.
    pub link_intent_ttl: Option<std::time::Duration>,
    /// Mail for email-link sign-in; `None`: no email links.
    pub mail: Option<MailSettings>,
    /// Where the OpenAPI document of the JSON API is served (GET).
    pub openapi_path: String,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("framework", &self.framework)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database_url", &redact_url(&self.database_url))
            .field("reset", &self.reset)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("workers", &self.workers)
            .field("throttle", &self.throttle)
            .field("hashing", &self.hashing)
            .field("public_url", &self.public_url)
            .field("oidc", &self.oidc.as_ref().map(|oidc| (&oidc.name, &oidc.issuer, &oidc.client_id)))
            .field("link_intent_ttl", &self.link_intent_ttl)
            .field("mail", &self.mail.as_ref().map(|mail| redact_url(&mail.smtp_url)))
            .field("openapi_path", &self.openapi_path)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            framework: Framework::default(),
            host: "127.0.0.1".to_owned(),
            port: DEFAULT_PORT,
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            reset: false,
            redis_url: None,
            secret: None,
            workers: None,
            throttle: ThrottleConfig::default(),
            hashing: HashLimiter::default(),
            public_url: None,
            oidc: None,
            link_intent_ttl: None,
            mail: None,
            openapi_path: DEFAULT_OPENAPI_PATH.to_owned(),
        }
    }
}

impl Settings {
    /// Settings for a test: a free port on 127.0.0.1, the SQLite file at
    /// `sqlite_path` (created if missing), one worker, a random key.
    pub fn for_test(sqlite_path: &std::path::Path) -> Self {
        Self {
            port: 0,
            database_url: format!("sqlite://{}?mode=rwc", sqlite_path.display()),
            workers: Some(1),
            ..Self::default()
        }
    }

    /// Whether the demo's cookies (the session's and the remembered accounts')
    /// are `Secure`: when the browser reaches the demo over HTTPS, that is,
    /// when the public URL is `https://…`. Over plain HTTP (the default, on
    /// localhost) a `Secure` cookie would never come back.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|url| url.starts_with("https://"))
    }

    /// Reads the environment (`PORT`, `DATABASE_URL`, `REDIS_URL`,
    /// `MULTI_ACCOUNT_DEMO_SECRET`, `MULTI_ACCOUNT_DEMO_RESET`,
    /// `MULTI_ACCOUNT_DEMO_FRAMEWORK`), then the
    /// command-line arguments (without the program name), which win.
    pub fn from_env_and_args(args: impl IntoIterator<Item = String>) -> Result<Command, SettingsError> {
        Self::from_vars_and_args(|name| std::env::var(name).ok(), args)
    }

    /// [`Self::from_env_and_args`] with the environment given as a lookup function.
    pub fn from_vars_and_args(
        var: impl Fn(&str) -> Option<String>,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Command, SettingsError> {
        let mut settings = Self::default();
        let non_empty = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        if let Some(port) = non_empty("PORT") {
            settings.port = parse_port(&port)?;
        }
        if let Some(framework) = non_empty("MULTI_ACCOUNT_DEMO_FRAMEWORK") {
            settings.framework = framework.parse()?;
        }
        if let Some(url) = non_empty("DATABASE_URL") {
            settings.database_url = url;
        }
        settings.redis_url = non_empty("REDIS_URL");
        if let Some(secret) = var("MULTI_ACCOUNT_DEMO_SECRET").filter(|value| !value.is_empty()) {
            if secret.len() < MIN_SECRET_LEN {
                return Err(SettingsError::ShortSecret(secret.len()));
            }
            settings.secret = Some(secret.into_bytes());
        }
        if let Some(url) = non_empty("MULTI_ACCOUNT_DEMO_PUBLIC_URL") {
            let given = url.trim();
            let url = given.strip_suffix('/').unwrap_or(given);
            let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            if !host.is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' '])) {
                return Err(SettingsError::InvalidPublicUrl(given.to_owned()));
            }
            settings.public_url = Some(url.to_owned());
        }
        settings.oidc =
            match (non_empty("MULTI_ACCOUNT_DEMO_OIDC_ISSUER"), non_empty("MULTI_ACCOUNT_DEMO_OIDC_CLIENT_ID")) {
                (None, None) => None,
                (Some(issuer), Some(client_id)) => Some(OidcSettings {
                    name: non_empty("MULTI_ACCOUNT_DEMO_OIDC_NAME").unwrap_or_else(|| "OpenID Connect".to_owned()),
                    issuer,
                    client_id,
                    client_secret: non_empty("MULTI_ACCOUNT_DEMO_OIDC_CLIENT_SECRET"),
                    add_account_prompt: match non_empty("MULTI_ACCOUNT_DEMO_OIDC_ADD_ACCOUNT_PROMPT") {
                        Some(prompt) => prompt.parse().map_err(SettingsError::UnknownPrompt)?,
                        None => AddAccountPrompt::default(),
                    },
                }),
                _ => return Err(SettingsError::IncompleteOidc),
            };
        settings.mail = non_empty("MULTI_ACCOUNT_DEMO_SMTP_URL").map(|smtp_url| MailSettings {
            smtp_url,
            from: non_empty("MULTI_ACCOUNT_DEMO_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()),
        });
        if let Some(path) = non_empty("MULTI_ACCOUNT_DEMO_OPENAPI_PATH") {
            settings.openapi_path = parse_openapi_path(&path)?;
        }
        settings.reset = non_empty("MULTI_ACCOUNT_DEMO_RESET")
            .is_some_and(|value| !matches!(value.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off"));

        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(Command::Help),
                "--reset" => settings.reset = true,
                "--port" | "-p" => settings.port = parse_port(&args.next().ok_or(SettingsError::MissingPortValue)?)?,
                "--framework" => {
                    settings.framework = args.next().ok_or(SettingsError::MissingFrameworkValue)?.parse()?;
                }
                _ => {
                    if let Some(port) = arg.strip_prefix("--port=") {
                        settings.port = parse_port(port)?;
                    } else if let Some(framework) = arg.strip_prefix("--framework=") {
                        settings.framework = framework.parse()?;
                    } else {
                        return Err(SettingsError::UnknownArgument(arg));
                    }
                }
            }
        }
        Ok(Command::Run(settings))
    }
}

/// A path the routers take as it is: absolute, no query or fragment, nothing
/// a route pattern reads as a parameter or wildcard.
fn parse_openapi_path(text: &str) -> Result<String, SettingsError> {
    let path = text.trim();
    let plain = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains(|c: char| c.is_whitespace() || c.is_control() || "?#{}*:".contains(c));
    if plain { Ok(path.to_owned()) } else { Err(SettingsError::InvalidOpenApiPath(text.to_owned())) }
}

fn parse_port(text: &str) -> Result<u16, SettingsError> {
    text.trim().parse().map_err(|_| SettingsError::InvalidPort(text.to_owned()))
}

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)], args: &[&str]) -> Result<Command, SettingsError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_vars_and_args(
            |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            args.iter().map(|a| (*a).to_owned()),
        )
    }

    fn run(vars: &[(&str, &str)], args: &[&str]) -> Settings {
        match parse(vars, args) {
            Ok(Command::Run(settings)) => settings,
            other => panic!("expected settings, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let settings = run(&[], &[]);
        assert_eq!(settings.port, 4000);
        assert_eq!(settings.host, "127.0.0.1");
        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert!(!settings.reset);
        assert!(settings.redis_url.is_none());
        assert!(settings.secret.is_none());
        assert_eq!(settings.framework, Framework::Actix);
    }

    #[test]
    fn the_framework_from_the_environment_or_the_command_line() {
        assert_eq!(run(&[("MULTI_ACCOUNT_DEMO_FRAMEWORK", "axum")], &[]).framework, Framework::Axum);
        assert_eq!(
            run(&[("MULTI_ACCOUNT_DEMO_FRAMEWORK", "axum")], &["--framework", "actix"]).framework,
            Framework::Actix
        );
        assert_eq!(run(&[], &["--framework=axum"]).framework, Framework::Axum);
        assert_eq!(parse(&[], &["--framework"]).unwrap_err(), SettingsError::MissingFrameworkValue);
        assert_eq!(
            parse(&[], &["--framework", "rocket"]).unwrap_err(),
            SettingsError::UnknownFramework("rocket".into())
        );
    }

    #[test]
    fn environment_then_arguments() {
        let secret = "s".repeat(64);
        let settings = run(
            &[
                ("PORT", "5000"),
                ("DATABASE_URL", "postgres://u:p@localhost/demo"),
                ("REDIS_URL", "redis://127.0.0.1:6379"),
                ("MULTI_ACCOUNT_DEMO_SECRET", &secret),
                ("MULTI_ACCOUNT_DEMO_RESET", "1"),
            ],
            &[],
        );
        assert_eq!(settings.port, 5000);
        assert_eq!(settings.database_url, "postgres://u:p@localhost/demo");
        assert_eq!(settings.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
        assert_eq!(settings.secret.as_deref(), Some(secret.as_bytes()));
        assert!(settings.reset);
        assert!(!format!("{settings:?}").contains(":p@"), "Debug hides passwords");

        assert_eq!(run(&[("PORT", "5000")], &["--port", "6000"]).port, 6000);
        assert_eq!(run(&[], &["--port=7000", "--reset"]).port, 7000);
        assert!(run(&[], &["--reset"]).reset);
        assert!(!run(&[("MULTI_ACCOUNT_DEMO_RESET", "0")], &[]).reset);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(parse(&[], &["--help"]), Ok(Command::Help)));
        assert_eq!(parse(&[], &["--port"]).unwrap_err(), SettingsError::MissingPortValue);
        assert_eq!(parse(&[], &["--port", "x"]).unwrap_err(), SettingsError::InvalidPort("x".into()));
        assert_eq!(parse(&[("PORT", "70000")], &[]).unwrap_err(), SettingsError::InvalidPort("70000".into()));
        assert_eq!(parse(&[], &["--nope"]).unwrap_err(), SettingsError::UnknownArgument("--nope".into()));
        assert_eq!(parse(&[("MULTI_ACCOUNT_DEMO_SECRET", "short")], &[]).unwrap_err(), SettingsError::ShortSecret(5));
    }

    #[test]
    fn an_openid_provider_from_the_environment() {
        assert!(run(&[], &[]).oidc.is_none(), "none unless configured");
        let oidc = run(
            &[
                ("MULTI_ACCOUNT_DEMO_OIDC_ISSUER", "http://127.0.0.1:9000"),
                ("MULTI_ACCOUNT_DEMO_OIDC_CLIENT_ID", "demo"),
                ("MULTI_ACCOUNT_DEMO_OIDC_ADD_ACCOUNT_PROMPT", "login"),
            ],
            &[],
        )
        .oidc
        .unwrap();
        assert_eq!((oidc.issuer.as_str(), oidc.client_id.as_str()), ("http://127.0.0.1:9000", "demo"));
        assert_eq!((oidc.client_secret, oidc.add_account_prompt), (None, AddAccountPrompt::Login));
        assert_eq!(oidc.name, "OpenID Connect");
        assert_eq!(
            parse(&[("MULTI_ACCOUNT_DEMO_OIDC_ISSUER", "http://127.0.0.1:9000")], &[]).unwrap_err(),
            SettingsError::IncompleteOidc
        );
        assert_eq!(
            parse(
                &[
                    ("MULTI_ACCOUNT_DEMO_OIDC_ISSUER", "http://x"),
                    ("MULTI_ACCOUNT_DEMO_OIDC_CLIENT_ID", "demo"),
                    ("MULTI_ACCOUNT_DEMO_OIDC_ADD_ACCOUNT_PROMPT", "sometimes"),
                ],
                &[]
            )
            .unwrap_err(),
            SettingsError::UnknownPrompt("sometimes".into())
        );
        let public = run(&[("MULTI_ACCOUNT_DEMO_PUBLIC_URL", "https://demo.example/")], &[]).public_url;
        assert_eq!(public.as_deref(), Some("https://demo.example"));
        for bad in ["demo.example", "ftp://demo.example", "http://", "http://demo.example/app"] {
            assert_eq!(
                parse(&[("MULTI_ACCOUNT_DEMO_PUBLIC_URL", bad)], &[]).unwrap_err(),
                SettingsError::InvalidPublicUrl(bad.to_owned())
            );
        }
    }

    #[test]
    fn the_openapi_path_from_the_environment() {
        assert_eq!(run(&[], &[]).openapi_path, "/link/api/openapi.json");
        assert_eq!(run(&[("MULTI_ACCOUNT_DEMO_OPENAPI_PATH", " /openapi.json ")], &[]).openapi_path, "/openapi.json");
        for bad in ["openapi.json", "//evil.example/x", "/api/{id}", "/x?y", "/a b", "/api/*rest", "/api/:id"] {
            assert_eq!(
                parse(&[("MULTI_ACCOUNT_DEMO_OPENAPI_PATH", bad)], &[]).unwrap_err(),
                SettingsError::InvalidOpenApiPath(bad.to_owned())
            );
        }
    }

    #[test]
    fn cookies_are_secure_when_the_public_url_is_https() {
        assert!(!run(&[], &[]).secure_cookies(), "plain HTTP on localhost by default");
        assert!(!run(&[("MULTI_ACCOUNT_DEMO_PUBLIC_URL", "http://demo.example")], &[]).secure_cookies());
        assert!(run(&[("MULTI_ACCOUNT_DEMO_PUBLIC_URL", "https://demo.example")], &[]).secure_cookies());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://user:secret@db:5432/x"), "postgres://user:***@db:5432/x");
        assert_eq!(redact_url("sqlite://demo.sqlite?mode=rwc"), "sqlite://demo.sqlite?mode=rwc");
    }
}
