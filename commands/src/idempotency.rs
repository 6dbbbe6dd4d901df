//! `Idempotency-Key` support: the first completed result of a request is stored and replayed
//! for retries with the same key, so a retry never writes new events.
//!
//! Each attempt gets an id ([`Begin::Proceed`]) that the API puts into the metadata of every event
//! the request writes (`idempotency_attempt`, see [`crate::CommandMetadata`]). The command's events
//! and the stored answer are not one transaction (cqrs-es commits each aggregate in its own, and
//! a request may run several commands), so a crash between the commit and [`IdempotencyStore::complete`]
//! leaves an attempt that never completes. That window is closed by the attempt id instead: an
//! attempt is only ever run again (taken over once stale, or forgotten after a 5xx) when no event
//! carries its id; otherwise the retry answers [`Begin::AlreadyCommitted`] and nothing runs twice.
//!
//! Rows are purged by age ([`IdempotencyStore::purge_older_than`], a periodic task of `serve`).
//!
//! Stored answers may carry secrets shown once (temporary passwords, interview access tokens),
//! so they are encrypted at rest ([`Vault::encrypt_at_rest`]); rows written before that
//! (`body_sealed = false`) are replayed as stored.

use hireledger_infra::vault::{Vault, VaultError};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// What to do with a request carrying an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time (or a stale earlier attempt that wrote nothing): run it with this attempt id in
    /// the events' metadata, then `complete`.
    Proceed { attempt: Uuid },
    /// Already done: answer with the stored result.
    Replay { status: u16, body: Vec<u8> },
    /// Another attempt with this key is running right now.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
    /// An earlier attempt committed its events but its answer was never stored (a crash): it
    /// must not run again.
    AlreadyCommitted,
}

/// Attempts that never completed (crashed) may be taken over after this long.
const STALE_AFTER_SECS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("stored answer cannot be decrypted")]
    Vault(#[from] VaultError),
}

#[derive(Clone, Debug)]
pub struct IdempotencyStore {
    pool: PgPool,
    vault: Vault,
}

/// Digest of what makes a request "the same": method, path and body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().to_vec()
}

impl IdempotencyStore {
    pub fn new(pool: PgPool, vault: Vault) -> Self {
        Self { pool, vault }
    }

    pub async fn begin(
        &self,
        scope: &str,
        key: &str,
        hash: &[u8],
    ) -> Result<Begin, IdempotencyError> {
        let attempt = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, attempt_id)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(hash)
        .bind(attempt)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            tx.commit().await?;
            return Ok(Begin::Proceed { attempt });
        }
        type Row = (
            Vec<u8>,
            Option<i16>,
            Option<Vec<u8>>,
            bool,
            bool,
            Option<Uuid>,
        );
        let (stored_hash, status, body, sealed, stale, previous): Row = sqlx::query_as(
            "SELECT request_hash, status_code, response_body, body_sealed,
                        created_at < now() - make_interval(secs => $3), attempt_id
                 FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 FOR UPDATE",
        )
        .bind(scope)
        .bind(key)
        .bind(STALE_AFTER_SECS as f64)
        .fetch_one(&mut *tx)
        .await?;
        let outcome = if stored_hash != hash {
            Begin::Mismatch
        } else if let (Some(status), Some(body)) = (status, body) {
            Begin::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body: if sealed {
                    self.vault.decrypt_at_rest(&body)?
                } else {
                    body
                },
            }
        } else if !stale {
            Begin::InProgress
        } else if match previous {
            Some(previous) => attempt_committed(&mut tx, previous).await?,
            None => false,
        } {
            Begin::AlreadyCommitted
        } else {
            sqlx::query(
                "UPDATE idempotency_keys SET created_at = now(), attempt_id = $3
                 WHERE scope = $1 AND idem_key = $2",
            )
            .bind(scope)
            .bind(key)
            .bind(attempt)
            .execute(&mut *tx)
            .await?;
            Begin::Proceed { attempt }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Stores the answer of `attempt` (not of an attempt that has since been taken over).
    pub async fn complete(
        &self,
        scope: &str,
        key: &str,
        attempt: Uuid,
        status: u16,
        body: &[u8],
    ) -> Result<(), IdempotencyError> {
        let sealed = self.vault.encrypt_at_rest(body)?;
        sqlx::query(
            "UPDATE idempotency_keys
             SET status_code = $3, response_body = $4, body_sealed = true, completed_at = now()
             WHERE scope = $1 AND idem_key = $2 AND attempt_id = $5",
        )
        .bind(scope)
        .bind(key)
        .bind(i16::try_from(status).unwrap_or(500))
        .bind(sealed)
        .bind(attempt)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets an attempt that failed in a retryable way (5xx, or an answer not worth keeping such
    /// as a 409) so a retry runs again, unless one of its commands committed: then the row stays
    /// and a retry answers [`Begin::InProgress`] and, once stale, [`Begin::AlreadyCommitted`].
    pub async fn abandon(
        &self,
        scope: &str,
        key: &str,
        attempt: Uuid,
    ) -> Result<(), IdempotencyError> {
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE scope = $1 AND idem_key = $2 AND status_code IS NULL AND attempt_id = $3
               AND NOT EXISTS (SELECT 1 FROM events
                               WHERE metadata ->> 'idempotency_attempt' = $3::text)",
        )
        .bind(scope)
        .bind(key)
        .bind(attempt)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes every row older than `age` (stored answers hold one-time secrets); returns how many.
    #[tracing::instrument(skip(self))]
    pub async fn purge_older_than(&self, age: Duration) -> Result<u64, IdempotencyError> {
        let done = sqlx::query(
            "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
        )
        .bind(age.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

/// Whether any event was written by `attempt`.
async fn attempt_committed(
    tx: &mut sqlx::PgConnection,
    attempt: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM events WHERE metadata ->> 'idempotency_attempt' = $1)",
    )
    .bind(attempt.to_string())
    .fetch_one(tx)
    .await
}
