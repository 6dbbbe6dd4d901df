//! PostgreSQL pool and database creation.

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

fn options(url: &SecretString) -> anyhow::Result<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url.expose_secret())
        .context("parsing the database URL")?
        .log_statements(tracing::log::LevelFilter::Trace))
}

/// Server-side settings of a connection that holds locks for long (the relay's lock, a projector's
/// membership and partition leases): if its host dies without closing the socket, Postgres must
/// notice within seconds and end the session, which frees the locks for the standbys, instead of
/// waiting for the kernel's default keepalive (about two hours). Also bounds how long it may wait
/// for a lock and sit idle inside a transaction.
pub const LOCK_CONNECTION_SETTINGS: &[(&str, &str)] = &[
    ("tcp_keepalives_idle", "5"),
    ("tcp_keepalives_interval", "2"),
    ("tcp_keepalives_count", "3"),
    // Unacknowledged data (a host gone mid-write) also ends the session, in milliseconds.
    ("tcp_user_timeout", "15000"),
    ("lock_timeout", "10s"),
    ("idle_in_transaction_session_timeout", "30s"),
];

/// `base` with [`LOCK_CONNECTION_SETTINGS`] applied at connection start-up.
pub fn lock_connection_options(base: &PgConnectOptions) -> PgConnectOptions {
    base.clone()
        .options(LOCK_CONNECTION_SETTINGS.iter().copied())
}

async fn pool_with(opts: PgConnectOptions, max_connections: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(opts)
        .await
        .context("connecting to PostgreSQL")
}

/// A pool on the configured database.
pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    pool_with(options(url)?, max_connections).await
}

/// A pool for the read side (projectors): its sessions are named
/// [`crate::relay::READ_SIDE_APPLICATION`], which lets the relay's commit-order watermark ignore
/// their transactions; a trigger on `events` refuses any event they would write.
pub async fn connect_read_side(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    let opts = options(url)?.application_name(crate::relay::READ_SIDE_APPLICATION);
    pool_with(opts, max_connections).await
}

/// A read-side pool (see [`connect_read_side`]) on the same database as `pool`.
pub async fn read_side_of(pool: &PgPool, max_connections: u32) -> anyhow::Result<PgPool> {
    let opts = pool
        .connect_options()
        .as_ref()
        .clone()
        .application_name(crate::relay::READ_SIDE_APPLICATION);
    pool_with(opts, max_connections).await
}

/// Creates the database named in the URL if it does not exist (connecting to `postgres`).
pub async fn create_database_if_missing(url: &SecretString) -> anyhow::Result<()> {
    let opts = options(url)?;
    let name = opts
        .get_database()
        .context("the database URL names no database")?
        .to_owned();
    let mut admin = opts
        .database("postgres")
        .connect()
        .await
        .context("connecting to the postgres maintenance database")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let quoted = name.replace('"', "\"\"");
        sqlx::query(&format!("CREATE DATABASE \"{quoted}\""))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    admin.close().await.ok();
    Ok(())
}

/// Creates the database if needed and applies every migration.
pub async fn migrate(url: &SecretString) -> anyhow::Result<()> {
    create_database_if_missing(url).await?;
    let pool = connect(url, 2).await?;
    hireledger_migrations::MIGRATOR
        .run(&pool)
        .await
        .context("applying migrations")?;
    pool.close().await;
    Ok(())
}
