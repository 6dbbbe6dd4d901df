//! Opaque forms of sensitive data as they are stored in events.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A personal value encrypted with the key of one data subject (crypto-shredding): deleting that
/// subject's key makes every copy unreadable, in the event store and on Kafka alike.
///
/// The domain never decrypts; it only carries and compares these values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The data subject whose key encrypts this value.
    pub subject: Uuid,
    /// `base64(nonce || ciphertext || tag)`.
    pub ct: String,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({})", self.subject)
    }
}

/// An argon2id PHC string. Kept in the event store (never published, never logged).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}
