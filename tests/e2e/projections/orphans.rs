//! Issue 7, must-fix 3: two pipeline projector instances racing on a candidate's deletion (one
//! applies the deletion from the candidate topic, the other an application from its own topic)
//! cannot leave an orphan row. The two transactions are driven by hand to force the interleaving
//! "check the tombstone → delete and commit → insert and commit".

use super::harness::{Harness, eventually};
use chrono::Utc;
use hireledger_projections::{Envelope, PipelineProjector, Projector};
use hireledger_schemas::application::{ApplicationSourceV1, ApplicationSubmittedV1};
use hireledger_schemas::candidate::CandidateDeletedV1;
use hireledger_schemas::{ApplicationEventV1, CandidateEventV1, PublishedEvent};
use std::sync::Arc;
use uuid::Uuid;

fn envelope(topic: &str, aggregate_id: Uuid, tenant: Uuid, event: PublishedEvent) -> Envelope {
    Envelope {
        topic: topic.to_owned(),
        partition: 0,
        offset: 0,
        aggregate_id,
        sequence: 1,
        recorded_at: Utc::now(),
        tenant: Some(tenant),
        event,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deletion_racing_an_insert_leaves_no_orphan_row() {
    let h = Harness::new(1).await;
    let projector = Arc::new(PipelineProjector::new(h.vault.clone()));
    let (company, candidate, job) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let application = Uuid::now_v7();
    let submitted = envelope(
        "application",
        application,
        company,
        PublishedEvent::Application(ApplicationEventV1::ApplicationSubmitted(
            ApplicationSubmittedV1 {
                application_id: application,
                job_id: job,
                candidate_id: candidate,
                candidate_user_id: None,
                company_id: company,
                source: ApplicationSourceV1::Hr,
                submitted_by: None,
                at: Utc::now(),
            },
        )),
    );
    let deleted = envelope(
        "candidate",
        candidate,
        company,
        PublishedEvent::Candidate(CandidateEventV1::CandidateDeleted(CandidateDeletedV1 {
            deleted_by: None,
        })),
    );

    // Instance A checks the tombstone (none yet) and inserts the application, not committed.
    let mut a = h.pool().begin().await.unwrap();
    projector.apply(&mut a, &submitted).await.unwrap();
    // Instance B applies the deletion meanwhile.
    let b = {
        let (pool, projector) = (h.pool().clone(), Arc::clone(&projector));
        tokio::spawn(async move {
            let mut b = pool.begin().await.unwrap();
            projector.apply(&mut b, &deleted).await.unwrap();
            b.commit().await.unwrap();
        })
    };
    // B either finished (the old code: nothing made it wait) or waits for A's lock.
    eventually("the deletion to finish or wait for the insert", async || {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks
                 WHERE locktype = 'advisory' AND NOT granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
        )
        .fetch_one(h.pool())
        .await
        .unwrap();
        b.is_finished() || waiting
    })
    .await;
    a.commit().await.unwrap();
    b.await.unwrap();

    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM rm_applications WHERE candidate_id = $1")
            .bind(candidate)
            .fetch_one(h.pool())
            .await
            .unwrap();
    assert_eq!(rows, 0, "an application of a deleted candidate survived");
    let tombstone: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM rm_deleted_candidates WHERE candidate_id = $1)",
    )
    .bind(candidate)
    .fetch_one(h.pool())
    .await
    .unwrap();
    assert!(tombstone);
}
