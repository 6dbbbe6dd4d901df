//! Applications: HR submits a candidate's application to an open job, then moves it through the
//! workflow (APPLIED → SCREENING → SHORTLISTED → INTERVIEW_SCHEDULED → OFFERED → HIRED, or
//! REJECTED / WITHDRAWN). The status history is read from the application's events.
//!
//! Visibility: HR and platform admins see their company's applications; an EMPLOYEE sees the
//! applications of the candidates assigned to them; a CANDIDATE sees their own (history and
//! withdrawal). Anything else answers 404 (`APP_001`), so ids of other tenants cannot be probed.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{await_version, command_response, metadata, min_version};
use crate::routes::dto::{ConsistencyQuery, Paged, Paging};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use hireledger_commands::pipeline::{ApplicationInput, PipelineError};
use hireledger_domain::application::{
    Application, ApplicationError, ApplicationSource, ApplicationStatus, StatusChange, allowed_next,
};
use hireledger_domain::candidate::CandidateError;
use hireledger_domain::job::{JobError, JobStatus};
use hireledger_domain::{InvalidValue, Role};
use hireledger_projections::ViewKind;
use hireledger_projections::views::{
    ApplicationFilter, ApplicationSort, ApplicationView, get_application, list_applications,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

const MANAGERS: &[Role] = &[Role::SystemAdmin, Role::Hr];
/// Who may ask for a status change; the aggregate decides whether an EMPLOYEE is the assignee.
const STATUS_CHANGERS: &[Role] = &[Role::SystemAdmin, Role::Hr, Role::Employee];
/// Who may withdraw; the aggregate decides whether a CANDIDATE is the linked one.
const WITHDRAWERS: &[Role] = &[Role::SystemAdmin, Role::Hr, Role::Candidate];
const READERS: &[Role] = &[Role::SystemAdmin, Role::Hr, Role::Employee];

#[derive(OpenApi)]
#[openapi(
    paths(create, list, get, change_status, withdraw, history),
    components(schemas(
        ApplicationStatusName,
        NewApplication,
        ApplicationCreated,
        ApplicationDto,
        StatusChangeRequest,
        WithdrawRequest,
        ApplicationCommandResponse,
        StatusChangeDto,
    ))
)]
pub struct ApplicationsDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/applications")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(resource("/api/v1/applications/{id}").route(web::get().to(get)))
    .service(resource("/api/v1/applications/{id}/status").route(web::post().to(change_status)))
    .service(resource("/api/v1/applications/{id}/withdraw").route(web::post().to(withdraw)))
    .service(resource("/api/v1/applications/{id}/history").route(web::get().to(history)));
}

/// An application's status (documentation type of the `status` fields).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationStatusName {
    Applied,
    Screening,
    Shortlisted,
    InterviewScheduled,
    Offered,
    Hired,
    Rejected,
    Withdrawn,
}

/// A candidate of the company applies to one of its OPEN jobs (entered by HR).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    pub job_id: Uuid,
    pub candidate_id: Uuid,
    /// `HR` (default) or `IMPORT`.
    #[schema(example = "HR")]
    pub source: Option<String>,
}

/// The application exists (status APPLIED).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationCreated {
    /// Deterministic: one application per candidate and job.
    pub application_id: Uuid,
    pub version: u64,
}

/// Move an application on. `REJECTED` needs a reason; `WITHDRAWN` has its own endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    #[schema(value_type = ApplicationStatusName)]
    pub status: String,
    /// At most 1000 characters; required for `REJECTED`.
    pub reason: Option<String>,
}

/// Why the application is withdrawn (optional; the body itself may be omitted).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub reason: Option<String>,
}

/// The application's new status and version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationCommandResponse {
    pub application_id: Uuid,
    #[schema(value_type = ApplicationStatusName)]
    pub status: String,
    /// New version of the application aggregate (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// One transition of an application: who moved it, when and why. `from` is `null` for the
/// submission.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatusChangeDto {
    #[schema(value_type = Option<ApplicationStatusName>)]
    pub from: Option<String>,
    #[schema(value_type = ApplicationStatusName)]
    pub to: String,
    /// The acting user; `null` when the platform acted or the visitor was anonymous.
    pub by: Option<Uuid>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<(StatusChange, Option<String>)> for StatusChangeDto {
    /// A change with its reason opened (`None` once the candidate was erased).
    fn from((c, reason): (StatusChange, Option<String>)) -> Self {
        Self {
            from: c.from.map(|s| s.as_str().to_owned()),
            to: c.to.as_str().to_owned(),
            by: c.by,
            reason,
            at: c.at,
        }
    }
}

/// An application as the read model holds it, with its candidate and job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationDto {
    pub application_id: Uuid,
    pub company_id: Uuid,
    pub job_id: Uuid,
    /// `null` while the job's topic lags.
    pub job_title: Option<String>,
    pub candidate_id: Uuid,
    /// `null` while the candidate's topic lags, or once the candidate was erased.
    pub candidate_name: Option<String>,
    pub candidate_email: Option<String>,
    /// The employee the candidate is assigned to.
    pub assigned_to: Option<Uuid>,
    #[schema(value_type = ApplicationStatusName)]
    pub status: String,
    /// The statuses the application may move to next (a withdrawal included).
    #[schema(value_type = Vec<ApplicationStatusName>)]
    pub allowed_next: Vec<String>,
    /// `PORTAL`, `HR` or `IMPORT`.
    #[schema(example = "HR")]
    pub source: String,
    /// The reason of the last status change, if one was given.
    pub status_reason: Option<String>,
    pub applied_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Version of the application aggregate this row reflects.
    pub version: i64,
}

impl From<ApplicationView> for ApplicationDto {
    fn from(v: ApplicationView) -> Self {
        let allowed = ApplicationStatus::parse(&v.status)
            .map(allowed_next)
            .unwrap_or_default()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        Self {
            application_id: v.application_id,
            company_id: v.company_id,
            job_id: v.job_id,
            job_title: v.job_title,
            candidate_id: v.candidate_id,
            candidate_name: v.candidate_name,
            candidate_email: v.candidate_email,
            assigned_to: v.assigned_to,
            status: v.status,
            allowed_next: allowed,
            source: v.source,
            status_reason: v.status_reason,
            applied_at: v.applied_at,
            status_changed_at: v.status_changed_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// Filters of the application list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationListQuery {
    pub job_id: Option<Uuid>,
    pub candidate_id: Option<Uuid>,
    /// One application status.
    pub status: Option<String>,
    /// The employee the candidates are assigned to.
    pub assigned_to: Option<Uuid>,
    /// Case-insensitive part of the candidate's name or e-mail.
    pub q: Option<String>,
    /// Applied at or after (inclusive).
    pub applied_from: Option<DateTime<Utc>>,
    /// Applied before (exclusive).
    pub applied_to: Option<DateTime<Utc>>,
    /// `applied_desc` (default), `applied_asc` or `status_changed_desc`.
    pub sort: Option<String>,
    /// Platform admins: one company's applications.
    pub company_id: Option<Uuid>,
}

/// A JSON body that may be omitted: `None` when empty, `REQ_001` when it is not valid JSON.
pub(crate) fn optional_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| ApiError::Malformed(format!("invalid JSON body: {e}")))
}

fn parse_status(raw: &str) -> Result<ApplicationStatus, ApiError> {
    ApplicationStatus::parse(raw).ok_or(ApiError::Validation(InvalidValue {
        field: "status",
        reason: "unknown_value",
    }))
}

fn parse_source(raw: Option<&str>) -> Result<ApplicationSource, ApiError> {
    match raw {
        None | Some("HR") => Ok(ApplicationSource::Hr),
        Some("IMPORT") => Ok(ApplicationSource::Import),
        Some(_) => Err(ApiError::Validation(InvalidValue {
            field: "source",
            reason: "unknown_value",
        })),
    }
}

/// A domain refusal as the API answers it (through the pipeline's error table).
pub(crate) fn refusal(e: impl Into<PipelineError>) -> ApiError {
    ApiError::from(e.into())
}

fn not_found() -> ApiError {
    refusal(ApplicationError::NotFound)
}

/// The application `id` if the caller's tenant may see it, whatever their role (404 otherwise).
async fn in_tenant(state: &AppState, auth: &AuthUser, id: Uuid) -> Result<Application, ApiError> {
    let (app, _) = state.pipeline.application(id).await?;
    if !auth.sees_company(app.company_id) {
        return Err(not_found());
    }
    Ok(app)
}

/// The application `id` if the caller may see it: HR/admin of its company, the EMPLOYEE its
/// candidate is assigned to, or the CANDIDATE user linked to it or to its candidate record.
pub(crate) async fn visible(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
) -> Result<Application, ApiError> {
    let app = in_tenant(state, auth, id).await?;
    if matches!(auth.role, Role::SystemAdmin | Role::Hr) {
        return Ok(app);
    }
    if auth.role == Role::Candidate && app.candidate_user_id == Some(auth.user_id) {
        return Ok(app);
    }
    let candidate = match app.candidate_id {
        Some(cid) => match state.pipeline.candidate(cid).await {
            Ok((c, _)) => Some(c),
            Err(PipelineError::Candidate(CandidateError::NotFound)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let sees = candidate.is_some_and(|c| match auth.role {
        Role::Employee => c.assigned_to() == Some(auth.user_id),
        Role::Candidate => c.user_id() == Some(auth.user_id),
        _ => false,
    });
    if sees { Ok(app) } else { Err(not_found()) }
}

fn done(application_id: Uuid, status: ApplicationStatus, version: u64) -> HttpResponse {
    command_response(
        StatusCode::OK,
        version,
        &ApplicationCommandResponse {
            application_id,
            status: status.as_str().to_owned(),
            version,
        },
    )
}

/// Submit a candidate's application to an open job (HR or platform admin).
#[utoipa::path(
    post, path = "/api/v1/applications", tag = "applications",
    request_body = NewApplication,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = ApplicationCreated,
            headers(("X-Aggregate-Version" = u64, description = "Version of the new application"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job (JOB_001) or candidate (CAND_001) in your company", body = ApiError),
        (status = 409, description = "Already applied (APP_002); job not open (APP_003)", body = ApiError),
        (status = 410, description = "Candidate deleted (CAND_004)", body = ApiError),
        (status = 422, description = "Unknown source (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Json<NewApplication>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let b = body.into_inner();
    let source = parse_source(b.source.as_deref())?;
    let (job, _) = state
        .pipeline
        .jobs()
        .load(&b.job_id.to_string())
        .await
        .map_err(refusal)?;
    if job.status == JobStatus::None || !auth.sees_company(job.company_id) {
        return Err(refusal(JobError::NotFound));
    }
    let (candidate, _) = state.pipeline.candidate(b.candidate_id).await?;
    if !auth.sees_company(candidate.company_id()) {
        return Err(refusal(CandidateError::NotFound));
    }
    let actor = auth.actor();
    let input = ApplicationInput {
        job_id: b.job_id,
        candidate_id: b.candidate_id,
        source,
    };
    let (application_id, committed) = state
        .pipeline
        .apply(actor, input, &metadata(&req, &actor))
        .await?;
    let body = ApplicationCreated {
        application_id,
        version: committed.version,
    };
    Ok(command_response(
        StatusCode::CREATED,
        committed.version,
        &body,
    ))
}

/// Applications, newest first by default (HR: own company; SYSTEM_ADMIN: all or one
/// `company_id`; EMPLOYEE: those of the candidates assigned to them).
#[utoipa::path(
    get, path = "/api/v1/applications", tag = "applications",
    params(ApplicationListQuery, Paging),
    responses(
        (status = 200, body = Paged<ApplicationDto>),
        (status = 403, description = "Not HR, admin or employee; an employee naming another assignee (AUTH_003)", body = ApiError),
        (status = 422, description = "Bad filter, sort or page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<ApplicationListQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(READERS)?;
    let q = query.into_inner();
    let sort = match q.sort.as_deref() {
        None | Some("applied_desc") => ApplicationSort::AppliedDesc,
        Some("applied_asc") => ApplicationSort::AppliedAsc,
        Some("status_changed_desc") => ApplicationSort::StatusChangedDesc,
        Some(_) => {
            return Err(ApiError::Validation(InvalidValue {
                field: "sort",
                reason: "unknown_value",
            }));
        }
    };
    let company_id = if auth.is_platform_admin() {
        q.company_id
    } else {
        auth.company_id
    };
    // Employees list their own candidates' applications only.
    let assigned_to = match auth.role {
        Role::Employee if q.assigned_to.is_some_and(|a| a != auth.user_id) => {
            return Err(ApiError::Forbidden);
        }
        Role::Employee => Some(auth.user_id),
        _ => q.assigned_to,
    };
    let filter = ApplicationFilter {
        company_id,
        job_id: q.job_id,
        candidate_id: q.candidate_id,
        candidate_user_id: None,
        status: q.status,
        assigned_to,
        q: q.q,
        applied_from: q.applied_from,
        applied_to: q.applied_to,
    };
    let page = list_applications(&state.pool, &filter, sort, paging.page, paging.page_size).await?;
    Ok(HttpResponse::Ok().json(Paged::<ApplicationDto>::from_page(page)))
}

/// One application (HR/admin of its company, or the employee its candidate is assigned to).
#[utoipa::path(
    get, path = "/api/v1/applications/{id}", tag = "applications",
    params(("id" = Uuid, Path, description = "Application id"), ConsistencyQuery,
        ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version`")),
    responses(
        (status = 200, body = ApplicationDto,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 403, description = "Not HR, admin or employee (AUTH_003)", body = ApiError),
        (status = 404, description = "No such application you may see (APP_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(READERS)?;
    let id = id.into_inner();
    let wanted = min_version(&req, q.min_version)?;
    visible(&state, &auth, id).await?;
    let consistency = await_version(&state, ViewKind::Pipeline, id, wanted).await?;
    let view = get_application(&state.pool, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header(consistency.header())
        .json(ApplicationDto::from(view)))
}

/// Move an application to its next status, or reject it with a reason (HR, admin, or the
/// employee the candidate is assigned to).
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/status", tag = "applications",
    request_body = StatusChangeRequest,
    params(("id" = Uuid, Path, description = "Application id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = ApplicationCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the application"))),
        (status = 403, description = "Not HR, admin or the assigned employee (AUTH_003)", body = ApiError),
        (status = 404, description = "No such application in your company (APP_001)", body = ApiError),
        (status = 409, description = "Not a next status (APP_004); application closed (APP_005)", body = ApiError),
        (status = 422, description = "Unknown status (VAL_001); rejection without reason (APP_006); reason too long (APP_007); use withdraw (APP_008)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn change_status(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<StatusChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(STATUS_CHANGERS)?;
    let id = id.into_inner();
    let StatusChangeRequest { status, reason } = body.into_inner();
    let to = parse_status(&status)?;
    in_tenant(&state, &auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .pipeline
        .change_application_status(actor, id, to, reason, &metadata(&req, &actor))
        .await?;
    Ok(done(id, to, committed.version))
}

/// Withdraw an application (the candidate it belongs to, HR or admin). The body may be omitted.
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/withdraw", tag = "applications",
    request_body(content = Option<WithdrawRequest>, description = "Optional reason"),
    params(("id" = Uuid, Path, description = "Application id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = ApplicationCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the application"))),
        (status = 403, description = "Not the candidate, HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such application you may see (APP_001)", body = ApiError),
        (status = 409, description = "Application closed (APP_005)", body = ApiError),
        (status = 422, description = "Reason too long (APP_007)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(WITHDRAWERS)?;
    let id = id.into_inner();
    let reason = optional_body::<WithdrawRequest>(&body)?
        .unwrap_or_default()
        .reason;
    visible(&state, &auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .pipeline
        .withdraw_application(actor, id, reason, &metadata(&req, &actor))
        .await?;
    Ok(done(id, ApplicationStatus::Withdrawn, committed.version))
}

/// The status history of an application, oldest first, read from its events: every transition
/// with who, when and why.
#[utoipa::path(
    get, path = "/api/v1/applications/{id}/history", tag = "applications",
    params(("id" = Uuid, Path, description = "Application id")),
    responses(
        (status = 200, body = Vec<StatusChangeDto>),
        (status = 404, description = "No such application you may see (APP_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn history(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    visible(&state, &auth, id).await?;
    let changes = state.pipeline.application_history(id).await?;
    let items: Vec<StatusChangeDto> = changes.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(items))
}
