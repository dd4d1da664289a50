//! Extractors for handlers: the current user, the primary user and the whole
//! multi-account state. Each loads lazily, at most once per request.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use std::cell::OnceCell;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use multi_account::session::Accounts;
use multi_account::{AccountGroup, MultiAccountUser};

use crate::config::MultiAccountConfig;
use crate::csrf::csrf_token;
use crate::error::MultiAccountError;
use crate::loader::{config, load};
use multi_account::session::AccountSwitcher;

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The signed-in account acting now. Refuses with 401 when nobody is signed in;
/// use `Option<CurrentUser<U>>` for pages open to everyone.
///
/// ```
/// # mod user {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
/// #     #[sea_orm(table_name = "users")]
/// #     #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i64,
/// #         pub email: String,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// # mod linked_account {
/// #     #[derive(multi_account::LinkedAccount)]
/// #     #[linked_account(user = crate::user::Entity)]
/// #     pub struct LinkedAccount;
/// # }
/// use multi_account_actix::CurrentUser;
///
/// async fn home(CurrentUser(user): CurrentUser<user::Model>) -> String {
///     format!("Signed in as {}", user.email)
/// }
/// # fn main() {}
/// ```
#[derive(Clone, Debug)]
pub struct CurrentUser<U>(pub U);

impl<U: MultiAccountUser> FromRequest for CurrentUser<U> {
    type Error = MultiAccountError;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let accounts = load::<U>(&req).await?;
            accounts
                .current
                .clone()
                .map(CurrentUser)
                .ok_or(MultiAccountError::Refused(multi_account::session::Refusal::Unauthorized))
        })
    }
}

/// The primary account of a multi-account session. Refuses with 401 outside
/// multi-account mode; use `Option<PrimaryUser<U>>` to make it optional.
#[derive(Clone, Debug)]
pub struct PrimaryUser<U>(pub U);

impl<U: MultiAccountUser> FromRequest for PrimaryUser<U> {
    type Error = MultiAccountError;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let accounts = load::<U>(&req).await?;
            let primary = accounts.group.as_ref().map(|group| group.primary().clone());
            primary.map(PrimaryUser).ok_or(MultiAccountError::Refused(multi_account::session::Refusal::Unauthorized))
        })
    }
}

/// Everything about the signed-in accounts: current, primary and group, plus what
/// the account switcher needs. Never refuses for being signed out (a valid
/// state); a page whose tab (`/u/{slot}/…`) no account holds is sent to itself
/// without the tab (303), a JSON client's tab header refused (404).
pub struct SignedInAccounts<U> {
    accounts: Rc<Accounts<U>>,
    config: MultiAccountConfig,
    session: Session,
    /// Minted on first use only, so an anonymous page view writes no session.
    csrf_token: OnceCell<String>,
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
        self.group().map(AccountGroup::primary)
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

    /// The session's CSRF token, for your own forms. Created (written to the
    /// session) on first use: a page that never asks for it, such as an
    /// anonymous visitor's, writes no session. Empty if the session cannot be
    /// written (logged).
    pub fn csrf_token(&self) -> &str {
        self.csrf_token.get_or_init(|| match csrf_token(&self.session) {
            Ok(token) => token,
            Err(error) => {
                tracing::error!(%error, "multi-account: could not write the CSRF token");
                String::new()
            }
        })
    }

    /// The account switcher view model, ready for any template engine.
    pub fn switcher(&self) -> AccountSwitcher<U::Display> {
        // Signed out, the switcher has no forms but remembered accounts'
        // "Forget": no token, no session write, without them.
        let forms = self.current().is_some() || !self.accounts.remembered().is_empty();
        let token = if forms { self.csrf_token() } else { "" };
        AccountSwitcher::new(&self.accounts, token, self.config.paths(), self.config.get_switch)
    }
}

impl<U: MultiAccountUser> FromRequest for SignedInAccounts<U> {
    type Error = MultiAccountError;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let config = config(&req)?.get_ref().clone();
            let accounts = load::<U>(&req).await?;
            Ok(SignedInAccounts { accounts, config, session: req.get_session(), csrf_token: OnceCell::new() })
        })
    }
}
