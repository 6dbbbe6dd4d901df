//! The bench's results: printed as a table and written as JSON so two runs can be compared.

use super::percentile;
use anyhow::Context;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Percentiles {
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Percentiles {
    /// Of ascending samples.
    pub(crate) fn of(sorted: &[f64]) -> Self {
        Self {
            p50: percentile(sorted, 0.5),
            p99: percentile(sorted, 0.99),
            max: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ClosedLoop {
    pub(crate) commands: usize,
    pub(crate) concurrency: usize,
    pub(crate) durable_in_postgres_per_s: f64,
    pub(crate) durable_on_kafka_per_s: f64,
    pub(crate) latency_ms: Percentiles,
    pub(crate) lag_ms: Percentiles,
}

#[derive(Debug, Serialize)]
pub(crate) struct OpenLoop {
    pub(crate) offered_per_s: u32,
    pub(crate) seconds: u64,
    /// Commands actually started (fewer than rate × seconds when the run gave up).
    pub(crate) offered: usize,
    pub(crate) achieved_per_s: f64,
    /// Set when too many commands were in flight to go on: the rate is not sustainable.
    pub(crate) gave_up_after: Option<usize>,
    /// From each command's scheduled start to its commit.
    pub(crate) latency_ms: Percentiles,
    /// From each event's commit in the store to its read-model commit.
    pub(crate) lag_ms: Percentiles,
}

/// Sequential command → read pairs at the API's default read wait.
#[derive(Debug, Serialize)]
pub(crate) struct ReadYourWrites {
    pub(crate) pairs: usize,
    /// Reads that would have answered 503 `READ_001` (the wait ended first).
    pub(crate) misses: usize,
    /// How long each read waited for its write.
    pub(crate) wait_ms: Percentiles,
}

/// `project --rebuild identity` over everything the run wrote.
#[derive(Debug, Serialize)]
pub(crate) struct Rebuild {
    pub(crate) messages: i64,
    pub(crate) seconds: f64,
    pub(crate) messages_per_s: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Machine {
    cores: usize,
    os: &'static str,
    arch: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct Results {
    kind: &'static str,
    at: String,
    machine: Machine,
    broker: String,
    postgres: String,
    closed_loop: ClosedLoop,
    open_loop: Vec<OpenLoop>,
    read_your_writes: ReadYourWrites,
    rebuild_from_offset_0: Rebuild,
    /// The highest offered rate whose p99 lag stayed under 1 s (none when even the lowest did not).
    highest_rate_p99_lag_under_1s: Option<u32>,
    pgbench_insert_tps: f64,
    /// Commands durable on Kafka per second ÷ pgbench single-row insert tps.
    ratio_kafka_to_pgbench: f64,
}

impl Results {
    pub(crate) fn new(
        closed_loop: ClosedLoop,
        open_loop: Vec<OpenLoop>,
        read_your_writes: ReadYourWrites,
        rebuild_from_offset_0: Rebuild,
        pgbench_insert_tps: f64,
        postgres: String,
    ) -> Self {
        let highest = open_loop
            .iter()
            .filter(|r| r.gave_up_after.is_none() && r.lag_ms.p99 < 1000.0)
            .map(|r| r.offered_per_s)
            .max();
        Self {
            kind: "write-path",
            at: chrono::Utc::now().to_rfc3339(),
            machine: Machine {
                cores: std::thread::available_parallelism().map_or(0, usize::from),
                os: std::env::consts::OS,
                arch: std::env::consts::ARCH,
            },
            broker: std::env::var("HIRELEDGER_BROKER_VERSION").unwrap_or_else(|_| "unknown".into()),
            postgres,
            ratio_kafka_to_pgbench: closed_loop.durable_on_kafka_per_s / pgbench_insert_tps,
            closed_loop,
            open_loop,
            read_your_writes,
            rebuild_from_offset_0,
            highest_rate_p99_lag_under_1s: highest,
            pgbench_insert_tps,
        }
    }

    pub(crate) fn print(&self) {
        let c = &self.closed_loop;
        println!(
            "HireLedger write-path benchmark ({} cores; broker {}; PostgreSQL {})",
            self.machine.cores, self.broker, self.postgres
        );
        println!(
            "closed loop: {} commands, {} in flight",
            c.commands, c.concurrency
        );
        println!(
            "  commands/s, events durable in Postgres : {:>10.1}",
            c.durable_in_postgres_per_s
        );
        println!(
            "  commands/s, events durable on Kafka    : {:>10.1}",
            c.durable_on_kafka_per_s
        );
        println!(
            "  command latency p50 / p99 (ms)         : {:>10.2} / {:.2}",
            c.latency_ms.p50, c.latency_ms.p99
        );
        println!(
            "  projection lag p50 / p99 / max (ms)    : {:>10.2} / {:.2} / {:.2}",
            c.lag_ms.p50, c.lag_ms.p99, c.lag_ms.max
        );
        println!(
            "  pgbench single-row insert tps          : {:>10.1}",
            self.pgbench_insert_tps
        );
        println!(
            "  ratio (durable on Kafka / pgbench)     : {:>10.3}",
            self.ratio_kafka_to_pgbench
        );
        let w = &self.read_your_writes;
        println!(
            "  read-your-writes, sequential pairs      : {:>10} misses of {} (wait p50 / p99 / max {:.1} / {:.1} / {:.1} ms)",
            w.misses, w.pairs, w.wait_ms.p50, w.wait_ms.p99, w.wait_ms.max
        );
        let r = &self.rebuild_from_offset_0;
        println!(
            "  read-model rebuild from offset 0        : {:>10.0} messages/s ({} in {:.2} s)",
            r.messages_per_s, r.messages, r.seconds
        );
        if !self.open_loop.is_empty() {
            println!(
                "open loop (latency from the scheduled start; lag = read-model commit - event commit):"
            );
            println!(
                "  {:>8} {:>9} {:>22} {:>30}",
                "offered/s", "achieved/s", "latency p50/p99 ms", "lag p50/p99/max ms"
            );
            for r in &self.open_loop {
                println!(
                    "  {:>8} {:>9.1} {:>10.1} / {:>9.1} {:>9.1} / {:>8.1} / {:>8.1}{}",
                    r.offered_per_s,
                    r.achieved_per_s,
                    r.latency_ms.p50,
                    r.latency_ms.p99,
                    r.lag_ms.p50,
                    r.lag_ms.p99,
                    r.lag_ms.max,
                    r.gave_up_after
                        .map(|i| format!("  (gave up after {i} commands)"))
                        .unwrap_or_default()
                );
            }
            match self.highest_rate_p99_lag_under_1s {
                Some(r) => println!("  highest offered rate with p99 lag < 1 s: {r}/s"),
                None => println!("  no offered rate kept p99 lag under 1 s"),
            }
        }
    }

    pub(crate) fn write(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }
}
