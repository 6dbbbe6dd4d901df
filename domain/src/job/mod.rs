//! Job (template): created as DRAFT, then OPEN ⇄ PAUSED → CLOSED (DRAFT may close too; CLOSED is
//! final). Carries the posting's details, weighted skills, per-job verdict thresholds, the review
//! policy and the ordered interview questions.
//!
//! Design choices:
//! - Commands carry plain data; the aggregate validates and normalizes it (trims text) and the
//!   events record the normalized form. Refusals of input are [`JobError::Invalid`] with the
//!   stable `field`/`reason` words of [`InvalidValue`].
//! - `Update` and `EditQuestion` replace the whole [`JobDetails`] / [`Question`] (PUT semantics);
//!   an identical replacement is refused with [`JobError::NothingToChange`].
//! - Thresholds and the review policy have their own commands and events
//!   (`JobThresholdsChanged`, `JobReviewPolicyChanged`) so that the verdict rules' history stays
//!   separate from edits of the posting text.
//! - An OPEN job must keep a description and a skill: `Update` while OPEN is held to the same
//!   rule as `Open`. A PAUSED job may be emptied but cannot reopen until it is fixed.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::Job;

use crate::{Actor, InvalidValue};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    #[default]
    None,
    Draft,
    Open,
    Paused,
    Closed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Draft => "DRAFT",
            Self::Open => "OPEN",
            Self::Paused => "PAUSED",
            Self::Closed => "CLOSED",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmploymentType {
    FullTime,
    PartTime,
    Contract,
    Temporary,
    Internship,
}

/// A salary range in minor units (cents) of an ISO 4217 currency (`EUR`); `min <= max`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalaryRange {
    pub currency: String,
    pub min: u64,
    pub max: u64,
}

/// A required skill: name 1–100 chars, unique case-insensitively within the job; weight 1–100.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
    pub weight: u8,
}

/// The posting itself. Not personal data. Limits: title 1–200 chars; description and
/// requirements up to 20 000 (may be empty while DRAFT); department and location up to 200;
/// at most 50 skills.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDetails {
    pub title: String,
    pub description: String,
    pub requirements: String,
    pub department: String,
    pub location: String,
    pub employment_type: EmploymentType,
    pub salary: Option<SalaryRange>,
    pub skills: Vec<Skill>,
}

/// Interview scores (0–100) at or above `pass` pass, at or below `fail` fail; `fail < pass <= 100`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictThresholds {
    pub pass: u8,
    pub fail: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuestionCategory {
    Technical,
    Behavioural,
    Situational,
    Cultural,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

/// An interview question. Limits: text 1–2000 chars; weight 1–100; ideal answer 1–10 000 chars
/// when given; at most 20 rubric points of 1–500 chars; expected duration 10–3600 seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub text: String,
    pub category: QuestionCategory,
    pub difficulty: Difficulty,
    pub weight: u8,
    pub ideal_answer: Option<String>,
    pub rubric: Vec<String>,
    pub expected_duration_secs: u32,
}

/// A question as held by the job, in interview order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobQuestion {
    pub question_id: Uuid,
    pub question: Question,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobCommand {
    /// `thresholds: None` falls back to the company default.
    Create {
        actor: Actor,
        job_id: Uuid,
        company_id: Uuid,
        details: JobDetails,
        thresholds: Option<VerdictThresholds>,
        human_review_required: bool,
    },
    /// Replaces all details.
    Update {
        actor: Actor,
        details: JobDetails,
    },
    Open {
        actor: Actor,
    },
    Pause {
        actor: Actor,
    },
    Close {
        actor: Actor,
    },
    ChangeThresholds {
        actor: Actor,
        thresholds: Option<VerdictThresholds>,
    },
    ChangeReviewPolicy {
        actor: Actor,
        human_review_required: bool,
    },
    /// Appends the question at the end of the order.
    AddQuestion {
        actor: Actor,
        question_id: Uuid,
        question: Question,
    },
    /// Replaces the question's content; its position is kept.
    EditQuestion {
        actor: Actor,
        question_id: Uuid,
        question: Question,
    },
    /// `order` must be a permutation of the current question ids.
    ReorderQuestions {
        actor: Actor,
        order: Vec<Uuid>,
    },
    RemoveQuestion {
        actor: Actor,
        question_id: Uuid,
    },
}

/// `*_by` is the acting user's id, `None` when the platform acted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobEvent {
    JobCreated {
        job_id: Uuid,
        company_id: Uuid,
        created_by: Option<Uuid>,
        details: JobDetails,
        thresholds: Option<VerdictThresholds>,
        human_review_required: bool,
    },
    JobUpdated {
        updated_by: Option<Uuid>,
        details: JobDetails,
    },
    JobOpened {
        opened_by: Option<Uuid>,
    },
    JobPaused {
        paused_by: Option<Uuid>,
    },
    JobClosed {
        closed_by: Option<Uuid>,
    },
    JobThresholdsChanged {
        changed_by: Option<Uuid>,
        thresholds: Option<VerdictThresholds>,
    },
    JobReviewPolicyChanged {
        changed_by: Option<Uuid>,
        human_review_required: bool,
    },
    QuestionAdded {
        added_by: Option<Uuid>,
        question_id: Uuid,
        question: Question,
    },
    QuestionEdited {
        edited_by: Option<Uuid>,
        question_id: Uuid,
        question: Question,
    },
    QuestionsReordered {
        reordered_by: Option<Uuid>,
        order: Vec<Uuid>,
    },
    QuestionRemoved {
        removed_by: Option<Uuid>,
        question_id: Uuid,
    },
}

impl DomainEvent for JobEvent {
    fn event_type(&self) -> String {
        match self {
            Self::JobCreated { .. } => "JobCreated",
            Self::JobUpdated { .. } => "JobUpdated",
            Self::JobOpened { .. } => "JobOpened",
            Self::JobPaused { .. } => "JobPaused",
            Self::JobClosed { .. } => "JobClosed",
            Self::JobThresholdsChanged { .. } => "JobThresholdsChanged",
            Self::JobReviewPolicyChanged { .. } => "JobReviewPolicyChanged",
            Self::QuestionAdded { .. } => "QuestionAdded",
            Self::QuestionEdited { .. } => "QuestionEdited",
            Self::QuestionsReordered { .. } => "QuestionsReordered",
            Self::QuestionRemoved { .. } => "QuestionRemoved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// Every way a job command can be refused. Stable: the API maps each to a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("not allowed")]
    Forbidden,
    #[error("job not found")]
    NotFound,
    #[error("job already exists")]
    AlreadyExists,
    #[error("job is closed")]
    Closed,
    #[error("job status does not allow this")]
    InvalidTransition,
    #[error("an open job needs a description")]
    MissingDescription,
    #[error("an open job needs at least one skill")]
    NoSkills,
    #[error("thresholds must satisfy fail < pass <= 100")]
    InvalidThresholds,
    #[error("unknown question")]
    UnknownQuestion,
    #[error("question already exists")]
    DuplicateQuestion,
    #[error("order must list every current question exactly once")]
    NotAPermutation,
    #[error("nothing to change")]
    NothingToChange,
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}
