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
//! - The **domain** enum (e.g. `hireledger_domain::job::JobEvent`), free to change with the code.
//! - The **stored** form: what postgres-es wrote, the externally tagged domain enum
//!   (`{"UserRegistered": {..}}`) with an `event_version`. Old versions are brought forward by
//!   upcasters ([`stored`] module); a golden fixture of every version ever written lives under
//!   `schemas/fixtures/stored/`.
//! - The **published** form: one explicit struct per event and major version ([`company`],
//!   [`user`], [`job`], [`candidate`], [`application`], [`interview`]), sent on Kafka as the bare
//!   struct JSON (no enum tag). The CloudEvents type header
//!   `hireledger.<aggregate_type>.<EventType>.v<major>` says which struct it is. Consumers must
//!   tolerate fields they do not know, so additions are a minor change; anything else needs a new
//!   major version (a new struct and `ce_type`). Sealed personal data is published as ciphertext;
//!   password hashes and interview access-token hashes are never published.
//!
//! # Publishing another aggregate
//! 1. A module `src/<aggregate>.rs` (a folder once it nears 600 lines): one `…V1` struct per
//!    event and a `…V1` mirror of every domain value type and enum it holds (same wire names),
//!    each with a doc comment and a hand-written `From` from the domain type; then
//!    `published_events! { pub enum <Aggregate>EventV1 for "<type>" { domain, summary, events } }`
//!    and `impl From<domain enum> for <Aggregate>EventV1`.
//! 2. Here: `pub mod`, `pub use`, and one variant of [`PublishedEvent`] (`published_aggregates!`);
//!    encoding, [`to_published`], [`decode`] and the generated documents follow from it.
//! 3. [`stored::STORED_EVENT_TYPES`]: one entry per event type with its current version.
//! 4. Golden stored fixtures `fixtures/stored/<aggregate>/<EventType>.<version>.json` (exactly
//!    what the domain writes) and one arm in the contract test that reads them back with the
//!    domain enum (`tests/contract/fixtures.rs`); round trips in `src/tests/`.
//! 5. `HIRELEDGER_BLESS=1 cargo test -p hireledger-schemas` writes the JSON Schemas, the AsyncAPI
//!    channel and the published fixtures; review them, then run the tests again without it.

#[macro_use]
mod macros;

pub mod application;
pub mod candidate;
pub mod common;
pub mod company;
mod docs;
pub mod interview;
pub mod job;
pub mod stored;
pub mod user;

#[cfg(test)]
mod tests;

pub use application::ApplicationEventV1;
pub use candidate::CandidateEventV1;
pub use company::CompanyEventV1;
pub use docs::generated_documents;
pub use interview::InterviewEventV1;
pub use job::JobEventV1;
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

/// Version of the published forms of every aggregate in [`PublishedEvent`] (`Published::version`,
/// header `hl_event_version`). Its major part is the `.v1` of their CloudEvents types.
pub const PUBLISHED_VERSION: &str = "1.0";

/// Major version of the published forms, the `v<major>` suffix of their CloudEvents types.
pub const PUBLISHED_MAJOR: u32 = 1;

/// The CloudEvents type of a version-1 published event:
/// `hireledger.<aggregate_type>.<EventType>.v1`.
pub fn ce_type(aggregate_type: &str, event_type: &str) -> String {
    format!("{CE_TYPE_PREFIX}.{aggregate_type}.{event_type}.v{PUBLISHED_MAJOR}")
}

/// One published aggregate: its topic suffix, what the topic carries, and its event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedAggregate {
    /// `Aggregate::TYPE`, also the suffix of the Kafka topic (`{prefix}.<aggregate_type>`).
    pub aggregate_type: &'static str,
    /// One sentence on what the topic carries (AsyncAPI channel summary).
    pub summary: &'static str,
    /// Every event type of the aggregate, in declaration order.
    pub event_types: &'static [&'static str],
}

published_aggregates! {
    /// Any published event, as a consumer receives it.
    pub enum PublishedEvent {
        Company(CompanyEventV1),
        User(UserEventV1),
        Job(JobEventV1),
        Candidate(CandidateEventV1),
        Application(ApplicationEventV1),
        Interview(InterviewEventV1),
    }
}

impl PublishedEvent {
    /// The CloudEvents type, e.g. `hireledger.user.UserRegistered.v1`.
    pub fn ce_type(&self) -> String {
        ce_type(self.aggregate_type(), self.event_type())
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
/// published form. Secrets (password hashes, interview access-token hashes) never appear in the
/// published form.
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
    PublishedEvent::from_stored(aggregate_type, &event_type, payload)?.encode()
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
    let known = PublishedEvent::AGGREGATES
        .iter()
        .find(|a| a.aggregate_type == aggregate_type)
        .is_some_and(|a| a.event_types.contains(&event_type));
    if !known {
        return Err(unknown(aggregate_type, event_type));
    }
    if major.parse::<u32>().ok() != Some(PUBLISHED_MAJOR) {
        return Err(SchemaError::UnsupportedVersion {
            event_type: event_type.to_owned(),
            version: format!("v{major}"),
        });
    }
    PublishedEvent::from_payload(aggregate_type, event_type, payload)
}
