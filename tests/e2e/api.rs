//! The HTTP API end to end: real PostgreSQL, the real broker, the relay and the identity projector
//! in-process, and `hireledger_api::serve` on port 0.

use crate::support::{self, ADMIN_PASSWORD, TestApp, spawn_app, spawn_app_with};
use hireledger_api::auth::jwt::{Claims, JwtKeys};
use hireledger_domain::Role;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

/// A signed-in client: its own cookie jar and access token.
struct Session {
    base: String,
    client: reqwest::Client,
    token: String,
    user_id: Uuid,
}

/// Status, headers and JSON body (Null when empty or not JSON).
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    async fn from(res: reqwest::Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("read body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an error reply: status, code and the error body's shape.
    #[track_caller]
    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.body["code"].as_str()),
            (status, Some(code)),
            "unexpected reply: {}",
            self.body
        );
        assert!(self.body["detail"].is_string(), "{}", self.body);
        assert!(self.body["timestamp"].is_string(), "{}", self.body);
    }

    #[track_caller]
    fn assert_ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected reply: {}",
            self.body
        );
        &self.body
    }

    fn version(&self) -> u64 {
        self.body["version"].as_u64().expect("version in body")
    }
}

impl Session {
    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        Reply::from(req.bearer_auth(&self.token).send().await.expect("send")).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn post_empty(&self, path: &str) -> Reply {
        self.send(self.client.post(format!("{}{path}", self.base)))
            .await
    }

    async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(
            self.client
                .patch(format!("{}{path}", self.base))
                .json(&body),
        )
        .await
    }

    /// `POST /auth/refresh` with this session's cookie jar; adopts the new access token.
    async fn refresh(&mut self) -> Reply {
        let r = Reply::from(
            self.client
                .post(format!("{}/api/v1/auth/refresh", self.base))
                .send()
                .await
                .expect("send"),
        )
        .await;
        if r.status == StatusCode::OK {
            self.token = r.body["access_token"].as_str().expect("token").to_owned();
        }
        r
    }
}

async fn try_login(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> Reply {
    Reply::from(
        client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Session {
    let client = app.client();
    let r = try_login(app, &client, email, password).await;
    let body = r.assert_ok(200);
    Session {
        base: app.address.clone(),
        token: body["access_token"].as_str().expect("token").to_owned(),
        user_id: body["user"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("user id"),
        client,
    }
}

async fn admin(app: &TestApp) -> Session {
    login(app, &app.admin_email, ADMIN_PASSWORD).await
}

/// An approved company and its first HR user, signed in.
struct Tenant {
    company_id: Uuid,
    hr: Session,
    hr_email: String,
}

async fn register(app: &TestApp, name: &str, contact_email: &str) -> Reply {
    Reply::from(
        app.client()
            .post(app.url("/api/v1/companies/registrations"))
            .json(&json!({
                "company_name": name,
                "domain": format!("{}.example", name.to_lowercase().replace(' ', "-")),
                "contact_name": "Hanna Recruiter",
                "contact_email": contact_email,
            }))
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn onboard(app: &TestApp, admin: &Session, name: &str) -> Tenant {
    let hr_email = format!("hr@{}.example", name.to_lowercase().replace(' ', "-"));
    let r = register(app, name, &hr_email).await;
    let company_id: Uuid = r.assert_ok(202)["company_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = admin
        .post_empty(&format!(
            "/api/v1/admin/company-requests/{company_id}/approve"
        ))
        .await;
    let password = r.assert_ok(200)["temporary_password"]
        .as_str()
        .unwrap()
        .to_owned();
    let hr = login(app, &hr_email, &password).await;
    Tenant {
        company_id,
        hr,
        hr_email,
    }
}

/// HR creates a user with a known password; returns (id, version, email).
async fn create_user(hr: &Session, name: &str, role: &str) -> (Uuid, u64, String) {
    let email = format!(
        "{}@{}.example",
        name.to_lowercase(),
        Uuid::now_v7().simple()
    );
    let r = hr
        .post(
            "/api/v1/users",
            json!({ "name": name, "email": email, "role": role, "password": "user-password-1" }),
        )
        .await;
    let body = r.assert_ok(201);
    (
        body["user_id"].as_str().unwrap().parse().unwrap(),
        r.version(),
        email,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_docs_ids_and_malformed_requests() {
    let app = spawn_app().await;
    let client = app.client();
    for path in ["/health", "/health/db", "/health/kafka"] {
        let r = Reply::from(client.get(app.url(path)).send().await.unwrap()).await;
        assert_eq!(r.assert_ok(200)["status"], "ok", "{path}");
    }

    // The served document is the committed snapshot.
    let served = Reply::from(
        client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let committed: Value = serde_json::from_str(include_str!("../../api/openapi.json")).unwrap();
    assert_eq!(served.assert_ok(200), &committed);
    let docs = client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));

    // Unknown routes and methods, ids echoed (given and generated).
    let r = Reply::from(
        client
            .get(app.url("/api/v1/nope"))
            .header("X-Request-Id", "req-123")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(404, "NOT_FOUND");
    assert_eq!(r.header("x-request-id"), Some("req-123"));
    assert_eq!(r.header("x-correlation-id"), Some("req-123"));
    let r = Reply::from(
        client
            .delete(app.url("/api/v1/users"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(405, "REQ_005");
    assert!(
        r.header("x-request-id")
            .is_some_and(|v| Uuid::parse_str(v).is_ok())
    );

    // Malformed body, content type, path and query → 400 REQ_001; never a 5xx.
    let url = app.url("/api/v1/companies/registrations");
    let r = Reply::from(
        client
            .post(&url)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
    let r = Reply::from(client.post(&url).body("x").send().await.unwrap()).await;
    r.assert_error(400, "REQ_001");
    let r = Reply::from(
        client
            .post(&url)
            .json(&json!({"company_name": "A"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
    let r = Reply::from(
        client
            .post(&url)
            .json(
                &json!({"company_name": "A", "domain": "a.io", "contact_name": "A",
                          "contact_email": "a@a.io", "extra": 1}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
    let big = "x".repeat(100 * 1024);
    let r = Reply::from(
        client
            .post(&url)
            .json(&json!({"company_name": big, "domain": "a.io", "contact_name": "A", "contact_email": "a@a.io"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(413, "REQ_004");

    let admin = admin(&app).await;
    admin
        .get("/api/v1/users/not-a-uuid")
        .await
        .assert_error(400, "REQ_001");
    admin
        .get("/api/v1/users?page=abc")
        .await
        .assert_error(400, "REQ_001");
    admin
        .get("/api/v1/users?page_size=1000")
        .await
        .assert_error(422, "VAL_001");
    admin
        .get("/api/v1/users?role=KING")
        .await
        .assert_error(422, "VAL_001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kafka_down_answers_503_with_retry_after() {
    let app = spawn_app().await;
    let mut common = app.common.clone();
    common.kafka_brokers = "127.0.0.1:1".into();
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let (address, _task) = support::start_api(
        app.pool.clone(),
        common,
        support::test_api_settings(),
        stop_rx,
    );
    let client = app.client();
    let mut r = None;
    for _ in 0..100 {
        if let Ok(res) = client.get(format!("{address}/health/kafka")).send().await {
            r = Some(Reply::from(res).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = r.expect("second API up");
    r.assert_error(503, "SYS_001");
    assert!(
        r.header("retry-after")
            .is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s > 0))
    );
}

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
    let acme: Uuid = r.assert_ok(202)["company_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(r.body["status"], "PENDING");
    assert_eq!(r.header("x-aggregate-version"), Some("1"));
    register(&app, "Acme Two", "HR@acme.example")
        .await
        .assert_error(409, "USER_002");

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
    let shady: Uuid = r.assert_ok(202)["company_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
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
    let cand_id: Uuid = r.body["user_id"].as_str().unwrap().parse().unwrap();
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
    a.hr.post_empty(&format!("/api/v1/users/{emp_id}/erase"))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotent_retries_replay_and_write_nothing() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Gamma").await;
    let body = serde_json::to_vec(&json!({
        "name": "Ivo", "email": "ivo@gamma.example", "role": "EMPLOYEE"
    }))
    .unwrap();
    let send = |key: &str, body: Vec<u8>| {
        a.hr.client
            .post(app.url("/api/v1/users"))
            .bearer_auth(&a.hr.token)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .body(body)
    };

    let first = Reply::from(
        send("key-1", body.clone())
            .header("X-Request-Id", "req-create-ivo")
            .header("X-Correlation-Id", "flow-42")
            .send()
            .await
            .unwrap(),
    )
    .await;
    first.assert_ok(201);
    assert!(first.body["temporary_password"].is_string());
    assert_eq!(first.header("x-request-id"), Some("req-create-ivo"));
    // The event carries who, which tenant, and which request caused it.
    let meta: Value = sqlx::query_scalar(
        "SELECT metadata::jsonb FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1",
    )
    .bind(first.body["user_id"].as_str().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(meta["actor_id"], a.hr.user_id.to_string());
    assert_eq!(meta["tenant_id"], a.company_id.to_string());
    assert_eq!(meta["request_id"], "req-create-ivo");
    assert_eq!(meta["correlation_id"], "flow-42");
    assert_eq!(meta["causation_id"], "http:POST /api/v1/users");
    let events = app.event_count().await;
    let retry = Reply::from(send("key-1", body.clone()).send().await.unwrap()).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body, "a retry answers the same body");
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(
        retry.header("x-aggregate-version"),
        first.header("x-aggregate-version")
    );
    assert_eq!(app.event_count().await, events, "a retry writes no event");

    // Same key, other request → REQ_002; same key still running → REQ_003.
    let other = serde_json::to_vec(
        &json!({"name": "Ivo", "email": "ivo2@gamma.example", "role": "EMPLOYEE"}),
    )
    .unwrap();
    Reply::from(send("key-1", other.clone()).send().await.unwrap())
        .await
        .assert_error(422, "REQ_002");
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash) VALUES ($1, 'key-busy', $2)",
    )
    .bind(a.hr.user_id.to_string())
    .bind(hireledger_commands::idempotency::request_hash(
        "POST",
        "/api/v1/users",
        &other,
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    Reply::from(send("key-busy", other.clone()).send().await.unwrap())
        .await
        .assert_error(409, "REQ_003");
    assert_eq!(app.event_count().await, events);

    // Refusals (4xx) are stored and replayed too; keys are per caller.
    let bad =
        serde_json::to_vec(&json!({"name": "Ivo", "email": "nope", "role": "EMPLOYEE"})).unwrap();
    Reply::from(send("key-2", bad.clone()).send().await.unwrap())
        .await
        .assert_error(422, "VAL_001");
    let again = Reply::from(send("key-2", bad).send().await.unwrap()).await;
    again.assert_error(422, "VAL_001");
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    let by_admin = admin
        .send(
            admin
                .client
                .post(app.url(&format!(
                    "/api/v1/admin/companies/{}/deactivate",
                    a.company_id
                )))
                .header("Idempotency-Key", "key-1")
                .json(&json!({"reason": "audit"})),
        )
        .await;
    by_admin.assert_ok(200);

    // Anonymous registration with a key.
    let reg = json!({"company_name": "Delta", "domain": "delta.example", "contact_name": "D", "contact_email": "d@delta.example"});
    let anon = app.client();
    let post = || {
        anon.post(app.url("/api/v1/companies/registrations"))
            .header("Idempotency-Key", "reg-1")
            .json(&reg)
    };
    let first = Reply::from(post().send().await.unwrap()).await;
    first.assert_ok(202);
    let events = app.event_count().await;
    let retry = Reply::from(post().send().await.unwrap()).await;
    assert_eq!((retry.status, &retry.body), (first.status, &first.body));
    assert_eq!(app.event_count().await, events);

    // A malformed key is refused.
    let r = Reply::from(
        anon.post(app.url("/api/v1/companies/registrations"))
            .header("Idempotency-Key", "x".repeat(300))
            .json(&reg)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "REQ_001");
}
