//! `hireledger bench-import`: a CSV import of `--rows` valid candidates, end to end, on a scratch
//! database with its own topics (relay and both projectors running in this process).
//!
//! The file goes through the same code as `POST /api/v1/candidates/imports` and its worker
//! ([`Pipeline::start_import`], then [`Pipeline::run_pending_imports`]). Measured:
//! - **command side**: rows/s from the upload until the import is `COMPLETED`;
//! - **end to end**: rows/s from the upload until every row is in `rm_candidates`;
//! - **a neighbour's read-your-writes**: while the import runs, a job is created in another
//!   company every `--probe-ms` and timed from its creation until `rm_jobs` has it (p50/p99).
//!
//! Results are printed and written as JSON (`--json-out`) with the machine and versions.

use super::bench::{drop_db, percentile, scratch_db, wait_until};
use anyhow::Context as _;
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, RegisterCompany};
use hireledger_commands::pipeline::Pipeline;
use hireledger_domain::Actor;
use hireledger_domain::job::{EmploymentType, JobDetails, Skill};
use hireledger_infra::CommonSettings;
use hireledger_infra::vault::Vault;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub(crate) struct BenchImportArgs {
    /// Data rows in the file (every one a valid, distinct candidate).
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// How often a job is created in another company while the import runs (milliseconds).
    #[arg(long, default_value_t = 500)]
    probe_ms: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    timeout_seconds: u64,
    /// Where the JSON results go.
    #[arg(long, default_value = "hireledger-bench-import.json")]
    json_out: std::path::PathBuf,
}

pub(crate) async fn bench_import(
    common: CommonSettings,
    args: BenchImportArgs,
) -> anyhow::Result<()> {
    let (db, _url, secret) = scratch_db(&common, "hireledger_bench_import").await?;
    let mut common = common;
    common.database_url = secret.clone();
    common.topic_prefix = format!("benchimport{}", Uuid::new_v4().simple());
    let result = run(&common, &args, &secret).await;
    drop_db(&common, &db).await;
    let prefix = format!("{}.", common.topic_prefix);
    if let Ok(topics) =
        hireledger_infra::kafka::topics_with_prefix(&common.kafka_brokers, &prefix).await
    {
        let _ = hireledger_infra::kafka::delete_topics(&common.kafka_brokers, &topics).await;
    }
    result
}

/// An approved company; returns its id.
async fn company(identity: &Identity, name: &str) -> anyhow::Result<Uuid> {
    let meta = CommandMetadata::system("bench-import");
    let tag = Uuid::new_v4().simple();
    let registered = identity
        .register_company(
            RegisterCompany {
                name: name.into(),
                domain: format!("{tag}.bench-import.example.com"),
                contact_name: "Bench HR".into(),
                contact_email: format!("hr@{tag}.bench-import.example.com"),
            },
            &meta,
        )
        .await?;
    identity
        .approve_company(Actor::System, registered.company_id, &meta)
        .await?;
    Ok(registered.company_id)
}

/// The file: `rows` valid candidates with distinct e-mails (name, e-mail, phone and qualifications
/// are sealed, like a real import's).
fn csv(rows: usize) -> String {
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let mut out = String::with_capacity(rows * 96);
    out.push_str("name,email,phone,position,experience_years,qualifications\n");
    for i in 0..rows {
        let _ = writeln!(
            out,
            "Cand {i},c{i}.{tag}@x.example,+49 30 {:07},Engineer,{},MSc",
            i,
            i % 30
        );
    }
    out
}

fn job_details(i: usize) -> JobDetails {
    JobDetails {
        title: format!("Probe job {i}"),
        description: "Created while an import runs.".into(),
        requirements: "Rust".into(),
        department: "Engineering".into(),
        location: "Remote".into(),
        employment_type: EmploymentType::FullTime,
        salary: None,
        skills: vec![Skill {
            name: "Rust".into(),
            weight: 10,
        }],
    }
}

/// Creates job `i` in `company_id`; its id.
async fn create_probe_job(pipeline: &Pipeline, company_id: Uuid, i: usize) -> anyhow::Result<Uuid> {
    Ok(pipeline
        .create_job(
            Actor::System,
            Some(company_id),
            job_details(i),
            None,
            false,
            &CommandMetadata::system("bench-import probe"),
        )
        .await?
        .job_id)
}

/// How often the probe watcher looks for the jobs created (one query for all of them), and how
/// often the read model's candidates are counted: polling must not load what it measures.
const WATCH_EVERY: Duration = Duration::from_millis(20);
const COUNT_EVERY: Duration = Duration::from_millis(250);

/// Creates a job in `company_id` every `every` until `probing` turns false, and times each from
/// just before its creation until `rm_jobs` has it. The latencies in ms, ascending.
async fn probe_jobs(
    pipeline: Pipeline,
    pool: sqlx::PgPool,
    company_id: Uuid,
    every: Duration,
    probing: watch::Receiver<bool>,
    deadline: Instant,
) -> anyhow::Result<Vec<f64>> {
    let (created_tx, mut created_rx) = tokio::sync::mpsc::unbounded_channel();
    let creator = {
        let probing = probing.clone();
        tokio::spawn(async move {
            let mut i = 1;
            while *probing.borrow() {
                let t = Instant::now();
                let job_id = create_probe_job(&pipeline, company_id, i).await?;
                let _ = created_tx.send((job_id, t));
                i += 1;
                tokio::time::sleep(every).await;
            }
            Ok::<_, anyhow::Error>(())
        })
    };
    let mut pending: std::collections::HashMap<Uuid, Instant> = std::collections::HashMap::new();
    let mut latencies = Vec::new();
    loop {
        let mut closed = false;
        loop {
            match created_rx.try_recv() {
                Ok((id, t)) => {
                    pending.insert(id, t);
                }
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        if !pending.is_empty() {
            let ids: Vec<Uuid> = pending.keys().copied().collect();
            let seen: Vec<Uuid> =
                sqlx::query_scalar("SELECT job_id FROM rm_jobs WHERE job_id = ANY($1)")
                    .bind(&ids)
                    .fetch_all(&pool)
                    .await?;
            let now = Instant::now();
            for id in seen {
                if let Some(t) = pending.remove(&id) {
                    latencies.push((now - t).as_secs_f64() * 1000.0);
                }
            }
        }
        if closed && pending.is_empty() {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "timed out waiting for probe jobs"
        );
        tokio::time::sleep(WATCH_EVERY).await;
    }
    creator.await??;
    latencies.sort_by(f64::total_cmp);
    Ok(latencies)
}

async fn count_candidates(pool: &sqlx::PgPool, company_id: Uuid) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM rm_candidates WHERE company_id = $1")
            .bind(company_id)
            .fetch_one(pool)
            .await?,
    )
}

async fn run(
    common: &CommonSettings,
    args: &BenchImportArgs,
    secret: &secrecy::SecretString,
) -> anyhow::Result<()> {
    let pool = hireledger_infra::db::connect(secret, 32).await?;
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
        super::roles::relay_config_default(common),
        stopped(stop_rx.clone()),
    ));
    let projectors = {
        let (pool, common, rx) = (pool.clone(), common.clone(), stop_rx.clone());
        tokio::spawn(async move {
            tokio::try_join!(
                hireledger_projections::run_identity(
                    pool.clone(),
                    &common,
                    "bench-import-identity",
                    stopped(rx.clone())
                ),
                hireledger_projections::run_pipeline(
                    pool,
                    &common,
                    "bench-import-pipeline",
                    stopped(rx)
                ),
            )
        })
    };
    let vault = Vault::new(pool.clone(), &common.master_key)?;
    let identity = Identity::new(pool.clone(), vault.clone());
    let pipeline = Pipeline::new(pool.clone(), vault);
    let importer = company(&identity, "Bench Importer").await?;
    let neighbour = company(&identity, "Bench Neighbour").await?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    // Warm-up: the relay and the projectors are running and caught up before measuring.
    let warm_up = create_probe_job(&pipeline, neighbour, 0).await?;
    wait_until(deadline, || {
        let pool = pool.clone();
        async move {
            Ok(sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM rm_jobs WHERE job_id = $1)",
            )
            .bind(warm_up)
            .fetch_one(&pool)
            .await?)
        }
    })
    .await
    .context("warm-up")?;

    let file = csv(args.rows);
    let file_mib = file.len() as f64 / (1024.0 * 1024.0);
    let (probing_tx, probing_rx) = watch::channel(true);
    let prober = tokio::spawn(probe_jobs(
        pipeline.clone(),
        pool.clone(),
        neighbour,
        Duration::from_millis(args.probe_ms),
        probing_rx,
        deadline,
    ));

    let started = Instant::now();
    let import = pipeline
        .start_import(Actor::System, Some(importer), file.as_bytes())
        .await?;
    pipeline.run_pending_imports().await?;
    let command_side = started.elapsed();
    let report = pipeline.import_report(import.import_id).await?;
    anyhow::ensure!(
        report.status == "COMPLETED" && report.imported as usize == args.rows,
        "the import ended {} with {} of {} rows imported",
        report.status,
        report.imported,
        args.rows
    );
    let on_kafka = wait_until(deadline, || {
        let pool = pool.clone();
        async move { Ok(hireledger_infra::relay::relay_lag(&pool).await? == 0) }
    })
    .await
    .context("waiting for the relay")?
        - started;
    let rows = args.rows as i64;
    while count_candidates(&pool, importer).await? < rows {
        anyhow::ensure!(
            Instant::now() < deadline,
            "timed out waiting for the read model"
        );
        tokio::time::sleep(COUNT_EVERY).await;
    }
    let end_to_end = started.elapsed();
    let _ = probing_tx.send(false);
    let latencies = prober.await??;
    let _ = stop_tx.send(true);
    let _ = relay.await;
    let _ = projectors.await;

    let postgres: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await?;
    let per_s = |d: Duration| args.rows as f64 / d.as_secs_f64();
    let p = |q: f64| percentile(&latencies, q);
    let results = serde_json::json!({
        "kind": "import",
        "at": chrono::Utc::now().to_rfc3339(),
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, usize::from),
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
        },
        "version": env!("CARGO_PKG_VERSION"),
        "broker": std::env::var("HIRELEDGER_BROKER_VERSION").unwrap_or_else(|_| "unknown".into()),
        "postgres": postgres,
        "rows": args.rows,
        "file_mib": file_mib,
        "command_side_s": command_side.as_secs_f64(),
        "command_side_rows_per_s": per_s(command_side),
        "on_kafka_s": on_kafka.as_secs_f64(),
        "on_kafka_rows_per_s": per_s(on_kafka),
        "end_to_end_s": end_to_end.as_secs_f64(),
        "end_to_end_rows_per_s": per_s(end_to_end),
        "neighbour_job_readable_ms": {
            "probes": latencies.len(),
            "p50": p(0.5),
            "p99": p(0.99),
            "max": latencies.last().copied().unwrap_or(f64::NAN),
        },
    });
    println!(
        "HireLedger import benchmark ({} cores; PostgreSQL {postgres}): {} rows, {file_mib:.1} MiB",
        std::thread::available_parallelism().map_or(0, usize::from),
        args.rows
    );
    println!(
        "  command side (upload → COMPLETED) : {:>8.1} s {:>9.1} rows/s",
        command_side.as_secs_f64(),
        per_s(command_side)
    );
    println!(
        "  on Kafka (relay caught up)        : {:>8.1} s {:>9.1} rows/s",
        on_kafka.as_secs_f64(),
        per_s(on_kafka)
    );
    println!(
        "  end to end (all in rm_candidates) : {:>8.1} s {:>9.1} rows/s",
        end_to_end.as_secs_f64(),
        per_s(end_to_end)
    );
    println!(
        "  neighbour's job readable p50 / p99 / max (ms): {:.1} / {:.1} / {:.1} ({} probes)",
        p(0.5),
        p(0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        latencies.len()
    );
    std::fs::write(&args.json_out, serde_json::to_vec_pretty(&results)?)
        .with_context(|| format!("writing {}", args.json_out.display()))?;
    println!("  results written to {}", args.json_out.display());
    Ok(())
}
