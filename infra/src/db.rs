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

/// A pool on the configured database.
pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options(url)?)
        .await
        .context("connecting to PostgreSQL")
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
