//! argon2id password hashing, off the async executor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash as Phc};
use hireledger_domain::{Password, PasswordHash};
use rand::Rng;
use rand::distributions::Alphanumeric;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed")]
    Hash,
    #[error("hashing task failed")]
    Join,
}

/// Hashes and verifies passwords on the blocking pool (argon2 takes tens of milliseconds and
/// megabytes of memory by design), at most one per CPU at a time: a flood of logins queues here
/// instead of exhausting the blocking pool and memory. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// The hash verified when an account has none (unknown e-mail), computed once so that an
    /// unknown e-mail costs exactly one verification, like a known one.
    dummy: Arc<OnceLock<String>>,
}

impl Default for Hasher {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(cpus)
    }
}

impl Hasher {
    /// At most `concurrent` hashes at a time (at least one).
    pub fn new(concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrent.max(1))),
            dummy: Arc::new(OnceLock::new()),
        }
    }

    /// Hashes `password` (argon2id, a fresh salt).
    pub async fn hash(&self, password: Password) -> Result<PasswordHash, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Join)?;
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.expose().as_bytes())
                .map(|h| PasswordHash::new(h.to_string()))
                .map_err(|_| PasswordError::Hash)
        })
        .await
        .map_err(|_| PasswordError::Join)?
    }

    /// Verifies `candidate` against `hash`; with no hash it verifies against a dummy hash
    /// instead, so a missing account costs the same work as a wrong password.
    pub async fn verify(&self, candidate: String, hash: Option<PasswordHash>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let dummy = self.dummy.clone();
        tokio::task::spawn_blocking(move || {
            let phc = match &hash {
                Some(h) => h.as_str(),
                None => dummy.get_or_init(dummy_hash).as_str(),
            };
            let ok = Phc::new(phc)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(candidate.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            ok && hash.is_some()
        })
        .await
        .unwrap_or(false)
    }
}

fn dummy_hash() -> String {
    Argon2::default()
        .hash_password(b"not-a-real-password")
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// A random password shown once to whoever creates an account without choosing one.
pub fn generate_temporary() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_and_computes_the_dummy_once() {
        let hasher = Hasher::new(2);
        let hash = hasher
            .hash(Password::parse("correct-horse-1").unwrap())
            .await
            .unwrap();
        assert!(
            hasher
                .verify("correct-horse-1".into(), Some(hash.clone()))
                .await
        );
        assert!(!hasher.verify("wrong-horse-1".into(), Some(hash)).await);
        assert!(hasher.dummy.get().is_none());
        assert!(!hasher.verify("not-a-real-password".into(), None).await);
        let dummy = hasher.dummy.get().cloned().unwrap();
        assert!(!hasher.verify("x".into(), None).await);
        assert_eq!(
            hasher.dummy.get(),
            Some(&dummy),
            "the dummy hash was recomputed"
        );
    }

    #[tokio::test]
    async fn concurrency_is_bounded() {
        let hasher = Hasher::new(1);
        let permit = hasher.permits.clone().acquire_owned().await.unwrap();
        let pending = tokio::spawn({
            let h = hasher.clone();
            async move { h.verify("x".into(), None).await }
        });
        tokio::task::yield_now().await;
        assert!(!pending.is_finished());
        drop(permit);
        assert!(!pending.await.unwrap());
    }
}
