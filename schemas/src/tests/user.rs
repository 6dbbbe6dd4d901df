//! The user aggregate's published forms.

use super::{HASH, id, round_trip_all, same_wire_names, sealed};
use crate::common::{RoleV1, SealedV1};
use crate::user::{UserPasswordChangedV1, UserRegisteredV1};
use crate::{PublishedEvent, UserEventV1};
use cqrs_es::Aggregate;
use hireledger_domain::user::{User, UserEvent};
use hireledger_domain::{PasswordHash, Role};

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

#[test]
fn every_user_event_round_trips() {
    assert_eq!(UserEventV1::AGGREGATE_TYPE, User::TYPE);
    round_trip_all(UserEventV1::AGGREGATE, user_events(), |e| {
        PublishedEvent::User(e.into())
    });
}

#[test]
fn user_forms_map_fields_explicitly() {
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
    same_wire_names::<Role, RoleV1>(&[
        Role::SystemAdmin,
        Role::Hr,
        Role::Employee,
        Role::Candidate,
    ]);
}
