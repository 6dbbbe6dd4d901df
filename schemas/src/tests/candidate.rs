//! The candidate aggregate's published forms.

use super::{id, round_trip_all, same_wire_names, sealed};
use crate::candidate::{
    CandidateCreatedV2, CandidateProfileV2, CandidateSourceV1, CandidateUpdatedV2,
};
use crate::common::{PersonalTextV2, SealedV1};
use crate::{CandidateEventV1, PublishedEvent, SchemaError, decode, to_published};
use cqrs_es::Aggregate;
use hireledger_domain::PersonalText;
use hireledger_domain::candidate::{Candidate, CandidateEvent, CandidateProfile, CandidateSource};
use serde_json::json;

const CANDIDATE: u128 = 0xCA;

fn profile() -> CandidateProfile {
    CandidateProfile {
        name: sealed(id(CANDIDATE), "bmFtZQ=="),
        email: sealed(id(CANDIDATE), "ZW1haWw="),
        phone: Some(sealed(id(CANDIDATE), "cGhvbmU=")),
        qualifications: None,
        position: PersonalText::Sealed(sealed(id(CANDIDATE), "cG9zaXRpb24=")),
        domain: "Software".into(),
        experience_years: 6,
        source: CandidateSource::Import,
        tags: vec![
            PersonalText::Sealed(sealed(id(CANDIDATE), "UnVzdA==")),
            PersonalText::Clear("postgres".into()),
        ],
    }
}

fn sealed_v1(ct: &str) -> SealedV1 {
    SealedV1 {
        subject: id(CANDIDATE),
        ct: ct.into(),
    }
}

fn candidate_events() -> Vec<CandidateEvent> {
    vec![
        CandidateEvent::CandidateCreated {
            candidate_id: id(CANDIDATE),
            company_id: id(1),
            created_by: Some(id(2)),
            profile: profile(),
            user_id: None,
            import_id: Some(id(0x1F)),
        },
        CandidateEvent::CandidateUpdated {
            updated_by: None,
            profile: CandidateProfile {
                phone: None,
                qualifications: Some(sealed(id(CANDIDATE), "cXVhbA==")),
                position: PersonalText::Clear(String::new()),
                source: CandidateSource::Referral,
                tags: Vec::new(),
                ..profile()
            },
        },
        CandidateEvent::CandidateAssigned {
            assigned_by: Some(id(2)),
            employee_id: id(4),
        },
        CandidateEvent::CandidateUnassigned {
            unassigned_by: None,
        },
        CandidateEvent::CandidateLinkedToUser {
            linked_by: Some(id(2)),
            user_id: id(0xCB),
        },
        CandidateEvent::CandidateDeleted {
            deleted_by: Some(id(9)),
        },
    ]
}

#[test]
fn every_candidate_event_round_trips() {
    assert_eq!(CandidateEventV1::AGGREGATE_TYPE, Candidate::TYPE);
    round_trip_all(CandidateEventV1::AGGREGATE, candidate_events(), |e| {
        PublishedEvent::Candidate(e.into())
    });
}

#[test]
fn candidate_forms_map_fields_explicitly() {
    let events = candidate_events();
    let created = CandidateEventV1::from(events[0].clone());
    assert_eq!(
        created,
        CandidateEventV1::CandidateCreated(CandidateCreatedV2 {
            candidate_id: id(CANDIDATE),
            company_id: id(1),
            created_by: Some(id(2)),
            profile: CandidateProfileV2 {
                name: sealed_v1("bmFtZQ=="),
                email: sealed_v1("ZW1haWw="),
                phone: Some(sealed_v1("cGhvbmU=")),
                qualifications: None,
                position: PersonalTextV2::Sealed(sealed_v1("cG9zaXRpb24=")),
                domain: "Software".into(),
                experience_years: 6,
                source: CandidateSourceV1::Import,
                tags: vec![
                    PersonalTextV2::Sealed(sealed_v1("UnVzdA==")),
                    PersonalTextV2::Clear("postgres".into()),
                ],
            },
            user_id: None,
            import_id: Some(id(0x1F)),
        })
    );
    // Personal data goes out as ciphertext under the candidate's key, never clear.
    assert_eq!(
        created.payload().unwrap()["profile"]["name"],
        json!({ "subject": id(CANDIDATE), "ct": "bmFtZQ==" })
    );
    assert_eq!(
        created.payload().unwrap()["profile"]["position"],
        json!({ "subject": id(CANDIDATE), "ct": "cG9zaXRpb24=" })
    );
    assert_eq!(
        CandidateEventV1::from(events[1].clone()),
        CandidateEventV1::CandidateUpdated(CandidateUpdatedV2 {
            updated_by: None,
            profile: CandidateProfileV2 {
                name: sealed_v1("bmFtZQ=="),
                email: sealed_v1("ZW1haWw="),
                phone: None,
                qualifications: Some(sealed_v1("cXVhbA==")),
                position: PersonalTextV2::Clear(String::new()),
                domain: "Software".into(),
                experience_years: 6,
                source: CandidateSourceV1::Referral,
                tags: Vec::new(),
            },
        })
    );
}

#[test]
fn candidate_enums_keep_the_domain_wire_names() {
    same_wire_names::<CandidateSource, CandidateSourceV1>(&CandidateSource::ALL);
    for source in CandidateSource::ALL {
        assert_eq!(
            serde_json::to_value(CandidateSourceV1::from(source)).unwrap(),
            source.as_str()
        );
    }
}

#[test]
fn malformed_candidate_payloads_are_refused() {
    let mut clear_name =
        json!({ "CandidateUpdated": { "updated_by": null, "profile": profile() } });
    clear_name["CandidateUpdated"]["profile"]["name"] = json!("Jane Doe");
    let mut bad_source = clear_name.clone();
    bad_source["CandidateUpdated"]["profile"]["name"] =
        json!({ "subject": id(CANDIDATE), "ct": "x" });
    bad_source["CandidateUpdated"]["profile"]["source"] = json!("HEADHUNTER");
    for payload in [
        clear_name,
        bad_source,
        json!({ "CandidateAssigned": { "assigned_by": null } }),
    ] {
        let event_type = payload.as_object().unwrap().keys().next().unwrap().clone();
        let err = to_published("candidate", &event_type, "1.0", &payload).unwrap_err();
        assert!(
            matches!(err, SchemaError::Malformed(_)),
            "{payload}: {err:?}"
        );
    }
    let err = decode(
        "hireledger.candidate.CandidateLinkedToUser.v1",
        br#"{"linked_by":null}"#,
    )
    .unwrap_err();
    assert!(matches!(err, SchemaError::Malformed(_)), "{err:?}");
}
