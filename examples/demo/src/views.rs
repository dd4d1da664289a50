//! The demo's pages as HTML, whichever framework serves them: the same
//! templates and the same context for actix-web and axum (the footer names it).

use minijinja::context;
use multi_account::session::AccountSwitcher;
use serde::Serialize;

use crate::User;
use crate::database::{DEMO_PASSWORD, DEMO_USERS};
use crate::entities::user::UserStatus;
use crate::settings::Framework;
use crate::templates;

/// The signed-in account as the page header shows it.
#[derive(Serialize)]
pub(crate) struct AccountView {
    id: String,
    name: String,
    email: String,
    initial: String,
}

impl AccountView {
    pub(crate) fn of(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            name: user.name.clone(),
            email: user.email.clone(),
            initial: user.name.chars().next().unwrap_or('?').to_uppercase().collect(),
        }
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
pub(crate) fn home<D: Serialize>(
    framework: Framework,
    current: Option<&User>,
    switcher: Option<AccountSwitcher<D>>,
    flash: Option<String>,
) -> Result<String, minijinja::Error> {
    templates::render(
        "home.html",
        context! {
            framework => framework.to_string(),
            current => current.map(AccountView::of),
            switcher,
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
    pub(crate) error: Option<&'static str>,
    /// The account a new one is being added to, when adding.
    pub(crate) adding_to: Option<AccountView>,
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
            demo_accounts => demo_accounts(),
            demo_password => DEMO_PASSWORD,
        },
    )
}

/// The link flow's auto-submit page: a form posting `csrf_token` to `action`.
pub(crate) fn link(framework: Framework, action: &str, csrf_token: &str) -> Result<String, minijinja::Error> {
    let form = context! { action, csrf_field => multi_account::session::html::CSRF_FIELD, csrf_token };
    templates::render("link.html", context! { framework => framework.to_string(), form })
}
