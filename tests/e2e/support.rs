//! Shared test harness: fresh databases, unique topic prefixes, the broker address.

#![allow(dead_code, unreachable_pub)]

use secrecy::SecretString;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

/// Server holding the test databases (trust auth).
pub fn pg_server_url() -> String {
    std::env::var("HIRELEDGER_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Kafka bootstrap servers of the test broker.
pub fn brokers() -> String {
    std::env::var("HIRELEDGER_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// A short unique name for topics, groups and databases of one test.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::new_v4().simple())
}

/// A migrated database of its own; dropped when the guard goes out of scope.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDb {
    pub async fn new() -> Self {
        let name = unique("hl_test");
        let mut admin = PgConnection::connect(&format!("{}/postgres", pg_server_url()))
            .await
            .expect("connect to postgres");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let url = format!("{}/{name}", pg_server_url());
        let pool = PgPool::connect(&url).await.expect("connect to test database");
        hireledger_migrations::MIGRATOR
            .run(&pool)
            .await
            .expect("migrate test database");
        Self { name, url, pool }
    }

    pub fn secret_url(&self) -> SecretString {
        SecretString::from(self.url.clone())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let server = pg_server_url();
        // Drop from a separate thread with its own runtime: Drop cannot be async.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    if let Ok(mut admin) = PgConnection::connect(&format!("{server}/postgres")).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut admin)
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

/// The development master key as a secret (tests use the default, like a local stack).
pub fn dev_master_key() -> SecretString {
    SecretString::from(hireledger_infra::settings::DEV_MASTER_KEY)
}

/// A header of a Kafka message as text.
pub fn header<M: rdkafka::Message>(msg: &M, name: &str) -> Option<String> {
    use rdkafka::message::Headers;
    let headers = msg.headers()?;
    headers
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Settings of one test: its database, the test broker, a unique topic prefix, the dev key.
pub fn common_settings(db: &TestDb, topic_prefix: &str) -> hireledger_infra::CommonSettings {
    hireledger_infra::CommonSettings {
        database_url: db.secret_url(),
        database_max_connections: 16,
        kafka_brokers: brokers(),
        topic_prefix: topic_prefix.to_owned(),
        topic_partitions: 3,
        master_key: dev_master_key(),
    }
}

/// Starts the relay and the identity projector (unique group) as tasks; they stop when `stop`
/// turns true.
pub fn start_pipeline(
    pool: PgPool,
    common: &hireledger_infra::CommonSettings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<anyhow::Result<()>>> {
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let relay_cfg = hireledger_infra::relay::RelayConfig {
        relay_name: "main".into(),
        brokers: common.kafka_brokers.clone(),
        topic_prefix: common.topic_prefix.clone(),
        partitions: common.topic_partitions,
        batch_size: 200,
        poll_interval: std::time::Duration::from_millis(100),
        aggregate_types: hireledger_projections::aggregate_types(),
    };
    let relay = tokio::spawn(hireledger_infra::relay::run_relay(pool.clone(), relay_cfg, stopped(stop.clone())));
    let common = common.clone();
    let group = unique("identity");
    let projector = tokio::spawn(async move {
        hireledger_projections::run_identity(pool, &common, &group, stopped(stop)).await
    });
    vec![relay, projector]
}
