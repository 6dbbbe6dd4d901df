//! `Idempotency-Key` on command requests (POST/PATCH): the first completed answer is stored and
//! replayed for retries, so a retry never writes new events.
//!
//! - Scope: the caller's user id (from a valid bearer token), or `anonymous`. A request whose
//!   token is present but invalid is passed through untouched (the handler answers 401).
//! - Same key + same method/path/body → the stored status and body (`Idempotency-Replayed: true`).
//!   Same key + different request → `REQ_002`; same key still running → `REQ_003`.
//! - Answers below 500 are stored; a 5xx forgets the attempt so a retry runs again.
//! - Session endpoints (login, refresh, logout) are not commands and ignore the header.
//!
//! Stored bodies can hold a secret shown once (a temporary password, an interview access token): a
//! retry after a lost response needs it. They are encrypted at rest by the store; purge old
//! `idempotency_keys` rows to bound how long they are kept.
//!
//! Bodies are buffered for hashing up to [`MAX_BODY_BYTES`]; file uploads (multipart, CSV) up to
//! the import limit, so an upload may carry a key too.

use crate::auth::bearer_token;
use crate::error::ApiError;
use crate::request::X_AGGREGATE_VERSION;
use crate::state::AppState;
use actix_web::body::{self, BodyStream, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use hireledger_commands::idempotency::{Begin, request_hash};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENCY_REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");

/// Largest body buffered for hashing (the JSON extractor's limit is the same).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest upload buffered (multipart or CSV bodies): the import limit plus room for the form.
const MAX_UPLOAD_BYTES: usize = hireledger_commands::pipeline::MAX_IMPORT_BYTES + 64 * 1024;
/// Longest accepted key.
const MAX_KEY_LEN: usize = 200;
/// POSTs that are not commands.
const NOT_COMMANDS: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
];

fn applies(req: &ServiceRequest) -> bool {
    (req.method() == Method::POST || req.method() == Method::PATCH)
        && req.headers().contains_key(&IDEMPOTENCY_KEY)
        && !NOT_COMMANDS.contains(&req.path())
}

/// A file upload (multipart form or raw CSV), which may be larger than a JSON command.
fn is_upload(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let ct = ct.trim_start().to_ascii_lowercase();
            ct.starts_with("multipart/form-data") || ct.starts_with("text/csv")
        })
}

fn key_of(req: &ServiceRequest) -> Result<String, ApiError> {
    let bad = || {
        ApiError::Malformed(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
        ))
    };
    let v = req
        .headers()
        .get(&IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .ok_or_else(bad)?;
    if v.is_empty() || v.len() > MAX_KEY_LEN || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(v.to_owned())
}

/// The scope of the key: `Some(user id)` / `Some("anonymous")`, or `None` when the request has a
/// token that does not verify (idempotency is then skipped).
fn scope_of(req: &ServiceRequest, state: &AppState) -> Option<String> {
    match bearer_token(req.request()) {
        None => Some("anonymous".to_owned()),
        Some(token) => state.jwt.verify(token).ok().map(|c| c.sub.to_string()),
    }
}

fn replay(req: ServiceRequest, status: u16, stored: Vec<u8>) -> ServiceResponse<BoxBody> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let version = serde_json::from_slice::<serde_json::Value>(&stored)
        .ok()
        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
    let mut res = HttpResponse::build(status);
    res.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ))
    .insert_header((IDEMPOTENCY_REPLAYED, HeaderValue::from_static("true")));
    if let Some(v) = version {
        res.insert_header((X_AGGREGATE_VERSION, HeaderValue::from(v)));
    }
    req.into_response(res.body(stored))
}

async fn abandon(state: &AppState, scope: &str, key: &str) {
    if let Err(e) = state.idempotency.abandon(scope, key).await {
        tracing::warn!(error = %e, "forgetting a failed idempotent attempt failed");
    }
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(state), true) = (state, applies(&req)) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match key_of(&req) {
        Ok(k) => k,
        Err(e) => return Ok(req.error_response(e)),
    };
    let Some(scope) = scope_of(&req, &state) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let limit = if is_upload(&req) {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let payload = req.take_payload();
    let body = match body::to_bytes_limited(BodyStream::new(payload), limit).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            return Ok(req.error_response(ApiError::Malformed(format!("reading the body: {e}"))));
        }
        Err(_) => return Ok(req.error_response(ApiError::PayloadTooLarge)),
    };
    let target = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |pq| pq.as_str())
        .to_owned();
    let hash = request_hash(req.method().as_str(), &target, &body);
    match state.idempotency.begin(&scope, &key, &hash).await {
        Ok(Begin::Proceed) => {}
        Ok(Begin::Replay { status, body }) => return Ok(replay(req, status, body)),
        Ok(Begin::InProgress) => return Ok(req.error_response(ApiError::IdempotencyInProgress)),
        Ok(Begin::Mismatch) => return Ok(req.error_response(ApiError::IdempotencyMismatch)),
        Err(e) => return Ok(req.error_response(ApiError::from(e))),
    }
    req.set_payload(actix_web::dev::Payload::from(body));
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            abandon(&state, &scope, &key).await;
            return Err(e);
        }
    };
    let status = res.status();
    let (http, res) = res.into_parts();
    let (head, res_body) = res.into_parts();
    let bytes = match body::to_bytes(res_body).await {
        Ok(b) => b,
        Err(e) => {
            abandon(&state, &scope, &key).await;
            let err = ApiError::Internal(anyhow::anyhow!("buffering the response: {e}"));
            return Ok(ServiceResponse::new(http, HttpResponse::from_error(err)));
        }
    };
    let stored = if status.is_server_error() {
        state.idempotency.abandon(&scope, &key).await
    } else {
        state
            .idempotency
            .complete(&scope, &key, status.as_u16(), &bytes)
            .await
    };
    if let Err(e) = stored {
        // The command itself is done; only its replay is lost. Say so in the log, answer as usual.
        tracing::warn!(error = %e, "storing the idempotent result failed");
    }
    Ok(ServiceResponse::new(
        http,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}
