//! Published forms of HireLedger's events: what goes to Kafka and what analysts consume.
//!
//! INTERFACE (stable for the relay and projectors; a helper is completing the versioned forms):
//! - [`to_published`]: stored event row → (CloudEvents type, published JSON payload).
//! - [`decode`]: CloudEvents type + payload → typed published event.

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("unknown event {aggregate_type}/{event_type}")]
    UnknownEvent {
        aggregate_type: String,
        event_type: String,
    },
    #[error("unsupported version {version} of {event_type}")]
    UnsupportedVersion { event_type: String, version: String },
    #[error("malformed payload: {0}")]
    Malformed(#[from] serde_json::Error),
}

/// A stored event turned into its published form.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// CloudEvents `type`, e.g. `hireledger.user.UserRegistered.v1`.
    pub ce_type: String,
    /// Published payload version (semver of the published form), e.g. `1.0`.
    pub version: String,
    pub payload: Value,
}

/// Maps a stored event (as postgres-es wrote it: externally tagged domain enum) to its
/// published form. Secrets (password hashes) never appear in the published form.
pub fn to_published(
    aggregate_type: &str,
    event_type: &str,
    event_version: &str,
    stored_payload: &Value,
) -> Result<Published, SchemaError> {
    let _ = (aggregate_type, event_type, event_version, stored_payload);
    todo!("completed by the schemas work")
}
