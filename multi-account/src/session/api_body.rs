//! What the JSON API answers: plain data (`Serialize`), the same view of the
//! session's accounts as the switcher's, with actions instead of forms.

use serde::Serialize;

use super::accounts::Accounts;
use super::change::SessionWrite;
use super::decision::Refusal;
use crate::MultiAccountUser;

/// A JSON API decision: apply `writes` in order, then answer `status` with
/// `body` as `application/json`.
#[derive(Debug)]
pub struct ApiDecision<D> {
    /// The HTTP status.
    pub status: u16,
    /// The response body.
    pub body: ApiBody<D>,
    /// The session writes to apply first.
    pub writes: Vec<SessionWrite>,
}

/// A JSON API response body.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ApiBody<D> {
    /// The session's accounts (every success but a link's start).
    Accounts(ApiAccounts<D>),
    /// A link started: where to sign the next account in.
    LinkStarted(ApiLinkStarted),
    /// A refusal.
    Error(ApiError),
}

/// The accounts of this browser's session.
#[derive(Clone, Debug, Serialize)]
pub struct ApiAccounts<D> {
    /// Primary first, then the linked accounts in link order, then an account
    /// signed in to be added (`pending`). Empty when signed out.
    pub accounts: Vec<ApiAccount<D>>,
    /// What the session allows as a whole.
    pub actions: Vec<SessionAction>,
    /// The CSRF token every state change sends in `X-CSRF-Token`. A privilege
    /// change rotates it: use the newest one answered. `null` right after
    /// signing out of all accounts (the session is gone; ask for the accounts
    /// again for a token).
    pub csrf_token: Option<String>,
    /// The accounts this browser remembers that are not signed in here, the
    /// one signed in most recently first; absent unless remembered accounts
    /// are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remembered: Option<Vec<ApiRemembered>>,
}

/// A remembered account: signed out, with what the app chose to remember.
#[derive(Clone, Debug, Serialize)]
pub struct ApiRemembered {
    /// Its id: `POST {api}/again/{id}` signs it in again (adds it to the
    /// group), `POST {api}/forget/{id}` forgets it.
    pub id: String,
    /// The identifier the app chose to remember (the sign-in page's hint).
    pub hint: Option<String>,
    /// The display fields the app marked safe to remember.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// What the browser may do with it: always `sign_in_again` and `forget`.
    pub actions: Vec<RememberedAction>,
}

/// What a remembered account allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RememberedAction {
    /// `POST {api}/again/{id}`: add it to the group again (signed in), or
    /// sign in with its hint (signed out).
    SignInAgain,
    /// `POST {api}/forget/{id}`: this browser forgets it.
    Forget,
}

impl From<&super::remembered::RememberedAccount> for ApiRemembered {
    fn from(account: &super::remembered::RememberedAccount) -> Self {
        Self {
            id: account.id.clone(),
            hint: account.hint.clone(),
            fields: account.fields.clone(),
            actions: vec![RememberedAction::SignInAgain, RememberedAction::Forget],
        }
    }
}

/// One account of the session.
#[derive(Clone, Debug, Serialize)]
pub struct ApiAccount<D> {
    /// The account id (text form).
    pub id: String,
    /// The account's display fields.
    pub user: D,
    /// This account acts now.
    pub current: bool,
    /// The primary account (alone, the signed-in account is its own primary).
    pub primary: bool,
    /// Signed in during "Add another account" but not linked yet: not a member
    /// of the group until `finish_link`.
    pub pending: bool,
    /// What may be done to this account.
    pub actions: Vec<AccountAction>,
    /// Its stable tab slot, when the app turned per-tab accounts on: send it
    /// in the tab header to act as this account. `null` otherwise, and for a
    /// pending account.
    pub slot: Option<u32>,
}

/// An action on one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountAction {
    /// `POST {api}/switch/{id}`.
    Switch,
    /// `POST {api}/remove/{id}`.
    Remove,
    /// `POST {api}/link/complete`: adds this pending account to the group.
    FinishLink,
}

/// An action of the session as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionAction {
    /// `POST {api}/link/start`.
    AddAccount,
    /// `POST {api}/sign-out-all`.
    SignOutAll,
}

/// A started link: sign the next account in, then complete it.
#[derive(Clone, Debug, Serialize)]
pub struct ApiLinkStarted {
    /// The app's sign-in page for this link (for a client that signs in by
    /// page); a JSON client signs in through the app's own JSON sign-in.
    pub sign_in: String,
    /// Where to `POST` once the next account signed in.
    pub complete: String,
    /// Seconds the link waits for that sign-in.
    pub expires_in: u64,
    /// The CSRF token (unchanged by the start).
    pub csrf_token: String,
}

/// A refusal: a stable `code` (see [`Refusal`]) and a message for people.
#[derive(Clone, Debug, Serialize)]
pub struct ApiError {
    /// The stable code.
    pub code: &'static str,
    /// A human-readable message (never a reason kept for the logs).
    pub message: String,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        Self { code: refusal.code(), message: refusal.public_message() }
    }
}

impl<D> ApiAccounts<D> {
    /// The view of `accounts`, with `csrf_token` for the client.
    pub(crate) fn new<U: MultiAccountUser<Display = D>>(accounts: &Accounts<U>, csrf_token: Option<String>) -> Self {
        let listed = accounts
            .standings()
            .into_iter()
            .map(|(user, standing)| {
                let mut actions = Vec::new();
                if !standing.current {
                    actions.push(AccountAction::Switch);
                }
                if standing.member && !standing.primary {
                    actions.push(AccountAction::Remove);
                }
                if standing.pending {
                    actions.push(AccountAction::FinishLink);
                }
                ApiAccount {
                    // A pending account is no member yet: no tab selects it.
                    slot: (!standing.pending).then(|| accounts.slot_of(&user.id())).flatten(),
                    id: user.id().to_string(),
                    user: user.display(),
                    current: standing.current,
                    primary: standing.primary,
                    pending: standing.pending,
                    actions,
                }
            })
            .collect();
        let actions = match accounts.anchor_id() {
            Some(_) => vec![SessionAction::AddAccount, SessionAction::SignOutAll],
            None => Vec::new(),
        };
        let remembered = accounts.remembered.as_ref().map(|list| list.iter().map(ApiRemembered::from).collect());
        Self { accounts: listed, actions, csrf_token, remembered }
    }
}
