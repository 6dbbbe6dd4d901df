//! Consumer groups on Apache Kafka: when a member dies without leaving (SIGKILL), how long until
//! its partitions are served again by the survivors. Workers and analysts scale this way;
//! projectors use Postgres leases instead (see `projections::runner` and the crash test).

use crate::support::{TestDb, unique};
use rdkafka::Message as _;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::time::Duration;
use tokio::time::Instant;

const PARTITIONS: i32 = 4;
const CHILD_TOPIC: &str = "HL_GROUP_MEMBER_TOPIC";
const CHILD_GROUP: &str = "HL_GROUP_MEMBER_GROUP";

fn member(group: &str, topic: &str) -> StreamConsumer {
    let c: StreamConsumer =
        hireledger_infra::kafka::group_consumer_config(&crate::support::brokers(), group)
            .create()
            .unwrap();
    c.subscribe(&[topic]).unwrap();
    c
}

/// Partitions assigned to `c` right now.
fn assigned(c: &StreamConsumer) -> usize {
    c.assignment().map_or(0, |a| a.count())
}

/// Drives `c` (rebalances happen inside `recv`) until `done` holds; returns the first message
/// seen, if any.
async fn drive_until(
    c: &StreamConsumer,
    timeout: Duration,
    mut done: impl FnMut(&StreamConsumer, Option<&rdkafka::message::BorrowedMessage<'_>>) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(50), c.recv()).await {
            Ok(Ok(m)) => {
                if done(c, Some(&m)) {
                    return true;
                }
            }
            _ => {
                if done(c, None) {
                    return true;
                }
            }
        }
    }
    false
}

/// Not a test on its own: the group member that `a_killed_member…` runs as a child process and
/// kills. Without its environment it does nothing.
#[tokio::test]
#[ignore = "run as a child process by groups::a_killed_members_partitions_are_served_again"]
async fn group_member_process() {
    let (Ok(topic), Ok(group)) = (std::env::var(CHILD_TOPIC), std::env::var(CHILD_GROUP)) else {
        return;
    };
    let c = member(&group, &topic);
    loop {
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(100), c.recv()).await {}
        if assigned(&c) > 0 {
            println!("MEMBER ASSIGNED {}", assigned(&c));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_members_partitions_are_served_again() {
    let db = TestDb::new().await; // owns the topic's lifetime
    let topic = format!("{}.work", db.topic_prefix("groups"));
    hireledger_infra::kafka::ensure_topics(
        &crate::support::brokers(),
        std::slice::from_ref(&topic),
        PARTITIONS,
    )
    .await
    .unwrap();
    let group = unique("group");
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "groups::group_member_process",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_TOPIC, &topic)
        .env(CHILD_GROUP, &group)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let survivor = member(&group, &topic);
    // Both members hold part of the topic.
    assert!(
        drive_until(&survivor, Duration::from_secs(60), |c, _| {
            let n = assigned(c);
            n > 0 && n < PARTITIONS as usize
        })
        .await,
        "the two members never shared the partitions"
    );
    let held_before = assigned(&survivor);

    child.kill().await.unwrap();
    let killed_at = Instant::now();
    // One message on every partition: those of the dead member wait for the takeover.
    let producer: FutureProducer =
        hireledger_infra::kafka::producer_config(&crate::support::brokers())
            .create()
            .unwrap();
    for p in 0..PARTITIONS {
        producer
            .send(
                FutureRecord::<str, str>::to(&topic)
                    .partition(p)
                    .key("k")
                    .payload("after the kill"),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
    let mut partitions_seen = std::collections::BTreeSet::new();
    let mut all_assigned_after = None;
    let served = drive_until(&survivor, Duration::from_secs(60), |c, m| {
        if all_assigned_after.is_none() && assigned(c) == PARTITIONS as usize {
            all_assigned_after = Some(killed_at.elapsed());
        }
        if let Some(m) = m
            && m.payload() == Some(b"after the kill".as_slice())
        {
            partitions_seen.insert(m.partition());
        }
        partitions_seen.len() == PARTITIONS as usize
    })
    .await;
    let served_after = killed_at.elapsed();
    assert!(
        served,
        "the dead member's partitions were not served again within 60 s (survivor held {held_before} \
         before, {} now; saw messages of partitions {partitions_seen:?})",
        assigned(&survivor)
    );
    println!(
        "consumer group failover: member SIGKILLed; survivor assigned all {PARTITIONS} partitions \
         after {:.1} s and served every partition after {:.1} s (session timeout {} ms)",
        all_assigned_after.unwrap_or(served_after).as_secs_f64(),
        served_after.as_secs_f64(),
        hireledger_infra::kafka::GROUP_SESSION_TIMEOUT_MS
    );
    // The bound a deployment can rely on: the session timeout plus a rebalance.
    assert!(
        served_after
            < Duration::from_millis(u64::from(hireledger_infra::kafka::GROUP_SESSION_TIMEOUT_MS))
                + Duration::from_secs(10),
        "failover took {served_after:?}"
    );
}
