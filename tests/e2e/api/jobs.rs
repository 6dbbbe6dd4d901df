//! Jobs and their interview questions: lifecycle, validation, roles, tenancy, list filters.

use super::{Reply, Session, admin, create_user, login, onboard, uuid_at};
use crate::support::spawn_app;
use serde_json::{Value, json};
use uuid::Uuid;

pub(super) async fn put(s: &Session, path: &str, body: Value) -> Reply {
    s.send(s.client.put(format!("{}{path}", s.base)).json(&body))
        .await
}

pub(super) async fn delete(s: &Session, path: &str) -> Reply {
    s.send(s.client.delete(format!("{}{path}", s.base))).await
}

/// A publishable job: description, one skill, salary.
pub(super) fn job_body(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Build the hiring pipeline.",
        "requirements": "Three years of Rust.",
        "department": "Engineering",
        "location": "Berlin",
        "employment_type": "FULL_TIME",
        "salary": {"currency": "EUR", "min": 5_000_000, "max": 6_500_000},
        "skills": [{"name": "Rust", "weight": 80}],
    })
}

pub(super) fn question_body(text: &str) -> Value {
    json!({
        "text": text,
        "category": "TECHNICAL",
        "difficulty": "MEDIUM",
        "weight": 10,
        "ideal_answer": "Idempotency keys and an outbox.",
        "rubric": ["mentions idempotency", "mentions retries"],
        "expected_duration_secs": 300,
    })
}

/// Creates a job; returns its id and version.
pub(super) async fn create_job(s: &Session, body: Value) -> (Uuid, u64) {
    let r = s.post("/api/v1/jobs", body).await;
    let b = r.assert_ok(201);
    (uuid_at(b, "job_id"), r.version())
}

/// Runs `POST /jobs/{id}/{action}`; returns the new version.
pub(super) async fn job_action(s: &Session, id: Uuid, action: &str) -> u64 {
    let r = s.post_empty(&format!("/api/v1/jobs/{id}/{action}")).await;
    r.assert_ok(200);
    assert_eq!(r.body["job_id"], json!(id));
    r.version()
}

/// The job as HR reads it once the read model reached `version`.
pub(super) async fn read_job(s: &Session, id: Uuid, version: u64) -> Value {
    let r = s
        .get(&format!("/api/v1/jobs/{id}?min_version={version}"))
        .await;
    r.assert_ok(200);
    assert_eq!(r.header("x-read-consistency"), Some("consistent"));
    r.body
}

fn ids(items: &Value, field: &str) -> Vec<Uuid> {
    items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| uuid_at(i, field))
        .collect()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|j| j["title"].as_str().expect("title").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn job_lifecycle_with_questions() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Jobco").await;
    let hr = &a.hr;

    // A bare DRAFT cannot open: first the description, then the skills are missing.
    let (id, v) = create_job(
        hr,
        json!({"title": "  Backend Engineer ", "employment_type": "FULL_TIME"}),
    )
    .await;
    assert_eq!(v, 1);
    let before = app.event_count().await;
    hr.post_empty(&format!("/api/v1/jobs/{id}/open"))
        .await
        .assert_error(422, "JOB_005");
    let mut no_skills = job_body("Backend Engineer");
    no_skills["skills"] = json!([]);
    let r = put(hr, &format!("/api/v1/jobs/{id}"), no_skills).await;
    r.assert_ok(200);
    assert_eq!(r.version(), 2);
    assert_eq!(r.header("x-aggregate-version"), Some("2"));
    let before = before + 1;
    hr.post_empty(&format!("/api/v1/jobs/{id}/open"))
        .await
        .assert_error(422, "JOB_006");
    assert_eq!(app.event_count().await, before, "refusals write nothing");
    put(
        hr,
        &format!("/api/v1/jobs/{id}"),
        job_body("Backend Engineer"),
    )
    .await
    .assert_ok(200);
    // The same details again change nothing.
    put(
        hr,
        &format!("/api/v1/jobs/{id}"),
        job_body("Backend Engineer"),
    )
    .await
    .assert_error(422, "JOB_011");

    // Questions: add three, reorder, edit, remove.
    let mut q = Vec::new();
    for text in ["First?", "Second?", "Third?"] {
        let r = hr
            .post(&format!("/api/v1/jobs/{id}/questions"), question_body(text))
            .await;
        let b = r.assert_ok(201);
        assert_eq!(b["job_id"], json!(id));
        q.push(uuid_at(b, "question_id"));
    }
    let order = |o: Vec<Uuid>| json!({ "order": o });
    put(
        hr,
        &format!("/api/v1/jobs/{id}/questions/order"),
        order(vec![q[2], q[0], q[1]]),
    )
    .await
    .assert_ok(200);
    put(
        hr,
        &format!("/api/v1/jobs/{id}/questions/order"),
        order(vec![q[2], q[0]]),
    )
    .await
    .assert_error(422, "JOB_010");
    put(
        hr,
        &format!("/api/v1/jobs/{id}/questions/order"),
        order(vec![q[2], q[0], q[1]]),
    )
    .await
    .assert_error(422, "JOB_011");
    let mut edited = question_body("First, reworded?");
    edited["difficulty"] = json!("HARD");
    put(hr, &format!("/api/v1/jobs/{id}/questions/{}", q[0]), edited)
        .await
        .assert_ok(200);
    put(
        hr,
        &format!("/api/v1/jobs/{id}/questions/{}", Uuid::now_v7()),
        question_body("Ghost?"),
    )
    .await
    .assert_error(404, "JOB_008");
    let r = delete(hr, &format!("/api/v1/jobs/{id}/questions/{}", q[1])).await;
    r.assert_ok(200);
    delete(hr, &format!("/api/v1/jobs/{id}/questions/{}", q[1]))
        .await
        .assert_error(404, "JOB_008");

    // Thresholds and review policy.
    let thresholds = format!("/api/v1/jobs/{id}/thresholds");
    put(hr, &thresholds, json!({}))
        .await
        .assert_error(422, "VAL_001");
    put(
        hr,
        &thresholds,
        json!({"thresholds": {"pass": 40, "fail": 70}}),
    )
    .await
    .assert_error(422, "JOB_007");
    put(
        hr,
        &thresholds,
        json!({"thresholds": {"pass": 70, "fail": 40}}),
    )
    .await
    .assert_ok(200);
    let policy = format!("/api/v1/jobs/{id}/review-policy");
    let r = put(hr, &policy, json!({"human_review_required": true})).await;
    r.assert_ok(200);
    let last = r.version();
    put(hr, &policy, json!({"human_review_required": true}))
        .await
        .assert_error(422, "JOB_011");

    // The read side: details, questions in order without the removed one.
    let job = read_job(hr, id, last).await;
    assert_eq!(job["version"], json!(last));
    assert_eq!(job["title"], "Backend Engineer");
    assert_eq!(job["status"], "DRAFT");
    assert_eq!(job["company_id"], json!(a.company_id));
    assert_eq!(job["created_by"], json!(hr.user_id));
    assert_eq!(job["employment_type"], "FULL_TIME");
    assert_eq!(
        job["salary"],
        json!({"currency": "EUR", "min": 5_000_000, "max": 6_500_000})
    );
    assert_eq!(job["skills"], json!([{"name": "Rust", "weight": 80}]));
    assert_eq!(job["thresholds"], json!({"pass": 70, "fail": 40}));
    assert_eq!(job["human_review_required"], true);
    assert_eq!(job["question_count"], 2);
    assert_eq!(ids(&job["questions"], "question_id"), vec![q[2], q[0]]);
    assert_eq!(job["questions"][0]["position"], 1);
    assert_eq!(job["questions"][1]["position"], 2);
    assert_eq!(job["questions"][1]["text"], "First, reworded?");
    assert_eq!(job["questions"][1]["difficulty"], "HARD");
    assert_eq!(
        job["questions"][1]["rubric"],
        json!(["mentions idempotency", "mentions retries"])
    );
    let r = hr.get(&format!("/api/v1/jobs/{id}/questions")).await;
    let page = r.assert_ok(200);
    assert_eq!(ids(&page["items"], "question_id"), vec![q[2], q[0]]);
    assert_eq!(
        (
            &page["total"],
            &page["page"],
            &page["page_size"],
            &page["pages"]
        ),
        (&json!(2), &json!(1), &json!(20), &json!(1))
    );
    let r = hr
        .get(&format!("/api/v1/jobs/{id}/questions?page=2&page_size=1"))
        .await;
    assert_eq!(ids(&r.assert_ok(200)["items"], "question_id"), vec![q[0]]);
    hr.get(&format!("/api/v1/jobs/{id}/questions?page_size=101"))
        .await
        .assert_error(422, "VAL_001");

    // OPEN ⇄ PAUSED → CLOSED; closed is final.
    job_action(hr, id, "open").await;
    hr.post_empty(&format!("/api/v1/jobs/{id}/open"))
        .await
        .assert_error(409, "JOB_004");
    let mut emptied = job_body("Backend Engineer");
    emptied["description"] = json!("");
    put(hr, &format!("/api/v1/jobs/{id}"), emptied)
        .await
        .assert_error(422, "JOB_005");
    job_action(hr, id, "pause").await;
    hr.post_empty(&format!("/api/v1/jobs/{id}/pause"))
        .await
        .assert_error(409, "JOB_004");
    job_action(hr, id, "open").await;
    let closed = job_action(hr, id, "close").await;
    let before = app.event_count().await;
    for action in ["open", "pause", "close"] {
        hr.post_empty(&format!("/api/v1/jobs/{id}/{action}"))
            .await
            .assert_error(409, "JOB_003");
    }
    hr.post(
        &format!("/api/v1/jobs/{id}/questions"),
        question_body("Late?"),
    )
    .await
    .assert_error(409, "JOB_003");
    put(hr, &format!("/api/v1/jobs/{id}"), job_body("Renamed"))
        .await
        .assert_error(409, "JOB_003");
    assert_eq!(app.event_count().await, before, "refusals write nothing");
    let job = read_job(hr, id, closed).await;
    assert_eq!(job["status"], "CLOSED");
    assert!(job["opened_at"].is_string() && job["closed_at"].is_string());

    // Other methods on a job resource answer 405.
    let r = hr
        .send(hr.client.patch(format!("{}/api/v1/jobs/{id}", hr.base)))
        .await;
    r.assert_error(405, "REQ_005");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn job_validation_roles_and_tenancy() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Alphajobs").await;
    let b = onboard(&app, &admin, "Betajobs").await;
    let (id, v) = create_job(&a.hr, job_body("Platform Engineer")).await;
    let (qid, _) = {
        let r =
            a.hr.post(
                &format!("/api/v1/jobs/{id}/questions"),
                question_body("Why?"),
            )
            .await;
        (uuid_at(r.assert_ok(201), "question_id"), r.version())
    };

    // Validation: every refusal names its field and writes nothing.
    let before = app.event_count().await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = job_body("Valid");
        f(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|b| b["employment_type"] = json!("GIG")),
            "employment_type",
        ),
        (with(&|b| b["title"] = json!("   ")), "title"),
        (
            with(&|b| b["skills"] = json!([{"name": "Rust", "weight": 0}])),
            "skill_weight",
        ),
        (
            with(&|b| b["skills"] = json!([{"name": "Rust", "weight": 300}])),
            "skill_weight",
        ),
        (
            with(&|b| {
                b["skills"] = json!([{"name": "Rust", "weight": 5}, {"name": "rust", "weight": 5}])
            }),
            "skills",
        ),
        (
            with(&|b| b["salary"] = json!({"currency": "EUR", "min": 10, "max": 5})),
            "salary",
        ),
        (
            with(&|b| b["salary"] = json!({"currency": "euro", "min": 1, "max": 5})),
            "salary_currency",
        ),
    ];
    for (body, field) in cases {
        let r = a.hr.post("/api/v1/jobs", body).await;
        r.assert_error(422, "VAL_001");
        assert!(
            r.body["detail"].as_str().unwrap().contains(field),
            "{field}: {}",
            r.body
        );
    }
    a.hr.post(
        "/api/v1/jobs",
        with(&|b| b["thresholds"] = json!({"pass": 40, "fail": 70})),
    )
    .await
    .assert_error(422, "JOB_007");
    a.hr.post("/api/v1/jobs", with(&|b| b["colour"] = json!("blue")))
        .await
        .assert_error(400, "REQ_001");
    let questions = format!("/api/v1/jobs/{id}/questions");
    for (field, value, named) in [
        ("category", json!("TRIVIA"), "category"),
        ("difficulty", json!("hard"), "difficulty"),
        ("weight", json!(0), "question_weight"),
        ("expected_duration_secs", json!(5), "expected_duration"),
        ("text", json!(""), "question_text"),
    ] {
        let mut body = question_body("Valid?");
        body[field] = value;
        let r = a.hr.post(&questions, body).await;
        r.assert_error(422, "VAL_001");
        assert!(
            r.body["detail"].as_str().unwrap().contains(named),
            "{field}: {}",
            r.body
        );
    }
    assert_eq!(app.event_count().await, before, "refusals write nothing");

    // Platform admins name the company; HR cannot name another one.
    admin
        .post("/api/v1/jobs", job_body("Admin job"))
        .await
        .assert_error(422, "VAL_001");
    let mut for_b = job_body("Admin job");
    for_b["company_id"] = json!(b.company_id);
    let (b_job, b_v) = create_job(&admin, for_b.clone()).await;
    a.hr.post("/api/v1/jobs", for_b)
        .await
        .assert_error(404, "COMP_002");
    let r = admin
        .get(&format!("/api/v1/jobs/{id}?min_version={v}"))
        .await;
    r.assert_ok(200);

    // EMPLOYEE reads but does not write; CANDIDATE does neither.
    let (_, _, emp_email) = create_user(&a.hr, "Edda", "EMPLOYEE").await;
    let emp = login(&app, &emp_email, "user-password-1").await;
    let (_, _, cand_email) = create_user(&a.hr, "Cara", "CANDIDATE").await;
    let cand = login(&app, &cand_email, "user-password-1").await;
    let r = emp.get(&format!("/api/v1/jobs/{id}?min_version=2")).await;
    assert_eq!(r.assert_ok(200)["questions"][0]["question_id"], json!(qid));
    emp.get("/api/v1/jobs").await.assert_ok(200);
    emp.get(&questions).await.assert_ok(200);
    let before = app.event_count().await;
    emp.post("/api/v1/jobs", job_body("Mine"))
        .await
        .assert_error(403, "AUTH_003");
    put(&emp, &format!("/api/v1/jobs/{id}"), job_body("Mine"))
        .await
        .assert_error(403, "AUTH_003");
    for action in ["open", "pause", "close"] {
        emp.post_empty(&format!("/api/v1/jobs/{id}/{action}"))
            .await
            .assert_error(403, "AUTH_003");
    }
    emp.post(&questions, question_body("Mine?"))
        .await
        .assert_error(403, "AUTH_003");
    delete(&emp, &format!("{questions}/{qid}"))
        .await
        .assert_error(403, "AUTH_003");
    cand.get("/api/v1/jobs").await.assert_error(403, "AUTH_003");
    cand.get(&format!("/api/v1/jobs/{id}"))
        .await
        .assert_error(403, "AUTH_003");
    cand.get(&questions).await.assert_error(403, "AUTH_003");

    // Another company's HR: 404 on reads and on every command.
    let bhr = &b.hr;
    bhr.get(&format!("/api/v1/jobs/{id}?min_version={v}"))
        .await
        .assert_error(404, "JOB_001");
    bhr.get(&questions).await.assert_error(404, "JOB_001");
    put(bhr, &format!("/api/v1/jobs/{id}"), job_body("Stolen"))
        .await
        .assert_error(404, "JOB_001");
    put(
        bhr,
        &format!("/api/v1/jobs/{id}/thresholds"),
        json!({"thresholds": null}),
    )
    .await
    .assert_error(404, "JOB_001");
    put(
        bhr,
        &format!("/api/v1/jobs/{id}/review-policy"),
        json!({"human_review_required": true}),
    )
    .await
    .assert_error(404, "JOB_001");
    for action in ["open", "pause", "close"] {
        bhr.post_empty(&format!("/api/v1/jobs/{id}/{action}"))
            .await
            .assert_error(404, "JOB_001");
    }
    bhr.post(&questions, question_body("Mine?"))
        .await
        .assert_error(404, "JOB_001");
    put(bhr, &format!("{questions}/{qid}"), question_body("Mine?"))
        .await
        .assert_error(404, "JOB_001");
    delete(bhr, &format!("{questions}/{qid}"))
        .await
        .assert_error(404, "JOB_001");
    put(bhr, &format!("{questions}/order"), json!({"order": [qid]}))
        .await
        .assert_error(404, "JOB_001");
    // An invalid body for another tenant's job still answers 404: nothing is revealed.
    put(
        bhr,
        &format!("/api/v1/jobs/{id}"),
        with(&|b| b["employment_type"] = json!("GIG")),
    )
    .await
    .assert_error(404, "JOB_001");
    bhr.get(&format!("/api/v1/jobs?company_id={}", a.company_id))
        .await
        .assert_error(404, "COMP_002");
    assert_eq!(app.event_count().await, before, "refusals write nothing");
    let r = bhr
        .get(&format!("/api/v1/jobs/{b_job}?min_version={b_v}"))
        .await;
    assert_eq!(r.assert_ok(200)["created_by"], json!(admin.user_id));
    // Unknown ids.
    a.hr.get(&format!("/api/v1/jobs/{}", Uuid::now_v7()))
        .await
        .assert_error(404, "JOB_001");
    a.hr.post_empty(&format!("/api/v1/jobs/{}/open", Uuid::now_v7()))
        .await
        .assert_error(404, "JOB_001");
    a.hr.get("/api/v1/jobs/not-a-uuid")
        .await
        .assert_error(400, "REQ_001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn job_list_filters_sort_and_paging() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Listco").await;
    let b = onboard(&app, &admin, "Otherco").await;
    let hr = &a.hr;
    let mut frontend = job_body("Frontend Engineer");
    frontend["employment_type"] = json!("PART_TIME");
    let mut sales = job_body("sales manager");
    sales["department"] = json!("Sales");
    sales["employment_type"] = json!("CONTRACT");
    let (backend, _) = create_job(hr, job_body("Backend Engineer")).await;
    let (front, v_front) = create_job(hr, frontend).await;
    let (sales, v_sales) = create_job(hr, sales).await;
    let v_open = job_action(hr, backend, "open").await;
    let (other, v_other) = create_job(&b.hr, job_body("Backend Engineer")).await;
    // Read-your-writes for each job before listing.
    for (id, v) in [(backend, v_open), (front, v_front), (sales, v_sales)] {
        read_job(hr, id, v).await;
    }
    read_job(&b.hr, other, v_other).await;

    let list = |query: &str| {
        let path = format!("/api/v1/jobs{query}");
        async move {
            let r = hr.get(&path).await;
            r.assert_ok(200);
            r.body
        }
    };
    let all = list("").await;
    assert_eq!(
        (
            &all["total"],
            &all["page"],
            &all["page_size"],
            &all["pages"]
        ),
        (&json!(3), &json!(1), &json!(20), &json!(1))
    );
    assert_eq!(
        titles(&all),
        ["sales manager", "Frontend Engineer", "Backend Engineer"],
        "newest first by default"
    );
    assert!(
        all["items"][0]["questions"].is_null(),
        "lists carry no questions"
    );
    assert_eq!(
        titles(&list("?sort=created_asc").await),
        ["Backend Engineer", "Frontend Engineer", "sales manager"]
    );
    assert_eq!(
        titles(&list("?sort=title_asc").await),
        ["Backend Engineer", "Frontend Engineer", "sales manager"]
    );
    assert_eq!(titles(&list("?status=OPEN").await), ["Backend Engineer"]);
    assert_eq!(list("?status=DRAFT").await["total"], 2);
    assert_eq!(
        titles(&list("?q=ENGINEER&sort=title_asc").await),
        ["Backend Engineer", "Frontend Engineer"]
    );
    assert_eq!(titles(&list("?q=manag").await), ["sales manager"]);
    assert_eq!(list("?q=nothing-like-it").await["pages"], 0);
    assert_eq!(titles(&list("?department=Sales").await), ["sales manager"]);
    assert_eq!(
        titles(&list("?employment_type=PART_TIME").await),
        ["Frontend Engineer"]
    );
    let p1 = list("?page_size=2&sort=created_asc").await;
    assert_eq!(
        (&p1["total"], &p1["pages"], &p1["page_size"]),
        (&json!(3), &json!(2), &json!(2))
    );
    assert_eq!(titles(&p1), ["Backend Engineer", "Frontend Engineer"]);
    let p2 = list("?page=2&page_size=2&sort=created_asc").await;
    assert_eq!(
        (titles(&p2), &p2["page"]),
        (vec!["sales manager".to_owned()], &json!(2))
    );
    for bad in [
        "?status=open",
        "?sort=salary",
        "?employment_type=GIG",
        "?page_size=101",
        "?page=0",
    ] {
        hr.get(&format!("/api/v1/jobs{bad}"))
            .await
            .assert_error(422, "VAL_001");
    }
    hr.get("/api/v1/jobs?page=x")
        .await
        .assert_error(400, "REQ_001");

    // Tenancy: each company sees its own; the platform admin sees all, or one company.
    let theirs = b.hr.get("/api/v1/jobs").await;
    assert_eq!(ids(&theirs.assert_ok(200)["items"], "job_id"), vec![other]);
    let r = admin.get("/api/v1/jobs").await;
    assert_eq!(r.assert_ok(200)["total"], 4);
    let r = admin
        .get(&format!("/api/v1/jobs?company_id={}", b.company_id))
        .await;
    assert_eq!(ids(&r.assert_ok(200)["items"], "job_id"), vec![other]);
}
