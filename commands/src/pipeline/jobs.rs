//! Jobs (templates): creation in an active company, then any job command with the company as
//! tenant.

use super::{Pipeline, PipelineError, acting_company};
use crate::bus::{CommandMetadata, Committed};
use hireledger_domain::Actor;
use hireledger_domain::job::{JobCommand, JobDetails, JobError, JobStatus, VerdictThresholds};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct CreatedJob {
    pub job_id: Uuid,
    pub committed: Committed,
}

impl Pipeline {
    /// Creates a DRAFT job in the actor's company (platform admins name `company_id`).
    #[tracing::instrument(skip_all)]
    pub async fn create_job(
        &self,
        actor: Actor,
        company_id: Option<Uuid>,
        details: JobDetails,
        thresholds: Option<VerdictThresholds>,
        human_review_required: bool,
        meta: &CommandMetadata,
    ) -> Result<CreatedJob, PipelineError> {
        let company_id = acting_company(&actor, company_id)?;
        if !actor.manages_company(Some(company_id)) {
            return Err(JobError::Forbidden.into());
        }
        self.require_active_company(company_id).await?;
        let job_id = Uuid::now_v7();
        let command = JobCommand::Create {
            actor,
            job_id,
            company_id,
            details,
            thresholds,
            human_review_required,
        };
        let meta = meta.clone().with_tenant(Some(company_id));
        let committed = self
            .jobs
            .execute(&job_id.to_string(), command, &meta)
            .await?;
        Ok(CreatedJob { job_id, committed })
    }

    /// Runs a job command, tagging its events with the job's company.
    #[tracing::instrument(skip(self, command, meta))]
    pub async fn job_command(
        &self,
        job_id: Uuid,
        command: JobCommand,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let id = job_id.to_string();
        let (job, _) = self.jobs.load(&id).await?;
        if job.status == JobStatus::None {
            return Err(JobError::NotFound.into());
        }
        let meta = meta.clone().with_tenant(job.company_id);
        Ok(self.jobs.execute(&id, command, &meta).await?)
    }
}
