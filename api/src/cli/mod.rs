//! Subcommands: migrate, topics, serve, relay, project, up (all roles in one process), create-admin.

mod admin;
mod bench;
mod bench_import;
mod bench_read;
mod rebuild;
mod roles;
mod topics;

use clap::{Parser, Subcommand};
use hireledger_infra::CommonSettings;

#[derive(Parser, Debug)]
#[command(
    name = "hireledger",
    version,
    about = "HireLedger: every hiring step is an event"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    common: CommonSettings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the database if needed and apply every migration.
    Migrate,
    /// Create and check the event topics (partitions, no deletion by age, never compacted).
    Topics(topics::TopicsArgs),
    /// Serve the HTTP API.
    Serve(hireledger_api::ApiSettings),
    /// Publish committed events to Kafka in commit order (one active instance, others standby).
    Relay(roles::RelayArgs),
    /// Run the projectors that keep the read models up to date (or, with `--rebuild NAME`,
    /// rebuild one read model from offset 0 and switch the API over to it).
    Project {
        #[command(flatten)]
        args: roles::ProjectArgs,
        /// Rebuild this read model (`identity` or `pipeline`) from offset 0 into fresh tables,
        /// switch to them once caught up, report messages/s, and exit.
        #[arg(long, value_name = "NAME")]
        rebuild: Option<String>,
    },
    /// Everything in one process: migrate, relay, projectors and the API.
    Up {
        #[command(flatten)]
        api: hireledger_api::ApiSettings,
        #[command(flatten)]
        relay: roles::RelayArgs,
        #[command(flatten)]
        project: roles::ProjectArgs,
    },
    /// Create a platform administrator (password from HIRELEDGER_ADMIN_PASSWORD). Idempotent.
    CreateAdmin(admin::CreateAdminArgs),
    /// Measure the write path end to end on a scratch database, next to pgbench.
    Bench(bench::BenchArgs),
    /// Measure the read side (one job, one candidate, the candidate list) at 100k candidates,
    /// next to `pgbench -S`.
    BenchRead(bench_read::BenchReadArgs),
    /// Measure a CSV import of `--rows` candidates end to end (command side, read model) and a
    /// neighbour company's read-your-writes meanwhile.
    BenchImport(bench_import::BenchImportArgs),
}

pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let common = cli.common;
    if common.master_key_is_dev_default() {
        tracing::warn!("using the development master key; set HIRELEDGER_MASTER_KEY in production");
    }
    // Refuse before anything starts (`up` would migrate and start the relay first).
    if let Command::Serve(api) | Command::Up { api, .. } = &cli.command {
        api.refuse_insecure_defaults(api.bind, common.master_key_is_dev_default())?;
    }
    match cli.command {
        Command::Migrate => {
            hireledger_infra::db::migrate(&common.database_url).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Topics(args) => topics::topics(common, args).await,
        Command::Serve(api) => roles::serve(common, api).await,
        Command::Relay(args) => roles::relay(common, args).await,
        Command::Project {
            rebuild: Some(name),
            ..
        } => {
            let pool = hireledger_infra::db::connect(&common.database_url, 8).await?;
            rebuild::rebuild(common, pool, &name).await
        }
        Command::Project {
            args,
            rebuild: None,
        } => roles::project(common, args).await,
        Command::Up {
            api,
            relay,
            project,
        } => roles::up(common, api, relay, project).await,
        Command::CreateAdmin(args) => admin::create_admin(common, args).await,
        Command::Bench(args) => bench::bench(common, args).await,
        Command::BenchRead(args) => bench_read::bench_read(common, args).await,
        Command::BenchImport(args) => bench_import::bench_import(common, args).await,
    }
}
