//! E-mail claims: one account per address, enforced before any event is written.
//! Rows hold an HMAC digest of the address, never the address.

use super::IdentityError;
use sqlx::PgPool;
use uuid::Uuid;

/// Claims `digest` for `user_id`; claiming an address the same user already holds succeeds.
pub(super) async fn claim(
    pool: &PgPool,
    digest: &[u8],
    user_id: Uuid,
) -> Result<(), IdentityError> {
    let holder: Option<Uuid> = sqlx::query_scalar(
        "WITH ins AS (
             INSERT INTO login_emails (email_digest, user_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING RETURNING user_id)
         SELECT user_id FROM ins
         UNION ALL SELECT user_id FROM login_emails WHERE email_digest = $1
         LIMIT 1",
    )
    .bind(digest)
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    match holder {
        Some(h) if h == user_id => Ok(()),
        _ => Err(IdentityError::EmailTaken),
    }
}

/// Moves the user's claim to `digest`; returns the previous digest so a refused command can
/// put it back with [`restore`].
pub(super) async fn change(
    pool: &PgPool,
    user_id: Uuid,
    digest: &[u8],
) -> Result<Option<Vec<u8>>, IdentityError> {
    let mut tx = pool.begin().await?;
    let old: Option<Vec<u8>> =
        sqlx::query_scalar("DELETE FROM login_emails WHERE user_id = $1 RETURNING email_digest")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    let inserted = sqlx::query(
        "INSERT INTO login_emails (email_digest, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(digest)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        tx.rollback().await?;
        return Err(IdentityError::EmailTaken);
    }
    tx.commit().await?;
    Ok(old)
}

pub(super) async fn restore(
    pool: &PgPool,
    user_id: Uuid,
    old: Option<Vec<u8>>,
) -> Result<(), IdentityError> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM login_emails WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if let Some(d) = old {
        sqlx::query("INSERT INTO login_emails (email_digest, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(d)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn release(pool: &PgPool, user_id: Uuid) -> Result<(), IdentityError> {
    sqlx::query("DELETE FROM login_emails WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn lookup(pool: &PgPool, digest: &[u8]) -> Result<Option<Uuid>, IdentityError> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM login_emails WHERE email_digest = $1")
            .bind(digest)
            .fetch_optional(pool)
            .await?,
    )
}
