//! Published forms of the application aggregate's events (topic `{prefix}.application`):
//! version 1, and version 2 of the two events with a reason (sealed under the candidate's key).
//!
//! An application is one candidate's application to one job; its id is derived from the two
//! (`hireledger_domain::application::application_id`), so a candidate applies to a job once. It
//! moves APPLIED → SCREENING → SHORTLISTED → INTERVIEW_SCHEDULED → OFFERED → HIRED, with REJECTED
//! and WITHDRAWN reachable from any non-final state. Every event records who acted and when.

use crate::common::PersonalTextV2;
use chrono::{DateTime, Utc};
use hireledger_domain::application::{ApplicationEvent, ApplicationSource, ApplicationStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an application stands in the hiring workflow. The names are part of the contract and
/// never change; HIRED, REJECTED and WITHDRAWN are final.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationStatusV1 {
    Applied,
    Screening,
    Shortlisted,
    InterviewScheduled,
    Offered,
    Hired,
    Rejected,
    Withdrawn,
}

impl From<ApplicationStatus> for ApplicationStatusV1 {
    fn from(s: ApplicationStatus) -> Self {
        match s {
            ApplicationStatus::Applied => Self::Applied,
            ApplicationStatus::Screening => Self::Screening,
            ApplicationStatus::Shortlisted => Self::Shortlisted,
            ApplicationStatus::InterviewScheduled => Self::InterviewScheduled,
            ApplicationStatus::Offered => Self::Offered,
            ApplicationStatus::Hired => Self::Hired,
            ApplicationStatus::Rejected => Self::Rejected,
            ApplicationStatus::Withdrawn => Self::Withdrawn,
        }
    }
}

/// Through which channel an application arrived. The names are part of the contract and never
/// change.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationSourceV1 {
    /// Public careers portal (anonymous visitor or signed-in candidate).
    Portal,
    /// Entered by HR.
    Hr,
    /// Bulk import by HR or the platform.
    Import,
}

impl From<ApplicationSource> for ApplicationSourceV1 {
    fn from(s: ApplicationSource) -> Self {
        match s {
            ApplicationSource::Portal => Self::Portal,
            ApplicationSource::Hr => Self::Hr,
            ApplicationSource::Import => Self::Import,
        }
    }
}

/// A candidate applied to an open job; the application starts as APPLIED.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct ApplicationSubmittedV1 {
    /// UUID v5 of `job_id ‖ candidate_id` (one application per candidate and job).
    pub application_id: Uuid,
    pub job_id: Uuid,
    pub candidate_id: Uuid,
    /// The candidate's user account; `null` when the candidate has none linked.
    pub candidate_user_id: Option<Uuid>,
    /// The job's company (tenant).
    pub company_id: Uuid,
    pub source: ApplicationSourceV1,
    /// The submitting user; `null` for an anonymous visitor or the platform.
    pub submitted_by: Option<Uuid>,
    /// When the application was submitted (RFC 3339, UTC).
    pub at: DateTime<Utc>,
}

/// The application moved in the workflow (one step forward, to INTERVIEW_SCHEDULED once an
/// interview exists, or to REJECTED). Version 2: the reason is sealed under the candidate's key
/// (version 1 had it in clear; a `v1` payload reads as this form with a clear reason).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct ApplicationStatusChangedV2 {
    pub from: ApplicationStatusV1,
    pub to: ApplicationStatusV1,
    /// The acting user; `null` when the platform acted on its own.
    pub by: Option<Uuid>,
    /// Why (trimmed, at most 1000 characters), sealed under the candidate's key; always given for
    /// REJECTED, else may be `null`. Clear text only when written before version 2 or when the
    /// platform recorded a scheduled interview.
    pub reason: Option<PersonalTextV2>,
    /// When the status changed (RFC 3339, UTC).
    pub at: DateTime<Utc>,
}

/// The application was withdrawn (by the candidate or on their behalf); WITHDRAWN is final.
/// Version 2: the reason is sealed under the candidate's key (clear in version 1).
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct ApplicationWithdrawnV2 {
    /// The status it was withdrawn from.
    pub from: ApplicationStatusV1,
    /// The withdrawing user; `null` when the platform acted on its own.
    pub by: Option<Uuid>,
    /// Why (trimmed, at most 1000 characters), sealed under the candidate's key; `null` when not
    /// given. Clear text only when written before version 2.
    pub reason: Option<PersonalTextV2>,
    /// When it was withdrawn (RFC 3339, UTC).
    pub at: DateTime<Utc>,
}

published_events! {
    /// Every published application event, each in its current major.
    pub enum ApplicationEventV1 for "application" {
        domain: ApplicationEvent,
        summary: "Applications of candidates to jobs: submission, every move through the hiring \
                  workflow (screening to hire or rejection) and withdrawal.",
        events: {
            "ApplicationSubmitted" => ApplicationSubmitted(ApplicationSubmittedV1),
            "ApplicationStatusChanged" @ 2 => ApplicationStatusChanged(ApplicationStatusChangedV2),
            "ApplicationWithdrawn" @ 2 => ApplicationWithdrawn(ApplicationWithdrawnV2),
        }
    }
}

impl From<ApplicationEvent> for ApplicationEventV1 {
    fn from(e: ApplicationEvent) -> Self {
        match e {
            ApplicationEvent::ApplicationSubmitted {
                application_id,
                job_id,
                candidate_id,
                candidate_user_id,
                company_id,
                source,
                submitted_by,
                at,
            } => Self::ApplicationSubmitted(ApplicationSubmittedV1 {
                application_id,
                job_id,
                candidate_id,
                candidate_user_id,
                company_id,
                source: source.into(),
                submitted_by,
                at,
            }),
            ApplicationEvent::ApplicationStatusChanged {
                from,
                to,
                by,
                reason,
                at,
            } => Self::ApplicationStatusChanged(ApplicationStatusChangedV2 {
                from: from.into(),
                to: to.into(),
                by,
                reason: reason.map(Into::into),
                at,
            }),
            ApplicationEvent::ApplicationWithdrawn {
                from,
                by,
                reason,
                at,
            } => Self::ApplicationWithdrawn(ApplicationWithdrawnV2 {
                from: from.into(),
                by,
                reason: reason.map(Into::into),
                at,
            }),
        }
    }
}
