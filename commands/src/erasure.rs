//! Erasure as a durable, resumable job.
//!
//! # Guarantee
//! Once a person's deletion or erasure event is committed, their key is destroyed, whatever
//! crashes in between. The event store records the intent itself: a trigger on `events`
//! (migration `20261207200003_erasure_jobs`) inserts a `pending_erasures` row in the same
//! transaction as a `CandidateDeleted` or `UserPersonalDataErased` event, so there is no window
//! in which the event exists and the intent does not.
//!
//! # Mechanism
//! [`Erasures::finish`] does the rest in one transaction: destroys the key (the vault's
//! `vault.erased_subjects` and `vault.subject_keys`), frees the e-mail claim, revokes a user's refresh tokens,
//! and deletes the pending row. The command that erased calls it right after its commit; every
//! API instance also runs [`Erasures::finish_pending`] periodically, which picks up the jobs
//! left by a crash (rows locked `FOR UPDATE SKIP LOCKED`, so instances never work on the same
//! one). Each step is idempotent, so finishing twice is harmless.

use hireledger_infra::vault::{Vault, VaultError};
use sqlx::PgPool;
use uuid::Uuid;

/// Pending jobs finished per transaction by [`Erasures::finish_pending`].
const BATCH: i64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Finishes erasure jobs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Erasures {
    pool: PgPool,
}

impl Erasures {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Finishes the job of `subject` if it is pending (and is harmless if it is not).
    #[tracing::instrument(skip(self))]
    pub async fn finish(&self, subject: Uuid) -> Result<(), ErasureError> {
        let mut tx = self.pool.begin().await?;
        let pending: Option<String> = sqlx::query_scalar(
            "SELECT aggregate_type FROM pending_erasures WHERE subject_id = $1 FOR UPDATE",
        )
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(aggregate_type) = pending {
            finish_in(&mut tx, subject, &aggregate_type).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Finishes every pending job (those a crash left behind); returns how many.
    #[tracing::instrument(skip(self))]
    pub async fn finish_pending(&self) -> Result<usize, ErasureError> {
        let mut done = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let jobs: Vec<(Uuid, String)> = sqlx::query_as(
                "SELECT subject_id, aggregate_type FROM pending_erasures
                 ORDER BY recorded_at LIMIT $1 FOR UPDATE SKIP LOCKED",
            )
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if jobs.is_empty() {
                return Ok(done);
            }
            for (subject, aggregate_type) in &jobs {
                finish_in(&mut tx, *subject, aggregate_type).await?;
            }
            tx.commit().await?;
            done += jobs.len();
        }
    }

    /// Subjects whose erasure is recorded but not finished.
    pub async fn pending(&self) -> Result<Vec<Uuid>, ErasureError> {
        Ok(
            sqlx::query_scalar("SELECT subject_id FROM pending_erasures ORDER BY recorded_at")
                .fetch_all(&self.pool)
                .await?,
        )
    }
}

async fn finish_in(
    tx: &mut sqlx::PgConnection,
    subject: Uuid,
    aggregate_type: &str,
) -> Result<(), ErasureError> {
    Vault::erase_in(&mut *tx, subject).await?;
    match aggregate_type {
        "candidate" => {
            sqlx::query("DELETE FROM candidate_emails WHERE candidate_id = $1")
                .bind(subject)
                .execute(&mut *tx)
                .await?;
        }
        "user" => {
            sqlx::query("DELETE FROM login_emails WHERE user_id = $1")
                .bind(subject)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = now()
                 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(subject)
            .execute(&mut *tx)
            .await?;
        }
        _ => {}
    }
    sqlx::query("DELETE FROM pending_erasures WHERE subject_id = $1")
        .bind(subject)
        .execute(&mut *tx)
        .await?;
    tracing::info!(aggregate_type, "erasure finished: key destroyed");
    Ok(())
}
