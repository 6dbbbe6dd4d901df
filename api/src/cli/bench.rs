//! `hireledger bench`: end-to-end write-path throughput and latency on a scratch database,
//! next to `pgbench` single-row inserts on the same server in the same run.

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

/// One command of the measured kind: a public company registration (one event; seals two
/// personal fields, claims an e-mail, appends with optimistic concurrency).
async fn register(identity: &Identity, i: usize) -> anyhow::Result<()> {
    let name = if i > usize::MAX - WARMUP {
        format!("Warm-up Company {}", usize::MAX - i)
    } else {
        format!("Bench Company {i}")
    };
    identity
        .register_company(
            RegisterCompany {
                name,
                domain: format!("bench-{i}.example.com"),
                contact_name: "Bench Contact".into(),
                contact_email: format!("contact-{}@bench.example.com", Uuid::new_v4().simple()),
            },
            &CommandMetadata::system("bench"),
        )
        .await?;
    Ok(())
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
    let result = run(&common, &args, &secret, &url).await;
    drop_db(&common, &db).await;
    result
}

async fn run(
    common: &CommonSettings,
    args: &BenchArgs,
    secret: &SecretString,
    url: &str,
) -> anyhow::Result<()> {
    let pool = hireledger_infra::db::connect(secret, (args.concurrency as u32 + 8).max(16)).await?;
    let mut common = common.clone();
    common.topic_prefix = format!("bench{}", Uuid::new_v4().simple());
    // Topics exist before the clock starts: creating them is a one-off cost, not the write path.
    let topics: Vec<String> = hireledger_projections::aggregate_types()
        .iter()
        .map(|t| common.topic_for(t))
        .collect();
    hireledger_infra::kafka::ensure_topics(&common.kafka_brokers, &topics, common.topic_partitions)
        .await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let relay = tokio::spawn(hireledger_infra::relay::run_relay(
        pool.clone(),
        super::roles::relay_config_default(&common),
        stopped(stop_rx.clone()),
    ));
    let projector = {
        let (pool, common, rx) = (pool.clone(), common.clone(), stop_rx.clone());
        tokio::spawn(async move {
            hireledger_projections::run_identity(pool, &common, "bench-identity", stopped(rx)).await
        })
    };

    let identity = Identity::new(pool.clone(), Vault::new(pool.clone(), &common.master_key)?);
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    // Warm-up: the relay and the projector are running and caught up before measuring.
    let warmup = WARMUP as i64;
    for i in 0..WARMUP {
        register(&identity, usize::MAX - i).await?;
    }
    wait_until(deadline, || {
        let pool = pool.clone();
        async move { Ok(count_companies(&pool).await? >= warmup) }
    })
    .await
    .context("waiting for the warm-up to be projected")?;

    let gate = Arc::new(Semaphore::new(args.concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.commands);
    for i in 0..args.commands {
        let (identity, gate) = (identity.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let t = Instant::now();
            identity
                .register_company(
                    RegisterCompany {
                        name: format!("Bench Company {i}"),
                        domain: format!("bench-{i}.example.com"),
                        contact_name: "Bench Contact".into(),
                        contact_email: format!(
                            "contact-{i}-{}@bench.example.com",
                            Uuid::new_v4().simple()
                        ),
                    },
                    &CommandMetadata::system("bench"),
                )
                .await?;
            Ok::<_, anyhow::Error>(t.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut latencies = Vec::with_capacity(args.commands);
    for t in tasks {
        latencies.push(t.await??);
    }
    let in_postgres = started.elapsed();
    let on_kafka = wait_until(deadline, || {
        let pool = pool.clone();
        async move { Ok(hireledger_infra::relay::relay_lag(&pool).await? == 0) }
    })
    .await
    .context("waiting for the relay")?
        - started;
    let n = args.commands as i64 + warmup;
    wait_until(deadline, || {
        let pool = pool.clone();
        async move { Ok(count_companies(&pool).await? >= n) }
    })
    .await
    .context("waiting for the projector")?;
    let mut lags: Vec<f64> = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM (c.projected_at - e.recorded_at)) * 1000)::float8
         FROM rm_companies c JOIN events e
           ON e.aggregate_type = 'company' AND e.aggregate_id = c.company_id::text AND e.sequence = 1
         WHERE c.name NOT LIKE 'Warm-up%'",
    )
    .fetch_all(&pool)
    .await?;
    let _ = stop_tx.send(true);
    let _ = relay.await;
    let _ = projector.await;

    sqlx::query("CREATE TABLE pgbench_single_row (id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
        .execute(&pool)
        .await?;
    let (url, clients, secs) = (url.to_owned(), args.concurrency, args.pgbench_seconds);
    let pgbench_tps =
        tokio::task::spawn_blocking(move || run_pgbench(&url, clients, secs)).await??;

    latencies.sort_by(f64::total_cmp);
    lags.sort_by(f64::total_cmp);
    let durable_cps = args.commands as f64 / on_kafka.as_secs_f64();
    println!(
        "HireLedger write-path benchmark ({} commands, {} in flight)",
        args.commands, args.concurrency
    );
    println!(
        "  commands/s, events durable in Postgres : {:>10.1}",
        args.commands as f64 / in_postgres.as_secs_f64()
    );
    println!("  commands/s, events durable on Kafka    : {durable_cps:>10.1}");
    println!(
        "  command latency p50 / p99 (ms)         : {:>10.2} / {:.2}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!(
        "  projection lag p50 / p99 (ms)          : {:>10.2} / {:.2}",
        percentile(&lags, 0.5),
        percentile(&lags, 0.99)
    );
    println!("  pgbench single-row insert tps          : {pgbench_tps:>10.1}");
    println!(
        "  ratio (durable on Kafka / pgbench)     : {:>10.3}",
        durable_cps / pgbench_tps
    );
    Ok(())
}
