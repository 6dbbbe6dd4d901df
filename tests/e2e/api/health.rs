//! Health probes, the OpenAPI document, request ids, and malformed requests.

use super::{Reply, admin};
use crate::support::{self, spawn_app};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_docs_ids_and_malformed_requests() {
    let app = spawn_app().await;
    let client = app.client();
    for path in ["/health", "/health/db", "/health/kafka"] {
        let r = Reply::from(client.get(app.url(path)).send().await.unwrap()).await;
        assert_eq!(r.assert_ok(200)["status"], "ok", "{path}");
    }

    // The served document is the committed snapshot.
    let served = Reply::from(
        client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let committed: Value = serde_json::from_str(include_str!("../../../api/openapi.json")).unwrap();
    assert_eq!(served.assert_ok(200), &committed);
    let docs = client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));

    // Unknown routes and methods, ids echoed (given and generated).
    let r = Reply::from(
        client
            .get(app.url("/api/v1/nope"))
            .header("X-Request-Id", "req-123")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(404, "NOT_FOUND");
    assert_eq!(r.header("x-request-id"), Some("req-123"));
    assert_eq!(r.header("x-correlation-id"), Some("req-123"));
    let r = Reply::from(
        client
            .delete(app.url("/api/v1/users"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(405, "REQ_005");
    assert!(
        r.header("x-request-id")
            .is_some_and(|v| Uuid::parse_str(v).is_ok())
    );

    // Malformed body, content type, path and query → 400 REQ_001; never a 5xx.
    let url = app.url("/api/v1/companies/registrations");
    let r = Reply::from(
        client
            .post(&url)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
    let r = Reply::from(client.post(&url).body("x").send().await.unwrap()).await;
    r.assert_error(400, "REQ_001");
    let r = Reply::from(
        client
            .post(&url)
            .json(&json!({"company_name": "A"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
    let r = Reply::from(
        client
            .post(&url)
            .json(
                &json!({"company_name": "A", "domain": "a.io", "contact_name": "A",
                          "contact_email": "a@a.io", "extra": 1}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
    let big = "x".repeat(100 * 1024);
    let r = Reply::from(
        client
            .post(&url)
            .json(&json!({"company_name": big, "domain": "a.io", "contact_name": "A", "contact_email": "a@a.io"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(413, "REQ_004");

    let admin = admin(&app).await;
    admin
        .get("/api/v1/users/not-a-uuid")
        .await
        .assert_error(400, "REQ_001");
    admin
        .get("/api/v1/users?page=abc")
        .await
        .assert_error(400, "REQ_001");
    admin
        .get("/api/v1/users?page_size=1000")
        .await
        .assert_error(422, "VAL_001");
    admin
        .get("/api/v1/users?role=KING")
        .await
        .assert_error(422, "VAL_001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kafka_down_answers_503_with_retry_after() {
    let app = spawn_app().await;
    let mut common = app.common.clone();
    common.kafka_brokers = "127.0.0.1:1".into();
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let (address, _task) = support::start_api(
        app.pool.clone(),
        common,
        support::test_api_settings(),
        stop_rx,
    );
    let client = app.client();
    let mut r = None;
    for _ in 0..100 {
        if let Ok(res) = client.get(format!("{address}/health/kafka")).send().await {
            r = Some(Reply::from(res).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = r.expect("second API up");
    r.assert_error(503, "SYS_001");
    assert!(
        r.header("retry-after")
            .is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s > 0))
    );
}
