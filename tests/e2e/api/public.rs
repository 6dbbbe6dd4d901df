//! Public careers pages (open jobs, applying) and the candidate's one-time interview link.

use super::jobs::{create_job, job_action, job_body, question_body, read_job};
use super::{Reply, Session, admin, create_user, login, onboard, register, uuid_at, verify_mailed};
use crate::support::{TestApp, spawn_app};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

async fn anon_get(app: &TestApp, path: &str) -> Reply {
    Reply::from(app.client().get(app.url(path)).send().await.expect("send")).await
}

async fn anon_post(app: &TestApp, path: &str, body: Option<Value>) -> Reply {
    let mut req = app.client().post(app.url(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    Reply::from(req.send().await.expect("send")).await
}

fn apply_path(company_id: Uuid, job_id: Uuid) -> String {
    format!("/api/v1/public/companies/{company_id}/jobs/{job_id}/apply")
}

/// An anonymous application: `202 RECEIVED`, whatever happened. Returns the company's candidate
/// with that address, as HR finds it, and the (deterministic) application id.
async fn anon_apply(
    app: &TestApp,
    hr: &Session,
    company_id: Uuid,
    job: Uuid,
    email: &str,
) -> (Uuid, Uuid) {
    let r = anon_post(app, &apply_path(company_id, job), Some(applicant(email))).await;
    assert_eq!(r.assert_ok(202), &json!({ "status": "RECEIVED" }));
    let mut candidate = None;
    super::pipeline::eventually("the applicant's candidate record", async || {
        let r = hr
            .get(&format!("/api/v1/candidates?q={}", email.to_lowercase()))
            .await;
        candidate = r.assert_ok(200)["items"]
            .as_array()
            .and_then(|items| items.first())
            .map(|c| uuid_at(c, "candidate_id"));
        candidate.is_some()
    })
    .await;
    let candidate = candidate.expect("candidate");
    (
        hireledger_domain::application::application_id(job, candidate),
        candidate,
    )
}

fn applicant(email: &str) -> Value {
    json!({
        "name": "Ada Lovelace",
        "email": email,
        "phone": "+44 20 7946 0000",
        "position": "Analyst",
        "domain": "Mathematics",
        "experience_years": 7,
        "qualifications": ["Analytical Engine notes"],
    })
}

/// An OPEN job whose read model is up to date; returns its id.
async fn open_job(hr: &Session, title: &str) -> Uuid {
    let (id, _) = create_job(hr, job_body(title)).await;
    let v = job_action(hr, id, "open").await;
    read_job(hr, id, v).await;
    id
}

fn ids(page: &Value) -> Vec<Uuid> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|j| uuid_at(j, "job_id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn public_pages_show_only_open_jobs_of_active_companies() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Careerco").await;
    let b = onboard(&app, &admin, "Elsewhere").await;
    let hr = &a.hr;

    let (open, _) = create_job(hr, job_body("Backend Engineer")).await;
    for text in ["One?", "Two?"] {
        hr.post(
            &format!("/api/v1/jobs/{open}/questions"),
            question_body(text),
        )
        .await
        .assert_ok(201);
    }
    let v = job_action(hr, open, "open").await;
    read_job(hr, open, v).await;
    let (draft, v) = create_job(hr, job_body("Draft Engineer")).await;
    read_job(hr, draft, v).await;
    let closed = open_job(hr, "Closed Engineer").await;
    let v = job_action(hr, closed, "close").await;
    read_job(hr, closed, v).await;
    let paused = open_job(hr, "Paused Engineer").await;
    let v = job_action(hr, paused, "pause").await;
    read_job(hr, paused, v).await;
    let theirs = open_job(&b.hr, "Their Engineer").await;

    let base = format!("/api/v1/public/companies/{}/jobs", a.company_id);
    let r = anon_get(&app, &base).await;
    let page = r.assert_ok(200);
    assert_eq!(ids(page), vec![open]);
    assert_eq!(
        (
            &page["total"],
            &page["page"],
            &page["page_size"],
            &page["pages"]
        ),
        (&json!(1), &json!(1), &json!(20), &json!(1))
    );
    let job = &page["items"][0];
    assert_eq!(job["title"], "Backend Engineer");
    assert_eq!(job["company_id"], json!(a.company_id));
    assert_eq!(job["skills"], json!(["Rust"]));
    assert_eq!(job["question_count"], 2);
    assert_eq!(job["salary"]["currency"], "EUR");
    for internal in [
        "thresholds",
        "created_by",
        "human_review_required",
        "questions",
        "version",
    ] {
        assert!(job.get(internal).is_none(), "{internal} is not public");
    }
    assert_eq!(
        ids(anon_get(&app, &format!("{base}?q=BACKEND"))
            .await
            .assert_ok(200)),
        vec![open]
    );
    assert_eq!(
        anon_get(&app, &format!("{base}?q=draft"))
            .await
            .assert_ok(200)["total"],
        0
    );
    anon_get(&app, &format!("{base}?page_size=101"))
        .await
        .assert_error(422, "VAL_001");

    // One job: OPEN only, and only under its own company.
    let r = anon_get(&app, &format!("{base}/{open}")).await;
    let detail = r.assert_ok(200);
    assert_eq!(detail["question_count"], 2);
    assert_eq!(detail["description"], "Build the hiring pipeline.");
    assert!(detail.get("questions").is_none() && detail.get("thresholds").is_none());
    for hidden in [draft, closed, paused, theirs, Uuid::now_v7()] {
        anon_get(&app, &format!("{base}/{hidden}"))
            .await
            .assert_error(404, "JOB_001");
    }
    let r = anon_get(
        &app,
        &format!("/api/v1/public/companies/{}/jobs/{theirs}", b.company_id),
    )
    .await;
    r.assert_ok(200);

    // Unknown, pending and deactivated companies have no public pages.
    let r = register(&app, "Pendingco", "hr@pendingco.example").await;
    let pending = uuid_at(r.assert_ok(202), "company_id");
    for company in [Uuid::now_v7(), pending] {
        anon_get(&app, &format!("/api/v1/public/companies/{company}/jobs"))
            .await
            .assert_error(404, "COMP_002");
        anon_get(
            &app,
            &format!("/api/v1/public/companies/{company}/jobs/{open}"),
        )
        .await
        .assert_error(404, "COMP_002");
    }
    admin
        .post(
            &format!("/api/v1/admin/companies/{}/deactivate", b.company_id),
            json!({"reason": "Contract ended"}),
        )
        .await
        .assert_ok(200);
    let before = app.event_count().await;
    anon_get(
        &app,
        &format!("/api/v1/public/companies/{}/jobs", b.company_id),
    )
    .await
    .assert_error(404, "COMP_002");
    anon_post(
        &app,
        &apply_path(b.company_id, theirs),
        Some(applicant("ada@example.org")),
    )
    .await
    .assert_error(404, "COMP_002");
    assert_eq!(app.event_count().await, before, "refusals write nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn public_apply_creates_candidate_and_application() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Applyco").await;
    let b = onboard(&app, &admin, "Notapplyco").await;
    let hr = &a.hr;
    let job = open_job(hr, "Backend Engineer").await;
    let second = open_job(hr, "Data Engineer").await;
    let (draft, _) = create_job(hr, job_body("Draft Engineer")).await;
    let closed = open_job(hr, "Closed Engineer").await;
    job_action(hr, closed, "close").await;
    let theirs = open_job(&b.hr, "Their Engineer").await;

    // Anonymous: a new PORTAL candidate and an APPLIED application.
    let (application_id, candidate_id) =
        anon_apply(&app, hr, a.company_id, job, "Ada@Example.org").await;
    let r = hr
        .get(&format!(
            "/api/v1/applications/{application_id}?min_version=1"
        ))
        .await;
    let app_view = r.assert_ok(200);
    assert_eq!(app_view["status"], "APPLIED");
    assert_eq!(app_view["source"], "PORTAL");
    assert_eq!(app_view["job_id"], json!(job));
    assert_eq!(app_view["candidate_id"], json!(candidate_id));
    let r = hr
        .get(&format!("/api/v1/candidates/{candidate_id}?min_version=1"))
        .await;
    let cand = r.assert_ok(200);
    assert_eq!(cand["source"], "PORTAL");
    assert_eq!(cand["name"], "Ada Lovelace");
    assert_eq!(cand["email"], "ada@example.org");
    assert_eq!(cand["experience_years"], 7);
    assert!(cand["user_id"].is_null());

    // Twice (whatever the case of the address): the same answer as the first time (no oracle
    // of who applied), nothing written.
    let before = app.event_count().await;
    for email in ["ada@example.org", "ADA@EXAMPLE.ORG"] {
        let r = anon_post(&app, &apply_path(a.company_id, job), Some(applicant(email))).await;
        assert_eq!(r.assert_ok(202), &json!({ "status": "RECEIVED" }));
    }
    // Jobs that are not OPEN: 409 before any candidate is created.
    for not_open in [draft, closed] {
        anon_post(
            &app,
            &apply_path(a.company_id, not_open),
            Some(applicant("new.person@example.org")),
        )
        .await
        .assert_error(409, "APP_003");
    }
    // Another company's job, unknown jobs and companies.
    for (company, job_id, code) in [
        (a.company_id, theirs, "JOB_001"),
        (a.company_id, Uuid::now_v7(), "JOB_001"),
        (Uuid::now_v7(), job, "COMP_002"),
    ] {
        anon_post(
            &app,
            &apply_path(company, job_id),
            Some(applicant("new.person@example.org")),
        )
        .await
        .assert_error(404, code);
    }
    // Validation.
    for (field, value) in [
        ("email", json!("not-an-email")),
        ("name", json!("  ")),
        ("experience_years", json!(99)),
        ("experience_years", json!(-1)),
        ("phone", json!("call me")),
    ] {
        let mut body = applicant("new.person@example.org");
        body[field] = value;
        let r = anon_post(&app, &apply_path(a.company_id, job), Some(body)).await;
        r.assert_error(422, "VAL_001");
        assert!(
            r.body["detail"].as_str().unwrap().contains(field),
            "{field}: {}",
            r.body
        );
    }
    let mut extra = applicant("new.person@example.org");
    extra["salary_wish"] = json!(1);
    anon_post(&app, &apply_path(a.company_id, job), Some(extra))
        .await
        .assert_error(400, "REQ_001");
    anon_post(&app, &apply_path(a.company_id, job), None)
        .await
        .assert_error(400, "REQ_001");
    assert_eq!(app.event_count().await, before, "refusals write nothing");

    // Another job: the same candidate applies again.
    let (second_application, same_candidate) =
        anon_apply(&app, hr, a.company_id, second, "ada@example.org").await;
    assert_eq!(same_candidate, candidate_id);
    assert_ne!(second_application, application_id);
    let r = hr
        .get(&format!(
            "/api/v1/applications/{second_application}?min_version=1"
        ))
        .await;
    assert_eq!(r.assert_ok(200)["candidate_id"], json!(candidate_id));

    // A signed-in CANDIDATE of the company applies with their own verified address and is
    // linked; before the address is verified the account cannot apply with it.
    let (cand_user, _, cand_email) = create_user(hr, "Cleo", "CANDIDATE").await;
    let cand = login(&app, &cand_email, "user-password-1").await;
    let before = app.event_count().await;
    cand.post(&apply_path(a.company_id, job), applicant(&cand_email))
        .await
        .assert_error(403, "USER_012");
    assert_eq!(app.event_count().await, before);
    verify_mailed(&app, cand_user).await;
    let r = cand
        .post(
            &apply_path(a.company_id, job),
            applicant(&cand_email.to_uppercase()),
        )
        .await;
    let body = r.assert_ok(201);
    let own_app = uuid_at(body, "application_id");
    let own_candidate = uuid_at(body, "candidate_id");
    let r = hr
        .get(&format!("/api/v1/applications/{own_app}?min_version=1"))
        .await;
    assert_eq!(r.assert_ok(200)["source"], "PORTAL");
    let r = hr
        .get(&format!("/api/v1/candidates/{own_candidate}?min_version=1"))
        .await;
    assert_eq!(r.assert_ok(200)["user_id"], json!(cand_user));
    // ... but not with someone else's address, and no other signed-in role applies.
    let before = app.event_count().await;
    let r = cand
        .post(
            &apply_path(a.company_id, second),
            applicant("ada@example.org"),
        )
        .await;
    r.assert_error(422, "VAL_001");
    assert!(r.body["detail"].as_str().unwrap().contains("email"));
    hr.post(
        &apply_path(a.company_id, second),
        applicant("hr.self@example.org"),
    )
    .await
    .assert_error(403, "AUTH_003");
    b.hr.post(
        &apply_path(a.company_id, second),
        applicant("b@example.org"),
    )
    .await
    .assert_error(403, "AUTH_003");
    let r = Reply::from(
        app.client()
            .post(app.url(&apply_path(a.company_id, second)))
            .bearer_auth("not-a-jwt")
            .json(&applicant("x@example.org"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    r.assert_error(401, "AUTH_005");
    assert_eq!(app.event_count().await, before, "refusals write nothing");
}

/// Schedules an AI interview for the application; returns (interview id, access token).
async fn schedule_ai(
    hr: &Session,
    application_id: Uuid,
    round: u8,
    starts_in: Duration,
    valid_for: Duration,
) -> (Uuid, String) {
    let at = Utc::now() + starts_in;
    let r = hr
        .post(
            &format!("/api/v1/applications/{application_id}/interviews"),
            json!({
                "round": round,
                "kind": "TECHNICAL",
                "mode": "AI",
                "scheduled_at": at,
                "duration_mins": 30,
                "expires_at": at + valid_for,
            }),
        )
        .await;
    let body = r.assert_ok(201);
    let token = body["access_token"].as_str().expect("token").to_owned();
    (uuid_at(body, "interview_id"), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interview_link_validate_and_start() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Linkco").await;
    let hr = &a.hr;
    let job = open_job(hr, "Backend Engineer").await;
    let (application_id, _) = anon_apply(&app, hr, a.company_id, job, "ada@example.org").await;
    let hour = Duration::hours(1);
    let (interview_id, token) = schedule_ai(hr, application_id, 1, hour, Duration::days(2)).await;
    let validate = |t: &str| format!("/api/v1/interviews/validate/{t}");
    let start = |t: &str| format!("/api/v1/interviews/start/{t}");

    // A valid link describes the interview.
    let r = anon_get(&app, &validate(&token)).await;
    let link = r.assert_ok(200);
    assert_eq!(link["valid"], true);
    assert_eq!(link["interview_id"], json!(interview_id));
    assert_eq!(link["job_title"], "Backend Engineer");
    assert_eq!(
        (
            &link["round"],
            &link["kind"],
            &link["mode"],
            &link["duration_mins"]
        ),
        (&json!(1), &json!("TECHNICAL"), &json!("AI"), &json!(30))
    );
    assert!(link["scheduled_at"].is_string() && link["expires_at"].is_string());

    // Unknown tokens: 404 on both endpoints, nothing written.
    let before = app.event_count().await;
    for bad in ["nope", &"x".repeat(300), &token[..token.len() - 1]] {
        anon_get(&app, &validate(bad))
            .await
            .assert_error(404, "INT_002");
        anon_post(&app, &start(bad), None)
            .await
            .assert_error(404, "INT_002");
    }
    // Signed in as someone else than the interview's candidate: 403.
    hr.post_empty(&start(&token))
        .await
        .assert_error(403, "AUTH_003");
    assert_eq!(app.event_count().await, before, "refusals write nothing");

    // Start once; then the link reports it started, and completed.
    let r = anon_post(&app, &start(&token), None).await;
    let started = r.assert_ok(200);
    assert_eq!(started["interview_id"], json!(interview_id));
    assert_eq!(r.header("x-aggregate-version"), Some("2"));
    anon_post(&app, &start(&token), None)
        .await
        .assert_error(409, "INT_004");
    anon_get(&app, &validate(&token))
        .await
        .assert_error(409, "INT_004");
    hr.post_empty(&format!("/api/v1/interviews/{interview_id}/complete"))
        .await
        .assert_ok(200);
    anon_get(&app, &validate(&token))
        .await
        .assert_error(409, "INT_003");
    anon_post(&app, &start(&token), None)
        .await
        .assert_error(409, "INT_003");

    // A cancelled interview's link is closed.
    let (cancelled, token2) = schedule_ai(hr, application_id, 2, hour, Duration::days(2)).await;
    hr.post(
        &format!("/api/v1/interviews/{cancelled}/cancel"),
        json!({"reason": "Position re-scoped"}),
    )
    .await
    .assert_ok(200);
    anon_get(&app, &validate(&token2))
        .await
        .assert_error(409, "INT_005");
    anon_post(&app, &start(&token2), None)
        .await
        .assert_error(409, "INT_005");

    // An expired link answers like an unknown one.
    let (_, token3) = schedule_ai(
        hr,
        application_id,
        3,
        Duration::seconds(1),
        Duration::seconds(1),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let r = anon_get(&app, &validate(&token3)).await;
        if r.status.as_u16() == 404 {
            r.assert_error(404, "INT_002");
            break;
        }
        r.assert_ok(200);
        assert!(
            std::time::Instant::now() < deadline,
            "the link did not expire"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    anon_post(&app, &start(&token3), None)
        .await
        .assert_error(404, "INT_002");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn linked_candidate_starts_own_interview() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Ownlinkco").await;
    let hr = &a.hr;
    let job = open_job(hr, "Backend Engineer").await;
    let (cand_user, _, cand_email) = create_user(hr, "Cleo", "CANDIDATE").await;
    verify_mailed(&app, cand_user).await;
    let cand = login(&app, &cand_email, "user-password-1").await;
    let (_, _, other_email) = create_user(hr, "Otto", "CANDIDATE").await;
    let other = login(&app, &other_email, "user-password-1").await;
    let r = cand
        .post(&apply_path(a.company_id, job), applicant(&cand_email))
        .await;
    let application_id = uuid_at(r.assert_ok(201), "application_id");
    let (interview_id, token) =
        schedule_ai(hr, application_id, 1, Duration::hours(1), Duration::days(1)).await;
    let start = format!("/api/v1/interviews/start/{token}");
    other.post_empty(&start).await.assert_error(403, "AUTH_003");
    let r = cand.post_empty(&start).await;
    assert_eq!(r.assert_ok(200)["interview_id"], json!(interview_id));
}
