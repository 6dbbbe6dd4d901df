//! Interview: one round of interviewing for one application (a candidate's application to a
//! job). SCHEDULED → IN_PROGRESS → COMPLETED, with CANCELLED and NO_SHOW reachable from
//! SCHEDULED; a HUMAN interview may go straight from SCHEDULED to COMPLETED. Interviewers then
//! submit feedback, and HR releases the results.
//!
//! # Outside data and time
//!
//! Handling is pure. The command layer looks up the application ([`ApplicationView`]: its
//! company, job, candidate, linked candidate user and whether it is closed), checks that every
//! interviewer is an active HR or EMPLOYEE user of that company, reads the clock and puts it all
//! in the command. Every rule that depends on time compares against the command's `now`, never a
//! clock of its own; events that record a moment (`started_at`, `completed_at`, `submitted_at`)
//! record that `now`.
//!
//! # AI and HUMAN interviews
//!
//! - An AI interview is taken by the candidate alone through a one-time link. The link carries a
//!   random token; the command layer generates it, sends it to the candidate and hands the
//!   domain only its SHA-256 ([`TokenHash`]). The token itself never reaches the domain, the
//!   event store or Kafka. An AI interview needs a token and an expiry after its scheduled time;
//!   interviewers are optional observers.
//! - A HUMAN interview has one to ten interviewers and no token and no expiry (refused as
//!   [`InterviewError::Invalid`] with reason `not_allowed`).
//!
//! # Starting with the token
//!
//! `Start` is the candidate opening the link: an [`Actor::Anonymous`] token holder or the linked
//! candidate user, presenting the token's hash. Checks run in the order NotFound, Forbidden,
//! NotAiInterview, InvalidToken, status (AlreadyStarted / AlreadyCompleted / NotScheduled),
//! Expired, so nothing about the interview's progress is revealed to someone without the token.
//! A start moves the interview to IN_PROGRESS, so the token opens one live session only: a second
//! start is refused with [`InterviewError::AlreadyStarted`]. [`Interview::token_state`] answers
//! the same question without a command, for the endpoint that validates a link before use.
//! A start before `scheduled_at` is allowed; only the expiry closes the link.
//!
//! # Who may act
//!
//! - `Schedule`, `Reschedule`, `Cancel`, `MarkNoShow`, `ReleaseResults`: HR of the
//!   application's company, a platform admin or the platform itself
//!   ([`Actor::manages_company`]).
//! - `Start`: see above.
//! - `Complete`: the managers above, and for a HUMAN interview one of its interviewers. An AI
//!   interview completes from IN_PROGRESS only; a HUMAN one (never started through a link) from
//!   SCHEDULED once `now >= scheduled_at`, like `MarkNoShow`.
//! - `SubmitFeedback`: a person: one of the interview's interviewers or HR of the company (not
//!   the platform, not a platform admin); one feedback per person, once the interview is
//!   COMPLETED (also after the results were released). The notes are about the candidate, so
//!   they arrive sealed under the candidate's key ([`Sealed`] subject = `candidate_id`) and
//!   vanish with the candidate's erasure. So do the rating criteria and a cancellation reason,
//!   free text that can describe the candidate: the command layer checks them in clear
//!   ([`normalize_ratings`], [`normalize_cancel_reason`]) and seals them; the aggregate refuses
//!   anything else with [`InterviewError::WrongDataSubject`]. Version 1.0 of `InterviewCancelled`
//!   and `FeedbackSubmitted` recorded them in clear; they read as [`PersonalText::Clear`].
//!
//! Every command but `Schedule` on an interview that does not exist is
//! [`InterviewError::NotFound`]; who may act is checked before the interview's state.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{Interview, normalize_cancel_reason, normalize_ratings};

use crate::{Actor, InvalidValue, PersonalText, Sealed};
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Implements `ALL`, `as_str` and `parse` for a fieldless enum from one table of wire names.
macro_rules! wire_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// The stable wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == s)
            }
        }
    };
}

/// What the interview is about. Serialized names never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewKind {
    Technical,
    Hr,
    Cultural,
    Managerial,
    Other,
}

wire_names!(InterviewKind {
    Technical => "TECHNICAL",
    Hr => "HR",
    Cultural => "CULTURAL",
    Managerial => "MANAGERIAL",
    Other => "OTHER",
});

/// Who conducts the interview: the AI (through the candidate's one-time link) or people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewMode {
    Ai,
    Human,
}

wire_names!(InterviewMode {
    Ai => "AI",
    Human => "HUMAN",
});

/// Where an interview stands. `None` until it is scheduled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewStatus {
    #[default]
    None,
    Scheduled,
    InProgress,
    Completed,
    Cancelled,
    NoShow,
}

wire_names!(InterviewStatus {
    None => "NONE",
    Scheduled => "SCHEDULED",
    InProgress => "IN_PROGRESS",
    Completed => "COMPLETED",
    Cancelled => "CANCELLED",
    NoShow => "NO_SHOW",
});

impl InterviewStatus {
    /// COMPLETED, CANCELLED and NO_SHOW end the interview.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::NoShow)
    }
}

/// An interviewer's overall verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Recommendation {
    StrongHire,
    Hire,
    NoDecision,
    NoHire,
    StrongNoHire,
}

wire_names!(Recommendation {
    StrongHire => "STRONG_HIRE",
    Hire => "HIRE",
    NoDecision => "NO_DECISION",
    NoHire => "NO_HIRE",
    StrongNoHire => "STRONG_NO_HIRE",
});

/// What a one-time link's token is good for right now; see [`Interview::token_state`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenState {
    /// `Start` would succeed.
    Valid,
    /// Not this interview's token (or the interview has none).
    Invalid,
    /// The expiry has passed before the interview was started.
    Expired,
    AlreadyCompleted,
    /// Started once already: the token opens one session only.
    AlreadyStarted,
    /// Cancelled or marked as a no-show.
    Closed,
}

wire_names!(TokenState {
    Valid => "VALID",
    Invalid => "INVALID",
    Expired => "EXPIRED",
    AlreadyCompleted => "ALREADY_COMPLETED",
    AlreadyStarted => "ALREADY_STARTED",
    Closed => "CLOSED",
});

/// The application an interview is for, as the command layer found it when scheduling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub application_id: Uuid,
    pub company_id: Uuid,
    pub job_id: Uuid,
    pub candidate_id: Uuid,
    /// The candidate's user account, if the application is linked to one.
    pub candidate_user_id: Option<Uuid>,
    /// HIRED, REJECTED or WITHDRAWN: no more interviews.
    pub is_final: bool,
}

/// The SHA-256 of an AI interview's one-time access token, as 64 lower-case hex digits. The
/// command layer hashes the token; the domain only stores and compares hashes.
#[derive(Clone, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    /// Accepts 64 hex digits in either case and keeps them lower-cased.
    pub fn parse(hex: &str) -> Result<Self, InvalidValue> {
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(InvalidValue {
                field: "token_hash",
                reason: "malformed",
            });
        }
        Ok(Self(hex.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Compares every byte whatever the first difference, so the time taken says nothing about
/// where two hashes differ.
impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.0.get(..8).unwrap_or_default();
        write!(f, "TokenHash({prefix}..)")
    }
}

/// One criterion's rating: criterion 1–100 chars (trimmed, unique case-insensitively within one
/// feedback), rating 1–5.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionRating {
    pub criterion: String,
    pub rating: u8,
}

/// One criterion's rating as commands carry it and events record it: the criterion (checked by
/// [`normalize_ratings`] first) sealed under the candidate's key. Version 1.0 of
/// `FeedbackSubmitted` recorded clear criteria, which read as [`PersonalText::Clear`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRating {
    pub criterion: PersonalText,
    pub rating: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InterviewCommand {
    /// Round 1–20; duration 5–480 minutes; at most 10 distinct interviewers. AI: `token_hash`
    /// and `expires_at > scheduled_at` required. HUMAN: at least one interviewer, no token, no
    /// expiry.
    Schedule {
        actor: Actor,
        interview_id: Uuid,
        application: ApplicationView,
        round: u8,
        kind: InterviewKind,
        mode: InterviewMode,
        interviewers: Vec<Uuid>,
        scheduled_at: DateTime<Utc>,
        duration_mins: u16,
        expires_at: Option<DateTime<Utc>>,
        token_hash: Option<TokenHash>,
        now: DateTime<Utc>,
    },
    /// Same time rules as `Schedule`; an AI interview keeps its token.
    Reschedule {
        actor: Actor,
        scheduled_at: DateTime<Utc>,
        duration_mins: u16,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    },
    /// `reason`: [`normalize_cancel_reason`], then sealed under the candidate's key.
    Cancel {
        actor: Actor,
        reason: Option<Sealed>,
    },
    /// Once the scheduled time has come.
    MarkNoShow {
        actor: Actor,
        now: DateTime<Utc>,
    },
    /// The candidate opens an AI interview with its one-time token (see the module docs).
    Start {
        actor: Actor,
        token_hash: TokenHash,
        now: DateTime<Utc>,
    },
    /// From IN_PROGRESS, or for a HUMAN interview from SCHEDULED once its time has come.
    Complete {
        actor: Actor,
        now: DateTime<Utc>,
    },
    /// 1–20 ratings ([`normalize_ratings`]); criteria and `notes` sealed under the candidate's
    /// key.
    SubmitFeedback {
        actor: Actor,
        ratings: Vec<RecordedRating>,
        notes: Option<Sealed>,
        recommendation: Recommendation,
        now: DateTime<Utc>,
    },
    ReleaseResults {
        actor: Actor,
    },
}

/// `*_by` is the acting user's id, `None` when the platform acted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InterviewEvent {
    InterviewScheduled {
        interview_id: Uuid,
        application_id: Uuid,
        company_id: Uuid,
        job_id: Uuid,
        candidate_id: Uuid,
        candidate_user_id: Option<Uuid>,
        scheduled_by: Option<Uuid>,
        round: u8,
        kind: InterviewKind,
        mode: InterviewMode,
        interviewers: Vec<Uuid>,
        scheduled_at: DateTime<Utc>,
        duration_mins: u16,
        expires_at: Option<DateTime<Utc>>,
        /// Lower-case hex SHA-256 of the one-time token (AI only).
        token_hash: Option<String>,
    },
    InterviewRescheduled {
        rescheduled_by: Option<Uuid>,
        scheduled_at: DateTime<Utc>,
        duration_mins: u16,
        expires_at: Option<DateTime<Utc>>,
    },
    /// Version 2.0: the reason sealed under the candidate's key (clear in 1.0).
    InterviewCancelled {
        cancelled_by: Option<Uuid>,
        reason: Option<PersonalText>,
    },
    InterviewMarkedNoShow {
        marked_by: Option<Uuid>,
    },
    InterviewStarted {
        started_at: DateTime<Utc>,
    },
    InterviewCompleted {
        completed_by: Option<Uuid>,
        completed_at: DateTime<Utc>,
    },
    /// Version 2.0: criteria and `notes` sealed under the candidate's key (criteria clear in 1.0).
    FeedbackSubmitted {
        interviewer_id: Uuid,
        ratings: Vec<RecordedRating>,
        notes: Option<Sealed>,
        recommendation: Recommendation,
        submitted_at: DateTime<Utc>,
    },
    InterviewResultsReleased {
        released_by: Option<Uuid>,
    },
}

impl DomainEvent for InterviewEvent {
    fn event_type(&self) -> String {
        match self {
            Self::InterviewScheduled { .. } => "InterviewScheduled",
            Self::InterviewRescheduled { .. } => "InterviewRescheduled",
            Self::InterviewCancelled { .. } => "InterviewCancelled",
            Self::InterviewMarkedNoShow { .. } => "InterviewMarkedNoShow",
            Self::InterviewStarted { .. } => "InterviewStarted",
            Self::InterviewCompleted { .. } => "InterviewCompleted",
            Self::FeedbackSubmitted { .. } => "FeedbackSubmitted",
            Self::InterviewResultsReleased { .. } => "InterviewResultsReleased",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        match self {
            Self::InterviewCancelled { .. } | Self::FeedbackSubmitted { .. } => "2.0",
            _ => "1.0",
        }
        .to_owned()
    }
}

/// Every way an interview command can be refused. Stable: the API maps each to a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterviewError {
    #[error("not allowed")]
    Forbidden,
    #[error("interview not found")]
    NotFound,
    #[error("interview already exists")]
    AlreadyExists,
    #[error("the application is closed (hired, rejected or withdrawn)")]
    ApplicationClosed,
    #[error("the scheduled time must be in the future")]
    InPast,
    #[error("an AI interview needs an access token")]
    TokenRequired,
    #[error("an AI interview needs an expiry after its scheduled time")]
    InvalidExpiry,
    #[error("a human interview needs at least one interviewer")]
    InterviewerRequired,
    #[error("at most 10 interviewers")]
    TooManyInterviewers,
    #[error("an interviewer is listed twice")]
    DuplicateInterviewer,
    #[error("the interview is not scheduled")]
    NotScheduled,
    #[error("nothing to change")]
    NothingToChange,
    #[error("the interview has not started yet")]
    NotYetStarted,
    #[error("invalid access token")]
    InvalidToken,
    #[error("the interview has already been started")]
    AlreadyStarted,
    #[error("the interview is already completed")]
    AlreadyCompleted,
    #[error("the access token has expired")]
    Expired,
    #[error("not an AI interview")]
    NotAiInterview,
    #[error("the interview is not completed")]
    NotCompleted,
    #[error("feedback already submitted")]
    FeedbackAlreadySubmitted,
    /// Notes must be sealed with the candidate's key, or erasing the candidate would not erase
    /// them.
    #[error("personal data sealed for another data subject")]
    WrongDataSubject,
    #[error("results already released")]
    AlreadyReleased,
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}
