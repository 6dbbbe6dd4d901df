//! What the stored and published forms refuse, and what decoding tolerates.

use crate::common::RoleV1;
use crate::user::UserRoleChangedV1;
use crate::*;
use serde_json::{Value, json};

#[test]
fn upcast_stored_is_a_no_op_for_current_versions() {
    let payload = json!({ "UserDeactivated": { "deactivated_by": null } });
    for version in ["1.0", "1.0.0", "1"] {
        let (event_type, upcast) =
            upcast_stored("user", "UserDeactivated", version, payload.clone()).unwrap();
        assert_eq!(event_type, "UserDeactivated");
        assert_eq!(upcast, payload);
    }
    // The only upcasters: 1.0 → 2.0 of the events that seal free text about a candidate.
    let upcasters = stored_upcasters();
    assert_eq!(upcasters.len(), 6);
    assert!(
        upcasters
            .iter()
            .all(|u| !u.can_upcast("UserDeactivated", "1.0"))
    );
    assert!(
        upcasters
            .iter()
            .any(|u| u.can_upcast("FeedbackSubmitted", "1.0"))
    );
    assert!(
        upcasters
            .iter()
            .all(|u| !u.can_upcast("FeedbackSubmitted", "2.0"))
    );
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
        ("payroll", "UserDeactivated"),
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
        "hireledger.payroll.UserDeactivated.v1",
        "hireledger.job.UserDeactivated.v1",
        "hireledger.application.JobCreated.v1",
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
        PublishedEvent::User(UserEventV1::UserRoleChanged(UserRoleChangedV1 {
            from: RoleV1::Hr,
            to: RoleV1::Employee,
            changed_by: None,
        }))
    );
}
