//! Issue 7, must-fix 6: a transient database error met while opening a sealed value (the vault's
//! own connection) is retried by the pipeline projector, never taken for a poison message.

use super::harness::{DEADLINE, Harness, eventually};
use crate::support;
use chrono::Utc;
use hireledger_infra::vault::Vault;
use hireledger_projections::queries::ViewKind;
use hireledger_projections::{PipelineProjector, pipeline_topics, run_projector};
use hireledger_schemas::candidate::{CandidateCreatedV2, CandidateProfileV2, CandidateSourceV1};
use hireledger_schemas::common::PersonalTextV2;
use hireledger_schemas::{CandidateEventV1, PublishedEvent};
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Transactions rolled back in this test's database so far (each failed batch is one).
async fn rollbacks(h: &Harness) -> i64 {
    // Statistics are flushed by each backend about once a second; read the shared view fresh.
    sqlx::query_scalar(
        "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(h.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transient_vault_error_is_retried_not_taken_for_poison() {
    let h = Harness::new(1).await;
    let topics = pipeline_topics(&h.prefix);
    let deadline = Instant::now() + DEADLINE;
    while let Err(e) = hireledger_infra::kafka::ensure_topics(&h.brokers, &topics, 1).await {
        assert!(Instant::now() < deadline, "creating topics: {e:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The projector's vault has a pool of one connection, which the test holds: every `open`
    // fails with a pool timeout (a transient database error) until the test lets go.
    let vault_pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(200))
        .connect(&h.db.url)
        .await
        .unwrap();
    let held = vault_pool.acquire().await.unwrap();
    let vault = Vault::new(vault_pool.clone(), &support::dev_master_key()).unwrap();

    let candidate = Uuid::now_v7();
    let company = Uuid::now_v7();
    let profile = CandidateProfileV2 {
        name: h
            .seal(
                candidate,
                hireledger_infra::vault::Field::Name,
                "Vera Vault",
            )
            .await,
        email: h
            .seal(
                candidate,
                hireledger_infra::vault::Field::Email,
                "vera@vault.example",
            )
            .await,
        phone: None,
        qualifications: None,
        position: PersonalTextV2::Clear(String::new()),
        domain: String::new(),
        experience_years: 3,
        source: CandidateSourceV1::Manual,
        tags: Vec::new(),
    };
    let before = rollbacks(&h).await;

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let projector = Arc::new(PipelineProjector::new(vault));
    let (pool, brokers, group) = (
        h.pool().clone(),
        h.brokers.clone(),
        support::unique("pipeline"),
    );
    let task = tokio::spawn(async move {
        run_projector(pool, &brokers, &group, topics, projector, async move {
            let _ = stopped.await;
        })
        .await
    });
    h.send(
        candidate,
        1,
        Utc::now(),
        Some(company),
        PublishedEvent::Candidate(CandidateEventV1::CandidateCreated(CandidateCreatedV2 {
            candidate_id: candidate,
            company_id: company,
            created_by: None,
            profile,
            user_id: None,
            import_id: None,
        })),
    )
    .await;

    // The batch fails (and rolls back) again and again while the projector keeps running; the
    // old code stopped at the first failure, calling it a poison message.
    eventually("two failed attempts at the batch", async || {
        assert!(
            !task.is_finished(),
            "the projector stopped on a transient error"
        );
        rollbacks(&h).await >= before + 2
    })
    .await;
    assert!(
        !task.is_finished(),
        "the projector stopped on a transient error"
    );

    drop(held);
    h.wait_version(ViewKind::Pipeline, candidate, 1).await;
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM rm_candidates WHERE candidate_id = $1")
            .bind(candidate)
            .fetch_one(h.pool())
            .await
            .unwrap();
    assert_eq!(name.as_deref(), Some("Vera Vault"));
    let _ = stop.send(());
    tokio::time::timeout(DEADLINE, task)
        .await
        .expect("stops in time")
        .expect("no panic")
        .expect("the projector ends without error");
}
