//! Application: a candidate applies to an open job, then moves through the hiring workflow
//! APPLIED → SCREENING → SHORTLISTED → INTERVIEW_SCHEDULED → OFFERED → HIRED, with REJECTED and
//! WITHDRAWN reachable from any non-final state.
//!
//! # One application per candidate and job
//!
//! The aggregate id is not random: it is [`application_id`]`(job_id, candidate_id)`, a UUID v5
//! under the fixed [`APPLICATION_NAMESPACE`]. A second application by the same candidate to the
//! same job therefore loads the same aggregate and is refused with
//! [`ApplicationError::AlreadyApplied`] — whatever state the first one reached (a withdrawn or
//! rejected application is not reopened by applying again). The command layer must compute the id
//! with [`application_id`]; `Apply` refuses any other id with [`ApplicationError::IdMismatch`].
//!
//! # Outside data
//!
//! Handling is pure. The command layer looks up the job (its company and status) and the clock,
//! and puts them in the command: `job_status`, `company_id` and `at` are trusted as given.
//!
//! # Who may act
//!
//! - `Apply`: HR of the job's company or a platform admin (any [`ApplicationSource`]); on the public
//!   portal ([`ApplicationSource::Portal`] only) an [`Actor::Anonymous`] visitor, or a signed-in
//!   `CANDIDATE` of the job's company applying for themselves. `candidate_user_id` links the
//!   candidate record to a user account: a candidate must link themselves
//!   (`candidate_user_id == Some(their user id)`), an anonymous visitor links nobody, HR may link
//!   the account the command layer found.
//! - `ChangeStatus`: HR of the application's company, a platform admin, or the `EMPLOYEE` of the
//!   same company whom the candidate is assigned to. The command layer looks the assignee up on
//!   the candidate and puts it in the command (`candidate_assignee`).
//! - `RecordInterviewScheduled`: HR of the company or a platform admin (in practice
//!   [`Actor::System`], following up the scheduling of an interview).
//! - `Withdraw`: the candidate user linked at apply time, HR of the company or a platform admin.
//!
//! # Scheduled interviews
//!
//! `RecordInterviewScheduled` moves an application from APPLIED, SCREENING or SHORTLISTED straight
//! to INTERVIEW_SCHEDULED (the one allowed skip: the interview exists, so the application is
//! there), recording the interview in the reason. It is idempotent: on an application already
//! INTERVIEW_SCHEDULED it records nothing, so a second interview or a retried follow-up is
//! harmless. It writes the same `ApplicationStatusChanged` event as `ChangeStatus`.
//!
//! # Status history
//!
//! Every transition is an event recording who (`by`), when (`at`) and why (`reason`); the history
//! is the fold [`status_history`] over the aggregate's events, not separate state.
//!
//! # Reasons are the candidate's
//!
//! A rejection or withdrawal reason can describe the candidate, so it is personal data: commands
//! carry it [`Sealed`] under the candidate's key (the command layer trims and checks it first with
//! [`normalize_reason`]), and a reason sealed for anyone else is refused with
//! [`ApplicationError::WrongDataSubject`]. Events from version 2.0 record a [`PersonalText`];
//! version 1.0 recorded clear text, which still reads as [`PersonalText::Clear`], as does the
//! platform's own note on a scheduled interview.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{Application, allowed_next};

use crate::{Actor, PersonalText, Sealed};
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Namespace of [`application_id`]. Never changes: existing aggregate ids depend on it.
pub const APPLICATION_NAMESPACE: Uuid = Uuid::from_u128(0x5c2e_8a41_7d3b_4f0e_9a61_2b8c_d4e7_f013);

/// The deterministic id of the application of `candidate_id` to `job_id`: UUID v5 of the 32 bytes
/// `job_id ‖ candidate_id` under [`APPLICATION_NAMESPACE`].
pub fn application_id(job_id: Uuid, candidate_id: Uuid) -> Uuid {
    let mut name = [0u8; 32];
    name[..16].copy_from_slice(job_id.as_bytes());
    name[16..].copy_from_slice(candidate_id.as_bytes());
    Uuid::new_v5(&APPLICATION_NAMESPACE, &name)
}

/// Where an application in the workflow stands. Serialized names never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationStatus {
    Applied,
    Screening,
    Shortlisted,
    InterviewScheduled,
    Offered,
    Hired,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    /// Every status, in workflow order then the two exits.
    pub const ALL: [Self; 8] = [
        Self::Applied,
        Self::Screening,
        Self::Shortlisted,
        Self::InterviewScheduled,
        Self::Offered,
        Self::Hired,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "APPLIED",
            Self::Screening => "SCREENING",
            Self::Shortlisted => "SHORTLISTED",
            Self::InterviewScheduled => "INTERVIEW_SCHEDULED",
            Self::Offered => "OFFERED",
            Self::Hired => "HIRED",
            Self::Rejected => "REJECTED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// HIRED, REJECTED and WITHDRAWN end the workflow.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Hired | Self::Rejected | Self::Withdrawn)
    }
}

/// The job's status as the command layer saw it when the candidate applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatusView {
    Draft,
    Open,
    Paused,
    Closed,
}

/// Through which channel the application arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationSource {
    /// Public careers portal (anonymous visitor or signed-in candidate).
    Portal,
    /// Entered by HR.
    Hr,
    /// Bulk import by HR or the platform.
    Import,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApplicationCommand {
    /// `application_id` must be [`application_id`]`(job_id, candidate_id)`.
    Apply {
        actor: Actor,
        application_id: Uuid,
        job_id: Uuid,
        candidate_id: Uuid,
        /// The user account of the candidate, if any (see the module docs).
        candidate_user_id: Option<Uuid>,
        /// The job's company, looked up by the command layer.
        company_id: Uuid,
        /// The job's status, looked up by the command layer.
        job_status: JobStatusView,
        source: ApplicationSource,
        at: DateTime<Utc>,
    },
    /// Moves the application one step forward, or to REJECTED (reason required). WITHDRAWN is
    /// reached only through `Withdraw`.
    ChangeStatus {
        actor: Actor,
        to: ApplicationStatus,
        /// Sealed under the candidate's key, after [`normalize_reason`].
        reason: Option<Sealed>,
        at: DateTime<Utc>,
        /// The employee the candidate is assigned to, looked up by the command layer.
        candidate_assignee: Option<Uuid>,
    },
    /// Records that `interview_id` was scheduled for this application (see the module docs).
    RecordInterviewScheduled {
        actor: Actor,
        interview_id: Uuid,
        at: DateTime<Utc>,
    },
    /// `candidate_user_id` is the account the candidate record is linked to now (looked up by
    /// the command layer): a candidate who signed up after applying may withdraw too.
    Withdraw {
        actor: Actor,
        candidate_user_id: Option<Uuid>,
        /// Sealed under the candidate's key, after [`normalize_reason`].
        reason: Option<Sealed>,
        at: DateTime<Utc>,
    },
}

/// Trims a reason; blank becomes `None`; more than 1000 characters is
/// [`ApplicationError::InvalidReason`]. The command layer runs it before sealing.
pub fn normalize_reason(reason: Option<&str>) -> Result<Option<String>, ApplicationError> {
    let Some(reason) = reason else {
        return Ok(None);
    };
    let r = reason.trim();
    if r.chars().count() > 1000 {
        return Err(ApplicationError::InvalidReason);
    }
    Ok((!r.is_empty()).then(|| r.to_owned()))
}

/// Reasons are sealed under the candidate's key (version 2.0; see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApplicationEvent {
    ApplicationSubmitted {
        application_id: Uuid,
        job_id: Uuid,
        candidate_id: Uuid,
        candidate_user_id: Option<Uuid>,
        company_id: Uuid,
        source: ApplicationSource,
        submitted_by: Option<Uuid>,
        at: DateTime<Utc>,
    },
    ApplicationStatusChanged {
        from: ApplicationStatus,
        to: ApplicationStatus,
        by: Option<Uuid>,
        reason: Option<PersonalText>,
        at: DateTime<Utc>,
    },
    ApplicationWithdrawn {
        from: ApplicationStatus,
        by: Option<Uuid>,
        reason: Option<PersonalText>,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for ApplicationEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ApplicationSubmitted { .. } => "ApplicationSubmitted",
            Self::ApplicationStatusChanged { .. } => "ApplicationStatusChanged",
            Self::ApplicationWithdrawn { .. } => "ApplicationWithdrawn",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        match self {
            Self::ApplicationSubmitted { .. } => "1.0",
            Self::ApplicationStatusChanged { .. } | Self::ApplicationWithdrawn { .. } => "2.0",
        }
        .to_owned()
    }
}

/// One row of an application's status history. `from` is `None` for the submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub from: Option<ApplicationStatus>,
    pub to: ApplicationStatus,
    pub by: Option<Uuid>,
    pub reason: Option<PersonalText>,
    pub at: DateTime<Utc>,
}

/// The status history of one application, oldest first, read from its events.
pub fn status_history<'a>(
    events: impl IntoIterator<Item = &'a ApplicationEvent>,
) -> Vec<StatusChange> {
    use ApplicationEvent as E;
    events
        .into_iter()
        .map(|event| match event {
            E::ApplicationSubmitted {
                submitted_by, at, ..
            } => StatusChange {
                from: None,
                to: ApplicationStatus::Applied,
                by: *submitted_by,
                reason: None,
                at: *at,
            },
            E::ApplicationStatusChanged {
                from,
                to,
                by,
                reason,
                at,
            } => StatusChange {
                from: Some(*from),
                to: *to,
                by: *by,
                reason: reason.clone(),
                at: *at,
            },
            E::ApplicationWithdrawn {
                from,
                by,
                reason,
                at,
            } => StatusChange {
                from: Some(*from),
                to: ApplicationStatus::Withdrawn,
                by: *by,
                reason: reason.clone(),
                at: *at,
            },
        })
        .collect()
}

/// Every way an application command can be refused. Stable: the API maps each to a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("the candidate has already applied to this job")]
    AlreadyApplied,
    #[error("application not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("the job is not open for applications")]
    JobNotOpen,
    #[error("application id does not match the job and candidate")]
    IdMismatch,
    #[error("cannot move an application from {} to {}", from.as_str(), to.as_str())]
    IllegalTransition {
        from: ApplicationStatus,
        to: ApplicationStatus,
    },
    #[error("the application is closed (hired, rejected or withdrawn)")]
    Final,
    #[error("rejecting an application requires a reason")]
    ReasonRequired,
    #[error("reason must be at most 1000 characters")]
    InvalidReason,
    #[error("applications are withdrawn with the withdraw command")]
    UseWithdraw,
    /// A reason must be sealed with the candidate's own key, or deleting the candidate would not
    /// erase it.
    #[error("reason sealed for another data subject")]
    WrongDataSubject,
}
