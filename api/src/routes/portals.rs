//! Per-role views: the HR dashboard, the employee's own candidates and interviews, and the
//! candidate portal (own applications, interviews and released results).
//!
//! `/me/*` lists answer for the caller only; a role without such a list gets 403 (`AUTH_003`).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::applications::{ApplicationStatusName, refusal};
use crate::routes::candidates::CandidateDto;
use crate::routes::dto::{Paged, Paging};
use crate::routes::interviews::{InterviewDto, InterviewKindName, parse_sort};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use hireledger_domain::job::{JobError, JobStatus};
use hireledger_domain::{InvalidValue, Role};
use hireledger_projections::queries::get_company;
use hireledger_projections::views::{
    ApplicationFilter, ApplicationSort, ApplicationView, CandidateFilter, CandidateSort,
    Conversion, CriterionAverage, Dashboard, InterviewFilter, ResultView, StageDuration,
    StatusCount, dashboard, list_applications, list_candidates, list_interviews, released_results,
};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

const MANAGERS: &[Role] = &[Role::SystemAdmin, Role::Hr];

#[derive(OpenApi)]
#[openapi(
    paths(
        get_dashboard,
        my_candidates,
        my_interviews,
        my_applications,
        my_results
    ),
    components(schemas(
        DashboardDto,
        StatusCountDto,
        ConversionDto,
        StageDurationDto,
        MyApplicationDto,
        ResultDto,
        CriterionAverageDto,
    ))
)]
pub struct PortalsDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/dashboard").route(web::get().to(get_dashboard)))
        .service(resource("/api/v1/me/candidates").route(web::get().to(my_candidates)))
        .service(resource("/api/v1/me/interviews").route(web::get().to(my_interviews)))
        .service(resource("/api/v1/me/applications").route(web::get().to(my_applications)))
        .service(resource("/api/v1/me/results").route(web::get().to(my_results)));
}

/// Which dashboard: the caller's company (platform admins name `company_id`), optionally one job.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// Platform admins: required. HR: their own company (may be omitted).
    pub company_id: Option<Uuid>,
    /// Figures of one job of the company.
    pub job_id: Option<Uuid>,
}

/// Order of an interview list of `/me/interviews`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyInterviewsQuery {
    /// `scheduled_asc` (default) or `scheduled_desc`.
    pub sort: Option<String>,
}

/// Current applications in one status.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatusCountDto {
    #[schema(value_type = ApplicationStatusName)]
    pub status: String,
    pub count: i64,
}

/// Of the applications that ever entered `from`, how many also entered `to`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConversionDto {
    #[schema(value_type = ApplicationStatusName)]
    pub from: String,
    #[schema(value_type = ApplicationStatusName)]
    pub to: String,
    pub entered_from: i64,
    pub entered_to: i64,
    /// `entered_to / entered_from`; `null` when nothing entered `from`. Can exceed 1 where
    /// scheduling an interview moved applications past stages they never entered.
    pub rate: Option<f64>,
}

/// Median time applications spent in one status before moving on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StageDurationDto {
    #[schema(value_type = ApplicationStatusName)]
    pub status: String,
    /// `null` without samples.
    pub median_seconds: Option<f64>,
    pub samples: i64,
}

/// Hiring figures of a company, or of one of its jobs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DashboardDto {
    pub company_id: Uuid,
    pub job_id: Option<Uuid>,
    /// All eight statuses in workflow order, zeros included.
    pub status_counts: Vec<StatusCountDto>,
    /// APPLIED→SCREENING … OFFERED→HIRED.
    pub conversions: Vec<ConversionDto>,
    /// APPLIED … OFFERED.
    pub stage_durations: Vec<StageDurationDto>,
    /// The next scheduled interviews, earliest first (at most 10).
    pub upcoming_interviews: Vec<InterviewDto>,
    /// Completed interviews still missing feedback, oldest first (at most 10).
    pub awaiting_feedback: Vec<InterviewDto>,
    /// How many completed interviews are missing feedback in all.
    pub awaiting_feedback_total: i64,
}

impl From<StatusCount> for StatusCountDto {
    fn from(v: StatusCount) -> Self {
        Self {
            status: v.status,
            count: v.count,
        }
    }
}

impl From<Conversion> for ConversionDto {
    fn from(v: Conversion) -> Self {
        Self {
            from: v.from,
            to: v.to,
            entered_from: v.entered_from,
            entered_to: v.entered_to,
            rate: v.rate,
        }
    }
}

impl From<StageDuration> for StageDurationDto {
    fn from(v: StageDuration) -> Self {
        Self {
            status: v.status,
            median_seconds: v.median_seconds,
            samples: v.samples,
        }
    }
}

impl From<Dashboard> for DashboardDto {
    fn from(d: Dashboard) -> Self {
        fn all<V, D: From<V>>(v: Vec<V>) -> Vec<D> {
            v.into_iter().map(D::from).collect()
        }
        Self {
            company_id: d.company_id,
            job_id: d.job_id,
            status_counts: all(d.status_counts),
            conversions: all(d.conversions),
            stage_durations: all(d.stage_durations),
            upcoming_interviews: all(d.upcoming_interviews),
            awaiting_feedback: all(d.awaiting_feedback),
            awaiting_feedback_total: d.awaiting_feedback_total,
        }
    }
}

/// One of the candidate's own applications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MyApplicationDto {
    pub application_id: Uuid,
    pub job_id: Uuid,
    /// `null` while the job's topic lags.
    pub job_title: Option<String>,
    #[schema(value_type = ApplicationStatusName)]
    pub status: String,
    pub applied_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub version: i64,
}

impl From<ApplicationView> for MyApplicationDto {
    fn from(v: ApplicationView) -> Self {
        Self {
            application_id: v.application_id,
            job_id: v.job_id,
            job_title: v.job_title,
            status: v.status,
            applied_at: v.applied_at,
            status_changed_at: v.status_changed_at,
            version: v.version,
        }
    }
}

/// One criterion's average rating.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CriterionAverageDto {
    pub criterion: String,
    /// Mean of the 1–5 ratings.
    pub average: f64,
    /// How many ratings the mean is over.
    pub ratings: i64,
}

impl From<CriterionAverage> for CriterionAverageDto {
    fn from(v: CriterionAverage) -> Self {
        Self {
            criterion: v.criterion,
            average: v.average,
            ratings: v.ratings,
        }
    }
}

/// The released result of one of the candidate's interviews: no interviewer ids, no notes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResultDto {
    pub interview_id: Uuid,
    pub job_title: Option<String>,
    pub round: i16,
    #[schema(value_type = InterviewKindName)]
    pub kind: String,
    pub completed_at: Option<DateTime<Utc>>,
    /// Criteria A–Z.
    pub criteria: Vec<CriterionAverageDto>,
    /// Every interviewer's recommendation, in the order they were given.
    pub recommendations: Vec<String>,
}

impl From<ResultView> for ResultDto {
    fn from(v: ResultView) -> Self {
        Self {
            interview_id: v.interview_id,
            job_title: v.job_title,
            round: v.round,
            kind: v.kind,
            completed_at: v.completed_at,
            criteria: v.criteria.into_iter().map(Into::into).collect(),
            recommendations: v.recommendations,
        }
    }
}

/// The company whose dashboard the caller asks for (404 for another tenant's).
async fn dashboard_company(
    state: &AppState,
    auth: &AuthUser,
    named: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    if auth.is_platform_admin() {
        let id = named.ok_or(ApiError::Validation(InvalidValue {
            field: "company_id",
            reason: "required",
        }))?;
        get_company(&state.pool, id)
            .await?
            .ok_or_else(ApiError::not_found_company)?;
        return Ok(id);
    }
    let own = auth.company_id.ok_or_else(ApiError::not_found_company)?;
    if named.is_some_and(|c| c != own) {
        return Err(ApiError::not_found_company());
    }
    Ok(own)
}

/// The hiring dashboard of a company or one of its jobs (HR; platform admins name
/// `company_id`): applications per status, stage conversions, median stage durations, upcoming
/// interviews and interviews awaiting feedback.
#[utoipa::path(
    get, path = "/api/v1/dashboard", tag = "portals",
    params(DashboardQuery),
    responses(
        (status = 200, body = DashboardDto),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "Another company (COMP_002); no such job in the company (JOB_001)", body = ApiError),
        (status = 422, description = "Admin without company_id (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn get_dashboard(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let company_id = dashboard_company(&state, &auth, query.company_id).await?;
    if let Some(job_id) = query.job_id {
        let (job, _) = state
            .pipeline
            .jobs()
            .load(&job_id.to_string())
            .await
            .map_err(refusal)?;
        if job.status == JobStatus::None || job.company_id != Some(company_id) {
            return Err(refusal(JobError::NotFound));
        }
    }
    let d = dashboard(&state.pool, company_id, query.job_id, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(DashboardDto::from(d)))
}

/// The candidates assigned to the signed-in employee, newest first.
#[utoipa::path(
    get, path = "/api/v1/me/candidates", tag = "portals",
    params(Paging),
    responses(
        (status = 200, body = Paged<CandidateDto>),
        (status = 403, description = "Not an employee (AUTH_003)", body = ApiError),
        (status = 422, description = "Bad page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn my_candidates(
    state: web::Data<AppState>,
    auth: AuthUser,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::Employee])?;
    let filter = CandidateFilter {
        company_id: auth.company_id,
        assigned_to: Some(auth.user_id),
        ..CandidateFilter::default()
    };
    let page = list_candidates(
        &state.pool,
        &filter,
        CandidateSort::default(),
        paging.page,
        paging.page_size,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Paged::<CandidateDto>::from_page(page)))
}

/// The signed-in user's interviews, soonest first by default: for an employee those they take
/// part in; for a candidate their own, without interviewers and feedback counts.
#[utoipa::path(
    get, path = "/api/v1/me/interviews", tag = "portals",
    params(MyInterviewsQuery, Paging),
    responses(
        (status = 200, body = Paged<InterviewDto>),
        (status = 403, description = "Not an employee or candidate (AUTH_003)", body = ApiError),
        (status = 422, description = "Bad sort or page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn my_interviews(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<MyInterviewsQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::Employee, Role::Candidate])?;
    let sort = parse_sort(query.sort.as_deref())?;
    let candidate = auth.role == Role::Candidate;
    let filter = if candidate {
        InterviewFilter {
            company_id: auth.company_id,
            candidate_user_id: Some(auth.user_id),
            ..InterviewFilter::default()
        }
    } else {
        InterviewFilter {
            company_id: auth.company_id,
            interviewer_id: Some(auth.user_id),
            ..InterviewFilter::default()
        }
    };
    let page = list_interviews(&state.pool, &filter, sort, paging.page, paging.page_size).await?;
    let body = Paged {
        items: page
            .items
            .into_iter()
            .map(if candidate {
                InterviewDto::for_candidate
            } else {
                InterviewDto::staff
            })
            .collect(),
        total: page.total,
        page: page.page,
        page_size: page.page_size,
        pages: page.pages,
    };
    Ok(HttpResponse::Ok().json(body))
}

/// The signed-in candidate's applications (of every candidate record linked to them), newest
/// first.
#[utoipa::path(
    get, path = "/api/v1/me/applications", tag = "portals",
    params(Paging),
    responses(
        (status = 200, body = Paged<MyApplicationDto>),
        (status = 403, description = "Not a candidate (AUTH_003)", body = ApiError),
        (status = 422, description = "Bad page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn my_applications(
    state: web::Data<AppState>,
    auth: AuthUser,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::Candidate])?;
    let filter = ApplicationFilter {
        company_id: auth.company_id,
        candidate_user_id: Some(auth.user_id),
        ..ApplicationFilter::default()
    };
    let page = list_applications(
        &state.pool,
        &filter,
        ApplicationSort::default(),
        paging.page,
        paging.page_size,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Paged::<MyApplicationDto>::from_page(page)))
}

/// The released results of the signed-in candidate's interviews, most recent first: averages
/// per criterion and the recommendations, never who gave them or their notes.
#[utoipa::path(
    get, path = "/api/v1/me/results", tag = "portals",
    responses(
        (status = 200, body = Vec<ResultDto>),
        (status = 403, description = "Not a candidate (AUTH_003)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn my_results(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::Candidate])?;
    let results = released_results(&state.pool, auth.user_id).await?;
    let body: Vec<ResultDto> = results.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(body))
}
