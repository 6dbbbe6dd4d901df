//! Round trips of every event and the error cases of the stored and published forms.

use crate::common::{RoleV1, SealedV1};
use crate::company::{CompanyRegistrationRequestedV1, CompanySettingsV1, ContactPersonV1};
use crate::user::{UserPasswordChangedV1, UserRegisteredV1};
use crate::*;
use cqrs_es::{Aggregate, DomainEvent};
use hireledger_domain::company::{Company, CompanyEvent, CompanySettings, ContactPerson};
use hireledger_domain::user::{User, UserEvent};
use hireledger_domain::{CompanyName, DomainName, PasswordHash, Role, Sealed};
use serde_json::{Value, json};
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

fn company_events() -> Vec<CompanyEvent> {
    vec![
        CompanyEvent::CompanyRegistrationRequested {
            company_id: id(1),
            name: CompanyName::parse("Acme GmbH").unwrap(),
            domain: DomainName::parse("acme.io").unwrap(),
            contact: ContactPerson {
                person_id: id(2),
                name: sealed(id(2), "bmFtZQ=="),
                email: sealed(id(2), "ZW1haWw="),
            },
        },
        CompanyEvent::CompanyApproved {
            approved_by: Some(id(9)),
            first_hr_user_id: id(2),
        },
        CompanyEvent::CompanyRegistrationRejected {
            rejected_by: None,
            reason: "unverified domain".into(),
        },
        CompanyEvent::CompanyDeactivated {
            deactivated_by: Some(id(9)),
            reason: "contract ended".into(),
        },
        CompanyEvent::CompanyReactivated {
            reactivated_by: None,
        },
        CompanyEvent::CompanyProfileUpdated {
            updated_by: Some(id(2)),
            name: None,
            domain: Some(DomainName::parse("acme.dev").unwrap()),
        },
        CompanyEvent::CompanySettingsChanged {
            changed_by: Some(id(2)),
            settings: CompanySettings::default(),
        },
    ]
}

fn user_events() -> Vec<UserEvent> {
    vec![
        UserEvent::UserRegistered {
            user_id: id(3),
            company_id: Some(id(1)),
            role: Role::Candidate,
            name: sealed(id(3), "bmFtZQ=="),
            email: sealed(id(3), "ZW1haWw="),
            password_hash: PasswordHash::new(HASH.into()),
            registered_by: None,
        },
        UserEvent::UserProfileUpdated {
            name: Some(sealed(id(3), "bmV3")),
            email: None,
            updated_by: Some(id(3)),
        },
        UserEvent::UserRoleChanged {
            from: Role::Employee,
            to: Role::Hr,
            changed_by: Some(id(2)),
        },
        UserEvent::UserPasswordChanged {
            password_hash: PasswordHash::new(HASH.into()),
            changed_by: Some(id(3)),
        },
        UserEvent::UserDeactivated {
            deactivated_by: Some(id(2)),
        },
        UserEvent::UserReactivated {
            reactivated_by: Some(id(2)),
        },
        UserEvent::UserPersonalDataErased { erased_by: None },
    ]
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

#[test]
fn every_company_event_round_trips() {
    let events = company_events();
    assert_eq!(events.len(), CompanyEventV1::EVENT_TYPES.len());
    for event in events {
        let expected = PublishedEvent::Company(event.clone().into());
        round_trip(Company::TYPE, &event, &expected);
    }
}

#[test]
fn every_user_event_round_trips() {
    let events = user_events();
    assert_eq!(events.len(), UserEventV1::EVENT_TYPES.len());
    for event in events {
        let expected = PublishedEvent::User(event.clone().into());
        round_trip(User::TYPE, &event, &expected);
    }
}

#[test]
fn aggregate_types_are_the_domain_ones() {
    assert_eq!(CompanyEventV1::AGGREGATE_TYPE, Company::TYPE);
    assert_eq!(UserEventV1::AGGREGATE_TYPE, User::TYPE);
}

#[test]
fn published_forms_map_fields_explicitly() {
    let requested = company_events().swap_remove(0);
    assert_eq!(
        CompanyEventV1::from(requested),
        CompanyEventV1::CompanyRegistrationRequested(CompanyRegistrationRequestedV1 {
            company_id: id(1),
            name: "Acme GmbH".into(),
            domain: "acme.io".into(),
            contact: ContactPersonV1 {
                person_id: id(2),
                name: SealedV1 {
                    subject: id(2),
                    ct: "bmFtZQ==".into()
                },
                email: SealedV1 {
                    subject: id(2),
                    ct: "ZW1haWw=".into()
                },
            },
        })
    );
    let users = user_events();
    assert_eq!(
        UserEventV1::from(users[0].clone()),
        UserEventV1::UserRegistered(UserRegisteredV1 {
            user_id: id(3),
            company_id: Some(id(1)),
            role: RoleV1::Candidate,
            name: SealedV1 {
                subject: id(3),
                ct: "bmFtZQ==".into()
            },
            email: SealedV1 {
                subject: id(3),
                ct: "ZW1haWw=".into()
            },
            registered_by: None,
        })
    );
    assert_eq!(
        UserEventV1::from(users[3].clone()).payload().unwrap(),
        serde_json::to_value(UserPasswordChangedV1 {
            changed_by: Some(id(3))
        })
        .unwrap()
    );
    assert_eq!(
        CompanySettingsV1::from(CompanySettings::default()),
        CompanySettingsV1 {
            pass_threshold: 70,
            fail_threshold: 40
        }
    );
}

#[test]
fn upcast_stored_is_a_no_op_for_current_versions() {
    let payload = json!({ "UserDeactivated": { "deactivated_by": null } });
    for version in ["1.0", "1.0.0", "1"] {
        let (event_type, upcast) =
            upcast_stored("user", "UserDeactivated", version, payload.clone()).unwrap();
        assert_eq!(event_type, "UserDeactivated");
        assert_eq!(upcast, payload);
    }
    assert!(stored_upcasters().is_empty());
}

#[test]
fn unknown_versions_are_refused() {
    let payload = json!({ "UserDeactivated": { "deactivated_by": null } });
    for version in ["2.0", "1.1", "0.9", "", "one", "1.x"] {
        let err = to_published("user", "UserDeactivated", version, &payload).unwrap_err();
        assert!(
            matches!(
                &err,
                SchemaError::UnsupportedVersion { event_type, version: v }
                    if event_type == "UserDeactivated" && v == version
            ),
            "{version}: {err:?}"
        );
    }
}

#[test]
fn unknown_aggregates_and_event_types_are_refused() {
    let payload = json!({ "UserDeactivated": { "deactivated_by": null } });
    for (aggregate, event_type) in [
        ("interview", "UserDeactivated"),
        ("user", "UserVanished"),
        ("company", "UserDeactivated"),
        ("", ""),
    ] {
        let err = to_published(aggregate, event_type, "1.0", &payload).unwrap_err();
        assert!(
            matches!(
                &err,
                SchemaError::UnknownEvent { aggregate_type, event_type: e }
                    if aggregate_type == aggregate && e == event_type
            ),
            "{aggregate}/{event_type}: {err:?}"
        );
    }
}

#[test]
fn malformed_stored_payloads_are_refused() {
    let cases = [
        // Not the externally tagged enum.
        ("UserDeactivated", json!({ "deactivated_by": null })),
        ("UserDeactivated", json!("UserDeactivated")),
        ("UserDeactivated", Value::Null),
        // Wrong field type.
        (
            "UserDeactivated",
            json!({ "UserDeactivated": { "deactivated_by": 7 } }),
        ),
        // Missing required field.
        (
            "UserRoleChanged",
            json!({ "UserRoleChanged": { "from": "HR", "changed_by": null } }),
        ),
        // Unknown role.
        (
            "UserRoleChanged",
            json!({ "UserRoleChanged": { "from": "HR", "to": "CEO", "changed_by": null } }),
        ),
    ];
    for (event_type, payload) in cases {
        let err = to_published("user", event_type, "1.0", &payload).unwrap_err();
        assert!(
            matches!(err, SchemaError::Malformed(_)),
            "{payload}: {err:?}"
        );
    }
}

#[test]
fn a_payload_of_another_event_type_than_its_row_is_refused() {
    let payload = json!({ "UserReactivated": { "reactivated_by": null } });
    let err = to_published("user", "UserDeactivated", "1.0", &payload).unwrap_err();
    assert!(matches!(err, SchemaError::Malformed(_)), "{err:?}");
}

#[test]
fn decode_refuses_unknown_types_and_versions() {
    let body = br#"{"deactivated_by":null}"#;
    for ce_type in [
        "",
        "hireledger",
        "hireledger.user",
        "hireledger.user.UserDeactivated",
        "other.user.UserDeactivated.v1",
        "hireledger.user.UserVanished.v1",
        "hireledger.interview.UserDeactivated.v1",
        "hireledger.company.UserDeactivated.v1",
    ] {
        let err = decode(ce_type, body).unwrap_err();
        assert!(
            matches!(err, SchemaError::UnknownEvent { .. }),
            "{ce_type}: {err:?}"
        );
    }
    for (ce_type, version) in [
        ("hireledger.user.UserDeactivated.v2", "v2"),
        ("hireledger.user.UserDeactivated.v0", "v0"),
        ("hireledger.user.UserDeactivated.vx", "vx"),
    ] {
        let err = decode(ce_type, body).unwrap_err();
        assert!(
            matches!(
                &err,
                SchemaError::UnsupportedVersion { event_type, version: v }
                    if event_type == "UserDeactivated" && v == version
            ),
            "{ce_type}: {err:?}"
        );
    }
}

#[test]
fn decode_refuses_malformed_payloads() {
    let ce_type = "hireledger.user.UserRoleChanged.v1";
    for body in [
        &b"not json"[..],
        b"",
        b"[]",
        br#"{"from":"HR","changed_by":null}"#,
        br#"{"from":"HR","to":"hr","changed_by":null}"#,
        br#"{"UserRoleChanged":{"from":"HR","to":"EMPLOYEE","changed_by":null}}"#,
    ] {
        let err = decode(ce_type, body).unwrap_err();
        assert!(
            matches!(err, SchemaError::Malformed(_)),
            "{}: {err:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn decode_tolerates_unknown_fields_and_absent_optional_ones() {
    let decoded = decode(
        "hireledger.user.UserRoleChanged.v1",
        br#"{"from":"HR","to":"EMPLOYEE","reason":"added in 1.1"}"#,
    )
    .unwrap();
    assert_eq!(
        decoded,
        PublishedEvent::User(UserEventV1::UserRoleChanged(user::UserRoleChangedV1 {
            from: RoleV1::Hr,
            to: RoleV1::Employee,
            changed_by: None,
        }))
    );
}

#[test]
fn ce_type_format() {
    assert_eq!(
        ce_type("user", "UserRegistered"),
        "hireledger.user.UserRegistered.v1"
    );
}
