//! `hireledger project --rebuild`: a read model rebuilt from offset 0 while the live projectors
//! run equals the live one, takes over in one switch, and the live projectors carry on from it.

use super::jobs::{create_job, job_action, job_body, read_job};
use super::{admin, onboard, uuid_at};
use crate::support::{self, spawn_app};
use hireledger_projections::rebuild::{IDENTITY_TABLES, PIPELINE_TABLES, rebuild};
use serde_json::json;

/// One checksum over every row of `tables` (what the projector wrote, less its clock column).
async fn checksum(pool: &sqlx::PgPool, tables: &[&str]) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    for t in tables {
        let (n, md5): (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT count(*), md5(string_agg(r, ',' ORDER BY r)) FROM
               (SELECT (to_jsonb(t) - 'projected_at')::text AS r FROM public.{t} t) x"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push(((*t).to_owned(), n, md5.unwrap_or_default()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuilt_read_model_equals_the_live_one_and_takes_over() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Rebuild Co").await;
    let mut last = (uuid::Uuid::nil(), 0);
    for i in 0..5 {
        let (job, _) = create_job(&a.hr, job_body(&format!("Engineer {i}"))).await;
        let v = job_action(&a.hr, job, "open").await;
        last = (job, v);
    }
    let mut candidate = None;
    for i in 0..5 {
        let r = a
            .hr
            .post(
                "/api/v1/candidates",
                json!({ "name": format!("Rita Rebuild {i}"), "email": format!("rita{i}@rebuild.example") }),
            )
            .await;
        candidate = Some((uuid_at(r.assert_ok(201), "candidate_id"), r.version()));
    }
    let (candidate, cv) = candidate.unwrap();
    a.hr.get(&format!("/api/v1/candidates/{candidate}?min_version={cv}"))
        .await
        .assert_ok(200);
    read_job(&a.hr, last.0, last.1).await;
    let identity_before = checksum(&app.pool, IDENTITY_TABLES).await;
    let pipeline_before = checksum(&app.pool, PIPELINE_TABLES).await;

    for (name, tables, before) in [
        ("identity", IDENTITY_TABLES, &identity_before),
        ("pipeline", PIPELINE_TABLES, &pipeline_before),
    ] {
        let mut calls = 0;
        let report = rebuild(&app.pool, &app.common, name, &mut |_, _| calls += 1)
            .await
            .unwrap();
        assert!(report.messages > 0 && calls > 0, "{report:?}");
        println!(
            "rebuild {name}: {} messages in {:.2} s ({:.0}/s), live projectors paused {} ms",
            report.messages,
            report.replay.as_secs_f64(),
            report.messages_per_second(),
            report.switch_pause.as_millis()
        );
        assert_eq!(
            &checksum(&app.pool, tables).await,
            before,
            "{name} differs after the rebuild"
        );
    }
    let leftovers: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'rebuild_%' OR nspname LIKE 'retired_%'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The live projectors go on writing into the rebuilt tables.
    let (job, v1) = create_job(&a.hr, job_body("After the rebuild")).await;
    let read = read_job(&a.hr, job, v1).await;
    assert_eq!(read["title"], "After the rebuild");
    let v2 = job_action(&a.hr, job, "open").await;
    assert_eq!(read_job(&a.hr, job, v2).await["status"], "OPEN");
    let listed = a.hr.get("/api/v1/jobs?page_size=100").await;
    assert_eq!(listed.assert_ok(200)["total"], 6);
    support::assert_list_counts_exact(&app.pool).await;
}
