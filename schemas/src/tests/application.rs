//! The application aggregate's published forms.

use super::{id, round_trip_all, same_wire_names, sealed};
use crate::application::{
    ApplicationSourceV1, ApplicationStatusChangedV2, ApplicationStatusV1, ApplicationSubmittedV1,
    ApplicationWithdrawnV2,
};
use crate::common::PersonalTextV2;
use crate::{ApplicationEventV1, PublishedEvent, SchemaError, decode, to_published};
use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::Aggregate;
use hireledger_domain::PersonalText;
use hireledger_domain::application::{
    Application, ApplicationEvent, ApplicationSource, ApplicationStatus, application_id,
};
use serde_json::json;

const JOB: u128 = 0x10B;
const CANDIDATE: u128 = 0xCA;

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 9, 2, 8, 15, second).unwrap()
}

fn application_events() -> Vec<ApplicationEvent> {
    vec![
        ApplicationEvent::ApplicationSubmitted {
            application_id: application_id(id(JOB), id(CANDIDATE)),
            job_id: id(JOB),
            candidate_id: id(CANDIDATE),
            candidate_user_id: Some(id(0xCB)),
            company_id: id(1),
            source: ApplicationSource::Portal,
            submitted_by: None,
            at: at(3) + chrono::Duration::microseconds(512_874),
        },
        ApplicationEvent::ApplicationStatusChanged {
            from: ApplicationStatus::Shortlisted,
            to: ApplicationStatus::InterviewScheduled,
            by: Some(id(2)),
            reason: Some(PersonalText::Clear("interview 0x1E scheduled".into())),
            at: at(10),
        },
        ApplicationEvent::ApplicationWithdrawn {
            from: ApplicationStatus::Offered,
            by: Some(id(0xCB)),
            reason: Some(PersonalText::Sealed(sealed(id(CANDIDATE), "bW92ZWQ="))),
            at: at(20),
        },
    ]
}

#[test]
fn every_application_event_round_trips() {
    assert_eq!(ApplicationEventV1::AGGREGATE_TYPE, Application::TYPE);
    round_trip_all(ApplicationEventV1::AGGREGATE, application_events(), |e| {
        PublishedEvent::Application(e.into())
    });
}

#[test]
fn application_forms_map_fields_explicitly() {
    let events = application_events();
    assert_eq!(
        ApplicationEventV1::from(events[0].clone()),
        ApplicationEventV1::ApplicationSubmitted(ApplicationSubmittedV1 {
            application_id: application_id(id(JOB), id(CANDIDATE)),
            job_id: id(JOB),
            candidate_id: id(CANDIDATE),
            candidate_user_id: Some(id(0xCB)),
            company_id: id(1),
            source: ApplicationSourceV1::Portal,
            submitted_by: None,
            at: at(3) + chrono::Duration::microseconds(512_874),
        })
    );
    assert_eq!(
        ApplicationEventV1::from(events[1].clone()),
        ApplicationEventV1::ApplicationStatusChanged(ApplicationStatusChangedV2 {
            from: ApplicationStatusV1::Shortlisted,
            to: ApplicationStatusV1::InterviewScheduled,
            by: Some(id(2)),
            reason: Some(PersonalTextV2::Clear("interview 0x1E scheduled".into())),
            at: at(10),
        })
    );
    let withdrawn = ApplicationEventV1::from(events[2].clone());
    assert_eq!(
        withdrawn,
        ApplicationEventV1::ApplicationWithdrawn(ApplicationWithdrawnV2 {
            from: ApplicationStatusV1::Offered,
            by: Some(id(0xCB)),
            reason: Some(PersonalTextV2::Sealed(crate::common::SealedV1 {
                subject: id(CANDIDATE),
                ct: "bW92ZWQ=".into(),
            })),
            at: at(20),
        })
    );
    assert_eq!(
        withdrawn.payload().unwrap()["at"],
        json!("2024-09-02T08:15:20Z")
    );
    // The reason goes out as ciphertext under the candidate's key, never clear.
    assert_eq!(
        withdrawn.payload().unwrap()["reason"],
        json!({ "subject": id(CANDIDATE), "ct": "bW92ZWQ=" })
    );
}

#[test]
fn application_enums_keep_the_domain_wire_names() {
    same_wire_names::<ApplicationStatus, ApplicationStatusV1>(&ApplicationStatus::ALL);
    for status in ApplicationStatus::ALL {
        assert_eq!(
            serde_json::to_value(ApplicationStatusV1::from(status)).unwrap(),
            status.as_str()
        );
    }
    use ApplicationSource as S;
    same_wire_names::<S, ApplicationSourceV1>(&[S::Portal, S::Hr, S::Import]);
}

#[test]
fn malformed_application_payloads_are_refused() {
    let withdrawn = |from: &str, at: &str| json!({ "ApplicationWithdrawn": { "from": from, "by": null, "reason": null, "at": at } });
    for payload in [
        withdrawn("GHOSTED", "2024-09-02T08:15:20Z"),
        withdrawn("applied", "2024-09-02T08:15:20Z"),
        withdrawn("APPLIED", "yesterday"),
        json!({ "ApplicationWithdrawn": { "from": "APPLIED", "by": null, "reason": null } }),
    ] {
        let err = to_published("application", "ApplicationWithdrawn", "1.0", &payload).unwrap_err();
        assert!(
            matches!(err, SchemaError::Malformed(_)),
            "{payload}: {err:?}"
        );
    }
    let ce_type = "hireledger.application.ApplicationWithdrawn.v2";
    for body in [
        &br#"{"from":"GHOSTED","at":"2024-09-02T08:15:20Z"}"#[..],
        br#"{"from":"APPLIED","at":"2024-09-02"}"#,
        br#"{"from":"APPLIED"}"#,
    ] {
        let err = decode(ce_type, body).unwrap_err();
        assert!(
            matches!(err, SchemaError::Malformed(_)),
            "{}: {err:?}",
            String::from_utf8_lossy(body)
        );
    }
}
