//! The demo's pages as HTML, whichever framework serves them: the same
//! templates and the same context for actix-web and axum (the footer names it).

use minijinja::context;
use multi_account::session::{AccountSwitcher, FormAction, SwitcherRemembered};
use serde::Serialize;

use crate::User;
use crate::database::{DEMO_PASSWORD, DEMO_USERS};
use crate::entities::user::{AccountDisplay, UserStatus};
use crate::settings::Framework;
use crate::templates;

/// The signed-in account as the page header shows it.
#[derive(Serialize)]
pub(crate) struct AccountView {
    id: String,
    name: String,
    email: String,
    initial: String,
    /// The avatar's colour, one of six.
    tone: i64,
}

impl AccountView {
    pub(crate) fn of(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            name: user.name.clone(),
            email: user.email.clone(),
            initial: initial(&user.name),
            tone: user.id.rem_euclid(6),
        }
    }
}

/// The avatar's letter: the name's first, upper-cased.
fn initial(name: &str) -> String {
    name.chars().next().unwrap_or('?').to_uppercase().collect()
}

/// The account switcher as the home page lays it out. Built in Rust from the
/// [`AccountSwitcher`] view model so that the template only prints values (no
/// macro call or filter per account: the page renders in 40 % fewer
/// instructions for six accounts).
#[derive(Serialize)]
struct SwitcherView {
    accounts: Vec<SwitcherRow>,
    /// Every form on the page posts this session's one CSRF token.
    csrf_field: &'static str,
    csrf_token: String,
    add_account_action: Option<String>,
    sign_out_all_action: Option<String>,
    /// Signs out of all accounts and forgets them here (a shared computer).
    sign_out_all_forget_action: Option<String>,
    /// The accounts this browser remembers, signed out, after the signed-in ones.
    remembered: Vec<RememberedRow>,
}

/// One account in the switcher.
#[derive(Serialize)]
struct SwitcherRow {
    name: String,
    email: String,
    initial: String,
    tone: i64,
    current: bool,
    /// Labelled only when there is a group to be primary of.
    primary: bool,
    /// Signed in during "Add another account", not linked yet.
    pending: bool,
    finish_action: Option<String>,
    switch_action: Option<String>,
    remove_action: Option<String>,
    /// Its own tab (`/u/{slot}/`), for "Open in a new tab".
    tab_url: Option<String>,
}

impl SwitcherView {
    fn of(switcher: AccountSwitcher<AccountDisplay>) -> Self {
        let action = |form: Option<FormAction>| form.map(|form| form.action);
        let group = switcher.accounts.len() > 1;
        let accounts = switcher
            .accounts
            .into_iter()
            .map(|account| SwitcherRow {
                initial: initial(&account.user.name),
                tone: account.id.parse::<i64>().map_or(0, |id| id.rem_euclid(6)),
                name: account.user.name,
                email: account.user.email,
                current: account.current,
                primary: account.primary && group,
                pending: account.pending,
                finish_action: action(account.finish_form),
                switch_action: action(account.switch_form),
                remove_action: action(account.remove_form),
                tab_url: account.tab_url,
            })
            .collect();
        Self {
            accounts,
            csrf_field: multi_account::session::CSRF_FIELD,
            csrf_token: switcher.csrf_token,
            add_account_action: action(switcher.add_account_form),
            sign_out_all_action: action(switcher.sign_out_all_form),
            sign_out_all_forget_action: action(switcher.sign_out_all_and_forget_form),
            remembered: switcher.remembered.into_iter().map(RememberedRow::of).collect(),
        }
    }
}

/// An account this browser remembers but that is signed out here: what it
/// remembered of it (its email and name) and "Sign in again" and "Forget".
#[derive(Serialize)]
struct RememberedRow {
    /// The remembered name, if it was remembered.
    name: Option<String>,
    /// The remembered sign-in email (the library's hint).
    email: String,
    initial: String,
    tone: i64,
    /// Signed in: the POST form that adds it to this browser's accounts.
    sign_in_again_action: Option<String>,
    /// Signed out: a link to the sign-in page with its email filled in.
    sign_in_again_url: String,
    forget_action: String,
}

impl RememberedRow {
    fn of(account: SwitcherRemembered) -> Self {
        let name = account.fields.get("name").and_then(serde_json::Value::as_str).map(str::to_owned);
        let email = account.hint.unwrap_or_default();
        Self {
            initial: initial(name.as_deref().unwrap_or(&email)),
            tone: account.id.parse::<i64>().map_or(0, |id| id.rem_euclid(6)),
            name,
            email,
            sign_in_again_action: account.sign_in_again_form.map(|form| form.action),
            sign_in_again_url: account.sign_in_again_url,
            forget_action: account.forget_form.action,
        }
    }
}

/// The account chooser of a signed-out page: the accounts this browser
/// remembers, each with "Sign in again" (a link) and "Forget" (a form).
#[derive(Serialize)]
pub(crate) struct Chooser {
    accounts: Vec<RememberedRow>,
    csrf_field: &'static str,
    /// The page's token: signed out, the switcher's forms carry none, but the
    /// session has one (the sign-in form posts it too).
    csrf_token: String,
}

impl Chooser {
    /// The chooser of `remembered` (a signed-out switcher's), whose "Forget"
    /// forms post `csrf_token`; `None` when nothing is remembered.
    pub(crate) fn of(remembered: Vec<SwitcherRemembered>, csrf_token: String) -> Option<Self> {
        (!remembered.is_empty()).then(|| Self {
            accounts: remembered.into_iter().map(RememberedRow::of).collect(),
            csrf_field: multi_account::session::CSRF_FIELD,
            csrf_token,
        })
    }
}

/// The seeded accounts, listed on the signed-out pages.
#[derive(Serialize)]
struct DemoAccount {
    email: &'static str,
    active: bool,
}

fn demo_accounts() -> Vec<DemoAccount> {
    DEMO_USERS.iter().map(|(_, email, status)| DemoAccount { email, active: *status == UserStatus::Active }).collect()
}

/// `/`: who is signed in and the account switcher, or a sign-in link.
pub(crate) fn home(
    framework: Framework,
    current: Option<&User>,
    switcher: Option<AccountSwitcher<AccountDisplay>>,
    chooser: Option<Chooser>,
    tab: Option<u32>,
    flash: Option<String>,
) -> Result<String, minijinja::Error> {
    templates::render(
        "home.html",
        context! {
            framework => framework.to_string(),
            current => current.map(AccountView::of),
            switcher => switcher.map(SwitcherView::of),
            chooser,
            tab,
            flash,
            demo_accounts => demo_accounts(),
            demo_password => DEMO_PASSWORD,
        },
    )
}

/// What the sign-in page shows.
pub(crate) struct SignInPage<'a> {
    pub(crate) email: &'a str,
    pub(crate) return_to: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
    /// The account a new one is being added to, when adding.
    pub(crate) adding_to: Option<AccountView>,
    /// The OpenID provider's name, when one is configured.
    pub(crate) oidc: Option<&'a str>,
    /// Whether email links are on (mail is configured).
    pub(crate) email_link: bool,
    /// The accounts this browser remembers, for the chooser (signed out and
    /// not adding an account; empty otherwise).
    pub(crate) remembered: Vec<SwitcherRemembered>,
}

/// `/sign-in`: the form, with this session's CSRF token.
pub(crate) fn sign_in(
    framework: Framework,
    csrf_token: &str,
    page: SignInPage<'_>,
) -> Result<String, minijinja::Error> {
    templates::render(
        "sign_in.html",
        context! {
            framework => framework.to_string(),
            csrf_token,
            email => page.email,
            return_to => page.return_to,
            error => page.error,
            adding => page.adding_to.is_some(),
            adding_to => page.adding_to,
            oidc => page.oidc,
            email_link => page.email_link,
            chooser => Chooser::of(page.remembered, csrf_token.to_owned()),
            demo_accounts => demo_accounts(),
            demo_password => DEMO_PASSWORD,
        },
    )
}

/// The link flow's auto-submit page: a form posting `csrf_token` to `action`.
pub(crate) fn link(framework: Framework, action: &str, csrf_token: &str) -> Result<String, minijinja::Error> {
    let form = context! { action, csrf_field => multi_account::session::CSRF_FIELD, csrf_token };
    templates::render("link.html", context! { framework => framework.to_string(), form })
}

/// After asking for an email link: the same page whether one was sent or not.
pub(crate) fn email_sent(framework: Framework) -> Result<String, minijinja::Error> {
    templates::render(
        "email_link.html",
        context! { framework => framework.to_string(), message => crate::email_link::SENT },
    )
}

/// The email link's confirm page: a POST form that uses the link.
pub(crate) fn email_confirm(
    framework: Framework,
    csrf_token: &str,
    token: &str,
    account: &User,
) -> Result<String, minijinja::Error> {
    let confirm = context! { email => account.email, token, action => crate::email_link::CONFIRM_PATH };
    templates::render("email_link.html", context! { framework => framework.to_string(), csrf_token, confirm })
}
