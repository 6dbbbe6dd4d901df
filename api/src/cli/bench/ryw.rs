//! Read-your-writes: sequential command → read pairs, each read waiting (as the API's
//! `min_version` does, with the same function and the default 2 s wait) for the version the
//! command returned. A miss is a read that would have answered 503 `READ_001`.

use super::Rig;
use super::report::{Percentiles, ReadYourWrites};
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::RegisterCompany;
use hireledger_projections::ViewKind;
use hireledger_projections::queries::wait_for_version;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The API's default read wait (`HIRELEDGER_READ_WAIT_MS`).
const READ_WAIT: Duration = Duration::from_secs(2);

pub(super) async fn run(rig: &Rig, pairs: usize) -> anyhow::Result<ReadYourWrites> {
    let mut waits = Vec::with_capacity(pairs);
    let mut misses = 0;
    for i in 0..pairs {
        let registered = rig
            .identity
            .register_company(
                RegisterCompany {
                    name: format!("RYW Company {i}"),
                    domain: format!("{}.example.com", Uuid::new_v4().simple()),
                    contact_name: "Bench Contact".into(),
                    contact_email: format!("ryw-{}@bench.example.com", Uuid::new_v4().simple()),
                },
                &CommandMetadata::system("bench"),
            )
            .await?;
        let version = i64::try_from(registered.committed.version).unwrap_or(i64::MAX);
        let started = Instant::now();
        let seen = wait_for_version(
            &rig.pool,
            ViewKind::Company,
            registered.company_id,
            version,
            READ_WAIT,
        )
        .await?;
        waits.push(started.elapsed().as_secs_f64() * 1000.0);
        if !seen {
            misses += 1;
        }
    }
    waits.sort_by(f64::total_cmp);
    Ok(ReadYourWrites {
        pairs,
        misses,
        wait_ms: Percentiles::of(&waits),
    })
}
