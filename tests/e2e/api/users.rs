//! Users: creation, roles, tenancy isolation, self-service, lifecycle and erasure.

use super::{admin, create_user, login, onboard, try_login, uuid_at};
use crate::support::spawn_app;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_roles_tenancy_and_lifecycle() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Alpha").await;
    let b = onboard(&app, &admin, "Beta").await;

    // Creation: with and without a password, validation, uniqueness, reserved roles, tenancy.
    let (emp_id, v, emp_email) = create_user(&a.hr, "Edda", "EMPLOYEE").await;
    assert_eq!(v, 1);
    let r =
        a.hr.post(
            "/api/v1/users",
            json!({"name": "Cand", "email": "cand@alpha.example", "role": "CANDIDATE"}),
        )
        .await;
    assert!(
        r.assert_ok(201)["temporary_password"]
            .as_str()
            .is_some_and(|p| p.len() >= 8)
    );
    let cand_id = uuid_at(&r.body, "user_id");
    a.hr.post(
        "/api/v1/users",
        json!({"name": "Dup", "email": emp_email.to_uppercase(), "role": "EMPLOYEE"}),
    )
    .await
    .assert_error(409, "USER_002");
    let r =
        a.hr.post(
            "/api/v1/users",
            json!({"name": "X", "email": "not-an-email", "role": "EMPLOYEE"}),
        )
        .await;
    r.assert_error(422, "VAL_001");
    assert!(r.body["detail"].as_str().unwrap().contains("email"));
    a.hr.post(
        "/api/v1/users",
        json!({"name": "X", "email": "x@alpha.example", "role": "KING"}),
    )
    .await
    .assert_error(422, "VAL_001");
    a.hr.post(
        "/api/v1/users",
        json!({"name": "X", "email": "x@alpha.example", "role": "EMPLOYEE", "password": "short"}),
    )
    .await
    .assert_error(422, "VAL_001");
    a.hr.post(
        "/api/v1/users",
        json!({"name": "X", "email": "x@alpha.example", "role": "SYSTEM_ADMIN"}),
    )
    .await
    .assert_error(403, "USER_005");
    a.hr.post(
        "/api/v1/users",
        json!({"name": "X", "email": "x@alpha.example", "role": "EMPLOYEE", "company_id": b.company_id}),
    )
    .await
    .assert_error(404, "COMP_002");
    admin
        .post(
            "/api/v1/users",
            json!({"name": "X", "email": "x@alpha.example", "role": "HR"}),
        )
        .await
        .assert_error(422, "USER_004");
    let r = admin
        .post(
            "/api/v1/users",
            json!({"name": "Bea", "email": "bea@beta.example", "role": "HR", "company_id": b.company_id, "password": "user-password-1"}),
        )
        .await;
    r.assert_ok(201);

    // Read-your-writes: the new row is there with min_version.
    let r =
        a.hr.get(&format!("/api/v1/users/{emp_id}?min_version={v}"))
            .await;
    assert_eq!(r.header("x-read-consistency"), Some("consistent"));
    let u = r.assert_ok(200);
    assert_eq!(u["email"], emp_email.as_str());
    assert_eq!(u["role"], "EMPLOYEE");
    assert_eq!(u["company_id"], a.company_id.to_string());

    // Lists: HR sees its own company only; admins see all or one company.
    a.hr.get(&format!("/api/v1/users/{cand_id}?min_version=1"))
        .await
        .assert_ok(200);
    a.hr.get(&format!("/api/v1/users/{}?min_version=1", a.hr.user_id))
        .await
        .assert_ok(200);
    let list = a.hr.get("/api/v1/users").await;
    let items = list.assert_ok(200)["items"].as_array().unwrap().clone();
    assert!(
        items
            .iter()
            .all(|u| u["company_id"] == a.company_id.to_string()),
        "{items:?}"
    );
    assert_eq!(items.len(), 3, "HR, employee, candidate");
    let list = a.hr.get("/api/v1/users?role=CANDIDATE&page_size=1").await;
    let list = list.assert_ok(200);
    assert_eq!(
        (list["total"].as_u64(), list["pages"].as_u64()),
        (Some(1), Some(1))
    );
    a.hr.get(&format!("/api/v1/users?company_id={}", b.company_id))
        .await
        .assert_error(404, "COMP_002");
    let list = admin
        .get(&format!("/api/v1/users?company_id={}", a.company_id))
        .await;
    assert_eq!(list.assert_ok(200)["total"], 3);

    // Cross-tenant: 404, never 403.
    for r in [
        b.hr.get(&format!("/api/v1/users/{emp_id}")).await,
        b.hr.patch(
            &format!("/api/v1/users/{emp_id}"),
            json!({"name": "Hijack"}),
        )
        .await,
        b.hr.post_empty(&format!("/api/v1/users/{emp_id}/deactivate"))
            .await,
        b.hr.post_empty(&format!("/api/v1/users/{emp_id}/reactivate"))
            .await,
        b.hr.post_empty(&format!("/api/v1/users/{emp_id}/erase"))
            .await,
        a.hr.get(&format!("/api/v1/users/{}", app.admin_id)).await,
        a.hr.post_empty(&format!("/api/v1/users/{}/deactivate", app.admin_id))
            .await,
        a.hr.post_empty(&format!("/api/v1/users/{}/deactivate", Uuid::now_v7()))
            .await,
    ] {
        r.assert_error(404, "USER_003");
    }

    // Employees: themselves only; 403 on HR endpoints.
    let emp = login(&app, &emp_email, "user-password-1").await;
    emp.get("/api/v1/users").await.assert_error(403, "AUTH_003");
    emp.post(
        "/api/v1/users",
        json!({"name": "X", "email": "y@alpha.example", "role": "EMPLOYEE"}),
    )
    .await
    .assert_error(403, "AUTH_003");
    emp.get(&format!("/api/v1/users/{cand_id}"))
        .await
        .assert_error(403, "AUTH_003");
    emp.post_empty(&format!("/api/v1/users/{cand_id}/deactivate"))
        .await
        .assert_error(403, "AUTH_003");
    emp.post_empty(&format!("/api/v1/users/{cand_id}/erase"))
        .await
        .assert_error(403, "AUTH_003");
    emp.patch(&format!("/api/v1/users/{cand_id}"), json!({"name": "X"}))
        .await
        .assert_error(403, "AUTH_003");
    emp.get(&format!("/api/v1/users/{emp_id}"))
        .await
        .assert_ok(200);
    let r = emp
        .patch(
            &format!("/api/v1/users/{emp_id}"),
            json!({"name": "Edda Eriksen"}),
        )
        .await;
    let v = r.version();
    let r = emp
        .get(&format!("/api/v1/users/{emp_id}?min_version={v}"))
        .await;
    assert_eq!(r.assert_ok(200)["name"], "Edda Eriksen");
    emp.patch(&format!("/api/v1/users/{emp_id}"), json!({"role": "HR"}))
        .await
        .assert_error(403, "AUTH_003");
    emp.patch(&format!("/api/v1/users/{emp_id}"), json!({}))
        .await
        .assert_error(422, "USER_010");

    // HR manages roles and lifecycle, but not itself.
    let r =
        a.hr.patch(
            &format!("/api/v1/users/{cand_id}"),
            json!({"role": "EMPLOYEE"}),
        )
        .await;
    let v = r.version();
    let r =
        a.hr.get(&format!("/api/v1/users/{cand_id}?min_version={v}"))
            .await;
    assert_eq!(r.assert_ok(200)["role"], "EMPLOYEE");
    a.hr.patch(
        &format!("/api/v1/users/{cand_id}"),
        json!({"role": "EMPLOYEE"}),
    )
    .await
    .assert_error(422, "USER_010");
    a.hr.patch(
        &format!("/api/v1/users/{}", a.hr.user_id),
        json!({"role": "EMPLOYEE"}),
    )
    .await
    .assert_error(403, "USER_006");
    a.hr.post_empty(&format!("/api/v1/users/{}/deactivate", a.hr.user_id))
        .await
        .assert_error(403, "USER_006");
    a.hr.patch(
        &format!("/api/v1/users/{cand_id}"),
        json!({"email": a.hr_email}),
    )
    .await
    .assert_error(409, "USER_002");

    let mut emp = emp;
    a.hr.post_empty(&format!("/api/v1/users/{emp_id}/deactivate"))
        .await
        .assert_ok(200);
    a.hr.post_empty(&format!("/api/v1/users/{emp_id}/deactivate"))
        .await
        .assert_error(409, "USER_007");
    emp.refresh().await.assert_error(401, "AUTH_004");
    try_login(&app, &app.client(), &emp_email, "user-password-1")
        .await
        .assert_error(403, "AUTH_006");
    a.hr.post_empty(&format!("/api/v1/users/{emp_id}/reactivate"))
        .await
        .assert_ok(200);
    a.hr.post_empty(&format!("/api/v1/users/{emp_id}/reactivate"))
        .await
        .assert_error(409, "USER_008");
    login(&app, &emp_email, "user-password-1").await;

    // Erasure: crypto-shredded, read model cleared, login gone, address free.
    let r =
        a.hr.post_empty(&format!("/api/v1/users/{emp_id}/erase"))
            .await;
    let v = r.version();
    let u =
        a.hr.get(&format!("/api/v1/users/{emp_id}?min_version={v}"))
            .await;
    let u = u.assert_ok(200);
    assert_eq!(u["status"], "ERASED");
    assert_eq!(
        (u["name"].clone(), u["email"].clone()),
        (Value::Null, Value::Null)
    );
    // Erasure is retry-safe: a repeat finishes any unfinished part and writes no new event.
    let again =
        a.hr.post_empty(&format!("/api/v1/users/{emp_id}/erase"))
            .await;
    assert_eq!(again.version(), v);
    a.hr.post_empty(&format!("/api/v1/users/{emp_id}/deactivate"))
        .await
        .assert_error(409, "USER_009");
    try_login(&app, &app.client(), &emp_email, "user-password-1")
        .await
        .assert_error(401, "AUTH_001");
    a.hr.post(
        "/api/v1/users",
        json!({"name": "Edda", "email": emp_email, "role": "EMPLOYEE", "password": "user-password-1"}),
    )
    .await
    .assert_ok(201);
}
