//! Security headers and the purge of dead tokens (issue 7, "Also").

use super::{Reply, admin, create_user, login, mailed_token, onboard};
use crate::support::{self, spawn_app, spawn_app_with};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    for r in [
        admin.get("/api/v1/auth/me").await,
        Reply::from(
            app.client()
                .get(app.url("/api/v1/auth/me"))
                .send()
                .await
                .unwrap(),
        )
        .await,
    ] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        // Plain HTTP (a local stack): no HSTS.
        assert_eq!(r.header("strict-transport-security"), None);
    }
    let https = spawn_app_with(hireledger_api::ApiSettings {
        cookie_secure: true,
        ..support::test_api_settings()
    })
    .await;
    let r = Reply::from(
        https
            .client()
            .get(https.url("/health"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        r.header("strict-transport-security")
            .is_some_and(|h| h.starts_with("max-age="))
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_purge_drops_expired_tokens_and_keeps_live_ones() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Purge Alpha").await;
    // Two sessions of one user; one of them expires.
    let (cand_id, _, cand_email) = create_user(&a.hr, "Cora", "CANDIDATE").await;
    let live = login(&app, &cand_email, "user-password-1").await;
    let dead = login(&app, &cand_email, "user-password-1").await;
    sqlx::query(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
          WHERE token_hash = (SELECT token_hash FROM refresh_tokens WHERE user_id = $1
                               ORDER BY issued_at DESC LIMIT 1)",
    )
    .bind(dead.user_id)
    .execute(&app.pool)
    .await
    .unwrap();
    // A verification that is used, one that is pending.
    let token = mailed_token(&app, cand_id).await;
    super::verify_email(&app, &token).await.assert_ok(200);
    live.post_empty("/api/v1/auth/email/verification")
        .await
        .assert_ok(202);
    // Interview tokens: expired, live, and an orphan whose scheduling never committed.
    let (expired, alive, orphan) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for (id, expires, age) in [
        (expired, "now() - interval '1 minute'", "now()"),
        (alive, "now() + interval '1 day'", "now()"),
        (
            orphan,
            "now() + interval '1 day'",
            "now() - interval '2 days'",
        ),
    ] {
        sqlx::query(&format!(
            "INSERT INTO interview_tokens (token_hash, interview_id, expires_at, created_at)
             VALUES ($1, $2, {expires}, {age})"
        ))
        .bind(id.as_bytes().to_vec())
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    }

    // The first verification mail is older than any token it can carry; the resent one is not.
    sqlx::query(
        "UPDATE mail_outbox SET created_at = now() - interval '2 days'
          WHERE id = (SELECT id FROM mail_outbox WHERE recipient_id = $1
                       ORDER BY created_at LIMIT 1)",
    )
    .bind(cand_id)
    .execute(&app.pool)
    .await
    .unwrap();

    let purged = hireledger_commands::purge::purge_expired(&app.pool)
        .await
        .unwrap();
    assert_eq!(purged.mails, 1);
    assert_eq!(purged.refresh_tokens, 1);
    assert_eq!(purged.email_verifications, 1);
    assert_eq!(purged.interview_tokens, 2);
    let left: Vec<Uuid> = sqlx::query_scalar("SELECT interview_id FROM interview_tokens")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, vec![alive]);
    let pending: i64 =
        sqlx::query_scalar("SELECT count(*) FROM email_verifications WHERE user_id = $1")
            .bind(cand_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(pending, 1);
    let mails: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE recipient_id = $1")
        .bind(cand_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        mails, 1,
        "the resent mail stays until it is sent or expires"
    );
    // The live session still refreshes.
    let mut live = live;
    live.refresh().await.assert_ok(200);
    // Nothing left to purge.
    let again = hireledger_commands::purge::purge_expired(&app.pool)
        .await
        .unwrap();
    assert_eq!(again, hireledger_commands::purge::Purged::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn min_version_waits_only_after_the_tenant_check() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Wait Alpha").await;
    let b = onboard(&app, &admin, "Wait Beta").await;
    let r =
        a.hr.post(
            "/api/v1/candidates",
            serde_json::json!({"name": "Ada", "email": "ada@wait.example"}),
        )
        .await;
    let candidate = super::uuid_at(r.assert_ok(201), "candidate_id");
    let (user, _, _) = create_user(&a.hr, "Edda", "EMPLOYEE").await;
    let job = super::pipeline::open_job(&a.hr, "Waiting Engineer").await;
    // Another tenant asking for a version that will never come is answered at once (404), not
    // after the read wait (15 s in tests): the wait cannot probe other tenants' ids.
    for path in [
        format!("/api/v1/candidates/{candidate}?min_version=1000"),
        format!("/api/v1/users/{user}?min_version=1000"),
        format!("/api/v1/jobs/{job}?min_version=1000"),
    ] {
        let started = std::time::Instant::now();
        let r = b.hr.get(&path).await;
        assert_eq!(r.status.as_u16(), 404, "{path}: {}", r.body);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{path} waited {:?}",
            started.elapsed()
        );
    }
}
