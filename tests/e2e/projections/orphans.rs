//! Issue 7, must-fix 3: two pipeline projector instances racing on a candidate's deletion (one
//! applies the deletion from the candidate topic, the other an application from its own topic)
//! cannot leave an orphan row. The two transactions are driven by hand to force the interleaving
//! "check the tombstone → delete and commit → insert and commit".

use super::harness::{Harness, eventually};
use chrono::Utc;
use hireledger_projections::{Envelope, PipelineProjector, Projector};
use hireledger_schemas::application::{ApplicationSourceV1, ApplicationSubmittedV1};
use hireledger_schemas::candidate::CandidateDeletedV1;
use hireledger_schemas::common::PersonalTextV2;
use hireledger_schemas::interview::{
    CriterionRatingV2, FeedbackSubmittedV2, InterviewKindV1, InterviewModeV1, InterviewScheduledV1,
    RecommendationV1,
};
use hireledger_schemas::{ApplicationEventV1, CandidateEventV1, InterviewEventV1, PublishedEvent};
use std::sync::Arc;
use uuid::Uuid;

fn envelope(topic: &str, aggregate_id: Uuid, tenant: Uuid, event: PublishedEvent) -> Envelope {
    sequenced(topic, aggregate_id, tenant, 1, event)
}

fn sequenced(
    topic: &str,
    aggregate_id: Uuid,
    tenant: Uuid,
    sequence: i64,
    event: PublishedEvent,
) -> Envelope {
    Envelope {
        topic: topic.to_owned(),
        partition: 0,
        offset: 0,
        aggregate_id,
        sequence,
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

    race(&h, &projector, &submitted, deleted).await;

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

/// Instance A applies `insert` (not committed yet); instance B applies `deleted` meanwhile; A
/// commits, then B. The old code let B finish first, so A's row outlived the deletion.
async fn race(
    h: &Harness,
    projector: &Arc<PipelineProjector>,
    insert: &Envelope,
    deleted: Envelope,
) {
    let mut a = h.pool().begin().await.unwrap();
    projector.apply(&mut a, insert).await.unwrap();
    let b = {
        let (pool, projector) = (h.pool().clone(), Arc::clone(projector));
        tokio::spawn(async move {
            let mut b = pool.begin().await.unwrap();
            projector.apply(&mut b, &deleted).await.unwrap();
            b.commit().await.unwrap();
        })
    };
    // B either finished (the old code: nothing made it wait) or waits for a lock of A's (the
    // candidate lock; in the old code at most a row lock, after it had deleted what it could see).
    eventually(
        "the deletion to finish or wait for the insert",
        async || {
            let waiting: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE NOT l.granted AND a.datname = current_database())",
            )
            .fetch_one(h.pool())
            .await
            .unwrap();
            b.is_finished() || waiting
        },
    )
    .await;
    a.commit().await.unwrap();
    b.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deletion_racing_a_feedback_leaves_no_note_behind() {
    let h = Harness::new(1).await;
    let projector = Arc::new(PipelineProjector::new(h.vault.clone()));
    let (company, candidate, interview) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let interviewer = Uuid::now_v7();
    let scheduled = envelope(
        "interview",
        interview,
        company,
        PublishedEvent::Interview(InterviewEventV1::InterviewScheduled(InterviewScheduledV1 {
            interview_id: interview,
            application_id: Uuid::now_v7(),
            company_id: company,
            job_id: Uuid::now_v7(),
            candidate_id: candidate,
            candidate_user_id: None,
            scheduled_by: None,
            round: 1,
            kind: InterviewKindV1::Technical,
            mode: InterviewModeV1::Human,
            interviewers: vec![interviewer],
            scheduled_at: Utc::now(),
            duration_mins: 45,
            expires_at: None,
        })),
    );
    let mut tx = h.pool().begin().await.unwrap();
    projector.apply(&mut tx, &scheduled).await.unwrap();
    tx.commit().await.unwrap();
    let feedback = sequenced(
        "interview",
        interview,
        company,
        2,
        PublishedEvent::Interview(InterviewEventV1::FeedbackSubmitted(FeedbackSubmittedV2 {
            interviewer_id: interviewer,
            ratings: vec![CriterionRatingV2 {
                criterion: PersonalTextV2::Sealed(
                    h.seal(candidate, hireledger_infra::vault::Field::Criterion, "Rust")
                        .await,
                ),
                rating: 4,
            }],
            notes: Some(
                h.seal(
                    candidate,
                    hireledger_infra::vault::Field::Note,
                    "Nervous but very strong",
                )
                .await,
            ),
            recommendation: RecommendationV1::Hire,
            submitted_at: Utc::now(),
        })),
    );
    let deleted = envelope(
        "candidate",
        candidate,
        company,
        PublishedEvent::Candidate(CandidateEventV1::CandidateDeleted(CandidateDeletedV1 {
            deleted_by: None,
        })),
    );
    race(&h, &projector, &feedback, deleted).await;
    let notes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM rm_interview_feedback WHERE candidate_id = $1")
            .bind(candidate)
            .fetch_one(h.pool())
            .await
            .unwrap();
    assert_eq!(
        notes, 0,
        "a feedback note outlived the candidate's deletion"
    );
}
