//! Hiring-pipeline services: jobs, candidates (with CSV import), applications and interviews.
//!
//! Each service method looks up what its command needs from outside the aggregate (the job's
//! status, the candidate's assignee, the interviewers' accounts, the clock), seals personal data
//! under the data subject's key, claims uniqueness (candidate e-mails per company, interview token
//! hashes) before any event is written, runs the command, and tags its events with the company as
//! tenant. Processes that span aggregates (scheduling an interview moves the application to
//! INTERVIEW_SCHEDULED) run here as follow-up commands caused by the first.

mod applications;
mod candidates;
mod followups;
mod imports;
mod interviews;
mod jobs;

pub use applications::ApplicationInput;
pub use candidates::{CandidateInput, CreatedCandidate, phone_digits};
pub use imports::{
    ImportReport, ImportRowError, ImportStarted, MAX_IMPORT_BYTES, imported_candidate_id,
};
pub use interviews::{
    FeedbackInput, InterviewTimes, ScheduleInput, ScheduledInterview, token_hash,
};
pub use jobs::CreatedJob;

use crate::bus::{CommandError, EventStore};
use hireledger_domain::application::{Application, ApplicationError};
use hireledger_domain::candidate::{Candidate, CandidateError};
use hireledger_domain::company::{Company, CompanyError, CompanyStatus};
use hireledger_domain::interview::{Interview, InterviewError};
use hireledger_domain::job::{Job, JobError};
use hireledger_domain::user::User;
use hireledger_domain::{InvalidValue, PersonalText, Sealed};
use hireledger_infra::vault::{Vault, VaultError};
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

/// Why a pipeline operation failed. The API maps each variant to one stable code.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error(transparent)]
    Company(CompanyError),
    #[error(transparent)]
    Job(JobError),
    #[error(transparent)]
    Candidate(CandidateError),
    #[error(transparent)]
    Application(ApplicationError),
    #[error(transparent)]
    Interview(InterviewError),
    /// Another candidate of the company has this e-mail address.
    #[error("a candidate with this e-mail already exists")]
    CandidateEmailTaken,
    /// A named user (interviewer, assignee) does not exist in the company.
    #[error("unknown user")]
    UnknownUser,
    #[error("import not found")]
    ImportNotFound,
    #[error("the file is not a usable CSV: {0}")]
    ImportFile(&'static str),
    #[error("concurrent modification")]
    Conflict,
    #[error("dependency unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal failure")]
    Internal(#[source] anyhow::Error),
}

impl From<JobError> for PipelineError {
    fn from(e: JobError) -> Self {
        Self::Job(e)
    }
}

impl From<CandidateError> for PipelineError {
    fn from(e: CandidateError) -> Self {
        Self::Candidate(e)
    }
}

impl From<ApplicationError> for PipelineError {
    fn from(e: ApplicationError) -> Self {
        Self::Application(e)
    }
}

impl From<InterviewError> for PipelineError {
    fn from(e: InterviewError) -> Self {
        Self::Interview(e)
    }
}

impl From<CompanyError> for PipelineError {
    fn from(e: CompanyError) -> Self {
        Self::Company(e)
    }
}

impl From<hireledger_domain::user::UserError> for PipelineError {
    fn from(_: hireledger_domain::user::UserError) -> Self {
        Self::UnknownUser
    }
}

impl<E> From<CommandError<E>> for PipelineError
where
    E: std::error::Error + Into<PipelineError>,
{
    fn from(e: CommandError<E>) -> Self {
        match e {
            CommandError::Rejected(e) => e.into(),
            CommandError::Conflict => Self::Conflict,
            CommandError::Unavailable(e) => Self::Unavailable(anyhow::anyhow!(e)),
            CommandError::Internal(e) => Self::Internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<VaultError> for PipelineError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Erased => Self::Candidate(CandidateError::Deleted),
            VaultError::Db(e) => Self::from(e),
            e => Self::Internal(e.into()),
        }
    }
}

impl From<crate::erasure::ErasureError> for PipelineError {
    fn from(e: crate::erasure::ErasureError) -> Self {
        match e {
            crate::erasure::ErasureError::Db(e) => Self::from(e),
            crate::erasure::ErasureError::Vault(e) => Self::from(e),
        }
    }
}

impl From<sqlx::Error> for PipelineError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable(e.into())
            }
            e => Self::Internal(e.into()),
        }
    }
}

/// Everything the pipeline commands need; cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    pool: PgPool,
    vault: Vault,
    companies: Arc<EventStore<Company>>,
    users: Arc<EventStore<User>>,
    jobs: Arc<EventStore<Job>>,
    candidates: Arc<EventStore<Candidate>>,
    applications: Arc<EventStore<Application>>,
    interviews: Arc<EventStore<Interview>>,
}

impl Pipeline {
    pub fn new(pool: PgPool, vault: Vault) -> Self {
        Self {
            companies: Arc::new(EventStore::new(pool.clone())),
            users: Arc::new(EventStore::new(pool.clone())),
            jobs: Arc::new(EventStore::new(pool.clone())),
            candidates: Arc::new(EventStore::new(pool.clone())),
            applications: Arc::new(EventStore::new(pool.clone())),
            interviews: Arc::new(EventStore::new(pool.clone())),
            pool,
            vault,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Seals a reason about a candidate under their key (a deleted candidate's key is gone:
    /// [`CandidateError::Deleted`]).
    async fn seal_about(
        &self,
        candidate_id: Uuid,
        text: Option<String>,
    ) -> Result<Option<Sealed>, PipelineError> {
        match text {
            Some(t) => Ok(Some(
                self.vault
                    .seal(candidate_id, hireledger_infra::vault::Field::Reason, &t)
                    .await?,
            )),
            None => Ok(None),
        }
    }

    /// Opens free text about a candidate: clear text as it is, sealed text with the vault
    /// (`None` once the candidate was erased).
    pub async fn open_text(
        &self,
        text: &PersonalText,
        field: hireledger_infra::vault::Field,
    ) -> Result<Option<String>, PipelineError> {
        match text {
            PersonalText::Clear(t) => Ok(Some(t.clone())),
            PersonalText::Sealed(s) => Ok(self.vault.open(s, field).await?),
        }
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn jobs(&self) -> &EventStore<Job> {
        &self.jobs
    }

    pub fn candidates(&self) -> &EventStore<Candidate> {
        &self.candidates
    }

    pub fn applications(&self) -> &EventStore<Application> {
        &self.applications
    }

    pub fn interviews(&self) -> &EventStore<Interview> {
        &self.interviews
    }

    /// Fails unless `company_id` names an ACTIVE company.
    async fn require_active_company(&self, company_id: Uuid) -> Result<(), PipelineError> {
        let (company, _) = self.companies.load(&company_id.to_string()).await?;
        match company.status {
            CompanyStatus::Active => Ok(()),
            CompanyStatus::None => Err(CompanyError::NotFound.into()),
            _ => Err(CompanyError::NotActive.into()),
        }
    }
}

/// The company a signed-in actor acts for: their own, or (platform admins) the one they name.
pub(crate) fn acting_company(
    actor: &hireledger_domain::Actor,
    named: Option<Uuid>,
) -> Result<Uuid, PipelineError> {
    match actor {
        hireledger_domain::Actor::User {
            company_id: Some(own),
            ..
        } => Ok(*own),
        _ => named.ok_or(PipelineError::Invalid(InvalidValue {
            field: "company_id",
            reason: "required",
        })),
    }
}
