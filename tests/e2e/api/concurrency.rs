//! Optimistic concurrency, provoked deterministically: another writer holds the aggregate's next
//! sequence in an open transaction while a command runs; once it commits, the command's append
//! hits the unique key and the API answers 409 `CONC_001` with nothing written by the command.

use super::{admin, register, uuid_at};
use crate::support::spawn_app;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_concurrent_write_answers_409_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let r = register(&app, "Racing Co", "hr@racing-co.example").await;
    let company_id = uuid_at(r.assert_ok(202), "company_id");

    // A competing writer appends sequence 2 and keeps its transaction open.
    let mut blocker = app.pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('company', $1, 2, 'CompanyRegistrationRejected', '1.0',
                 '{\"CompanyRegistrationRejected\":{\"rejected_by\":null,\"reason\":\"raced\"}}', '{}')",
    )
    .bind(company_id.to_string())
    .execute(&mut *blocker)
    .await
    .unwrap();

    // The approval loads version 1 and blocks on the uncommitted sequence 2 ...
    let approve = {
        let path = format!("/api/v1/admin/company-requests/{company_id}/approve");
        tokio::spawn(async move { admin.post_empty(&path).await })
    };
    let pool = app.pool.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO events%' AND pid <> pg_backend_pid() AND datname = current_database()",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the command never reached the append"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ... and fails once the competitor commits.
    blocker.commit().await.unwrap();
    let reply = approve.await.unwrap();
    reply.assert_error(409, "CONC_001");

    let (count, last): (i64, String) = sqlx::query_as(
        "SELECT count(*), (array_agg(event_type ORDER BY sequence DESC))[1]
         FROM events WHERE aggregate_type = 'company' AND aggregate_id = $1",
    )
    .bind(company_id.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (count, last.as_str()),
        (2, "CompanyRegistrationRejected"),
        "only the competitor's event"
    );
    let users: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'user' AND metadata::text LIKE $1",
    )
    .bind(format!("%{company_id}%"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(users, 0, "no HR user was created for the refused approval");
}
