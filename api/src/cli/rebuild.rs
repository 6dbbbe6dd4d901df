//! `hireledger project --rebuild NAME`: one read model rebuilt from offset 0 into fresh tables,
//! then switched to (see `hireledger_projections::rebuild`). A progress bar on a terminal, plain
//! progress lines otherwise.

use hireledger_infra::CommonSettings;
use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

/// Redraws at most this often on a terminal; prints a line this often otherwise.
const BAR_EVERY: Duration = Duration::from_millis(200);
const LINE_EVERY: Duration = Duration::from_secs(2);

pub(crate) async fn rebuild(
    common: CommonSettings,
    pool: sqlx::PgPool,
    name: &str,
) -> anyhow::Result<()> {
    let terminal = std::io::stdout().is_terminal();
    let started = Instant::now();
    let mut last: Option<Instant> = None;
    let mut progress = |done: i64, total: i64| {
        let every = if terminal { BAR_EVERY } else { LINE_EVERY };
        if last.is_some_and(|t| t.elapsed() < every) && done < total {
            return;
        }
        last = Some(Instant::now());
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
        let pct = if total > 0 {
            (done.min(total) * 100) / total
        } else {
            100
        };
        if terminal {
            let filled = usize::try_from(pct / 4).unwrap_or(0);
            print!(
                "\r  [{}{}] {pct:>3}%  {done}/{total} messages  {rate:.0}/s ",
                "#".repeat(filled),
                ".".repeat(25 - filled.min(25))
            );
            let _ = std::io::stdout().flush();
        } else {
            println!("rebuild {name}: {done}/{total} messages ({pct}%), {rate:.0}/s");
        }
    };
    println!(
        "rebuilding the {name} read model from offset 0 (the API keeps serving the current one)"
    );
    let report =
        hireledger_projections::rebuild::rebuild(&pool, &common, name, &mut progress).await;
    if terminal {
        println!();
    }
    let report = report?;
    println!(
        "rebuilt {}: {} messages replayed in {:.2} s ({:.0} messages/s); switched over with the \
         live projectors paused for {} ms",
        report.projector,
        report.messages,
        report.replay.as_secs_f64(),
        report.messages_per_second(),
        report.switch_pause.as_millis()
    );
    Ok(())
}
