//! E-mail verification: a user proves control of an address by presenting the token mailed to it.
//! A verified CANDIDATE account is then linked to its company's candidate record with that
//! address; a pending change of address takes effect.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{command_response, metadata};
use crate::routes::auth::client_ip;
use crate::routes::dto::UserCommandResponse;
use crate::routes::resource;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hireledger_domain::{Actor, Role};
use serde::Deserialize;
use utoipa::ToSchema;

/// The token from the verification mail.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    pub token: String,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/auth/email/verify").route(web::post().to(verify)))
        .service(resource("/api/v1/auth/email/verification").route(web::post().to(resend)));
}

/// Verify an e-mail address with the token mailed to it (no sign-in needed: the token is the
/// proof). Single use; expires after 24 hours.
#[utoipa::path(
    post, path = "/api/v1/auth/email/verify", tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, body = UserCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "Version of the user"))),
        (status = 409, description = "The new address was taken meanwhile (USER_002)", body = ApiError),
        (status = 410, description = "Unknown, used or expired token (USER_011)", body = ApiError),
        (status = 429, description = "Too many attempts from this address (RATE_001)", body = ApiError),
    ),
    security(())
)]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    state.limiter.check_public(client_ip(&req, &state))?;
    let meta = metadata(&req, &Actor::System);
    let verified = state.identity.verify_email(&body.token, &meta).await?;
    // A verified candidate account is linked to its company's record with this address. The
    // verification stands either way: a failure is logged (code only), linking retried at the
    // next candidate creation or verification.
    if let (Role::Candidate, Some(company_id)) = (verified.role, verified.company_id)
        && let Err(e) = state
            .pipeline
            .link_candidate_account(company_id, &verified.email, verified.user_id, &meta)
            .await
    {
        let code = ApiError::from(e).code();
        tracing::warn!(
            code,
            "linking a verified candidate account to its record failed"
        );
    }
    let version = verified.committed.version;
    Ok(command_response(
        StatusCode::OK,
        version,
        &UserCommandResponse {
            user_id: verified.user_id,
            version,
        },
    ))
}

/// Mail a new verification token to your current address.
#[utoipa::path(
    post, path = "/api/v1/auth/email/verification", tag = "auth",
    responses(
        (status = 202, description = "A token was mailed"),
        (status = 401, body = ApiError),
        (status = 429, description = "Too many requests (RATE_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn resend(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.limiter.check_public(client_ip(&req, &state))?;
    state.identity.resend_verification(auth.user_id).await?;
    Ok(HttpResponse::Accepted().finish())
}
