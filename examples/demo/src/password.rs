//! Argon2id password hashing and verification, and [`HashLimiter`], which
//! bounds how many verifications run at once.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// How long a sign-in waits for a free hashing slot before it is answered
/// "busy" (503) instead of queueing.
pub const HASH_WAIT: Duration = Duration::from_secs(1);

/// The default number of verifications at once: one per CPU, at least 2.
pub fn default_hash_permits() -> usize {
    std::thread::available_parallelism().map_or(2, NonZeroUsize::get).max(2)
}

/// Why [`HashLimiter::verify`] did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// Every slot stayed taken for the whole wait.
    #[error("every password check is busy")]
    Busy,
    /// The blocking pool could not run the check.
    #[error("the password check could not run")]
    Blocking,
}

/// Counts verifications: how many run now, the most that ran at once, and how
/// many finished (for logs, metrics and tests).
#[derive(Debug, Default)]
struct Gauge {
    running: AtomicUsize,
    most: AtomicUsize,
    done: AtomicU64,
}

/// Marks one verification running while it lives.
struct Running<'a>(&'a Gauge);

impl<'a> Running<'a> {
    fn enter(gauge: &'a Gauge) -> Self {
        let running = gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.most.fetch_max(running, Ordering::SeqCst);
        Self(gauge)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        self.0.done.fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs [`verify`] on the blocking pool, at most as many at once as its
/// semaphore has permits. Each verification costs Argon2's 19 MiB and a CPU
/// for tens of milliseconds: unbounded, a burst of sign-ins fills the blocking
/// pool (512 threads, ~9.5 GiB). A sign-in that finds no free permit within the
/// wait is refused rather than queued. Clones share the permits.
#[derive(Clone)]
pub struct HashLimiter {
    permits: Arc<Semaphore>,
    wait: Duration,
    gauge: Arc<Gauge>,
}

impl Default for HashLimiter {
    /// [`default_hash_permits`] permits, waiting [`HASH_WAIT`].
    fn default() -> Self {
        Self::new(default_hash_permits(), HASH_WAIT)
    }
}

impl fmt::Debug for HashLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashLimiter")
            .field("available_permits", &self.permits.available_permits())
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl HashLimiter {
    /// `permits` verifications at once (at least 1); a sign-in waits up to `wait` for one.
    pub fn new(permits: usize, wait: Duration) -> Self {
        Self::with_semaphore(Arc::new(Semaphore::new(permits.max(1))), wait)
    }

    /// Verifications take their permits from `semaphore`, which may be shared.
    pub fn with_semaphore(semaphore: Arc<Semaphore>, wait: Duration) -> Self {
        Self { permits: semaphore, wait, gauge: Arc::default() }
    }

    /// The most verifications that ran at once so far.
    pub fn most_at_once(&self) -> usize {
        self.gauge.most.load(Ordering::SeqCst)
    }

    /// How many verifications finished so far.
    pub fn completed(&self) -> u64 {
        self.gauge.done.load(Ordering::SeqCst)
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, VerifyError> {
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(permit);
        }
        match tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // Elapsed, or the semaphore was closed.
            Ok(Err(_)) | Err(_) => Err(VerifyError::Busy),
        }
    }

    /// Whether `password` matches `phc`; with no hash (an unknown email) it
    /// verifies against a dummy hash and answers `false`, so that unknown emails
    /// cost as much as wrong passwords.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, VerifyError> {
        let permit = self.permit().await?;
        let gauge = Arc::clone(&self.gauge);
        actix_web::web::block(move || {
            // The permit moves here: it is released when the hash is done, even if
            // the request that started it is gone.
            let _permit = permit;
            let _running = Running::enter(&gauge);
            match phc {
                Some(phc) => verify(&password, &phc),
                None => verify_dummy(&password),
            }
        })
        .await
        .map_err(|_| VerifyError::Blocking)
    }
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

    #[tokio::test]
    async fn the_limiter_refuses_when_every_permit_is_taken() {
        let semaphore = Arc::new(Semaphore::new(1));
        let limiter = HashLimiter::with_semaphore(semaphore.clone(), Duration::ZERO);
        let held = semaphore.acquire().await.unwrap();
        assert_eq!(limiter.verify("password".into(), None).await, Err(VerifyError::Busy));
        assert_eq!(limiter.completed(), 0);
        drop(held);
        assert_eq!(limiter.verify("password".into(), None).await, Ok(false), "an unknown email never matches");
        assert_eq!((limiter.completed(), limiter.most_at_once()), (1, 1), "but costs a hash");
    }
}
