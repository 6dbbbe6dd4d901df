//! `hireledger`: one binary, one subcommand per role.

use clap::Parser;

mod cli;

fn main() -> std::process::ExitCode {
    hireledger_infra::telemetry::init();
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hireledger: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "hireledger failed");
            eprintln!("hireledger: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
