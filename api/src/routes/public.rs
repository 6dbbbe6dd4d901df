//! Public careers pages and interview links, no sign-in needed: an ACTIVE company's OPEN jobs,
//! applying to one ([`apply`]), and the candidate's one-time interview link ([`interview_link`]).
//!
//! What is public is deliberately little: no thresholds, review policy, creators or questions (the
//! questions are the interview). An unknown or inactive company answers 404 (`COMP_002`); a job
//! that is not that company's, or not OPEN, answers 404 (`JOB_001`), so the pages reveal nothing
//! about drafts or other tenants.
//!
//! A signed-in caller may send its bearer token ([`MaybeAuth`]): applying then links the
//! application to the CANDIDATE account. A token that does not verify answers 401 as everywhere
//! else; without one the caller is anonymous.

pub mod apply;
pub mod interview_link;

use crate::auth::{AuthUser, bearer_token};
use crate::error::ApiError;
use crate::routes::dto::{Paged, Paging};
use crate::routes::jobs::{EmploymentTypeName, SalaryDto, salary_of, skills_of};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures::future::LocalBoxFuture;
use hireledger_commands::identity::IdentityError;
use hireledger_domain::company::CompanyStatus;
use hireledger_projections::views::{JobView, get_job, public_jobs};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

pub use apply::{ApplicationAccepted, ApplicationReceived, ApplyRequest};
pub use interview_link::{InterviewLinkDto, InterviewStarted};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_jobs,
        get_job_public,
        apply::apply,
        interview_link::validate,
        interview_link::start
    ),
    components(schemas(
        PublicJobDto,
        ApplyRequest,
        ApplicationAccepted,
        ApplicationReceived,
        InterviewLinkDto,
        InterviewStarted,
    ))
)]
pub struct PublicDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/public/companies/{company_id}/jobs").route(web::get().to(list_jobs)),
    )
    .service(
        resource("/api/v1/public/companies/{company_id}/jobs/{job_id}")
            .route(web::get().to(get_job_public)),
    )
    .service(
        resource("/api/v1/public/companies/{company_id}/jobs/{job_id}/apply")
            .route(web::post().to(apply::apply)),
    )
    .service(
        resource("/api/v1/interviews/validate/{token}")
            .route(web::get().to(interview_link::validate)),
    )
    .service(
        resource("/api/v1/interviews/start/{token}").route(web::post().to(interview_link::start)),
    );
}

/// The signed-in caller if the request carries a bearer token, `None` if it carries none. A
/// token that does not verify is refused (`AUTH_005`, expired `AUTH_002`) rather than ignored:
/// a client that sends one expects it to count.
#[derive(Debug, Clone, Copy)]
pub struct MaybeAuth(pub Option<AuthUser>);

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if bearer_token(req).is_none() {
            return Box::pin(async { Ok(Self(None)) });
        }
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move { user.await.map(|u| Self(Some(u))) })
    }
}

/// An OPEN job as the public careers page shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicJobDto {
    pub job_id: Uuid,
    pub company_id: Uuid,
    pub title: String,
    pub description: String,
    pub requirements: String,
    pub department: String,
    pub location: String,
    #[schema(value_type = EmploymentTypeName)]
    pub employment_type: String,
    pub salary: Option<SalaryDto>,
    /// Names of the required skills.
    pub skills: Vec<String>,
    /// How many questions the interview has (the questions themselves are not public).
    pub question_count: u32,
    /// When the job was (last) opened.
    pub opened_at: Option<DateTime<Utc>>,
}

impl From<JobView> for PublicJobDto {
    fn from(v: JobView) -> Self {
        Self {
            salary: salary_of(&v),
            skills: skills_of(&v).into_iter().map(|s| s.name).collect(),
            question_count: u32::try_from(v.question_count).unwrap_or_default(),
            job_id: v.job_id,
            company_id: v.company_id,
            title: v.title,
            description: v.description,
            requirements: v.requirements,
            department: v.department,
            location: v.location,
            employment_type: v.employment_type,
            opened_at: v.opened_at,
        }
    }
}

/// Search of the public job list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicJobQuery {
    /// Case-insensitive part of the title.
    pub q: Option<String>,
}

/// 404 `COMP_002` unless `company_id` is an ACTIVE company (the event store decides).
async fn require_active_company(state: &AppState, company_id: Uuid) -> Result<(), ApiError> {
    let (company, _) = state
        .identity
        .companies()
        .load(&company_id.to_string())
        .await
        .map_err(IdentityError::from)?;
    if company.status != CompanyStatus::Active {
        return Err(ApiError::not_found_company());
    }
    Ok(())
}

/// The OPEN jobs of an active company, newest first.
#[utoipa::path(
    get, path = "/api/v1/public/companies/{company_id}/jobs", tag = "public",
    params(("company_id" = Uuid, Path, description = "Company id"), PublicJobQuery, Paging),
    responses(
        (status = 200, body = Paged<PublicJobDto>),
        (status = 404, description = "Unknown or inactive company (COMP_002)", body = ApiError),
        (status = 422, description = "Bad page (VAL_001)", body = ApiError),
    )
)]
pub async fn list_jobs(
    state: web::Data<AppState>,
    company_id: web::Path<Uuid>,
    query: web::Query<PublicJobQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let company_id = company_id.into_inner();
    require_active_company(&state, company_id).await?;
    let page = public_jobs(
        &state.pool,
        company_id,
        query.q.as_deref(),
        paging.page,
        paging.page_size,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Paged::<PublicJobDto>::from_page(page)))
}

/// One OPEN job of an active company, with the number of interview questions.
#[utoipa::path(
    get, path = "/api/v1/public/companies/{company_id}/jobs/{job_id}", tag = "public",
    params(("company_id" = Uuid, Path, description = "Company id"),
        ("job_id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, body = PublicJobDto),
        (status = 404, description = "Unknown or inactive company (COMP_002); no such OPEN job (JOB_001)", body = ApiError),
    )
)]
pub async fn get_job_public(
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (company_id, job_id) = path.into_inner();
    require_active_company(&state, company_id).await?;
    let view = get_job(&state.pool, job_id)
        .await?
        .filter(|v| v.company_id == company_id && v.status == "OPEN")
        .ok_or_else(crate::routes::jobs::not_found)?;
    Ok(HttpResponse::Ok().json(PublicJobDto::from(view)))
}
