//! Per-request plumbing: request/correlation ids, command metadata, command responses and
//! read-your-writes consistency.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use hireledger_commands::CommandMetadata;
use hireledger_domain::Actor;
use hireledger_projections::ViewKind;
use hireledger_projections::queries::wait_for_version;
use serde::Serialize;
use std::time::Instant;
use uuid::Uuid;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
pub const X_AGGREGATE_VERSION: HeaderName = HeaderName::from_static("x-aggregate-version");
pub const X_MIN_VERSION: HeaderName = HeaderName::from_static("x-min-version");
pub const X_READ_CONSISTENCY: HeaderName = HeaderName::from_static("x-read-consistency");

/// Longest accepted client-supplied id.
const MAX_ID_LEN: usize = 128;

/// The ids of the request being handled (in the request extensions).
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    pub correlation_id: String,
}

/// A client id is used only if it is short, visible ASCII; otherwise it is replaced.
fn client_id(req: &ServiceRequest, name: &HeaderName) -> Option<String> {
    let v = req.headers().get(name)?.to_str().ok()?.trim();
    let ok = !v.is_empty() && v.len() <= MAX_ID_LEN && v.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| v.to_owned())
}

/// Assigns the request id (`X-Request-Id` or a new UUID v7) and correlation id
/// (`X-Correlation-Id` or the request id), echoes both on the response, and logs one line per
/// request (method, route pattern, status, duration; never bodies or query strings).
pub async fn request_ids(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = client_id(&req, &X_REQUEST_ID).unwrap_or_else(|| Uuid::now_v7().to_string());
    let correlation_id = client_id(&req, &X_CORRELATION_ID).unwrap_or_else(|| request_id.clone());
    let ids = RequestIds {
        request_id,
        correlation_id,
    };
    req.extensions_mut().insert(ids.clone());
    let started = Instant::now();
    // Handlers' errors arrive here as responses; an `Err` only comes from a middleware and is
    // answered by actix itself. (The request must not be cloned across the call: routing needs
    // sole ownership of it.)
    let mut res = next.call(req).await?.map_into_boxed_body();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    tracing::info!(
        method = %res.request().method(),
        route,
        status = res.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        request_id = %ids.request_id,
        "http request"
    );
    let headers = res.headers_mut();
    for (name, value) in [
        (X_REQUEST_ID, &ids.request_id),
        (X_CORRELATION_ID, &ids.correlation_id),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    Ok(res)
}

/// Metadata for a command issued by `actor` through this request. Causation is
/// `http:<METHOD> <route pattern>`.
pub fn metadata(req: &HttpRequest, actor: &Actor) -> CommandMetadata {
    let ids = req
        .extensions()
        .get::<RequestIds>()
        .cloned()
        .unwrap_or_else(|| {
            let id = Uuid::now_v7().to_string();
            RequestIds {
                request_id: id.clone(),
                correlation_id: id,
            }
        });
    let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    CommandMetadata {
        actor_id: actor.user_id(),
        tenant_id: None,
        request_id: ids.request_id,
        correlation_id: ids.correlation_id,
        causation_id: format!("http:{} {route}", req.method()),
        idempotency_attempt: req
            .extensions()
            .get::<crate::idempotency::IdempotencyAttempt>()
            .map(|a| a.0),
    }
}

/// A command's answer: `status`, JSON `body` and `X-Aggregate-Version: version`.
pub fn command_response(status: StatusCode, version: u64, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((X_AGGREGATE_VERSION, HeaderValue::from(version)))
        .json(body)
}

/// Whether a read saw at least the version the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// The read model had applied the requested version (or none was requested).
    Consistent,
    /// The wait timed out (only on the 503 `READ_001` answer).
    Stale,
}

impl Consistency {
    pub fn header(self) -> (HeaderName, HeaderValue) {
        let v = match self {
            Self::Consistent => "consistent",
            Self::Stale => "stale",
        };
        (X_READ_CONSISTENCY, HeaderValue::from_static(v))
    }
}

/// The version a read must reflect: `?min_version=` or else the `X-Min-Version` header.
pub fn min_version(req: &HttpRequest, query: Option<u64>) -> Result<Option<u64>, ApiError> {
    if query.is_some() {
        return Ok(query);
    }
    match req.headers().get(&X_MIN_VERSION) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::Malformed("X-Min-Version must be a non-negative integer".into())
            }),
    }
}

/// Read-your-writes: waits up to the configured read wait for row `id` of `kind` to reach
/// `min_version`. When the wait ends first the read answers 503 `READ_001` with `Retry-After` and
/// `X-Read-Consistency: stale`, never a 404 or an old state the client would take for the truth.
pub async fn await_version(
    state: &AppState,
    kind: ViewKind,
    id: Uuid,
    min_version: Option<u64>,
) -> Result<Consistency, ApiError> {
    let Some(min) = min_version.filter(|v| *v > 0) else {
        return Ok(Consistency::Consistent);
    };
    let min = i64::try_from(min).unwrap_or(i64::MAX);
    if wait_for_version(&state.pool, kind, id, min, state.read_wait).await? {
        Ok(Consistency::Consistent)
    } else {
        Err(ApiError::NotYetConsistent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn min_version_from_query_then_header() {
        let req = TestRequest::default()
            .insert_header((X_MIN_VERSION, "7"))
            .to_http_request();
        assert_eq!(min_version(&req, Some(3)).unwrap(), Some(3));
        assert_eq!(min_version(&req, None).unwrap(), Some(7));
        let none = TestRequest::default().to_http_request();
        assert_eq!(min_version(&none, None).unwrap(), None);
        let bad = TestRequest::default()
            .insert_header((X_MIN_VERSION, "-1"))
            .to_http_request();
        assert_eq!(min_version(&bad, None).unwrap_err().code(), "REQ_001");
    }

    #[test]
    fn metadata_names_the_route_and_actor() {
        let req = TestRequest::post().uri("/api/v1/users").to_http_request();
        let user_id = Uuid::now_v7();
        let actor = Actor::User {
            user_id,
            role: hireledger_domain::Role::Hr,
            company_id: None,
        };
        let meta = metadata(&req, &actor);
        assert_eq!(meta.actor_id, Some(user_id));
        assert_eq!(meta.causation_id, "http:POST /api/v1/users");
        assert_eq!(meta.correlation_id, meta.request_id);
    }
}
