//! Several instances of one projector: partition leases in PostgreSQL split the partitions, a
//! dead instance's partitions move to the survivors, instances beyond the partition count stand
//! by; every event is applied exactly once throughout.

use super::harness::{Harness, company_approved, eventually, user_deactivated, user_reactivated};
use chrono::Utc;
use hireledger_projections::queries::ViewKind;
use hireledger_schemas::common::RoleV1;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// The events of `users` from sequence `from` to `to` (alternating deactivation and
/// reactivation), enqueued in order and awaited together.
async fn send_user_events(h: &Harness, users: &[Uuid], from: i64, to: i64) {
    let t0 = Utc::now();
    let sends = users.iter().flat_map(|&u| {
        (from..=to).map(move |seq| {
            let event = if seq % 2 == 0 {
                user_deactivated()
            } else {
                user_reactivated()
            };
            (u, seq, event)
        })
    });
    futures::future::join_all(sends.map(|(u, seq, event)| h.send(u, seq, t0, None, event))).await;
}

async fn register_users(h: &Harness, n: usize) -> Vec<Uuid> {
    let users: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    for (i, &u) in users.iter().enumerate() {
        h.register_user(u, None, RoleV1::SystemAdmin, &format!("S{i}"), Utc::now())
            .await;
    }
    users
}

async fn assert_applied_once(h: &Harness, users: &[Uuid], version: i64) {
    for &u in users {
        h.wait_version(ViewKind::User, u, version).await;
    }
    for &u in users {
        assert_eq!(
            h.user_counters(u).await,
            Some((version, version)),
            "user {u}: each event applied exactly once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_split_the_partitions_and_apply_each_event_once() {
    // Two topics of three partitions each: six partitions.
    let h = Harness::new(3).await;
    let first = h.start();
    h.wait_leases(1, 6, &[6]).await;

    // A backlog is being consumed by the first instance when the second joins: half of the
    // partitions change hands mid-stream.
    let users = register_users(&h, 20).await;
    send_user_events(&h, &users, 2, 15).await;
    let second = h.start();
    send_user_events(&h, &users, 16, 30).await;
    let split = h.wait_leases(2, 6, &[3, 3]).await;

    // After the split, a new event on every partition: each instance consumes its own three.
    let company_topic = h.topic("company");
    let user_topic = h.topic("user");
    let mut landed: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut companies = Vec::new();
    let mut late_users = Vec::new();
    for _ in 0..200 {
        if landed.len() == 6 {
            break;
        }
        let c = Uuid::new_v4();
        let (p, o) = h
            .register_company(c, Uuid::new_v4(), "Split", Utc::now())
            .await;
        landed.insert((company_topic.clone(), p), o);
        companies.push(c);
        let u = Uuid::new_v4();
        let (p, o) = h
            .register_user(u, None, RoleV1::Candidate, "Late", Utc::now())
            .await;
        landed.insert((user_topic.clone(), p), o);
        late_users.push(u);
    }
    assert_eq!(landed.len(), 6, "some key landed on every partition");
    for ((topic, partition), offset) in &landed {
        h.wait_offset(topic, (*partition, *offset)).await;
    }
    for &c in &companies {
        h.send(c, 2, Utc::now(), Some(c), company_approved(Uuid::new_v4()))
            .await;
    }

    assert_applied_once(&h, &users, 30).await;
    assert_applied_once(&h, &late_users, 1).await;
    for &c in &companies {
        h.wait_version(ViewKind::Company, c, 2).await;
        assert_eq!(h.company_counters(c).await, Some((2, 2)));
    }
    assert_eq!(h.leases().await, split, "the split stays as it is");
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_survivor_takes_every_partition_when_an_instance_dies() {
    let h = Harness::new(3).await;
    let first = h.start();
    let second = h.start();
    let split = h.wait_leases(2, 6, &[3, 3]).await;

    let users = register_users(&h, 12).await;
    assert_applied_once(&h, &users, 1).await;

    // A backlog; one instance is killed once part of it is applied, wherever it is then.
    send_user_events(&h, &users, 2, 25).await;
    eventually("part of the backlog", async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM rm_users WHERE version > 1")
            .fetch_one(h.pool())
            .await
            .unwrap()
            > 0
    })
    .await;
    first.crash().await;

    // Its connection closed with the process: the survivor leases all six partitions.
    let taken = h.wait_leases(1, 6, &[6]).await;
    let survivor = taken[0].pid;
    let holders: HashSet<i32> = split.iter().map(|l| l.pid).collect();
    assert!(holders.contains(&survivor), "one of the two carries on");

    send_user_events(&h, &users, 26, 30).await;
    assert_applied_once(&h, &users, 30).await;
    second.stop().await;
    eventually("a stopped instance to lease nothing", async || {
        h.members().await == 0 && h.leases().await.is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_beyond_the_partition_count_stand_by() {
    // Two topics of one partition each; three instances: two hold one each, one stands by.
    let h = Harness::new(1).await;
    let mut running = vec![h.start(), h.start(), h.start()];
    h.wait_leases(3, 2, &[1, 1]).await;
    let users = register_users(&h, 10).await;
    assert_applied_once(&h, &users, 1).await;

    // One instance dies (it may be a holder or the standby): the two left hold one each.
    running.remove(0).crash().await;
    h.wait_leases(2, 2, &[1, 1]).await;
    send_user_events(&h, &users, 2, 10).await;
    assert_applied_once(&h, &users, 10).await;

    // One stops gracefully: its lease is given back at once, the last one holds both.
    running.remove(0).stop().await;
    h.wait_leases(1, 2, &[2]).await;
    send_user_events(&h, &users, 11, 20).await;
    assert_applied_once(&h, &users, 20).await;
    running.remove(0).stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_that_loses_its_lock_connection_joins_again() {
    let h = Harness::new(1).await;
    let running = h.start();
    let before = h.wait_leases(1, 2, &[2]).await;
    let users = register_users(&h, 5).await;
    assert_applied_once(&h, &users, 1).await;

    // The server ends the lock session (an operator, a failover, a network cut): the leases go
    // with it; the instance notices at its next check and leases everything again on a new one.
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(before[0].pid)
        .fetch_one(h.pool())
        .await
        .unwrap();
    assert!(killed);
    eventually(
        "the instance to lease again on a new connection",
        async || {
            let now = h.leases().await;
            now.len() == 2 && now.iter().all(|l| l.pid != before[0].pid)
        },
    )
    .await;
    send_user_events(&h, &users, 2, 10).await;
    assert_applied_once(&h, &users, 10).await;
    running.stop().await;
}
