//! `hireledger bench-read`: the read side at scale. On a scratch database it creates a company, an
//! HR user, a job and a candidate through the real command path (relay and projectors running),
//! then seeds the candidate read model up to `--candidates` rows, shows the plans of the main
//! lists (`EXPLAIN`), and measures requests/s and latency of three API reads over HTTP:
//! one job, one candidate, and the first page of the candidate list. `pgbench -S` (select-only)
//! runs on the same database in the same run for scale.
//!
//! The bulk rows are written straight into `rm_candidates` (one `INSERT … SELECT`): producing
//! 100 000 candidates through commands would measure the write path, which `hireledger bench`
//! does.

use super::bench::{drop_db, percentile, pgbench, pgbench_run, scratch_db, wait_until};
use anyhow::Context as _;
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, RegisterCompany};
use hireledger_commands::pipeline::{CandidateInput, Pipeline};
use hireledger_domain::Actor;
use hireledger_domain::candidate::CandidateSource;
use hireledger_domain::job::{EmploymentType, JobDetails, Skill};
use hireledger_infra::CommonSettings;
use hireledger_infra::vault::Vault;
use hireledger_projections::views::{CandidateFilter, CandidateSort, explain_list_candidates};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub(crate) struct BenchReadArgs {
    /// Candidates in the company's read model.
    #[arg(long, default_value_t = 100_000)]
    candidates: u32,
    /// Concurrent HTTP clients (also pgbench's client count).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds each read is measured (and pgbench runs).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// What was measured for one endpoint.
struct Measured {
    requests: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

pub(crate) async fn bench_read(common: CommonSettings, args: BenchReadArgs) -> anyhow::Result<()> {
    let (db, url, secret) = scratch_db(&common, "hireledger_bench_read").await?;
    let result = run(&common, &args, &secret, &url).await;
    drop_db(&common, &db).await;
    result
}

/// Company + HR (with a known password), one open job, one candidate: all through commands.
struct Fixture {
    company_id: Uuid,
    hr_email: String,
    hr_password: String,
    job_id: Uuid,
    candidate_id: Uuid,
}

async fn fixture(identity: &Identity, pipeline: &Pipeline) -> anyhow::Result<Fixture> {
    let meta = CommandMetadata::system("bench-read");
    let hr_email = format!("hr-{}@bench-read.example.com", Uuid::new_v4().simple());
    let registered = identity
        .register_company(
            RegisterCompany {
                name: "Bench Read Company".into(),
                domain: "bench-read.example.com".into(),
                contact_name: "Bench HR".into(),
                contact_email: hr_email.clone(),
            },
            &meta,
        )
        .await?;
    let company_id = registered.company_id;
    let approved = identity
        .approve_company(Actor::System, company_id, &meta)
        .await?;
    let hr_password = approved
        .temporary_password
        .context("the approval returned no temporary password")?;
    let details = JobDetails {
        title: "Senior Rust Engineer".into(),
        description: "Build the hiring ledger.".into(),
        requirements: "Rust, PostgreSQL, Kafka".into(),
        department: "Engineering".into(),
        location: "Remote".into(),
        employment_type: EmploymentType::FullTime,
        salary: None,
        skills: vec![Skill {
            name: "Rust".into(),
            weight: 10,
        }],
    };
    let job = pipeline
        .create_job(Actor::System, Some(company_id), details, None, false, &meta)
        .await?;
    let candidate = pipeline
        .create_candidate(
            Actor::System,
            Some(company_id),
            CandidateInput {
                name: "Bench Candidate".into(),
                email: format!(
                    "candidate-{}@bench-read.example.com",
                    Uuid::new_v4().simple()
                ),
                phone: None,
                position: "Engineer".into(),
                domain: "software".into(),
                experience_years: 5,
                qualifications: vec![],
                source: CandidateSource::Manual,
                tags: vec!["bench".into()],
            },
            None,
            None,
            &meta,
        )
        .await?;
    Ok(Fixture {
        company_id,
        hr_email,
        hr_password,
        job_id: job.job_id,
        candidate_id: candidate.candidate_id,
    })
}

/// Seeds `rm_candidates` of `company_id` up to `n` rows, spread over the last 100 days.
async fn seed(pool: &sqlx::PgPool, company_id: Uuid, n: u32) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO rm_candidates (candidate_id, company_id, name, email, position, domain,
             experience_years, source, tags, created_at, updated_at, version)
         SELECT gen_random_uuid(), $1, 'Seeded Candidate ' || i,
             'seeded-' || i || '@bench-read.example.com', 'Engineer', 'software', i % 30,
             'IMPORT', ARRAY['seeded'], now() - make_interval(secs => i * 86.4), now(), 1
         FROM generate_series(1, $2) AS i",
    )
    .bind(company_id)
    .bind(i64::from(n.saturating_sub(1)))
    .execute(pool)
    .await
    .context("seeding candidates")?;
    // What autovacuum does to a table in steady state: statistics, and the visibility map that
    // lets the list's count(*) be an index-only scan without heap fetches.
    sqlx::query("VACUUM (ANALYZE) rm_candidates")
        .execute(pool)
        .await
        .context("vacuuming")?;
    Ok(())
}

/// The plans of the candidate list as the API runs it: first page, by assignee, text search.
async fn plans(
    pool: &sqlx::PgPool,
    company_id: Uuid,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let base = CandidateFilter {
        company_id: Some(company_id),
        ..CandidateFilter::default()
    };
    let cases = [
        ("candidate list, first page", base.clone()),
        (
            "candidate list of one assignee",
            CandidateFilter {
                assigned_to: Some(Uuid::now_v7()),
                ..base.clone()
            },
        ),
        (
            "candidate list, search by name/e-mail",
            CandidateFilter {
                q: Some("seeded candidate 4242".into()),
                ..base.clone()
            },
        ),
    ];
    let mut out = Vec::new();
    for (name, filter) in cases {
        let plan =
            explain_list_candidates(pool, &filter, CandidateSort::CreatedDesc, 1, 20).await?;
        out.push((name, plan));
    }
    Ok(out)
}

async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "login failed: {}", res.status());
    let body: serde_json::Value = res.json().await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("no access token")
}

/// `clients` loops GETting `url` for `duration`; every answer must be 200.
async fn measure(
    url: &str,
    token: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let res = client.get(&url).bearer_auth(&token).send().await?;
                let status = res.status();
                let _ = res.bytes().await?;
                anyhow::ensure!(status.is_success(), "GET answered {status}");
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok(Measured {
        requests: all.len(),
        rps: all.len() as f64 / elapsed,
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
    })
}

async fn run(
    common: &CommonSettings,
    args: &BenchReadArgs,
    secret: &secrecy::SecretString,
    url: &str,
) -> anyhow::Result<()> {
    let pool = hireledger_infra::db::connect(secret, (args.concurrency as u32 + 8).max(16)).await?;
    let mut common = common.clone();
    common.database_url = secret.clone();
    common.topic_prefix = format!("benchread{}", Uuid::new_v4().simple());
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let relay = tokio::spawn(hireledger_infra::relay::run_relay(
        pool.clone(),
        super::roles::relay_config_default(&common),
        stopped(stop_rx.clone()),
    ));
    let projectors = {
        let (pool, common, rx) = (pool.clone(), common.clone(), stop_rx.clone());
        tokio::spawn(async move {
            tokio::try_join!(
                hireledger_projections::run_identity(
                    pool.clone(),
                    &common,
                    "bench-read-identity",
                    stopped(rx.clone())
                ),
                hireledger_projections::run_pipeline(
                    pool,
                    &common,
                    "bench-read-pipeline",
                    stopped(rx)
                ),
            )
        })
    };
    let vault = Vault::new(pool.clone(), &common.master_key)?;
    let identity = Identity::new(pool.clone(), vault.clone());
    let pipeline = Pipeline::new(pool.clone(), vault);
    let f = fixture(&identity, &pipeline).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    wait_until(deadline, || {
        let pool = pool.clone();
        let ids = [f.job_id, f.candidate_id];
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM rm_pipeline_versions WHERE aggregate_id = ANY($1)",
            )
            .bind(&ids[..])
            .fetch_one(&pool)
            .await?;
            Ok(n == 2)
        }
    })
    .await
    .context("waiting for the job and the candidate to be projected")?;
    seed(&pool, f.company_id, args.candidates).await?;

    let plans = plans(&pool, f.company_id).await?;

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let api = hireledger_api::ApiSettings {
        login_per_ip_per_minute: 1000,
        login_per_email_per_minute: 1000,
        ..hireledger_api::ApiSettings::default()
    };
    let server = tokio::spawn(hireledger_api::serve(
        pool.clone(),
        common.clone(),
        api,
        listener,
        stopped(stop_rx.clone()),
    ));
    let token = login(&base, &f.hr_email, &f.hr_password).await?;
    let duration = Duration::from_secs(args.seconds);
    let endpoints = [
        ("GET one job", format!("{base}/api/v1/jobs/{}", f.job_id)),
        (
            "GET one candidate",
            format!("{base}/api/v1/candidates/{}", f.candidate_id),
        ),
        (
            "GET candidate list, page 1 (20)",
            format!("{base}/api/v1/candidates?page=1&page_size=20"),
        ),
    ];
    let mut results = Vec::new();
    for (name, url) in &endpoints {
        results.push((
            *name,
            measure(url, &token, args.concurrency, duration).await?,
        ));
    }
    let _ = stop_tx.send(true);
    let _ = server.await;
    let _ = relay.await;
    let _ = projectors.await;

    let (url, clients, secs) = (url.to_owned(), args.concurrency, args.seconds);
    let pgbench_tps = tokio::task::spawn_blocking(move || {
        pgbench_run(&url, &["-i".into(), "-q".into(), "-s".into(), "10".into()])?;
        pgbench(
            &url,
            &[
                "-S".into(),
                "-n".into(),
                "-c".into(),
                clients.to_string(),
                "-j".into(),
                "2".into(),
                "-T".into(),
                secs.to_string(),
            ],
        )
    })
    .await??;

    println!(
        "HireLedger read-side benchmark ({} candidates in the company, {} clients, {} s each)",
        args.candidates, args.concurrency, args.seconds
    );
    for (name, m) in &results {
        println!(
            "  {name:<34}: {:>9.1} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests)",
            m.rps, m.p50_ms, m.p99_ms, m.requests
        );
    }
    println!("  pgbench -S (select-only) tps       : {pgbench_tps:>9.1}");
    println!("Plans at this size:");
    for (name, plan) in plans {
        println!("  {name}:");
        for line in plan.lines() {
            println!("    {line}");
        }
    }
    Ok(())
}
