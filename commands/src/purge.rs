//! Purge of dead secrets: expired refresh tokens, e-mail verifications that expired or were used,
//! and interview access tokens that expired or whose scheduling never committed (tokens written
//! before they carried an expiry stay until their interview is gone), and verification mails in the
//! outbox once sent or once their token expired (their sealed token is useless by then). Every API
//! instance runs it periodically ([`PURGE_EVERY`]); it is idempotent and concurrent runs are
//! harmless (plain `DELETE`s of rows nobody can use any more).

use sqlx::PgPool;
use std::time::Duration;

/// How often each instance purges.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

/// How long an interview token whose scheduling never committed (a crash in between) is kept.
const ORPHAN_TOKEN_AGE: &str = "1 day";

/// Rows removed by one purge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub refresh_tokens: u64,
    pub email_verifications: u64,
    pub interview_tokens: u64,
    pub mails: u64,
}

/// Deletes what can no longer be used.
#[tracing::instrument(skip(pool))]
pub async fn purge_expired(pool: &PgPool) -> Result<Purged, sqlx::Error> {
    let refresh_tokens = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < now()")
        .execute(pool)
        .await?
        .rows_affected();
    let email_verifications = sqlx::query(
        "DELETE FROM email_verifications WHERE expires_at < now() OR used_at IS NOT NULL",
    )
    .execute(pool)
    .await?
    .rows_affected();
    let interview_tokens = sqlx::query(&format!(
        "DELETE FROM interview_tokens t
          WHERE t.expires_at < now()
             OR (t.created_at < now() - interval '{ORPHAN_TOKEN_AGE}'
                 AND NOT EXISTS (SELECT 1 FROM events e
                                  WHERE e.aggregate_type = 'interview'
                                    AND e.aggregate_id = t.interview_id::text))"
    ))
    .execute(pool)
    .await?
    .rows_affected();
    let mails = sqlx::query(
        "DELETE FROM mail_outbox
          WHERE sent_at IS NOT NULL OR created_at < now() - make_interval(secs => $1)",
    )
    .bind(crate::identity::VERIFICATION_TTL.num_seconds() as f64)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(Purged {
        refresh_tokens,
        email_verifications,
        interview_tokens,
        mails,
    })
}
