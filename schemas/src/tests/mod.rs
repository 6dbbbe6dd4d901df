//! Round trips of every event and the error cases of the stored and published forms.
//!
//! One module per aggregate (its events, their round trips and the explicit field mapping of its
//! published forms) plus [`errors`] for what is refused.

mod application;
mod candidate;
mod company;
mod errors;
mod interview;
mod job;
mod user;

use crate::*;
use cqrs_es::DomainEvent;
use hireledger_domain::Sealed;
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;
use uuid::Uuid;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn sealed(subject: Uuid, ct: &str) -> Sealed {
    Sealed {
        subject,
        ct: ct.to_owned(),
    }
}

/// Stores `event` as postgres-es does, publishes it, decodes it, and checks both ends agree.
fn round_trip<E: DomainEvent>(aggregate_type: &str, event: &E, expected: &PublishedEvent) {
    let stored = serde_json::to_value(event).unwrap();
    let published = to_published(
        aggregate_type,
        &event.event_type(),
        &event.event_version(),
        &stored,
    )
    .unwrap();
    // The published major follows the stored one: events that seal free text are at 2.
    let major = if event.event_version() == "2.0" { 2 } else { 1 };
    assert_eq!(
        published.ce_type,
        format!(
            "hireledger.{aggregate_type}.{}.v{major}",
            event.event_type()
        )
    );
    assert_eq!(published.version, format!("{major}.0"));
    assert!(!published.payload.to_string().contains("password_hash"));
    assert!(!published.payload.to_string().contains(HASH));
    let bytes = serde_json::to_vec(&published.payload).unwrap();
    let decoded = decode(&published.ce_type, &bytes).unwrap();
    assert_eq!(&decoded, expected);
    assert_eq!(decoded.encode().unwrap(), published);
    assert_eq!(decoded.event_type(), event.event_type());
    assert_eq!(decoded.aggregate_type(), aggregate_type);
    assert_eq!(
        current_stored_version(aggregate_type, &event.event_type()),
        Some(event.event_version().as_str())
    );
}

/// Round-trips `events` (one of every event type of the aggregate, in declaration order).
fn round_trip_all<E: DomainEvent>(
    aggregate: PublishedAggregate,
    events: Vec<E>,
    wrap: impl Fn(E) -> PublishedEvent,
) {
    let types: Vec<String> = events.iter().map(DomainEvent::event_type).collect();
    assert_eq!(
        types, aggregate.event_types,
        "one event of every type, in order"
    );
    for event in events {
        let expected = wrap(event.clone());
        round_trip(aggregate.aggregate_type, &event, &expected);
    }
}

/// A mirror enum of the published contract writes every value as the domain enum does.
fn same_wire_names<D: Serialize + Copy, P: Serialize + From<D>>(values: &[D]) {
    for value in values {
        assert_eq!(
            serde_json::to_value(P::from(*value)).unwrap(),
            serde_json::to_value(value).unwrap()
        );
    }
}

#[test]
fn published_aggregates_are_listed_once_and_are_the_stored_ones() {
    let types: Vec<&str> = PublishedEvent::AGGREGATES
        .iter()
        .map(|a| a.aggregate_type)
        .collect();
    assert_eq!(
        types,
        [
            "company",
            "user",
            "job",
            "candidate",
            "application",
            "interview"
        ]
    );
    let stored: HashSet<&str> = stored::STORED_EVENT_TYPES
        .iter()
        .map(|s| s.aggregate_type)
        .collect();
    assert_eq!(stored, types.iter().copied().collect());
    for aggregate in PublishedEvent::AGGREGATES {
        assert!(!aggregate.summary.is_empty());
        let unique: HashSet<&&str> = aggregate.event_types.iter().collect();
        assert_eq!(unique.len(), aggregate.event_types.len());
    }
}

#[test]
fn ce_type_format() {
    assert_eq!(
        ce_type("user", "UserRegistered"),
        "hireledger.user.UserRegistered.v1"
    );
    assert_eq!(ce_type("job", "JobCreated"), "hireledger.job.JobCreated.v1");
    assert_eq!(
        ce_type("interview", "InterviewCancelled"),
        "hireledger.interview.InterviewCancelled.v2"
    );
}

/// Every event that may hold free text about a candidate is published in version 2, and only
/// those.
#[test]
fn events_that_seal_free_text_are_published_in_version_2() {
    let mut v2: Vec<(&str, &str)> = PublishedEvent::AGGREGATES
        .iter()
        .flat_map(|a| {
            a.event_types
                .iter()
                .filter(|e| a.major(e) == Some(2))
                .map(|e| (a.aggregate_type, *e))
        })
        .collect();
    v2.sort_unstable();
    assert_eq!(
        v2,
        [
            ("application", "ApplicationStatusChanged"),
            ("application", "ApplicationWithdrawn"),
            ("candidate", "CandidateCreated"),
            ("candidate", "CandidateUpdated"),
            ("interview", "FeedbackSubmitted"),
            ("interview", "InterviewCancelled"),
        ]
    );
    for (aggregate, event) in v2 {
        assert_eq!(current_stored_version(aggregate, event), Some("2.0"));
    }
    // A major this build does not have is refused; v1 of a v2 event still decodes (below).
    let err = decode("hireledger.interview.InterviewCancelled.v3", b"{}").unwrap_err();
    assert!(
        matches!(err, SchemaError::UnsupportedVersion { .. }),
        "{err:?}"
    );
}

/// Stored 1.0 rows of the events that now seal free text are brought to 2.0 with their clear text
/// kept as clear text, and v1 messages still on the topics decode into the v2 forms.
#[test]
fn version_1_clear_text_upcasts_and_decodes_as_clear_text() {
    let v1 = json!({"InterviewCancelled": {"cancelled_by": null, "reason": "ill"}});
    let (event_type, payload) =
        upcast_stored("interview", "InterviewCancelled", "1.0", v1.clone()).expect("1.0 upcasts");
    assert_eq!((event_type.as_str(), &payload), ("InterviewCancelled", &v1));
    let published = to_published("interview", "InterviewCancelled", "1.0", &v1).unwrap();
    assert_eq!(
        published.ce_type,
        "hireledger.interview.InterviewCancelled.v2"
    );
    assert_eq!(published.version, "2.0");
    assert_eq!(published.payload["reason"], "ill");
    let decoded = decode(
        "hireledger.interview.InterviewCancelled.v1",
        br#"{"cancelled_by":null,"reason":"ill"}"#,
    )
    .unwrap();
    let PublishedEvent::Interview(InterviewEventV1::InterviewCancelled(e)) = decoded else {
        panic!("wrong event");
    };
    assert_eq!(e.reason, Some(common::PersonalTextV2::Clear("ill".into())));
    // Unknown versions are still refused.
    assert!(matches!(
        upcast_stored("interview", "InterviewCancelled", "3.0", v1),
        Err(SchemaError::UnsupportedVersion { .. })
    ));
}
