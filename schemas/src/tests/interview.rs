//! The interview aggregate's published forms.

use super::{id, round_trip_all, same_wire_names, sealed};
use crate::common::{PersonalTextV2, SealedV1};
use crate::interview::{
    CriterionRatingV2, FeedbackSubmittedV2, InterviewKindV1, InterviewModeV1,
    InterviewRescheduledV1, InterviewScheduledV1, RecommendationV1,
};
use crate::{InterviewEventV1, PublishedEvent, SchemaError, decode, to_published};
use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use hireledger_domain::PersonalText;
use hireledger_domain::interview::{
    Interview, InterviewEvent, InterviewKind, InterviewMode, Recommendation, RecordedRating,
};
use serde_json::json;

const CANDIDATE: u128 = 0xCA;
const TOKEN_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 9, 16, hour, minute, 0).unwrap()
}

fn scheduled(token_hash: Option<&str>) -> InterviewEvent {
    InterviewEvent::InterviewScheduled {
        interview_id: id(0x1E),
        application_id: id(0xA),
        company_id: id(1),
        job_id: id(0x10B),
        candidate_id: id(CANDIDATE),
        candidate_user_id: Some(id(0xCB)),
        scheduled_by: Some(id(2)),
        round: 2,
        kind: InterviewKind::Technical,
        mode: InterviewMode::Ai,
        interviewers: vec![id(4), id(5)],
        scheduled_at: at(9, 0),
        duration_mins: 45,
        expires_at: Some(at(21, 0)),
        token_hash: token_hash.map(str::to_owned),
    }
}

fn interview_events() -> Vec<InterviewEvent> {
    vec![
        scheduled(Some(TOKEN_HASH)),
        InterviewEvent::InterviewRescheduled {
            rescheduled_by: None,
            scheduled_at: at(13, 30),
            duration_mins: 480,
            expires_at: None,
        },
        InterviewEvent::InterviewCancelled {
            cancelled_by: Some(id(2)),
            reason: Some(PersonalText::Sealed(sealed(id(CANDIDATE), "bGF0ZXI="))),
        },
        InterviewEvent::InterviewMarkedNoShow { marked_by: None },
        InterviewEvent::InterviewStarted {
            started_at: at(9, 2) + chrono::Duration::microseconds(384_512),
        },
        InterviewEvent::InterviewCompleted {
            completed_by: Some(id(4)),
            completed_at: at(9, 44),
        },
        InterviewEvent::FeedbackSubmitted {
            interviewer_id: id(4),
            ratings: vec![
                RecordedRating {
                    criterion: PersonalText::Sealed(sealed(id(CANDIDATE), "cHJvYmxlbQ==")),
                    rating: 4,
                },
                RecordedRating {
                    criterion: PersonalText::Clear("Communication".into()),
                    rating: 5,
                },
            ],
            notes: Some(sealed(id(CANDIDATE), "bm90ZXM=")),
            recommendation: Recommendation::StrongHire,
            submitted_at: at(15, 20),
        },
        InterviewEvent::InterviewResultsReleased {
            released_by: Some(id(2)),
        },
    ]
}

#[test]
fn every_interview_event_round_trips() {
    assert_eq!(InterviewEventV1::AGGREGATE_TYPE, Interview::TYPE);
    round_trip_all(InterviewEventV1::AGGREGATE, interview_events(), |e| {
        PublishedEvent::Interview(e.into())
    });
}

#[test]
fn the_access_token_hash_is_never_published() {
    let event = scheduled(Some(TOKEN_HASH));
    let stored = serde_json::to_value(&event).unwrap();
    assert_eq!(stored["InterviewScheduled"]["token_hash"], TOKEN_HASH);
    let published = to_published("interview", "InterviewScheduled", "1.0", &stored).unwrap();
    let payload = published.payload.as_object().unwrap();
    assert!(!payload.contains_key("token_hash"), "{payload:?}");
    assert!(!published.payload.to_string().contains(TOKEN_HASH));
    // With or without a token, the published form is the same.
    let human = to_published(
        "interview",
        "InterviewScheduled",
        "1.0",
        &serde_json::to_value(scheduled(None)).unwrap(),
    )
    .unwrap();
    assert_eq!(human, published);
    // A producer that sends one anyway is read as an unknown addition and dropped.
    let mut with_hash = published.payload.clone();
    with_hash["token_hash"] = json!(TOKEN_HASH);
    let decoded = decode(&published.ce_type, &serde_json::to_vec(&with_hash).unwrap()).unwrap();
    assert_eq!(decoded.encode().unwrap(), published);
}

#[test]
fn interview_forms_map_fields_explicitly() {
    let events = interview_events();
    assert_eq!(
        InterviewEventV1::from(events[0].clone()),
        InterviewEventV1::InterviewScheduled(InterviewScheduledV1 {
            interview_id: id(0x1E),
            application_id: id(0xA),
            company_id: id(1),
            job_id: id(0x10B),
            candidate_id: id(CANDIDATE),
            candidate_user_id: Some(id(0xCB)),
            scheduled_by: Some(id(2)),
            round: 2,
            kind: InterviewKindV1::Technical,
            mode: InterviewModeV1::Ai,
            interviewers: vec![id(4), id(5)],
            scheduled_at: at(9, 0),
            duration_mins: 45,
            expires_at: Some(at(21, 0)),
        })
    );
    assert_eq!(
        InterviewEventV1::from(events[1].clone()),
        InterviewEventV1::InterviewRescheduled(InterviewRescheduledV1 {
            rescheduled_by: None,
            scheduled_at: at(13, 30),
            duration_mins: 480,
            expires_at: None,
        })
    );
    let feedback = InterviewEventV1::from(events[6].clone());
    assert_eq!(
        feedback,
        InterviewEventV1::FeedbackSubmitted(FeedbackSubmittedV2 {
            interviewer_id: id(4),
            ratings: vec![
                CriterionRatingV2 {
                    criterion: PersonalTextV2::Sealed(SealedV1 {
                        subject: id(CANDIDATE),
                        ct: "cHJvYmxlbQ==".into(),
                    }),
                    rating: 4,
                },
                CriterionRatingV2 {
                    criterion: PersonalTextV2::Clear("Communication".into()),
                    rating: 5,
                },
            ],
            notes: Some(SealedV1 {
                subject: id(CANDIDATE),
                ct: "bm90ZXM=".into(),
            }),
            recommendation: RecommendationV1::StrongHire,
            submitted_at: at(15, 20),
        })
    );
    let payload = feedback.payload().unwrap();
    assert_eq!(
        payload["ratings"],
        json!([
            { "criterion": { "subject": id(CANDIDATE), "ct": "cHJvYmxlbQ==" }, "rating": 4 },
            { "criterion": "Communication", "rating": 5 },
        ])
    );
    assert_eq!(payload["recommendation"], "STRONG_HIRE");
    assert_eq!(payload["submitted_at"], "2024-09-16T15:20:00Z");
}

#[test]
fn interview_enums_keep_the_domain_wire_names() {
    same_wire_names::<InterviewKind, InterviewKindV1>(&InterviewKind::ALL);
    same_wire_names::<InterviewMode, InterviewModeV1>(&InterviewMode::ALL);
    same_wire_names::<Recommendation, RecommendationV1>(&Recommendation::ALL);
    for kind in InterviewKind::ALL {
        assert_eq!(
            serde_json::to_value(InterviewKindV1::from(kind)).unwrap(),
            kind.as_str()
        );
    }
    for mode in InterviewMode::ALL {
        assert_eq!(
            serde_json::to_value(InterviewModeV1::from(mode)).unwrap(),
            mode.as_str()
        );
    }
    for recommendation in Recommendation::ALL {
        assert_eq!(
            serde_json::to_value(RecommendationV1::from(recommendation)).unwrap(),
            recommendation.as_str()
        );
    }
}

#[test]
fn malformed_interview_payloads_are_refused() {
    let mut bad_mode = serde_json::to_value(scheduled(None)).unwrap();
    bad_mode["InterviewScheduled"]["mode"] = json!("ROBOT");
    let mut too_long = serde_json::to_value(&interview_events()[1]).unwrap();
    too_long["InterviewRescheduled"]["duration_mins"] = json!(70_000);
    let mut bad_rating = serde_json::to_value(&interview_events()[6]).unwrap();
    bad_rating["FeedbackSubmitted"]["ratings"][0]["rating"] = json!("good");
    for payload in [bad_mode, too_long, bad_rating] {
        let event: String = payload.as_object().unwrap().keys().next().unwrap().clone();
        let err = to_published("interview", &event, "1.0", &payload).unwrap_err();
        assert!(
            matches!(err, SchemaError::Malformed(_)),
            "{payload}: {err:?}"
        );
    }
    let started = InterviewEvent::InterviewStarted {
        started_at: at(9, 2),
    };
    let err = to_published(
        "interview",
        "InterviewCompleted",
        &started.event_version(),
        &serde_json::to_value(&started).unwrap(),
    )
    .unwrap_err();
    assert!(matches!(err, SchemaError::Malformed(_)), "{err:?}");
    for (event_type, body) in [
        ("InterviewStarted", &br#"{"started_at":"soon"}"#[..]),
        ("InterviewCompleted", br#"{"completed_by":null}"#),
        (
            "FeedbackSubmitted",
            br#"{"interviewer_id":"00000000-0000-0000-0000-000000000004"}"#,
        ),
    ] {
        let err = decode(&format!("hireledger.interview.{event_type}.v1"), body).unwrap_err();
        assert!(
            matches!(err, SchemaError::Malformed(_)),
            "{event_type}: {err:?}"
        );
    }
}
