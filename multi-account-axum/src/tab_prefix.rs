//! Per-tab accounts' path prefix: axum routes inside a `Router`, so the prefix
//! `/u/{slot}` is stripped by a layer *around* the router, before it matches.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::Uri;
use multi_account::session::Tabs;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::MultiAccountConfig;

/// The layer built by [`MultiAccountConfig::tab_prefix`]: wraps the whole
/// router (not `Router::layer`, which runs after routing).
#[derive(Clone, Debug)]
pub struct TabPrefixLayer {
    tabs: Option<Arc<Tabs>>,
}

impl MultiAccountConfig {
    /// The layer that takes a page's tab (`/u/{slot}/…`) off its path before
    /// the router matches, for per-tab accounts ([`with_tabs`](Self::with_tabs));
    /// a no-op while they are off. Wrap the router in it:
    ///
    /// ```
    /// # fn app(multi_account: multi_account_axum::MultiAccountConfig, router: axum::Router) {
    /// use axum::ServiceExt;
    /// use tower_layer::Layer;
    /// let app = multi_account.tab_prefix().layer(router);
    /// // Serve it: `axum::serve(listener, app.into_make_service())`.
    /// let _service = ServiceExt::<axum::extract::Request>::into_make_service(app);
    /// # }
    /// ```
    ///
    /// Or, to keep a `Router`: `Router::new().fallback_service(multi_account.tab_prefix().layer(router))`.
    pub fn tab_prefix(&self) -> TabPrefixLayer {
        TabPrefixLayer { tabs: self.core.tabs().cloned().map(Arc::new) }
    }
}

impl<S> Layer<S> for TabPrefixLayer {
    type Service = TabPrefixService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TabPrefixService { inner, tabs: self.tabs.clone() }
    }
}

/// The service built by [`TabPrefixLayer`].
#[derive(Clone, Debug)]
pub struct TabPrefixService<S> {
    inner: S,
    tabs: Option<Arc<Tabs>>,
}

impl<S: Service<Request>> Service<Request> for TabPrefixService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        if let Some(tabs) = &self.tabs {
            strip(tabs, &mut req);
        }
        self.inner.call(req)
    }
}

/// Strips the prefix and leaves the selector in the request, for the load.
fn strip(tabs: &Tabs, req: &mut Request) {
    let path = req.uri().path().to_owned();
    let Some((selector, rest)) = tabs.split_path(&path) else { return };
    let rest = match req.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    // Always parses: `rest` is a part of a path that did.
    if let Ok(rest) = rest.parse() {
        parts.path_and_query = Some(rest);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req.extensions_mut().insert(selector);
}
