//! The account switcher view model: plain data (`Serialize`), no markup, so any
//! template engine renders it.

use serde::Serialize;

use super::accounts::Accounts;
use super::html::{CSRF_FIELD, percent_encode};
use super::paths::Paths;
use crate::MultiAccountUser;

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
    /// This is the primary account. Before the first link and after the last
    /// removal alike, the one signed-in account is its own primary.
    pub primary: bool,
    /// Signed in during "Add another account" but not linked yet: not a member
    /// of the group. [`finish_form`](Self::finish_form) completes the link.
    pub pending: bool,
    /// For a pending account: the form that completes its link (the same
    /// CSRF-protected step the auto-submit page posts); `None` otherwise.
    pub finish_form: Option<FormAction>,
    /// The switch as a POST form; `None` for the current account. Prefer it.
    pub switch_form: Option<FormAction>,
    /// A GET link that switches to this account (CSRF token in the query), only
    /// when the app opted in to GET switches (`with_get_switch`); `None`
    /// otherwise and for the current account.
    pub switch_url: Option<String>,
    /// Removes this account from the group; `None` for the primary (use
    /// sign-out-all) and outside multi-account mode.
    pub remove_form: Option<FormAction>,
    /// Its stable tab slot, when per-tab accounts are on; `None` for a pending
    /// account (no tab selects it until it is linked).
    pub slot: Option<u32>,
    /// Its tab's first page (`/u/{slot}/`), for "open in a new tab"; `None`
    /// when per-tab accounts are off and for a pending account.
    pub tab_url: Option<String>,
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
    /// Signs out of every account and forgets the remembered ones too (the
    /// choice for a shared computer); `None` when signed out or when
    /// remembered accounts are off.
    pub sign_out_all_and_forget_form: Option<FormAction>,
    /// The accounts this browser remembers that are not signed in here,
    /// after the signed-in ones: "Signed out", with "Sign in again" and
    /// "Forget". Empty unless remembered accounts are on.
    pub remembered: Vec<SwitcherRemembered>,
    /// The session's CSRF token.
    pub csrf_token: String,
}

/// A remembered (signed-out) account in the switcher.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwitcherRemembered {
    /// Its id.
    pub id: String,
    /// The identifier the app chose to remember (say, the email), if any.
    pub hint: Option<String>,
    /// The display fields the app marked safe to remember.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// "Sign in again" while signed in: the form that adds it to the group
    /// (the sign-in page gets its hint). `None` when nobody is signed in.
    pub sign_in_again_form: Option<FormAction>,
    /// "Sign in again" as a plain link: signed out, the sign-in page with its
    /// hint; signed in, a page with the form above.
    pub sign_in_again_url: String,
    /// "Forget": this browser no longer remembers it.
    pub forget_form: FormAction,
}

impl<D> AccountSwitcher<D> {
    /// The switcher for `accounts`: forms carry `csrf_token` (pass an empty one
    /// when signed out: there are no forms then), paths come from `paths`, and
    /// GET switch links are listed only with `get_switch`.
    pub fn new<U>(accounts: &Accounts<U>, csrf_token: &str, paths: &Paths, get_switch: bool) -> Self
    where
        U: MultiAccountUser<Display = D>,
    {
        let token = csrf_token;
        let primary_id = accounts.anchor_id();
        let listed = accounts
            .standings()
            .into_iter()
            .map(|(user, standing)| {
                let id = user.id();
                let text = id.to_string();
                // From a tab, the forms post in it, so the flow acts as the tab.
                let switch_path = accounts.url_for(&paths.switch_url(&text));
                SwitcherAccount {
                    user: user.display(),
                    current: standing.current,
                    primary: standing.primary,
                    pending: standing.pending,
                    finish_form: standing
                        .pending
                        .then(|| primary_id.as_ref().map(|primary| FormAction::post(paths.link_url(primary), token)))
                        .flatten(),
                    switch_url: (!standing.current && get_switch)
                        .then(|| format!("{switch_path}?{CSRF_FIELD}={}", percent_encode(token, false))),
                    switch_form: (!standing.current).then(|| FormAction::post(switch_path.clone(), token)),
                    remove_form: (!standing.primary && standing.member)
                        .then(|| FormAction::post(accounts.url_for(&paths.remove_url(&text)), token)),
                    // A pending account is no member yet: no tab selects it.
                    slot: (!standing.pending).then(|| accounts.slot_of(&id)).flatten(),
                    tab_url: (!standing.pending).then(|| accounts.url_for_account(&id, "/")).flatten(),
                    id: text,
                }
            })
            .collect();
        let anchor = primary_id;
        Self {
            accounts: listed,
            add_account_form: anchor.as_ref().map(|id| FormAction::post(paths.link_start_url(id), token)),
            add_account_url: anchor.as_ref().map(|id| paths.link_url(id)),
            sign_out_all_and_forget_form: anchor
                .as_ref()
                .filter(|_| accounts.remembered.is_some())
                .map(|_| FormAction::post(format!("{}?forget", paths.sign_out_all), token)),
            remembered: accounts
                .remembered()
                .iter()
                .map(|account| SwitcherRemembered {
                    id: account.id.clone(),
                    hint: account.hint.clone(),
                    fields: account.fields.clone(),
                    sign_in_again_form: anchor.as_ref().map(|_| FormAction::post(paths.again_url(&account.id), token)),
                    sign_in_again_url: paths.again_url(&account.id),
                    forget_form: FormAction::post(paths.forget_url(&account.id), token),
                })
                .collect(),
            sign_out_all_form: anchor.map(|_| FormAction::post(paths.sign_out_all.clone(), token)),
            csrf_token: token.to_owned(),
        }
    }
}
