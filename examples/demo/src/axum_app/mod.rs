//! The demo on axum: tower-sessions (in memory, or Redis), and
//! `multi-account-axum`'s router, layer and extractors.

mod api_sign_in;
mod pages;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use multi_account_axum::{MultiAccountConfig, RememberedAccounts, Tabs};
use tokio::sync::watch;
use tower_sessions::{Expiry, MemoryStore, SessionManagerLayer, SessionStore};

use crate::app_state::AppState;
use crate::error::{PageError, render_error_page};
use crate::server::Server;
use crate::settings::{self, Framework, Settings};
use crate::{SESSION_COOKIE, StartError, User};

/// What the axum handlers share.
#[derive(Clone)]
pub(crate) struct DemoState {
    app: Arc<AppState>,
    multi_account: MultiAccountConfig,
    /// Whether the session cookie is `Secure` (the demo is reached over HTTPS).
    secure_cookies: bool,
}

/// How long an idle session lives (the store forgets it after that).
const SESSION_IDLE: time::Duration = time::Duration::days(1);

/// Builds and binds the server.
pub(crate) async fn start(
    settings: &Settings,
    state: AppState,
    remembered: RememberedAccounts,
) -> Result<Server, StartError> {
    // Per-tab accounts: `/u/{slot}/…` acts as that account, in that tab only;
    // accounts that leave this browser stay listed, signed out.
    let mut multi_account = MultiAccountConfig::new(state.db.clone())
        .with_handlers(pages::DemoHandlers)
        .with_tabs(Some(Tabs::default()))
        .with_remembered(Some(remembered));
    if let Some(ttl) = settings.link_intent_ttl {
        multi_account = multi_account.with_link_intent_ttl(ttl);
    }
    let demo = DemoState { app: Arc::new(state), multi_account, secure_cookies: settings.secure_cookies() };
    match &settings.redis_url {
        Some(url) => {
            let store = redis_store(url).await?;
            tracing::info!(redis = %settings::redact_url(url), "sessions are kept in Redis");
            serve(settings, demo, store).await
        }
        None => {
            tracing::info!("sessions are kept in memory (set REDIS_URL to keep them in Redis)");
            serve(settings, demo, MemoryStore::default()).await
        }
    }
}

async fn redis_store(
    url: &str,
) -> Result<tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Pool>, StartError> {
    use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};
    let error = |message: String| StartError::Redis { url: settings::redact_url(url), message };
    let config = Config::from_url(url).map_err(|e| error(e.to_string()))?;
    let pool = Pool::new(config, None, None, None, 2).map_err(|e| error(e.to_string()))?;
    let _connection = pool.connect();
    pool.wait_for_connect().await.map_err(|e| error(e.to_string()))?;
    Ok(tower_sessions_redis_store::RedisStore::new(pool))
}

/// The app: the pages and the multi-account routes inside the session layers;
/// the stylesheet and the single-page app's files outside them, so an asset
/// never creates a session.
fn app<S: SessionStore + Clone>(demo: DemoState, store: S) -> Router {
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        // `Secure` only over HTTPS (plain HTTP on localhost by default); Lax,
        // as on actix-web.
        .with_secure(demo.secure_cookies)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));
    let mut pages = Router::new()
        .merge(demo.multi_account.router::<User, DemoState>())
        .route("/", get(pages::home))
        .route("/sign-in", get(pages::sign_in_page).post(pages::sign_in))
        .route("/sign-out", axum::routing::post(pages::sign_out))
        .route(crate::api_sign_in::PATH, axum::routing::post(api_sign_in::api_sign_in));
    if demo.app.oidc.is_some() {
        pages = pages
            .route("/oidc/start", axum::routing::post(pages::oidc_start))
            .route(crate::oidc::CALLBACK_PATH, get(pages::oidc_callback));
    }
    if demo.app.mailer.is_some() {
        pages = pages
            .route("/sign-in/email", axum::routing::post(pages::email_link_request))
            .route(crate::email_link::CONFIRM_PATH, get(pages::email_link_page).post(pages::email_link_confirm));
    }
    let pages = pages.layer(demo.multi_account.layer()).layer(sessions);
    Router::new()
        .route("/static/app.css", get(pages::stylesheet))
        .route(crate::spa::PAGE_PATH, get(pages::spa_page))
        .route(crate::spa::SCRIPT_PATH, get(pages::spa_script))
        .merge(pages)
        .with_state(demo)
        .layer(DefaultBodyLimit::max(crate::MAX_FORM_BYTES))
        .layer(middleware::map_response(error_page))
        .layer(middleware::map_response(security_headers))
        .layer(middleware::from_fn(access_log))
}

/// Binds the address and returns the server, serving `demo` with `store`.
async fn serve<S: SessionStore + Clone>(settings: &Settings, demo: DemoState, store: S) -> Result<Server, StartError> {
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind((settings.host.as_str(), settings.port))
        .await
        .map_err(|source| StartError::Bind { address: address.clone(), source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { address, source })?;
    demo.app.bound_to(addr);
    // The tab prefix comes off before the router matches: its layer wraps the
    // whole router.
    let tab_prefix = demo.multi_account.tab_prefix();
    // The OpenAPI document is served outside the app's layers (it has no session).
    let router = app(demo, store).route(&settings.openapi_path, get(crate::openapi::axum_document));
    let service = axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(
        tower_layer::Layer::layer(&tab_prefix, router),
    );
    Ok(Server::axum(addr, move |mut stop: watch::Receiver<Option<bool>>| async move {
        let mut graceful = stop.clone();
        let serving = axum::serve(listener, service).with_graceful_shutdown(async move {
            let _ = graceful.wait_for(Option::is_some).await;
        });
        tokio::select! {
            served = serving => served,
            // Not graceful: stop now, open connections or not.
            _ = stop.wait_for(|stop| *stop == Some(false)) => Ok(()),
        }
    }))
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self, "page failed");
        }
        // Plain text here; `error_page` turns it into the HTML error page.
        (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.to_string()).into_response()
    }
}

/// Gives every 4xx/5xx response that is neither HTML already nor JSON (the
/// multi-account routes' plain-text errors, axum's rejections, an empty 404)
/// the demo's HTML error page, keeping its status and headers.
async fn error_page(response: Response) -> Response {
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    // JSON answers (the JSON API's and the JSON sign-in's refusals) stay JSON.
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_html || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let page = Html(render_error_page(Framework::Axum, status.as_u16())).into_response();
    let (page_parts, body) = page.into_parts();
    parts.headers.extend(page_parts.headers);
    Response::from_parts(parts, body)
}

/// The same headers as on actix-web.
async fn security_headers(mut response: Response) -> Response {
    for (name, value) in crate::SECURITY_HEADERS {
        response.headers_mut().insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

/// One line per request: method, path without its query string (no token or
/// other secret in the log), status, time.
async fn access_log(request: Request<Body>, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(target: "multi_account_demo::access", "{method} {path} {} {}ms", response.status().as_u16(), started.elapsed().as_millis());
    response
}
