//! The generic projector runner: Kafka in, one Postgres transaction per batch out.
//!
//! # Guarantees
//! - **Offsets live in Postgres** (`projection_offsets`), written in the same transaction as the
//!   read-model changes they cover; the consumer never commits to Kafka. A crash before the commit
//!   loses the whole batch (it is read again), a crash after it loses nothing: no event is lost or
//!   applied twice.
//! - **Scale-out with partition leases in Postgres.** Every running instance of a projector is a
//!   member: it holds a shared advisory lock on a connection of its own. Every check interval it
//!   counts the members, works out its fair share (⌈partitions ∕ members⌉) and leases partitions
//!   with `pg_try_advisory_lock` on the same connection until it holds that many, or gives leases
//!   back (first taking them out of its Kafka assignment, then unlocking) when it holds more, so a
//!   newcomer gets its share within a couple of intervals. Instances beyond the partition count
//!   hold nothing and are hot standbys. A dead instance's connection closes and all its locks
//!   vanish with it at once; the survivors lease its partitions at their next check. The lock
//!   keys are described in `runner/leases.rs`; [`leased_partitions`] lists who holds what.
//! - **Positioning without a group rebalance.** An instance adds exactly the partitions it leased
//!   to its assignment (`incremental_assign`, never `subscribe`), each at the `next_offset` stored
//!   in Postgres (the beginning when none), read after the lease was taken; the partitions it
//!   already held keep their position. Leases change only between batches, and the previous
//!   holder unlocks only after its last commit, so the stored offset is exact at hand-over. No
//!   Kafka group coordination is involved. The leases give the same at-least-once delivery (made
//!   exactly-once in effect by the checks below) that a group rebalance would, with failover as
//!   soon as the dead connection closes (≤ one check interval) instead of after the group session
//!   timeout (6 s on Apache Kafka, measured by `groups::a_killed_members_partitions_are_served_again`).
//! - **Defence in depth**: every batch locks its partitions' offset rows and skips messages below the
//!   stored `next_offset`, so a stale fetch, a zombie instance that lost its leases without noticing
//!   (until its next check), two instances briefly on one partition, or a replay never applies
//!   anything twice. Correctness never rests on the advisory locks; they only spread the work.
//! - **Per-aggregate idempotency**: an event whose `hl_sequence` is not newer than the version the
//!   projector reports for its aggregate is skipped (a duplicate; its offset still advances).
//! - **Poison messages halt**: a message that does not decode, or whose sequence jumps (a gap: an
//!   earlier event of that aggregate was never applied), is logged with topic/partition/offset (never
//!   the payload) and [`run_projector`] returns an error without committing, giving its leases back.
//!   Each instance that then leases that partition stops at the same offset until the cause is fixed
//!   (a decoder that understands the event, or an operator who moves
//!   `projection_offsets.next_offset` past it).
//! - **Transient failures** (connection lost, pool exhausted, serialization failure, deadlock,
//!   lock or statement timeout), whether they come from the read-model transaction or from the
//!   vault opening a sealed value, are retried with backoff (up to 5 s apart, for as long as they
//!   last); the batch is applied from scratch each time. Only a poison message or a bug halts.
//! - **Offsets never go back**: a held partition whose log ends below the stored offset (topic
//!   recreated, broker reset) halts the projector loudly instead of having every new message
//!   skipped as already applied.
//! - **Lost lock connection**: the instance drops its consumer and every lease and joins again
//!   from scratch (other instances may have leased its partitions in between).

mod leases;

pub use leases::{Lease, leased_partitions, member_count};

use crate::envelope::Envelope;
use anyhow::Context as _;
use futures::FutureExt as _;
use hireledger_infra::vault::VaultError;
use leases::{Leases, Lost};
use rdkafka::Message as _;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::{BTreeSet, HashMap};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Most messages applied in one transaction.
const MAX_BATCH: usize = 200;
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// How often an instance looks for new partitions, counts the members and adjusts its leases.
const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// How soon an instance that cannot join (database unreachable) tries again.
const JOIN_RETRY: Duration = Duration::from_millis(500);
/// Limit of one call on the lock connection or one metadata request.
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

/// Whether `err` is worth retrying: any cause in its chain is a transient database error, seen
/// directly or through the vault (whose transparent `Db` variant hides the `sqlx::Error` from the
/// chain: its `source()` is the sqlx error's own source).
fn is_transient(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<sqlx::Error>() {
            return sqlx_transient(e);
        }
        matches!(cause.downcast_ref::<VaultError>(), Some(VaultError::Db(e)) if sqlx_transient(e))
    })
}

fn sqlx_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // serialization_failure, deadlock_detected, lock_not_available (lock_timeout),
            // query_canceled (statement_timeout), connection exceptions, operator intervention
            // (admin shutdown, cannot connect now), insufficient resources (too many
            // connections, out of memory).
            code == "40001"
                || code == "40P01"
                || code == "55P03"
                || code == "57014"
                || code.starts_with("08")
                || code.starts_with("57P")
                || code.starts_with("53")
        }),
        _ => false,
    }
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
    // A batch holds its partitions' offset rows locked: never wait forever for a lock (a
    // timeout is transient and retried) nor keep them while stuck idle in the transaction.
    sqlx::query(
        "SELECT set_config('lock_timeout', '10s', true),
                set_config('idle_in_transaction_session_timeout', '30s', true)",
    )
    .execute(&mut *tx)
    .await
    .context("bounding the batch's lock waits")
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

/// Why a term as a member ended.
enum Term {
    Shutdown,
    LostLock,
}

/// A topic partition.
type Partition = (String, i32);

/// Runs `projector` over `topics` until `shutdown` completes (`Ok`) or a poison message or a
/// non-transient failure stops it (`Err`). Any number of instances per projector name (per
/// database) may run: they share the partitions through leases in Postgres (see the module
/// docs). `group_id` is the Kafka client's `group.id` (it names the consumer in broker tools);
/// partitions are assigned directly, never through a group rebalance, and nothing is ever
/// committed to Kafka.
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
        let Some(leases) = join(&pool, projector.name(), shutdown.as_mut()).await else {
            return Ok(());
        };
        let term = member(
            &pool,
            brokers,
            group_id,
            &topics,
            projector.as_ref(),
            leases,
            shutdown.as_mut(),
        )
        .await?;
        match term {
            Term::Shutdown => {
                tracing::info!("projector stopped");
                return Ok(());
            }
            Term::LostLock => {
                tracing::warn!(
                    "projector lock connection lost; every lease dropped, joining again"
                );
            }
        }
    }
}

type Shutdown<'a> = Pin<&'a mut (dyn Future<Output = ()> + Send)>;

/// Joins the projector's members (retrying while the database is unreachable); `None` on
/// shutdown.
async fn join(pool: &PgPool, name: &str, mut shutdown: Shutdown<'_>) -> Option<Leases> {
    loop {
        let joined = tokio::select! {
            biased;
            () = shutdown.as_mut() => return None,
            joined = Leases::join(pool, name) => joined,
        };
        match joined {
            Ok(leases) => {
                tracing::info!("projector member joined; leasing partitions");
                return Some(leases);
            }
            Err(Lost(e)) => tracing::warn!(error = %format!("{e:#}"), "projector cannot join"),
        }
        tokio::select! {
            biased;
            () = shutdown.as_mut() => return None,
            () = tokio::time::sleep(JOIN_RETRY) => {}
        }
    }
}

/// One term as a member: consume the leased partitions until shutdown, a lost lock connection, or
/// a fatal error.
async fn member(
    pool: &PgPool,
    brokers: &str,
    group_id: &str,
    topics: &[String],
    projector: &dyn Projector,
    mut leases: Leases,
    mut shutdown: Shutdown<'_>,
) -> anyhow::Result<Term> {
    let consumer: Arc<StreamConsumer> =
        match hireledger_infra::kafka::consumer_config(brokers, group_id).create() {
            Ok(c) => Arc::new(c),
            Err(e) => {
                leases.close().await;
                return Err(anyhow::Error::new(e).context("creating the Kafka consumer"));
            }
        };
    tracing::info!(?topics, "projector consuming");
    let result = consume(
        pool,
        &consumer,
        topics,
        projector,
        &mut leases,
        shutdown.as_mut(),
    )
    .await;
    if matches!(result, Ok(Term::Shutdown) | Err(_)) {
        // Stop fetching, then give every lease back at once (dropping the connection would too).
        if !leases.held().is_empty() {
            let _ = consumer.unassign();
        }
        leases.close().await;
    }
    result
}

async fn consume(
    pool: &PgPool,
    consumer: &Arc<StreamConsumer>,
    topics: &[String],
    projector: &dyn Projector,
    leases: &mut Leases,
    mut shutdown: Shutdown<'_>,
) -> anyhow::Result<Term> {
    // Every partition seen so far; partitions only ever grow, a metadata hiccup must not drop any.
    let mut known: BTreeSet<Partition> = BTreeSet::new();
    // Metadata and the regression check cost broker and database round trips per partition: a
    // watcher task does them beside the consumption, which only picks up what it found.
    let (held_tx, held_rx) = tokio::sync::watch::channel(BTreeSet::new());
    let (found_tx, mut found_rx) = tokio::sync::watch::channel(BTreeSet::new());
    let watcher = Watcher {
        pool: pool.clone(),
        consumer: Arc::clone(consumer),
        topics: topics.to_vec(),
        name: projector.name().to_owned(),
        held: held_rx,
        found: found_tx,
    }
    .spawn();
    let _stop_watcher = AbortOnDrop(watcher.abort_handle());
    let mut watcher = watcher;
    // The first metadata, before leasing anything (bounded: a broker that does not answer yet
    // only delays the leases to the next check).
    tokio::select! {
        biased;
        () = shutdown.as_mut() => return Ok(Term::Shutdown),
        _ = tokio::time::timeout(CALL_TIMEOUT, found_rx.changed()) => {}
    }
    let mut next_check = Instant::now();
    loop {
        if watcher.is_finished() {
            return match (&mut watcher).await {
                Ok(Err(e)) => Err(e),
                Ok(Ok(())) => Err(anyhow::anyhow!("the projector's watcher stopped")),
                Err(e) => Err(anyhow::Error::new(e).context("the projector's watcher failed")),
            };
        }
        if Instant::now() >= next_check {
            known.extend(found_rx.borrow_and_update().iter().cloned());
            // Between batches: everything consumed so far is committed.
            if let Err(Lost(e)) = leases.rebalance(pool, consumer, &known).await {
                tracing::warn!(error = %format!("{e:#}"), "projector lock connection failed");
                return Ok(Term::LostLock);
            }
            let _ = held_tx.send(leases.held().clone());
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

/// Aborts a task when dropped (the watcher ends with its member's term).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every [`CHECK_INTERVAL`], the partitions of the topics (for the leases); every
/// [`REGRESSION_CHECK_INTERVAL`], the regression check of the held partitions. Ends with an error
/// only when a held partition regressed.
struct Watcher {
    pool: PgPool,
    consumer: Arc<StreamConsumer>,
    topics: Vec<String>,
    name: String,
    held: tokio::sync::watch::Receiver<BTreeSet<Partition>>,
    found: tokio::sync::watch::Sender<BTreeSet<Partition>>,
}

/// How often the held partitions are checked for a log that ends below the stored offset.
const REGRESSION_CHECK_INTERVAL: Duration = Duration::from_secs(10);

impl Watcher {
    fn spawn(self) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        tokio::spawn(async move {
            let mut next_regression_check = Instant::now();
            let mut checked = BTreeSet::new();
            loop {
                match discover(&self.consumer, &self.topics).await {
                    Ok(found) => {
                        let _ = self.found.send(found);
                    }
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "reading topic metadata"),
                }
                // Newly leased partitions at once, all of them now and then.
                let held = self.held.borrow().clone();
                if held != checked || Instant::now() >= next_regression_check {
                    check_no_regression(&self.pool, &self.consumer, &self.name, &held).await?;
                    next_regression_check = Instant::now() + REGRESSION_CHECK_INTERVAL;
                    checked = held;
                }
                tokio::time::sleep(CHECK_INTERVAL).await;
            }
        })
    }
}

/// Halts (`Err`) when a held partition's log ends below this projector's stored offset: the
/// topic was recreated or the broker reset, so the offsets no longer name the events they
/// covered. Consuming on would skip every new message as "already applied" (the consumer
/// falls back to the earliest offset) without a word; an operator must decide instead (rebuild
/// the read model, or move `projection_offsets.next_offset`). The stored offset is read before
/// the end of the log, so in normal operation it can never be the larger. A broker that does
/// not answer is only logged: the next check tries again.
async fn check_no_regression(
    pool: &PgPool,
    consumer: &Arc<StreamConsumer>,
    name: &str,
    held: &BTreeSet<Partition>,
) -> anyhow::Result<()> {
    for (topic, partition) in held {
        let stored: Option<i64> = match sqlx::query_scalar(
            "SELECT next_offset FROM projection_offsets
             WHERE projector = $1 AND topic = $2 AND partition = $3",
        )
        .bind(name)
        .bind(topic)
        .bind(partition)
        .fetch_optional(pool)
        .await
        {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(error = %e, "reading a stored offset for the regression check");
                continue;
            }
        };
        let Some(stored) = stored.filter(|&n| n > 0) else {
            continue;
        };
        let (c, t, p) = (Arc::clone(consumer), topic.clone(), *partition);
        let watermarks =
            tokio::task::spawn_blocking(move || c.fetch_watermarks(&t, p, CALL_TIMEOUT)).await;
        let high = match watermarks {
            Ok(Ok((_, high))) => high,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, %topic, partition, "reading the end of a partition");
                continue;
            }
            Err(e) => return Err(anyhow::Error::new(e).context("watermark task")),
        };
        if high < stored {
            tracing::error!(projector = name, %topic, partition, stored_next_offset = stored,
                log_end_offset = high, "the partition ends below the stored offset (topic \
                recreated or broker reset): the projector stops");
            anyhow::bail!(
                "projector {name}: {topic}/{partition} ends at offset {high}, below the stored \
                 next offset {stored}: the topic was recreated or the broker reset"
            );
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 7, must-fix 6: a vault DB error must not hide the sqlx error from the check.
    #[test]
    fn a_database_error_from_the_vault_is_transient() {
        for db in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
        ] {
            let err = anyhow::Error::new(VaultError::Db(db)).context("opening a sealed value");
            assert!(is_transient(&err), "{err:#}");
        }
        let corrupt = anyhow::Error::new(VaultError::Corrupt).context("opening a sealed value");
        assert!(!is_transient(&corrupt));
        let bug = anyhow::Error::new(sqlx::Error::RowNotFound).context("reading a row");
        assert!(!is_transient(&bug));
    }
}
