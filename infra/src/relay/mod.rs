//! The relay: publishes committed events from the event store to Kafka, in commit order, at least
//! once.
//!
//! - **One active relay per name.** The active relay holds a session-level advisory lock (key
//!   derived from the relay name) on a dedicated connection for as long as it runs. Other
//!   instances are hot standbys: they retry `pg_try_advisory_lock` every `poll_interval` and take
//!   over when the holder's connection closes (process died, task aborted, network gone). The
//!   active relay pings its lock connection every cycle and steps down when it is gone; the
//!   checkpoint write is also a compare-and-set, so a relay that lost its lock without noticing
//!   cannot move the checkpoint either.
//! - **Commit order.** Events are read in `(tx_id, global_position)` order, and only below a
//!   watermark: the oldest transaction still running that could commit events. A transaction still
//!   running can only commit events with a `tx_id` at or above it, which the checkpoint has not
//!   passed, so a late commit is never skipped. With `pg_read_all_stats` (or as superuser) the
//!   watermark counts only this database's transactions, read side excluded (projector sessions
//!   are named [`READ_SIDE_APPLICATION`]; a trigger refuses events from them), so a long
//!   transaction in another database or a projector batch does not hold publication back;
//!   without that privilege it is `pg_snapshot_xmin(pg_current_snapshot())`, and a long
//!   transaction anywhere in the cluster holds publication back until it ends (see
//!   `store::watermark`).
//! - **Waking.** `LISTEN hireledger_events` (a trigger notifies at commit), with polling every
//!   `poll_interval` as the fallback (a lost notification, or a watermark that moved because an
//!   unrelated transaction ended). After waking it drains batches until one comes back short.
//! - **At least once.** A batch is sent whole, every delivery is awaited (idempotent producer,
//!   `acks=all`), and only then is the checkpoint moved and the published counter increased.
//!   Any error — delivery, database, lost lock — leaves the checkpoint where it was; the relay
//!   backs off and sends again, so consumers see duplicates (same `ce_id`) and dedupe by aggregate
//!   id + sequence.
//! - **Poison events block.** An event without a published form (a `SchemaError`) is never
//!   skipped: the events before it are published and checkpointed, then the relay logs the
//!   event's position (never its payload) and retries with backoff, publishing nothing after it
//!   until the schemas are fixed. [`relay_lag`] keeps growing meanwhile, which health checks see.
//!   Skipping would silently break every consumer's history; parking would need a table and an
//!   operator workflow, which we can add when a real case calls for it.

mod publish;
mod store;

pub use store::READ_SIDE_APPLICATION;

use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;
use store::Checkpoint;
use uuid::Uuid;

/// The channel the event-store trigger notifies on commit.
pub const NOTIFY_CHANNEL: &str = "hireledger_events";

/// Namespace of the UUID v5 `ce_id`s (a random constant; never change it).
const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d1c_2f9e_8a47_4b0e_9c35_1e7a_52d4_b8f3);

const MIN_BACKOFF: Duration = Duration::from_millis(200);
/// A relay that failed (broker or database away) tries again at least this often, so it catches
/// up within seconds of the dependency's return.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const LOCK_PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Header names of every published record (CloudEvents Kafka binding + HireLedger extensions).
pub mod headers {
    /// Deterministic UUID v5 of aggregate type / aggregate id / sequence ([`super::event_id`]).
    pub const CE_ID: &str = "ce_id";
    /// Published type, e.g. `hireledger.user.UserRegistered.v1`.
    pub const CE_TYPE: &str = "ce_type";
    /// `/hireledger/<aggregate type>`.
    pub const CE_SOURCE: &str = "ce_source";
    /// The aggregate id (also the record key).
    pub const CE_SUBJECT: &str = "ce_subject";
    /// When the event was stored, RFC 3339 UTC.
    pub const CE_TIME: &str = "ce_time";
    /// Always `1.0`.
    pub const CE_SPECVERSION: &str = "ce_specversion";
    /// Always `application/json`.
    pub const CONTENT_TYPE: &str = "content-type";
    /// The event's sequence within its aggregate.
    pub const HL_SEQUENCE: &str = "hl_sequence";
    /// Version of the published form.
    pub const HL_EVENT_VERSION: &str = "hl_event_version";
    /// Tenant (company) id, when the event belongs to one.
    pub const HL_TENANT: &str = "hl_tenant";
    /// Position in the event store (diagnostics; consumers order by partition offset).
    pub const HL_GLOBAL_POSITION: &str = "hl_global_position";
    pub const HL_CORRELATION_ID: &str = "hl_correlation_id";
    pub const HL_CAUSATION_ID: &str = "hl_causation_id";
}

/// What one relay publishes where.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Names the checkpoint row and the leadership lock; instances with the same name share them.
    pub relay_name: String,
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// Topics are `<topic_prefix>.<aggregate type>`.
    pub topic_prefix: String,
    /// Partitions of topics the relay creates.
    pub partitions: i32,
    /// Events read and sent per batch.
    pub batch_size: i64,
    /// Fallback poll when no notification arrives; also the standby's retry interval.
    pub poll_interval: Duration,
    /// Aggregate types whose topics are created at start (a type met later gets its topic then).
    pub aggregate_types: Vec<String>,
}

/// The CloudEvents id of an event: the same on every redelivery.
pub fn event_id(aggregate_type: &str, aggregate_id: &str, sequence: i64) -> Uuid {
    Uuid::new_v5(
        &EVENT_ID_NAMESPACE,
        format!("{aggregate_type}/{aggregate_id}/{sequence}").as_bytes(),
    )
}

/// Committed events not yet published, per the checkpoints: the lag of the furthest-behind relay,
/// or every event while no relay has checkpointed yet. For health checks and the bench.
#[tracing::instrument(skip(pool))]
pub async fn relay_lag(pool: &PgPool) -> anyhow::Result<i64> {
    store::max_lag(pool).await
}

/// Committed events that the relay `relay_name` has not published yet (per its checkpoint).
#[tracing::instrument(skip(pool))]
pub async fn relay_lag_of(pool: &PgPool, relay_name: &str) -> anyhow::Result<i64> {
    let checkpoint = store::load_checkpoint(pool, relay_name).await?;
    store::count_after(pool, &checkpoint).await
}

/// Runs the relay until `shutdown` completes: standby until it holds the lock, then publishing.
/// Errors are logged and retried with backoff; it returns an error only for an invalid config.
#[tracing::instrument(skip_all, fields(relay = %cfg.relay_name))]
pub async fn run_relay(
    pool: PgPool,
    cfg: RelayConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    anyhow::ensure!(cfg.batch_size > 0, "relay batch size must be positive");
    anyhow::ensure!(cfg.partitions > 0, "topic partitions must be positive");
    anyhow::ensure!(
        !cfg.poll_interval.is_zero(),
        "relay poll interval must be positive"
    );
    let key = store::lock_key(&cfg.relay_name);
    // The lock connection lives out here so that a shutdown can release it cleanly. Stopping in the
    // middle of a batch is safe: nothing after the last checkpoint counts as published.
    let mut lock: Option<PgConnection> = None;
    tokio::select! {
        biased;
        () = shutdown => {}
        never = relay_loop(&pool, &cfg, key, &mut lock) => match never {},
    }
    if let Some(conn) = lock.take() {
        // Best effort: if this fails or hangs, dropping the connection releases the lock too.
        match tokio::time::timeout(LOCK_PING_TIMEOUT, store::unlock_and_close(conn, key)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %format!("{e:#}"), "releasing the relay lock"),
            Err(_elapsed) => tracing::warn!("releasing the relay lock timed out"),
        }
    }
    tracing::info!("relay stopped");
    Ok(())
}

async fn relay_loop(
    pool: &PgPool,
    cfg: &RelayConfig,
    key: i64,
    lock: &mut Option<PgConnection>,
) -> Infallible {
    let mut backoff = Backoff::default();
    loop {
        if lock.is_none() {
            *lock = Some(acquire(pool, cfg, key).await);
        }
        let Some(conn) = lock.as_mut() else {
            continue;
        };
        let Err(e) = lead(pool, cfg, conn, &mut backoff).await;
        tracing::error!(error = %format!("{e:#}"), "relay cycle failed; retrying after backoff");
        if !ping(conn).await {
            tracing::warn!("relay lock connection lost; no longer active");
            *lock = None;
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// Waits until this instance holds the relay lock (hot standby meanwhile).
#[tracing::instrument(skip_all)]
async fn acquire(pool: &PgPool, cfg: &RelayConfig, key: i64) -> PgConnection {
    let mut announced = false;
    loop {
        let mut conn = match store::connect_dedicated(pool).await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "relay cannot reach the database");
                tokio::time::sleep(cfg.poll_interval.max(MIN_BACKOFF)).await;
                continue;
            }
        };
        loop {
            match store::try_lock(&mut conn, key).await {
                Ok(true) => {
                    tracing::info!("relay lock acquired; this instance is active");
                    return conn;
                }
                Ok(false) => {
                    if !announced {
                        tracing::info!("relay lock held by another instance; standing by");
                        announced = true;
                    }
                    tokio::time::sleep(cfg.poll_interval).await;
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "relay lock connection failed");
                    break;
                }
            }
        }
        tokio::time::sleep(cfg.poll_interval.max(MIN_BACKOFF)).await;
    }
}

async fn ping(conn: &mut PgConnection) -> bool {
    use sqlx::Connection as _;
    matches!(
        tokio::time::timeout(LOCK_PING_TIMEOUT, conn.ping()).await,
        Ok(Ok(()))
    )
}

/// Publishes while holding the lock; returns only with an error (the caller backs off).
async fn lead(
    pool: &PgPool,
    cfg: &RelayConfig,
    lock: &mut PgConnection,
    backoff: &mut Backoff,
) -> anyhow::Result<Infallible> {
    use anyhow::Context as _;
    // Listen before the first drain, so that no commit between the two goes unnoticed.
    let mut listener = PgListener::connect_with(pool)
        .await
        .context("opening the LISTEN connection")?;
    listener
        .listen(NOTIFY_CHANNEL)
        .await
        .context("listening for committed events")?;
    let mut publisher = publish::Publisher::new(cfg)?;
    let topics: Vec<String> = cfg
        .aggregate_types
        .iter()
        .map(|t| crate::settings::topic_name(&cfg.topic_prefix, t))
        .collect();
    publisher.ensure_topics(&topics).await?;
    let mut checkpoint = store::load_checkpoint(pool, &cfg.relay_name).await?;
    let scope = store::watermark_scope(pool).await?;
    tracing::info!(
        tx_id = %checkpoint.tx_id,
        global_position = checkpoint.global_position,
        ?scope,
        "relay publishing from checkpoint"
    );
    loop {
        anyhow::ensure!(ping(lock).await, "the relay lock connection is gone");
        loop {
            let below = store::watermark(pool, scope).await?;
            let rows = store::fetch_batch(pool, &checkpoint, &below, cfg.batch_size).await?;
            let fetched = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            if fetched > 0 {
                publish_batch(pool, cfg, &mut publisher, &rows, &mut checkpoint).await?;
            }
            if fetched < cfg.batch_size {
                break;
            }
        }
        // Caught up without an error: the next failure starts from the shortest delay again.
        backoff.reset();
        match tokio::time::timeout(cfg.poll_interval, listener.recv()).await {
            Ok(Ok(_)) => while listener.next_buffered().is_some() {},
            Ok(Err(e)) => return Err(e).context("waiting for event notifications"),
            Err(_elapsed) => {}
        }
    }
}

/// Sends the batch (up to a poison event, if any), awaits every delivery, then checkpoints.
#[tracing::instrument(skip_all, fields(count = rows.len()))]
async fn publish_batch(
    pool: &PgPool,
    cfg: &RelayConfig,
    publisher: &mut publish::Publisher,
    rows: &[store::EventRow],
    checkpoint: &mut Checkpoint,
) -> anyhow::Result<()> {
    let mut ready = Vec::with_capacity(rows.len());
    let mut poison = None;
    for row in rows {
        match publish::prepare(&cfg.topic_prefix, row) {
            Ok(m) => ready.push(m),
            Err(e) => {
                poison = Some((row, e));
                break;
            }
        }
    }
    if let Some(last) = ready.len().checked_sub(1).and_then(|i| rows.get(i)) {
        let topics: Vec<String> = ready.iter().map(|m| m.topic.clone()).collect();
        publisher.ensure_topics(&topics).await?;
        publisher.send_all(&ready).await?;
        let to = last.position();
        let count = i64::try_from(ready.len()).unwrap_or(i64::MAX);
        if !store::advance_checkpoint(pool, &cfg.relay_name, checkpoint, &to, count).await? {
            anyhow::bail!(
                "the relay checkpoint was moved by someone else; re-reading it (the batch up to \
                 tx_id {} global_position {} will be sent again)",
                to.tx_id,
                to.global_position
            );
        }
        tracing::debug!(
            count,
            tx_id = %to.tx_id,
            global_position = to.global_position,
            "published batch"
        );
        *checkpoint = to;
    }
    if let Some((row, e)) = poison {
        anyhow::bail!(
            "event {}/{} sequence {} (tx_id {}, global_position {}, type {} v{}) has no published \
             form: {e}; the relay stops here and retries until the schemas handle it",
            row.aggregate_type,
            row.aggregate_id,
            row.sequence,
            row.tx_id,
            row.global_position,
            row.event_type,
            row.event_version
        );
    }
    Ok(())
}

/// Exponential backoff between failed cycles.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: MIN_BACKOFF }
    }
}

impl Backoff {
    fn next_delay(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        now
    }

    fn reset(&mut self) {
        self.next = MIN_BACKOFF;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_is_deterministic_v5() {
        let a = event_id("user", "u-1", 3);
        assert_eq!(a, event_id("user", "u-1", 3));
        assert_eq!(a.get_version_num(), 5);
        assert_ne!(a, event_id("user", "u-1", 4));
        assert_ne!(a, event_id("company", "u-1", 3));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::default();
        assert_eq!(b.next_delay(), MIN_BACKOFF);
        assert_eq!(b.next_delay(), MIN_BACKOFF * 2);
        for _ in 0..20 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), MAX_BACKOFF);
        b.reset();
        assert_eq!(b.next_delay(), MIN_BACKOFF);
    }
}
