//! Company registration is neither an oracle nor a squatter (issue 7, must-fix 4): the answer is
//! the same whether or not the contact's address has an account, the address is claimed at
//! approval, and a rejection erases the contact's personal data.

use super::{admin, create_user, onboard, register, uuid_at};
use crate::support::spawn_app;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registration_answers_uniformly_claims_at_approval_and_erases_on_rejection() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Reg Alpha").await;

    // Known and unknown addresses answer alike (no 409 oracle).
    let known = register(&app, "Oracle One", &app.admin_email).await;
    let unknown = register(&app, "Oracle Two", "nobody@oracle.example").await;
    let shape = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        (keys, v["status"].clone(), v["version"].clone())
    };
    assert_eq!(shape(known.assert_ok(202)), shape(unknown.assert_ok(202)));
    assert_eq!(known.status, unknown.status);

    // A pending request squats nothing: HR may create a user with the contact's address...
    let squat = register(&app, "Squatter", "wanted@reg.example").await;
    let squat_id = uuid_at(squat.assert_ok(202), "company_id");
    a.hr.post(
        "/api/v1/users",
        json!({"name": "Wanted", "email": "wanted@reg.example", "role": "EMPLOYEE",
               "password": "user-password-1"}),
    )
    .await
    .assert_ok(201);
    // ... and approving the request then refuses (the address has an account), writing nothing.
    let before = app.event_count().await;
    admin
        .post_empty(&format!(
            "/api/v1/admin/company-requests/{squat_id}/approve"
        ))
        .await
        .assert_error(409, "USER_002");
    admin
        .post_empty(&format!(
            "/api/v1/admin/company-requests/{}/approve",
            uuid_at(&known.body, "company_id")
        ))
        .await
        .assert_error(409, "USER_002");
    assert_eq!(app.event_count().await, before);

    // Rejection erases the contact: their key is destroyed and the read model forgets them.
    let r = register(&app, "Rejected Co", "gone@reg.example").await;
    let rejected = uuid_at(r.assert_ok(202), "company_id");
    let c = admin
        .get(&format!("/api/v1/admin/companies/{rejected}?min_version=1"))
        .await;
    let contact: Uuid =
        sqlx::query_scalar("SELECT contact_person_id FROM rm_companies WHERE company_id = $1")
            .bind(rejected)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(c.assert_ok(200)["status"], "PENDING");
    let r = admin
        .post(
            &format!("/api/v1/admin/company-requests/{rejected}/reject"),
            json!({"reason": "unverifiable"}),
        )
        .await;
    let version = r.assert_ok(200)["version"].as_u64().unwrap();
    let keys: i64 =
        sqlx::query_scalar("SELECT count(*) FROM vault.subject_keys WHERE subject_id = $1")
            .bind(contact)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(keys, 0, "the contact's key survived the rejection");
    let c = admin
        .get(&format!(
            "/api/v1/admin/companies/{rejected}?min_version={version}"
        ))
        .await;
    assert_eq!(c.assert_ok(200)["status"], "REJECTED");
    let row: (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT contact_name, contact_email FROM rm_companies WHERE company_id = $1",
    )
    .bind(rejected)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(row, (None, None));
    let dump: String = sqlx::query_scalar(
        "SELECT coalesce(string_agg(payload::text, ' '), '') FROM events WHERE aggregate_id = $1",
    )
    .bind(rejected.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(!dump.contains("gone@reg.example"));
    // The address is free: a user can be created with it.
    let (_, _, _) = create_user(&a.hr, "Other", "EMPLOYEE").await;
    a.hr.post(
        "/api/v1/users",
        json!({"name": "Gone", "email": "gone@reg.example", "role": "EMPLOYEE",
               "password": "user-password-1"}),
    )
    .await
    .assert_ok(201);
}
