//! Argon2id password hashing and verification.

use std::sync::LazyLock;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Passwords longer than this are refused without hashing (hashing is
/// deliberately slow; an unbounded input would make it slower still).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct HashError(String);

/// Hashes `password` with Argon2id (default parameters, random salt) into a PHC string.
pub fn hash(password: &str) -> Result<String, HashError> {
    let hash: PasswordHash =
        Argon2::default().hash_password(password.as_bytes()).map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// A hash of a random password, verified against when the email is unknown so that
/// "no such user" takes as long as "wrong password".
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    // Two v4 UUIDs: 244 bits from the OS generator, never a real password.
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    hash(&secret).ok()
});

/// Computes the dummy hash now rather than on the first failed sign-in.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        tracing::warn!("a stored password hash is malformed");
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Spends the time of one verification and returns `false`: for unknown emails.
pub fn verify_dummy(password: &str) -> bool {
    if let Some(phc) = DUMMY_HASH.as_deref() {
        let _ = verify(password, phc);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_reject() {
        let phc = hash("password").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("password", &phc));
        assert!(!verify("Password", &phc));
        assert!(!verify("password", "not a hash"));
        assert!(!verify_dummy("password"));
    }
}
