//! Interview scheduling: AI interviews get a one-time access token (high entropy, returned once,
//! stored only as a SHA-256 hash); scheduling moves the application to INTERVIEW_SCHEDULED;
//! interviewers give feedback once the interview is over.

use super::{Pipeline, PipelineError};
use crate::bus::{CommandMetadata, Committed};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hireledger_domain::application::{ApplicationCommand, ApplicationError, ApplicationStatus};
use hireledger_domain::candidate::{CandidateError, CandidateStatus};
use hireledger_domain::interview::{
    ApplicationView, CriterionRating, Interview, InterviewCommand, InterviewError, InterviewKind,
    InterviewMode, Recommendation, RecordedRating, TokenHash, TokenState, normalize_cancel_reason,
    normalize_ratings,
};
use hireledger_domain::{Actor, PersonalText, Role};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// Attempts of the follow-up that moves the application when its aggregate is busy.
const FOLLOW_UP_ATTEMPTS: usize = 5;

/// When an interview takes place.
#[derive(Debug, Clone, Copy)]
pub struct InterviewTimes {
    pub scheduled_at: DateTime<Utc>,
    pub duration_mins: u16,
    /// When the access token of an AI interview stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct ScheduleInput {
    pub round: u8,
    pub kind: InterviewKind,
    pub mode: InterviewMode,
    pub interviewers: Vec<Uuid>,
    pub times: InterviewTimes,
}

#[derive(Debug, Clone)]
pub struct ScheduledInterview {
    pub interview_id: Uuid,
    pub committed: Committed,
    /// The AI interview's one-time access token, in clear: returned once, never stored.
    pub access_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FeedbackInput {
    pub ratings: Vec<CriterionRating>,
    pub notes: Option<String>,
    pub recommendation: Recommendation,
}

/// The hash under which an access token is stored and compared (hex SHA-256).
pub fn token_hash(token: &str) -> Result<TokenHash, PipelineError> {
    TokenHash::parse(&hex::encode(Sha256::digest(token.as_bytes())))
        .map_err(|e| PipelineError::Internal(e.into()))
}

/// 256 random bits, base64url without padding (43 characters).
fn new_access_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Statuses from which scheduling an interview moves the application on.
fn schedulable(status: ApplicationStatus) -> bool {
    use ApplicationStatus as S;
    matches!(
        status,
        S::Applied | S::Screening | S::Shortlisted | S::InterviewScheduled
    )
}

impl Pipeline {
    /// The interview, or `NotFound`.
    pub async fn interview(&self, interview_id: Uuid) -> Result<(Interview, u64), PipelineError> {
        let (interview, version) = self.interviews.load(&interview_id.to_string()).await?;
        if interview.application_id().is_none() {
            return Err(InterviewError::NotFound.into());
        }
        Ok((interview, version))
    }

    /// Every interviewer must be an active HR or EMPLOYEE user of `company_id`.
    async fn check_interviewers(
        &self,
        company_id: Uuid,
        interviewers: &[Uuid],
    ) -> Result<(), PipelineError> {
        for id in interviewers {
            let (user, _) = self.users.load(&id.to_string()).await?;
            let fits = user.is_active()
                && user.company_id == Some(company_id)
                && matches!(user.role, Some(Role::Hr | Role::Employee));
            if !fits {
                return Err(PipelineError::UnknownUser);
            }
        }
        Ok(())
    }

    /// Schedules an interview for an application and moves the application to
    /// INTERVIEW_SCHEDULED. An AI interview's access token is in the result, once.
    #[tracing::instrument(skip(self, input, meta))]
    pub async fn schedule_interview(
        &self,
        actor: Actor,
        application_id: Uuid,
        input: ScheduleInput,
        meta: &CommandMetadata,
    ) -> Result<ScheduledInterview, PipelineError> {
        let (app, _) = self.application(application_id).await?;
        let (Some(company_id), Some(job_id), Some(candidate_id), Some(status)) =
            (app.company_id, app.job_id, app.candidate_id, app.status)
        else {
            return Err(ApplicationError::NotFound.into());
        };
        if !actor.manages_company(Some(company_id)) {
            return Err(InterviewError::Forbidden.into());
        }
        if !status.is_final() && !schedulable(status) {
            return Err(ApplicationError::IllegalTransition {
                from: status,
                to: ApplicationStatus::InterviewScheduled,
            }
            .into());
        }
        let (candidate, _) = self.candidates.load(&candidate_id.to_string()).await?;
        if candidate.status == CandidateStatus::Deleted {
            return Err(CandidateError::Deleted.into());
        }
        self.check_interviewers(company_id, &input.interviewers)
            .await?;
        let interview_id = Uuid::now_v7();
        let access_token = (input.mode == InterviewMode::Ai).then(new_access_token);
        let hash = access_token.as_deref().map(token_hash).transpose()?;
        if let Some(hash) = &hash {
            sqlx::query(
                "INSERT INTO interview_tokens (token_hash, interview_id, expires_at)
                 VALUES ($1, $2, $3)",
            )
            .bind(hash_bytes(hash)?)
            .bind(interview_id)
            .bind(input.times.expires_at)
            .execute(&self.pool)
            .await?;
        }
        let command = InterviewCommand::Schedule {
            actor,
            interview_id,
            application: ApplicationView {
                application_id,
                company_id,
                job_id,
                candidate_id,
                // The account linked now (a candidate may sign up after applying).
                candidate_user_id: candidate.user_id().or(app.candidate_user_id),
                is_final: status.is_final(),
            },
            round: input.round,
            kind: input.kind,
            mode: input.mode,
            interviewers: input.interviewers,
            scheduled_at: input.times.scheduled_at,
            duration_mins: input.times.duration_mins,
            expires_at: input.times.expires_at,
            token_hash: hash,
            now: Utc::now(),
        };
        let meta = meta.clone().with_tenant(Some(company_id));
        let committed = match self
            .interviews
            .execute(&interview_id.to_string(), command, &meta)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                sqlx::query("DELETE FROM interview_tokens WHERE interview_id = $1")
                    .bind(interview_id)
                    .execute(&self.pool)
                    .await?;
                return Err(e.into());
            }
        };
        // The follow-up was recorded with the interview (see `followups`): finish it now. When
        // that fails the interview stands (and its token is answered, never lost); the worker
        // finishes the follow-up.
        if let Err(e) = self.finish_followup(actor, interview_id, &meta).await {
            tracing::warn!(%interview_id, error = %e,
                "moving the application after scheduling failed; the worker will finish it");
        }
        Ok(ScheduledInterview {
            interview_id,
            committed,
            access_token,
        })
    }

    /// The follow-up of a scheduling: the application enters INTERVIEW_SCHEDULED (nothing when it
    /// is there already). Retried when the application is being changed concurrently.
    pub(super) async fn record_scheduled(
        &self,
        actor: Actor,
        application_id: Uuid,
        interview_id: Uuid,
        meta: &CommandMetadata,
    ) -> Result<(), PipelineError> {
        let meta = meta.caused_by(&interview_id.to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let command = ApplicationCommand::RecordInterviewScheduled {
                actor,
                interview_id,
                at: Utc::now(),
            };
            match self
                .applications
                .execute(&application_id.to_string(), command, &meta)
                .await
            {
                Ok(_) => return Ok(()),
                Err(crate::CommandError::Conflict) if attempt < FOLLOW_UP_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Runs an interview command, tagging its events with the interview's company.
    #[tracing::instrument(skip(self, command, meta))]
    pub async fn interview_command(
        &self,
        interview_id: Uuid,
        command: InterviewCommand,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let (interview, _) = self.interview(interview_id).await?;
        let meta = meta.clone().with_tenant(interview.company_id());
        Ok(self
            .interviews
            .execute(&interview_id.to_string(), command, &meta)
            .await?)
    }

    /// The interview an access token belongs to, if any.
    async fn interview_of_token(&self, token: &str) -> Result<Option<Uuid>, PipelineError> {
        let hash = token_hash(token)?;
        Ok(
            sqlx::query_scalar("SELECT interview_id FROM interview_tokens WHERE token_hash = $1")
                .bind(hash_bytes(&hash)?)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// What a candidate's page learns from an access token: the interview and the token's state,
    /// decided by the aggregate (the source of truth) at this moment.
    pub async fn validate_token(
        &self,
        token: &str,
    ) -> Result<Option<(Interview, TokenState)>, PipelineError> {
        let Some(interview_id) = self.interview_of_token(token).await? else {
            return Ok(None);
        };
        // A token whose scheduling never committed (a crash in between) opens nothing.
        let interview = match self.interview(interview_id).await {
            Ok((interview, _)) => interview,
            Err(PipelineError::Interview(InterviewError::NotFound)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let state = interview.token_state(&token_hash(token)?, Utc::now());
        Ok(Some((interview, state)))
    }

    /// Starts the AI interview the token opens (once: the token opens one live session).
    pub async fn start_interview(
        &self,
        actor: Actor,
        token: &str,
        meta: &CommandMetadata,
    ) -> Result<(Uuid, Committed), PipelineError> {
        let interview_id = self
            .interview_of_token(token)
            .await?
            .ok_or(InterviewError::InvalidToken)?;
        let command = InterviewCommand::Start {
            actor,
            token_hash: token_hash(token)?,
            now: Utc::now(),
        };
        let committed = match self.interview_command(interview_id, command, meta).await {
            Err(PipelineError::Interview(InterviewError::NotFound)) => {
                return Err(InterviewError::InvalidToken.into());
            }
            other => other?,
        };
        Ok((interview_id, committed))
    }

    /// Cancels a scheduled interview. The reason can describe the candidate, so it is checked in
    /// clear, then sealed under the candidate's key (deleting the candidate erases it too).
    pub async fn cancel_interview(
        &self,
        actor: Actor,
        interview_id: Uuid,
        reason: Option<String>,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let (interview, _) = self.interview(interview_id).await?;
        let candidate_id = interview.candidate_id().ok_or(InterviewError::NotFound)?;
        let reason = normalize_cancel_reason(reason.as_deref())?;
        let command = InterviewCommand::Cancel {
            actor,
            reason: self.seal_about(candidate_id, reason).await?,
        };
        self.interview_command(interview_id, command, meta).await
    }

    /// Records the actor's feedback; the notes and the rating criteria are about the candidate, so
    /// they are sealed under the candidate's key (deleting the candidate erases them too).
    pub async fn submit_feedback(
        &self,
        actor: Actor,
        interview_id: Uuid,
        input: FeedbackInput,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let (interview, _) = self.interview(interview_id).await?;
        let candidate_id = interview.candidate_id().ok_or(InterviewError::NotFound)?;
        let notes = match input.notes.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) if n.chars().count() > 10_000 => {
                return Err(hireledger_domain::InvalidValue {
                    field: "notes",
                    reason: "too_long",
                }
                .into());
            }
            Some(n) => Some(
                self.vault
                    .seal(candidate_id, hireledger_infra::vault::Field::Note, n)
                    .await?,
            ),
        };
        let mut ratings = Vec::new();
        for r in normalize_ratings(input.ratings)? {
            let criterion = self
                .vault
                .seal(
                    candidate_id,
                    hireledger_infra::vault::Field::Criterion,
                    &r.criterion,
                )
                .await?;
            ratings.push(RecordedRating {
                criterion: PersonalText::Sealed(criterion),
                rating: r.rating,
            });
        }
        let command = InterviewCommand::SubmitFeedback {
            actor,
            ratings,
            notes,
            recommendation: input.recommendation,
            now: Utc::now(),
        };
        self.interview_command(interview_id, command, meta).await
    }
}

fn hash_bytes(hash: &TokenHash) -> Result<Vec<u8>, PipelineError> {
    hex::decode(hash.as_str()).map_err(|e| PipelineError::Internal(e.into()))
}
