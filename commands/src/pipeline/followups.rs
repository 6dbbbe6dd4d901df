//! The follow-up of an interview's scheduling, driven by the event.
//!
//! Scheduling commits the interview (its `InterviewScheduled` event), then moves the application
//! to INTERVIEW_SCHEDULED with a second command on another aggregate. Those cannot be one
//! transaction, so the second step is a durable job: a trigger on `events` (migration
//! `20261207200005_interview_followups`) records it in `pending_interview_followups` in the
//! interview's own transaction. The scheduling request finishes it at once; when that fails (a
//! crash, the store unavailable, too many concurrent changes) the request still answers with the
//! interview and its access token, and the worker every API instance runs finishes the job as
//! the platform ([`Pipeline::finish_pending_followups`]). A follow-up the application refuses
//! because it moved on meanwhile (a final or later status) is done: nothing is left to move.
//! Recording is idempotent (an application already at INTERVIEW_SCHEDULED writes nothing), so
//! finishing twice is harmless.

use super::{Pipeline, PipelineError};
use crate::bus::CommandMetadata;
use hireledger_domain::Actor;
use hireledger_domain::application::ApplicationError;
use uuid::Uuid;

/// Pending follow-ups looked at per worker pass.
const BATCH: i64 = 100;

impl Pipeline {
    /// Finishes the follow-up of `interview_id` if it is pending; `Err` leaves it pending.
    #[tracing::instrument(skip(self, meta))]
    pub(super) async fn finish_followup(
        &self,
        actor: Actor,
        interview_id: Uuid,
        meta: &CommandMetadata,
    ) -> Result<(), PipelineError> {
        let mut tx = self.pool.begin().await?;
        // Locked for the duration: two finishers never run the same follow-up at once.
        let application_id: Option<Uuid> = sqlx::query_scalar(
            "SELECT application_id FROM pending_interview_followups
             WHERE interview_id = $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(interview_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(application_id) = application_id else {
            return Ok(());
        };
        match self
            .record_scheduled(actor, application_id, interview_id, meta)
            .await
        {
            Ok(())
            | Err(PipelineError::Application(
                ApplicationError::Final | ApplicationError::IllegalTransition { .. },
            )) => {}
            Err(e) => return Err(e),
        }
        sqlx::query("DELETE FROM pending_interview_followups WHERE interview_id = $1")
            .bind(interview_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finishes every pending follow-up (those a crash or a failure left), as the platform;
    /// returns how many it finished. Safe to run in every instance at once.
    pub async fn finish_pending_followups(&self) -> Result<usize, PipelineError> {
        let pending: Vec<Uuid> = sqlx::query_scalar(
            "SELECT interview_id FROM pending_interview_followups ORDER BY recorded_at LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(&self.pool)
        .await?;
        let meta = CommandMetadata::system("interview follow-up");
        let mut done = 0;
        for interview_id in pending {
            match self
                .finish_followup(Actor::System, interview_id, &meta)
                .await
            {
                Ok(()) => done += 1,
                Err(e) => {
                    tracing::warn!(%interview_id, error = %e, "interview follow-up failed; will retry");
                }
            }
        }
        Ok(done)
    }
}
