//! Issue 7, "Also": the lock-holding connections of the relay and the projectors carry TCP
//! keepalives, a TCP user timeout, `lock_timeout` and `idle_in_transaction_session_timeout`, so a
//! dead host's session (and its advisory locks) ends within seconds, not hours.

use crate::support::TestDb;
use hireledger_infra::db::{LOCK_CONNECTION_SETTINGS, lock_connection_options};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection as _, PgConnection};
use std::str::FromStr;

#[tokio::test]
async fn lock_connections_free_a_dead_hosts_locks_in_seconds() {
    let db = TestDb::new().await;
    let base = PgConnectOptions::from_str(&db.url).unwrap();
    let mut conn = PgConnection::connect_with(&lock_connection_options(&base))
        .await
        .unwrap();
    let expected = [
        ("tcp_keepalives_idle", "5"),
        ("tcp_keepalives_interval", "2"),
        ("tcp_keepalives_count", "3"),
        ("tcp_user_timeout", "15000"),
        ("lock_timeout", "10s"),
        ("idle_in_transaction_session_timeout", "30s"),
    ];
    assert_eq!(expected.len(), LOCK_CONNECTION_SETTINGS.len());
    for (name, value) in expected {
        let shown: String = sqlx::query_scalar(&format!("SHOW {name}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(shown, value, "{name}");
    }
    // A plain connection has the server defaults (no keepalive of its own: the kernel's hours).
    let mut plain = PgConnection::connect_with(&base).await.unwrap();
    let idle: String = sqlx::query_scalar("SHOW tcp_keepalives_idle")
        .fetch_one(&mut plain)
        .await
        .unwrap();
    assert_ne!(idle, "5");
}
