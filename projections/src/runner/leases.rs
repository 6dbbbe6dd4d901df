//! Partition leases in PostgreSQL: which running instance of a projector consumes which partition.
//!
//! Every lock lives on one connection of the instance's own (never a pooled one), so that closing
//! it — shutdown, a killed process, an aborted task, a network failure noticed by the server —
//! gives back everything at once.
//!
//! - **Membership**: a *shared* session advisory lock on the bigint key of
//!   `hireledger-projector/<name>/members` (first 64 bits of its md5). `pg_locks` shows it as
//!   `classid` = high 32 bits, `objid` = low 32 bits, `objsubid` = 1, mode `ShareLock`; the
//!   granted rows in the current database are the live instances.
//! - **Partition lease**: an exclusive session advisory lock on the two int4 keys (first 32 bits
//!   of the md5 of `hireledger-projector/<name>/<topic>`, partition). `pg_locks` shows it as
//!   `classid` = the topic key, `objid` = the partition, `objsubid` = 2, so an operator can read
//!   who holds which partition there (see [`leased_partitions`]).
//!
//! The keys are md5-derived in SQL: stable across processes, versions and machines.

use super::{CALL_TIMEOUT, Partition};
use anyhow::Context as _;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use sqlx::{Connection as _, PgConnection, PgPool};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;

/// One partition lease as `pg_locks` shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lease {
    /// Backend pid of the holder's lock connection (one per running instance).
    pub pid: i32,
    pub topic: String,
    pub partition: i32,
}

/// The partition leases of `projector` over `topics` held in this database right now, ordered
/// by holder, topic and partition. The topics are needed to recognise the hashed lock keys.
pub async fn leased_partitions(
    pool: &PgPool,
    projector: &str,
    topics: &[String],
) -> Result<Vec<Lease>, sqlx::Error> {
    let rows: Vec<(i32, String, i32)> = sqlx::query_as(
        "SELECT l.pid, t.topic, l.objid::bigint::int4
         FROM unnest($2::text[]) AS t(topic)
         JOIN pg_locks l
           ON l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid::bigint
              = ('x' || substr(md5($1 || t.topic), 1, 8))::bit(32)::int::bigint & 4294967295
         ORDER BY 1, 2, 3",
    )
    .bind(lease_prefix(projector))
    .bind(topics)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(pid, topic, partition)| Lease {
            pid,
            topic,
            partition,
        })
        .collect())
}

/// How many instances of `projector` are running against this database right now.
pub async fn member_count<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    projector: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*)
         FROM (SELECT ('x' || substr(md5($1), 1, 16))::bit(64)::bigint AS k) AS key, pg_locks l
         WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.mode = 'ShareLock'
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = (key.k >> 32) & 4294967295
           AND l.objid::bigint = key.k & 4294967295",
    )
    .bind(members_name(projector))
    .fetch_one(conn)
    .await
}

fn members_name(projector: &str) -> String {
    format!("hireledger-projector/{projector}/members")
}

/// The lock name of a topic's partitions is this prefix followed by the topic.
fn lease_prefix(projector: &str) -> String {
    format!("hireledger-projector/{projector}/")
}

/// How many partitions one of `members` instances may lease: ⌈partitions / members⌉.
pub(super) fn fair_share(partitions: usize, members: i64) -> usize {
    let members = usize::try_from(members).unwrap_or(usize::MAX).max(1);
    partitions.div_ceil(members)
}

/// The lock connection failed or timed out: every lease went (or is going) with it.
#[derive(Debug)]
pub(super) struct Lost(pub(super) anyhow::Error);

/// Runs one call on the lock connection within [`CALL_TIMEOUT`].
async fn call<T>(
    what: &'static str,
    fut: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, Lost> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Lost(anyhow::Error::new(e).context(what))),
        Err(_) => Err(Lost(anyhow::anyhow!("{what}: timed out"))),
    }
}

/// This instance's membership and partition leases, all on one dedicated connection.
pub(super) struct Leases {
    conn: PgConnection,
    projector: String,
    /// Leased partitions, each also in the consumer's assignment.
    held: BTreeSet<Partition>,
}

impl Leases {
    /// Opens the lock connection and joins the projector's members; it holds no partition yet.
    pub(super) async fn join(pool: &PgPool, projector: &str) -> Result<Self, Lost> {
        let mut conn = call(
            "opening the lock connection",
            PgConnection::connect_with(&hireledger_infra::db::lock_connection_options(
                &pool.connect_options(),
            )),
        )
        .await?;
        call(
            "taking the membership lock",
            sqlx::query(
                "SELECT pg_advisory_lock_shared(('x' || substr(md5($1), 1, 16))::bit(64)::bigint)",
            )
            .bind(members_name(projector))
            .execute(&mut conn),
        )
        .await?;
        Ok(Self {
            conn,
            projector: projector.to_owned(),
            held: BTreeSet::new(),
        })
    }

    pub(super) fn held(&self) -> &BTreeSet<Partition> {
        &self.held
    }

    /// Gives everything back at once (dropping the connection would too, a little later).
    pub(super) async fn close(self) {
        let _ = tokio::time::timeout(CALL_TIMEOUT, self.conn.close()).await;
    }

    /// One lease check: counts the members (which also proves the lock connection alive), then
    /// gives back or takes partitions of `known` until this instance holds its fair share, and
    /// makes `consumer`'s assignment follow. Runs between batches only, so every partition it
    /// gives back has its last offset committed. Kafka or offset-read failures are logged and
    /// tried again at the next check; `Err` only when the lock connection is gone.
    pub(super) async fn rebalance(
        &mut self,
        pool: &PgPool,
        consumer: &StreamConsumer,
        known: &BTreeSet<Partition>,
    ) -> Result<(), Lost> {
        let members = call(
            "counting the members",
            member_count(&mut self.conn, &self.projector),
        )
        .await?;
        if members < 1 {
            return Err(Lost(anyhow::anyhow!("the membership lock is gone")));
        }
        let fair = fair_share(known.len(), members);
        if self.held.len() > fair {
            let extra: Vec<Partition> = self
                .held
                .iter()
                .rev()
                .take(self.held.len() - fair)
                .cloned()
                .collect();
            self.release(consumer, &extra, members, fair).await?;
        } else if self.held.len() < fair {
            let mut gained = Vec::new();
            for p in known.difference(&self.held) {
                if self.held.len() + gained.len() >= fair {
                    break;
                }
                if call(
                    "taking a partition lease",
                    try_lease(&mut self.conn, &self.projector, p),
                )
                .await?
                {
                    gained.push(p.clone());
                }
            }
            if !gained.is_empty() {
                self.gain(pool, consumer, gained, members, fair).await?;
            }
        }
        Ok(())
    }

    /// Stops consuming `extra`, then unlocks them for another instance to take.
    async fn release(
        &mut self,
        consumer: &StreamConsumer,
        extra: &[Partition],
        members: i64,
        fair: usize,
    ) -> Result<(), Lost> {
        // Unassign first: a lease given back must never still be fetched here.
        let tpl = partition_list(extra.iter().map(|p| (p, Offset::Invalid)));
        if let Err(e) = tpl.and_then(|tpl| {
            consumer
                .incremental_unassign(&tpl)
                .context("unassigning partitions")
        }) {
            tracing::warn!(error = %format!("{e:#}"), "giving partitions back failed; trying again");
            return Ok(());
        }
        for p in extra {
            let unlocked = call(
                "giving a lease back",
                unlock(&mut self.conn, &self.projector, p),
            )
            .await?;
            if !unlocked {
                tracing::warn!(topic = %p.0, partition = p.1, "lease was not held");
            }
            self.held.remove(p);
            tracing::info!(topic = %p.0, partition = p.1, members, fair_share = fair,
                "partition released");
        }
        Ok(())
    }

    /// Assigns newly leased `gained` at their stored offsets, read now that the previous holder
    /// (which unlocks only after its last commit) is done with them; unlocks them again when that
    /// fails. Partitions already held keep their position.
    async fn gain(
        &mut self,
        pool: &PgPool,
        consumer: &StreamConsumer,
        gained: Vec<Partition>,
        members: i64,
        fair: usize,
    ) -> Result<(), Lost> {
        let assigned = async {
            let stored = stored_offsets(pool, &self.projector, &gained).await?;
            let at = |p: &Partition| match stored.get(p) {
                Some(&n) => Offset::Offset(n),
                None => Offset::Beginning,
            };
            let tpl = partition_list(gained.iter().map(|p| (p, at(p))))?;
            consumer
                .incremental_assign(&tpl)
                .context("assigning partitions")?;
            anyhow::Ok(stored)
        }
        .await;
        match assigned {
            Ok(stored) => {
                for p in gained {
                    tracing::info!(topic = %p.0, partition = p.1, next_offset = stored.get(&p),
                        members, fair_share = fair, "partition leased");
                    self.held.insert(p);
                }
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "assigning leased partitions failed; \
                    giving them back");
                for p in &gained {
                    call(
                        "giving a lease back",
                        unlock(&mut self.conn, &self.projector, p),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

async fn try_lease(
    conn: &mut PgConnection,
    projector: &str,
    (topic, partition): &Partition,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT pg_try_advisory_lock(('x' || substr(md5($1 || $2), 1, 8))::bit(32)::int, $3)",
    )
    .bind(lease_prefix(projector))
    .bind(topic)
    .bind(partition)
    .fetch_one(conn)
    .await
}

async fn unlock(
    conn: &mut PgConnection,
    projector: &str,
    (topic, partition): &Partition,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT pg_advisory_unlock(('x' || substr(md5($1 || $2), 1, 8))::bit(32)::int, $3)",
    )
    .bind(lease_prefix(projector))
    .bind(topic)
    .bind(partition)
    .fetch_one(conn)
    .await
}

/// The stored `next_offset` of each of `partitions` that has one.
async fn stored_offsets(
    pool: &PgPool,
    projector: &str,
    partitions: &[Partition],
) -> anyhow::Result<HashMap<Partition, i64>> {
    let (topics, numbers): (Vec<&str>, Vec<i32>) =
        partitions.iter().map(|(t, p)| (t.as_str(), *p)).unzip();
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT o.topic, o.partition, o.next_offset
         FROM projection_offsets o
         JOIN unnest($2::text[], $3::int4[]) AS w(topic, partition)
           ON w.topic = o.topic AND w.partition = o.partition
         WHERE o.projector = $1",
    )
    .bind(projector)
    .bind(topics)
    .bind(numbers)
    .fetch_all(pool)
    .await
    .context("reading stored offsets")?;
    Ok(rows.into_iter().map(|(t, p, n)| ((t, p), n)).collect())
}

fn partition_list<'a>(
    partitions: impl Iterator<Item = (&'a Partition, Offset)>,
) -> anyhow::Result<TopicPartitionList> {
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), offset) in partitions {
        tpl.add_partition_offset(topic, *partition, offset)
            .context("building the partition list")?;
    }
    Ok(tpl)
}

#[cfg(test)]
mod tests {
    use super::fair_share;

    #[test]
    fn fair_share_rounds_up_and_survives_odd_counts() {
        assert_eq!(fair_share(6, 1), 6);
        assert_eq!(fair_share(6, 2), 3);
        assert_eq!(fair_share(6, 4), 2);
        assert_eq!(fair_share(6, 7), 1);
        assert_eq!(fair_share(0, 3), 0);
        assert_eq!(fair_share(5, 0), 5, "never divides by zero");
    }
}
