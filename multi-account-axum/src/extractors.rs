//! Extractors for handlers: the current user, the primary user and the whole
//! multi-account state. They share one load per request.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use multi_account::session::{AccountSwitcher, Accounts};
use multi_account::{AccountGroup, MultiAccountUser};
use tokio::sync::OnceCell;
use tower_sessions::Session;

use crate::config::MultiAccountConfig;
use crate::error::MultiAccountError;
use crate::request::tab;
use crate::session_state;

/// The per-request slot, shared by every extractor of the request.
type Slot<U> = Arc<OnceCell<Arc<Accounts<U>>>>;

/// The config the layer put in the request.
pub(crate) fn config(parts: &Parts) -> Result<MultiAccountConfig, MultiAccountError> {
    parts.extensions.get::<MultiAccountConfig>().cloned().ok_or(MultiAccountError::NotConfigured)
}

/// tower-sessions' session of the request.
pub(crate) fn session(parts: &Parts) -> Result<Session, MultiAccountError> {
    parts.extensions.get::<Session>().cloned().ok_or(MultiAccountError::NotConfigured)
}

/// The accounts of this request, resolved on first use: the core decides, this
/// applies its writes.
pub(crate) async fn load<U: MultiAccountUser>(parts: &mut Parts) -> Result<Arc<Accounts<U>>, MultiAccountError> {
    let config = config(parts)?;
    let session = session(parts)?;
    let slot = match parts.extensions.get::<Slot<U>>() {
        Some(slot) => slot.clone(),
        None => {
            let slot: Slot<U> = Arc::default();
            parts.extensions.insert(slot.clone());
            slot
        }
    };
    let accounts = slot
        .get_or_try_init(|| async {
            let state = session_state::read(&session)
                .await?
                .with_tab(tab(parts))
                .with_remembered_cookie(crate::request::remembered_cookie(parts));
            let resolution = config.core.resolve::<U>(&state).await;
            session_state::apply(&session, &resolution.writes).await?;
            crate::request::set_cookies(parts, &resolution.writes);
            Ok::<_, MultiAccountError>(Arc::new(resolution.accounts))
        })
        .await?;
    if accounts.is_tab_refused() {
        return Err(refused_tab(parts));
    }
    Ok(accounts.clone())
}

/// A request whose tab no account holds: a page goes to itself without the tab
/// (the load left the reason for it), a JSON client is refused.
fn refused_tab(parts: &Parts) -> MultiAccountError {
    match tab(parts) {
        Some(selector) if selector.is_path() => {
            let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
            MultiAccountError::LeaveTab(multi_account::session::local_path(path).unwrap_or("/").to_owned())
        }
        _ => MultiAccountError::Refused(multi_account::session::Refusal::UnknownSlot),
    }
}

/// The signed-in account acting now. Refuses with 401 when nobody is signed in;
/// use `Option<CurrentUser<U>>` for pages open to everyone.
#[derive(Clone, Debug)]
pub struct CurrentUser<U>(pub U);

impl<U: MultiAccountUser, S: Send + Sync> FromRequestParts<S> for CurrentUser<U> {
    type Rejection = MultiAccountError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let accounts = load::<U>(parts).await?;
        accounts
            .current
            .clone()
            .map(CurrentUser)
            .ok_or(MultiAccountError::Refused(multi_account::session::Refusal::Unauthorized))
    }
}

impl<U: MultiAccountUser, S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser<U> {
    type Rejection = MultiAccountError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(load::<U>(parts).await?.current.clone().map(CurrentUser))
    }
}

/// The primary account of a multi-account session. Refuses with 401 outside
/// multi-account mode; use `Option<PrimaryUser<U>>` to make it optional.
#[derive(Clone, Debug)]
pub struct PrimaryUser<U>(pub U);

impl<U: MultiAccountUser, S: Send + Sync> FromRequestParts<S> for PrimaryUser<U> {
    type Rejection = MultiAccountError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let accounts = load::<U>(parts).await?;
        accounts
            .primary()
            .cloned()
            .map(PrimaryUser)
            .ok_or(MultiAccountError::Refused(multi_account::session::Refusal::Unauthorized))
    }
}

impl<U: MultiAccountUser, S: Send + Sync> OptionalFromRequestParts<S> for PrimaryUser<U> {
    type Rejection = MultiAccountError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(load::<U>(parts).await?.primary().cloned().map(PrimaryUser))
    }
}

/// Everything about the signed-in accounts: current, primary and group, plus what
/// the account switcher needs. Never refuses for being signed out (a valid
/// state); a page whose tab (`/u/{slot}/…`) no account holds is sent to itself
/// without the tab (303), a JSON client's tab header refused (404).
pub struct SignedInAccounts<U> {
    accounts: Arc<Accounts<U>>,
    config: MultiAccountConfig,
    /// Signed in: the session's token (created if it had none). Signed out:
    /// empty, and nothing written, so an anonymous page view writes no session.
    csrf_token: String,
}

impl<U: std::fmt::Debug> std::fmt::Debug for SignedInAccounts<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The CSRF token stays out of logs.
        f.debug_struct("SignedInAccounts").field("accounts", &self.accounts).finish_non_exhaustive()
    }
}

impl<U: MultiAccountUser> SignedInAccounts<U> {
    /// The account acting now.
    pub fn current(&self) -> Option<&U> {
        self.accounts.current.as_ref()
    }

    /// The primary account, in multi-account mode.
    pub fn primary(&self) -> Option<&U> {
        self.accounts.primary()
    }

    /// The group, in multi-account mode.
    pub fn group(&self) -> Option<&AccountGroup<U>> {
        self.accounts.group.as_ref()
    }

    /// Whether the session holds a group (primary plus links).
    pub fn is_multi_account(&self) -> bool {
        self.accounts.group.is_some()
    }

    /// Every account the switcher lists: the group, or just the current
    /// account, and the [`pending`](Self::pending) one last.
    pub fn accounts(&self) -> Vec<&U> {
        self.accounts.listed()
    }

    /// The slot this request's tab acts on (`/u/{slot}/…` or the tab header),
    /// with per-tab accounts on.
    pub fn tab(&self) -> Option<u32> {
        self.accounts.tab()
    }

    /// The stable tab slot of the listed account `id`, with per-tab accounts on.
    pub fn slot_of(&self, id: &U::Id) -> Option<u32> {
        self.accounts.slot_of(id)
    }

    /// `path` (a local path) as a link from this page: in a tab it keeps the
    /// tab (`/u/{slot}{path}`), so the next page acts as the same account.
    pub fn url_for(&self, path: &str) -> String {
        self.accounts.url_for(path)
    }

    /// The account that signed in during "Add another account" and whose link
    /// is not complete yet: acting now, but not a member of the group (the
    /// switcher marks it `pending`, with the form that finishes adding it).
    pub fn pending(&self) -> Option<&U> {
        self.accounts.pending()
    }

    /// The resolution behind the extractor, for the config's decisions.
    pub(crate) fn resolved(&self) -> &Accounts<U> {
        &self.accounts
    }

    /// The session's CSRF token, for your own forms; empty when signed out
    /// (unless the switcher lists remembered accounts, whose forms need it).
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    /// The account switcher view model, ready for any template engine.
    pub fn switcher(&self) -> AccountSwitcher<U::Display> {
        AccountSwitcher::new(&self.accounts, &self.csrf_token, self.config.paths(), self.config.get_switch)
    }
}

impl<U: MultiAccountUser, S: Send + Sync> FromRequestParts<S> for SignedInAccounts<U> {
    type Rejection = MultiAccountError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let config = config(parts)?;
        let accounts = load::<U>(parts).await?;
        let mut csrf_token = String::new();
        // Signed out, only remembered accounts' "Forget" forms need a token.
        if accounts.current.is_some() || !accounts.remembered().is_empty() {
            let session = session(parts)?;
            // The token is all the decision reads (the load above read the rest).
            let state = session_state::read_keys(&session, &[multi_account::session::keys::CSRF_TOKEN]).await?;
            let (token, writes) = multi_account::session::csrf_token(&state);
            session_state::apply(&session, &writes).await?;
            csrf_token = token;
        }
        Ok(SignedInAccounts { accounts, config, csrf_token })
    }
}
