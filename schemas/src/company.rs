//! Published forms (version 1) of the company aggregate's events (topic `{prefix}.company`).

use crate::common::SealedV1;
use hireledger_domain::company::{CompanyEvent, CompanySettings, ContactPerson};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The person who asked to register the company; becomes its first HR user on approval.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct ContactPersonV1 {
    /// Both the data-subject key id of `name`/`email` and the future user id.
    pub person_id: Uuid,
    pub name: SealedV1,
    pub email: SealedV1,
}

impl From<ContactPerson> for ContactPersonV1 {
    fn from(c: ContactPerson) -> Self {
        Self {
            person_id: c.person_id,
            name: c.name.into(),
            email: c.email.into(),
        }
    }
}

/// Per-company interview verdict thresholds (scores 0–100, `fail < pass`).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompanySettingsV1 {
    pub pass_threshold: u8,
    pub fail_threshold: u8,
}

impl From<CompanySettings> for CompanySettingsV1 {
    fn from(s: CompanySettings) -> Self {
        Self {
            pass_threshold: s.pass_threshold,
            fail_threshold: s.fail_threshold,
        }
    }
}

/// Someone asked to register a company; it waits for a platform administrator's decision.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CompanyRegistrationRequestedV1 {
    pub company_id: Uuid,
    /// Legal or trading name (not personal data).
    pub name: String,
    /// Lower-cased internet domain, e.g. `acme.io`.
    pub domain: String,
    pub contact: ContactPersonV1,
}

/// A platform administrator approved the registration; the contact became the first HR user.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CompanyApprovedV1 {
    /// The approving user; `null` when the platform acted on its own.
    pub approved_by: Option<Uuid>,
    pub first_hr_user_id: Uuid,
}

/// A platform administrator rejected the registration.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CompanyRegistrationRejectedV1 {
    /// The rejecting user; `null` when the platform acted on its own.
    pub rejected_by: Option<Uuid>,
    pub reason: String,
}

/// The company was deactivated; its users can no longer act.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CompanyDeactivatedV1 {
    /// The deactivating user; `null` when the platform acted on its own.
    pub deactivated_by: Option<Uuid>,
    pub reason: String,
}

/// A deactivated company was made active again.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CompanyReactivatedV1 {
    /// The reactivating user; `null` when the platform acted on its own.
    pub reactivated_by: Option<Uuid>,
}

/// The company's name and/or domain changed; `null` fields did not change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CompanyProfileUpdatedV1 {
    /// The updating user; `null` when the platform acted on its own.
    pub updated_by: Option<Uuid>,
    /// The new name, or `null` when unchanged.
    pub name: Option<String>,
    /// The new domain, or `null` when unchanged.
    pub domain: Option<String>,
}

/// The company's settings were replaced.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CompanySettingsChangedV1 {
    /// The changing user; `null` when the platform acted on its own.
    pub changed_by: Option<Uuid>,
    pub settings: CompanySettingsV1,
}

published_events! {
    /// Every published company event, version 1 of the published contract.
    pub enum CompanyEventV1 for "company" {
        domain: CompanyEvent,
        summary: "Company (tenant) lifecycle: registration request, approval or rejection, \
                  deactivation, reactivation, profile and settings changes.",
        events: {
            "CompanyRegistrationRequested" =>
                CompanyRegistrationRequested(CompanyRegistrationRequestedV1),
            "CompanyApproved" => CompanyApproved(CompanyApprovedV1),
            "CompanyRegistrationRejected" =>
                CompanyRegistrationRejected(CompanyRegistrationRejectedV1),
            "CompanyDeactivated" => CompanyDeactivated(CompanyDeactivatedV1),
            "CompanyReactivated" => CompanyReactivated(CompanyReactivatedV1),
            "CompanyProfileUpdated" => CompanyProfileUpdated(CompanyProfileUpdatedV1),
            "CompanySettingsChanged" => CompanySettingsChanged(CompanySettingsChangedV1),
        }
    }
}

impl From<CompanyEvent> for CompanyEventV1 {
    fn from(e: CompanyEvent) -> Self {
        match e {
            CompanyEvent::CompanyRegistrationRequested {
                company_id,
                name,
                domain,
                contact,
            } => Self::CompanyRegistrationRequested(CompanyRegistrationRequestedV1 {
                company_id,
                name: name.into(),
                domain: domain.into(),
                contact: contact.into(),
            }),
            CompanyEvent::CompanyApproved {
                approved_by,
                first_hr_user_id,
            } => Self::CompanyApproved(CompanyApprovedV1 {
                approved_by,
                first_hr_user_id,
            }),
            CompanyEvent::CompanyRegistrationRejected {
                rejected_by,
                reason,
            } => Self::CompanyRegistrationRejected(CompanyRegistrationRejectedV1 {
                rejected_by,
                reason,
            }),
            CompanyEvent::CompanyDeactivated {
                deactivated_by,
                reason,
            } => Self::CompanyDeactivated(CompanyDeactivatedV1 {
                deactivated_by,
                reason,
            }),
            CompanyEvent::CompanyReactivated { reactivated_by } => {
                Self::CompanyReactivated(CompanyReactivatedV1 { reactivated_by })
            }
            CompanyEvent::CompanyProfileUpdated {
                updated_by,
                name,
                domain,
            } => Self::CompanyProfileUpdated(CompanyProfileUpdatedV1 {
                updated_by,
                name: name.map(String::from),
                domain: domain.map(String::from),
            }),
            CompanyEvent::CompanySettingsChanged {
                changed_by,
                settings,
            } => Self::CompanySettingsChanged(CompanySettingsChangedV1 {
                changed_by,
                settings: settings.into(),
            }),
        }
    }
}
