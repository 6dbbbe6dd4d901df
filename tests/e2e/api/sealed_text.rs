//! Free text that can describe a candidate — rejection and withdrawal reasons, an interview's
//! cancellation reason, rating criteria, position and tags — is sealed under the candidate's key:
//! never clear in the event store or on Kafka, readable through the API (and usable in filters)
//! while the candidate exists, and found nowhere once they are deleted.

use super::candidates::read_model_rows_containing;
use super::pipeline::{
    advance, complete_when_due, eventually, open_job, read_application, read_interview,
    schedule_human,
};
use super::{Session, admin, create_user, login, onboard, uuid_at};
use crate::support::{self, TestApp, spawn_app};
use rdkafka::Message as _;
use rdkafka::consumer::StreamConsumer;
use serde_json::json;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Event-store rows whose payload holds `needle` in clear (case-insensitively).
async fn events_containing(app: &TestApp, needle: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE strpos(lower(payload::text), lower($1)) > 0",
    )
    .bind(needle)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Reads every message of the candidate, application and interview topics (once the relay has
/// published every event of those aggregates) and returns the needles found in a payload or a
/// header.
async fn kafka_containing(app: &TestApp, needles: &[String]) -> Vec<String> {
    eventually("the relay to drain", async || {
        hireledger_infra::relay::relay_lag(&app.pool).await.unwrap() == 0
    })
    .await;
    let types = ["candidate", "application", "interview"];
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = ANY($1)")
            .bind(types.map(str::to_owned).to_vec())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let topics: Vec<String> = types.iter().map(|t| app.common.topic_for(t)).collect();
    let consumer: StreamConsumer =
        support::topic_consumer(&topics, app.common.topic_partitions).await;
    let mut found = Vec::new();
    let mut read = 0i64;
    let deadline = Instant::now() + Duration::from_secs(90);
    while read < total {
        assert!(Instant::now() < deadline, "read {read} of {total} messages");
        let Ok(Ok(msg)) = tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await
        else {
            continue;
        };
        let mut bytes = msg.payload().unwrap_or_default().to_vec();
        if let Some(h) = msg.headers() {
            use rdkafka::message::Headers;
            for h in h.iter() {
                bytes.extend_from_slice(h.value.unwrap_or_default());
            }
        }
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for needle in needles {
            if text.contains(&needle.to_lowercase()) && !found.contains(needle) {
                found.push(needle.clone());
            }
        }
        read += 1;
    }
    found
}

/// HR's view of the candidates tagged `tag`, once the projector has caught up with `candidate`.
async fn tagged(hr: &Session, tag: &str, candidate: Uuid) -> serde_json::Value {
    let mut page = serde_json::Value::Null;
    eventually("the candidate in the tag filter", async || {
        let r = hr.get(&format!("/api/v1/candidates?tag={tag}")).await;
        page = r.assert_ok(200).clone();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| uuid_at(c, "candidate_id") == candidate)
    })
    .await;
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn free_text_about_a_deleted_candidate_is_found_nowhere() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Sealed Text Works").await;
    let hr = &a.hr;
    let (emp_id, _, emp_email) = create_user(hr, "Ines", "EMPLOYEE").await;
    let emp = login(&app, &emp_email, "user-password-1").await;

    // Unique words, so that a hit can only be this test's text.
    let run = Uuid::new_v4().simple().to_string();
    let word = |what: &str| format!("qz{what}{}", &run[..10]);
    let position = word("position");
    let tag = word("tag");
    let rejected = word("rejected");
    let withdrawn = word("withdrawn");
    let cancelled = word("cancelled");
    let criterion = word("criterion");
    let needles = [
        &position, &tag, &rejected, &withdrawn, &cancelled, &criterion,
    ]
    .map(|s| s.clone())
    .to_vec();

    let r = hr
        .post(
            "/api/v1/candidates",
            json!({"name": "Olga Opaque", "email": "olga.opaque@sealed.example",
                   "position": position, "tags": [tag, "Rust"], "experience_years": 3}),
        )
        .await;
    let cand = uuid_at(r.assert_ok(201), "candidate_id");

    // The read model keeps the opened values: the tag filter and the list still work.
    let page = tagged(hr, &tag, cand).await;
    let listed = &page["items"][0];
    assert_eq!(listed["position"], position.as_str());
    assert_eq!(listed["tags"], json!([tag, "Rust"]));
    let r = hr.get(&format!("/api/v1/candidates/{cand}")).await;
    assert_eq!(r.assert_ok(200)["position"], position.as_str());
    // A PATCH of another field keeps position and tags (opened, then sealed again).
    let r = hr
        .patch(
            &format!("/api/v1/candidates/{cand}"),
            json!({"experience_years": 4}),
        )
        .await;
    r.assert_ok(200);
    let page = tagged(hr, &tag, cand).await;
    assert_eq!(page["items"][0]["position"], position.as_str());

    // One application rejected, one withdrawn, one whose interview is cancelled, one whose
    // interview gets feedback.
    let mut apps = Vec::new();
    for title in ["Sealed One", "Sealed Two", "Sealed Three", "Sealed Four"] {
        let job = open_job(hr, title).await;
        apps.push(super::pipeline::apply(hr, job, cand).await);
    }
    let v = advance(hr, apps[0], "REJECTED", Some(&rejected)).await;
    let view = read_application(hr, apps[0], v).await;
    assert_eq!(view["status_reason"], rejected.as_str());
    let r = hr
        .post(
            &format!("/api/v1/applications/{}/withdraw", apps[1]),
            json!({ "reason": withdrawn }),
        )
        .await;
    let v = r.assert_ok(200)["version"].as_u64().unwrap();
    let view = read_application(hr, apps[1], v).await;
    assert_eq!(view["status_reason"], withdrawn.as_str());
    let history = hr
        .get(&format!("/api/v1/applications/{}/history", apps[0]))
        .await;
    let steps = history.assert_ok(200).as_array().unwrap().clone();
    assert_eq!(steps.last().unwrap()["reason"], rejected.as_str());

    let r = schedule_human(hr, apps[2], &[emp_id], 3600).await;
    let interview = uuid_at(r.assert_ok(201), "interview_id");
    let r = hr
        .post(
            &format!("/api/v1/interviews/{interview}/cancel"),
            json!({ "reason": cancelled }),
        )
        .await;
    let v = r.assert_ok(200)["version"].as_u64().unwrap();
    let iv = read_interview(hr, interview, v).await;
    assert_eq!(iv["status_reason"], cancelled.as_str());

    let r = schedule_human(hr, apps[3], &[emp_id], 3).await;
    let rated = uuid_at(r.assert_ok(201), "interview_id");
    complete_when_due(&emp, rated).await;
    let r = emp
        .post(
            &format!("/api/v1/interviews/{rated}/feedback"),
            json!({"ratings": [{"criterion": criterion, "rating": 4}], "recommendation": "HIRE"}),
        )
        .await;
    let v = r.assert_ok(201)["version"].as_u64().unwrap();
    let iv = read_interview(hr, rated, v).await;
    assert_eq!(
        iv["feedback"][0]["ratings"][0]["criterion"],
        criterion.as_str()
    );

    // While the candidate exists: readable through the API, never clear in the store or on Kafka.
    for needle in &needles {
        assert_eq!(
            events_containing(&app, needle).await,
            0,
            "{needle} is clear in the store"
        );
        assert!(
            !read_model_rows_containing(&app, needle).await.is_empty(),
            "{needle} is not in a read model"
        );
    }
    assert_eq!(kafka_containing(&app, &needles).await, Vec::<String>::new());

    // Deleted: the key is gone, and the text with it, everywhere.
    hr.delete(&format!("/api/v1/candidates/{cand}"))
        .await
        .assert_ok(200);
    eventually("the deletion in the read models", async || {
        let mut clean = true;
        for needle in &needles {
            clean &= read_model_rows_containing(&app, needle).await.is_empty();
        }
        clean
    })
    .await;
    for needle in &needles {
        assert_eq!(
            events_containing(&app, needle).await,
            0,
            "{needle} in the store"
        );
    }
    assert_eq!(kafka_containing(&app, &needles).await, Vec::<String>::new());
    let r = hr
        .get(&format!("/api/v1/applications/{}/history", apps[0]))
        .await;
    assert!(
        !r.body.to_string().contains(&rejected),
        "the history still shows the reason: {}",
        r.body
    );
}
