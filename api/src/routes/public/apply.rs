//! Applying from the public careers page.
//!
//! The applicant is the company's candidate with that e-mail address, or a new candidate created
//! by the platform (`Actor::System`, source `PORTAL`) from the applicant's data. An existing
//! candidate's record is not changed by applying: an anonymous visitor must not be able to
//! overwrite someone's data by knowing their address.
//!
//! An anonymous applicant always gets the same `202 RECEIVED` once the request is valid and the
//! job open: whether the application is new, the address already applied, or its record was
//! deleted is not told (the careers page is no oracle for who applied where).
//!
//! A signed-in caller must be a CANDIDATE of that company applying with their account's own
//! e-mail address, verified (otherwise they could attach their account to someone else's
//! candidate record); the application is then linked to the account.

use super::{MaybeAuth, require_active_company};
use crate::error::ApiError;
use crate::request::{command_response, metadata};
use crate::routes::jobs::{invalid, not_found};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hireledger_commands::pipeline::{ApplicationInput, CandidateInput, PipelineError};
use hireledger_domain::application::{ApplicationError, ApplicationSource};
use hireledger_domain::candidate::{CandidateError, CandidateSource};
use hireledger_domain::job::JobStatus;
use hireledger_domain::{Actor, EmailAddress, PersonName, PhoneNumber, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The applicant. Used only when the company has no candidate with this e-mail address yet.
/// The status an anonymous application answers with.
const RECEIVED: &str = "RECEIVED";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    /// Identifies the applicant within the company. A signed-in candidate must use their
    /// account's address.
    #[schema(example = "ada@example.org")]
    pub email: String,
    pub phone: Option<String>,
    /// Current position, up to 200 characters.
    pub position: Option<String>,
    /// Field of work, up to 200 characters.
    pub domain: Option<String>,
    /// 0–70 (default 0).
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 70)]
    pub experience_years: Option<i64>,
    /// Up to 30 entries of up to 200 characters.
    pub qualifications: Option<Vec<String>>,
}

/// The application was submitted (status `APPLIED`).
/// What an anonymous applicant learns: always the same, whether the application is new, was
/// already there, or the address belongs to someone whose record was deleted (the careers page
/// must not tell who applied where).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationAccepted {
    /// Always `RECEIVED`.
    pub status: String,
}

/// A signed-in candidate's application.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationReceived {
    pub application_id: Uuid,
    pub candidate_id: Uuid,
    /// Version of the new application (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// Who applies: anonymous, or the signed-in CANDIDATE of this company (403 `AUTH_003` for any
/// other signed-in caller).
fn applicant_actor(auth: MaybeAuth, company_id: Uuid) -> Result<Actor, ApiError> {
    match auth.0 {
        None => Ok(Actor::Anonymous),
        Some(u) if u.role == Role::Candidate && u.company_id == Some(company_id) => Ok(u.actor()),
        Some(_) => Err(ApiError::Forbidden),
    }
}

/// A signed-in applicant must apply with their own account's e-mail address.
/// A signed-in applicant applies with their account's own, verified address: control of the
/// address is what links the account to the candidate record with that address.
async fn require_own_email(
    state: &AppState,
    actor: &Actor,
    email: &EmailAddress,
) -> Result<(), ApiError> {
    let Some(user_id) = actor.user_id() else {
        return Ok(());
    };
    match state.identity.email_verified(user_id, email).await? {
        Some(true) => Ok(()),
        Some(false) => Err(ApiError::EmailNotVerified),
        None => Err(invalid("email", "not_account_email")),
    }
}

fn experience(years: Option<i64>) -> Result<u8, ApiError> {
    match years {
        None => Ok(0),
        Some(y) => u8::try_from(y).map_err(|_| invalid("experience_years", "out_of_range")),
    }
}

/// The company's candidate with this address, created from the applicant's data when there is
/// none (by the platform: anonymous visitors cannot create candidates themselves).
async fn candidate_for(
    state: &AppState,
    req: &HttpRequest,
    company_id: Uuid,
    email: &EmailAddress,
    input: CandidateInput,
) -> Result<Uuid, ApiError> {
    if let Some(id) = state.pipeline.candidate_by_email(company_id, email).await? {
        return Ok(id);
    }
    let created = state
        .pipeline
        .create_candidate(
            Actor::System,
            Some(company_id),
            input,
            None,
            None,
            &metadata(req, &Actor::System),
        )
        .await;
    match created {
        Ok(c) => Ok(c.candidate_id),
        // A concurrent application with the same address created it first: use that one.
        Err(PipelineError::CandidateEmailTaken) => state
            .pipeline
            .candidate_by_email(company_id, email)
            .await?
            .ok_or_else(|| PipelineError::CandidateEmailTaken.into()),
        Err(e) => Err(e.into()),
    }
}

/// Apply to an OPEN job (anyone; a signed-in CANDIDATE of the company links their account).
#[utoipa::path(
    post, path = "/api/v1/public/companies/{company_id}/jobs/{job_id}/apply", tag = "public",
    request_body = ApplyRequest,
    params(("company_id" = Uuid, Path, description = "Company id"),
        ("job_id" = Uuid, Path, description = "Job id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Signed in: the application", body = ApplicationReceived,
            headers(("X-Aggregate-Version" = u64, description = "Version of the new application"))),
        (status = 202, description = "Anonymous: received (the same answer whether new, already applied or otherwise; nothing about the address is told)", body = ApplicationAccepted),
        (status = 400, description = "Malformed body (REQ_001)", body = ApiError),
        (status = 401, description = "A bearer token that does not verify (AUTH_005, AUTH_002)", body = ApiError),
        (status = 403, description = "Signed in, but not a CANDIDATE of this company (AUTH_003); the account's address is not verified (USER_012)", body = ApiError),
        (status = 404, description = "Unknown or inactive company (COMP_002); no such job (JOB_001)", body = ApiError),
        (status = 409, description = "Signed in: already applied (APP_002); job not OPEN (APP_003)", body = ApiError),
        (status = 410, description = "Signed in: the candidate with this address was deleted (CAND_004)", body = ApiError),
        (status = 422, description = "Invalid field, or not the account's e-mail (VAL_001)", body = ApiError),
        (status = 429, description = "Too many requests from this client (RATE_001)", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
pub async fn apply(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<ApplyRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check_public(crate::routes::auth::client_ip(&req, &state))?;
    let (company_id, job_id) = path.into_inner();
    require_active_company(&state, company_id).await?;
    let actor = applicant_actor(auth, company_id)?;
    let (job, _) = state
        .pipeline
        .jobs()
        .load(&job_id.to_string())
        .await
        .map_err(PipelineError::from)?;
    if job.status == JobStatus::None || job.company_id != Some(company_id) {
        return Err(not_found());
    }
    // Refused before anything is written (the aggregate checks again when applying).
    if job.status != JobStatus::Open {
        return Err(PipelineError::Application(ApplicationError::JobNotOpen).into());
    }
    let b = body.into_inner();
    let email = EmailAddress::parse(&b.email)?;
    PersonName::parse(&b.name)?;
    if let Some(p) = b.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        PhoneNumber::parse(p)?;
    }
    let input = CandidateInput {
        experience_years: experience(b.experience_years)?,
        name: b.name,
        email: b.email,
        phone: b.phone,
        position: b.position.unwrap_or_default(),
        domain: b.domain.unwrap_or_default(),
        qualifications: b.qualifications.unwrap_or_default(),
        source: CandidateSource::Portal,
        tags: Vec::new(),
    };
    require_own_email(&state, &actor, &email).await?;
    let candidate_id = match candidate_for(&state, &req, company_id, &email, input).await {
        Ok(id) => id,
        // Anonymous callers learn nothing about the address's history (see below).
        Err(ApiError::Pipeline(_)) if actor == Actor::Anonymous => {
            return Ok(HttpResponse::Accepted().json(ApplicationAccepted {
                status: RECEIVED.to_owned(),
            }));
        }
        Err(e) => return Err(e),
    };
    let input = ApplicationInput {
        job_id,
        candidate_id,
        source: ApplicationSource::Portal,
    };
    let applied = state
        .pipeline
        .apply(actor, input, &metadata(&req, &actor))
        .await;
    if actor == Actor::Anonymous {
        return match applied {
            Ok(_)
            | Err(PipelineError::Application(ApplicationError::AlreadyApplied))
            | Err(PipelineError::Candidate(CandidateError::Deleted)) => {
                Ok(HttpResponse::Accepted().json(ApplicationAccepted {
                    status: RECEIVED.to_owned(),
                }))
            }
            Err(e) => Err(e.into()),
        };
    }
    let (application_id, committed) = applied?;
    let version = committed.version;
    let body = ApplicationReceived {
        application_id,
        candidate_id,
        version,
    };
    Ok(command_response(StatusCode::CREATED, version, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthUser;

    #[test]
    fn only_anonymous_or_the_companys_candidates_apply() {
        let company = Uuid::now_v7();
        assert_eq!(
            applicant_actor(MaybeAuth(None), company).ok(),
            Some(Actor::Anonymous)
        );
        let candidate = AuthUser {
            user_id: Uuid::now_v7(),
            role: Role::Candidate,
            company_id: Some(company),
        };
        assert_eq!(
            applicant_actor(MaybeAuth(Some(candidate)), company).ok(),
            Some(candidate.actor())
        );
        let elsewhere = AuthUser {
            company_id: Some(Uuid::now_v7()),
            ..candidate
        };
        let hr = AuthUser {
            role: Role::Hr,
            ..candidate
        };
        for u in [elsewhere, hr] {
            let e = applicant_actor(MaybeAuth(Some(u)), company).unwrap_err();
            assert_eq!(e.code(), "AUTH_003");
        }
    }

    #[test]
    fn experience_years_range() {
        assert_eq!(experience(None).ok(), Some(0));
        assert_eq!(experience(Some(12)).ok(), Some(12));
        for bad in [-1, 256] {
            assert_eq!(
                experience(Some(bad)).unwrap_err().body().detail,
                "invalid experience_years: out_of_range"
            );
        }
    }
}
