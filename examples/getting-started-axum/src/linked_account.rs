//! The linked-accounts entity, generated whole by the derive.

/// Which accounts are linked in which browser session.
#[derive(multi_account::LinkedAccount)]
#[linked_account(user = crate::user::Entity)] // table_name = "linked_accounts" by default
pub struct LinkedAccount;
