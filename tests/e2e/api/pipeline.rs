//! The hiring pipeline through the API: applications through every status to HIRED, interviews
//! (HUMAN and AI) with feedback, the status history from the events, the refusals of each step,
//! tenancy, and the events on Kafka.

use super::{Reply, Session, Tenant, admin, create_user, login, onboard, uuid_at};
use crate::support::{self, TestApp, spawn_app};
use chrono::{DateTime, Duration as Span, Utc};
use rdkafka::Message as _;
use rdkafka::consumer::StreamConsumer;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Polls `check` until it is true (at most 60 s).
pub(super) async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) async fn put(s: &Session, path: &str, body: Value) -> Reply {
    s.send(s.client.put(format!("{}{path}", s.base)).json(&body))
        .await
}

fn in_secs(secs: i64) -> String {
    (Utc::now() + Span::seconds(secs)).to_rfc3339()
}

/// HR creates a DRAFT job; returns its id.
pub(super) async fn draft_job(hr: &Session, title: &str) -> Uuid {
    let r = hr
        .post(
            "/api/v1/jobs",
            json!({
                "title": title,
                "description": "Build and run the hiring platform.",
                "employment_type": "FULL_TIME",
                "skills": [{"name": "Rust", "weight": 60}, {"name": "SQL", "weight": 40}],
            }),
        )
        .await;
    uuid_at(r.assert_ok(201), "job_id")
}

/// HR creates and opens a job; returns its id.
pub(super) async fn open_job(hr: &Session, title: &str) -> Uuid {
    let id = draft_job(hr, title).await;
    hr.post_empty(&format!("/api/v1/jobs/{id}/open"))
        .await
        .assert_ok(200);
    id
}

/// HR creates a candidate; returns its id.
pub(super) async fn new_candidate(hr: &Session, name: &str, email: &str) -> Uuid {
    let r = hr
        .post(
            "/api/v1/candidates",
            json!({"name": name, "email": email, "position": "Engineer", "experience_years": 4}),
        )
        .await;
    uuid_at(r.assert_ok(201), "candidate_id")
}

pub(super) async fn assign(hr: &Session, candidate: Uuid, employee: Uuid) {
    put(
        hr,
        &format!("/api/v1/candidates/{candidate}/assignment"),
        json!({"employee_id": employee}),
    )
    .await
    .assert_ok(200);
}

/// HR applies `candidate` to `job`; returns the application id.
pub(super) async fn apply(hr: &Session, job: Uuid, candidate: Uuid) -> Uuid {
    let r = hr
        .post(
            "/api/v1/applications",
            json!({"job_id": job, "candidate_id": candidate}),
        )
        .await;
    let body = r.assert_ok(201);
    assert_eq!(body["version"], 1);
    assert_eq!(r.header("x-aggregate-version"), Some("1"));
    uuid_at(body, "application_id")
}

pub(super) async fn set_status(
    s: &Session,
    app: Uuid,
    status: &str,
    reason: Option<&str>,
) -> Reply {
    let mut body = json!({ "status": status });
    if let Some(r) = reason {
        body["reason"] = json!(r);
    }
    s.post(&format!("/api/v1/applications/{app}/status"), body)
        .await
}

/// Moves the application and checks the answer; returns the new version.
pub(super) async fn advance(s: &Session, app: Uuid, status: &str, reason: Option<&str>) -> u64 {
    let r = set_status(s, app, status, reason).await;
    let body = r.assert_ok(200);
    assert_eq!(body["status"], status);
    assert_eq!(uuid_at(body, "application_id"), app);
    r.version()
}

/// The application as the read model holds it once it reflects `version`.
pub(super) async fn read_application(s: &Session, app: Uuid, version: u64) -> Value {
    let r = s
        .get(&format!("/api/v1/applications/{app}?min_version={version}"))
        .await;
    assert_eq!(r.header("x-read-consistency"), Some("consistent"));
    r.assert_ok(200).clone()
}

/// The interview as the read model holds it once it reflects `version`.
pub(super) async fn read_interview(s: &Session, id: Uuid, version: u64) -> Value {
    let r = s
        .get(&format!("/api/v1/interviews/{id}?min_version={version}"))
        .await;
    assert_eq!(r.header("x-read-consistency"), Some("consistent"));
    r.assert_ok(200).clone()
}

/// Schedules a HUMAN interview `secs` from now with `interviewers`; returns the reply.
pub(super) async fn schedule_human(
    hr: &Session,
    app: Uuid,
    interviewers: &[Uuid],
    secs: i64,
) -> Reply {
    hr.post(
        &format!("/api/v1/applications/{app}/interviews"),
        json!({
            "round": 1, "kind": "TECHNICAL", "mode": "HUMAN", "interviewers": interviewers,
            "scheduled_at": in_secs(secs), "duration_mins": 45,
        }),
    )
    .await
}

/// Completes a HUMAN interview as `who` once its scheduled time has come; returns the version.
pub(super) async fn complete_when_due(who: &Session, interview: Uuid) -> u64 {
    let path = format!("/api/v1/interviews/{interview}/complete");
    let mut done = None;
    eventually("the interview's time to come", async || {
        let r = who.post_empty(&path).await;
        if r.status.as_u16() == 409 && r.body["code"] == "INT_012" {
            return false;
        }
        done = Some(r.assert_ok(200).clone());
        true
    })
    .await;
    done.unwrap()["version"].as_u64().unwrap()
}

pub(super) fn statuses(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// Ids of a page's items under `field`.
pub(super) fn ids(page: &Value, field: &str) -> Vec<Uuid> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| uuid_at(i, field))
        .collect()
}

/// Reads the topics of `types` from the start until every `(key, ce_type, n)` of `wanted` was
/// seen at least `n` times; returns how often each `(key, ce_type)` occurred, and the
/// `hl_tenant` of each key.
async fn kafka_events(
    app: &TestApp,
    types: &[&str],
    wanted: &[(Uuid, &str, usize)],
) -> (HashMap<(Uuid, String), usize>, HashMap<Uuid, String>) {
    let topics: Vec<String> = types.iter().map(|t| app.common.topic_for(t)).collect();
    let consumer: StreamConsumer =
        support::topic_consumer(&topics, app.common.topic_partitions).await;
    let mut seen: HashMap<(Uuid, String), usize> = HashMap::new();
    let mut tenants = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    let missing = |seen: &HashMap<(Uuid, String), usize>| {
        wanted
            .iter()
            .filter(|(k, t, n)| seen.get(&(*k, (*t).to_owned())).copied().unwrap_or(0) < *n)
            .map(|(k, t, n)| format!("{n} × {t} of {k}"))
            .collect::<Vec<_>>()
    };
    while !missing(&seen).is_empty() {
        assert!(
            Instant::now() < deadline,
            "not on Kafka: {:?}",
            missing(&seen)
        );
        let Ok(Ok(msg)) = tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await
        else {
            continue;
        };
        let key: Uuid = std::str::from_utf8(msg.key().unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let ce_type = support::header(&msg, "ce_type").expect("ce_type header");
        assert_eq!(
            support::header(&msg, "ce_subject").as_deref(),
            Some(key.to_string().as_str())
        );
        if let Some(t) = support::header(&msg, "hl_tenant") {
            tenants.insert(key, t);
        }
        *seen.entry((key, ce_type)).or_default() += 1;
    }
    (seen, tenants)
}

/// Two companies, an HR and two employees in the first, an open job and a candidate assigned to
/// the first employee.
struct Setup {
    a: Tenant,
    b: Tenant,
    emp: Session,
    emp2: Session,
    job: Uuid,
    cand: Uuid,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = admin(app).await;
    let a = onboard(app, &admin, "Pipeline Works").await;
    let b = onboard(app, &admin, "Other Works").await;
    let (emp_id, _, emp_email) = create_user(&a.hr, "Emil", "EMPLOYEE").await;
    let (_, _, emp2_email) = create_user(&a.hr, "Frida", "EMPLOYEE").await;
    let emp = login(app, &emp_email, "user-password-1").await;
    let emp2 = login(app, &emp2_email, "user-password-1").await;
    assert_eq!(emp.user_id, emp_id);
    let job = open_job(&a.hr, "Backend Engineer").await;
    let cand = new_candidate(&a.hr, "Greta Candidate", "greta@mail.example").await;
    assign(&a.hr, cand, emp_id).await;
    Setup {
        a,
        b,
        emp,
        emp2,
        job,
        cand,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn application_goes_from_applied_to_hired_with_history_and_kafka_events() {
    let app = spawn_app().await;
    let Setup {
        a,
        b,
        emp,
        emp2,
        job,
        cand,
    } = setup(&app).await;
    let hr = &a.hr;

    // Apply: refusals first (nothing written), then the application, then a second one.
    let events_before = app.event_count().await;
    emp.post(
        "/api/v1/applications",
        json!({"job_id": job, "candidate_id": cand}),
    )
    .await
    .assert_error(403, "AUTH_003");
    hr.post(
        "/api/v1/applications",
        json!({"job_id": job, "candidate_id": cand, "source": "PORTAL"}),
    )
    .await
    .assert_error(422, "VAL_001");
    hr.post(
        "/api/v1/applications",
        json!({"job_id": job, "candidate_id": cand, "extra": 1}),
    )
    .await
    .assert_error(400, "REQ_001");
    hr.post(
        "/api/v1/applications",
        json!({"job_id": Uuid::now_v7(), "candidate_id": cand}),
    )
    .await
    .assert_error(404, "JOB_001");
    hr.post(
        "/api/v1/applications",
        json!({"job_id": job, "candidate_id": Uuid::now_v7()}),
    )
    .await
    .assert_error(404, "CAND_001");
    // Another company's job or candidate is not found, never forbidden.
    let b_job = open_job(&b.hr, "Other Job").await;
    let b_cand = new_candidate(&b.hr, "Olga Other", "olga@mail.example").await;
    b.hr.post(
        "/api/v1/applications",
        json!({"job_id": job, "candidate_id": b_cand}),
    )
    .await
    .assert_error(404, "JOB_001");
    b.hr.post(
        "/api/v1/applications",
        json!({"job_id": b_job, "candidate_id": cand}),
    )
    .await
    .assert_error(404, "CAND_001");
    let draft = draft_job(hr, "Not Yet Open").await;
    let events_mid = app.event_count().await;
    hr.post(
        "/api/v1/applications",
        json!({"job_id": draft, "candidate_id": cand}),
    )
    .await
    .assert_error(409, "APP_003");
    assert_eq!(app.event_count().await, events_mid);
    // Only the two jobs and the candidate of the other company were written meanwhile.
    assert!(events_mid > events_before);

    let id = apply(hr, job, cand).await;
    hr.post(
        "/api/v1/applications",
        json!({"job_id": job, "candidate_id": cand, "source": "IMPORT"}),
    )
    .await
    .assert_error(409, "APP_002");
    let view = read_application(hr, id, 1).await;
    assert_eq!(view["status"], "APPLIED");
    assert_eq!(view["source"], "HR");
    assert_eq!(view["candidate_name"], "Greta Candidate");
    assert_eq!(view["candidate_email"], "greta@mail.example");
    assert_eq!(view["job_title"], "Backend Engineer");
    assert_eq!(uuid_at(&view, "assigned_to"), emp.user_id);
    assert_eq!(
        statuses(&view["allowed_next"]),
        ["SCREENING", "REJECTED", "WITHDRAWN"]
    );

    // Refusals of the workflow; none writes an event.
    let before = app.event_count().await;
    set_status(hr, id, "HIRED", None)
        .await
        .assert_error(409, "APP_004");
    set_status(hr, id, "REJECTED", None)
        .await
        .assert_error(422, "APP_006");
    set_status(hr, id, "REJECTED", Some("   "))
        .await
        .assert_error(422, "APP_006");
    set_status(hr, id, "WITHDRAWN", Some("changed mind"))
        .await
        .assert_error(422, "APP_008");
    set_status(hr, id, "DONE", None)
        .await
        .assert_error(422, "VAL_001");
    set_status(&emp2, id, "SCREENING", None)
        .await
        .assert_error(403, "AUTH_003");
    set_status(&b.hr, id, "SCREENING", None)
        .await
        .assert_error(404, "APP_001");
    set_status(hr, Uuid::now_v7(), "SCREENING", None)
        .await
        .assert_error(404, "APP_001");
    assert_eq!(app.event_count().await, before);

    // HR screens, the assigned employee shortlists.
    assert_eq!(advance(hr, id, "SCREENING", None).await, 2);
    assert_eq!(
        advance(&emp, id, "SHORTLISTED", Some("strong portfolio")).await,
        3
    );

    // Interviews: refusals, then a HUMAN interview with the employee, 5 s ahead.
    let path = format!("/api/v1/applications/{id}/interviews");
    let human = |at: String, interviewers: Value| {
        json!({"round": 1, "kind": "TECHNICAL", "mode": "HUMAN", "interviewers": interviewers,
               "scheduled_at": at, "duration_mins": 45})
    };
    hr.post(&path, human(in_secs(-60), json!([emp.user_id])))
        .await
        .assert_error(422, "INT_006");
    hr.post(&path, human(in_secs(3600), json!([])))
        .await
        .assert_error(422, "INT_008");
    hr.post(&path, human(in_secs(3600), json!([b.hr.user_id])))
        .await
        .assert_error(422, "INT_008");
    hr.post(
        &path,
        json!({"round": 1, "kind": "PANEL", "mode": "HUMAN", "interviewers": [emp.user_id],
               "scheduled_at": in_secs(3600), "duration_mins": 45}),
    )
    .await
    .assert_error(422, "VAL_001");
    hr.post(
        &path,
        json!({"round": 1, "kind": "HR", "mode": "AI",
               "scheduled_at": in_secs(3600), "duration_mins": 45}),
    )
    .await
    .assert_error(422, "INT_007");
    emp.post(&path, human(in_secs(3600), json!([emp.user_id])))
        .await
        .assert_error(403, "AUTH_003");
    b.hr.post(&path, human(in_secs(3600), json!([b.hr.user_id])))
        .await
        .assert_error(404, "APP_001");
    let r = schedule_human(hr, id, &[emp.user_id], 5).await;
    let body = r.assert_ok(201);
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body.get("candidate_url").is_none(), "{body}");
    let interview = uuid_at(body, "interview_id");
    let view = read_application(hr, id, 4).await;
    assert_eq!(view["status"], "INTERVIEW_SCHEDULED");
    assert_eq!(
        statuses(&view["allowed_next"]),
        ["OFFERED", "REJECTED", "WITHDRAWN"]
    );

    // Before the interview: no feedback, no completion, not for others.
    let feedback_path = format!("/api/v1/interviews/{interview}/feedback");
    let feedback = json!({
        "ratings": [{"criterion": "Rust", "rating": 5}, {"criterion": "Communication", "rating": 4}],
        "notes": "Clear thinker.",
        "recommendation": "HIRE",
    });
    emp.post(&feedback_path, feedback.clone())
        .await
        .assert_error(409, "INT_009");
    emp2.post_empty(&format!("/api/v1/interviews/{interview}/complete"))
        .await
        .assert_error(403, "AUTH_003");
    b.hr.post_empty(&format!("/api/v1/interviews/{interview}/complete"))
        .await
        .assert_error(404, "INT_001");
    b.hr.get(&format!("/api/v1/interviews/{interview}"))
        .await
        .assert_error(404, "INT_001");
    emp2.get(&format!("/api/v1/interviews/{interview}"))
        .await
        .assert_error(404, "INT_001");

    // The interviewer completes once the time has come, then gives feedback once.
    let v = complete_when_due(&emp, interview).await;
    emp.post(
        &feedback_path,
        json!({"ratings": [{"criterion": "Rust", "rating": 9}], "recommendation": "HIRE"}),
    )
    .await
    .assert_error(422, "VAL_001");
    emp.post(
        &feedback_path,
        json!({"ratings": [{"criterion": "Rust", "rating": 4}], "recommendation": "MAYBE"}),
    )
    .await
    .assert_error(422, "VAL_001");
    emp2.post(&feedback_path, feedback.clone())
        .await
        .assert_error(403, "AUTH_003");
    let r = emp.post(&feedback_path, feedback.clone()).await;
    assert_eq!(r.assert_ok(201)["version"].as_u64(), Some(v + 1));
    emp.post(&feedback_path, feedback)
        .await
        .assert_error(409, "INT_010");

    // The interview with its feedback, for HR and for the interviewer.
    for who in [hr, &emp] {
        let iv = read_interview(who, interview, v + 1).await;
        assert_eq!(iv["status"], "COMPLETED");
        assert_eq!(iv["mode"], "HUMAN");
        assert_eq!(iv["interviewers"], json!([emp.user_id]));
        assert_eq!(iv["feedback_count"], 1);
        let fb = iv["feedback"].as_array().unwrap();
        assert_eq!(fb.len(), 1);
        assert_eq!(uuid_at(&fb[0], "interviewer_id"), emp.user_id);
        assert_eq!(fb[0]["recommendation"], "HIRE");
        assert_eq!(fb[0]["notes"], "Clear thinker.");
        assert_eq!(fb[0]["ratings"][0]["criterion"], "Rust");
    }
    let r = hr
        .get(&format!("/api/v1/interviews?application_id={id}"))
        .await;
    assert_eq!(ids(r.assert_ok(200), "interview_id"), [interview]);
    let r = emp.get("/api/v1/interviews").await;
    assert_eq!(ids(r.assert_ok(200), "interview_id"), [interview]);
    let r = emp2.get("/api/v1/interviews").await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    emp2.get(&format!(
        "/api/v1/interviews?interviewer_id={}",
        emp.user_id
    ))
    .await
    .assert_error(403, "AUTH_003");
    let r = hr.get("/api/v1/interviews?awaiting_feedback=true").await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    hr.get("/api/v1/interviews?sort=random")
        .await
        .assert_error(422, "VAL_001");
    hr.get("/api/v1/interviews?status=DONE")
        .await
        .assert_error(422, "VAL_001");
    let r = b.hr.get("/api/v1/interviews").await;
    assert_eq!(r.assert_ok(200)["total"], 0);

    // Offer and hire; a closed application refuses everything.
    assert_eq!(advance(hr, id, "OFFERED", Some("great fit")).await, 5);
    assert_eq!(advance(hr, id, "HIRED", None).await, 6);
    set_status(hr, id, "REJECTED", Some("too late"))
        .await
        .assert_error(409, "APP_005");
    hr.post(&format!("/api/v1/applications/{id}/withdraw"), json!({}))
        .await
        .assert_error(409, "APP_005");
    schedule_human(hr, id, &[emp.user_id], 3600)
        .await
        .assert_error(409, "INT_014");

    // The history, from the events: every transition with who, when and why.
    let history_path = format!("/api/v1/applications/{id}/history");
    let r = hr.get(&history_path).await;
    let h = r.assert_ok(200).as_array().unwrap().clone();
    let steps: Vec<(Value, Value, Value, Value)> = h
        .iter()
        .map(|c| {
            (
                c["from"].clone(),
                c["to"].clone(),
                c["by"].clone(),
                c["reason"].clone(),
            )
        })
        .collect();
    let (hr_id, emp_id) = (json!(hr.user_id), json!(emp.user_id));
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("APPLIED"), hr_id.clone(), Value::Null),
            (
                json!("APPLIED"),
                json!("SCREENING"),
                hr_id.clone(),
                Value::Null
            ),
            (
                json!("SCREENING"),
                json!("SHORTLISTED"),
                emp_id.clone(),
                json!("strong portfolio")
            ),
            (
                json!("SHORTLISTED"),
                json!("INTERVIEW_SCHEDULED"),
                hr_id.clone(),
                json!(format!("interview {interview} scheduled"))
            ),
            (
                json!("INTERVIEW_SCHEDULED"),
                json!("OFFERED"),
                hr_id.clone(),
                json!("great fit")
            ),
            (json!("OFFERED"), json!("HIRED"), hr_id, Value::Null),
        ]
    );
    let times: Vec<DateTime<Utc>> = h
        .iter()
        .map(|c| c["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(Utc::now() - times[0] < Span::minutes(5));
    let r = emp.get(&history_path).await;
    assert_eq!(r.assert_ok(200).as_array().unwrap().len(), 6);
    emp2.get(&history_path).await.assert_error(404, "APP_001");
    b.hr.get(&history_path).await.assert_error(404, "APP_001");

    // The lists: filters, visibility, validation.
    let hired = read_application(hr, id, 6).await;
    assert_eq!(hired["status"], "HIRED");
    assert_eq!(hired["allowed_next"], json!([]));
    let r = hr.get("/api/v1/applications?status=HIRED&q=greta").await;
    assert_eq!(ids(r.assert_ok(200), "application_id"), [id]);
    let r = hr
        .get(&format!(
            "/api/v1/applications?job_id={job}&assigned_to={}",
            emp.user_id
        ))
        .await;
    assert_eq!(ids(r.assert_ok(200), "application_id"), [id]);
    let r = hr.get("/api/v1/applications?status=APPLIED").await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    let r = emp.get("/api/v1/applications").await;
    assert_eq!(ids(r.assert_ok(200), "application_id"), [id]);
    let r = emp2.get("/api/v1/applications").await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    emp2.get(&format!("/api/v1/applications?assigned_to={}", emp.user_id))
        .await
        .assert_error(403, "AUTH_003");
    emp2.get(&format!("/api/v1/applications/{id}"))
        .await
        .assert_error(404, "APP_001");
    let r = b.hr.get("/api/v1/applications").await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    b.hr.get(&format!("/api/v1/applications/{id}"))
        .await
        .assert_error(404, "APP_001");
    hr.get("/api/v1/applications?sort=oldest")
        .await
        .assert_error(422, "VAL_001");
    hr.get("/api/v1/applications?status=LOST")
        .await
        .assert_error(422, "VAL_001");
    hr.get("/api/v1/applications?page=0")
        .await
        .assert_error(422, "VAL_001");

    // Every event reached Kafka, with its CloudEvents type (v2 for the events that seal free
    // text about the candidate), keyed by its aggregate.
    let wanted = [
        (job, "hireledger.job.JobCreated.v1", 1),
        (job, "hireledger.job.JobOpened.v1", 1),
        (cand, "hireledger.candidate.CandidateCreated.v2", 1),
        (cand, "hireledger.candidate.CandidateAssigned.v1", 1),
        (id, "hireledger.application.ApplicationSubmitted.v1", 1),
        (id, "hireledger.application.ApplicationStatusChanged.v2", 5),
        (interview, "hireledger.interview.InterviewScheduled.v1", 1),
        (interview, "hireledger.interview.InterviewCompleted.v1", 1),
        (interview, "hireledger.interview.FeedbackSubmitted.v2", 1),
    ];
    let (seen, tenants) = kafka_events(
        &app,
        &["job", "candidate", "application", "interview"],
        &wanted,
    )
    .await;
    let changed = (
        id,
        "hireledger.application.ApplicationStatusChanged.v2".to_owned(),
    );
    assert_eq!(seen[&changed], 5);
    let company = a.company_id.to_string();
    for key in [job, cand, id, interview] {
        assert_eq!(tenants.get(&key), Some(&company), "tenant of {key}");
    }
    let kinds: HashSet<&str> = seen
        .keys()
        .filter(|(k, _)| *k == id)
        .map(|(_, t)| t.as_str())
        .collect();
    assert!(!kinds.contains("hireledger.application.ApplicationWithdrawn.v2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn withdrawals_rejections_and_ai_interviews() {
    let app = spawn_app().await;
    let Setup {
        a,
        b,
        emp,
        job,
        cand,
        ..
    } = setup(&app).await;
    let hr = &a.hr;

    // Withdrawal by HR, with and without a body; the assigned employee may not withdraw.
    let first = apply(hr, job, cand).await;
    let withdraw = format!("/api/v1/applications/{first}/withdraw");
    emp.post(&withdraw, json!({}))
        .await
        .assert_error(403, "AUTH_003");
    b.hr.post(&withdraw, json!({}))
        .await
        .assert_error(404, "APP_001");
    hr.post(&withdraw, json!({"reason": "x".repeat(1001)}))
        .await
        .assert_error(422, "APP_007");
    let r = hr
        .post(&withdraw, json!({"reason": "took another offer"}))
        .await;
    let body = r.assert_ok(200);
    assert_eq!(body["status"], "WITHDRAWN");
    assert_eq!(body["version"], 2);
    hr.post_empty(&withdraw).await.assert_error(409, "APP_005");
    let h = hr
        .get(&format!("/api/v1/applications/{first}/history"))
        .await;
    let last = h.assert_ok(200).as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["from"], "APPLIED");
    assert_eq!(last["to"], "WITHDRAWN");
    assert_eq!(last["reason"], "took another offer");
    assert_eq!(uuid_at(&last, "by"), hr.user_id);

    // A withdrawal without a body; a rejection with a reason; closed applications refuse interviews.
    let c2 = new_candidate(hr, "Hugo Second", "hugo@mail.example").await;
    let second = apply(hr, job, c2).await;
    let r = hr
        .post_empty(&format!("/api/v1/applications/{second}/withdraw"))
        .await;
    assert_eq!(r.assert_ok(200)["status"], "WITHDRAWN");
    let c3 = new_candidate(hr, "Ida Third", "ida@mail.example").await;
    let third = apply(hr, job, c3).await;
    let r = set_status(hr, third, "REJECTED", Some("  not enough experience ")).await;
    assert_eq!(r.assert_ok(200)["status"], "REJECTED");
    let view = read_application(hr, third, 2).await;
    assert_eq!(view["status_reason"], "not enough experience");
    schedule_human(hr, third, &[emp.user_id], 3600)
        .await
        .assert_error(409, "INT_014");

    // An AI interview: the access token is returned once and nowhere else.
    let c4 = new_candidate(hr, "Jon Fourth", "jon@mail.example").await;
    let fourth = apply(hr, job, c4).await;
    let path = format!("/api/v1/applications/{fourth}/interviews");
    let start = Utc::now() + Span::hours(1);
    let ai = |at: DateTime<Utc>, expires: DateTime<Utc>| {
        json!({"round": 1, "kind": "TECHNICAL", "mode": "AI", "scheduled_at": at.to_rfc3339(),
               "duration_mins": 30, "expires_at": expires.to_rfc3339()})
    };
    hr.post(&path, ai(start, start - Span::minutes(1)))
        .await
        .assert_error(422, "INT_007");
    let r = hr.post(&path, ai(start, start + Span::days(2))).await;
    let body = r.assert_ok(201).clone();
    assert_eq!(body["version"], 1);
    let interview = uuid_at(&body, "interview_id");
    let token = body["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    assert!(token.len() >= 43, "{token}");
    assert_eq!(body["candidate_url"], format!("/interview/{token}"));
    let iv = read_interview(hr, interview, 1).await;
    assert_eq!(iv["mode"], "AI");
    assert_eq!(iv["status"], "SCHEDULED");
    assert!(
        !iv.to_string().contains(&token),
        "the token is served again"
    );
    let view = read_application(hr, fourth, 2).await;
    assert_eq!(view["status"], "INTERVIEW_SCHEDULED");
    assert_eq!(
        statuses(&view["allowed_next"]),
        ["OFFERED", "REJECTED", "WITHDRAWN"]
    );

    // The public link check answers for the token (and the interview routes do not shadow it).
    let validate = app
        .client()
        .get(app.url(&format!("/api/v1/interviews/validate/{token}")));
    let r = Reply::from(validate.send().await.unwrap()).await;
    r.assert_ok(200);
    assert_eq!(r.body["valid"], true, "{}", r.body);
    let bogus = app
        .client()
        .get(app.url("/api/v1/interviews/validate/not-a-token"));
    Reply::from(bogus.send().await.unwrap())
        .await
        .assert_error(404, "INT_002");

    // Lifecycle refusals and commands of the AI interview.
    let at = |tail: &str| format!("/api/v1/interviews/{interview}{tail}");
    hr.post(
        &at("/feedback"),
        json!({"ratings": [{"criterion": "Rust", "rating": 3}], "recommendation": "NO_DECISION"}),
    )
    .await
    .assert_error(409, "INT_009");
    hr.post_empty(&at("/release-results"))
        .await
        .assert_error(409, "INT_009");
    hr.post_empty(&at("/no-show"))
        .await
        .assert_error(409, "INT_012");
    hr.post_empty(&at("/complete"))
        .await
        .assert_error(409, "INT_012");
    let later = start + Span::hours(2);
    hr.post(
        &at("/reschedule"),
        json!({"scheduled_at": later.to_rfc3339(), "duration_mins": 30}),
    )
    .await
    .assert_error(422, "INT_007");
    emp.post(
        &at("/reschedule"),
        json!({"scheduled_at": later.to_rfc3339(), "duration_mins": 30,
               "expires_at": (later + Span::days(1)).to_rfc3339()}),
    )
    .await
    .assert_error(403, "AUTH_003");
    b.hr.post(
        &at("/reschedule"),
        json!({"scheduled_at": later.to_rfc3339(), "duration_mins": 30,
               "expires_at": (later + Span::days(1)).to_rfc3339()}),
    )
    .await
    .assert_error(404, "INT_001");
    let r = hr
        .post(
            &at("/reschedule"),
            json!({"scheduled_at": later.to_rfc3339(), "duration_mins": 30,
                   "expires_at": (later + Span::days(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.assert_ok(200)["version"], 2);
    hr.post(
        &at("/reschedule"),
        json!({"scheduled_at": later.to_rfc3339(), "duration_mins": 30,
               "expires_at": (later + Span::days(1)).to_rfc3339()}),
    )
    .await
    .assert_error(422, "INT_015");
    let iv = read_interview(hr, interview, 2).await;
    let moved: DateTime<Utc> = iv["scheduled_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(moved.timestamp(), later.timestamp());

    // An offered application takes no more interviews.
    advance(hr, fourth, "OFFERED", None).await;
    hr.post(&path, ai(start, start + Span::days(2)))
        .await
        .assert_error(409, "APP_004");

    // Cancel (body optional), then everything is refused.
    b.hr.post_empty(&at("/cancel"))
        .await
        .assert_error(404, "INT_001");
    let r = hr
        .post(&at("/cancel"), json!({"reason": "position filled"}))
        .await;
    assert_eq!(r.assert_ok(200)["version"], 3);
    hr.post_empty(&at("/cancel"))
        .await
        .assert_error(409, "INT_005");
    let iv = read_interview(hr, interview, 3).await;
    assert_eq!(iv["status"], "CANCELLED");
    assert_eq!(iv["status_reason"], "position filled");
    hr.post_empty(&format!("/api/v1/interviews/{}/cancel", Uuid::now_v7()))
        .await
        .assert_error(404, "INT_001");
    let validate = app
        .client()
        .get(app.url(&format!("/api/v1/interviews/validate/{token}")));
    Reply::from(validate.send().await.unwrap())
        .await
        .assert_error(409, "INT_005");
    hr.get("/api/v1/interviews/not-a-uuid")
        .await
        .assert_error(404, "NOT_FOUND");
    // Totals per company and status, kept by the projector, equal the rows through every change.
    support::assert_list_counts_exact(&app.pool).await;
}
