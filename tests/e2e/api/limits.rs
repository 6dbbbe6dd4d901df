//! Rate limits of the anonymous endpoints and of login (issue 7, must-fix 4 and "Also"): one
//! per-client budget for registration, applying and interview tokens; login slowed per
//! (e-mail, client) without locking the owner out; client addresses from trusted proxies only,
//! IPv6 keyed by /64.

use super::{Reply, admin, onboard, register, try_login};
use crate::support::{self, ADMIN_PASSWORD, TestApp, spawn_app_with};
use serde_json::json;
use uuid::Uuid;

async fn login_from(app: &TestApp, forwarded_for: &str, email: &str, password: &str) -> Reply {
    Reply::from(
        app.client()
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("send"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn anonymous_endpoints_share_a_per_client_limit() {
    let app = spawn_app_with(hireledger_api::ApiSettings {
        public_per_ip_per_minute: 3,
        ..support::test_api_settings()
    })
    .await;
    let admin = admin(&app).await;
    // onboard registers once (1 of 3).
    let a = onboard(&app, &admin, "Limited").await;
    register(&app, "Limited Two", "two@limited.example")
        .await
        .assert_ok(202);
    app.client()
        .get(app.url("/api/v1/interviews/validate/unknown-token"))
        .send()
        .await
        .unwrap();
    // The budget is spent: registration, applying and interview tokens all answer 429.
    let before = app.event_count().await;
    register(&app, "Limited Three", "three@limited.example")
        .await
        .assert_error(429, "RATE_001");
    let apply = format!(
        "/api/v1/public/companies/{}/jobs/{}/apply",
        a.company_id,
        Uuid::now_v7()
    );
    let r = Reply::from(
        app.client()
            .post(app.url(&apply))
            .json(&json!({"name": "Ada", "email": "ada@example.org"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(429, "RATE_001");
    for (method, path) in [
        ("GET", "/api/v1/interviews/validate/some-token"),
        ("POST", "/api/v1/interviews/start/some-token"),
    ] {
        let req = match method {
            "GET" => app.client().get(app.url(path)),
            _ => app.client().post(app.url(path)),
        };
        Reply::from(req.send().await.unwrap())
            .await
            .assert_error(429, "RATE_001");
    }
    assert_eq!(app.event_count().await, before);
    // Signed-in work is not limited by it.
    admin.get("/api/v1/auth/me").await.assert_ok(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_limits_key_clients_behind_trusted_proxies_and_spare_the_owner() {
    let app = spawn_app_with(hireledger_api::ApiSettings {
        login_per_ip_per_minute: 100,
        login_per_email_per_minute: 3,
        trusted_proxies: vec!["127.0.0.1".into()],
        ..support::test_api_settings()
    })
    .await;
    let owner = app.admin_email.clone();
    // An attacker behind the proxy guesses the admin's password from one IPv6 /64, hopping
    // addresses inside it: the 4th guess is refused.
    for host in 1..=3 {
        login_from(
            &app,
            &format!("2001:db8:1:2::{host}"),
            &owner,
            "guess-guess",
        )
        .await
        .assert_error(401, "AUTH_001");
    }
    login_from(&app, "2001:db8:1:2:ffff::9", &owner, "guess-guess")
        .await
        .assert_error(429, "RATE_001");
    // A forged header in front of the proxy's own does not help: the rightmost untrusted
    // address is the client.
    login_from(&app, "198.51.100.7, 2001:db8:1:2::5", &owner, "guess-guess")
        .await
        .assert_error(429, "RATE_001");
    // The owner, from elsewhere, still signs in.
    login_from(&app, "198.51.100.7", &owner, ADMIN_PASSWORD)
        .await
        .assert_ok(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forwarded_for_is_ignored_without_trusted_proxies() {
    let app = spawn_app_with(hireledger_api::ApiSettings {
        login_per_ip_per_minute: 100,
        login_per_email_per_minute: 2,
        ..support::test_api_settings()
    })
    .await;
    let client = app.client();
    for n in 1..=2 {
        login_from(
            &app,
            &format!("203.0.113.{n}"),
            "x@example.com",
            "guess-guess",
        )
        .await
        .assert_error(401, "AUTH_001");
    }
    // Each forged address would be a fresh client; the peer (127.0.0.1) is what counts.
    login_from(&app, "203.0.113.9", "x@example.com", "guess-guess")
        .await
        .assert_error(429, "RATE_001");
    try_login(&app, &client, "x@example.com", "guess-guess")
        .await
        .assert_error(429, "RATE_001");
}
