//! Per-tab accounts' path prefix: `/u/{slot}` comes off the path before the
//! app's routes match, and the selector stays in the request for its load.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, Url, forward_ready};
use actix_web::http::Uri;
use actix_web::{Error, HttpMessage};
use multi_account::session::Tabs;

use crate::config::MultiAccountConfig;

/// The middleware built by [`MultiAccountConfig::tab_prefix`]; a no-op while
/// per-tab accounts are off. Register it on the `App` (or a scope at the
/// root), where it runs before routing.
#[derive(Clone, Debug)]
pub struct TabPrefix {
    tabs: Option<Arc<Tabs>>,
}

impl MultiAccountConfig {
    /// The middleware that takes a page's tab (`/u/{slot}/…`) off its path
    /// before the app's routes match, for per-tab accounts
    /// ([`with_tabs`](Self::with_tabs)):
    ///
    /// ```
    /// # fn app(multi_account: multi_account_actix::MultiAccountConfig) {
    /// let _app = actix_web::App::new().wrap(multi_account.tab_prefix());
    /// # }
    /// ```
    pub fn tab_prefix(&self) -> TabPrefix {
        TabPrefix { tabs: self.core.tabs().cloned().map(Arc::new) }
    }
}

impl<S, B> Transform<S, ServiceRequest> for TabPrefix
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = TabPrefixMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(TabPrefixMiddleware { service, tabs: self.tabs.clone() }))
    }
}

/// The service built by [`TabPrefix`].
#[derive(Debug)]
pub struct TabPrefixMiddleware<S> {
    service: S,
    tabs: Option<Arc<Tabs>>,
}

impl<S, B> Service<ServiceRequest> for TabPrefixMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = S::Future;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if let Some(tabs) = &self.tabs {
            strip(tabs, &mut req);
        }
        self.service.call(req)
    }
}

/// Strips the prefix and leaves the selector in the request.
fn strip(tabs: &Tabs, req: &mut ServiceRequest) {
    let path = req.path().to_owned();
    let Some((selector, rest)) = tabs.split_path(&path) else { return };
    let rest = match req.query_string() {
        "" => rest.to_owned(),
        query => format!("{rest}?{query}"),
    };
    let mut parts = req.head().uri.clone().into_parts();
    // Always parses: `rest` is a part of a path that did.
    if let Ok(rest) = rest.parse() {
        parts.path_and_query = Some(rest);
        if let Ok(uri) = Uri::from_parts(parts) {
            req.match_info_mut().set(Url::new(uri.clone()));
            req.head_mut().uri = uri;
        }
    }
    req.extensions_mut().insert(selector);
}
