//! Open loop: commands are started on a fixed schedule (`rate` per second) whether or not the
//! earlier ones finished, so a system that falls behind shows it as latency and lag instead of
//! quietly slowing the load down (no coordinated omission: latency counts from the scheduled
//! start).

use super::report::{OpenLoop, Percentiles};
use super::{Rig, register_named};
use anyhow::Context;
use std::time::{Duration, Instant};

/// Commands allowed in flight before the schedule is declared unsustainable.
const MAX_IN_FLIGHT: usize = 2048;

pub(super) async fn run(
    rig: &Rig,
    rate: u32,
    seconds: Duration,
    already: i64,
) -> anyhow::Result<OpenLoop> {
    anyhow::ensure!(rate > 0, "a rate must be positive");
    let total = (f64::from(rate) * seconds.as_secs_f64()).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let prefix = format!("Rate {rate} Company ");
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    let mut behind_at = None;
    for i in 0..total {
        let scheduled = started + interval * u32::try_from(i).unwrap_or(u32::MAX);
        tokio::time::sleep_until(scheduled.into()).await;
        let in_flight = tasks
            .iter()
            .filter(|t: &&tokio::task::JoinHandle<_>| !t.is_finished())
            .count();
        if in_flight >= MAX_IN_FLIGHT {
            behind_at = Some(i);
            break;
        }
        let (identity, name) = (rig.identity.clone(), format!("{prefix}{i}"));
        tasks.push(tokio::spawn(async move {
            register_named(&identity, name).await?;
            Ok::<_, anyhow::Error>(scheduled.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let offered = tasks.len();
    let mut latencies = Vec::with_capacity(offered);
    for t in tasks {
        latencies.push(t.await.context("command task")??);
    }
    let elapsed = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(300);
    rig.projected(deadline, already + offered as i64).await?;
    let lags = rig.lags(&prefix).await?;
    latencies.sort_by(f64::total_cmp);
    Ok(OpenLoop {
        offered_per_s: rate,
        seconds: seconds.as_secs(),
        offered,
        achieved_per_s: offered as f64 / elapsed.as_secs_f64(),
        gave_up_after: behind_at,
        latency_ms: Percentiles::of(&latencies),
        lag_ms: Percentiles::of(&lags),
    })
}
