//! Who issues a command: the platform itself, an anonymous visitor, or a signed-in user.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user's role. Serialized names are part of the public contract and never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    SystemAdmin,
    Hr,
    Employee,
    Candidate,
}

impl Role {
    /// The stable wire name (`SYSTEM_ADMIN`, `HR`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SystemAdmin => "SYSTEM_ADMIN",
            Self::Hr => "HR",
            Self::Employee => "EMPLOYEE",
            Self::Candidate => "CANDIDATE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SYSTEM_ADMIN" => Some(Self::SystemAdmin),
            "HR" => Some(Self::Hr),
            "EMPLOYEE" => Some(Self::Employee),
            "CANDIDATE" => Some(Self::Candidate),
            _ => None,
        }
    }

    /// Platform operators belong to no company; everyone else belongs to exactly one.
    pub fn needs_company(self) -> bool {
        !matches!(self, Self::SystemAdmin)
    }
}

/// The issuer of a command, carried inside the command so aggregates can enforce who may do what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// The platform acting on its own behalf (bootstrap, process managers).
    System,
    /// An unauthenticated visitor (public registration).
    Anonymous,
    /// A signed-in user.
    User {
        user_id: Uuid,
        role: Role,
        company_id: Option<Uuid>,
    },
}

impl Actor {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::User { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    pub fn is_platform_admin(&self) -> bool {
        matches!(
            self,
            Self::System
                | Self::User {
                    role: Role::SystemAdmin,
                    ..
                }
        )
    }

    /// Platform admins manage every company; HR manages only its own.
    pub fn manages_company(&self, company_id: Option<Uuid>) -> bool {
        match self {
            Self::System => true,
            Self::Anonymous => false,
            Self::User {
                role: Role::SystemAdmin,
                ..
            } => true,
            Self::User {
                role: Role::Hr,
                company_id: own,
                ..
            } => own.is_some() && *own == company_id,
            Self::User { .. } => false,
        }
    }
}
