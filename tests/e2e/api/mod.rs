//! The HTTP API end to end: real PostgreSQL, the real broker, the relay and the identity projector
//! in-process, and `hireledger_api::serve` on port 0.
//!
//! This module holds the shared client helpers (signed-in [`Session`]s, parsed [`Reply`]s, login,
//! registration and onboarding); the tests are grouped by concern in the submodules.

mod auth;
mod candidates;
mod companies;
mod concurrency;
mod consistency;
mod followups;
mod health;
mod hygiene;
mod idempotency;
mod jobs;
mod limits;
mod pipeline;
mod portals;
mod public;
mod rebuild;
mod registration;
mod rights;
mod sealed_text;
mod takeover;
mod users;

use crate::support::{ADMIN_PASSWORD, TestApp};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
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

/// Polls `path` until `done` holds for its reply (the read models fill asynchronously).
async fn poll(s: &Session, path: &str, done: impl Fn(&Reply) -> bool) -> Reply {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = s.get(path).await;
        if done(&r) {
            return r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never got there: {}",
            r.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The UUID in a JSON body's string field.
#[track_caller]
fn uuid_at(body: &Value, field: &str) -> Uuid {
    body[field].as_str().unwrap().parse().unwrap()
}

/// A company name as a domain label: lower case, spaces as dashes.
fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
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
                "domain": format!("{}.example", slug(name)),
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
    let hr_email = format!("hr@{}.example", slug(name));
    let r = register(app, name, &hr_email).await;
    let company_id = uuid_at(r.assert_ok(202), "company_id");
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
    (uuid_at(body, "user_id"), r.version(), email)
}

/// The token of the newest verification mail to `user_id`, read from the mail outbox and opened
/// with the vault, as the mailer would.
async fn mailed_token(app: &TestApp, user_id: Uuid) -> String {
    let sealed: sqlx::types::Json<hireledger_domain::Sealed> = sqlx::query_scalar(
        "SELECT sealed_body FROM mail_outbox WHERE recipient_id = $1 AND kind = 'verify_email'
          ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_one(&app.pool)
    .await
    .expect("a verification mail");
    let vault = hireledger_infra::vault::Vault::new(app.pool.clone(), &app.common.master_key)
        .expect("vault");
    vault
        .open(&sealed.0, hireledger_infra::vault::Field::VerificationToken)
        .await
        .expect("open the mail")
        .expect("recipient not erased")
}

/// Presents a verification token (anonymously, as a click in the mail would).
async fn verify_email(app: &TestApp, token: &str) -> Reply {
    Reply::from(
        app.client()
            .post(app.url("/api/v1/auth/email/verify"))
            .json(&json!({ "token": token }))
            .send()
            .await
            .expect("send"),
    )
    .await
}

/// Verifies the address of `user_id` with the newest token mailed to it.
async fn verify_mailed(app: &TestApp, user_id: Uuid) {
    let token = mailed_token(app, user_id).await;
    verify_email(app, &token).await.assert_ok(200);
}
