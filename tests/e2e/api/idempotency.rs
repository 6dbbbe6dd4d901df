//! Idempotency keys: replayed retries, conflicting and in-flight keys, per-caller scope; and the
//! request metadata recorded on events. Issue 7, must-fix 5: command routes of authenticated
//! callers only, 409s not stored, the crash window closed, rows purged by age.

use super::{Reply, admin, onboard};
use crate::support::{TestApp, spawn_app};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotent_retries_replay_and_write_nothing() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Gamma").await;
    let body = serde_json::to_vec(&json!({
        "name": "Ivo", "email": "ivo@gamma.example", "role": "EMPLOYEE"
    }))
    .unwrap();
    let send = |key: &str, body: Vec<u8>| {
        a.hr.client
            .post(app.url("/api/v1/users"))
            .bearer_auth(&a.hr.token)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .body(body)
    };

    let first = Reply::from(
        send("key-1", body.clone())
            .header("X-Request-Id", "req-create-ivo")
            .header("X-Correlation-Id", "flow-42")
            .send()
            .await
            .unwrap(),
    )
    .await;
    first.assert_ok(201);
    assert!(first.body["temporary_password"].is_string());
    assert_eq!(first.header("x-request-id"), Some("req-create-ivo"));
    // The event carries who, which tenant, and which request caused it.
    let meta: Value = sqlx::query_scalar(
        "SELECT metadata::jsonb FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1",
    )
    .bind(first.body["user_id"].as_str().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(meta["actor_id"], a.hr.user_id.to_string());
    assert_eq!(meta["tenant_id"], a.company_id.to_string());
    assert_eq!(meta["request_id"], "req-create-ivo");
    assert_eq!(meta["correlation_id"], "flow-42");
    assert_eq!(meta["causation_id"], "http:POST /api/v1/users");
    let events = app.event_count().await;
    let retry = Reply::from(send("key-1", body.clone()).send().await.unwrap()).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body, "a retry answers the same body");
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(
        retry.header("x-aggregate-version"),
        first.header("x-aggregate-version")
    );
    assert_eq!(app.event_count().await, events, "a retry writes no event");
    // The stored answer holds the one-time password, encrypted: it is not in the row in clear.
    let password = first.body["temporary_password"].as_str().unwrap();
    let (stored, sealed): (Vec<u8>, bool) = sqlx::query_as(
        "SELECT response_body, body_sealed FROM idempotency_keys WHERE idem_key = 'key-1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(sealed);
    assert!(
        !stored
            .windows(password.len())
            .any(|w| w == password.as_bytes()),
        "the temporary password is stored in clear"
    );

    // Same key, other request → REQ_002; same key still running → REQ_003.
    let other = serde_json::to_vec(
        &json!({"name": "Ivo", "email": "ivo2@gamma.example", "role": "EMPLOYEE"}),
    )
    .unwrap();
    Reply::from(send("key-1", other.clone()).send().await.unwrap())
        .await
        .assert_error(422, "REQ_002");
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash) VALUES ($1, 'key-busy', $2)",
    )
    .bind(a.hr.user_id.to_string())
    .bind(hireledger_commands::idempotency::request_hash(
        "POST",
        "/api/v1/users",
        &other,
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    Reply::from(send("key-busy", other.clone()).send().await.unwrap())
        .await
        .assert_error(409, "REQ_003");
    assert_eq!(app.event_count().await, events);

    // Refusals (4xx) are stored and replayed too; keys are per caller.
    let bad =
        serde_json::to_vec(&json!({"name": "Ivo", "email": "nope", "role": "EMPLOYEE"})).unwrap();
    Reply::from(send("key-2", bad.clone()).send().await.unwrap())
        .await
        .assert_error(422, "VAL_001");
    let again = Reply::from(send("key-2", bad).send().await.unwrap()).await;
    again.assert_error(422, "VAL_001");
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    let by_admin = admin
        .send(
            admin
                .client
                .post(app.url(&format!(
                    "/api/v1/admin/companies/{}/deactivate",
                    a.company_id
                )))
                .header("Idempotency-Key", "key-1")
                .json(&json!({"reason": "audit"})),
        )
        .await;
    by_admin.assert_ok(200);

    // Anonymous requests are not idempotent (no principal to scope the key to): the header is
    // ignored and nothing is stored.
    let reg = json!({"company_name": "Delta", "domain": "delta.example", "contact_name": "D", "contact_email": "d@delta.example"});
    let anon = app.client();
    let first = Reply::from(
        anon.post(app.url("/api/v1/companies/registrations"))
            .header("Idempotency-Key", "reg-1")
            .json(&reg)
            .send()
            .await
            .unwrap(),
    )
    .await;
    first.assert_ok(202);
    assert_eq!(first.header("idempotency-replayed"), None);
    assert_eq!(rows_with_key(&app, "reg-1").await, 0);

    // A malformed key is refused.
    let r =
        a.hr.send(
            a.hr.client
                .post(app.url("/api/v1/users"))
                .header("Idempotency-Key", "x".repeat(300))
                .json(&json!({"name": "Ivo", "email": "ivo3@gamma.example", "role": "EMPLOYEE"})),
        )
        .await;
    r.assert_error(400, "REQ_001");
}

async fn rows_with_key(app: &TestApp, key: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM idempotency_keys WHERE idem_key = $1")
        .bind(key)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unmatched_routes_and_anonymous_posts_store_and_buffer_nothing() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let big = vec![b'a'; 1024 * 1024];
    // Anonymous POST to an unknown path, with a key and a large "upload": 404, no row.
    let r = Reply::from(
        app.client()
            .post(app.url("/no/such/path"))
            .header("Idempotency-Key", "anon-1")
            .header("Content-Type", "text/csv")
            .body(big.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(404, "NOT_FOUND");
    // Signed in, an unknown path stores nothing either.
    let r = admin
        .send(
            admin
                .client
                .post(app.url("/api/v1/no-such-command"))
                .header("Idempotency-Key", "auth-1")
                .json(&json!({})),
        )
        .await;
    r.assert_error(404, "NOT_FOUND");
    // The upload limit is for the upload route only: a CSV body to another command route is
    // held to the JSON limit.
    let r = admin
        .send(
            admin
                .client
                .post(app.url("/api/v1/users"))
                .header("Idempotency-Key", "auth-2")
                .header("Content-Type", "text/csv")
                .body(big),
        )
        .await;
    r.assert_error(413, "REQ_004");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_conflict_is_not_stored_and_a_retry_runs_again() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Epsilon").await;
    let deactivate = |key: &'static str| {
        admin
            .client
            .post(app.url(&format!(
                "/api/v1/admin/companies/{}/deactivate",
                a.company_id
            )))
            .header("Idempotency-Key", key)
            .json(&json!({"reason": "audit"}))
    };
    admin.send(deactivate("d-1")).await.assert_ok(200);
    // Deactivating again conflicts (COMP_004): that answer is not kept.
    admin
        .send(deactivate("d-2"))
        .await
        .assert_error(409, "COMP_004");
    assert_eq!(rows_with_key(&app, "d-2").await, 0);
    // Once the company is active again, the same key runs the command instead of replaying 409.
    admin
        .post_empty(&format!(
            "/api/v1/admin/companies/{}/reactivate",
            a.company_id
        ))
        .await
        .assert_ok(200);
    let retry = admin.send(deactivate("d-2")).await;
    retry.assert_ok(200);
    assert_eq!(retry.header("idempotency-replayed"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_committed_attempt_whose_answer_was_lost_never_runs_again() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Zeta").await;
    let create = || {
        a.hr.client
            .post(app.url("/api/v1/users"))
            .header("Idempotency-Key", "lost-1")
            .json(&json!({"name": "Uma", "email": "uma@zeta.example", "role": "EMPLOYEE"}))
    };
    let first = a.hr.send(create()).await;
    first.assert_ok(201);
    // The event names the attempt that wrote it.
    let attempt: Option<String> = sqlx::query_scalar(
        "SELECT attempt_id::text FROM idempotency_keys WHERE idem_key = 'lost-1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let meta: Value = sqlx::query_scalar(
        "SELECT metadata::jsonb FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1",
    )
    .bind(first.body["user_id"].as_str().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(meta["idempotency_attempt"].as_str(), attempt.as_deref());
    // The crash window: the command committed, the process died before storing the answer, and
    // the attempt went stale.
    sqlx::query(
        "UPDATE idempotency_keys SET status_code = NULL, response_body = NULL,
                completed_at = NULL, created_at = now() - interval '5 minutes'
         WHERE idem_key = 'lost-1'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let events = app.event_count().await;
    a.hr.send(create()).await.assert_error(409, "REQ_006");
    assert_eq!(app.event_count().await, events, "the command ran again");

    // A stale attempt that wrote nothing runs again.
    sqlx::query(
        "UPDATE idempotency_keys SET attempt_id = gen_random_uuid() WHERE idem_key = 'lost-1'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let rerun = a.hr.send(create()).await;
    assert_eq!(rerun.header("idempotency-replayed"), None);
    rerun.assert_error(409, "USER_002");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn old_rows_are_purged_by_age() {
    let app = spawn_app().await;
    for (key, age) in [("old", "2 days"), ("fresh", "1 minute")] {
        sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at)
             VALUES ('someone', $1, '\\x00', now() - $2::interval)",
        )
        .bind(key)
        .bind(age)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let vault =
        hireledger_infra::vault::Vault::new(app.pool.clone(), &app.common.master_key).unwrap();
    let store = hireledger_commands::idempotency::IdempotencyStore::new(app.pool.clone(), vault);
    let purged = store
        .purge_older_than(hireledger_api::idempotency::IDEMPOTENCY_RETENTION)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(rows_with_key(&app, "old").await, 0);
    assert_eq!(rows_with_key(&app, "fresh").await, 1);
}
