//! The company aggregate's published forms.

use super::{id, round_trip_all, sealed};
use crate::common::SealedV1;
use crate::company::{CompanyRegistrationRequestedV1, CompanySettingsV1, ContactPersonV1};
use crate::{CompanyEventV1, PublishedEvent};
use cqrs_es::Aggregate;
use hireledger_domain::company::{Company, CompanyEvent, CompanySettings, ContactPerson};
use hireledger_domain::{CompanyName, DomainName};

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

#[test]
fn every_company_event_round_trips() {
    assert_eq!(CompanyEventV1::AGGREGATE_TYPE, Company::TYPE);
    round_trip_all(CompanyEventV1::AGGREGATE, company_events(), |e| {
        PublishedEvent::Company(e.into())
    });
}

#[test]
fn company_forms_map_fields_explicitly() {
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
    assert_eq!(
        CompanySettingsV1::from(CompanySettings::default()),
        CompanySettingsV1 {
            pass_threshold: 70,
            fail_threshold: 40
        }
    );
}
