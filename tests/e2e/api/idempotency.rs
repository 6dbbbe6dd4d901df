//! Idempotency keys: replayed retries, conflicting and in-flight keys, per-caller scope; and the
//! request metadata recorded on events.

use super::{Reply, admin, onboard};
use crate::support::spawn_app;
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

    // Anonymous registration with a key.
    let reg = json!({"company_name": "Delta", "domain": "delta.example", "contact_name": "D", "contact_email": "d@delta.example"});
    let anon = app.client();
    let post = || {
        anon.post(app.url("/api/v1/companies/registrations"))
            .header("Idempotency-Key", "reg-1")
            .json(&reg)
    };
    let first = Reply::from(post().send().await.unwrap()).await;
    first.assert_ok(202);
    let events = app.event_count().await;
    let retry = Reply::from(post().send().await.unwrap()).await;
    assert_eq!((retry.status, &retry.body), (first.status, &first.body));
    assert_eq!(app.event_count().await, events);

    // A malformed key is refused.
    let r = Reply::from(
        anon.post(app.url("/api/v1/companies/registrations"))
            .header("Idempotency-Key", "x".repeat(300))
            .json(&reg)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
}
