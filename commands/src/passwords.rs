//! argon2id password hashing, off the async executor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash as Phc};
use hireledger_domain::{Password, PasswordHash};
use rand::Rng;
use rand::distributions::Alphanumeric;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed")]
    Hash,
    #[error("hashing task failed")]
    Join,
}

/// Hashes on the blocking pool (argon2 takes tens of milliseconds by design).
pub async fn hash(password: Password) -> Result<PasswordHash, PasswordError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|h| PasswordHash::new(h.to_string()))
            .map_err(|_| PasswordError::Hash)
    })
    .await
    .map_err(|_| PasswordError::Join)?
}

/// Verifies `candidate` against `hash`; with no hash it still spends the same time, so a missing
/// account cannot be told apart from a wrong password by timing.
pub async fn verify(candidate: String, hash: Option<PasswordHash>) -> bool {
    tokio::task::spawn_blocking(move || {
        let dummy;
        let phc = match &hash {
            Some(h) => h.as_str(),
            None => {
                dummy = dummy_hash();
                dummy.as_str()
            }
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
