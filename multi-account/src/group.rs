//! A session's account group (loaded by [`crate::group_query`]).

use crate::user::MultiAccountUser;

/// The accounts of one browser session: the primary account, then the active
/// linked accounts in the order they were linked. Inactive and deleted users are
/// never in it.
#[derive(Clone, Debug)]
pub struct AccountGroup<U> {
    primary: U,
    linked: Vec<U>,
    open: bool,
}

impl<U: MultiAccountUser> AccountGroup<U> {
    pub(crate) fn new(primary: U, linked: Vec<U>, open: bool) -> Self {
        Self { primary, linked, open }
    }

    /// Whether this browser session opened the group (its row exists, see
    /// [`LinkService::open_group`](crate::LinkService::open_group)). Only an open
    /// group has linked accounts and takes new ones; a group signed out of (or
    /// never opened) is its primary alone.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The primary account (the one that signed in first).
    pub fn primary(&self) -> &U {
        &self.primary
    }

    /// The linked accounts, in link order.
    pub fn linked(&self) -> &[U] {
        &self.linked
    }

    /// Every account: primary first, then linked in link order.
    pub fn iter(&self) -> impl Iterator<Item = &U> {
        std::iter::once(&self.primary).chain(self.linked.iter())
    }

    /// The account with `id`, if it is in the group.
    pub fn get(&self, id: &U::Id) -> Option<&U> {
        self.iter().find(|user| &user.id() == id)
    }

    /// Whether the account with `id` is in the group.
    pub fn contains(&self, id: &U::Id) -> bool {
        self.get(id).is_some()
    }

    /// Number of accounts, primary included.
    pub fn len(&self) -> usize {
        1 + self.linked.len()
    }

    /// Always `false`: a group has at least its primary. Present for clippy's
    /// `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Keeps only the linked accounts for which `keep` is true (the primary stays).
    pub fn retain_linked(&mut self, keep: impl FnMut(&U) -> bool) {
        self.linked.retain(keep);
    }

    /// Splits the group into primary and linked accounts.
    pub fn into_parts(self) -> (U, Vec<U>) {
        (self.primary, self.linked)
    }
}
