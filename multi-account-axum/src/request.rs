//! A request as the core's flows take it: its inputs (token, origin
//! headers) and the app's redirect hooks for it.

use axum::http::request::Parts;
use axum::http::{HeaderName, header};
use multi_account::session::{Destinations, FlowRequest, SessionWrite, TabSelector};

use crate::config::MultiAccountConfig;

/// The request's inputs to a flow, as the core needs them.
pub(crate) fn flow_request(parts: &Parts, csrf_token: Option<String>) -> FlowRequest {
    let header = |name: HeaderName, invalid: Option<&str>| {
        parts.headers.get(name).and_then(|value| value.to_str().ok().or(invalid)).map(str::to_owned)
    };
    let forwarded = |name: &'static str| header(HeaderName::from_static(name), None);
    let scheme = forwarded("x-forwarded-proto")
        .or_else(|| parts.uri.scheme_str().map(str::to_owned))
        .unwrap_or_else(|| "http".to_owned());
    let host = forwarded("x-forwarded-host")
        .or_else(|| header(header::HOST, None))
        .or_else(|| parts.uri.authority().map(|authority| authority.to_string()))
        .unwrap_or_default();
    FlowRequest {
        csrf_token,
        origin: format!("{scheme}://{host}"),
        sec_fetch_site: header(HeaderName::from_static("sec-fetch-site"), Some("invalid")),
        origin_header: header(header::ORIGIN, Some("invalid")),
        referer: header(header::REFERER, None),
    }
}

/// The app's redirect hooks, for one request.
pub(crate) struct RequestDestinations<'a> {
    pub(crate) config: &'a MultiAccountConfig,
    pub(crate) parts: &'a Parts,
}

impl Destinations for RequestDestinations<'_> {
    fn after_link(&self) -> String {
        self.config.handlers.after_link_path(self.parts)
    }

    fn after_switch(&self) -> String {
        self.config.handlers.after_switch_path(self.parts)
    }

    fn sign_in(&self, link: &str) -> String {
        self.config.handlers.sign_in_path(self.parts, link)
    }

    fn signed_out(&self) -> String {
        self.config.handlers.sign_out_path(self.parts)
    }
}

/// The tab the request names: the path prefix the
/// [`TabPrefixLayer`](crate::TabPrefixLayer) took, or the tab header (JSON
/// clients), with per-tab accounts on.
pub(crate) fn tab(parts: &Parts) -> Option<TabSelector> {
    if let Some(selector) = parts.extensions.get::<TabSelector>() {
        return Some(selector.clone());
    }
    let tabs = parts.extensions.get::<MultiAccountConfig>()?.core.tabs()?;
    tabs.header_selector(parts.headers.get(tabs.header()).map(|value| value.as_bytes()))
}

/// The value of the remembered accounts' cookie in the request, when they are on.
pub(crate) fn remembered_cookie(parts: &Parts) -> Option<&str> {
    let remembered = parts.extensions.get::<MultiAccountConfig>()?.core.remembered()?;
    remembered.find_cookie(parts.headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()))
}

/// The cookies a request's decisions set, added to its response by the
/// [`MultiAccountLayer`](crate::MultiAccountLayer) (extractors have no response).
#[derive(Clone, Debug, Default)]
pub(crate) struct ResponseCookies(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<String>>>);

/// Queues the `SetCookie` writes of `writes` for the response.
pub(crate) fn set_cookies(parts: &Parts, writes: &[SessionWrite]) {
    for write in writes {
        if let SessionWrite::SetCookie { header } = write {
            match parts.extensions.get::<ResponseCookies>() {
                Some(cookies) => match cookies.0.lock() {
                    Ok(mut cookies) => cookies.push(header.clone()),
                    Err(_) => tracing::error!("multi-account: the response cookies were poisoned"),
                },
                None => tracing::error!("multi-account: a cookie to set, but no MultiAccountLayer on this route"),
            }
        }
    }
}

/// Whether `query` holds the flag `name` (`name`, or `name=` any value but
/// `0`, `false`, `off` or `no`).
pub(crate) fn has_flag(query: Option<&str>, name: &str) -> bool {
    multi_account::session::query_flag(query.unwrap_or_default(), name)
}
