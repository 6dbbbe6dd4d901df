//! The candidate's one-time interview link: check it before use, then start the AI interview.
//!
//! The token in the path is a secret (it opens the interview). It is never logged: these
//! handlers have no tracing fields, the request log names the route pattern
//! (`/api/v1/interviews/start/{token}`), never the path, command metadata does the same, and
//! only the token's SHA-256 is stored and compared.
//!
//! An unknown or expired token answers 404 `INT_002` alike (the page cannot tell which), so
//! guessing reveals nothing. A token can start its interview once.

use super::MaybeAuth;
use crate::error::ApiError;
use crate::request::{command_response, metadata};
use crate::routes::auth::client_ip;
use crate::routes::interviews::{InterviewKindName, InterviewModeName};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use hireledger_commands::pipeline::PipelineError;
use hireledger_domain::Actor;
use hireledger_domain::interview::{Interview, InterviewError, TokenState};
use hireledger_projections::views::get_job;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Longer tokens cannot be ours (they are 43 characters); refused without a lookup.
const MAX_TOKEN_LEN: usize = 256;

/// The link is good: what the candidate's page shows before starting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewLinkDto {
    /// Always `true` (every other state is an error answer).
    pub valid: bool,
    pub interview_id: Uuid,
    /// `null` while the job's read model lags.
    pub job_title: Option<String>,
    pub round: u8,
    #[schema(value_type = InterviewKindName)]
    pub kind: String,
    #[schema(value_type = InterviewModeName)]
    pub mode: String,
    pub scheduled_at: DateTime<Utc>,
    pub duration_mins: u16,
    /// The link stops working at this moment.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The interview is IN_PROGRESS.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewStarted {
    pub interview_id: Uuid,
    /// New version of the interview (also in `X-Aggregate-Version`).
    pub version: u64,
}

fn refusal(e: InterviewError) -> ApiError {
    PipelineError::Interview(e).into()
}

/// What a token's state answers, `Ok` only when it is valid.
fn check_state(state: TokenState) -> Result<(), ApiError> {
    match state {
        TokenState::Valid => Ok(()),
        TokenState::Invalid => Err(refusal(InterviewError::InvalidToken)),
        TokenState::Expired => Err(refusal(InterviewError::Expired)),
        TokenState::AlreadyCompleted => Err(refusal(InterviewError::AlreadyCompleted)),
        TokenState::AlreadyStarted => Err(refusal(InterviewError::AlreadyStarted)),
        TokenState::Closed => Err(refusal(InterviewError::NotScheduled)),
    }
}

fn plausible(token: &str) -> Result<(), ApiError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(refusal(InterviewError::InvalidToken));
    }
    Ok(())
}

/// The link's page data; `INT_002` for an interview without the scheduling facts.
async fn link_of(state: &AppState, interview: &Interview) -> Result<InterviewLinkDto, ApiError> {
    let (Some(interview_id), Some(kind), Some(mode), Some(scheduled_at)) = (
        interview.id(),
        interview.kind(),
        interview.mode(),
        interview.scheduled_at(),
    ) else {
        return Err(refusal(InterviewError::InvalidToken));
    };
    let job_title = match interview.job_id() {
        Some(job_id) => get_job(&state.pool, job_id).await?.map(|j| j.title),
        None => None,
    };
    Ok(InterviewLinkDto {
        valid: true,
        interview_id,
        job_title,
        round: interview.round(),
        kind: kind.as_str().to_owned(),
        mode: mode.as_str().to_owned(),
        scheduled_at,
        duration_mins: interview.duration_mins(),
        expires_at: interview.expires_at(),
    })
}

/// Check an interview link before use (public).
#[utoipa::path(
    get, path = "/api/v1/interviews/validate/{token}", tag = "public",
    params(("token" = String, Path, description = "The one-time access token from the link")),
    responses(
        (status = 200, body = InterviewLinkDto),
        (status = 404, description = "Unknown or expired token (INT_002)", body = ApiError),
        (status = 409, description = "Interview completed (INT_003), already started (INT_004), or cancelled / no-show (INT_005)", body = ApiError),
        (status = 429, description = "Too many requests from this client (RATE_001)", body = ApiError),
    )
)]
pub async fn validate(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.limiter.check_public(client_ip(&req, &state))?;
    let token = token.into_inner();
    plausible(&token)?;
    let (interview, token_state) = state
        .pipeline
        .validate_token(&token)
        .await?
        .ok_or_else(|| refusal(InterviewError::InvalidToken))?;
    check_state(token_state)?;
    Ok(HttpResponse::Ok().json(link_of(&state, &interview).await?))
}

/// Start the AI interview the link opens (public; a signed-in caller must be its candidate).
/// Works once: the token opens one live session.
#[utoipa::path(
    post, path = "/api/v1/interviews/start/{token}", tag = "public",
    params(("token" = String, Path, description = "The one-time access token from the link"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = InterviewStarted,
            headers(("X-Aggregate-Version" = u64, description = "New version of the interview"))),
        (status = 401, description = "A bearer token that does not verify (AUTH_005, AUTH_002)", body = ApiError),
        (status = 403, description = "Signed in as someone else than the interview's candidate (AUTH_003)", body = ApiError),
        (status = 404, description = "Unknown or expired token (INT_002)", body = ApiError),
        (status = 409, description = "Interview completed (INT_003), already started (INT_004), or cancelled / no-show (INT_005); concurrent start (CONC_001)", body = ApiError),
        (status = 429, description = "Too many requests from this client (RATE_001)", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
pub async fn start(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.limiter.check_public(client_ip(&req, &state))?;
    let token = token.into_inner();
    plausible(&token)?;
    let actor = auth.0.map_or(Actor::Anonymous, |u| u.actor());
    let (interview_id, committed) = state
        .pipeline
        .start_interview(actor, &token, &metadata(&req, &actor))
        .await?;
    let version = committed.version;
    let body = InterviewStarted {
        interview_id,
        version,
    };
    Ok(command_response(StatusCode::OK, version, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_states_map_to_the_documented_codes() {
        let code = |s| check_state(s).map_err(|e| e.code());
        assert_eq!(code(TokenState::Valid), Ok(()));
        assert_eq!(code(TokenState::Invalid), Err("INT_002"));
        assert_eq!(code(TokenState::Expired), Err("INT_002"));
        assert_eq!(code(TokenState::AlreadyCompleted), Err("INT_003"));
        assert_eq!(code(TokenState::AlreadyStarted), Err("INT_004"));
        assert_eq!(code(TokenState::Closed), Err("INT_005"));
    }

    #[test]
    fn implausible_tokens_are_unknown() {
        assert_eq!(plausible("").unwrap_err().code(), "INT_002");
        assert_eq!(
            plausible(&"x".repeat(MAX_TOKEN_LEN + 1))
                .unwrap_err()
                .code(),
            "INT_002"
        );
        assert!(plausible("q3Xr").is_ok());
    }
}
