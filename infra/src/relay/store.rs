//! The relay's SQL: leadership lock, commit-order tailing, checkpoints.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};

/// Where a relay has published up to (inclusive), in commit order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Checkpoint {
    /// `xid8` as text (sqlx has no `xid8` type; the value round-trips through `::text::xid8`).
    pub(super) tx_id: String,
    pub(super) global_position: i64,
}

impl Checkpoint {
    /// Before the first event: every `xid8` and every position is greater.
    pub(super) fn start() -> Self {
        Self {
            tx_id: "0".to_owned(),
            global_position: 0,
        }
    }
}

/// One stored event, as the relay reads it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct EventRow {
    pub(super) tx_id: String,
    pub(super) global_position: i64,
    pub(super) aggregate_type: String,
    pub(super) aggregate_id: String,
    pub(super) sequence: i64,
    pub(super) event_type: String,
    pub(super) event_version: String,
    pub(super) payload: Value,
    pub(super) metadata: Value,
    pub(super) recorded_at: DateTime<Utc>,
}

impl EventRow {
    pub(super) fn position(&self) -> Checkpoint {
        Checkpoint {
            tx_id: self.tx_id.clone(),
            global_position: self.global_position,
        }
    }
}

/// The advisory-lock key of a relay name: the first 8 bytes of SHA-256, stable across processes,
/// versions and machines (unlike Postgres's internal `hashtext`).
pub(super) fn lock_key(relay_name: &str) -> i64 {
    let digest = Sha256::digest(format!("hireledger-relay/{relay_name}").as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// A connection of its own (not from the pool: it must never be handed to anyone else while it
/// holds the session lock, and closing it must release the lock).
#[tracing::instrument(skip_all)]
pub(super) async fn connect_dedicated(pool: &PgPool) -> anyhow::Result<PgConnection> {
    PgConnection::connect_with(&crate::db::lock_connection_options(&pool.connect_options()))
        .await
        .context("opening the relay's lock connection")
}

/// `pg_try_advisory_lock` (session level): true when this connection now holds the relay lock.
#[tracing::instrument(skip(conn))]
pub(super) async fn try_lock(conn: &mut PgConnection, key: i64) -> anyhow::Result<bool> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(conn)
        .await
        .context("trying the relay's advisory lock")
}

/// Releases the lock and closes the connection (closing alone would release it too).
#[tracing::instrument(skip(conn))]
pub(super) async fn unlock_and_close(mut conn: PgConnection, key: i64) -> anyhow::Result<()> {
    sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .fetch_one(&mut conn)
        .await
        .context("releasing the relay's advisory lock")?;
    conn.close()
        .await
        .context("closing the relay's lock connection")
}

#[tracing::instrument(skip(pool))]
pub(super) async fn load_checkpoint(pool: &PgPool, relay_name: &str) -> anyhow::Result<Checkpoint> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT tx_id::text, global_position FROM relay_checkpoints WHERE relay_name = $1",
    )
    .bind(relay_name)
    .fetch_optional(pool)
    .await
    .context("reading the relay checkpoint")?;
    Ok(
        row.map_or_else(Checkpoint::start, |(tx_id, global_position)| Checkpoint {
            tx_id,
            global_position,
        }),
    )
}

/// `application_name` prefix of the read side's sessions (projectors). They never write events —
/// a trigger on `events` refuses it — so the watermark need not wait for their transactions.
pub const READ_SIDE_APPLICATION: &str = "hireledger-read-side";

/// How the watermark is found (see [`watermark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WatermarkScope {
    /// Only the transactions of this database that may write events (needs `pg_read_all_stats`
    /// or superuser, to see every session's transaction id).
    Database,
    /// Every transaction of the cluster (no extra privilege; a long transaction anywhere holds
    /// publication back).
    Cluster,
}

/// Which scope this connection's role allows.
pub(super) async fn watermark_scope(pool: &PgPool) -> anyhow::Result<WatermarkScope> {
    let privileged: bool = sqlx::query_scalar(
        "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')
         FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(pool)
    .await
    .context("checking the relay's privileges")?;
    Ok(if privileged {
        WatermarkScope::Database
    } else {
        WatermarkScope::Cluster
    })
}

/// The commit-order watermark: every transaction that can still commit events has a `tx_id` at
/// or above it, so events below it that are not visible now never will be.
///
/// [`WatermarkScope::Database`]: a snapshot first (every transaction running now is in its
/// `xip` list), then, in a later statement, the transactions still running in this database,
/// read side excluded (`pg_stat_activity`, plus prepared transactions). A transaction of the
/// snapshot missing from that list has ended by then, so the next statement sees its events;
/// one that starts later gets a greater id than the snapshot's `xmax`. The watermark is the
/// oldest remaining one, or `xmax` when none remains. Transactions of other databases and of the
/// projectors no longer hold publication back.
pub(super) async fn watermark(pool: &PgPool, scope: WatermarkScope) -> anyhow::Result<String> {
    if scope == WatermarkScope::Cluster {
        return sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
            .fetch_one(pool)
            .await
            .context("reading the snapshot");
    }
    let (xmin, xmax, xip): (String, String, Vec<String>) = sqlx::query_as(
        "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text,
                ARRAY(SELECT x::text FROM pg_snapshot_xip(s) x)
         FROM pg_current_snapshot() s",
    )
    .fetch_one(pool)
    .await
    .context("reading the snapshot")?;
    if xip.is_empty() {
        return Ok(xmin);
    }
    let running: Vec<i64> = sqlx::query_scalar(
        "SELECT backend_xid::text::bigint FROM pg_stat_activity
         WHERE datname = current_database() AND backend_xid IS NOT NULL
           AND application_name NOT LIKE $1 || '%'
         UNION ALL
         SELECT transaction::text::bigint FROM pg_prepared_xacts
         WHERE database = current_database()",
    )
    .bind(READ_SIDE_APPLICATION)
    .fetch_all(pool)
    .await
    .context("reading the running transactions")?;
    Ok(oldest_running(&xip, &running).unwrap_or(xmax))
}

/// The smallest full transaction id in `xip` whose low 32 bits are one of `running` (32-bit ids
/// as `pg_stat_activity` shows them), as text.
fn oldest_running(xip: &[String], running: &[i64]) -> Option<String> {
    xip.iter()
        .filter_map(|x| x.parse::<u64>().ok())
        .filter(|x| running.contains(&i64::from(*x as u32)))
        .min()
        .map(|x| x.to_string())
}

/// The next committed events after `after` and below the watermark `below`, in commit order: a
/// transaction that commits later always has a greater `tx_id` than anything returned here, so
/// nothing is ever skipped.
#[tracing::instrument(skip(pool))]
pub(super) async fn fetch_batch(
    pool: &PgPool,
    after: &Checkpoint,
    below: &str,
    limit: i64,
) -> anyhow::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT tx_id::text AS tx_id, global_position, aggregate_type, aggregate_id, sequence, \
                event_type, event_version, payload, metadata, recorded_at \
         FROM events \
         WHERE (tx_id, global_position) > ($1::text::xid8, $2) \
           AND tx_id < $3::text::xid8 \
         ORDER BY tx_id, global_position \
         LIMIT $4",
    )
    .bind(&after.tx_id)
    .bind(after.global_position)
    .bind(below)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("reading the next events in commit order")
}

/// Moves the checkpoint from `from` to `to` and adds `published` to the counter. Compare-and-set:
/// false when the row is no longer at `from` (another writer moved it, e.g. an operator resetting
/// it for a replay), in which case nothing is written.
#[tracing::instrument(skip(pool))]
pub(super) async fn advance_checkpoint(
    pool: &PgPool,
    relay_name: &str,
    from: &Checkpoint,
    to: &Checkpoint,
    published: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO relay_checkpoints (relay_name, tx_id, global_position, published, updated_at) \
         VALUES ($1, $2::text::xid8, $3, $4, now()) \
         ON CONFLICT (relay_name) DO UPDATE \
         SET tx_id = EXCLUDED.tx_id, \
             global_position = EXCLUDED.global_position, \
             published = relay_checkpoints.published + EXCLUDED.published, \
             updated_at = now() \
         WHERE relay_checkpoints.tx_id = $5::text::xid8 \
           AND relay_checkpoints.global_position = $6",
    )
    .bind(relay_name)
    .bind(&to.tx_id)
    .bind(to.global_position)
    .bind(published)
    .bind(&from.tx_id)
    .bind(from.global_position)
    .execute(pool)
    .await
    .context("writing the relay checkpoint")?;
    Ok(done.rows_affected() == 1)
}

/// Committed events after the checkpoint.
#[tracing::instrument(skip(pool))]
pub(super) async fn count_after(pool: &PgPool, after: &Checkpoint) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE (tx_id, global_position) > ($1::text::xid8, $2)",
    )
    .bind(&after.tx_id)
    .bind(after.global_position)
    .fetch_one(pool)
    .await
    .context("counting unpublished events")
}

/// The greatest lag over all checkpoints; every event when there is none.
#[tracing::instrument(skip(pool))]
pub(super) async fn max_lag(pool: &PgPool) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "SELECT COALESCE(MAX(( \
                    SELECT count(*) FROM events e \
                    WHERE (e.tx_id, e.global_position) > (c.tx_id, c.global_position))), \
                (SELECT count(*) FROM events)) \
         FROM relay_checkpoints c",
    )
    .fetch_one(pool)
    .await
    .context("counting unpublished events")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_running_transaction_of_this_database_is_the_watermark() {
        let xip: Vec<String> = ["4294967300", "4294967310", "4294967320"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        // 4294967310 = epoch 1, xid 14; 4294967320 = epoch 1, xid 24.
        assert_eq!(
            oldest_running(&xip, &[24, 14]),
            Some("4294967310".to_owned())
        );
        assert_eq!(oldest_running(&xip, &[24]), Some("4294967320".to_owned()));
        assert_eq!(oldest_running(&xip, &[99]), None);
        assert_eq!(oldest_running(&[], &[14]), None);
    }

    #[test]
    fn lock_key_is_stable_and_distinct_per_name() {
        assert_eq!(lock_key("hireledger-relay"), lock_key("hireledger-relay"));
        assert_ne!(lock_key("hireledger-relay"), lock_key("other-relay"));
    }
}
