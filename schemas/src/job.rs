//! Published forms (version 1) of the job aggregate's events (topic `{prefix}.job`).
//!
//! A job is a posting (template) of one company: DRAFT, then OPEN ⇄ PAUSED → CLOSED. It carries
//! the posting's details, weighted skills, verdict thresholds, the review policy and the ordered
//! interview questions. None of it is personal data, so nothing here is sealed.

use hireledger_domain::job::{
    Difficulty, EmploymentType, JobDetails, JobEvent, Question, QuestionCategory, SalaryRange,
    Skill, VerdictThresholds,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Kind of employment offered. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmploymentTypeV1 {
    FullTime,
    PartTime,
    Contract,
    Temporary,
    Internship,
}

impl From<EmploymentType> for EmploymentTypeV1 {
    fn from(t: EmploymentType) -> Self {
        match t {
            EmploymentType::FullTime => Self::FullTime,
            EmploymentType::PartTime => Self::PartTime,
            EmploymentType::Contract => Self::Contract,
            EmploymentType::Temporary => Self::Temporary,
            EmploymentType::Internship => Self::Internship,
        }
    }
}

/// A salary range in minor units (cents) of an ISO 4217 currency; `min <= max`.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq, Eq)]
pub struct SalaryRangeV1 {
    /// ISO 4217 code, upper case, e.g. `EUR`.
    pub currency: String,
    /// Lower bound in minor units.
    pub min: u64,
    /// Upper bound in minor units.
    pub max: u64,
}

impl From<SalaryRange> for SalaryRangeV1 {
    fn from(s: SalaryRange) -> Self {
        Self {
            currency: s.currency,
            min: s.min,
            max: s.max,
        }
    }
}

/// A required skill and how much it counts.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq, Eq)]
pub struct SkillV1 {
    /// 1–100 characters, unique (case-insensitively) within the job.
    pub name: String,
    /// 1–100.
    pub weight: u8,
}

impl From<Skill> for SkillV1 {
    fn from(s: Skill) -> Self {
        Self {
            name: s.name,
            weight: s.weight,
        }
    }
}

/// The posting itself (not personal data). Text is trimmed.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq, Eq)]
pub struct JobDetailsV1 {
    /// 1–200 characters.
    pub title: String,
    /// Up to 20 000 characters; empty only while the job is a draft.
    pub description: String,
    /// Up to 20 000 characters; may be empty.
    pub requirements: String,
    /// Up to 200 characters; may be empty.
    pub department: String,
    /// Up to 200 characters; may be empty.
    pub location: String,
    pub employment_type: EmploymentTypeV1,
    /// The offered salary range; `null` when not disclosed.
    pub salary: Option<SalaryRangeV1>,
    /// Required skills (at most 50); an open job has at least one.
    pub skills: Vec<SkillV1>,
}

impl From<JobDetails> for JobDetailsV1 {
    fn from(d: JobDetails) -> Self {
        Self {
            title: d.title,
            description: d.description,
            requirements: d.requirements,
            department: d.department,
            location: d.location,
            employment_type: d.employment_type.into(),
            salary: d.salary.map(SalaryRangeV1::from),
            skills: d.skills.into_iter().map(SkillV1::from).collect(),
        }
    }
}

/// Interview verdict thresholds (scores 0–100): at or above `pass` passes, at or below `fail`
/// fails; `fail < pass <= 100`.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerdictThresholdsV1 {
    pub pass: u8,
    pub fail: u8,
}

impl From<VerdictThresholds> for VerdictThresholdsV1 {
    fn from(t: VerdictThresholds) -> Self {
        Self {
            pass: t.pass,
            fail: t.fail,
        }
    }
}

/// What an interview question probes. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuestionCategoryV1 {
    Technical,
    Behavioural,
    Situational,
    Cultural,
    Other,
}

impl From<QuestionCategory> for QuestionCategoryV1 {
    fn from(c: QuestionCategory) -> Self {
        match c {
            QuestionCategory::Technical => Self::Technical,
            QuestionCategory::Behavioural => Self::Behavioural,
            QuestionCategory::Situational => Self::Situational,
            QuestionCategory::Cultural => Self::Cultural,
            QuestionCategory::Other => Self::Other,
        }
    }
}

/// How hard an interview question is. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DifficultyV1 {
    Easy,
    Medium,
    Hard,
}

impl From<Difficulty> for DifficultyV1 {
    fn from(d: Difficulty) -> Self {
        match d {
            Difficulty::Easy => Self::Easy,
            Difficulty::Medium => Self::Medium,
            Difficulty::Hard => Self::Hard,
        }
    }
}

/// The content of an interview question.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq, Eq)]
pub struct QuestionV1 {
    /// 1–2000 characters.
    pub text: String,
    pub category: QuestionCategoryV1,
    pub difficulty: DifficultyV1,
    /// 1–100: how much the question counts in the interview score.
    pub weight: u8,
    /// What a strong answer says (1–10 000 characters); `null` when not given.
    pub ideal_answer: Option<String>,
    /// Points an answer is scored against (at most 20, each 1–500 characters).
    pub rubric: Vec<String>,
    /// Expected answering time, 10–3600 seconds.
    pub expected_duration_secs: u32,
}

impl From<Question> for QuestionV1 {
    fn from(q: Question) -> Self {
        Self {
            text: q.text,
            category: q.category.into(),
            difficulty: q.difficulty.into(),
            weight: q.weight,
            ideal_answer: q.ideal_answer,
            rubric: q.rubric,
            expected_duration_secs: q.expected_duration_secs,
        }
    }
}

/// A job was created as a DRAFT.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct JobCreatedV1 {
    pub job_id: Uuid,
    /// The company (tenant) that owns the job.
    pub company_id: Uuid,
    /// The creating user; `null` when the platform acted on its own.
    pub created_by: Option<Uuid>,
    pub details: JobDetailsV1,
    /// The job's own thresholds; `null` means the company's default applies.
    pub thresholds: Option<VerdictThresholdsV1>,
    /// Whether every interview verdict of this job needs a human review.
    pub human_review_required: bool,
}

/// The job's details were replaced as a whole.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct JobUpdatedV1 {
    /// The updating user; `null` when the platform acted on its own.
    pub updated_by: Option<Uuid>,
    /// The new details (all of them, not only what changed).
    pub details: JobDetailsV1,
}

/// The job was opened for applications (from DRAFT or PAUSED).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct JobOpenedV1 {
    /// The opening user; `null` when the platform acted on its own.
    pub opened_by: Option<Uuid>,
}

/// The open job stopped taking applications for now.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct JobPausedV1 {
    /// The pausing user; `null` when the platform acted on its own.
    pub paused_by: Option<Uuid>,
}

/// The job was closed for good.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct JobClosedV1 {
    /// The closing user; `null` when the platform acted on its own.
    pub closed_by: Option<Uuid>,
}

/// The job's verdict thresholds were replaced.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct JobThresholdsChangedV1 {
    /// The changing user; `null` when the platform acted on its own.
    pub changed_by: Option<Uuid>,
    /// The new thresholds; `null` means the company's default applies from now on.
    pub thresholds: Option<VerdictThresholdsV1>,
}

/// Whether interview verdicts of this job need a human review changed.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct JobReviewPolicyChangedV1 {
    /// The changing user; `null` when the platform acted on its own.
    pub changed_by: Option<Uuid>,
    pub human_review_required: bool,
}

/// A question was appended at the end of the job's question order.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct QuestionAddedV1 {
    /// The adding user; `null` when the platform acted on its own.
    pub added_by: Option<Uuid>,
    /// Unique within the job.
    pub question_id: Uuid,
    pub question: QuestionV1,
}

/// A question's content was replaced as a whole; its position is kept.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct QuestionEditedV1 {
    /// The editing user; `null` when the platform acted on its own.
    pub edited_by: Option<Uuid>,
    pub question_id: Uuid,
    /// The new content (all of it, not only what changed).
    pub question: QuestionV1,
}

/// The job's questions were put in a new order.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct QuestionsReorderedV1 {
    /// The reordering user; `null` when the platform acted on its own.
    pub reordered_by: Option<Uuid>,
    /// Every question id of the job exactly once, in interview order.
    pub order: Vec<Uuid>,
}

/// A question was removed from the job.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct QuestionRemovedV1 {
    /// The removing user; `null` when the platform acted on its own.
    pub removed_by: Option<Uuid>,
    pub question_id: Uuid,
}

published_events! {
    /// Every published job event, version 1 of the published contract.
    pub enum JobEventV1 for "job" {
        domain: JobEvent,
        summary: "Job postings: creation, detail updates, opening, pausing and closing, verdict \
                  thresholds, review policy and the ordered interview questions.",
        events: {
            "JobCreated" => JobCreated(JobCreatedV1),
            "JobUpdated" => JobUpdated(JobUpdatedV1),
            "JobOpened" => JobOpened(JobOpenedV1),
            "JobPaused" => JobPaused(JobPausedV1),
            "JobClosed" => JobClosed(JobClosedV1),
            "JobThresholdsChanged" => JobThresholdsChanged(JobThresholdsChangedV1),
            "JobReviewPolicyChanged" => JobReviewPolicyChanged(JobReviewPolicyChangedV1),
            "QuestionAdded" => QuestionAdded(QuestionAddedV1),
            "QuestionEdited" => QuestionEdited(QuestionEditedV1),
            "QuestionsReordered" => QuestionsReordered(QuestionsReorderedV1),
            "QuestionRemoved" => QuestionRemoved(QuestionRemovedV1),
        }
    }
}

impl From<JobEvent> for JobEventV1 {
    fn from(e: JobEvent) -> Self {
        match e {
            JobEvent::JobCreated {
                job_id,
                company_id,
                created_by,
                details,
                thresholds,
                human_review_required,
            } => Self::JobCreated(JobCreatedV1 {
                job_id,
                company_id,
                created_by,
                details: details.into(),
                thresholds: thresholds.map(VerdictThresholdsV1::from),
                human_review_required,
            }),
            JobEvent::JobUpdated {
                updated_by,
                details,
            } => Self::JobUpdated(JobUpdatedV1 {
                updated_by,
                details: details.into(),
            }),
            JobEvent::JobOpened { opened_by } => Self::JobOpened(JobOpenedV1 { opened_by }),
            JobEvent::JobPaused { paused_by } => Self::JobPaused(JobPausedV1 { paused_by }),
            JobEvent::JobClosed { closed_by } => Self::JobClosed(JobClosedV1 { closed_by }),
            JobEvent::JobThresholdsChanged {
                changed_by,
                thresholds,
            } => Self::JobThresholdsChanged(JobThresholdsChangedV1 {
                changed_by,
                thresholds: thresholds.map(VerdictThresholdsV1::from),
            }),
            JobEvent::JobReviewPolicyChanged {
                changed_by,
                human_review_required,
            } => Self::JobReviewPolicyChanged(JobReviewPolicyChangedV1 {
                changed_by,
                human_review_required,
            }),
            JobEvent::QuestionAdded {
                added_by,
                question_id,
                question,
            } => Self::QuestionAdded(QuestionAddedV1 {
                added_by,
                question_id,
                question: question.into(),
            }),
            JobEvent::QuestionEdited {
                edited_by,
                question_id,
                question,
            } => Self::QuestionEdited(QuestionEditedV1 {
                edited_by,
                question_id,
                question: question.into(),
            }),
            JobEvent::QuestionsReordered {
                reordered_by,
                order,
            } => Self::QuestionsReordered(QuestionsReorderedV1 {
                reordered_by,
                order,
            }),
            JobEvent::QuestionRemoved {
                removed_by,
                question_id,
            } => Self::QuestionRemoved(QuestionRemovedV1 {
                removed_by,
                question_id,
            }),
        }
    }
}
