//! The relay against the real PostgreSQL and broker: commit order under the transaction-id
//! watermark, the published record (key, CloudEvents headers), checkpoint-after-ack, and the hot
//! standby taking over.

// Test helpers outside `#[test]` functions: a panic with a message is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{self, TestDb, unique};
use chrono::{DateTime, SecondsFormat, Utc};
use hireledger_infra::kafka;
use hireledger_infra::relay::{RelayConfig, event_id, relay_lag, relay_lag_of, run_relay};
use hireledger_infra::settings::topic_name;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, OwnedMessage};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgExecutor, PgPool};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use uuid::Uuid;

const DEADLINE: Duration = Duration::from_secs(60);
/// How long "nothing happens" is watched for (the relay polls every 100 ms meanwhile).
const QUIET: Duration = Duration::from_secs(3);

fn config(db: &TestDb, partitions: i32) -> RelayConfig {
    RelayConfig {
        relay_name: unique("relay"),
        brokers: support::brokers(),
        topic_prefix: db.topic_prefix("relay"),
        partitions,
        batch_size: 100,
        poll_interval: Duration::from_millis(100),
        aggregate_types: vec!["company".into(), "user".into()],
    }
}

/// One event as stored, with what the database filled in.
#[derive(Clone, Debug)]
struct Stored {
    aggregate_id: String,
    sequence: i64,
    metadata: Value,
    tx_id: String,
    global_position: i64,
    recorded_at: DateTime<Utc>,
}

const EVENT_TYPE: &str = "UserDeactivated";
const EVENT_VERSION: &str = "1.0";

fn stored_payload() -> Value {
    json!({ "UserDeactivated": { "deactivated_by": null } })
}

fn metadata(tenant: Option<Uuid>) -> Value {
    let mut m = json!({
        "actor_id": Uuid::new_v4().to_string(),
        "request_id": Uuid::new_v4().to_string(),
        "correlation_id": Uuid::new_v4().to_string(),
        "causation_id": Uuid::new_v4().to_string(),
    });
    if let (Some(t), Some(obj)) = (tenant, m.as_object_mut()) {
        obj.insert("tenant_id".into(), Value::String(t.to_string()));
    }
    m
}

/// Inserts a `user` event as postgres-es would store it.
async fn insert_event<'e>(
    db: impl PgExecutor<'e>,
    aggregate_id: &str,
    sequence: i64,
    metadata: Value,
) -> Stored {
    let (tx_id, global_position, recorded_at): (String, i64, DateTime<Utc>) = sqlx::query_as(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                             payload, metadata) \
         VALUES ('user', $1, $2, $3, $4, $5::text::json, $6::text::json) \
         RETURNING tx_id::text, global_position, recorded_at",
    )
    .bind(aggregate_id)
    .bind(sequence)
    .bind(EVENT_TYPE)
    .bind(EVENT_VERSION)
    .bind(stored_payload().to_string())
    .bind(metadata.to_string())
    .fetch_one(db)
    .await
    .expect("insert event");
    Stored {
        aggregate_id: aggregate_id.to_owned(),
        sequence,
        metadata,
        tx_id,
        global_position,
        recorded_at,
    }
}

/// (tx_id, global_position, published) of the relay's checkpoint row.
async fn checkpoint(pool: &PgPool, relay_name: &str) -> Option<(String, i64, i64)> {
    sqlx::query_as(
        "SELECT tx_id::text, global_position, published FROM relay_checkpoints \
         WHERE relay_name = $1",
    )
    .bind(relay_name)
    .fetch_optional(pool)
    .await
    .expect("read checkpoint")
}

/// Application name of the session holding an advisory lock in this database, if any.
async fn lock_holder(pool: &PgPool) -> Option<String> {
    sqlx::query_scalar(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_optional(pool)
    .await
    .expect("read pg_locks")
}

/// Whether an active relay has started listening (it then ensures topics and starts tailing).
async fn relay_listening(pool: &PgPool) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
                        WHERE datname = current_database() AND query LIKE 'LISTEN %')",
    )
    .fetch_one(pool)
    .await
    .expect("read pg_stat_activity")
}

/// Polls `cond` until it holds; panics with `what` at the deadline.
async fn wait_for<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct RunningRelay {
    handle: JoinHandle<anyhow::Result<()>>,
    stop: oneshot::Sender<()>,
}

fn start(pool: PgPool, cfg: RelayConfig) -> RunningRelay {
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(run_relay(pool, cfg, async move {
        let _ = stopped.await;
    }));
    RunningRelay { handle, stop }
}

impl RunningRelay {
    /// Graceful stop; it must finish promptly.
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.handle)
            .await
            .expect("relay stops promptly after shutdown")
            .expect("relay task not panicked")
            .expect("relay returns Ok");
    }
}

/// A consumer (unique group) reading every partition of `topic` from the beginning.
async fn consumer(cfg: &RelayConfig, aggregate_type: &str) -> StreamConsumer {
    let topic = topic_name(&cfg.topic_prefix, aggregate_type);
    kafka::ensure_topics(&cfg.brokers, std::slice::from_ref(&topic), cfg.partitions)
        .await
        .expect("create topic");
    let consumer: StreamConsumer = kafka::consumer_config(&cfg.brokers, &unique("relay_test"))
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..cfg.partitions {
        tpl.add_partition_offset(&topic, p, Offset::Beginning)
            .expect("partition offset");
    }
    consumer.assign(&tpl).expect("assign");
    consumer
}

/// Receives until `into` holds `n` messages or `within` passes.
async fn receive(
    consumer: &StreamConsumer,
    into: &mut Vec<OwnedMessage>,
    n: usize,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    while into.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        match tokio::time::timeout(left, consumer.recv()).await {
            Ok(Ok(m)) => into.push(m.detach()),
            Ok(Err(e)) => panic!("consuming: {e}"),
            Err(_) => return,
        }
    }
}

fn headers_of(msg: &OwnedMessage) -> HashMap<String, String> {
    msg.headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    let value = h.value.map(|v| String::from_utf8_lossy(v).into_owned());
                    (h.key.to_owned(), value.unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The record carries the event: key, payload and every header.
fn assert_record(msg: &OwnedMessage, ev: &Stored) {
    let published =
        hireledger_schemas::to_published("user", EVENT_TYPE, EVENT_VERSION, &stored_payload())
            .expect("published form");
    assert_eq!(
        msg.key(),
        Some(ev.aggregate_id.as_bytes()),
        "key = aggregate id"
    );
    let body: Value =
        serde_json::from_slice(msg.payload().expect("payload")).expect("JSON payload");
    assert_eq!(body, published.payload);

    let h = headers_of(msg);
    let ce_id = Uuid::parse_str(&h["ce_id"]).expect("ce_id is a UUID");
    assert_eq!(ce_id.get_version_num(), 5);
    assert_eq!(ce_id, event_id("user", &ev.aggregate_id, ev.sequence));
    assert_eq!(h["ce_type"], published.ce_type);
    assert_eq!(h["ce_source"], "/hireledger/user");
    assert_eq!(h["ce_subject"], ev.aggregate_id);
    let ce_time = DateTime::parse_from_rfc3339(&h["ce_time"]).expect("ce_time is RFC 3339");
    assert_eq!(ce_time, ev.recorded_at);
    assert_eq!(
        h["ce_time"],
        ev.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    );
    assert_eq!(h["ce_specversion"], "1.0");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["hl_sequence"], ev.sequence.to_string());
    assert_eq!(h["hl_event_version"], published.version);
    assert_eq!(h["hl_global_position"], ev.global_position.to_string());
    assert_eq!(
        h["hl_correlation_id"],
        ev.metadata["correlation_id"].as_str().unwrap()
    );
    assert_eq!(
        h["hl_causation_id"],
        ev.metadata["causation_id"].as_str().unwrap()
    );
    match ev.metadata.get("tenant_id").and_then(Value::as_str) {
        Some(tenant) => assert_eq!(h["hl_tenant"], tenant),
        None => assert!(
            !h.contains_key("hl_tenant"),
            "no tenant, no hl_tenant header"
        ),
    }
    // Ids only: nothing else from the metadata travels.
    assert!(
        !h.values()
            .any(|v| Some(v.as_str()) == ev.metadata["actor_id"].as_str())
    );
}

fn compare_positions(a: &Stored, b: &Stored) -> std::cmp::Ordering {
    let a_tx: u64 = a.tx_id.parse().expect("xid8");
    let b_tx: u64 = b.tx_id.parse().expect("xid8");
    (a_tx, a.global_position).cmp(&(b_tx, b.global_position))
}

#[tokio::test]
async fn publishes_in_commit_order_and_never_past_a_running_transaction() {
    let db = TestDb::new().await;
    let cfg = config(&db, 1); // one partition: the topic's order is the relay's order
    let consumer = consumer(&cfg, "user").await;

    // T1 inserts and stays open; T2 inserts later and commits.
    let mut t1 = db.pool.begin().await.expect("begin T1");
    let first = insert_event(&mut *t1, &Uuid::new_v4().to_string(), 1, metadata(None)).await;
    let second = insert_event(
        &db.pool,
        &Uuid::new_v4().to_string(),
        1,
        metadata(Some(Uuid::new_v4())),
    )
    .await;
    assert_eq!(
        compare_positions(&first, &second),
        std::cmp::Ordering::Less,
        "T1 started first, so its tx_id is lower"
    );

    let relay = start(db.pool.clone(), cfg.clone());
    wait_for("the relay to become active", || relay_listening(&db.pool)).await;

    // While T1 runs, T2's committed event sits above the watermark: nothing is published.
    let mut got = Vec::new();
    receive(&consumer, &mut got, 1, QUIET).await;
    assert!(
        got.is_empty(),
        "published past a running transaction: {got:?}"
    );
    assert_eq!(checkpoint(&db.pool, &cfg.relay_name).await, None);
    assert_eq!(relay_lag_of(&db.pool, &cfg.relay_name).await.unwrap(), 1);

    t1.commit().await.expect("commit T1");
    receive(&consumer, &mut got, 2, DEADLINE).await;
    assert_eq!(got.len(), 2, "both events arrive");
    assert_record(&got[0], &first);
    assert_record(&got[1], &second);

    wait_for("the checkpoint to reach T2's event", || async {
        checkpoint(&db.pool, &cfg.relay_name).await
            == Some((second.tx_id.clone(), second.global_position, 2))
    })
    .await;
    assert_eq!(relay_lag(&db.pool).await.unwrap(), 0);

    // Nothing more, and in particular no second copy.
    receive(&consumer, &mut got, 3, QUIET).await;
    assert_eq!(got.len(), 2);
    relay.stop().await;
}

#[tokio::test]
async fn publishes_key_and_cloudevents_headers_then_checkpoints() {
    let db = TestDb::new().await;
    let cfg = config(&db, 3);

    let ev = insert_event(
        &db.pool,
        &Uuid::new_v4().to_string(),
        7,
        metadata(Some(Uuid::new_v4())),
    )
    .await;
    assert_eq!(
        relay_lag(&db.pool).await.unwrap(),
        1,
        "no checkpoint yet: everything is lag"
    );

    // With no broker to acknowledge, the checkpoint never moves (and shutdown still works).
    let unreachable = RelayConfig {
        brokers: "127.0.0.1:9".into(),
        ..cfg.clone()
    };
    let stuck = start(db.pool.clone(), unreachable);
    wait_for("the relay to become active", || relay_listening(&db.pool)).await;
    tokio::time::sleep(QUIET).await;
    assert_eq!(checkpoint(&db.pool, &cfg.relay_name).await, None);
    stuck.stop().await;

    let consumer = consumer(&cfg, "user").await;
    let relay = start(db.pool.clone(), cfg.clone());
    let mut got = Vec::new();
    receive(&consumer, &mut got, 1, DEADLINE).await;
    assert_eq!(got.len(), 1, "the event reaches Kafka");
    assert_record(&got[0], &ev);

    wait_for("the checkpoint", || async {
        checkpoint(&db.pool, &cfg.relay_name).await.is_some()
    })
    .await;
    assert_eq!(
        checkpoint(&db.pool, &cfg.relay_name).await,
        Some((ev.tx_id.clone(), ev.global_position, 1))
    );
    // The checkpoint was written after the record was produced.
    let updated_at: DateTime<Utc> =
        sqlx::query_scalar("SELECT updated_at FROM relay_checkpoints WHERE relay_name = $1")
            .bind(&cfg.relay_name)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let produced_ms = got[0].timestamp().to_millis().expect("record timestamp");
    assert!(
        updated_at.timestamp_millis() >= produced_ms,
        "checkpoint {updated_at} before the record ({produced_ms} ms)"
    );
    assert_eq!(relay_lag_of(&db.pool, &cfg.relay_name).await.unwrap(), 0);
    relay.stop().await;
}

#[tokio::test]
async fn one_relay_publishes_and_the_standby_takes_over() {
    let db = TestDb::new().await;
    let cfg = config(&db, 3);
    let consumer = consumer(&cfg, "user").await;
    let pool_named = |name: &'static str| {
        let url = db.url.clone();
        async move {
            let opts = PgConnectOptions::from_str(&url)
                .unwrap()
                .application_name(name);
            PgPoolOptions::new()
                .max_connections(5)
                .connect_with(opts)
                .await
                .unwrap()
        }
    };
    let (pool_a, pool_b) = (pool_named("relay-a").await, pool_named("relay-b").await);
    let mut relays = HashMap::from([
        ("relay-a".to_owned(), start(pool_a.clone(), cfg.clone())),
        ("relay-b".to_owned(), start(pool_b.clone(), cfg.clone())),
    ]);

    wait_for("one relay to take the lock", || async {
        lock_holder(&db.pool).await.is_some()
    })
    .await;
    let active = lock_holder(&db.pool).await.unwrap();
    let standby = if active == "relay-a" {
        "relay-b"
    } else {
        "relay-a"
    }
    .to_owned();

    let mut events = Vec::new();
    for _ in 0..5 {
        events.push(insert_event(&db.pool, &Uuid::new_v4().to_string(), 1, metadata(None)).await);
    }
    let mut got = Vec::new();
    receive(&consumer, &mut got, 5, DEADLINE).await;
    assert_eq!(got.len(), 5);
    wait_for("the checkpoint to count 5", || async {
        checkpoint(&db.pool, &cfg.relay_name).await.map(|c| c.2) == Some(5)
    })
    .await;
    receive(&consumer, &mut got, 6, QUIET).await;
    assert_eq!(got.len(), 5, "only one relay published: no duplicates");
    assert_eq!(
        lock_holder(&db.pool).await.as_deref(),
        Some(active.as_str())
    );

    // The active relay dies (its lock connection closes): the standby takes over.
    let dead = relays.remove(&active).unwrap();
    dead.handle.abort();
    let _ = dead.handle.await;
    wait_for("the standby to take the lock", || async {
        lock_holder(&db.pool).await.as_deref() == Some(standby.as_str())
    })
    .await;

    for _ in 0..3 {
        events.push(insert_event(&db.pool, &Uuid::new_v4().to_string(), 1, metadata(None)).await);
    }
    receive(&consumer, &mut got, 8, DEADLINE).await;
    assert_eq!(got.len(), 8, "the new events arrive through the standby");
    wait_for("the checkpoint to count 8", || async {
        checkpoint(&db.pool, &cfg.relay_name).await.map(|c| c.2) == Some(8)
    })
    .await;
    receive(&consumer, &mut got, 9, QUIET).await;
    assert_eq!(got.len(), 8, "no duplicates after the takeover");

    let ids: HashSet<String> = got.iter().map(|m| headers_of(m)["ce_id"].clone()).collect();
    let expected: HashSet<String> = events
        .iter()
        .map(|e| event_id("user", &e.aggregate_id, e.sequence).to_string())
        .collect();
    assert_eq!(ids, expected);
    for (msg, ev) in got.iter().filter_map(|m| {
        let key = std::str::from_utf8(m.key()?).ok()?;
        events
            .iter()
            .find(|e| e.aggregate_id == key)
            .map(|e| (m, e))
    }) {
        assert_record(msg, ev);
    }

    relays.remove(&standby).unwrap().stop().await;
}

#[tokio::test]
async fn a_poison_event_blocks_instead_of_vanishing() {
    let db = TestDb::new().await;
    let cfg = config(&db, 1);
    let consumer = consumer(&cfg, "user").await;

    let before = insert_event(&db.pool, &Uuid::new_v4().to_string(), 1, metadata(None)).await;
    let poison = insert_event(&db.pool, &Uuid::new_v4().to_string(), 1, metadata(None)).await;
    sqlx::query("UPDATE events SET payload = '{\"NotAnEvent\":{}}' WHERE global_position = $1")
        .bind(poison.global_position)
        .execute(&db.pool)
        .await
        .unwrap();
    let after = insert_event(&db.pool, &Uuid::new_v4().to_string(), 1, metadata(None)).await;

    let relay = start(db.pool.clone(), cfg.clone());
    let mut got = Vec::new();
    receive(&consumer, &mut got, 1, DEADLINE).await;
    assert_eq!(got.len(), 1);
    assert_record(&got[0], &before);
    wait_for(
        "the checkpoint to stop just before the poison event",
        || async {
            checkpoint(&db.pool, &cfg.relay_name).await
                == Some((before.tx_id.clone(), before.global_position, 1))
        },
    )
    .await;

    // Nothing after it is published while it cannot be.
    receive(&consumer, &mut got, 2, QUIET).await;
    assert_eq!(got.len(), 1, "published past a poison event");
    assert_eq!(relay_lag_of(&db.pool, &cfg.relay_name).await.unwrap(), 2);

    // Once it can be published (here: repaired), the relay carries on in order.
    sqlx::query("UPDATE events SET payload = $1::text::json WHERE global_position = $2")
        .bind(stored_payload().to_string())
        .bind(poison.global_position)
        .execute(&db.pool)
        .await
        .unwrap();
    receive(&consumer, &mut got, 3, DEADLINE).await;
    assert_eq!(got.len(), 3);
    assert_record(&got[1], &poison);
    assert_record(&got[2], &after);
    wait_for("the checkpoint to pass the repaired event", || async {
        checkpoint(&db.pool, &cfg.relay_name).await
            == Some((after.tx_id.clone(), after.global_position, 3))
    })
    .await;
    relay.stop().await;
}

/// The watermark waits only for transactions that could still commit events here: one open in
/// another database, or on the read side (projectors) of this one, does not hold publication
/// back; the read side cannot write events at all.
#[tokio::test]
async fn transactions_that_cannot_write_events_here_do_not_hold_publication_back() {
    let db = TestDb::new().await;
    let other = TestDb::new().await;
    let cfg = config(&db, 1);
    let consumer = consumer(&cfg, "user").await;

    // Both hold a transaction id for the whole test.
    let mut elsewhere = other.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *elsewhere)
        .await
        .unwrap();
    let read_side = hireledger_infra::db::read_side_of(&db.pool, 2)
        .await
        .unwrap();
    let mut projector_tx = read_side.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *projector_tx)
        .await
        .unwrap();
    let refused = sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                             payload, metadata) VALUES ('user', 'x', 1, 'T', '1.0', '{}', '{}')",
    )
    .execute(&read_side)
    .await;
    assert!(refused.is_err(), "a read-side session wrote an event");

    let ev = insert_event(&db.pool, &Uuid::new_v4().to_string(), 1, metadata(None)).await;
    let relay = start(db.pool.clone(), cfg.clone());
    let mut got = Vec::new();
    receive(&consumer, &mut got, 1, Duration::from_secs(20)).await;
    assert_eq!(
        got.len(),
        1,
        "publication waited for a transaction that cannot write events here"
    );
    assert_record(&got[0], &ev);
    relay.stop().await;
    projector_tx.rollback().await.unwrap();
    elsewhere.rollback().await.unwrap();
}
