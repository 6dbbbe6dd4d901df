//! The stored form: which event types and versions the event store holds, and the upcasters that
//! bring old rows to the form the current domain reads.
//!
//! # Changing a stored event
//!
//! A breaking change to a domain event (renamed/removed field, new required field) goes like this:
//! 1. Keep a golden fixture of the old payload: it already exists under
//!    `schemas/fixtures/stored/<aggregate>/<EventType>.<old version>.json` and must never be deleted.
//! 2. Bump the event's `DomainEvent::event_version()` in `domain` and its entry in
//!    [`STORED_EVENT_TYPES`] here.
//! 3. Add a `SemanticVersionEventUpcaster` for it to [`stored_upcasters`] (oldest first) that rewrites
//!    the externally tagged payload (`{"EventType": {..}}`) to the new shape.
//! 4. Add a fixture for the new version. The fixture tests then prove that every old version still
//!    loads, through these same upcasters, into the current domain enum.
//!
//! The event store (`PersistedEventStore::with_upcasters(stored_upcasters())`) and the relay
//! ([`crate::to_published`], via [`upcast_stored`]) run the same list, so they cannot disagree.

use crate::SchemaError;
use cqrs_es::persist::{
    EventUpcaster, SemanticVersion, SemanticVersionEventUpcaster, SerializedEvent,
};
use serde_json::Value;
use std::str::FromStr;

/// One event type the event store holds, with the version the current domain writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredEventType {
    /// `Aggregate::TYPE`.
    pub aggregate_type: &'static str,
    /// `DomainEvent::event_type()`.
    pub event_type: &'static str,
    /// `DomainEvent::event_version()` of what the current domain writes and reads.
    pub current_version: &'static str,
}

const fn stored(
    aggregate_type: &'static str,
    event_type: &'static str,
    current_version: &'static str,
) -> StoredEventType {
    StoredEventType {
        aggregate_type,
        event_type,
        current_version,
    }
}

/// Every event type ever written to the event store. Entries are never removed.
pub const STORED_EVENT_TYPES: &[StoredEventType] = &[
    stored("company", "CompanyRegistrationRequested", "1.0"),
    stored("company", "CompanyApproved", "1.0"),
    stored("company", "CompanyRegistrationRejected", "1.0"),
    stored("company", "CompanyDeactivated", "1.0"),
    stored("company", "CompanyReactivated", "1.0"),
    stored("company", "CompanyProfileUpdated", "1.0"),
    stored("company", "CompanySettingsChanged", "1.0"),
    stored("user", "UserRegistered", "1.0"),
    stored("user", "UserProfileUpdated", "1.0"),
    stored("user", "UserRoleChanged", "1.0"),
    stored("user", "UserPasswordChanged", "1.0"),
    stored("user", "UserDeactivated", "1.0"),
    stored("user", "UserReactivated", "1.0"),
    stored("user", "UserPersonalDataErased", "1.0"),
    stored("job", "JobCreated", "1.0"),
    stored("job", "JobUpdated", "1.0"),
    stored("job", "JobOpened", "1.0"),
    stored("job", "JobPaused", "1.0"),
    stored("job", "JobClosed", "1.0"),
    stored("job", "JobThresholdsChanged", "1.0"),
    stored("job", "JobReviewPolicyChanged", "1.0"),
    stored("job", "QuestionAdded", "1.0"),
    stored("job", "QuestionEdited", "1.0"),
    stored("job", "QuestionsReordered", "1.0"),
    stored("job", "QuestionRemoved", "1.0"),
    stored("application", "ApplicationSubmitted", "1.0"),
    stored("application", "ApplicationStatusChanged", "2.0"),
    stored("application", "ApplicationWithdrawn", "2.0"),
    stored("candidate", "CandidateCreated", "2.0"),
    stored("candidate", "CandidateUpdated", "2.0"),
    stored("candidate", "CandidateAssigned", "1.0"),
    stored("candidate", "CandidateUnassigned", "1.0"),
    stored("candidate", "CandidateLinkedToUser", "1.0"),
    stored("candidate", "CandidateDeleted", "1.0"),
    stored("interview", "InterviewScheduled", "1.0"),
    stored("interview", "InterviewRescheduled", "1.0"),
    stored("interview", "InterviewCancelled", "2.0"),
    stored("interview", "InterviewMarkedNoShow", "1.0"),
    stored("interview", "InterviewStarted", "1.0"),
    stored("interview", "InterviewCompleted", "1.0"),
    stored("interview", "FeedbackSubmitted", "2.0"),
    stored("interview", "InterviewResultsReleased", "1.0"),
];

/// The version the current domain writes for `aggregate_type`/`event_type`, if it is one we know.
pub fn current_stored_version(aggregate_type: &str, event_type: &str) -> Option<&'static str> {
    STORED_EVENT_TYPES
        .iter()
        .find(|s| s.aggregate_type == aggregate_type && s.event_type == event_type)
        .map(|s| s.current_version)
}

/// The events whose version 2.0 seals free text that can describe the candidate (reasons, rating
/// criteria, position, tags) under the candidate's key. Version 1.0 held that text as bare JSON
/// strings, which the domain reads as `PersonalText::Clear`: their payload is unchanged, only
/// their version moves on.
const SEALED_TEXT_EVENTS: [&str; 6] = [
    "ApplicationStatusChanged",
    "ApplicationWithdrawn",
    "CandidateCreated",
    "CandidateUpdated",
    "InterviewCancelled",
    "FeedbackSubmitted",
];

/// 1.0 → 2.0 of the events that seal free text (see [`SEALED_TEXT_EVENTS`]): a clear string stays
/// where it is and reads as clear text (`PersonalText` is untagged). Old rows keep their clear
/// text; new ones are sealed.
fn clear_text_is_legacy(payload: Value) -> Value {
    payload
}

/// The upcasters to install on the event store
/// (`PersistedEventStore::new_event_store(repo).with_upcasters(stored_upcasters())`).
///
/// One `SemanticVersionEventUpcaster` per change, oldest version first (cqrs-es applies them in
/// order, each to the output of the previous one). See the module documentation.
pub fn stored_upcasters() -> Vec<Box<dyn EventUpcaster>> {
    SEALED_TEXT_EVENTS
        .iter()
        .map(|event_type| {
            Box::new(SemanticVersionEventUpcaster::new(
                event_type,
                "2.0",
                Box::new(clear_text_is_legacy),
            )) as Box<dyn EventUpcaster>
        })
        .collect()
}

/// Brings a stored event row to the current stored form: runs [`stored_upcasters`] over it and
/// checks the result is the version the current domain reads.
///
/// Returns `(event_type, payload)` of the current form (an upcaster may rename an event type);
/// its version is then [`current_stored_version`]. A row already at the current version passes
/// through unchanged.
///
/// # Errors
/// - [`SchemaError::UnknownEvent`]: an aggregate or event type we do not know.
/// - [`SchemaError::UnsupportedVersion`]: a version no upcaster brings to the current one — an
///   unparseable one, an old one whose upcaster is missing, or a newer one than this build knows.
pub fn upcast_stored(
    aggregate_type: &str,
    event_type: &str,
    version: &str,
    payload: Value,
) -> Result<(String, Value), SchemaError> {
    let unknown = || SchemaError::UnknownEvent {
        aggregate_type: aggregate_type.to_owned(),
        event_type: event_type.to_owned(),
    };
    let unsupported = || SchemaError::UnsupportedVersion {
        event_type: event_type.to_owned(),
        version: version.to_owned(),
    };
    if !STORED_EVENT_TYPES
        .iter()
        .any(|s| s.aggregate_type == aggregate_type)
    {
        return Err(unknown());
    }
    let row = SerializedEvent::new(
        String::new(),
        0,
        aggregate_type.to_owned(),
        event_type.to_owned(),
        version.to_owned(),
        payload,
        Value::Null,
    );
    let row = stored_upcasters().iter().fold(row, |row, upcaster| {
        if upcaster.can_upcast(&row.event_type, &row.event_version) {
            upcaster.upcast(row)
        } else {
            row
        }
    });
    let current = current_stored_version(aggregate_type, &row.event_type).ok_or_else(unknown)?;
    let reached = SemanticVersion::from_str(&row.event_version).map_err(|_| unsupported())?;
    let wanted = SemanticVersion::from_str(current).map_err(|_| unsupported())?;
    if reached != wanted {
        return Err(unsupported());
    }
    Ok((row.event_type, row.payload))
}

/// Refuses a payload whose enum tag is not the event type its row names.
pub(crate) fn ensure_event_type(expected: &str, actual: &str) -> Result<(), SchemaError> {
    if expected == actual {
        Ok(())
    } else {
        Err(SchemaError::Malformed(serde::de::Error::custom(format!(
            "payload holds {actual} but the row says {expected}"
        ))))
    }
}
