//! Value types shared by several published events (version 1 of the published contract).
//!
//! They mirror domain value objects but are owned by the contract: a domain refactoring must not
//! change what consumers receive, so every conversion is written out by hand.

use hireledger_domain::{Role, Sealed};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Personal data encrypted with the key of one data subject (crypto-shredding). Published as
/// ciphertext; once the subject's key is destroyed no copy can be read again.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct SealedV1 {
    /// The data subject whose key encrypts the value.
    pub subject: Uuid,
    /// `base64(nonce || ciphertext || tag)`.
    pub ct: String,
}

impl From<Sealed> for SealedV1 {
    fn from(s: Sealed) -> Self {
        Self {
            subject: s.subject,
            ct: s.ct,
        }
    }
}

/// A user's role. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleV1 {
    SystemAdmin,
    Hr,
    Employee,
    Candidate,
}

impl From<Role> for RoleV1 {
    fn from(r: Role) -> Self {
        match r {
            Role::SystemAdmin => Self::SystemAdmin,
            Role::Hr => Self::Hr,
            Role::Employee => Self::Employee,
            Role::Candidate => Self::Candidate,
        }
    }
}
