//! Candidate: a person in a company's talent pool, whether or not they have a user account.
//! Created ACTIVE by HR (by hand, by import or from the portal), updated, assigned to an
//! employee, linked to a `CANDIDATE` user account, and finally deleted (DELETED is final).
//!
//! Design choices:
//! - Personal data is sealed, never clear: `name`, `email`, `phone` and `qualifications` arrive as
//!   [`Sealed`] values under the candidate's own key (the data subject is the `candidate_id`, not
//!   a user id, because a candidate need not have an account). Deleting a candidate destroys that
//!   one key, which makes every copy unreadable — in the event store, on Kafka and in read models
//!   — without rewriting a single event. A value sealed for anyone else would survive that
//!   deletion, so it is refused with [`CandidateError::WrongDataSubject`]. `qualifications` is a
//!   sealed JSON list: free-form CVs and certificates say too much about a person to go clear;
//!   the domain treats it as opaque.
//! - `position` and `tags` are free text that can describe the person, so they are sealed too
//!   (from version 2.0 of `CandidateCreated`/`CandidateUpdated`): each a [`PersonalText`] sealed
//!   under the candidate's key. The command layer checks and trims them in clear first
//!   ([`normalize_position`], [`normalize_tags`]); the aggregate refuses clear or foreign ones
//!   with [`CandidateError::WrongDataSubject`]. Version 1.0 recorded them in clear; they read as
//!   [`PersonalText::Clear`]. Read models keep the opened values for filtering and delete them
//!   with the candidate.
//! - The rest of [`CandidateProfile`] stays clear because it describes the pool, not the person,
//!   and read models filter on it: `domain` (field of work), `experience_years` and `source`.
//! - Commands carry plain data; the aggregate validates and normalizes the clear fields (trims)
//!   and the events record the normalized form. Refusals of input are
//!   [`CandidateError::Invalid`] with the stable `field`/`reason` words of [`InvalidValue`].
//!   Tags keep their case but are unique case-insensitively.
//! - `Update` replaces the whole profile (PUT semantics); an identical profile is refused with
//!   [`CandidateError::NothingToChange`]. Sealed values compare by ciphertext, so the command
//!   layer should pass the stored sealed value back when a personal field did not change.
//! - Outside data is looked up by the command layer and put in the command: the linked user
//!   account on `Create` and `LinkUser` (checked there to be a `CANDIDATE` of the same company),
//!   and the would-be assignee's account ([`AssigneeView`]) on `Assign`.
//! - Who may act: HR of the candidate's company or a platform admin (including
//!   [`Actor::System`]) for every command. Employees and candidates may not change candidates.
//! - Order of refusals: existence ([`CandidateError::NotFound`]), authority
//!   ([`CandidateError::Forbidden`]), deletion ([`CandidateError::Deleted`]), then the command's
//!   own rules. `Create` checks authority first (the company is in the command), then
//!   existence ([`CandidateError::AlreadyExists`], or `Deleted` for a deleted id).
//! - `Delete` leaves a tombstone: the aggregate keeps its ids and status but forgets the profile,
//!   and refuses every later command with [`CandidateError::Deleted`].

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{Candidate, normalize_position, normalize_tags};

use crate::{Actor, InvalidValue, PersonalText, Role, Sealed};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CandidateStatus {
    #[default]
    None,
    Active,
    Deleted,
}

impl CandidateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Active => "ACTIVE",
            Self::Deleted => "DELETED",
        }
    }
}

/// How the candidate entered the pool. Serialized names never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CandidateSource {
    Manual,
    Import,
    Portal,
    Referral,
    Agency,
    Other,
}

impl CandidateSource {
    pub const ALL: [Self; 6] = [
        Self::Manual,
        Self::Import,
        Self::Portal,
        Self::Referral,
        Self::Agency,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "MANUAL",
            Self::Import => "IMPORT",
            Self::Portal => "PORTAL",
            Self::Referral => "REFERRAL",
            Self::Agency => "AGENCY",
            Self::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Everything known about a candidate. The [`Sealed`] and [`PersonalText`] fields are personal
/// data under the candidate's key; the rest is clear. Limits: `position` and `domain` up to 200
/// chars; `experience_years` 0–70; at most 20 tags of 1–50 chars, unique case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateProfile {
    pub name: Sealed,
    pub email: Sealed,
    pub phone: Option<Sealed>,
    /// A sealed JSON list; opaque to the domain.
    pub qualifications: Option<Sealed>,
    /// Sealed (clear in version 1.0 events).
    pub position: PersonalText,
    /// Field of work.
    pub domain: String,
    pub experience_years: u8,
    pub source: CandidateSource,
    /// Each tag sealed on its own (clear in version 1.0 events).
    pub tags: Vec<PersonalText>,
}

/// The would-be assignee's account as the command layer found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssigneeView {
    pub user_id: Uuid,
    pub company_id: Option<Uuid>,
    pub role: Role,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CandidateCommand {
    /// Every sealed value of `profile` must be sealed under `candidate_id`.
    Create {
        actor: Actor,
        candidate_id: Uuid,
        company_id: Uuid,
        profile: CandidateProfile,
        /// The `CANDIDATE` user account of this person, found by the command layer.
        user_id: Option<Uuid>,
        /// The import that brought the candidate in, if any.
        import_id: Option<Uuid>,
    },
    /// Replaces the whole profile.
    Update {
        actor: Actor,
        profile: CandidateProfile,
    },
    /// `None` unassigns. The assignee must be an active `EMPLOYEE` of the candidate's company.
    Assign {
        actor: Actor,
        assignee: Option<AssigneeView>,
    },
    /// The command layer has checked that `user_id` is a `CANDIDATE` of the same company.
    LinkUser { actor: Actor, user_id: Uuid },
    /// The command layer destroys the candidate's key once this is recorded.
    Delete { actor: Actor },
}

/// `*_by` is the acting user's id, `None` when the platform acted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CandidateEvent {
    CandidateCreated {
        candidate_id: Uuid,
        company_id: Uuid,
        created_by: Option<Uuid>,
        profile: CandidateProfile,
        user_id: Option<Uuid>,
        import_id: Option<Uuid>,
    },
    CandidateUpdated {
        updated_by: Option<Uuid>,
        profile: CandidateProfile,
    },
    CandidateAssigned {
        assigned_by: Option<Uuid>,
        employee_id: Uuid,
    },
    CandidateUnassigned {
        unassigned_by: Option<Uuid>,
    },
    CandidateLinkedToUser {
        linked_by: Option<Uuid>,
        user_id: Uuid,
    },
    CandidateDeleted {
        deleted_by: Option<Uuid>,
    },
}

impl DomainEvent for CandidateEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CandidateCreated { .. } => "CandidateCreated",
            Self::CandidateUpdated { .. } => "CandidateUpdated",
            Self::CandidateAssigned { .. } => "CandidateAssigned",
            Self::CandidateUnassigned { .. } => "CandidateUnassigned",
            Self::CandidateLinkedToUser { .. } => "CandidateLinkedToUser",
            Self::CandidateDeleted { .. } => "CandidateDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        match self {
            Self::CandidateCreated { .. } | Self::CandidateUpdated { .. } => "2.0",
            _ => "1.0",
        }
        .to_owned()
    }
}

/// Every way a candidate command can be refused. Stable: the API maps each to a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CandidateError {
    #[error("not allowed")]
    Forbidden,
    #[error("candidate not found")]
    NotFound,
    #[error("candidate already exists")]
    AlreadyExists,
    #[error("candidate was deleted")]
    Deleted,
    /// Personal data must be sealed with the candidate's own key, or deleting the candidate
    /// would not erase it.
    #[error("personal data sealed for another data subject")]
    WrongDataSubject,
    #[error("the assignee must be an active employee of the candidate's company")]
    InvalidAssignee,
    #[error("candidate is already linked to another user")]
    AlreadyLinked,
    #[error("nothing to change")]
    NothingToChange,
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}
