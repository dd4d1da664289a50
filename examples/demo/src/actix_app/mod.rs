//! The demo on actix-web: actix-session (an encrypted cookie, or Redis),
//! `multi-account-actix`'s routes and extractors.

mod api_sign_in;
mod error_page;
mod pages;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::{CookieSessionStore, RedisSessionStore, SessionStore};
use actix_web::cookie::Key;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, Logger};
use actix_web::web::{self, Data};
use actix_web::{App, HttpServer};
use multi_account_actix::{MultiAccountConfig, RememberedAccounts, SessionToken, Tabs};

use crate::app_state::AppState;
use crate::server::Server;
use crate::settings::{self, Settings};
use crate::{SESSION_COOKIE, StartError, User};

/// Builds and binds the server.
pub(crate) async fn start(
    settings: &Settings,
    state: AppState,
    remembered: RememberedAccounts,
) -> Result<Server, StartError> {
    let key = match &settings.secret {
        Some(secret) => Key::from(secret),
        None => Key::generate(),
    };
    // Per-tab accounts: `/u/{slot}/…` acts as that account, in that tab only;
    // accounts that leave this browser stay listed, signed out.
    let mut config = MultiAccountConfig::new(state.db.clone())
        .with_handlers(pages::DemoHandlers)
        .with_tabs(Some(Tabs::default()))
        .with_remembered(Some(remembered));
    if let Some(ttl) = settings.link_intent_ttl {
        config = config.with_link_intent_ttl(ttl);
    }
    match &settings.redis_url {
        Some(url) => {
            let store = RedisSessionStore::new(url.clone())
                .await
                .map_err(|error| StartError::Redis { url: settings::redact_url(url), message: format!("{error:#}") })?;
            tracing::info!(redis = %settings::redact_url(url), "sessions are kept in Redis");
            serve(settings, state, config, key, move || store.clone())
        }
        None => serve(settings, state, config, key, CookieSessionStore::default),
    }
}

/// Builds and binds the server with the session store `make_store` makes for
/// each worker.
fn serve<S, F>(
    settings: &Settings,
    state: AppState,
    config: MultiAccountConfig,
    key: Key,
    make_store: F,
) -> Result<Server, StartError>
where
    S: SessionStore + 'static,
    F: Fn() -> S + Clone + Send + 'static,
{
    // Cookie sessions are encrypted (private), Redis session ids signed;
    // `Secure` only when the demo is reached over HTTPS (plain HTTP on
    // localhost by default).
    let content_security =
        if settings.redis_url.is_some() { CookieContentSecurity::Signed } else { CookieContentSecurity::Private };
    let secure = settings.secure_cookies();
    let state = Data::new(state);
    let bound_state = state.clone();
    let openapi_path = settings.openapi_path.clone();
    let mut server = HttpServer::new(move || {
        let session = SessionMiddleware::builder(make_store(), key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_secure(secure)
            .cookie_content_security(content_security)
            .build();
        // Everything but the stylesheet and the single-page app's files runs
        // inside the session: `SessionToken` writes a token into every session
        // it sees, so an asset behind it would create a session (a cookie, or a
        // Redis key) per anonymous request.
        let mut pages = web::scope("")
            .configure(config.routes::<User>())
            .route("/", web::get().to(pages::home))
            .route("/sign-in", web::get().to(pages::sign_in_page))
            .route("/sign-in", web::post().to(pages::sign_in))
            .route("/sign-out", web::post().to(pages::sign_out))
            .service(
                web::resource(crate::api_sign_in::PATH)
                    .app_data(web::PayloadConfig::new(crate::MAX_FORM_BYTES))
                    .route(web::post().to(api_sign_in::api_sign_in)),
            );
        if state.mailer.is_some() {
            pages = pages
                .route("/sign-in/email", web::post().to(pages::email_link_request))
                .route(crate::email_link::CONFIRM_PATH, web::get().to(pages::email_link_page))
                .route(crate::email_link::CONFIRM_PATH, web::post().to(pages::email_link_confirm));
        }
        if state.oidc.is_some() {
            pages = pages
                .route("/oidc/start", web::post().to(pages::oidc_start))
                .route(crate::oidc::CALLBACK_PATH, web::get().to(pages::oidc_callback));
        }
        let pages = pages.wrap(SessionToken).wrap(session);
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(crate::MAX_FORM_BYTES))
            .route("/static/app.css", web::get().to(pages::stylesheet))
            .route(&openapi_path, web::get().to(crate::openapi::actix_document))
            .route(crate::spa::PAGE_PATH, web::get().to(pages::spa_page))
            .route(crate::spa::SCRIPT_PATH, web::get().to(pages::spa_script))
            .service(pages)
            // Before routing: a page's tab (`/u/{slot}`) comes off its path.
            .wrap(config.tab_prefix())
            .wrap(ErrorHandlers::new().default_handler(error_page::error_page))
            .wrap(crate::SECURITY_HEADERS.iter().fold(DefaultHeaders::new(), |headers, header| headers.add(*header)))
            // The path without its query string: no token or other secret in the log.
            .wrap(
                Logger::new("%{method}xi %U %s %Dms").custom_request_replace("method", |req| req.method().to_string()),
            )
    })
    .shutdown_timeout(5);
    if let Some(workers) = settings.workers {
        server = server.workers(workers);
    }
    let address = format!("{}:{}", settings.host, settings.port);
    let server = server
        .bind((settings.host.as_str(), settings.port))
        .map_err(|source| StartError::Bind { address: address.clone(), source })?;
    let addr = server.addrs().first().copied().ok_or_else(|| StartError::Bind {
        address,
        source: std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address bound"),
    })?;
    bound_state.bound_to(addr);
    Ok(Server::actix(server.run(), addr))
}
