//! `Idempotency-Key` on command requests: the first completed answer is stored and replayed for
//! retries, so a retry never writes new events.
//!
//! - Only command routes: a POST/PUT/PATCH/DELETE whose path the router matches (its resource
//!   map, the same one that routes the request) and that is not a session endpoint (login,
//!   refresh, logout). Anything else, unknown paths included, passes through untouched: no body is
//!   buffered and no row is written.
//! - Only authenticated principals: the scope is the user id of a valid bearer token. Anonymous
//!   requests (no token) and requests whose token does not verify pass through (the handler
//!   answers them; the header is ignored): a shared anonymous scope would let one caller read or
//!   block another's answer.
//! - Same key + same method/path/body → the stored status and body (`Idempotency-Replayed: true`).
//!   Same key + different request → `REQ_002`; same key still running → `REQ_003`; an earlier
//!   attempt whose command committed but whose answer was lost (a crash) → `REQ_006`, never a
//!   second run (see [`hireledger_commands::idempotency`] for how the attempt id closes that
//!   window).
//! - Stored: 2xx and deterministic refusals (4xx) except those a retry may get past: 401, 403,
//!   404, 405, 408, 409 (a conflict or a busy key), 429. Those and 5xx forget the attempt so a
//!   retry runs again.
//! - Rows are purged by age by a periodic task of `serve` ([`IDEMPOTENCY_RETENTION`]).
//!
//! Stored bodies can hold a secret shown once (a temporary password, an interview access token): a
//! retry after a lost response needs it. They are encrypted at rest by the store.
//!
//! Bodies are buffered for hashing up to [`MAX_BODY_BYTES`]; only the upload routes
//! ([`UPLOAD_ROUTES`]) up to the import limit.

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
use std::time::Duration;
use uuid::Uuid;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENCY_REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");

/// Largest body buffered for hashing (the JSON extractor's limit is the same).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest upload buffered (multipart or CSV bodies): the import limit plus room for the form.
const MAX_UPLOAD_BYTES: usize = hireledger_commands::pipeline::MAX_IMPORT_BYTES + 64 * 1024;
/// Route patterns that take a file upload (and only those get [`MAX_UPLOAD_BYTES`]).
const UPLOAD_ROUTES: &[&str] = &["/api/v1/candidates/imports"];
/// How long idempotency rows (and the answers they hold) are kept.
pub const IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// The attempt a request runs under; [`crate::request::metadata`] puts it on every event.
#[derive(Clone, Copy, Debug)]
pub struct IdempotencyAttempt(pub Uuid);
/// Longest accepted key.
const MAX_KEY_LEN: usize = 200;
/// POSTs that are not commands.
const NOT_COMMANDS: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
];

/// The matched route pattern of a command request with a key, or `None` when the layer does not
/// apply (not a command method, no key, a session endpoint, or a path no route matches).
fn command_route(req: &ServiceRequest) -> Option<String> {
    let command = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !command || !req.headers().contains_key(&IDEMPOTENCY_KEY) {
        return None;
    }
    // The router's own resource map: `None` for a path no resource matches (the default 404).
    let pattern = req.match_pattern()?;
    (!NOT_COMMANDS.contains(&pattern.as_str())).then_some(pattern)
}

/// Whether an answer is kept for replay (see the module docs).
fn storable(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error()
            && !matches!(
                status,
                StatusCode::UNAUTHORIZED
                    | StatusCode::FORBIDDEN
                    | StatusCode::NOT_FOUND
                    | StatusCode::METHOD_NOT_ALLOWED
                    | StatusCode::REQUEST_TIMEOUT
                    | StatusCode::CONFLICT
                    | StatusCode::TOO_MANY_REQUESTS
            ))
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

/// The scope of the key: the user id of a valid bearer token, or `None` (anonymous, or a token
/// that does not verify), in which case idempotency is skipped.
fn scope_of(req: &ServiceRequest, state: &AppState) -> Option<String> {
    let token = bearer_token(req.request())?;
    state.jwt.verify(token).ok().map(|c| c.sub.to_string())
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

async fn abandon(state: &AppState, scope: &str, key: &str, attempt: Uuid) {
    if let Err(e) = state.idempotency.abandon(scope, key, attempt).await {
        tracing::warn!(error = %e, "forgetting a failed idempotent attempt failed");
    }
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let applies = state
        .zip(command_route(&req))
        .and_then(|(state, route)| scope_of(&req, &state).map(|scope| (state, route, scope)));
    let Some((state, route, scope)) = applies else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match key_of(&req) {
        Ok(k) => k,
        Err(e) => return Ok(req.error_response(e)),
    };
    let limit = if UPLOAD_ROUTES.contains(&route.as_str()) {
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
    let attempt = match state.idempotency.begin(&scope, &key, &hash).await {
        Ok(Begin::Proceed { attempt }) => attempt,
        Ok(Begin::Replay { status, body }) => return Ok(replay(req, status, body)),
        Ok(Begin::InProgress) => return Ok(req.error_response(ApiError::IdempotencyInProgress)),
        Ok(Begin::Mismatch) => return Ok(req.error_response(ApiError::IdempotencyMismatch)),
        Ok(Begin::AlreadyCommitted) => {
            return Ok(req.error_response(ApiError::IdempotencyAlreadyCommitted));
        }
        Err(e) => return Ok(req.error_response(ApiError::from(e))),
    };
    req.extensions_mut().insert(IdempotencyAttempt(attempt));
    req.set_payload(actix_web::dev::Payload::from(body));
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            abandon(&state, &scope, &key, attempt).await;
            return Err(e);
        }
    };
    let status = res.status();
    let (http, res) = res.into_parts();
    let (head, res_body) = res.into_parts();
    let bytes = match body::to_bytes(res_body).await {
        Ok(b) => b,
        Err(e) => {
            abandon(&state, &scope, &key, attempt).await;
            let err = ApiError::Internal(anyhow::anyhow!("buffering the response: {e}"));
            return Ok(ServiceResponse::new(http, HttpResponse::from_error(err)));
        }
    };
    let stored = if storable(status) {
        state
            .idempotency
            .complete(&scope, &key, attempt, status.as_u16(), &bytes)
            .await
    } else {
        state.idempotency.abandon(&scope, &key, attempt).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_and_retryable_refusals_are_not_stored() {
        for s in [200, 201, 202, 204, 400, 410, 413, 422] {
            assert!(storable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [401, 403, 404, 405, 408, 409, 429, 500, 503] {
            assert!(!storable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }
}
