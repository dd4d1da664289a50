//! The multi-account layer: makes the config reachable from the extractors and
//! routes, and gives every signed-in session a random `"session_token"`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use multi_account::session::{SessionState, keys, new_session_token};
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions::Session;

use axum::http::{HeaderValue, header};

use crate::config::MultiAccountConfig;
use crate::request::ResponseCookies;

/// The layer built by [`MultiAccountConfig::layer`]. Add it *inside*
/// tower-sessions' `SessionManagerLayer` (axum runs the last `layer` first).
#[derive(Clone, Debug)]
pub struct MultiAccountLayer {
    config: MultiAccountConfig,
}

impl MultiAccountConfig {
    /// The layer every app adds, inside tower-sessions' `SessionManagerLayer`
    /// (with remembered accounts on, it also sets their cookie on the response
    /// when a decision changed it):
    ///
    /// ```
    /// # fn app(multi_account: multi_account_axum::MultiAccountConfig) {
    /// use tower_sessions::{MemoryStore, SessionManagerLayer};
    /// let _app: axum::Router = axum::Router::new()
    ///     .layer(multi_account.layer())
    ///     .layer(SessionManagerLayer::new(MemoryStore::default()));
    /// # }
    /// ```
    pub fn layer(&self) -> MultiAccountLayer {
        MultiAccountLayer { config: self.clone() }
    }
}

impl<S> Layer<S> for MultiAccountLayer {
    type Service = MultiAccountService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MultiAccountService { inner, config: self.config.clone() }
    }
}

/// The service built by [`MultiAccountLayer`].
#[derive(Clone, Debug)]
pub struct MultiAccountService<S> {
    inner: S,
    config: MultiAccountConfig,
}

/// Puts a fresh token in a signed-in session that has no valid one (none, or
/// one that is not a token: not a string, empty, too long); a no-op otherwise,
/// so anonymous visitors get no session from it.
async fn ensure_session_token(session: &Session) -> Result<(), tower_sessions::session::Error> {
    if session.get_value(keys::USER).await?.is_none() {
        return Ok(());
    }
    let token = session.get_value(keys::SESSION_TOKEN).await?;
    let state = SessionState::read(None, |key| if key == keys::SESSION_TOKEN { token.clone() } else { None });
    if state.session_token().is_none() {
        session.insert(keys::SESSION_TOKEN, new_session_token()).await?;
    }
    Ok(())
}

impl<S> Service<Request> for MultiAccountService<S>
where
    S: Service<Request, Response = axum::response::Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The clone that was polled ready serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        req.extensions_mut().insert(self.config.clone());
        // The cookies this request's decisions set (remembered accounts): the
        // extractors that decide have no response to set them on.
        let cookies = self.config.core.remembered().map(|_| ResponseCookies::default());
        if let Some(cookies) = &cookies {
            req.extensions_mut().insert(cookies.clone());
        }
        Box::pin(async move {
            if let Some(session) = req.extensions().get::<Session>().cloned()
                && let Err(error) = ensure_session_token(&session).await
            {
                tracing::error!(%error, "multi-account: could not write the session token");
            }
            let mut response = inner.call(req).await?;
            let queued = match &cookies {
                Some(cookies) => cookies.0.lock().map(|mut queued| std::mem::take(&mut *queued)).unwrap_or_default(),
                None => Vec::new(),
            };
            for cookie in queued {
                match HeaderValue::try_from(cookie) {
                    Ok(value) => {
                        response.headers_mut().append(header::SET_COOKIE, value);
                    }
                    Err(error) => tracing::error!(%error, "multi-account: a cookie that is no header value"),
                }
            }
            Ok(response)
        })
    }
}
