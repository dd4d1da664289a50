//! Loads who is signed in (current, primary, group) once per request, on the
//! first extractor that asks: the core resolves, this applies its writes.

use std::rc::Rc;

use actix_session::SessionExt;
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpRequest};
use multi_account::MultiAccountUser;
use multi_account::session::Accounts;
use tokio::sync::OnceCell;

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;
use crate::request::tab;
use crate::session_state;

/// The per-request slot: one `OnceCell` so that extractors polled together
/// still share one load.
type Slot<U> = Rc<OnceCell<Rc<Accounts<U>>>>;

pub(crate) fn config(req: &HttpRequest) -> Result<Data<MultiAccountConfig>, MultiAccountError> {
    req.app_data::<Data<MultiAccountConfig>>().cloned().ok_or(MultiAccountError::NotConfigured)
}

/// The accounts of this request, loading them on first use.
pub(crate) async fn load<U: MultiAccountUser>(req: &HttpRequest) -> Result<Rc<Accounts<U>>, MultiAccountError> {
    let config = config(req)?;
    let slot = {
        let mut extensions = req.extensions_mut();
        match extensions.get::<Slot<U>>() {
            Some(slot) => slot.clone(),
            None => {
                let slot: Slot<U> = Rc::default();
                extensions.insert(slot.clone());
                slot
            }
        }
    };
    let accounts = slot
        .get_or_init(|| async {
            let session = req.get_session();
            let state = session_state::read(&session, config.core.identity_key())
                .with_tab(tab(req))
                .with_remembered_cookie(crate::request::remembered_cookie(req));
            let resolution = config.core.resolve::<U>(&state).await;
            session_state::apply_logged(&session, &resolution.writes);
            crate::request::set_cookies(req, &resolution.writes);
            Rc::new(resolution.accounts)
        })
        .await;
    if accounts.is_tab_refused() {
        return Err(refused_tab(req));
    }
    Ok(accounts.clone())
}

/// A request whose tab no account holds: a page goes to itself without the tab
/// (the load left the reason for it), a JSON client is refused.
fn refused_tab(req: &HttpRequest) -> MultiAccountError {
    match tab(req) {
        Some(selector) if selector.is_path() => {
            let path = req.uri().path_and_query().map_or("/", |path| path.as_str());
            MultiAccountError::LeaveTab(multi_account::session::local_path(path).unwrap_or("/").to_owned())
        }
        _ => MultiAccountError::Refused(multi_account::session::Refusal::UnknownSlot),
    }
}
