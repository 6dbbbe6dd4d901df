//! Per-role views: the HR dashboard, the employee's own lists and the candidate portal.

use super::pipeline::{
    advance, apply, assign, complete_when_due, eventually, ids, new_candidate, open_job,
    read_application, read_interview, schedule_human, set_status,
};
use super::{Session, admin, create_user, login, onboard, poll, uuid_at, verify_mailed};
use crate::support::{TestApp, spawn_app};
use serde_json::{Value, json};
use uuid::Uuid;

const WORKFLOW: [&str; 8] = [
    "APPLIED",
    "SCREENING",
    "SHORTLISTED",
    "INTERVIEW_SCHEDULED",
    "OFFERED",
    "HIRED",
    "REJECTED",
    "WITHDRAWN",
];

/// The dashboard's counts as `(status, count)`, in the order it lists them.
fn counts(d: &Value) -> Vec<(String, i64)> {
    d["status_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Every workflow status with the given counts, zeros for the others.
fn expected(nonzero: &[(&str, i64)]) -> Vec<(String, i64)> {
    WORKFLOW
        .iter()
        .map(|s| {
            let n = nonzero.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
            ((*s).to_owned(), n)
        })
        .collect()
}

/// HR creates a CANDIDATE account for `email`, its owner verifies the address (which links the
/// company's candidate record with that e-mail) and signs in.
async fn candidate_account(app: &TestApp, hr: &Session, name: &str, email: &str) -> Session {
    let r = hr
        .post(
            "/api/v1/users",
            json!({"name": name, "email": email, "role": "CANDIDATE", "password": "user-password-1"}),
        )
        .await;
    let user_id = uuid_at(r.assert_ok(201), "user_id");
    verify_mailed(app, user_id).await;
    login(app, email, "user-password-1").await
}

/// Waits until `path` lists `total` items for `who`; returns that page.
async fn page_with(who: &Session, path: &str, total: u64) -> Value {
    let mut page = Value::Null;
    eventually(&format!("{path} to list {total}"), async || {
        let r = who.get(path).await;
        page = r.assert_ok(200).clone();
        page["total"].as_u64() == Some(total)
    })
    .await;
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dashboard_employee_lists_and_candidate_portal() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Portal Works").await;
    let b = onboard(&app, &admin, "Portal Other").await;
    let hr = &a.hr;
    let (emp_id, _, emp_email) = create_user(hr, "Emil", "EMPLOYEE").await;
    let (_, _, emp2_email) = create_user(hr, "Frida", "EMPLOYEE").await;
    let emp = login(&app, &emp_email, "user-password-1").await;
    let emp2 = login(&app, &emp2_email, "user-password-1").await;
    let job = open_job(hr, "Backend Engineer").await;
    let empty_job = open_job(hr, "Nobody Applied").await;
    let b_job = open_job(&b.hr, "Elsewhere").await;
    let c1 = new_candidate(hr, "Kim First", "kim@mail.example").await;
    let c2 = new_candidate(hr, "Lou Second", "lou@mail.example").await;
    let c3 = new_candidate(hr, "Max Third", "max@mail.example").await;
    assign(hr, c1, emp_id).await;

    // A few applications in different statuses, all in the read model.
    let a1 = apply(hr, job, c1).await;
    let a2 = apply(hr, job, c2).await;
    let a3 = apply(hr, job, c3).await;
    advance(hr, a2, "SCREENING", None).await;
    set_status(hr, a3, "REJECTED", Some("no work permit"))
        .await
        .assert_ok(200);
    read_application(hr, a1, 1).await;
    read_application(hr, a2, 2).await;
    read_application(hr, a3, 2).await;

    // The dashboard: counts per status (every status listed), conversions, per job, tenancy.
    let r = hr.get("/api/v1/dashboard").await;
    let d = r.assert_ok(200).clone();
    assert_eq!(uuid_at(&d, "company_id"), a.company_id);
    assert_eq!(
        counts(&d),
        expected(&[("APPLIED", 1), ("SCREENING", 1), ("REJECTED", 1)])
    );
    let first = &d["conversions"][0];
    assert_eq!(
        (&first["from"], &first["to"]),
        (&json!("APPLIED"), &json!("SCREENING"))
    );
    assert_eq!(first["entered_from"], 3);
    assert_eq!(first["entered_to"], 1);
    assert!(d["stage_durations"].is_array());
    assert_eq!(d["upcoming_interviews"], json!([]));
    assert_eq!(d["awaiting_feedback_total"], 0);
    let r = hr.get(&format!("/api/v1/dashboard?job_id={job}")).await;
    assert_eq!(counts(r.assert_ok(200)), counts(&d));
    let r = hr
        .get(&format!("/api/v1/dashboard?job_id={empty_job}"))
        .await;
    assert_eq!(counts(r.assert_ok(200)), expected(&[]));
    hr.get(&format!("/api/v1/dashboard?job_id={b_job}"))
        .await
        .assert_error(404, "JOB_001");
    hr.get(&format!("/api/v1/dashboard?company_id={}", b.company_id))
        .await
        .assert_error(404, "COMP_002");
    let r = b.hr.get("/api/v1/dashboard").await;
    assert_eq!(counts(r.assert_ok(200)), expected(&[]));
    admin
        .get("/api/v1/dashboard")
        .await
        .assert_error(422, "VAL_001");
    let r = admin
        .get(&format!("/api/v1/dashboard?company_id={}", a.company_id))
        .await;
    assert_eq!(counts(r.assert_ok(200)), counts(&d));
    admin
        .get(&format!("/api/v1/dashboard?company_id={}", Uuid::now_v7()))
        .await
        .assert_error(404, "COMP_002");
    emp.get("/api/v1/dashboard")
        .await
        .assert_error(403, "AUTH_003");

    // The employee's own candidates and interviews.
    let r = emp.get("/api/v1/me/candidates").await;
    assert_eq!(ids(r.assert_ok(200), "candidate_id"), [c1]);
    assert_eq!(r.body["items"][0]["name"], "Kim First");
    let r = emp2.get("/api/v1/me/candidates").await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    hr.get("/api/v1/me/candidates")
        .await
        .assert_error(403, "AUTH_003");
    emp.get("/api/v1/me/candidates?page_size=500")
        .await
        .assert_error(422, "VAL_001");
    let r = schedule_human(hr, a1, &[emp_id], 8).await;
    let interview = uuid_at(r.assert_ok(201), "interview_id");
    read_interview(hr, interview, 1).await;
    // Scheduling moves the application by a follow-up command (its own event, projected on its
    // own topic): wait for the dashboard to see it rather than for a fixed time.
    let d = poll(hr, "/api/v1/dashboard", |r| {
        r.status == 200
            && counts(&r.body)
                .iter()
                .any(|(s, n)| s == "INTERVIEW_SCHEDULED" && *n == 1)
    })
    .await
    .body;
    assert_eq!(
        ids(&json!({"items": d["upcoming_interviews"]}), "interview_id"),
        [interview]
    );
    assert_eq!(
        counts(&d),
        expected(&[
            ("INTERVIEW_SCHEDULED", 1),
            ("SCREENING", 1),
            ("REJECTED", 1)
        ])
    );
    let r = emp.get("/api/v1/me/interviews").await;
    let page = r.assert_ok(200);
    assert_eq!(ids(page, "interview_id"), [interview]);
    assert_eq!(page["items"][0]["interviewers"], json!([emp_id]));
    let r = emp2.get("/api/v1/me/interviews").await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    hr.get("/api/v1/me/interviews")
        .await
        .assert_error(403, "AUTH_003");
    emp.get("/api/v1/me/interviews?sort=sideways")
        .await
        .assert_error(422, "VAL_001");
    emp.get("/api/v1/me/applications")
        .await
        .assert_error(403, "AUTH_003");
    emp.get("/api/v1/me/results")
        .await
        .assert_error(403, "AUTH_003");

    // The candidate portal: an account with the candidate's e-mail is linked to the record.
    let kim = candidate_account(&app, hr, "Kim First", "kim@mail.example").await;
    let page = page_with(&kim, "/api/v1/me/applications", 1).await;
    assert_eq!(ids(&page, "application_id"), [a1]);
    let mine = &page["items"][0];
    assert_eq!(mine["status"], "INTERVIEW_SCHEDULED");
    assert_eq!(mine["job_title"], "Backend Engineer");
    assert!(mine.get("assigned_to").is_none(), "{mine}");
    let r = kim.get("/api/v1/me/interviews").await;
    let page = r.assert_ok(200);
    assert_eq!(ids(page, "interview_id"), [interview]);
    let item = &page["items"][0];
    assert!(item.get("interviewers").is_none(), "{item}");
    assert!(item.get("feedback_count").is_none(), "{item}");
    let r = kim.get(&format!("/api/v1/interviews/{interview}")).await;
    let own = r.assert_ok(200);
    assert!(own.get("interviewers").is_none(), "{own}");
    assert!(own.get("feedback").is_none(), "{own}");
    let r = kim.get("/api/v1/me/results").await;
    assert_eq!(r.assert_ok(200), &json!([]));
    let r = kim.get(&format!("/api/v1/applications/{a1}/history")).await;
    assert_eq!(r.assert_ok(200).as_array().unwrap().len(), 2);
    kim.get(&format!("/api/v1/applications/{a2}/history"))
        .await
        .assert_error(404, "APP_001");
    for path in [
        "/api/v1/me/candidates",
        "/api/v1/dashboard",
        "/api/v1/applications",
        "/api/v1/interviews",
    ] {
        kim.get(path).await.assert_error(403, "AUTH_003");
    }
    kim.get(&format!("/api/v1/applications/{a1}"))
        .await
        .assert_error(403, "AUTH_003");

    // Completed, with feedback from the interviewer and from HR; results appear once released.
    let v = complete_when_due(&emp, interview).await;
    read_interview(hr, interview, v).await;
    let r = hr.get("/api/v1/dashboard").await;
    assert_eq!(r.assert_ok(200)["awaiting_feedback_total"], 1);
    assert_eq!(
        ids(
            &json!({"items": r.body["awaiting_feedback"]}),
            "interview_id"
        ),
        [interview]
    );
    let fb = format!("/api/v1/interviews/{interview}/feedback");
    emp.post(
        &fb,
        json!({"ratings": [{"criterion": "Rust", "rating": 4}, {"criterion": "Communication", "rating": 5}],
               "notes": "Kim explained the design well.", "recommendation": "HIRE"}),
    )
    .await
    .assert_ok(201);
    let r = hr
        .post(
            &fb,
            json!({"ratings": [{"criterion": "rust", "rating": 2}], "recommendation": "NO_HIRE"}),
        )
        .await;
    let last = r.assert_ok(201)["version"].as_u64().unwrap();
    read_interview(hr, interview, last).await;
    let r = hr.get("/api/v1/dashboard").await;
    assert_eq!(r.assert_ok(200)["awaiting_feedback_total"], 0);
    let r = kim.get("/api/v1/me/results").await;
    assert_eq!(r.assert_ok(200), &json!([]));
    let release = format!("/api/v1/interviews/{interview}/release-results");
    emp.post_empty(&release).await.assert_error(403, "AUTH_003");
    b.hr.post_empty(&release).await.assert_error(404, "INT_001");
    let r = hr.post_empty(&release).await;
    let released = r.assert_ok(200)["version"].as_u64().unwrap();
    hr.post_empty(&release).await.assert_error(409, "INT_011");
    read_interview(hr, interview, released).await;
    let r = kim.get("/api/v1/me/results").await;
    let results = r.assert_ok(200).as_array().unwrap().clone();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(uuid_at(result, "interview_id"), interview);
    assert_eq!(result["job_title"], "Backend Engineer");
    assert_eq!(result["recommendations"], json!(["HIRE", "NO_HIRE"]));
    let criteria = result["criteria"].as_array().unwrap();
    assert_eq!(criteria.len(), 2);
    assert_eq!(criteria[0]["criterion"], "Communication");
    assert_eq!(criteria[0]["average"], 5.0);
    assert_eq!(criteria[1]["criterion"], "Rust");
    assert_eq!(criteria[1]["average"], 3.0);
    assert_eq!(criteria[1]["ratings"], 2);
    let text = result.to_string();
    assert!(!text.contains(&emp_id.to_string()), "{text}");
    assert!(!text.contains("explained the design"), "{text}");

    // A candidate linked before applying withdraws their own application.
    let c4 = new_candidate(hr, "Nora Fourth", "nora@mail.example").await;
    let nora = candidate_account(&app, hr, "Nora Fourth", "nora@mail.example").await;
    let a4 = apply(hr, job, c4).await;
    kim.post(&format!("/api/v1/applications/{a4}/withdraw"), json!({}))
        .await
        .assert_error(404, "APP_001");
    let r = nora
        .post(
            &format!("/api/v1/applications/{a4}/withdraw"),
            json!({"reason": "moved abroad"}),
        )
        .await;
    assert_eq!(r.assert_ok(200)["status"], "WITHDRAWN");
    let page = page_with(&nora, "/api/v1/me/applications", 1).await;
    assert_eq!(ids(&page, "application_id"), [a4]);
    let h = nora
        .get(&format!("/api/v1/applications/{a4}/history"))
        .await;
    let last = h.assert_ok(200).as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"], "WITHDRAWN");
    assert_eq!(uuid_at(&last, "by"), nora.user_id);
    assert_eq!(last["reason"], "moved abroad");
    let r = kim.get("/api/v1/me/applications").await;
    assert_eq!(ids(r.assert_ok(200), "application_id"), [a1]);
}
