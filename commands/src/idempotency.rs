//! `Idempotency-Key` support: the first completed result of a request is stored and replayed
//! for retries with the same key, so a retry never writes new events.
//!
//! Stored answers may carry secrets shown once (temporary passwords, interview access tokens),
//! so they are encrypted at rest ([`Vault::encrypt_at_rest`]); rows written before that
//! (`body_sealed = false`) are replayed as stored.

use hireledger_infra::vault::{Vault, VaultError};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// What to do with a request carrying an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time (or an abandoned earlier attempt): run it, then `complete`.
    Proceed,
    /// Already done: answer with the stored result.
    Replay { status: u16, body: Vec<u8> },
    /// Another attempt with this key is running right now.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
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
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            tx.commit().await?;
            return Ok(Begin::Proceed);
        }
        type Row = (Vec<u8>, Option<i16>, Option<Vec<u8>>, bool, bool);
        let (stored_hash, status, body, sealed, stale): Row = sqlx::query_as(
            "SELECT request_hash, status_code, response_body, body_sealed,
                        created_at < now() - make_interval(secs => $3)
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
        } else if stale {
            sqlx::query(
                "UPDATE idempotency_keys SET created_at = now() WHERE scope = $1 AND idem_key = $2",
            )
            .bind(scope)
            .bind(key)
            .execute(&mut *tx)
            .await?;
            Begin::Proceed
        } else {
            Begin::InProgress
        };
        tx.commit().await?;
        Ok(outcome)
    }

    pub async fn complete(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), IdempotencyError> {
        let sealed = self.vault.encrypt_at_rest(body)?;
        sqlx::query(
            "UPDATE idempotency_keys
             SET status_code = $3, response_body = $4, body_sealed = true, completed_at = now()
             WHERE scope = $1 AND idem_key = $2",
        )
        .bind(scope)
        .bind(key)
        .bind(i16::try_from(status).unwrap_or(500))
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets an attempt that failed in a retryable way (5xx), so a retry runs again.
    pub async fn abandon(&self, scope: &str, key: &str) -> Result<(), IdempotencyError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND status_code IS NULL")
            .bind(scope)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
