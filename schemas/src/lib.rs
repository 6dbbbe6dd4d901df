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
//!   password hashes and interview access-token hashes are never published. The per-aggregate
//!   enums keep their `…EventV1` names; each variant holds the struct of its event's current
//!   major (most are `…V1`; the events that seal free text about a candidate are `…V2`).
//!
//! # A new major version of one published event
//! 1. A `…V2` struct next to the `…V1` one (which it replaces in the aggregate's enum) that still
//!    reads every `v1` payload of the event (older messages stay on the topics); the published
//!    fixture of `v1` stays and must keep decoding.
//! 2. `"<EventType>" @ 2 => Variant(…V2),` in `published_events!`; the CloudEvents type, the
//!    payload version, the JSON Schema path and the AsyncAPI message follow from it.
//! 3. Bless the documents and fixtures (step 5 below) and update the consumers.
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

/// Version of the AsyncAPI document (the contract as a whole). Each event's own published version
/// is `<major>.0` of its [`PublishedAggregate::major`] (`Published::version`, header
/// `hl_event_version`).
pub const PUBLISHED_VERSION: &str = "2.0";

/// Major version of most published forms: an event says otherwise in its `published_events!`
/// line (`"InterviewCancelled" @ 2 => …`).
pub const PUBLISHED_MAJOR: u32 = 1;

/// The current published major of `aggregate_type`/`event_type`, if it is one we publish.
pub fn published_major(aggregate_type: &str, event_type: &str) -> Option<u32> {
    PublishedEvent::AGGREGATES
        .iter()
        .find(|a| a.aggregate_type == aggregate_type)
        .and_then(|a| a.major(event_type))
}

/// The CloudEvents type of the current published form of an event:
/// `hireledger.<aggregate_type>.<EventType>.v<major>` ([`published_major`]; `v1` for an event we
/// do not know).
pub fn ce_type(aggregate_type: &str, event_type: &str) -> String {
    let major = published_major(aggregate_type, event_type).unwrap_or(PUBLISHED_MAJOR);
    ce_type_of_major(aggregate_type, event_type, major)
}

/// The CloudEvents type of one major version of an event (current or older).
pub fn ce_type_of_major(aggregate_type: &str, event_type: &str, major: u32) -> String {
    format!("{CE_TYPE_PREFIX}.{aggregate_type}.{event_type}.v{major}")
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
    /// The current published major of each event, in the order of `event_types`.
    pub event_majors: &'static [u32],
}

impl PublishedAggregate {
    /// The current published major of `event_type`, if the aggregate has it.
    pub fn major(&self, event_type: &str) -> Option<u32> {
        let i = self.event_types.iter().position(|e| *e == event_type)?;
        self.event_majors.get(i).copied()
    }
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
    /// The current published major of this event (the `v<major>` of its CloudEvents type).
    pub fn major(&self) -> u32 {
        published_major(self.aggregate_type(), self.event_type()).unwrap_or(PUBLISHED_MAJOR)
    }

    /// The CloudEvents type, e.g. `hireledger.user.UserRegistered.v1`.
    pub fn ce_type(&self) -> String {
        ce_type_of_major(self.aggregate_type(), self.event_type(), self.major())
    }

    /// The form the relay sends: CloudEvents type, published version (`<major>.0`) and payload.
    pub fn encode(&self) -> Result<Published, SchemaError> {
        Ok(Published {
            ce_type: self.ce_type(),
            version: format!("{}.0", self.major()),
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
/// Fields the published struct does not know are ignored (forward compatible). An older major of
/// an event is read with its current struct, which reads every older payload of that event (a
/// `v2` form that sealed free text reads the clear text of `v1` as clear text), so messages
/// published before an upgrade still decode.
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
    let Some(current) = published_major(aggregate_type, event_type) else {
        return Err(unknown(aggregate_type, event_type));
    };
    if !major
        .parse::<u32>()
        .is_ok_and(|m| (1..=current).contains(&m))
    {
        return Err(SchemaError::UnsupportedVersion {
            event_type: event_type.to_owned(),
            version: format!("v{major}"),
        });
    }
    PublishedEvent::from_payload(aggregate_type, event_type, payload)
}
