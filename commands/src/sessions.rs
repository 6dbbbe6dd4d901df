//! Refresh tokens: opaque, stored as SHA-256 hashes, rotated on every use. A family is one login;
//! presenting a token that was already rotated means it leaked, so the whole family is revoked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("unknown refresh token")]
    Invalid,
    #[error("refresh token expired")]
    Expired,
    #[error("refresh token revoked")]
    Revoked,
    #[error("refresh token reused; session family revoked")]
    Reused,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A freshly issued refresh token (shown to the client once, in a cookie).
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    pub token: String,
    pub family_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Sessions {
    pool: PgPool,
    ttl: Duration,
}

/// family_id, user_id, expires_at, rotated_at, revoked_at
type TokenRow = (
    Uuid,
    Uuid,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Sessions {
    pub fn new(pool: PgPool, ttl: Duration) -> Self {
        Self { pool, ttl }
    }

    async fn insert<'e>(
        &self,
        exec: impl sqlx::PgExecutor<'e>,
        user_id: Uuid,
        family_id: Uuid,
    ) -> Result<IssuedRefresh, RefreshError> {
        let token = new_token();
        let expires_at = Utc::now()
            + chrono::Duration::from_std(self.ttl).unwrap_or_else(|_| chrono::Duration::days(7));
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash(&token))
        .bind(family_id)
        .bind(user_id)
        .bind(expires_at)
        .execute(exec)
        .await?;
        Ok(IssuedRefresh {
            token,
            family_id,
            expires_at,
        })
    }

    /// Starts a new family (a login).
    pub async fn issue(&self, user_id: Uuid) -> Result<IssuedRefresh, RefreshError> {
        self.insert(&self.pool, user_id, Uuid::now_v7()).await
    }

    /// Exchanges a valid token for a new one of the same family; returns the user id.
    pub async fn rotate(&self, token: &str) -> Result<(Uuid, IssuedRefresh), RefreshError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT family_id, user_id, expires_at, rotated_at, revoked_at
                 FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        )
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((family_id, user_id, expires_at, rotated_at, revoked_at)) = row else {
            return Err(RefreshError::Invalid);
        };
        if revoked_at.is_some() {
            return Err(RefreshError::Revoked);
        }
        if rotated_at.is_some() {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
                .bind(family_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Err(RefreshError::Reused);
        }
        if expires_at <= Utc::now() {
            return Err(RefreshError::Expired);
        }
        sqlx::query("UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&mut *tx)
            .await?;
        let issued = self.insert(&mut *tx, user_id, family_id).await?;
        tx.commit().await?;
        Ok((user_id, issued))
    }

    /// Revokes the family of `token` (logout). Unknown tokens are ignored.
    pub async fn revoke(&self, token: &str) -> Result<(), RefreshError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = now()
             WHERE revoked_at IS NULL AND family_id =
                 (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(token_hash(token))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Revokes every session of a user (password change, deactivation).
    pub async fn revoke_user(&self, user_id: Uuid) -> Result<(), RefreshError> {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The session generations of a user and of their company (0 when never bumped). An access
/// token issued at older generations has lost its rights: a trigger on the event store bumps
/// them in the transaction of every deactivation, erasure, role or password change (see the
/// `session_generations` migration).
#[tracing::instrument(skip(pool))]
pub async fn generations(
    pool: &PgPool,
    user_id: Uuid,
    company_id: Option<Uuid>,
) -> Result<SessionGenerations, sqlx::Error> {
    let (user, company): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(max(generation) FILTER (WHERE subject_id = $1), 0),
                coalesce(max(generation) FILTER (WHERE subject_id = $2), 0)
           FROM session_generations WHERE subject_id = $1 OR subject_id = $2",
    )
    .bind(user_id)
    .bind(company_id)
    .fetch_one(pool)
    .await?;
    Ok(SessionGenerations { user, company })
}

/// See [`generations`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionGenerations {
    pub user: i64,
    pub company: i64,
}
