//! User: registered inside a company (or as platform admin), role changes, deactivation,
//! password changes and erasure of personal data (crypto-shredding).

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::User;

use crate::{Actor, PasswordHash, Role, Sealed};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    #[default]
    None,
    Active,
    Deactivated,
    Erased,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Active => "ACTIVE",
            Self::Deactivated => "DEACTIVATED",
            Self::Erased => "ERASED",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// `name` and `email` are sealed with the key of `user_id` (the user is their own subject).
    Register {
        actor: Actor,
        user_id: Uuid,
        company_id: Option<Uuid>,
        role: Role,
        name: Sealed,
        email: Sealed,
        password_hash: PasswordHash,
    },
    UpdateProfile {
        actor: Actor,
        name: Option<Sealed>,
        email: Option<Sealed>,
    },
    ChangeRole {
        actor: Actor,
        role: Role,
    },
    ChangePassword {
        actor: Actor,
        password_hash: PasswordHash,
    },
    Deactivate {
        actor: Actor,
    },
    Reactivate {
        actor: Actor,
    },
    /// The caller has already destroyed the subject's key; this records that it happened.
    ErasePersonalData {
        actor: Actor,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    UserRegistered {
        user_id: Uuid,
        company_id: Option<Uuid>,
        role: Role,
        name: Sealed,
        email: Sealed,
        password_hash: PasswordHash,
        registered_by: Option<Uuid>,
    },
    UserProfileUpdated {
        name: Option<Sealed>,
        email: Option<Sealed>,
        updated_by: Option<Uuid>,
    },
    UserRoleChanged {
        from: Role,
        to: Role,
        changed_by: Option<Uuid>,
    },
    UserPasswordChanged {
        password_hash: PasswordHash,
        changed_by: Option<Uuid>,
    },
    UserDeactivated {
        deactivated_by: Option<Uuid>,
    },
    UserReactivated {
        reactivated_by: Option<Uuid>,
    },
    UserPersonalDataErased {
        erased_by: Option<Uuid>,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            Self::UserRegistered { .. } => "UserRegistered",
            Self::UserProfileUpdated { .. } => "UserProfileUpdated",
            Self::UserRoleChanged { .. } => "UserRoleChanged",
            Self::UserPasswordChanged { .. } => "UserPasswordChanged",
            Self::UserDeactivated { .. } => "UserDeactivated",
            Self::UserReactivated { .. } => "UserReactivated",
            Self::UserPersonalDataErased { .. } => "UserPersonalDataErased",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("user already exists")]
    AlreadyExists,
    #[error("user not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("system administrators belong to no company; every other role belongs to one")]
    RoleCompanyMismatch,
    #[error("only platform administrators grant or revoke SYSTEM_ADMIN")]
    AdminRoleReserved,
    #[error("users cannot change their own role or deactivate or erase themselves")]
    SelfAction,
    #[error("user is deactivated")]
    Deactivated,
    #[error("user is already active")]
    AlreadyActive,
    #[error("user's personal data was erased")]
    Erased,
    #[error("nothing to change")]
    NothingToChange,
    /// Personal data must be sealed with the user's own key, or erasing the user would not
    /// erase it.
    #[error("personal data sealed for another data subject")]
    WrongDataSubject,
}
