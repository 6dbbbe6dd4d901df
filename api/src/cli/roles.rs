//! The long-running roles, alone or together in one process.

use anyhow::Context;
use futures::FutureExt;
use hireledger_infra::CommonSettings;
use hireledger_infra::relay::{RelayConfig, run_relay};
use std::time::Duration;
use tokio::sync::watch;

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct RelayArgs {
    /// Name of this relay's checkpoint and lock; instances with the same name are one relay
    /// (one active, the rest hot standby).
    #[arg(long, env = "HIRELEDGER_RELAY_NAME", default_value = "main")]
    relay_name: String,
    /// Events per batch.
    #[arg(long, env = "HIRELEDGER_RELAY_BATCH", default_value_t = 500)]
    relay_batch: i64,
    /// Polling fallback when no NOTIFY arrives, in milliseconds (a lost notification, or a
    /// watermark that moved because a transaction without events ended).
    #[arg(long, env = "HIRELEDGER_RELAY_POLL_MS", default_value_t = 100)]
    relay_poll_ms: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ProjectArgs {
    /// Consumer group of the identity projector; instances in one group share the partitions.
    #[arg(
        long,
        env = "HIRELEDGER_PROJECTOR_GROUP",
        default_value = "hireledger-identity-projector"
    )]
    projector_group: String,
    /// Consumer group of the pipeline projector (jobs, candidates, applications, interviews).
    #[arg(
        long,
        env = "HIRELEDGER_PIPELINE_PROJECTOR_GROUP",
        default_value = "hireledger-pipeline-projector"
    )]
    pipeline_projector_group: String,
}

/// Both projectors (identity and pipeline) until `stop`; either failing stops both. They get a
/// read-side pool of their own (see `hireledger_infra::db::connect_read_side`).
async fn projectors(
    common: &CommonSettings,
    args: &ProjectArgs,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let pool = hireledger_infra::db::connect_read_side(
        &common.database_url,
        common.database_max_connections,
    )
    .await?;
    tokio::try_join!(
        hireledger_projections::run_identity(
            pool.clone(),
            common,
            &args.projector_group,
            wait(stop.clone()),
        ),
        hireledger_projections::run_pipeline(
            pool,
            common,
            &args.pipeline_projector_group,
            wait(stop),
        ),
    )?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; every role shares one signal.
fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c().map(|_| ());
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { () = ctrl_c => {}, () = term => {} }
        tracing::info!("shutting down");
        let _ = tx.send(true);
    });
    rx
}

async fn wait(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn pool(common: &CommonSettings) -> anyhow::Result<sqlx::PgPool> {
    hireledger_infra::db::connect(&common.database_url, common.database_max_connections).await
}

/// The relay configuration with default arguments (bench and tests).
pub(crate) fn relay_config_default(common: &CommonSettings) -> RelayConfig {
    relay_config(
        common,
        &RelayArgs {
            relay_name: "main".into(),
            relay_batch: 500,
            relay_poll_ms: 100,
        },
    )
}

fn relay_config(common: &CommonSettings, args: &RelayArgs) -> RelayConfig {
    RelayConfig {
        relay_name: args.relay_name.clone(),
        brokers: common.kafka_brokers.clone(),
        topic_prefix: common.topic_prefix.clone(),
        partitions: common.topic_partitions,
        batch_size: args.relay_batch,
        poll_interval: Duration::from_millis(args.relay_poll_ms),
        aggregate_types: hireledger_projections::aggregate_types(),
    }
}

pub(crate) async fn serve(
    common: CommonSettings,
    api: hireledger_api::ApiSettings,
) -> anyhow::Result<()> {
    let pool = pool(&common).await?;
    let listener =
        std::net::TcpListener::bind(api.bind).with_context(|| format!("binding {}", api.bind))?;
    tracing::info!(address = %api.bind, "API listening");
    hireledger_api::serve(pool, common, api, listener, wait(shutdown_signal())).await
}

pub(crate) async fn relay(common: CommonSettings, args: RelayArgs) -> anyhow::Result<()> {
    let pool = pool(&common).await?;
    run_relay(pool, relay_config(&common, &args), wait(shutdown_signal())).await
}

pub(crate) async fn project(common: CommonSettings, args: ProjectArgs) -> anyhow::Result<()> {
    projectors(&common, &args, shutdown_signal()).await
}

pub(crate) async fn up(
    common: CommonSettings,
    api: hireledger_api::ApiSettings,
    relay: RelayArgs,
    project: ProjectArgs,
) -> anyhow::Result<()> {
    hireledger_infra::db::migrate(&common.database_url).await?;
    let pool = pool(&common).await?;
    let stop = shutdown_signal();
    let listener =
        std::net::TcpListener::bind(api.bind).with_context(|| format!("binding {}", api.bind))?;
    tracing::info!(address = %api.bind, "HireLedger is up (API, relay and projectors in one process)");
    let relay_task = run_relay(
        pool.clone(),
        relay_config(&common, &relay),
        wait(stop.clone()),
    );
    let project_task = projectors(&common, &project, stop.clone());
    let api_task = hireledger_api::serve(pool, common.clone(), api, listener, wait(stop.clone()));
    // Any role failing stops the process: a supervisor restarts it whole.
    let (r, p, a) = tokio::try_join!(relay_task, project_task, api_task)?;
    let _ = (r, p, a);
    Ok(())
}
