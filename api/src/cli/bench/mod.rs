//! `hireledger bench`: end-to-end write-path throughput and latency on a scratch database,
//! next to `pgbench` single-row inserts on the same server in the same run.
//!
//! Two loads: closed loop (`--commands` with `--concurrency` in flight, as fast as they go) and
//! open loop (`--rates`: a fixed offered rate for `--rate-seconds` each, whatever the system does,
//! so queueing shows up as lag instead of slowing the load down). Results are printed and written
//! as JSON (`--json-out`) with the machine, broker and PostgreSQL versions, so runs compare.

mod open_loop;
mod report;
mod ryw;

use anyhow::{Context, bail};
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, RegisterCompany};
use hireledger_infra::CommonSettings;
use hireledger_infra::vault::Vault;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    /// Commands to run (each writes one event).
    #[arg(long, default_value_t = 2000)]
    commands: usize,
    /// Commands in flight at once (also pgbench's client count).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long pgbench runs.
    #[arg(long, default_value_t = 10)]
    pgbench_seconds: u64,
    /// Give up waiting for Kafka/projections after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_seconds: u64,
    /// Open-loop offered rates (commands = events per second), each run for `--rate-seconds`.
    /// Empty (`--rates ''`) skips the open loop.
    #[arg(long, value_delimiter = ',', default_value = "250,500,1000,2000")]
    rates: Vec<u32>,
    /// Seconds each open-loop rate is offered.
    #[arg(long, default_value_t = 10)]
    rate_seconds: u64,
    /// Sequential command → read-your-writes pairs (0 skips them).
    #[arg(long, default_value_t = 1000)]
    ryw_pairs: usize,
    /// Where the JSON results go.
    #[arg(long, default_value = "hireledger-bench.json")]
    json_out: std::path::PathBuf,
}

pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// URL of a sibling database on the same server.
pub(super) fn sibling_url(url: &SecretString, db: &str) -> anyhow::Result<String> {
    let raw = url.expose_secret();
    let (base, rest) = raw
        .rsplit_once('/')
        .context("database URL has no database name")?;
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    Ok(format!("{base}/{db}{query}"))
}

pub(super) async fn wait_until<F, Fut>(deadline: Instant, mut check: F) -> anyhow::Result<Instant>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    loop {
        if check().await? {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            bail!("timed out");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn run_pgbench(url: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    let dir = std::env::temp_dir().join(format!("hl-pgbench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        "INSERT INTO pgbench_single_row (payload) VALUES ('x');\n",
    )?;
    let result = pgbench(
        url,
        &[
            "-n".into(),
            "-c".into(),
            clients.to_string(),
            "-j".into(),
            "2".into(),
            "-T".into(),
            seconds.to_string(),
            "-f".into(),
            script.display().to_string(),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Runs `pgbench <args> <url>` and returns what it printed; fails when pgbench does.
pub(super) fn pgbench_run(url: &str, args: &[String]) -> anyhow::Result<String> {
    let out = std::process::Command::new("pgbench")
        .args(args)
        .arg(url)
        .output()
        .context("running pgbench (install postgresql-contrib / postgresql client)")?;
    if !out.status.success() {
        bail!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `pgbench <args> <url>` and returns the tps it reports.
pub(super) fn pgbench(url: &str, args: &[String]) -> anyhow::Result<f64> {
    pgbench_run(url, args)?
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("pgbench printed no tps line")
}

const WARMUP: usize = 50;

/// A warm-up command: a public company registration (one event; seals two personal fields,
/// claims an e-mail, appends with optimistic concurrency), like every measured one.
async fn register(identity: &Identity, i: usize) -> anyhow::Result<()> {
    register_named(identity, format!("Warm-up Company {i}")).await
}

async fn count_companies(pool: &sqlx::PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM rm_companies")
        .fetch_one(pool)
        .await?)
}

/// A fresh, migrated scratch database on the same server: its name, URL and URL as a secret.
pub(super) async fn scratch_db(
    common: &CommonSettings,
    prefix: &str,
) -> anyhow::Result<(String, String, SecretString)> {
    let db = format!("{prefix}_{}", Uuid::new_v4().simple());
    let url = sibling_url(&common.database_url, &db)?;
    let secret = SecretString::from(url.clone());
    hireledger_infra::db::migrate(&secret).await?;
    Ok((db, url, secret))
}

/// Drops a scratch database (best effort: the run's own result matters more).
pub(super) async fn drop_db(common: &CommonSettings, db: &str) {
    let Ok(admin) = sibling_url(&common.database_url, "postgres") else {
        return;
    };
    if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

pub(crate) async fn bench(common: CommonSettings, args: BenchArgs) -> anyhow::Result<()> {
    let (db, url, secret) = scratch_db(&common, "hireledger_bench").await?;
    // Topics of this run only, deleted at the end like the scratch database.
    let mut common = common;
    common.topic_prefix = format!("{}_bench_{}", common.topic_prefix, Uuid::new_v4().simple());
    let result = run(&common, &args, &secret, &url).await;
    drop_db(&common, &db).await;
    let prefix = format!("{}.", common.topic_prefix);
    if let Ok(topics) =
        hireledger_infra::kafka::topics_with_prefix(&common.kafka_brokers, &prefix).await
    {
        let _ = hireledger_infra::kafka::delete_topics(&common.kafka_brokers, &topics).await;
    }
    result
}

/// The system under test: a scratch database with the relay and the identity projector running.
pub(super) struct Rig {
    pub(super) pool: sqlx::PgPool,
    pub(super) identity: Identity,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Rig {
    async fn start(common: &CommonSettings, pool: sqlx::PgPool) -> anyhow::Result<Self> {
        // Topics exist before the clock starts: creating them is a one-off cost.
        let topics: Vec<String> = hireledger_projections::aggregate_types()
            .iter()
            .map(|t| common.topic_for(t))
            .collect();
        hireledger_infra::kafka::ensure_topics(
            &common.kafka_brokers,
            &topics,
            common.topic_partitions,
        )
        .await?;
        let (stop, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let relay = {
            let (pool, cfg, rx) = (
                pool.clone(),
                super::roles::relay_config_default(common),
                stop_rx.clone(),
            );
            tokio::spawn(
                async move { hireledger_infra::relay::run_relay(pool, cfg, stopped(rx)).await },
            )
        };
        let read_side = hireledger_infra::db::read_side_of(&pool, 16).await?;
        let projector = {
            let (pool, common, rx) = (read_side, common.clone(), stop_rx);
            tokio::spawn(async move {
                hireledger_projections::run_identity(pool, &common, "bench-identity", stopped(rx))
                    .await
            })
        };
        let identity = Identity::new(pool.clone(), Vault::new(pool.clone(), &common.master_key)?);
        Ok(Self {
            pool,
            identity,
            stop,
            tasks: vec![relay, projector],
        })
    }

    /// Waits until `n` companies are in the read model.
    pub(super) async fn projected(&self, deadline: Instant, n: i64) -> anyhow::Result<Instant> {
        wait_until(deadline, || {
            let pool = self.pool.clone();
            async move { Ok(count_companies(&pool).await? >= n) }
        })
        .await
        .context("waiting for the projector")
    }

    /// Projection lag (ms) of each company whose name starts with `prefix`: read-model commit
    /// time minus the event's commit time in the store.
    pub(super) async fn lags(&self, prefix: &str) -> anyhow::Result<Vec<f64>> {
        let mut lags: Vec<f64> = sqlx::query_scalar(
            "SELECT (EXTRACT(EPOCH FROM (c.projected_at - (
                        SELECT e.recorded_at FROM events e
                        WHERE e.aggregate_type = 'company' AND e.aggregate_id = c.company_id::text
                          AND e.sequence = 1))) * 1000)::float8
             FROM rm_companies c
             WHERE c.name LIKE $1 || '%'",
        )
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?;
        lags.sort_by(f64::total_cmp);
        Ok(lags)
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// One measured command: a company registration named `name`.
pub(super) async fn register_named(identity: &Identity, name: String) -> anyhow::Result<()> {
    identity
        .register_company(
            RegisterCompany {
                domain: format!("{}.example.com", Uuid::new_v4().simple()),
                contact_name: "Bench Contact".into(),
                contact_email: format!("contact-{}@bench.example.com", Uuid::new_v4().simple()),
                name,
            },
            &CommandMetadata::system("bench"),
        )
        .await?;
    Ok(())
}

/// Closed loop: `commands` registrations, `concurrency` in flight.
async fn closed_loop(
    rig: &Rig,
    args: &BenchArgs,
    deadline: Instant,
    already: i64,
) -> anyhow::Result<report::ClosedLoop> {
    let gate = Arc::new(Semaphore::new(args.concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.commands);
    for i in 0..args.commands {
        let (identity, gate) = (rig.identity.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let t = Instant::now();
            register_named(&identity, format!("Bench Company {i}")).await?;
            Ok::<_, anyhow::Error>(t.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut latencies = Vec::with_capacity(args.commands);
    for t in tasks {
        latencies.push(t.await??);
    }
    let in_postgres = started.elapsed();
    let on_kafka = wait_until(deadline, || {
        let pool = rig.pool.clone();
        async move { Ok(hireledger_infra::relay::relay_lag(&pool).await? == 0) }
    })
    .await
    .context("waiting for the relay")?
        - started;
    rig.projected(deadline, already + args.commands as i64)
        .await?;
    let lags = rig.lags("Bench Company ").await?;
    latencies.sort_by(f64::total_cmp);
    Ok(report::ClosedLoop {
        commands: args.commands,
        concurrency: args.concurrency,
        durable_in_postgres_per_s: args.commands as f64 / in_postgres.as_secs_f64(),
        durable_on_kafka_per_s: args.commands as f64 / on_kafka.as_secs_f64(),
        latency_ms: report::Percentiles::of(&latencies),
        lag_ms: report::Percentiles::of(&lags),
    })
}

async fn run(
    common: &CommonSettings,
    args: &BenchArgs,
    secret: &SecretString,
    url: &str,
) -> anyhow::Result<()> {
    let pool = hireledger_infra::db::connect(secret, (args.concurrency as u32 + 8).max(64)).await?;
    let rig = Rig::start(common, pool.clone()).await?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    // Warm-up: the relay and the projector are running and caught up before measuring.
    let warmup = WARMUP as i64;
    for i in 0..WARMUP {
        register(&rig.identity, i).await?;
    }
    rig.projected(deadline, warmup)
        .await
        .context("waiting for the warm-up to be projected")?;

    let closed = closed_loop(&rig, args, deadline, warmup).await?;
    let ryw = ryw::run(&rig, args.ryw_pairs).await?;
    let mut done = warmup + args.commands as i64 + args.ryw_pairs as i64;
    let mut open = Vec::with_capacity(args.rates.len());
    for &rate in &args.rates {
        let r = open_loop::run(&rig, rate, Duration::from_secs(args.rate_seconds), done).await?;
        done += r.offered as i64;
        open.push(r);
    }
    rig.stop().await;
    // The read model rebuilt from offset 0 (every event above), switched to, messages/s.
    let rebuild = hireledger_projections::rebuild::rebuild(
        &pool,
        common,
        hireledger_projections::IDENTITY_PROJECTOR,
        &mut |_, _| {},
    )
    .await?;

    sqlx::query("CREATE TABLE pgbench_single_row (id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
        .execute(&pool)
        .await?;
    let (url, clients, secs) = (url.to_owned(), args.concurrency, args.pgbench_seconds);
    let pgbench_tps =
        tokio::task::spawn_blocking(move || run_pgbench(&url, clients, secs)).await??;
    let postgres_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await?;
    let results = report::Results::new(
        closed,
        open,
        ryw,
        report::Rebuild {
            messages: rebuild.messages,
            seconds: rebuild.replay.as_secs_f64(),
            messages_per_s: rebuild.messages_per_second(),
        },
        pgbench_tps,
        postgres_version,
    );
    results.print();
    results.write(&args.json_out)?;
    println!("  results written to {}", args.json_out.display());
    Ok(())
}
