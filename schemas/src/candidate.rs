//! Published forms of the candidate aggregate's events (topic `{prefix}.candidate`): version 1,
//! and version 2 of `CandidateCreated` and `CandidateUpdated`, whose profile seals the position and
//! the tags too.
//!
//! A candidate is a person in one company's talent pool, with or without a user account: created
//! ACTIVE, updated, assigned to an employee, linked to a `CANDIDATE` user account, and finally
//! deleted (final). Personal data (`name`, `email`, `phone`, `qualifications`) is published sealed
//! under the candidate's own key (data subject = `candidate_id`); deleting the candidate destroys
//! that key, so every published copy becomes unreadable. So are, from version 2, the free-text
//! `position` and `tags`. The rest of the profile describes the pool, not the person, and is
//! published clear.

use crate::common::{PersonalTextV2, SealedV1};
use hireledger_domain::candidate::{CandidateEvent, CandidateProfile, CandidateSource};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How the candidate entered the pool. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CandidateSourceV1 {
    /// Entered by hand by HR.
    Manual,
    /// Bulk import.
    Import,
    /// Public careers portal.
    Portal,
    Referral,
    Agency,
    Other,
}

impl From<CandidateSource> for CandidateSourceV1 {
    fn from(s: CandidateSource) -> Self {
        match s {
            CandidateSource::Manual => Self::Manual,
            CandidateSource::Import => Self::Import,
            CandidateSource::Portal => Self::Portal,
            CandidateSource::Referral => Self::Referral,
            CandidateSource::Agency => Self::Agency,
            CandidateSource::Other => Self::Other,
        }
    }
}

/// Everything known about a candidate (version 2). The sealed fields are personal data under the
/// candidate's key (subject = `candidate_id`); the rest is clear and trimmed. Version 1 had the
/// position and the tags in clear; a `v1` profile reads as this form with clear text.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CandidateProfileV2 {
    pub name: SealedV1,
    pub email: SealedV1,
    /// `null` when not given.
    pub phone: Option<SealedV1>,
    /// A sealed JSON list (CV entries, certificates); `null` when not given.
    pub qualifications: Option<SealedV1>,
    /// The position sought, up to 200 characters (may be empty), sealed under the candidate's
    /// key (clear text only when written before version 2).
    pub position: PersonalTextV2,
    /// Field of work, up to 200 characters; may be empty.
    pub domain: String,
    /// 0–70.
    pub experience_years: u8,
    pub source: CandidateSourceV1,
    /// At most 20 free-text tags of 1–50 characters, unique case-insensitively (case kept), each
    /// sealed under the candidate's key (clear text only when written before version 2).
    pub tags: Vec<PersonalTextV2>,
}

impl From<CandidateProfile> for CandidateProfileV2 {
    fn from(p: CandidateProfile) -> Self {
        Self {
            name: p.name.into(),
            email: p.email.into(),
            phone: p.phone.map(SealedV1::from),
            qualifications: p.qualifications.map(SealedV1::from),
            position: p.position.into(),
            domain: p.domain,
            experience_years: p.experience_years,
            source: p.source.into(),
            tags: p.tags.into_iter().map(PersonalTextV2::from).collect(),
        }
    }
}

/// A candidate was added to a company's talent pool (ACTIVE). Version 2: the profile's position
/// and tags are sealed.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CandidateCreatedV2 {
    /// Also the data subject of the profile's sealed values.
    pub candidate_id: Uuid,
    /// The company (tenant) whose pool the candidate is in.
    pub company_id: Uuid,
    /// The creating user; `null` when the platform acted on its own.
    pub created_by: Option<Uuid>,
    pub profile: CandidateProfileV2,
    /// The candidate's `CANDIDATE` user account; `null` when none is linked.
    pub user_id: Option<Uuid>,
    /// The import that brought the candidate in; `null` when not imported.
    pub import_id: Option<Uuid>,
}

/// The candidate's profile was replaced as a whole. Version 2: the profile's position and tags
/// are sealed.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CandidateUpdatedV2 {
    /// The updating user; `null` when the platform acted on its own.
    pub updated_by: Option<Uuid>,
    /// The new profile (all of it, not only what changed).
    pub profile: CandidateProfileV2,
}

/// The candidate was assigned to an active employee of their company (replacing any earlier
/// assignee).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CandidateAssignedV1 {
    /// The assigning user; `null` when the platform acted on its own.
    pub assigned_by: Option<Uuid>,
    /// The assignee's user id.
    pub employee_id: Uuid,
}

/// The candidate no longer has an assignee.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CandidateUnassignedV1 {
    /// The unassigning user; `null` when the platform acted on its own.
    pub unassigned_by: Option<Uuid>,
}

/// The candidate was linked to a `CANDIDATE` user account of the same company.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CandidateLinkedToUserV1 {
    /// The linking user; `null` when the platform acted on its own.
    pub linked_by: Option<Uuid>,
    pub user_id: Uuid,
}

/// The candidate was deleted (final) and their key destroyed: every sealed value of this
/// subject is now unreadable. Consumers drop whatever they derived from it.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CandidateDeletedV1 {
    /// The deleting user; `null` when the platform acted on its own.
    pub deleted_by: Option<Uuid>,
}

published_events! {
    /// Every published candidate event, each in its current major.
    pub enum CandidateEventV1 for "candidate" {
        domain: CandidateEvent,
        summary: "Candidates in companies' talent pools: creation, profile updates, assignment to \
                  employees, linking to user accounts and deletion.",
        events: {
            "CandidateCreated" @ 2 => CandidateCreated(CandidateCreatedV2),
            "CandidateUpdated" @ 2 => CandidateUpdated(CandidateUpdatedV2),
            "CandidateAssigned" => CandidateAssigned(CandidateAssignedV1),
            "CandidateUnassigned" => CandidateUnassigned(CandidateUnassignedV1),
            "CandidateLinkedToUser" => CandidateLinkedToUser(CandidateLinkedToUserV1),
            "CandidateDeleted" => CandidateDeleted(CandidateDeletedV1),
        }
    }
}

impl From<CandidateEvent> for CandidateEventV1 {
    fn from(e: CandidateEvent) -> Self {
        match e {
            CandidateEvent::CandidateCreated {
                candidate_id,
                company_id,
                created_by,
                profile,
                user_id,
                import_id,
            } => Self::CandidateCreated(CandidateCreatedV2 {
                candidate_id,
                company_id,
                created_by,
                profile: profile.into(),
                user_id,
                import_id,
            }),
            CandidateEvent::CandidateUpdated {
                updated_by,
                profile,
            } => Self::CandidateUpdated(CandidateUpdatedV2 {
                updated_by,
                profile: profile.into(),
            }),
            CandidateEvent::CandidateAssigned {
                assigned_by,
                employee_id,
            } => Self::CandidateAssigned(CandidateAssignedV1 {
                assigned_by,
                employee_id,
            }),
            CandidateEvent::CandidateUnassigned { unassigned_by } => {
                Self::CandidateUnassigned(CandidateUnassignedV1 { unassigned_by })
            }
            CandidateEvent::CandidateLinkedToUser { linked_by, user_id } => {
                Self::CandidateLinkedToUser(CandidateLinkedToUserV1 { linked_by, user_id })
            }
            CandidateEvent::CandidateDeleted { deleted_by } => {
                Self::CandidateDeleted(CandidateDeletedV1 { deleted_by })
            }
        }
    }
}
