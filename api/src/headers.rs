//! Security headers on every response: `X-Content-Type-Options: nosniff`; `Cache-Control:
//! no-store` on the API's responses (most carry personal data or tokens; no shared cache may keep
//! them); `Strict-Transport-Security` when the API is served over HTTPS (`cookie_secure`).

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

/// One year, subdomains included.
const HSTS: &str = "max-age=31536000; includeSubDomains";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let api = req.path().starts_with("/api/");
    let hsts = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.cookie_secure);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(res)
}
