//! Crash tests: the relay and the projector run as real `hireledger` processes and are killed
//! with SIGKILL over and over while commands are being written. Afterwards every event must be on
//! Kafka and the read model must equal a rebuild from the event store, with nothing applied twice.

use crate::support::{self, TestDb, wait_for};
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, RegisterCompany};
use hireledger_domain::Actor;
use hireledger_infra::vault::Vault;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The `hireledger` binary next to this test binary (`target/<profile>/hireledger`), or
/// `HIRELEDGER_BIN`. `infra/local/test.sh` builds it before the tests run.
pub(crate) fn hireledger_bin() -> PathBuf {
    if let Ok(p) = std::env::var("HIRELEDGER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("hireledger");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p hireledger-api --bin hireledger` first",
        bin.display()
    );
    bin
}

struct Role {
    args: &'static [&'static str],
    env: Vec<(&'static str, String)>,
    child: Option<Child>,
}

impl Role {
    fn start(&mut self) {
        let mut cmd = Command::new(hireledger_bin());
        cmd.args(self.args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("HIRELEDGER_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        self.child = Some(cmd.spawn().expect("spawn hireledger"));
    }

    /// SIGKILL: no graceful shutdown, no flushing.
    async fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().await.expect("kill");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_relay_and_projector_loses_and_duplicates_nothing() {
    let db = TestDb::new().await;
    let prefix = db.topic_prefix("crash");
    let env = vec![
        ("HIRELEDGER_DATABASE_URL", db.url.clone()),
        ("HIRELEDGER_KAFKA_BROKERS", support::brokers()),
        ("HIRELEDGER_TOPIC_PREFIX", prefix.clone()),
        ("HIRELEDGER_PROJECTOR_GROUP", support::unique("crash_group")),
        ("HIRELEDGER_RELAY_POLL_MS", "50".into()),
        ("HIRELEDGER_RELAY_BATCH", "50".into()),
    ];
    let mut relay = Role {
        args: &["relay"],
        env: env.clone(),
        child: None,
    };
    let mut projector = Role {
        args: &["project"],
        env,
        child: None,
    };
    relay.start();
    projector.start();

    let vault = Vault::new(db.pool.clone(), &support::dev_master_key()).expect("vault");
    let identity = Identity::new(db.pool.clone(), vault);
    const COMPANIES: usize = 240;
    let load = {
        let identity = identity.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..COMPANIES {
                let registered = identity
                    .register_company(
                        RegisterCompany {
                            name: format!("Crash Co {i}"),
                            domain: format!("crash-{i}.example.org"),
                            contact_name: "Casey".into(),
                            contact_email: format!("casey{i}@crash-{i}.example.org"),
                        },
                        &CommandMetadata::system("crash-test"),
                    )
                    .await
                    .expect("register");
                if i % 3 == 0 {
                    identity
                        .reject_company(
                            Actor::System,
                            registered.company_id,
                            "duplicate".into(),
                            &CommandMetadata::system("crash-test"),
                        )
                        .await
                        .expect("reject");
                }
                ids.push(registered.company_id);
            }
            ids
        })
    };

    let mut kills = (0u32, 0u32);
    let mut round = 0u32;
    while !load.is_finished() {
        tokio::time::sleep(Duration::from_millis(250 + u64::from(round % 4) * 100)).await;
        if round.is_multiple_of(2) {
            relay.kill().await;
            relay.start();
            kills.0 += 1;
        } else {
            projector.kill().await;
            projector.start();
            kills.1 += 1;
        }
        round += 1;
    }
    let ids = load.await.expect("load task");
    assert_eq!(ids.len(), COMPANIES);

    let pool = db.pool.clone();
    let total_events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'company'")
            .fetch_one(&pool)
            .await
            .unwrap();
    wait_for(
        "the relay to publish everything",
        Duration::from_secs(120),
        async || hireledger_infra::relay::relay_lag(&pool).await.unwrap() == 0,
    )
    .await;
    wait_for(
        "the projector to apply everything",
        Duration::from_secs(120),
        async || {
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT sum(events_applied)::bigint FROM rm_companies")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            applied == Some(total_events)
        },
    )
    .await;
    relay.kill().await;
    projector.kill().await;
    let agreed = support::company_spine_agrees(&pool, &support::brokers(), &prefix).await;
    println!(
        "crash test: {} events from {COMPANIES} companies; relay killed {} times, projector killed {} times; \
         all {} on Kafka ({} redelivered duplicates, deduplicated by the projector); read model = rebuild ({} rows, md5 {})",
        total_events, kills.0, kills.1, agreed.events, agreed.redelivered, agreed.rows, agreed.md5
    );
    assert!(
        kills.0 >= 2 && kills.1 >= 2,
        "the load ended before enough kills: {kills:?}"
    );
}
