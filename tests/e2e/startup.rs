//! Start-up refusals of the real binary: development secrets never serve beyond loopback
//! outside development mode (issue 7, must-fix 2). The `Secure` refresh cookie is tested in
//! `api::auth`.

use crate::crash::hireledger_bin;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// Runs `hireledger <args>` with a clean secret environment plus `env`; returns (success, stderr).
async fn run_binary(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(hireledger_bin());
    cmd.args(args)
        .env_remove("HIRELEDGER_JWT_SECRET")
        .env_remove("HIRELEDGER_MASTER_KEY")
        .env_remove("HIRELEDGER_DEV_MODE")
        .env_remove("HIRELEDGER_BIND")
        // Nothing is listening there: the refusal must come before any connection.
        .env(
            "HIRELEDGER_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .env("HIRELEDGER_LOG", "error")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("the binary answers at once")
        .expect("run hireledger");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn serve_and_up_refuse_development_secrets_on_a_public_address() {
    for role in ["serve", "up"] {
        let (ok, stderr) = run_binary(&[role, "--bind", "0.0.0.0:0"], &[]).await;
        assert!(!ok, "{role} started with the development JWT secret");
        assert!(stderr.contains("HIRELEDGER_JWT_SECRET"), "{role}: {stderr}");

        let secret = [(
            "HIRELEDGER_JWT_SECRET",
            "a-real-production-secret-of-at-least-32-bytes",
        )];
        let (ok, stderr) = run_binary(&[role, "--bind", "0.0.0.0:0"], &secret).await;
        assert!(!ok, "{role} started with the development master key");
        assert!(stderr.contains("HIRELEDGER_MASTER_KEY"), "{role}: {stderr}");
    }
}

#[tokio::test]
async fn development_flag_or_loopback_gets_past_the_secret_check() {
    // With `--dev` (or on loopback) the check passes and the binary goes on to the database,
    // which is not there: it fails on the connection, not on the secrets.
    for (args, env) in [
        (vec!["serve", "--bind", "0.0.0.0:0", "--dev"], vec![]),
        (
            vec!["serve", "--bind", "0.0.0.0:0"],
            vec![("HIRELEDGER_DEV_MODE", "true")],
        ),
        (vec!["serve", "--bind", "127.0.0.1:0"], vec![]),
    ] {
        let (ok, stderr) = run_binary(&args, &env).await;
        assert!(!ok, "no database: {args:?} cannot start");
        assert!(
            !stderr.contains("refusing to serve"),
            "{args:?} {env:?}: {stderr}"
        );
    }
}
