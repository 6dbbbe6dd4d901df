//! Authentication: login, refresh rotation and reuse detection, logout, own password, rate limits.

use super::{Reply, Session, admin, login, try_login};
use crate::support::{self, ADMIN_PASSWORD, spawn_app, spawn_app_with};
use hireledger_api::auth::jwt::{Claims, JwtKeys};
use hireledger_domain::Role;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_refresh_rotation_reuse_logout_and_password() {
    let app = spawn_app().await;
    let client = app.client();

    // Credentials and tokens.
    try_login(&app, &client, &app.admin_email, "wrong-password")
        .await
        .assert_error(401, "AUTH_001");
    try_login(&app, &client, "nobody@nowhere.example", "whatever-pw")
        .await
        .assert_error(401, "AUTH_001");
    let r = Reply::from(client.get(app.url("/api/v1/auth/me")).send().await.unwrap()).await;
    r.assert_error(401, "AUTH_005");
    let r = Reply::from(
        client
            .get(app.url("/api/v1/auth/me"))
            .bearer_auth("garbage")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(401, "AUTH_005");
    let keys = JwtKeys::new(&app.settings.jwt_secret, Duration::from_secs(900));
    let now = chrono::Utc::now().timestamp() as u64;
    let expired = keys
        .sign(&Claims {
            sub: app.admin_id,
            role: Role::SystemAdmin,
            company_id: None,
            iat: now - 3600,
            exp: now - 1800,
            jti: Uuid::now_v7(),
            ugen: 0,
            cgen: 0,
        })
        .unwrap();
    let r = Reply::from(
        client
            .get(app.url("/api/v1/auth/me"))
            .bearer_auth(expired)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(401, "AUTH_002");

    // Login: token + refresh cookie with the right attributes.
    let r = try_login(&app, &client, &app.admin_email, ADMIN_PASSWORD).await;
    let body = r.assert_ok(200).clone();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["role"], "SYSTEM_ADMIN");
    assert_eq!(body["user"]["company_id"], Value::Null);
    let cookie = r.header("set-cookie").expect("refresh cookie").to_owned();
    for attr in [
        "hl_refresh=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth",
        "Max-Age=604800",
    ] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let first_refresh = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.strip_prefix("hl_refresh="))
        .unwrap()
        .to_owned();
    let mut s = Session {
        base: app.address.clone(),
        token: body["access_token"].as_str().unwrap().to_owned(),
        user_id: app.admin_id,
        client,
    };

    // /me: name and e-mail from the read model (wait for the projector to have the admin).
    s.get(&format!("/api/v1/users/{}?min_version=1", app.admin_id))
        .await
        .assert_ok(200);
    let me = s.get("/api/v1/auth/me").await;
    let me = me.assert_ok(200);
    assert_eq!(me["role"], "SYSTEM_ADMIN");
    assert_eq!(me["email"], app.admin_email.as_str());
    assert_eq!(me["name"], "Platform Admin");

    // Refresh rotates; the old token's reuse revokes the family.
    let r = s.refresh().await;
    r.assert_ok(200);
    let rotated = r.header("set-cookie").unwrap().to_owned();
    assert!(!rotated.contains(&first_refresh));
    s.get("/api/v1/auth/me").await.assert_ok(200);
    let replayed = Reply::from(
        reqwest::Client::new()
            .post(app.url("/api/v1/auth/refresh"))
            .header("Cookie", format!("hl_refresh={first_refresh}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    replayed.assert_error(401, "AUTH_004");
    s.refresh().await.assert_error(401, "AUTH_004");
    // The failed refresh cleared the cookie: nothing left to present.
    s.refresh().await.assert_error(401, "AUTH_005");

    // Logout revokes the family and clears the cookie.
    let mut s = admin(&app).await;
    let r = Reply::from(
        s.client
            .post(app.url("/api/v1/auth/logout"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert!(
        r.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    s.refresh().await.assert_error(401, "AUTH_005");

    // Own password: wrong current, weak new, then success signs every session out.
    let mut s = admin(&app).await;
    let mut other = admin(&app).await;
    s.post(
        "/api/v1/auth/password",
        json!({"current_password": "nope-nope", "new_password": "new-password-2"}),
    )
    .await
    .assert_error(403, "AUTH_007");
    s.post(
        "/api/v1/auth/password",
        json!({"current_password": ADMIN_PASSWORD, "new_password": "short"}),
    )
    .await
    .assert_error(422, "VAL_001");
    let r = s
        .post(
            "/api/v1/auth/password",
            json!({"current_password": ADMIN_PASSWORD, "new_password": "new-password-2"}),
        )
        .await;
    let v = r.version();
    assert_eq!(
        r.header("x-aggregate-version"),
        Some(v.to_string().as_str())
    );
    other.refresh().await.assert_error(401, "AUTH_004");
    s.refresh().await.assert_error(401, "AUTH_005");
    try_login(&app, &app.client(), &app.admin_email, ADMIN_PASSWORD)
        .await
        .assert_error(401, "AUTH_001");
    login(&app, &app.admin_email, "new-password-2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_is_rate_limited_per_email_and_per_ip() {
    let app = spawn_app_with(hireledger_api::ApiSettings {
        login_per_ip_per_minute: 5,
        login_per_email_per_minute: 3,
        ..support::test_api_settings()
    })
    .await;
    let client = app.client();
    for _ in 0..3 {
        try_login(&app, &client, "Victim@Example.com", "guess-guess")
            .await
            .assert_error(401, "AUTH_001");
    }
    // Same address, other spelling: the 4th attempt for it is refused.
    let r = try_login(&app, &client, " victim@example.COM", "guess-guess").await;
    r.assert_error(429, "RATE_001");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // The IP has used 4 of 5: one more address, then the IP is refused whatever the address.
    try_login(&app, &client, "other@example.com", "guess-guess")
        .await
        .assert_error(401, "AUTH_001");
    let r = try_login(&app, &client, &app.admin_email, ADMIN_PASSWORD).await;
    r.assert_error(429, "RATE_001");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_cookie_is_secure_outside_development_mode() {
    let app = spawn_app_with(hireledger_api::ApiSettings {
        dev_mode: false,
        ..support::test_api_settings()
    })
    .await;
    let client = app.client();
    let r = try_login(&app, &client, &app.admin_email, ADMIN_PASSWORD).await;
    r.assert_ok(200);
    let cookie = r.header("set-cookie").expect("refresh cookie").to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}
