//! `rm_applications` and `rm_application_transitions` from the application topic.
//!
//! An application whose candidate was deleted has no row: its later events change nothing (the
//! runner has already checked their sequence, so a missing row can only mean a deletion).

use super::{PipelineProjector, candidate_deleted, wire};
use crate::envelope::Envelope;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use hireledger_infra::vault::Field;
use hireledger_schemas::ApplicationEventV1;
use hireledger_schemas::application::{ApplicationStatusV1, ApplicationSubmittedV1};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// Moves the application to `to` and records the transition; nothing when the row is gone.
async fn transition(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
    from: ApplicationStatusV1,
    to: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    // Locks the candidate against a racing deletion before touching any row (see
    // `lock_candidate`); no row means the candidate was deleted.
    let candidate: Option<Uuid> =
        sqlx::query_scalar("SELECT candidate_id FROM rm_applications WHERE application_id = $1")
            .bind(env.aggregate_id)
            .fetch_optional(&mut **tx)
            .await
            .context("reading the application's candidate")?;
    match candidate {
        None => return Ok(()),
        Some(c) if candidate_deleted(tx, c).await? => return Ok(()),
        Some(_) => {}
    }
    let done = sqlx::query(
        "UPDATE rm_applications SET status = $2, status_reason = $3, status_changed_at = $4,
             updated_at = $5, version = $6
         WHERE application_id = $1",
    )
    .bind(env.aggregate_id)
    .bind(to)
    .bind(reason)
    .bind(at)
    .bind(env.recorded_at)
    .bind(env.sequence)
    .execute(&mut **tx)
    .await
    .context("updating the application status")?;
    if done.rows_affected() == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO rm_application_transitions (application_id, sequence, company_id, job_id,
             candidate_id, from_status, to_status, at)
         SELECT application_id, $2, company_id, job_id, candidate_id, $3, $4, $5
         FROM rm_applications WHERE application_id = $1
         ON CONFLICT DO NOTHING",
    )
    .bind(env.aggregate_id)
    .bind(env.sequence)
    .bind(wire(&from)?)
    .bind(to)
    .bind(at)
    .execute(&mut **tx)
    .await
    .context("recording the transition")?;
    Ok(())
}

impl PipelineProjector {
    pub(super) async fn apply_application(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
        event: &ApplicationEventV1,
    ) -> anyhow::Result<()> {
        match event {
            ApplicationEventV1::ApplicationStatusChanged(e) => {
                let reason = self.open_text_opt(e.reason.as_ref(), Field::Reason).await?;
                transition(tx, env, e.from, &wire(&e.to)?, reason.as_deref(), e.at).await
            }
            ApplicationEventV1::ApplicationWithdrawn(e) => {
                let reason = self.open_text_opt(e.reason.as_ref(), Field::Reason).await?;
                transition(tx, env, e.from, "WITHDRAWN", reason.as_deref(), e.at).await
            }
            ApplicationEventV1::ApplicationSubmitted(e) => submitted(tx, env, e).await,
        }
    }
}

/// Inserts the application and its first transition (nothing for a deleted candidate).
async fn submitted(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
    e: &ApplicationSubmittedV1,
) -> anyhow::Result<()> {
    let id = env.aggregate_id;
    anyhow::ensure!(
        e.application_id == id,
        "application_id differs from the subject {id}"
    );
    if candidate_deleted(tx, e.candidate_id).await? {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO rm_applications (application_id, company_id, job_id, candidate_id,
             candidate_user_id, status, source, applied_at, status_changed_at, updated_at,
             version)
         VALUES ($1, $2, $3, $4, $5, 'APPLIED', $6, $7, $7, $8, $9)",
    )
    .bind(id)
    .bind(e.company_id)
    .bind(e.job_id)
    .bind(e.candidate_id)
    .bind(e.candidate_user_id)
    .bind(wire(&e.source)?)
    .bind(e.at)
    .bind(env.recorded_at)
    .bind(env.sequence)
    .execute(&mut **tx)
    .await
    .context("inserting the application")?;
    sqlx::query(
        "INSERT INTO rm_application_transitions (application_id, sequence, company_id,
             job_id, candidate_id, from_status, to_status, at)
         VALUES ($1, $2, $3, $4, $5, NULL, 'APPLIED', $6)",
    )
    .bind(id)
    .bind(env.sequence)
    .bind(e.company_id)
    .bind(e.job_id)
    .bind(e.candidate_id)
    .bind(e.at)
    .execute(&mut **tx)
    .await
    .context("recording the submission")?;
    Ok(())
}
