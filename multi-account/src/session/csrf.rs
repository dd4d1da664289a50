//! A synchronizer-token CSRF defence: one random token per session, sent with
//! every state change, compared in constant time, and rotated on every
//! privilege change.

use subtle::ConstantTimeEq;

use super::change::SessionChange;
use super::keys;
use super::state::SessionState;

/// The length of a token.
pub(crate) const TOKEN_LEN: usize = 64;

fn new_token() -> String {
    // 244 random bits from the OS generator.
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Whether `presented` is this session's token (constant-time comparison). A
/// session without a token accepts nothing.
pub(crate) fn verify(state: &SessionState, presented: Option<&str>) -> bool {
    let (Some(expected), Some(presented)) = (state.csrf_token(), presented) else {
        return false;
    };
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

impl SessionChange {
    /// The session's token, created (written) on first use.
    pub(crate) fn csrf_token(&mut self) -> String {
        match self.state().csrf_token() {
            Some(token) => token.to_owned(),
            None => self.rotate_csrf(),
        }
    }

    /// Replaces the token, invalidating every form rendered before.
    pub(crate) fn rotate_csrf(&mut self) -> String {
        let token = new_token();
        self.insert(keys::CSRF_TOKEN, token.clone());
        token
    }

    /// A privilege change: a new session id and a new CSRF token.
    pub(crate) fn renew_privileges(&mut self) {
        self.renew();
        self.rotate_csrf();
    }
}
