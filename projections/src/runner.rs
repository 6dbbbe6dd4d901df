//! The generic projector runner: Kafka in, one Postgres transaction per batch out.
//!
//! # Guarantees
//! - **Offsets live in Postgres** (`projection_offsets`), written in the same transaction as the
//!   read-model changes they cover; the consumer never commits to Kafka. A crash before the commit
//!   loses the whole batch (it is read again), a crash after it loses nothing: no event is lost or
//!   applied twice.
//! - **One active instance per projector.** The active instance holds a session-level advisory lock
//!   (key derived from the projector name) on a connection of its own; other instances are hot
//!   standbys that try again every half second and take over when that connection closes (process
//!   killed, task aborted, network gone). The active one pings the lock every check interval and
//!   steps down when it is gone.
//! - **Positioning without a group rebalance.** The active instance assigns itself every partition
//!   of its topics (`assign`, not `subscribe`), each at the `next_offset` stored in Postgres (the
//!   beginning when none), and looks for new partitions and topics every check interval. No Kafka
//!   group coordination is involved: tansu 0.6.0 keeps handing a restarted consumer an empty
//!   assignment after members were SIGKILLed, and a projector must survive exactly that.
//! - **Defence in depth**: every batch locks its partitions' offset rows and skips messages below the
//!   stored `next_offset`, so a stale fetch, a zombie instance that lost its lock without noticing,
//!   or a replay never applies anything twice. Correctness never rests on the advisory lock.
//! - **Per-aggregate idempotency**: an event whose `hl_sequence` is not newer than the version the
//!   projector reports for its aggregate is skipped (a duplicate; its offset still advances).
//! - **Poison messages halt**: a message that does not decode, or whose sequence jumps (a gap: an
//!   earlier event of that aggregate was never applied), is logged with topic/partition/offset (never
//!   the payload) and [`run_projector`] returns an error without committing. The projector stays at
//!   that offset until the cause is fixed (a decoder that understands the event, or an operator who
//!   moves `projection_offsets.next_offset` past it).
//! - **Transient failures** (connection lost, serialization failure, deadlock) are retried with
//!   backoff; the batch is applied from scratch each time.

use crate::envelope::Envelope;
use anyhow::Context as _;
use futures::FutureExt as _;
use rdkafka::Message as _;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use sqlx::{Connection as _, PgConnection, PgPool, Postgres, Transaction};
use std::collections::{BTreeSet, HashMap};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Most messages applied in one transaction.
const MAX_BATCH: usize = 200;
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// How often the active instance pings its lock and looks for new partitions.
const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// How often a standby tries to take the lock.
const STANDBY_INTERVAL: Duration = Duration::from_millis(500);
/// Limit of one lock ping, unlock or metadata request.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A read model fed by events. Implementations only touch the database through `tx`.
#[async_trait::async_trait]
pub trait Projector: Send + Sync {
    /// Stable name: the key of this projector's rows in `projection_offsets`.
    fn name(&self) -> &str;

    /// The last sequence of `event`'s aggregate already applied to this read model (0 when none),
    /// read inside `tx` and locked (`FOR UPDATE`) so concurrent instances serialize on it.
    async fn applied_version(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        event: &Envelope,
    ) -> anyhow::Result<i64>;

    /// Applies one event whose sequence is exactly `applied_version + 1`.
    async fn apply(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        event: &Envelope,
    ) -> anyhow::Result<()>;
}

/// How a batch failed.
enum BatchError {
    /// Worth retrying: the database was unreachable or aborted the transaction.
    Transient(anyhow::Error),
    /// A poison message or a bug: the projector stops.
    Fatal(anyhow::Error),
}

fn is_transient(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| match cause.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_)) => true,
            Some(sqlx::Error::Database(db)) => db.code().is_some_and(|code| {
                // serialization_failure, deadlock_detected, connection exceptions, operator
                // intervention (admin shutdown, cannot connect now).
                code == "40001"
                    || code == "40P01"
                    || code.starts_with("08")
                    || code.starts_with("57P")
            }),
            _ => false,
        })
}

fn classify(err: anyhow::Error) -> BatchError {
    if is_transient(&err) {
        BatchError::Transient(err)
    } else {
        BatchError::Fatal(err)
    }
}

/// Counts of one applied batch.
#[derive(Debug, Default)]
struct BatchStats {
    applied: usize,
    duplicates: usize,
    behind_offset: usize,
}

/// Applies `batch` in one transaction together with the new offsets.
async fn apply_batch(
    pool: &PgPool,
    projector: &dyn Projector,
    batch: &[OwnedMessage],
) -> Result<BatchStats, BatchError> {
    let name = projector.name();
    let mut stats = BatchStats::default();
    let mut tx = pool
        .begin()
        .await
        .context("beginning a transaction")
        .map_err(classify)?;
    // (topic, partition) → next offset to apply; `true` once it moved in this batch.
    let mut next: HashMap<(String, i32), (i64, bool)> = HashMap::new();
    for msg in batch {
        let key = (msg.topic().to_owned(), msg.partition());
        let stored = match next.get(&key) {
            Some(&(n, _)) => n,
            None => {
                // Locks the partition's row: a concurrent instance waits, then sees our offset.
                let n: i64 = sqlx::query_scalar(
                    "INSERT INTO projection_offsets (projector, topic, partition, next_offset)
                     VALUES ($1, $2, $3, 0)
                     ON CONFLICT (projector, topic, partition)
                     DO UPDATE SET next_offset = projection_offsets.next_offset
                     RETURNING next_offset",
                )
                .bind(name)
                .bind(&key.0)
                .bind(key.1)
                .fetch_one(&mut *tx)
                .await
                .context("locking the stored offset")
                .map_err(classify)?;
                next.insert(key.clone(), (n, false));
                n
            }
        };
        if msg.offset() < stored {
            stats.behind_offset += 1;
            continue;
        }
        let poison = |reason: String| {
            tracing::error!(projector = name, topic = msg.topic(), partition = msg.partition(),
                offset = msg.offset(), %reason, "poison message: the projector stops");
            BatchError::Fatal(anyhow::anyhow!(
                "projector {name}: message {}/{}@{}: {reason}",
                msg.topic(),
                msg.partition(),
                msg.offset()
            ))
        };
        let envelope = Envelope::from_message(msg).map_err(|e| poison(e.to_string()))?;
        let applied = projector
            .applied_version(&mut tx, &envelope)
            .await
            .map_err(|e| match classify(e) {
                BatchError::Fatal(e) => {
                    poison(format!("reading the applied version failed: {e:#}"))
                }
                transient => transient,
            })?;
        if envelope.sequence <= applied {
            stats.duplicates += 1;
            tracing::debug!(projector = name, aggregate_id = %envelope.aggregate_id,
                sequence = envelope.sequence, applied, "duplicate event skipped");
        } else if envelope.sequence != applied + 1 {
            return Err(poison(format!(
                "sequence gap for aggregate {}: expected {}, got {}",
                envelope.aggregate_id,
                applied + 1,
                envelope.sequence
            )));
        } else {
            projector
                .apply(&mut tx, &envelope)
                .await
                .map_err(|e| match classify(e) {
                    BatchError::Fatal(e) => poison(format!("applying failed: {e:#}")),
                    transient => transient,
                })?;
            stats.applied += 1;
        }
        next.insert(key, (msg.offset() + 1, true));
    }
    for ((topic, partition), (offset, moved)) in &next {
        if !moved {
            continue;
        }
        sqlx::query(
            "UPDATE projection_offsets SET next_offset = $4
             WHERE projector = $1 AND topic = $2 AND partition = $3",
        )
        .bind(name)
        .bind(topic)
        .bind(partition)
        .bind(offset)
        .execute(&mut *tx)
        .await
        .context("storing offsets")
        .map_err(classify)?;
    }
    tx.commit()
        .await
        .context("committing the batch")
        .map_err(classify)?;
    Ok(stats)
}

/// Why an active term ended.
enum Term {
    Shutdown,
    LostLock,
}

/// Runs `projector` over `topics` until `shutdown` completes (`Ok`) or a poison message or a
/// non-transient failure stops it (`Err`). Only one instance per projector name (per database) is
/// active at a time; the others wait as hot standbys. `group_id` is the Kafka client's `group.id`
/// (it names the consumer in broker tools); partitions are assigned directly, never through a
/// group rebalance, and nothing is ever committed to Kafka.
#[tracing::instrument(skip_all, fields(projector = %projector.name(), group_id = %group_id))]
pub async fn run_projector(
    pool: PgPool,
    brokers: &str,
    group_id: &str,
    topics: Vec<String>,
    projector: Arc<dyn Projector>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let shutdown = std::pin::pin!(shutdown);
    let mut shutdown: Pin<&mut (dyn Future<Output = ()> + Send)> = shutdown;
    loop {
        let Some(lock) = acquire(&pool, projector.name(), shutdown.as_mut()).await else {
            return Ok(());
        };
        let term = lead(
            &pool,
            brokers,
            group_id,
            &topics,
            projector.as_ref(),
            lock,
            shutdown.as_mut(),
        )
        .await?;
        match term {
            Term::Shutdown => {
                tracing::info!("projector stopped");
                return Ok(());
            }
            Term::LostLock => tracing::warn!("projector lock lost; back to standby"),
        }
    }
}

type Shutdown<'a> = Pin<&'a mut (dyn Future<Output = ()> + Send)>;

/// Waits until this instance holds the projector's advisory lock; `None` on shutdown.
async fn acquire(pool: &PgPool, name: &str, mut shutdown: Shutdown<'_>) -> Option<PgConnection> {
    let mut announced = false;
    let mut conn: Option<PgConnection> = None;
    loop {
        if conn.is_none() {
            match PgConnection::connect_with(&pool.connect_options()).await {
                Ok(c) => conn = Some(c),
                Err(e) => tracing::warn!(error = %e, "projector cannot reach the database"),
            }
        }
        if let Some(c) = conn.as_mut() {
            let locked: Result<bool, sqlx::Error> = sqlx::query_scalar(
                "SELECT pg_try_advisory_lock(('x' || substr(md5($1), 1, 16))::bit(64)::bigint)",
            )
            .bind(lock_name(name))
            .fetch_one(&mut *c)
            .await;
            match locked {
                Ok(true) => {
                    tracing::info!("projector lock acquired; this instance is active");
                    return conn;
                }
                Ok(false) if !announced => {
                    tracing::info!("another instance is active; standing by");
                    announced = true;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "trying the projector lock");
                    conn = None;
                }
            }
        }
        tokio::select! {
            biased;
            () = shutdown.as_mut() => return None,
            () = tokio::time::sleep(STANDBY_INTERVAL) => {}
        }
    }
}

/// The advisory-lock name of a projector (hashed to a key in SQL with md5: stable everywhere).
fn lock_name(projector: &str) -> String {
    format!("hireledger-projector/{projector}")
}

/// Whether the lock connection is still there (and with it the lock).
async fn ping(conn: &mut PgConnection) -> bool {
    matches!(
        tokio::time::timeout(CALL_TIMEOUT, conn.ping()).await,
        Ok(Ok(()))
    )
}

/// One term as the active instance: consume until shutdown, a lost lock, or a fatal error.
async fn lead(
    pool: &PgPool,
    brokers: &str,
    group_id: &str,
    topics: &[String],
    projector: &dyn Projector,
    mut lock: PgConnection,
    mut shutdown: Shutdown<'_>,
) -> anyhow::Result<Term> {
    let consumer: Arc<StreamConsumer> = Arc::new(
        hireledger_infra::kafka::consumer_config(brokers, group_id)
            .create()
            .context("creating the Kafka consumer")?,
    );
    tracing::info!(?topics, "projector consuming");
    let result = consume(
        pool,
        &consumer,
        topics,
        projector,
        &mut lock,
        shutdown.as_mut(),
    )
    .await;
    if matches!(result, Ok(Term::Shutdown) | Err(_)) {
        // Best effort: closing the connection (or dropping it) releases the lock anyway.
        let _ = tokio::time::timeout(CALL_TIMEOUT, lock.close()).await;
    }
    result
}

async fn consume(
    pool: &PgPool,
    consumer: &Arc<StreamConsumer>,
    topics: &[String],
    projector: &dyn Projector,
    lock: &mut PgConnection,
    mut shutdown: Shutdown<'_>,
) -> anyhow::Result<Term> {
    let mut assigned: BTreeSet<(String, i32)> = BTreeSet::new();
    let mut next_check = Instant::now();
    loop {
        if Instant::now() >= next_check {
            if !ping(lock).await {
                return Ok(Term::LostLock);
            }
            match discover(consumer, topics).await {
                Ok(found) => {
                    // Partitions only ever grow; a metadata hiccup must not drop any.
                    let wanted: BTreeSet<_> = assigned.union(&found).cloned().collect();
                    if wanted != assigned {
                        match assign(pool, projector.name(), consumer, &wanted).await {
                            Ok(()) => assigned = wanted,
                            Err(e) => tracing::warn!(error = %format!("{e:#}"),
                                "assigning partitions failed; trying again"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "reading topic metadata"),
            }
            next_check = Instant::now() + CHECK_INTERVAL;
        }

        let first = tokio::select! {
            biased;
            () = shutdown.as_mut() => return Ok(Term::Shutdown),
            m = consumer.recv() => m,
            () = tokio::time::sleep_until(next_check) => continue,
        };
        let first = match first {
            Ok(m) => m.detach(),
            Err(e) => {
                tracing::warn!(error = %e, "Kafka consumer error");
                continue;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match consumer.recv().now_or_never() {
                Some(Ok(m)) => batch.push(m.detach()),
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "Kafka consumer error");
                    break;
                }
                None => break,
            }
        }

        let mut delay = RETRY_MIN;
        loop {
            match apply_batch(pool, projector, &batch).await {
                Ok(stats) => {
                    tracing::debug!(
                        size = batch.len(),
                        applied = stats.applied,
                        duplicates = stats.duplicates,
                        behind_offset = stats.behind_offset,
                        "batch committed"
                    );
                    break;
                }
                Err(BatchError::Fatal(e)) => return Err(e),
                Err(BatchError::Transient(e)) => {
                    tracing::warn!(error = %format!("{e:#}"), retry_in_ms = delay.as_millis() as u64,
                        "transient failure: retrying the batch");
                    tokio::select! {
                        biased;
                        () = shutdown.as_mut() => return Ok(Term::Shutdown),
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
        }
    }
}

/// Every partition of `topics` the broker knows now (topics that do not exist yet have none).
async fn discover(
    consumer: &Arc<StreamConsumer>,
    topics: &[String],
) -> anyhow::Result<BTreeSet<(String, i32)>> {
    let consumer = Arc::clone(consumer);
    let topics = topics.to_vec();
    // A metadata request blocks its thread.
    tokio::task::spawn_blocking(move || {
        let mut found = BTreeSet::new();
        for topic in &topics {
            let metadata = consumer
                .fetch_metadata(Some(topic), CALL_TIMEOUT)
                .with_context(|| format!("metadata of {topic}"))?;
            for t in metadata.topics() {
                if t.error().is_some() {
                    tracing::debug!(topic = t.name(), error = ?t.error(), "topic not available yet");
                    continue;
                }
                for p in t.partitions() {
                    found.insert((t.name().to_owned(), p.id()));
                }
            }
        }
        Ok(found)
    })
    .await
    .context("metadata task")?
}

/// Assigns `partitions`, each at its stored `next_offset` (the beginning when none is stored).
/// Starting earlier than stored would be safe (batches skip what was applied); later never happens.
async fn assign(
    pool: &PgPool,
    projector: &str,
    consumer: &StreamConsumer,
    partitions: &BTreeSet<(String, i32)>,
) -> anyhow::Result<()> {
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT topic, partition, next_offset FROM projection_offsets WHERE projector = $1",
    )
    .bind(projector)
    .fetch_all(pool)
    .await
    .context("reading stored offsets")?;
    let stored: HashMap<(String, i32), i64> =
        rows.into_iter().map(|(t, p, n)| ((t, p), n)).collect();
    let mut tpl = TopicPartitionList::new();
    for key in partitions {
        let offset = match stored.get(key) {
            Some(&n) => Offset::Offset(n),
            None => Offset::Beginning,
        };
        tpl.add_partition_offset(&key.0, key.1, offset)
            .context("building the assignment")?;
        tracing::info!(topic = %key.0, partition = key.1, ?offset, "partition assigned");
    }
    consumer.assign(&tpl).context("assigning partitions")?;
    Ok(())
}
