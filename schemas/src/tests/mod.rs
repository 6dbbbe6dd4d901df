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
    assert_eq!(
        published.ce_type,
        format!("hireledger.{aggregate_type}.{}.v1", event.event_type())
    );
    assert_eq!(published.version, "1.0");
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
}
