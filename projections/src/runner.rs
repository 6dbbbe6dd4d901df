//! The generic projector runner: Kafka in, one Postgres transaction per batch out.
//!
//! # Guarantees
//! - **Offsets live in Postgres** (`projection_offsets`), written in the same transaction as the
//!   read-model changes they cover; the consumer never commits to Kafka. A crash before the commit
//!   loses the whole batch (it is read again), a crash after it loses nothing: no event is lost or
//!   applied twice.
//! - **Positioning**: when partitions are assigned, the runner reads their stored offsets and assigns
//!   them at exactly those positions (its own [`ConsumerContext::rebalance`]).
//! - **Defence in depth**: every batch locks its partitions' offset rows and skips messages below the
//!   stored `next_offset`, so a stale fetch, a zombie instance or a replay never applies twice.
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
use rdkafka::client::ClientContext;
use rdkafka::consumer::{
    BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol, StreamConsumer,
};
use rdkafka::message::OwnedMessage;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Most messages applied in one transaction.
const MAX_BATCH: usize = 200;
/// Longest wait for the stored offsets while partitions are being assigned.
const OFFSET_LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

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

/// Consumer context that positions newly assigned partitions at the offsets stored in Postgres.
struct OffsetsContext {
    pool: PgPool,
    projector: String,
}

impl ClientContext for OffsetsContext {}

impl OffsetsContext {
    /// Stored `next_offset` of every partition of this projector. Called from the rebalance
    /// callback, which is synchronous: it blocks this worker thread (not the runtime) for the query.
    fn stored_offsets(&self) -> Option<HashMap<(String, i32), i64>> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            tracing::warn!(
                projector = %self.projector,
                "not on a multi-thread runtime: partitions start at the beginning \
                 (already applied messages are skipped by offset)"
            );
            return None;
        }
        let lookup = load_offsets(&self.pool, &self.projector);
        let result = tokio::task::block_in_place(|| {
            handle.block_on(tokio::time::timeout(OFFSET_LOOKUP_TIMEOUT, lookup))
        });
        match result {
            Ok(Ok(map)) => Some(map),
            Ok(Err(e)) => {
                tracing::warn!(projector = %self.projector, error = %e,
                    "reading stored offsets failed: partitions start at the beginning");
                None
            }
            Err(_) => {
                tracing::warn!(projector = %self.projector,
                    "reading stored offsets timed out: partitions start at the beginning");
                None
            }
        }
    }

    /// Sets every partition of `tpl` to its stored offset, or the beginning when none is stored.
    /// Starting earlier than stored is safe (batches skip what was applied); later never happens.
    fn position(&self, tpl: &mut TopicPartitionList) {
        let stored = self.stored_offsets().unwrap_or_default();
        let parts: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_owned(), e.partition()))
            .collect();
        for (topic, partition) in parts {
            let offset = match stored.get(&(topic.clone(), partition)) {
                Some(&n) => Offset::Offset(n),
                None => Offset::Beginning,
            };
            if let Err(e) = tpl.set_partition_offset(&topic, partition, offset) {
                tracing::warn!(projector = %self.projector, %topic, partition, error = %e,
                    "could not set the start offset");
            }
            tracing::info!(projector = %self.projector, %topic, partition, ?offset,
                "partition assigned");
        }
    }
}

impl ConsumerContext for OffsetsContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.position(tpl);
                if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                tracing::info!(projector = %self.projector, count = tpl.count(),
                    "partitions revoked");
                if cooperative {
                    consumer.incremental_unassign(tpl)
                } else {
                    consumer.unassign()
                }
            }
            other => {
                tracing::error!(projector = %self.projector, error = ?other, "rebalance failed");
                consumer.unassign()
            }
        };
        if let Err(e) = result {
            tracing::error!(projector = %self.projector, error = %e, "applying the assignment failed");
        }
    }
}

async fn load_offsets(
    pool: &PgPool,
    projector: &str,
) -> Result<HashMap<(String, i32), i64>, sqlx::Error> {
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT topic, partition, next_offset FROM projection_offsets WHERE projector = $1",
    )
    .bind(projector)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(t, p, n)| ((t, p), n)).collect())
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

/// Runs `projector` over `topics` until `shutdown` completes (`Ok`) or a poison message or a
/// non-transient failure stops it (`Err`). `group_id` must be unique to the projector; Kafka never
/// sees a commit from it. Needs a multi-thread Tokio runtime to position partitions at their stored
/// offsets (on any other runtime it starts from the beginning and skips by offset, still exactly once).
#[tracing::instrument(skip_all, fields(projector = %projector.name(), group_id = %group_id))]
pub async fn run_projector(
    pool: PgPool,
    brokers: &str,
    group_id: &str,
    topics: Vec<String>,
    projector: Arc<dyn Projector>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let context = OffsetsContext {
        pool: pool.clone(),
        projector: projector.name().to_owned(),
    };
    let consumer: StreamConsumer<OffsetsContext> =
        hireledger_infra::kafka::consumer_config(brokers, group_id)
            .create_with_context(context)
            .context("creating the Kafka consumer")?;
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topic_refs)
        .context("subscribing to the topics")?;
    tracing::info!(?topics, "projector started");

    tokio::pin!(shutdown);
    loop {
        let first = tokio::select! {
            biased;
            () = &mut shutdown => break,
            m = consumer.recv() => m,
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
            match apply_batch(&pool, projector.as_ref(), &batch).await {
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
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64,
                        "transient failure: retrying the batch");
                    tokio::select! {
                        biased;
                        () = &mut shutdown => return Ok(()),
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
        }
    }
    tracing::info!("projector stopped");
    Ok(())
}
