//! Access tokens lose their rights on the next request after a deactivation, an erasure, a role
//! change or a company's deactivation (issue 7, must-fix 8): each scenario uses a token issued
//! before the change, right after the change's command answered (it has committed).

use super::{admin, create_user, login, onboard};
use crate::support::spawn_app;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rights_changes_bite_on_the_next_request() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Rights Alpha").await;
    let b = onboard(&app, &admin, "Rights Beta").await;

    // An HR user demoted to EMPLOYEE can no longer create users with their old token.
    let (hr2_id, _, hr2_email) = create_user(&a.hr, "Hedda", "HR").await;
    let hr2 = login(&app, &hr2_email, "user-password-1").await;
    let (_, _, probe) = create_user(&hr2, "Probe", "EMPLOYEE").await;
    assert!(!probe.is_empty());
    a.hr.patch(
        &format!("/api/v1/users/{hr2_id}"),
        json!({"role": "EMPLOYEE"}),
    )
    .await
    .assert_ok(200);
    hr2.post(
        "/api/v1/users",
        json!({"name": "Late", "email": "late@alpha.example", "role": "EMPLOYEE",
               "password": "user-password-1"}),
    )
    .await
    .assert_error(401, "AUTH_008");
    // A fresh token carries the new role: signed in again, they are an employee.
    let mut hr2 = hr2;
    hr2.refresh().await.assert_ok(200);
    hr2.get("/api/v1/jobs").await.assert_ok(200);
    hr2.post(
        "/api/v1/users",
        json!({"name": "Late", "email": "late@alpha.example", "role": "EMPLOYEE",
               "password": "user-password-1"}),
    )
    .await
    .assert_error(403, "AUTH_003");

    // A deactivated employee can no longer read jobs.
    let (emp_id, _, emp_email) = create_user(&a.hr, "Emil", "EMPLOYEE").await;
    let mut emp = login(&app, &emp_email, "user-password-1").await;
    emp.get("/api/v1/jobs").await.assert_ok(200);
    a.hr.post_empty(&format!("/api/v1/users/{emp_id}/deactivate"))
        .await
        .assert_ok(200);
    emp.get("/api/v1/jobs").await.assert_error(401, "AUTH_008");
    emp.refresh().await.assert_error(401, "AUTH_004");

    // An erased candidate can no longer read their applications.
    let (cand_id, _, cand_email) = create_user(&a.hr, "Cleo", "CANDIDATE").await;
    let cand = login(&app, &cand_email, "user-password-1").await;
    cand.get("/api/v1/me/applications").await.assert_ok(200);
    a.hr.post_empty(&format!("/api/v1/users/{cand_id}/erase"))
        .await
        .assert_ok(200);
    cand.get("/api/v1/me/applications")
        .await
        .assert_error(401, "AUTH_008");

    // The HR of a deactivated company can no longer read its candidates; other tenants are
    // untouched.
    a.hr.get("/api/v1/candidates").await.assert_ok(200);
    admin
        .post(
            &format!("/api/v1/admin/companies/{}/deactivate", a.company_id),
            json!({"reason": "contract ended"}),
        )
        .await
        .assert_ok(200);
    a.hr.get("/api/v1/candidates")
        .await
        .assert_error(401, "AUTH_008");
    b.hr.get("/api/v1/candidates").await.assert_ok(200);
    admin.get("/api/v1/auth/me").await.assert_ok(200);
}
