//! Issue 7, "Also": the follow-up of an interview's scheduling (the application moves to
//! INTERVIEW_SCHEDULED) can fail after the interview committed. The interview and its access
//! token are answered all the same, and the worker moves the application once it can.

use super::pipeline::{advance, apply, eventually, new_candidate, open_job};
use super::{admin, onboard, uuid_at};
use crate::support::spawn_app;
use chrono::{Duration as Span, Utc};
use serde_json::json;
use uuid::Uuid;

async fn application_status(pool: &sqlx::PgPool, app: Uuid) -> Option<String> {
    // The event store is the truth: the last status the application's events recorded.
    sqlx::query_scalar(
        "SELECT payload::jsonb -> 'ApplicationStatusChanged' ->> 'to' FROM events
         WHERE aggregate_type = 'application' AND aggregate_id = $1
           AND event_type = 'ApplicationStatusChanged'
         ORDER BY sequence DESC LIMIT 1",
    )
    .bind(app.to_string())
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_follow_up_keeps_the_interview_and_its_token_and_is_finished_later() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Follow Up Ltd").await;
    let job = open_job(&a.hr, "Platform Engineer").await;
    let cand = new_candidate(&a.hr, "Fay Follow", "fay@follow.example").await;
    let application = apply(&a.hr, job, cand).await;
    advance(&a.hr, application, "SCREENING", None).await;
    advance(&a.hr, application, "SHORTLISTED", None).await;

    // Every write to an application fails for now (the store refuses it).
    for sql in [
        "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'simulated failure of the follow-up'; END $$",
        "CREATE TRIGGER test_refuse BEFORE INSERT ON events FOR EACH ROW
         WHEN (NEW.aggregate_type = 'application') EXECUTE FUNCTION test_refuse()",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let start = Utc::now() + Span::hours(1);
    let r =
        a.hr.post(
            &format!("/api/v1/applications/{application}/interviews"),
            json!({"round": 1, "kind": "TECHNICAL", "mode": "AI",
                   "scheduled_at": start.to_rfc3339(), "duration_mins": 30,
                   "expires_at": (start + Span::days(2)).to_rfc3339()}),
        )
        .await;
    // The interview committed: it is answered, token included, not a 500 with the token lost.
    let body = r.assert_ok(201).clone();
    let interview = uuid_at(&body, "interview_id");
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 43));
    assert_eq!(
        application_status(&app.pool, application).await.as_deref(),
        Some("SHORTLISTED")
    );
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pending_interview_followups WHERE interview_id = $1",
    )
    .bind(interview)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(pending, 1, "the follow-up is recorded with the interview");

    // The store accepts writes again: the worker moves the application.
    sqlx::query("DROP TRIGGER test_refuse ON events")
        .execute(&app.pool)
        .await
        .unwrap();
    eventually("the worker to move the application", async || {
        application_status(&app.pool, application).await.as_deref() == Some("INTERVIEW_SCHEDULED")
    })
    .await;
    eventually("the follow-up to be done", async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pending_interview_followups")
            .fetch_one(&app.pool)
            .await
            .unwrap()
            == 0
    })
    .await;
}
