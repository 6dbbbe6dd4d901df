//! Published forms of HireLedger's events: what goes to Kafka and what analysts consume.
//!
//! INTERFACE (stable for the relay and projectors):
//! - [`to_published`]: stored event row → (CloudEvents type, published JSON payload).
//! - [`decode`]: CloudEvents type + payload → typed published event ([`PublishedEvent`]).
//! - [`stored_upcasters`]: the upcasters to install on the event store.
//! - [`generated_documents`]: the JSON Schemas and the AsyncAPI document checked in under
//!   `schemas/json/` and `schemas/asyncapi.json`.
//!
//! # Three forms of an event
//! - The **domain** enum (`hireledger_domain::{company::CompanyEvent, user::UserEvent}`), free to
//!   change with the code.
//! - The **stored** form: what postgres-es wrote, the externally tagged domain enum
//!   (`{"UserRegistered": {..}}`) with an `event_version`. Old versions are brought forward by
//!   upcasters ([`stored`] module); a golden fixture of every version ever written lives under
//!   `schemas/fixtures/stored/`.
//! - The **published** form: one explicit struct per event and major version ([`company`],
//!   [`user`]), sent on Kafka as the bare struct JSON (no enum tag). The CloudEvents type header
//!   `hireledger.<aggregate_type>.<EventType>.v<major>` says which struct it is. Consumers must
//!   tolerate fields they do not know, so additions are a minor change; anything else needs a new
//!   major version (a new struct and `ce_type`). Sealed personal data is published as ciphertext;
//!   password hashes are never published.

#[macro_use]
mod macros;

pub mod common;
pub mod company;
mod docs;
pub mod stored;
pub mod user;

#[cfg(test)]
mod tests;

pub use company::CompanyEventV1;
pub use docs::generated_documents;
pub use stored::{current_stored_version, stored_upcasters, upcast_stored};
pub use user::UserEventV1;

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

/// First segment of every CloudEvents type.
pub const CE_TYPE_PREFIX: &str = "hireledger";

/// Version of the published forms in [`CompanyEventV1`] and [`UserEventV1`] (`Published::version`,
/// header `hl_event_version`). Its major part is the `.v1` of their CloudEvents types.
pub const PUBLISHED_VERSION: &str = "1.0";

/// Major version of the published forms, the `v<major>` suffix of their CloudEvents types.
pub const PUBLISHED_MAJOR: u32 = 1;

/// The CloudEvents type of a version-1 published event:
/// `hireledger.<aggregate_type>.<EventType>.v1`.
pub fn ce_type(aggregate_type: &str, event_type: &str) -> String {
    format!("{CE_TYPE_PREFIX}.{aggregate_type}.{event_type}.v{PUBLISHED_MAJOR}")
}

/// Any published event, as a consumer receives it.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishedEvent {
    Company(CompanyEventV1),
    User(UserEventV1),
}

impl PublishedEvent {
    /// `Aggregate::TYPE` of the emitting aggregate (also the topic suffix).
    pub fn aggregate_type(&self) -> &'static str {
        match self {
            Self::Company(_) => CompanyEventV1::AGGREGATE_TYPE,
            Self::User(_) => UserEventV1::AGGREGATE_TYPE,
        }
    }

    /// The event type, e.g. `UserRegistered`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Company(e) => e.event_type(),
            Self::User(e) => e.event_type(),
        }
    }

    /// The CloudEvents type, e.g. `hireledger.user.UserRegistered.v1`.
    pub fn ce_type(&self) -> String {
        ce_type(self.aggregate_type(), self.event_type())
    }

    /// The published payload (bare struct JSON).
    pub fn payload(&self) -> Result<Value, SchemaError> {
        match self {
            Self::Company(e) => e.payload(),
            Self::User(e) => e.payload(),
        }
    }

    /// The form the relay sends: CloudEvents type, published version and payload.
    pub fn encode(&self) -> Result<Published, SchemaError> {
        Ok(Published {
            ce_type: self.ce_type(),
            version: PUBLISHED_VERSION.to_owned(),
            payload: self.payload()?,
        })
    }
}

/// Maps a stored event (as postgres-es wrote it: externally tagged domain enum) to its
/// published form. Secrets (password hashes) never appear in the published form.
///
/// Runs the stored upcasters first ([`upcast_stored`]), reads the domain enum, checks that its tag
/// is `event_type`, and maps it to the published struct.
///
/// # Errors
/// [`SchemaError::UnknownEvent`] for an aggregate or event type we do not know,
/// [`SchemaError::UnsupportedVersion`] for a version that cannot be brought to the current one,
/// [`SchemaError::Malformed`] for a payload that is not that event.
pub fn to_published(
    aggregate_type: &str,
    event_type: &str,
    event_version: &str,
    stored_payload: &Value,
) -> Result<Published, SchemaError> {
    let (event_type, payload) = upcast_stored(
        aggregate_type,
        event_type,
        event_version,
        stored_payload.clone(),
    )?;
    let event = match aggregate_type {
        CompanyEventV1::AGGREGATE_TYPE => {
            PublishedEvent::Company(company::from_stored(&event_type, payload)?)
        }
        UserEventV1::AGGREGATE_TYPE => {
            PublishedEvent::User(user::from_stored(&event_type, payload)?)
        }
        _ => {
            return Err(SchemaError::UnknownEvent {
                aggregate_type: aggregate_type.to_owned(),
                event_type,
            });
        }
    };
    event.encode()
}

/// Reads a published event as a consumer (projector) receives it: the CloudEvents type header
/// (`hireledger.<aggregate_type>.<EventType>.v<major>`) and the payload bytes (bare struct JSON).
///
/// Fields the published struct does not know are ignored (forward compatible).
///
/// # Errors
/// [`SchemaError::UnknownEvent`] for a type that is not ours or names an unknown event,
/// [`SchemaError::UnsupportedVersion`] for a known event in a major version this build lacks,
/// [`SchemaError::Malformed`] for a payload that does not match the event's schema.
pub fn decode(ce_type: &str, payload: &[u8]) -> Result<PublishedEvent, SchemaError> {
    let unknown = |aggregate_type: &str, event_type: &str| SchemaError::UnknownEvent {
        aggregate_type: aggregate_type.to_owned(),
        event_type: event_type.to_owned(),
    };
    let parts = ce_type
        .strip_prefix(CE_TYPE_PREFIX)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| {
            let (head, major) = rest.rsplit_once(".v")?;
            let (aggregate_type, event_type) = head.split_once('.')?;
            Some((aggregate_type, event_type, major))
        });
    let Some((aggregate_type, event_type, major)) = parts else {
        return Err(unknown("", ce_type));
    };
    let check = |events: &[&str]| {
        if !events.contains(&event_type) {
            return Err(unknown(aggregate_type, event_type));
        }
        if major.parse::<u32>().ok() != Some(PUBLISHED_MAJOR) {
            return Err(SchemaError::UnsupportedVersion {
                event_type: event_type.to_owned(),
                version: format!("v{major}"),
            });
        }
        Ok(())
    };
    match aggregate_type {
        CompanyEventV1::AGGREGATE_TYPE => {
            check(CompanyEventV1::EVENT_TYPES)?;
            Ok(PublishedEvent::Company(CompanyEventV1::from_payload(
                event_type, payload,
            )?))
        }
        UserEventV1::AGGREGATE_TYPE => {
            check(UserEventV1::EVENT_TYPES)?;
            Ok(PublishedEvent::User(UserEventV1::from_payload(
                event_type, payload,
            )?))
        }
        _ => Err(unknown(aggregate_type, event_type)),
    }
}
