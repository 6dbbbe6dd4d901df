//! Applications: a candidate of the company applies to one of its OPEN jobs; HR (or the assigned
//! employee) moves it through the workflow; the history is read from the events.

use super::{Pipeline, PipelineError};
use crate::bus::{CommandMetadata, Committed};
use chrono::Utc;
use hireledger_domain::Actor;
use hireledger_domain::application::{
    Application, ApplicationCommand, ApplicationError, ApplicationEvent, ApplicationSource,
    ApplicationStatus, JobStatusView, StatusChange, application_id, normalize_reason,
    status_history,
};
use hireledger_domain::candidate::{CandidateError, CandidateStatus};
use hireledger_domain::job::{JobError, JobStatus};
use uuid::Uuid;

/// Who applies to what.
#[derive(Debug, Clone, Copy)]
pub struct ApplicationInput {
    pub job_id: Uuid,
    pub candidate_id: Uuid,
    pub source: ApplicationSource,
}

fn job_status_view(status: JobStatus) -> Option<JobStatusView> {
    match status {
        JobStatus::None => None,
        JobStatus::Draft => Some(JobStatusView::Draft),
        JobStatus::Open => Some(JobStatusView::Open),
        JobStatus::Paused => Some(JobStatusView::Paused),
        JobStatus::Closed => Some(JobStatusView::Closed),
    }
}

impl Pipeline {
    /// Submits the application of `input.candidate_id` to `input.job_id`. The candidate must be a
    /// live candidate of the job's company; the job's status is checked by the aggregate.
    /// Returns the (deterministic) application id.
    #[tracing::instrument(skip(self, meta))]
    pub async fn apply(
        &self,
        actor: Actor,
        input: ApplicationInput,
        meta: &CommandMetadata,
    ) -> Result<(Uuid, Committed), PipelineError> {
        let (job, _) = self.jobs.load(&input.job_id.to_string()).await?;
        let (Some(job_status), Some(company_id)) = (job_status_view(job.status), job.company_id)
        else {
            return Err(JobError::NotFound.into());
        };
        let (candidate, _) = self
            .candidates
            .load(&input.candidate_id.to_string())
            .await?;
        match candidate.status {
            CandidateStatus::Active if candidate.company_id() == Some(company_id) => {}
            CandidateStatus::Deleted if candidate.company_id() == Some(company_id) => {
                return Err(CandidateError::Deleted.into());
            }
            _ => return Err(CandidateError::NotFound.into()),
        }
        // An anonymous visitor links no account; a signed-in candidate links their own; HR links
        // the account the candidate record is linked to.
        let candidate_user_id = match actor {
            Actor::Anonymous => None,
            Actor::User { user_id, .. } if input.source == ApplicationSource::Portal => {
                Some(user_id)
            }
            _ => candidate.user_id(),
        };
        let id = application_id(input.job_id, input.candidate_id);
        let command = ApplicationCommand::Apply {
            actor,
            application_id: id,
            job_id: input.job_id,
            candidate_id: input.candidate_id,
            candidate_user_id,
            company_id,
            job_status,
            source: input.source,
            at: Utc::now(),
        };
        let meta = meta.clone().with_tenant(Some(company_id));
        let committed = self
            .applications
            .execute(&id.to_string(), command, &meta)
            .await?;
        Ok((id, committed))
    }

    /// The application, or `NotFound`.
    pub async fn application(
        &self,
        application_id: Uuid,
    ) -> Result<(Application, u64), PipelineError> {
        let (app, version) = self.applications.load(&application_id.to_string()).await?;
        if app.status.is_none() {
            return Err(ApplicationError::NotFound.into());
        }
        Ok((app, version))
    }

    /// Moves the application to `to` (REJECTED needs a reason). HR, a platform admin, or the
    /// employee the candidate is assigned to.
    #[tracing::instrument(skip(self, reason, meta))]
    pub async fn change_application_status(
        &self,
        actor: Actor,
        application_id: Uuid,
        to: ApplicationStatus,
        reason: Option<String>,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let (app, _) = self.application(application_id).await?;
        let candidate_id = app.candidate_id.ok_or(ApplicationError::NotFound)?;
        let reason = normalize_reason(reason.as_deref())?;
        let reason = self.seal_about(candidate_id, reason).await?;
        let candidate_assignee = match app.candidate_id {
            Some(cid) => self
                .candidates
                .load(&cid.to_string())
                .await?
                .0
                .assigned_to(),
            None => None,
        };
        let command = ApplicationCommand::ChangeStatus {
            actor,
            to,
            reason,
            at: Utc::now(),
            candidate_assignee,
        };
        let meta = meta.clone().with_tenant(app.company_id);
        Ok(self
            .applications
            .execute(&application_id.to_string(), command, &meta)
            .await?)
    }

    /// Withdraws the application (the linked candidate, HR or a platform admin).
    #[tracing::instrument(skip(self, reason, meta))]
    pub async fn withdraw_application(
        &self,
        actor: Actor,
        application_id: Uuid,
        reason: Option<String>,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let (app, _) = self.application(application_id).await?;
        let candidate_id = app.candidate_id.ok_or(ApplicationError::NotFound)?;
        let reason = normalize_reason(reason.as_deref())?;
        let reason = self.seal_about(candidate_id, reason).await?;
        let candidate_user_id = match app.candidate_id {
            Some(cid) => self.candidates.load(&cid.to_string()).await?.0.user_id(),
            None => None,
        };
        let command = ApplicationCommand::Withdraw {
            actor,
            candidate_user_id,
            reason,
            at: Utc::now(),
        };
        let meta = meta.clone().with_tenant(app.company_id);
        Ok(self
            .applications
            .execute(&application_id.to_string(), command, &meta)
            .await?)
    }

    /// The status history of an application, oldest first, read from its events in the store,
    /// each with its reason opened (`None` once the candidate was erased).
    pub async fn application_history(
        &self,
        application_id: Uuid,
    ) -> Result<Vec<(StatusChange, Option<String>)>, PipelineError> {
        let events: Vec<ApplicationEvent> = self
            .applications
            .events(&application_id.to_string())
            .await?;
        if events.is_empty() {
            return Err(ApplicationError::NotFound.into());
        }
        let mut history = Vec::with_capacity(events.len());
        for change in status_history(&events) {
            let reason = match &change.reason {
                Some(r) => {
                    self.open_text(r, hireledger_infra::vault::Field::Reason)
                        .await?
                }
                None => None,
            };
            history.push((change, reason));
        }
        Ok(history)
    }
}
