//! The account switcher view model: plain data (`Serialize`), no markup, so any
//! template engine renders it.

use multi_account::MultiAccountUser;
use serde::Serialize;

use crate::config::MultiAccountConfig;
use crate::csrf::CSRF_FIELD;
use crate::extractors::MultiAccount;
use multi_account::session::html::percent_encode;

/// A form to POST: action URL plus the CSRF field to include.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FormAction {
    /// Where the form posts.
    pub action: String,
    /// Always `"post"`.
    pub method: &'static str,
    /// The CSRF field name (`csrf_token`).
    pub csrf_field: &'static str,
    /// The CSRF token value.
    pub csrf_token: String,
}

impl FormAction {
    fn post(action: String, csrf_token: &str) -> Self {
        Self { action, method: "post", csrf_field: CSRF_FIELD, csrf_token: csrf_token.to_owned() }
    }
}

/// One account in the switcher.
#[derive(Clone, Debug, Serialize)]
pub struct SwitcherAccount<D> {
    /// The account id (text form).
    pub id: String,
    /// The `display_fields` projection.
    pub user: D,
    /// This is the account acting now.
    pub current: bool,
    /// This is the primary account.
    pub primary: bool,
    /// The switch as a POST form; `None` for the current account. Prefer it.
    pub switch_form: Option<FormAction>,
    /// A GET link that switches to this account (CSRF token in the query), only
    /// with [`MultiAccountConfig::with_get_switch`]; `None` otherwise and for the
    /// current account.
    pub switch_url: Option<String>,
    /// Removes this account from the group; `None` for the primary (use
    /// sign-out-all) and outside multi-account mode.
    pub remove_form: Option<FormAction>,
}

/// The account switcher for one page.
#[derive(Clone, Debug, Serialize)]
pub struct AccountSwitcher<D> {
    /// The accounts: primary first, then linked ones in link order.
    pub accounts: Vec<SwitcherAccount<D>>,
    /// Starts adding another account (a POST form); `None` when signed out.
    pub add_account_form: Option<FormAction>,
    /// A page with that form, for a plain link; `None` when signed out.
    pub add_account_url: Option<String>,
    /// Signs out of every account in this browser; `None` when signed out.
    pub sign_out_all_form: Option<FormAction>,
    /// The session's CSRF token.
    pub csrf_token: String,
}

impl<D> AccountSwitcher<D> {
    pub(crate) fn new<U>(state: &MultiAccount<U>, config: &MultiAccountConfig) -> Self
    where
        U: MultiAccountUser<Display = D>,
    {
        let paths = config.paths();
        // Signed out, the switcher has no forms: no token, no session write.
        let token = if state.current().is_some() { state.csrf_token() } else { "" };
        let current_id = state.current().map(MultiAccountUser::id);
        let primary_id = state.primary().map(MultiAccountUser::id);
        let group = state.group();
        let accounts = state
            .accounts()
            .into_iter()
            .map(|user| {
                let id = user.id();
                let text = id.to_string();
                let current = current_id.as_ref() == Some(&id);
                let primary = primary_id.as_ref() == Some(&id);
                let switch_path = paths.switch_url(&text);
                SwitcherAccount {
                    user: user.display(),
                    current,
                    primary,
                    switch_url: (!current && config.get_switch)
                        .then(|| format!("{switch_path}?{CSRF_FIELD}={}", percent_encode(token, false))),
                    switch_form: (!current).then(|| FormAction::post(switch_path.clone(), token)),
                    remove_form: (!primary && group.is_some_and(|group| group.contains(&id)))
                        .then(|| FormAction::post(paths.remove_url(&text), token)),
                    id: text,
                }
            })
            .collect();
        let anchor = primary_id.or(current_id);
        Self {
            accounts,
            add_account_form: anchor.as_ref().map(|id| FormAction::post(paths.link_start_url(id), token)),
            add_account_url: anchor.as_ref().map(|id| paths.link_url(id)),
            sign_out_all_form: anchor.map(|_| FormAction::post(paths.sign_out_all.clone(), token)),
            csrf_token: token.to_owned(),
        }
    }
}
