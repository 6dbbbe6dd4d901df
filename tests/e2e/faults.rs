//! The broker fails while commands flow, on a private Apache Kafka of the test's own:
//! - stopped for a minute: commands are still accepted (they are durable in PostgreSQL),
//!   `/health/kafka` answers 503, and once the broker is back the relay catches up;
//! - killed with -9 and restarted on the same data: nothing lost, nothing applied twice.
//!
//! Afterwards the event store, the topic and the read model agree
//! ([`support::company_spine_agrees`]: every event on Kafka, read model = rebuild).

use crate::private_kafka::PrivateKafka;
use crate::support::{self, TestApp, spawn_app_on, test_api_settings, wait_for};
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, RegisterCompany};
use hireledger_domain::Actor;
use hireledger_infra::vault::Vault;
use std::time::Duration;
use tokio::time::Instant;

/// How long the broker stays down in the outage test.
fn outage() -> Duration {
    let secs = std::env::var("HIRELEDGER_TEST_OUTAGE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

fn identity(app: &TestApp) -> Identity {
    let vault = Vault::new(app.pool.clone(), &app.common.master_key).unwrap();
    Identity::new(app.pool.clone(), vault)
}

/// Registers company `i`, rejecting every third one (two events for those).
async fn command(identity: &Identity, tag: &str, i: usize) {
    let meta = CommandMetadata::system("fault-test");
    let registered = identity
        .register_company(
            RegisterCompany {
                name: format!("Fault {tag} {i}"),
                domain: format!("fault-{tag}-{i}.example.org"),
                contact_name: "Fay".into(),
                contact_email: format!("fay{i}@fault-{tag}.example.org"),
            },
            &meta,
        )
        .await
        .expect("a command is accepted whatever the broker does");
    if i.is_multiple_of(3) {
        identity
            .reject_company(
                Actor::System,
                registered.company_id,
                "duplicate".into(),
                &meta,
            )
            .await
            .expect("reject");
    }
}

async fn kafka_health(app: &TestApp) -> u16 {
    app.client()
        .get(app.url("/health/kafka"))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// Waits until the relay published everything and the projector applied every company event.
async fn caught_up(app: &TestApp, timeout: Duration) {
    let pool = app.pool.clone();
    wait_for("the relay to publish everything", timeout, async || {
        hireledger_infra::relay::relay_lag(&pool).await.unwrap() == 0
    })
    .await;
    wait_for("the projector to apply everything", timeout, async || {
        let (events, applied): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM events WHERE aggregate_type = 'company'),
                    (SELECT sum(events_applied)::bigint FROM rm_companies)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        applied == Some(events)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_outage_keeps_commands_flowing_and_the_spine_catches_up() {
    let mut kafka = PrivateKafka::start().await;
    let app = spawn_app_on(test_api_settings(), kafka.brokers()).await;
    let identity = identity(&app);
    for i in 0..10 {
        command(&identity, "before", i).await;
    }
    caught_up(&app, Duration::from_secs(60)).await;
    assert_eq!(kafka_health(&app).await, 200);

    kafka.stop().await;
    let down_at = Instant::now();
    let mut i = 0;
    let mut saw_503 = false;
    while down_at.elapsed() < outage() {
        command(&identity, "during", i).await;
        i += 1;
        if !saw_503 {
            saw_503 = kafka_health(&app).await == 503;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        saw_503,
        "/health/kafka never answered 503 while the broker was down"
    );
    let during: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'company' AND payload::text LIKE '%Fault during%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        during >= i as i64,
        "every command of the outage is in the store"
    );

    kafka.launch().await;
    let back_at = Instant::now();
    caught_up(&app, Duration::from_secs(180)).await;
    let catch_up = back_at.elapsed();
    wait_for(
        "/health/kafka to answer 200 again",
        Duration::from_secs(30),
        async || kafka_health(&app).await == 200,
    )
    .await;
    let agreed =
        support::company_spine_agrees(&app.pool, &kafka.brokers(), &app.common.topic_prefix).await;
    println!(
        "broker outage: {} s down, {i} commands accepted meanwhile; caught up {:.1} s after the \
         broker returned; {} events on Kafka ({} redelivered), read model = rebuild ({} rows, md5 {})",
        outage().as_secs(),
        catch_up.as_secs_f64(),
        agreed.events,
        agreed.redelivered,
        agreed.rows,
        agreed.md5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_killed_and_restarted_loses_and_duplicates_nothing() {
    let mut kafka = PrivateKafka::start().await;
    let app = spawn_app_on(test_api_settings(), kafka.brokers()).await;
    const COMMANDS: usize = 150;
    let load = {
        let identity = identity(&app);
        tokio::spawn(async move {
            for i in 0..COMMANDS {
                command(&identity, "kill", i).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    // Kill the broker once the spine is busy: some events published, more on the way.
    let pool = app.pool.clone();
    wait_for(
        "the first events to be projected",
        Duration::from_secs(60),
        async || {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM rm_companies")
                .fetch_one(&pool)
                .await
                .unwrap();
            n >= 20
        },
    )
    .await;
    kafka.kill9().await;
    assert!(!load.is_finished(), "the load ended before the kill");
    kafka.launch().await;
    load.await.expect("load");
    caught_up(&app, Duration::from_secs(180)).await;
    let agreed =
        support::company_spine_agrees(&app.pool, &kafka.brokers(), &app.common.topic_prefix).await;
    println!(
        "broker kill -9: {} events on Kafka ({} redelivered), read model = rebuild ({} rows, md5 {})",
        agreed.events, agreed.redelivered, agreed.rows, agreed.md5
    );
}
