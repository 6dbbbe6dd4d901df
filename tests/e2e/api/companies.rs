//! Company registration, the admin review, the own-company profile and the company lifecycle.

use super::{Reply, admin, create_user, login, register, try_login, uuid_at};
use crate::support::spawn_app;
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registration_review_and_company_lifecycle() {
    let app = spawn_app().await;
    let admin = admin(&app).await;

    // Validation and uniqueness of registrations.
    let r = Reply::from(
        app.client()
            .post(app.url("/api/v1/companies/registrations"))
            .json(&json!({"company_name": "Bad", "domain": "nodot", "contact_name": "X", "contact_email": "x@bad.example"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(422, "VAL_001");
    assert!(
        r.body["detail"].as_str().unwrap().contains("domain"),
        "{}",
        r.body
    );
    let r = register(&app, "Acme", "hr@acme.example").await;
    let acme = uuid_at(r.assert_ok(202), "company_id");
    assert_eq!(r.body["status"], "PENDING");
    assert_eq!(r.header("x-aggregate-version"), Some("1"));
    // A second request with the same contact is recorded too: requests claim no address.
    register(&app, "Acme Two", "HR@acme.example")
        .await
        .assert_ok(202);

    // Review list (read-your-writes on the single company first, then the list).
    let c = admin
        .get(&format!("/api/v1/admin/companies/{acme}?min_version=1"))
        .await;
    assert_eq!(c.header("x-read-consistency"), Some("consistent"));
    assert_eq!(c.assert_ok(200)["status"], "PENDING");
    let list = admin.get("/api/v1/admin/company-requests").await;
    let list = list.assert_ok(200);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["company_id"] == acme.to_string())
    );
    assert_eq!(list["page"], 1);
    assert_eq!(list["page_size"], 20);
    admin
        .get("/api/v1/admin/company-requests?status=BOGUS")
        .await
        .assert_error(422, "VAL_001");
    admin
        .get(&format!("/api/v1/admin/companies/{}", Uuid::now_v7()))
        .await
        .assert_error(404, "COMP_002");

    // Approval.
    admin
        .post_empty(&format!(
            "/api/v1/admin/company-requests/{}/approve",
            Uuid::now_v7()
        ))
        .await
        .assert_error(404, "COMP_002");
    let r = admin
        .post_empty(&format!("/api/v1/admin/company-requests/{acme}/approve"))
        .await;
    let body = r.assert_ok(200).clone();
    assert_eq!(body["company_id"], acme.to_string());
    let temp = body["temporary_password"].as_str().unwrap().to_owned();
    admin
        .post_empty(&format!("/api/v1/admin/company-requests/{acme}/approve"))
        .await
        .assert_error(409, "COMP_003");
    let hr = login(&app, "hr@acme.example", &temp).await;
    assert_eq!(hr.user_id.to_string(), body["hr_user_id"]);

    // HR is not an admin; admins have no own company.
    hr.get("/api/v1/admin/company-requests")
        .await
        .assert_error(403, "AUTH_003");
    hr.post_empty(&format!("/api/v1/admin/companies/{acme}/reactivate"))
        .await
        .assert_error(403, "AUTH_003");
    admin
        .get("/api/v1/company")
        .await
        .assert_error(404, "COMP_002");
    admin
        .patch("/api/v1/company", json!({"name": "X"}))
        .await
        .assert_error(403, "AUTH_003");

    // Own company: read-your-writes after a PATCH of profile + settings.
    let r = hr
        .patch(
            "/api/v1/company",
            json!({"name": "Acme Corp", "settings": {"pass_threshold": 80, "fail_threshold": 50}}),
        )
        .await;
    let v = r.version();
    assert_eq!(v, 4, "registered, approved, profile, settings");
    let c = hr.get(&format!("/api/v1/company?min_version={v}")).await;
    assert_eq!(c.header("x-read-consistency"), Some("consistent"));
    let c = c.assert_ok(200);
    assert_eq!(c["name"], "Acme Corp");
    assert_eq!(c["settings"]["pass_threshold"], 80);
    assert_eq!(c["version"], v);
    let c = hr
        .send(
            hr.client
                .get(app.url("/api/v1/company"))
                .header("X-Min-Version", v.to_string()),
        )
        .await;
    assert_eq!(c.header("x-read-consistency"), Some("consistent"));
    hr.patch(
        "/api/v1/company",
        json!({"settings": {"pass_threshold": 40, "fail_threshold": 50}}),
    )
    .await
    .assert_error(422, "COMP_006");
    hr.patch("/api/v1/company", json!({}))
        .await
        .assert_error(422, "COMP_008");
    hr.patch("/api/v1/company", json!({"name": "Acme Corp"}))
        .await
        .assert_error(422, "COMP_008");
    hr.patch("/api/v1/company", json!({"domain": "not a domain"}))
        .await
        .assert_error(422, "VAL_001");
    let (_, _, emp_email) = create_user(&hr, "Erin", "EMPLOYEE").await;
    let emp = login(&app, &emp_email, "user-password-1").await;
    emp.get("/api/v1/company").await.assert_ok(200);
    emp.patch("/api/v1/company", json!({"name": "Mine"}))
        .await
        .assert_error(403, "AUTH_003");
    emp.get("/api/v1/admin/company-requests")
        .await
        .assert_error(403, "AUTH_003");

    // Rejection.
    let r = register(&app, "Shady", "boss@shady.example").await;
    let shady = uuid_at(r.assert_ok(202), "company_id");
    admin
        .post(
            &format!("/api/v1/admin/company-requests/{shady}/reject"),
            json!({"reason": "  "}),
        )
        .await
        .assert_error(422, "COMP_007");
    let r = admin
        .post(
            &format!("/api/v1/admin/company-requests/{shady}/reject"),
            json!({"reason": "unverifiable"}),
        )
        .await;
    assert_eq!(r.assert_ok(200)["version"], 2);
    // The rejected contact's address is free again.
    register(&app, "Shady Two", "boss@shady.example")
        .await
        .assert_ok(202);

    // Deactivation locks the company's users out; reactivation lets them back.
    admin
        .post(
            &format!("/api/v1/admin/companies/{acme}/deactivate"),
            json!({"reason": "unpaid"}),
        )
        .await
        .assert_ok(200);
    admin
        .post(
            &format!("/api/v1/admin/companies/{acme}/deactivate"),
            json!({"reason": "again"}),
        )
        .await
        .assert_error(409, "COMP_004");
    try_login(&app, &app.client(), &emp_email, "user-password-1")
        .await
        .assert_error(403, "AUTH_006");
    let mut emp = emp;
    emp.refresh().await.assert_error(403, "AUTH_006");
    admin
        .post_empty(&format!("/api/v1/admin/companies/{acme}/reactivate"))
        .await
        .assert_ok(200);
    admin
        .post_empty(&format!("/api/v1/admin/companies/{acme}/reactivate"))
        .await
        .assert_error(409, "COMP_005");
    login(&app, &emp_email, "user-password-1").await;
}
