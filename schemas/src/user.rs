//! Published forms (version 1) of the user aggregate's events (topic `{prefix}.user`).
//!
//! Password hashes stay in the event store: no published form has a field for them.

use crate::common::{RoleV1, SealedV1};
use hireledger_domain::user::UserEvent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user account was created (inside a company, or as platform administrator).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UserRegisteredV1 {
    pub user_id: Uuid,
    /// The user's company; `null` for platform administrators.
    pub company_id: Option<Uuid>,
    pub role: RoleV1,
    /// Sealed with the key of `user_id`.
    pub name: SealedV1,
    /// Sealed with the key of `user_id`.
    pub email: SealedV1,
    /// The registering user; `null` for self-registration or the platform itself.
    pub registered_by: Option<Uuid>,
}

/// The user's name and/or e-mail changed; `null` fields did not change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UserProfileUpdatedV1 {
    /// The new name (sealed), or `null` when unchanged.
    pub name: Option<SealedV1>,
    /// The new e-mail (sealed), or `null` when unchanged.
    pub email: Option<SealedV1>,
    /// The updating user; `null` when the platform acted on its own.
    pub updated_by: Option<Uuid>,
}

/// The user's role changed.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UserRoleChangedV1 {
    pub from: RoleV1,
    pub to: RoleV1,
    /// The changing user; `null` when the platform acted on its own.
    pub changed_by: Option<Uuid>,
}

/// The user's password changed (the new hash is never published).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UserPasswordChangedV1 {
    /// The changing user (the user themselves or an administrator); `null` for the platform.
    pub changed_by: Option<Uuid>,
}

/// The user was deactivated and can no longer sign in.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UserDeactivatedV1 {
    /// The deactivating user; `null` when the platform acted on its own.
    pub deactivated_by: Option<Uuid>,
}

/// A deactivated user was made active again.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UserReactivatedV1 {
    /// The reactivating user; `null` when the platform acted on its own.
    pub reactivated_by: Option<Uuid>,
}

/// The user's data key was destroyed: every sealed value of this subject is now unreadable.
/// Consumers drop whatever they derived from it.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UserPersonalDataErasedV1 {
    /// The erasing user; `null` when the platform acted on its own.
    pub erased_by: Option<Uuid>,
}

published_events! {
    /// Every published user event, version 1 of the published contract.
    pub enum UserEventV1 for "user" {
        domain: UserEvent,
        summary: "User lifecycle: registration, profile, role and password changes, deactivation, \
                  reactivation and erasure of personal data.",
        events: {
            "UserRegistered" => UserRegistered(UserRegisteredV1),
            "UserProfileUpdated" => UserProfileUpdated(UserProfileUpdatedV1),
            "UserRoleChanged" => UserRoleChanged(UserRoleChangedV1),
            "UserPasswordChanged" => UserPasswordChanged(UserPasswordChangedV1),
            "UserDeactivated" => UserDeactivated(UserDeactivatedV1),
            "UserReactivated" => UserReactivated(UserReactivatedV1),
            "UserPersonalDataErased" => UserPersonalDataErased(UserPersonalDataErasedV1),
        }
    }
}

impl From<UserEvent> for UserEventV1 {
    fn from(e: UserEvent) -> Self {
        match e {
            UserEvent::UserRegistered {
                user_id,
                company_id,
                role,
                name,
                email,
                password_hash: _,
                registered_by,
            } => Self::UserRegistered(UserRegisteredV1 {
                user_id,
                company_id,
                role: role.into(),
                name: name.into(),
                email: email.into(),
                registered_by,
            }),
            UserEvent::UserProfileUpdated {
                name,
                email,
                updated_by,
            } => Self::UserProfileUpdated(UserProfileUpdatedV1 {
                name: name.map(SealedV1::from),
                email: email.map(SealedV1::from),
                updated_by,
            }),
            UserEvent::UserRoleChanged {
                from,
                to,
                changed_by,
            } => Self::UserRoleChanged(UserRoleChangedV1 {
                from: from.into(),
                to: to.into(),
                changed_by,
            }),
            UserEvent::UserPasswordChanged {
                password_hash: _,
                changed_by,
            } => Self::UserPasswordChanged(UserPasswordChangedV1 { changed_by }),
            UserEvent::UserDeactivated { deactivated_by } => {
                Self::UserDeactivated(UserDeactivatedV1 { deactivated_by })
            }
            UserEvent::UserReactivated { reactivated_by } => {
                Self::UserReactivated(UserReactivatedV1 { reactivated_by })
            }
            UserEvent::UserPersonalDataErased { erased_by } => {
                Self::UserPersonalDataErased(UserPersonalDataErasedV1 { erased_by })
            }
        }
    }
}
