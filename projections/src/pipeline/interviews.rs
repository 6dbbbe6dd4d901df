//! `rm_interviews` and `rm_interview_feedback` from the interview topic. An interview whose
//! candidate was deleted has no row, and its later events change nothing.

use super::{PipelineProjector, candidate_deleted, wire};
use crate::envelope::Envelope;
use anyhow::Context as _;
use hireledger_infra::vault::Field;
use hireledger_schemas::InterviewEventV1;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// Applies `sql` (an UPDATE of the interview `$1` with `updated_at = $2, version = $3` and the
/// event's own values from `$4` on, bound by `bind`); a missing row (deleted candidate) is fine.
macro_rules! update {
    ($tx:expr, $env:expr, $sql:literal $(, $arg:expr)*) => {{
        sqlx::query(concat!("UPDATE rm_interviews SET updated_at = $2, version = $3, ", $sql,
                " WHERE interview_id = $1"))
            .bind($env.aggregate_id)
            .bind($env.recorded_at)
            .bind($env.sequence)
            $(.bind($arg))*
            .execute(&mut **$tx)
            .await
            .context("updating the interview")?;
        Ok(())
    }};
}

impl PipelineProjector {
    pub(super) async fn apply_interview(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
        event: &InterviewEventV1,
    ) -> anyhow::Result<()> {
        let id = env.aggregate_id;
        match event {
            InterviewEventV1::InterviewScheduled(e) => {
                anyhow::ensure!(
                    e.interview_id == id,
                    "interview_id differs from the subject {id}"
                );
                if candidate_deleted(tx, e.candidate_id).await? {
                    return Ok(());
                }
                sqlx::query(
                    "INSERT INTO rm_interviews (interview_id, company_id, application_id, job_id,
                         candidate_id, candidate_user_id, round, kind, mode, interviewers,
                         scheduled_at, duration_mins, expires_at, status, created_at, updated_at,
                         version)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'SCHEDULED',
                         $14, $14, $15)",
                )
                .bind(id)
                .bind(e.company_id)
                .bind(e.application_id)
                .bind(e.job_id)
                .bind(e.candidate_id)
                .bind(e.candidate_user_id)
                .bind(i16::from(e.round))
                .bind(wire(&e.kind)?)
                .bind(wire(&e.mode)?)
                .bind(&e.interviewers)
                .bind(e.scheduled_at)
                .bind(i32::from(e.duration_mins))
                .bind(e.expires_at)
                .bind(env.recorded_at)
                .bind(env.sequence)
                .execute(&mut **tx)
                .await
                .context("inserting the interview")?;
                Ok(())
            }
            InterviewEventV1::InterviewRescheduled(e) => update!(
                tx,
                env,
                "scheduled_at = $4, duration_mins = $5, expires_at = $6",
                e.scheduled_at,
                i32::from(e.duration_mins),
                e.expires_at
            ),
            InterviewEventV1::InterviewCancelled(e) => {
                let reason = self.open_text_opt(e.reason.as_ref(), Field::Reason).await?;
                update!(
                    tx,
                    env,
                    "status = 'CANCELLED', status_reason = $4",
                    reason.as_deref()
                )
            }
            InterviewEventV1::InterviewMarkedNoShow(_) => update!(tx, env, "status = 'NO_SHOW'"),
            InterviewEventV1::InterviewStarted(e) => update!(
                tx,
                env,
                "status = 'IN_PROGRESS', started_at = $4",
                e.started_at
            ),
            InterviewEventV1::InterviewCompleted(e) => update!(
                tx,
                env,
                "status = 'COMPLETED', completed_at = $4",
                e.completed_at
            ),
            InterviewEventV1::InterviewResultsReleased(_) => {
                update!(tx, env, "results_released = true")
            }
            InterviewEventV1::FeedbackSubmitted(e) => {
                // The interview's candidate, locked against a racing deletion (see
                // `lock_candidate`): no feedback row outlives a deleted candidate.
                let candidate: Option<Uuid> = sqlx::query_scalar(
                    "SELECT candidate_id FROM rm_interviews WHERE interview_id = $1",
                )
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .context("reading the interview's candidate")?;
                let gone = match candidate {
                    Some(c) => candidate_deleted(tx, c).await?,
                    None => true,
                };
                let notes = if gone {
                    None
                } else {
                    self.open_opt(e.notes.as_ref(), Field::Note).await?
                };
                // Criteria opened (`[{criterion, rating}]`); one that cannot be opened any more is
                // left out.
                let mut ratings = Vec::with_capacity(e.ratings.len());
                if !gone {
                    for r in &e.ratings {
                        if let Some(criterion) =
                            self.open_text(&r.criterion, Field::Criterion).await?
                        {
                            ratings.push(serde_json::json!({
                                "criterion": criterion,
                                "rating": r.rating,
                            }));
                        }
                    }
                }
                let ratings = serde_json::Value::Array(ratings);
                sqlx::query(
                    "INSERT INTO rm_interview_feedback (interview_id, interviewer_id, company_id,
                         candidate_id, ratings, notes, recommendation, submitted_at)
                     SELECT interview_id, $2, company_id, candidate_id, $3, $4, $5, $6
                     FROM rm_interviews WHERE interview_id = $1 AND NOT $7
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(e.interviewer_id)
                .bind(ratings)
                .bind(notes)
                .bind(wire(&e.recommendation)?)
                .bind(e.submitted_at)
                .bind(gone)
                .execute(&mut **tx)
                .await
                .context("inserting feedback")?;
                update!(
                    tx,
                    env,
                    "feedback_count = (SELECT count(*) FROM rm_interview_feedback f
                         WHERE f.interview_id = rm_interviews.interview_id)"
                )
            }
        }
    }
}
