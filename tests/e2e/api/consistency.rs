//! Read-your-writes: a client that just wrote reads its write, or is told "not yet" (503
//! `READ_001`), never "not found".

use super::jobs::{create_job, job_action, job_body};
use super::{admin, onboard};
use crate::support::{spawn_app_with, test_api_settings};
use serde_json::json;

/// Sequential command → read pairs at the default read wait: every read sees its write.
#[tokio::test]
async fn every_read_after_a_write_sees_it() {
    let app = spawn_app_with(hireledger_api::ApiSettings {
        read_wait_ms: hireledger_api::ApiSettings::default().read_wait_ms,
        ..test_api_settings()
    })
    .await;
    let admin = admin(&app).await;
    let hr = onboard(&app, &admin, "Consistent Co").await.hr;
    const PAIRS: usize = 60;
    let mut misses = Vec::new();
    for i in 0..PAIRS {
        // A new aggregate (the read model has no row yet), then a change to it.
        let (id, v1) = create_job(&hr, job_body(&format!("Engineer {i}"))).await;
        let r = hr.get(&format!("/api/v1/jobs/{id}?min_version={v1}")).await;
        if r.status != 200 {
            misses.push((i, "create", r.status.as_u16()));
        }
        let v2 = job_action(&hr, id, "open").await;
        let r = hr.get(&format!("/api/v1/jobs/{id}?min_version={v2}")).await;
        if r.status != 200
            || r.body["status"] != json!("OPEN")
            || r.header("x-read-consistency") != Some("consistent")
        {
            misses.push((i, "open", r.status.as_u16()));
        }
    }
    assert!(
        misses.is_empty(),
        "reads that missed their write: {misses:?}"
    );
}

/// A read the read model cannot satisfy within the wait answers 503 READ_001 with Retry-After and
/// `X-Read-Consistency: stale`; without `min_version` the same resource reads normally.
#[tokio::test]
async fn a_read_ahead_of_the_read_model_is_not_yet_rather_than_not_found() {
    let app = spawn_app_with(hireledger_api::ApiSettings {
        read_wait_ms: 200,
        ..test_api_settings()
    })
    .await;
    let admin = admin(&app).await;
    let hr = onboard(&app, &admin, "Ahead Co").await.hr;
    let (id, v1) = create_job(&hr, job_body("Engineer")).await;
    let ahead = hr
        .get(&format!("/api/v1/jobs/{id}?min_version={}", v1 + 5))
        .await;
    ahead.assert_error(503, "READ_001");
    assert_eq!(ahead.header("retry-after"), Some("1"));
    assert_eq!(ahead.header("x-read-consistency"), Some("stale"));
    let now = hr.get(&format!("/api/v1/jobs/{id}?min_version={v1}")).await;
    now.assert_ok(200);
    // An id that never existed, without min_version: a plain 404.
    let missing = hr
        .get(&format!("/api/v1/jobs/{}", uuid::Uuid::now_v7()))
        .await;
    missing.assert_error(404, "JOB_001");
}
