//! Taking over someone's candidate record (issue 7, must-fix 1): an account is linked to
//! candidate records only through an address whose control it proved (a token mailed through the
//! outbox), never because it typed the address; a changed e-mail takes effect once verified.

use super::{
    Reply, admin, create_user, login, mailed_token, onboard, try_login, uuid_at, verify_email,
    verify_mailed,
};
use crate::support::spawn_app;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_typed_email_never_links_an_account_to_someone_elses_records() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Takeover Alpha").await;
    let victim = "victim@takeover.example";

    // Mallory, a verified candidate, sets her e-mail to the victim's address.
    let (mallory_id, _, mallory_email) = create_user(&a.hr, "Mallory", "CANDIDATE").await;
    verify_mailed(&app, mallory_id).await;
    let mallory = login(&app, &mallory_email, "user-password-1").await;
    let before = app.event_count().await;
    let r = mallory
        .patch(
            &format!("/api/v1/users/{mallory_id}"),
            json!({ "email": victim }),
        )
        .await;
    r.assert_ok(202);
    // Nothing changed yet: no event, she still signs in with her own address only.
    assert_eq!(app.event_count().await, before);
    try_login(&app, &app.client(), victim, "user-password-1")
        .await
        .assert_error(401, "AUTH_001");
    login(&app, &mallory_email, "user-password-1").await;

    // The careers page and HR create the victim's record: it is not linked to Mallory.
    let r =
        a.hr.post(
            "/api/v1/candidates",
            json!({ "name": "Victor Victim", "email": victim }),
        )
        .await;
    let record = uuid_at(r.assert_ok(201), "candidate_id");
    let version = r.version();
    let c =
        a.hr.get(&format!(
            "/api/v1/candidates/{record}?min_version={version}"
        ))
        .await;
    assert_eq!(c.assert_ok(200)["user_id"], Value::Null);
    // Nor can she attach herself by applying, signed in, with that address.
    let job = super::pipeline::open_job(&a.hr, "Takeover Engineer").await;
    let apply = format!("/api/v1/public/companies/{}/jobs/{job}/apply", a.company_id);
    let before = app.event_count().await;
    mallory
        .post(&apply, json!({ "name": "Victor Victim", "email": victim }))
        .await
        .assert_error(422, "VAL_001");
    assert_eq!(app.event_count().await, before);
    let mine = mallory.get("/api/v1/me/applications").await;
    assert_eq!(mine.assert_ok(200)["total"], json!(0));

    // The confirmation went to the victim's address, not to Mallory.
    let to: sqlx::types::Json<hireledger_domain::Sealed> = sqlx::query_scalar(
        "SELECT sealed_to FROM mail_outbox WHERE recipient_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(mallory_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let vault =
        hireledger_infra::vault::Vault::new(app.pool.clone(), &app.common.master_key).unwrap();
    assert_eq!(
        vault
            .open(&to.0, hireledger_infra::vault::Field::Email)
            .await
            .unwrap()
            .as_deref(),
        Some(victim)
    );
    // Tokens are stored only as their SHA-256 hash.
    let token = mailed_token(&app, mallory_id).await;
    let hashed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM email_verifications WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(&token)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(hashed, 1);
    // A guessed token is refused.
    verify_email(&app, "not-a-token")
        .await
        .assert_error(410, "USER_011");

    // The victim's own account: HR creates it, and it is linked only once the victim verifies.
    let r =
        a.hr.post(
            "/api/v1/users",
            json!({"name": "Victor", "email": "victor@takeover.example", "role": "CANDIDATE",
                   "password": "user-password-1"}),
        )
        .await;
    let victor_id = uuid_at(r.assert_ok(201), "user_id");
    let r2 =
        a.hr.post(
            "/api/v1/candidates",
            json!({ "name": "Victor Victim", "email": "victor@takeover.example" }),
        )
        .await;
    let victor_record = uuid_at(r2.assert_ok(201), "candidate_id");
    let c =
        a.hr.get(&format!(
            "/api/v1/candidates/{victor_record}?min_version={}",
            r2.version()
        ))
        .await;
    assert_eq!(c.assert_ok(200)["user_id"], Value::Null);
    verify_mailed(&app, victor_id).await;
    let c =
        a.hr.get(&format!(
            "/api/v1/candidates/{victor_record}?min_version={}",
            r2.version() + 1
        ))
        .await;
    assert_eq!(c.assert_ok(200)["user_id"], json!(victor_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_change_takes_effect_once_verified_with_a_single_use_token() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Change Alpha").await;
    let (emp_id, _, emp_email) = create_user(&a.hr, "Edda", "EMPLOYEE").await;
    let emp = login(&app, &emp_email, "user-password-1").await;
    let new_email = format!("edda.new.{}@change.example", Uuid::now_v7().simple());

    // Someone else's address is refused as before; the own one is nothing to change.
    emp.patch(
        &format!("/api/v1/users/{emp_id}"),
        json!({ "email": a.hr_email }),
    )
    .await
    .assert_error(409, "USER_002");
    emp.patch(
        &format!("/api/v1/users/{emp_id}"),
        json!({ "email": emp_email }),
    )
    .await
    .assert_error(422, "USER_010");

    emp.patch(
        &format!("/api/v1/users/{emp_id}"),
        json!({ "email": new_email }),
    )
    .await
    .assert_ok(202);
    let token = mailed_token(&app, emp_id).await;
    let r: Reply = verify_email(&app, &token).await;
    let version = r.assert_ok(200)["version"].as_u64().unwrap();
    assert_eq!(version, 2);
    // Single use.
    verify_email(&app, &token)
        .await
        .assert_error(410, "USER_011");
    // The new address signs in, the old one no longer does.
    login(&app, &new_email, "user-password-1").await;
    try_login(&app, &app.client(), &emp_email, "user-password-1")
        .await
        .assert_error(401, "AUTH_001");
    let me = emp
        .get(&format!("/api/v1/users/{emp_id}?min_version={version}"))
        .await;
    assert_eq!(me.assert_ok(200)["email"], json!(new_email));

    // An expired token is refused and changes nothing.
    emp.patch(
        &format!("/api/v1/users/{emp_id}"),
        json!({ "email": "edda.late@change.example" }),
    )
    .await
    .assert_ok(202);
    let token = mailed_token(&app, emp_id).await;
    sqlx::query("UPDATE email_verifications SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL")
        .bind(emp_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let before = app.event_count().await;
    verify_email(&app, &token)
        .await
        .assert_error(410, "USER_011");
    assert_eq!(app.event_count().await, before);
    login(&app, &new_email, "user-password-1").await;
}
