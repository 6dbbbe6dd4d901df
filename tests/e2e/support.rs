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
