//! Published forms of the interview aggregate's events (topic `{prefix}.interview`): version 1,
//! and version 2 of `InterviewCancelled` and `FeedbackSubmitted`, whose free text (the reason, the
//! rating criteria) is sealed under the candidate's key.
//!
//! An interview is one round of interviewing for one application: SCHEDULED → IN_PROGRESS →
//! COMPLETED, with CANCELLED and NO_SHOW reachable from SCHEDULED (a HUMAN interview may complete
//! straight from SCHEDULED). Interviewers then submit feedback and HR releases the results.
//!
//! An AI interview is taken by the candidate through a one-time link. The domain stores the
//! SHA-256 of the link's token to check it; like a password hash, that hash is a secret and is
//! never published. Feedback notes are about the candidate, so they are published sealed under
//! the candidate's key (data subject = `candidate_id`).

use crate::common::{PersonalTextV2, SealedV1};
use chrono::{DateTime, Utc};
use hireledger_domain::interview::{
    InterviewEvent, InterviewKind, InterviewMode, Recommendation, RecordedRating,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the interview is about. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewKindV1 {
    Technical,
    Hr,
    Cultural,
    Managerial,
    Other,
}

impl From<InterviewKind> for InterviewKindV1 {
    fn from(k: InterviewKind) -> Self {
        match k {
            InterviewKind::Technical => Self::Technical,
            InterviewKind::Hr => Self::Hr,
            InterviewKind::Cultural => Self::Cultural,
            InterviewKind::Managerial => Self::Managerial,
            InterviewKind::Other => Self::Other,
        }
    }
}

/// Who conducts the interview. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewModeV1 {
    /// The AI, with the candidate alone through a one-time link.
    Ai,
    /// People: one to ten interviewers.
    Human,
}

impl From<InterviewMode> for InterviewModeV1 {
    fn from(m: InterviewMode) -> Self {
        match m {
            InterviewMode::Ai => Self::Ai,
            InterviewMode::Human => Self::Human,
        }
    }
}

/// An interviewer's overall verdict. The names are part of the contract and never change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecommendationV1 {
    StrongHire,
    Hire,
    NoDecision,
    NoHire,
    StrongNoHire,
}

impl From<Recommendation> for RecommendationV1 {
    fn from(r: Recommendation) -> Self {
        match r {
            Recommendation::StrongHire => Self::StrongHire,
            Recommendation::Hire => Self::Hire,
            Recommendation::NoDecision => Self::NoDecision,
            Recommendation::NoHire => Self::NoHire,
            Recommendation::StrongNoHire => Self::StrongNoHire,
        }
    }
}

/// One criterion's rating within a feedback (version 2: the criterion sealed).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CriterionRatingV2 {
    /// 1–100 characters, trimmed, unique case-insensitively within one feedback; sealed under the
    /// candidate's key (clear text only when written before version 2).
    pub criterion: PersonalTextV2,
    /// 1–5.
    pub rating: u8,
}

impl From<RecordedRating> for CriterionRatingV2 {
    fn from(r: RecordedRating) -> Self {
        Self {
            criterion: r.criterion.into(),
            rating: r.rating,
        }
    }
}

/// An interview was scheduled for an application (SCHEDULED).
///
/// The stored event of an AI interview also holds the SHA-256 of the candidate's one-time access
/// token. That hash is a credential verifier that only the command side needs, so, like password
/// hashes, it is never published: this form has no field for it.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InterviewScheduledV1 {
    pub interview_id: Uuid,
    pub application_id: Uuid,
    /// The application's company (tenant).
    pub company_id: Uuid,
    pub job_id: Uuid,
    /// Also the data subject of the feedback notes' sealed values.
    pub candidate_id: Uuid,
    /// The candidate's user account; `null` when the application has none linked.
    pub candidate_user_id: Option<Uuid>,
    /// The scheduling user; `null` when the platform acted on its own.
    pub scheduled_by: Option<Uuid>,
    /// 1–20.
    pub round: u8,
    pub kind: InterviewKindV1,
    pub mode: InterviewModeV1,
    /// User ids of the interviewers (HR or employees of the company), distinct, at most 10; at
    /// least one for a HUMAN interview, optional observers for an AI one.
    pub interviewers: Vec<Uuid>,
    /// When the interview starts (RFC 3339, UTC).
    pub scheduled_at: DateTime<Utc>,
    /// 5–480 minutes.
    pub duration_mins: u16,
    /// When the AI interview's link expires (after `scheduled_at`); `null` for a HUMAN interview.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The scheduled interview moved to another time; an AI interview keeps its link.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InterviewRescheduledV1 {
    /// The rescheduling user; `null` when the platform acted on its own.
    pub rescheduled_by: Option<Uuid>,
    /// The new start (RFC 3339, UTC).
    pub scheduled_at: DateTime<Utc>,
    /// 5–480 minutes.
    pub duration_mins: u16,
    /// The new expiry of the AI interview's link; `null` for a HUMAN interview.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The scheduled interview was cancelled (final). Version 2: the reason is sealed under the
/// candidate's key (clear in version 1).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InterviewCancelledV2 {
    /// The cancelling user; `null` when the platform acted on its own.
    pub cancelled_by: Option<Uuid>,
    /// Why (trimmed, at most 1000 characters), sealed under the candidate's key; `null` when not
    /// given. Clear text only when written before version 2.
    pub reason: Option<PersonalTextV2>,
}

/// The candidate did not show up (final).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InterviewMarkedNoShowV1 {
    /// The marking user; `null` when the platform acted on its own.
    pub marked_by: Option<Uuid>,
}

/// The candidate opened the AI interview with its one-time link (IN_PROGRESS).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InterviewStartedV1 {
    /// When it started (RFC 3339, UTC).
    pub started_at: DateTime<Utc>,
}

/// The interview was completed (final); feedback may follow.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InterviewCompletedV1 {
    /// The completing user; `null` when the platform acted on its own.
    pub completed_by: Option<Uuid>,
    /// When it completed (RFC 3339, UTC).
    pub completed_at: DateTime<Utc>,
}

/// One person's feedback on the completed interview (one per person). Version 2: the rating
/// criteria are sealed under the candidate's key (clear in version 1).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct FeedbackSubmittedV2 {
    /// The submitting person: an interviewer of this interview or HR of the company.
    pub interviewer_id: Uuid,
    /// 1–20 ratings.
    pub ratings: Vec<CriterionRatingV2>,
    /// Free-text notes sealed under the candidate's key; `null` when not given.
    pub notes: Option<SealedV1>,
    pub recommendation: RecommendationV1,
    /// When it was submitted (RFC 3339, UTC).
    pub submitted_at: DateTime<Utc>,
}

/// HR released the interview's results.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InterviewResultsReleasedV1 {
    /// The releasing user; `null` when the platform acted on its own.
    pub released_by: Option<Uuid>,
}

published_events! {
    /// Every published interview event, each in its current major.
    pub enum InterviewEventV1 for "interview" {
        domain: InterviewEvent,
        summary: "Interviews of applications: scheduling and rescheduling, cancellation, no-shows, \
                  start and completion, interviewers' feedback and release of the results.",
        events: {
            "InterviewScheduled" => InterviewScheduled(InterviewScheduledV1),
            "InterviewRescheduled" => InterviewRescheduled(InterviewRescheduledV1),
            "InterviewCancelled" @ 2 => InterviewCancelled(InterviewCancelledV2),
            "InterviewMarkedNoShow" => InterviewMarkedNoShow(InterviewMarkedNoShowV1),
            "InterviewStarted" => InterviewStarted(InterviewStartedV1),
            "InterviewCompleted" => InterviewCompleted(InterviewCompletedV1),
            "FeedbackSubmitted" @ 2 => FeedbackSubmitted(FeedbackSubmittedV2),
            "InterviewResultsReleased" => InterviewResultsReleased(InterviewResultsReleasedV1),
        }
    }
}

impl From<InterviewEvent> for InterviewEventV1 {
    fn from(e: InterviewEvent) -> Self {
        match e {
            InterviewEvent::InterviewScheduled {
                interview_id,
                application_id,
                company_id,
                job_id,
                candidate_id,
                candidate_user_id,
                scheduled_by,
                round,
                kind,
                mode,
                interviewers,
                scheduled_at,
                duration_mins,
                expires_at,
                token_hash: _,
            } => Self::InterviewScheduled(InterviewScheduledV1 {
                interview_id,
                application_id,
                company_id,
                job_id,
                candidate_id,
                candidate_user_id,
                scheduled_by,
                round,
                kind: kind.into(),
                mode: mode.into(),
                interviewers,
                scheduled_at,
                duration_mins,
                expires_at,
            }),
            InterviewEvent::InterviewRescheduled {
                rescheduled_by,
                scheduled_at,
                duration_mins,
                expires_at,
            } => Self::InterviewRescheduled(InterviewRescheduledV1 {
                rescheduled_by,
                scheduled_at,
                duration_mins,
                expires_at,
            }),
            InterviewEvent::InterviewCancelled {
                cancelled_by,
                reason,
            } => Self::InterviewCancelled(InterviewCancelledV2 {
                cancelled_by,
                reason: reason.map(Into::into),
            }),
            InterviewEvent::InterviewMarkedNoShow { marked_by } => {
                Self::InterviewMarkedNoShow(InterviewMarkedNoShowV1 { marked_by })
            }
            InterviewEvent::InterviewStarted { started_at } => {
                Self::InterviewStarted(InterviewStartedV1 { started_at })
            }
            InterviewEvent::InterviewCompleted {
                completed_by,
                completed_at,
            } => Self::InterviewCompleted(InterviewCompletedV1 {
                completed_by,
                completed_at,
            }),
            InterviewEvent::FeedbackSubmitted {
                interviewer_id,
                ratings,
                notes,
                recommendation,
                submitted_at,
            } => Self::FeedbackSubmitted(FeedbackSubmittedV2 {
                interviewer_id,
                ratings: ratings.into_iter().map(CriterionRatingV2::from).collect(),
                notes: notes.map(SealedV1::from),
                recommendation: recommendation.into(),
                submitted_at,
            }),
            InterviewEvent::InterviewResultsReleased { released_by } => {
                Self::InterviewResultsReleased(InterviewResultsReleasedV1 { released_by })
            }
        }
    }
}
