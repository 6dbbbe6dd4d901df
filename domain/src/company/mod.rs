//! Company (tenant): registration request → approved/rejected → deactivated/reactivated.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::Company;

use crate::{Actor, CompanyName, DomainName, Sealed};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The person who asked to register the company and becomes its first HR user on approval.
/// `person_id` is both the data-subject key id and the future user id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPerson {
    pub person_id: Uuid,
    pub name: Sealed,
    pub email: Sealed,
}

/// Per-company defaults used by later features (interview verdicts). Scores are 0–100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySettings {
    pub pass_threshold: u8,
    pub fail_threshold: u8,
}

impl Default for CompanySettings {
    fn default() -> Self {
        Self {
            pass_threshold: 70,
            fail_threshold: 40,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompanyStatus {
    #[default]
    None,
    Pending,
    Active,
    Rejected,
    Deactivated,
}

impl CompanyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Pending => "PENDING",
            Self::Active => "ACTIVE",
            Self::Rejected => "REJECTED",
            Self::Deactivated => "DEACTIVATED",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompanyCommand {
    RequestRegistration {
        company_id: Uuid,
        name: CompanyName,
        domain: DomainName,
        contact: ContactPerson,
    },
    Approve {
        actor: Actor,
    },
    Reject {
        actor: Actor,
        reason: String,
    },
    Deactivate {
        actor: Actor,
        reason: String,
    },
    Reactivate {
        actor: Actor,
    },
    UpdateProfile {
        actor: Actor,
        name: Option<CompanyName>,
        domain: Option<DomainName>,
    },
    ChangeSettings {
        actor: Actor,
        settings: CompanySettings,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CompanyEvent {
    CompanyRegistrationRequested {
        company_id: Uuid,
        name: CompanyName,
        domain: DomainName,
        contact: ContactPerson,
    },
    CompanyApproved {
        approved_by: Option<Uuid>,
        first_hr_user_id: Uuid,
    },
    CompanyRegistrationRejected {
        rejected_by: Option<Uuid>,
        reason: String,
    },
    CompanyDeactivated {
        deactivated_by: Option<Uuid>,
        reason: String,
    },
    CompanyReactivated {
        reactivated_by: Option<Uuid>,
    },
    CompanyProfileUpdated {
        updated_by: Option<Uuid>,
        name: Option<CompanyName>,
        domain: Option<DomainName>,
    },
    CompanySettingsChanged {
        changed_by: Option<Uuid>,
        settings: CompanySettings,
    },
}

impl DomainEvent for CompanyEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CompanyRegistrationRequested { .. } => "CompanyRegistrationRequested",
            Self::CompanyApproved { .. } => "CompanyApproved",
            Self::CompanyRegistrationRejected { .. } => "CompanyRegistrationRejected",
            Self::CompanyDeactivated { .. } => "CompanyDeactivated",
            Self::CompanyReactivated { .. } => "CompanyReactivated",
            Self::CompanyProfileUpdated { .. } => "CompanyProfileUpdated",
            Self::CompanySettingsChanged { .. } => "CompanySettingsChanged",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// Every way a company command can be refused. Stable: the API maps each to a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CompanyError {
    #[error("company already registered")]
    AlreadyRegistered,
    #[error("company not found")]
    NotFound,
    #[error("company registration is not pending")]
    NotPending,
    #[error("company is not active")]
    NotActive,
    #[error("company is not deactivated")]
    NotDeactivated,
    #[error("not allowed")]
    Forbidden,
    #[error("thresholds must satisfy 0 <= fail < pass <= 100")]
    InvalidThresholds,
    #[error("reason must be 1 to 1000 characters")]
    InvalidReason,
    #[error("nothing to change")]
    NothingToChange,
    /// The contact's data must be sealed with the contact's own key (crypto-shredding).
    #[error("personal data sealed for another data subject")]
    WrongDataSubject,
}
