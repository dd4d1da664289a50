//! A request as the core's flows take it: its inputs (token, origin
//! headers) and the app's redirect hooks for it.

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpRequest};
use multi_account::session::{Destinations, FlowRequest, SessionWrite, TabSelector};

use crate::config::MultiAccountConfig;

/// The request's inputs to a flow, as the core needs them.
pub(crate) fn flow_request(req: &HttpRequest, csrf_token: Option<&str>) -> FlowRequest {
    let header = |name: header::HeaderName, invalid: Option<&str>| {
        req.headers().get(name).and_then(|value| value.to_str().ok().or(invalid)).map(str::to_owned)
    };
    let info = req.connection_info();
    FlowRequest {
        csrf_token: csrf_token.map(str::to_owned),
        origin: format!("{}://{}", info.scheme(), info.host()),
        sec_fetch_site: header(header::HeaderName::from_static("sec-fetch-site"), Some("invalid")),
        origin_header: header(header::ORIGIN, Some("invalid")),
        referer: header(header::REFERER, None),
    }
}

/// The app's redirect hooks, for one request.
pub(crate) struct RequestDestinations<'a> {
    pub(crate) config: &'a MultiAccountConfig,
    pub(crate) req: &'a HttpRequest,
}

impl Destinations for RequestDestinations<'_> {
    fn after_link(&self) -> String {
        self.config.handlers.after_link_path(self.req)
    }

    fn after_switch(&self) -> String {
        self.config.handlers.after_switch_path(self.req)
    }

    fn sign_in(&self, link: &str) -> String {
        self.config.handlers.sign_in_path(self.req, link)
    }

    fn signed_out(&self) -> String {
        self.config.handlers.sign_out_path(self.req)
    }
}

/// The tab the request names: the path prefix [`TabPrefix`](crate::TabPrefix)
/// took, or the tab header (JSON clients), with per-tab accounts on.
pub(crate) fn tab(req: &HttpRequest) -> Option<TabSelector> {
    if let Some(selector) = req.extensions().get::<TabSelector>() {
        return Some(selector.clone());
    }
    let config = req.app_data::<Data<MultiAccountConfig>>()?;
    let tabs = config.core.tabs()?;
    tabs.header_selector(req.headers().get(tabs.header()).map(|value| value.as_bytes()))
}

/// The value of the remembered accounts' cookie in the request, when they are on.
pub(crate) fn remembered_cookie(req: &HttpRequest) -> Option<&str> {
    let remembered = req.app_data::<Data<MultiAccountConfig>>()?.core.remembered()?;
    remembered.find_cookie(req.headers().get_all(header::COOKIE).filter_map(|value| value.to_str().ok()))
}

/// The cookies a request's decisions set, added to its response by the
/// [`SessionToken`](crate::SessionToken) middleware (extractors have no response).
#[derive(Debug, Default)]
pub(crate) struct ResponseCookies(pub(crate) Vec<String>);

/// Queues the `SetCookie` writes of `writes` for the response.
pub(crate) fn set_cookies(req: &HttpRequest, writes: &[SessionWrite]) {
    for write in writes {
        if let SessionWrite::SetCookie { header } = write {
            let mut extensions = req.extensions_mut();
            match extensions.get_mut::<ResponseCookies>() {
                Some(cookies) => cookies.0.push(header.clone()),
                None => {
                    extensions.insert(ResponseCookies(vec![header.clone()]));
                }
            }
        }
    }
}

/// Whether `query` holds the flag `name` (`name`, or `name=` any value but
/// `0`, `false`, `off` or `no`).
pub(crate) fn has_flag(query: &str, name: &str) -> bool {
    multi_account::session::query_flag(query, name)
}
