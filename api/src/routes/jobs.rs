//! Jobs (templates) of a company: list, create, view, replace details, thresholds, review policy,
//! open / pause / close, and their interview questions ([`questions`]).
//!
//! Who: HR manages its own company's jobs, platform admins any company's (naming `company_id` on
//! creation). EMPLOYEEs read their company's jobs (they interview for them) but change nothing;
//! CANDIDATE accounts get 403 (`AUTH_003`): the questions are the interview, and candidates see
//! jobs through the public careers pages. Another company's job answers 404 (`JOB_001`), never
//! 403, so ids cannot be probed.

mod dto;
pub mod questions;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{await_version, command_response, metadata, min_version};
use crate::routes::dto::{ConsistencyQuery, Paged, Paging};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hireledger_commands::pipeline::PipelineError;
use hireledger_domain::job::{
    EmploymentType, Job, JobCommand, JobDetails, JobError, JobStatus, SalaryRange, Skill,
    VerdictThresholds,
};
use hireledger_domain::{Actor, InvalidValue, Role};
use hireledger_projections::ViewKind;
use hireledger_projections::views::{JobFilter, JobSort, JobView, get_job, list_jobs};
use utoipa::OpenApi;
use uuid::Uuid;

pub use dto::{
    CreateJobRequest, EmploymentTypeName, JobCommandResponse, JobCreated, JobDetailDto,
    JobDetailsRequest, JobDto, JobListQuery, JobStatusName, JobThresholds, ReviewPolicyRequest,
    SalaryDto, SkillDto, ThresholdsRequest,
};
pub(crate) use dto::{salary_of, skills_of};
pub use questions::{DifficultyName, QuestionCategoryName, QuestionDto};

const MANAGERS: &[Role] = &[Role::SystemAdmin, Role::Hr];
const READERS: &[Role] = &[Role::SystemAdmin, Role::Hr, Role::Employee];

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        create,
        get,
        replace,
        change_thresholds,
        change_review_policy,
        open,
        pause,
        close,
        questions::list_questions,
        questions::add_question,
        questions::edit_question,
        questions::remove_question,
        questions::reorder_questions
    ),
    components(schemas(
        JobStatusName,
        EmploymentTypeName,
        SalaryDto,
        SkillDto,
        JobThresholds,
        CreateJobRequest,
        JobDetailsRequest,
        ThresholdsRequest,
        ReviewPolicyRequest,
        JobCreated,
        JobCommandResponse,
        JobDto,
        JobDetailDto,
        QuestionCategoryName,
        DifficultyName,
        QuestionDto,
        questions::QuestionRequest,
        questions::QuestionOrderRequest,
        questions::QuestionAdded,
    ))
)]
pub struct JobsDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `/questions/order` comes before `/questions/{question_id}`, which would otherwise match it.
    cfg.service(
        resource("/api/v1/jobs")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/api/v1/jobs/{id}")
            .route(web::get().to(get))
            .route(web::put().to(replace)),
    )
    .service(resource("/api/v1/jobs/{id}/thresholds").route(web::put().to(change_thresholds)))
    .service(resource("/api/v1/jobs/{id}/review-policy").route(web::put().to(change_review_policy)))
    .service(resource("/api/v1/jobs/{id}/open").route(web::post().to(open)))
    .service(resource("/api/v1/jobs/{id}/pause").route(web::post().to(pause)))
    .service(resource("/api/v1/jobs/{id}/close").route(web::post().to(close)))
    .service(
        resource("/api/v1/jobs/{id}/questions")
            .route(web::get().to(questions::list_questions))
            .route(web::post().to(questions::add_question)),
    )
    .service(
        resource("/api/v1/jobs/{id}/questions/order")
            .route(web::put().to(questions::reorder_questions)),
    )
    .service(
        resource("/api/v1/jobs/{id}/questions/{question_id}")
            .route(web::put().to(questions::edit_question))
            .route(web::delete().to(questions::remove_question)),
    );
}

// ---------------------------------------------------------------------------------------------
// Parsing and helpers

pub(crate) fn invalid(field: &'static str, reason: &'static str) -> ApiError {
    ApiError::Validation(InvalidValue { field, reason })
}

/// A number the domain holds as `u8`; larger values become 255 so that the domain's range check
/// refuses them with its own error.
pub(crate) fn small(n: u32) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

fn parse_employment_type(raw: &str) -> Result<EmploymentType, ApiError> {
    use EmploymentType as E;
    Ok(match raw {
        "FULL_TIME" => E::FullTime,
        "PART_TIME" => E::PartTime,
        "CONTRACT" => E::Contract,
        "TEMPORARY" => E::Temporary,
        "INTERNSHIP" => E::Internship,
        _ => return Err(invalid("employment_type", "unknown_value")),
    })
}

fn parse_sort(raw: Option<&str>) -> Result<JobSort, ApiError> {
    match raw {
        None | Some("created_desc") => Ok(JobSort::CreatedDesc),
        Some("created_asc") => Ok(JobSort::CreatedAsc),
        Some("title_asc") => Ok(JobSort::TitleAsc),
        Some(_) => Err(invalid("sort", "unknown_value")),
    }
}

fn thresholds_of(t: Option<JobThresholds>) -> Option<VerdictThresholds> {
    t.map(|t| VerdictThresholds {
        pass: small(t.pass),
        fail: small(t.fail),
    })
}

impl JobDetailsRequest {
    fn into_details(self) -> Result<JobDetails, ApiError> {
        Ok(JobDetails {
            employment_type: parse_employment_type(&self.employment_type)?,
            title: self.title,
            description: self.description,
            requirements: self.requirements,
            department: self.department,
            location: self.location,
            salary: self.salary.map(|s| SalaryRange {
                currency: s.currency,
                min: s.min,
                max: s.max,
            }),
            skills: self
                .skills
                .into_iter()
                .map(|s| Skill {
                    name: s.name,
                    weight: small(s.weight),
                })
                .collect(),
        })
    }
}

pub(crate) fn not_found() -> ApiError {
    PipelineError::Job(JobError::NotFound).into()
}

/// The job aggregate `id` if it exists and the caller's tenant may see it (404 `JOB_001`
/// otherwise).
async fn in_tenant(state: &AppState, auth: &AuthUser, id: Uuid) -> Result<Job, ApiError> {
    let (job, _) = state
        .pipeline
        .jobs()
        .load(&id.to_string())
        .await
        .map_err(PipelineError::from)?;
    if job.status == JobStatus::None || !auth.sees_company(job.company_id) {
        return Err(not_found());
    }
    Ok(job)
}

/// A manager's command on a job the caller's tenant may see: role check (403), 404 for other
/// tenants, request metadata, then the command built for the actor; answers the new version.
pub(crate) async fn manage_job(
    state: &AppState,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
    command: impl FnOnce(Actor) -> Result<JobCommand, ApiError>,
) -> Result<u64, ApiError> {
    auth.require_role(MANAGERS)?;
    in_tenant(state, auth, id).await?;
    let actor = auth.actor();
    let command = command(actor)?;
    let committed = state
        .pipeline
        .job_command(id, command, &metadata(req, &actor))
        .await?;
    Ok(committed.version)
}

pub(crate) fn job_done(job_id: Uuid, version: u64) -> HttpResponse {
    command_response(
        StatusCode::OK,
        version,
        &JobCommandResponse { job_id, version },
    )
}

/// The read-model row of job `id` once it reached the wanted version, if the caller's tenant may
/// see it (404 `JOB_001` otherwise); with the consistency the wait reached.
pub(crate) async fn read_job(
    state: &AppState,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
    query_min: Option<u64>,
) -> Result<(JobView, crate::request::Consistency), ApiError> {
    auth.require_role(READERS)?;
    let wanted = min_version(req, query_min)?;
    if wanted.is_some() {
        // Wait only for a job of the caller's tenant (the wait must not probe other tenants).
        in_tenant(state, auth, id).await?;
    }
    let consistency = await_version(state, ViewKind::Pipeline, id, wanted).await?;
    let view = get_job(&state.pool, id)
        .await?
        .filter(|v| auth.sees_company(Some(v.company_id)))
        .ok_or_else(not_found)?;
    Ok((view, consistency))
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Jobs (HR, EMPLOYEE: own company; SYSTEM_ADMIN: all, or one `company_id`), newest first unless
/// `sort` says otherwise.
#[utoipa::path(
    get, path = "/api/v1/jobs", tag = "jobs",
    params(JobListQuery, Paging),
    responses(
        (status = 200, body = Paged<JobDto>),
        (status = 401, description = "Not signed in (AUTH_005)", body = ApiError),
        (status = 403, description = "CANDIDATE (AUTH_003)", body = ApiError),
        (status = 404, description = "Another company named (COMP_002)", body = ApiError),
        (status = 422, description = "Bad filter, sort or page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<JobListQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(READERS)?;
    let q = query.into_inner();
    let company_id = if auth.is_platform_admin() {
        q.company_id
    } else {
        if q.company_id.is_some_and(|c| Some(c) != auth.company_id) {
            return Err(ApiError::not_found_company());
        }
        Some(auth.company_id.ok_or_else(ApiError::not_found_company)?)
    };
    let sort = parse_sort(q.sort.as_deref())?;
    let filter = JobFilter {
        company_id,
        status: q.status,
        q: q.q,
        department: q.department,
        employment_type: q.employment_type,
    };
    let page = list_jobs(&state.pool, &filter, sort, paging.page, paging.page_size).await?;
    Ok(HttpResponse::Ok().json(Paged::<JobDto>::from_page(page)))
}

/// Create a DRAFT job (HR; SYSTEM_ADMIN naming `company_id`).
#[utoipa::path(
    post, path = "/api/v1/jobs", tag = "jobs",
    request_body = CreateJobRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = JobCreated,
            headers(("X-Aggregate-Version" = u64, description = "Version of the new job"))),
        (status = 400, description = "Malformed body (REQ_001)", body = ApiError),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "Unknown or other company (COMP_002)", body = ApiError),
        (status = 409, description = "Company not active (COMP_004)", body = ApiError),
        (status = 422, description = "Invalid field or missing `company_id` (VAL_001); thresholds (JOB_007)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Json<CreateJobRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let b = body.into_inner();
    if !auth.is_platform_admin() && b.company_id.is_some_and(|c| Some(c) != auth.company_id) {
        return Err(ApiError::not_found_company());
    }
    let thresholds = thresholds_of(b.thresholds);
    let details = JobDetailsRequest {
        title: b.title,
        description: b.description,
        requirements: b.requirements,
        department: b.department,
        location: b.location,
        employment_type: b.employment_type,
        salary: b.salary,
        skills: b.skills,
    }
    .into_details()?;
    let actor = auth.actor();
    let done = state
        .pipeline
        .create_job(
            actor,
            b.company_id,
            details,
            thresholds,
            b.human_review_required,
            &metadata(&req, &actor),
        )
        .await?;
    let version = done.committed.version;
    let body = JobCreated {
        job_id: done.job_id,
        version,
    };
    Ok(command_response(StatusCode::CREATED, version, &body))
}

/// One job with its questions in interview order (HR, EMPLOYEE of its company; SYSTEM_ADMIN).
#[utoipa::path(
    get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id"), ConsistencyQuery,
        ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version`")),
    responses(
        (status = 200, body = JobDetailDto,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 403, description = "CANDIDATE (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
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
    let id = id.into_inner();
    let (view, consistency) = read_job(&state, &auth, &req, id, q.min_version).await?;
    let questions = questions::of_job(&state, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(consistency.header())
        .json(JobDetailDto {
            job: view.into(),
            questions,
        }))
}

/// Replace the job's details (HR, SYSTEM_ADMIN).
#[utoipa::path(
    put, path = "/api/v1/jobs/{id}", tag = "jobs",
    request_body = JobDetailsRequest,
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, body = JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003); concurrent change (CONC_001)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001); an OPEN job without description (JOB_005) or skills (JOB_006); nothing changed (JOB_011)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn replace(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<JobDetailsRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::Update {
            actor,
            details: body.into_details()?,
        })
    })
    .await?;
    Ok(job_done(id, version))
}

/// Set the job's own thresholds, or `null` for the company's (HR, SYSTEM_ADMIN).
#[utoipa::path(
    put, path = "/api/v1/jobs/{id}/thresholds", tag = "jobs",
    request_body = ThresholdsRequest,
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, body = JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003)", body = ApiError),
        (status = 422, description = "`thresholds` missing (VAL_001); not `fail < pass <= 100` (JOB_007); unchanged (JOB_011)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn change_thresholds(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<ThresholdsRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let thresholds = body
        .into_inner()
        .thresholds
        .ok_or_else(|| invalid("thresholds", "required"))?;
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::ChangeThresholds {
            actor,
            thresholds: thresholds_of(thresholds),
        })
    })
    .await?;
    Ok(job_done(id, version))
}

/// Whether a person must confirm every automated screening outcome (HR, SYSTEM_ADMIN).
#[utoipa::path(
    put, path = "/api/v1/jobs/{id}/review-policy", tag = "jobs",
    request_body = ReviewPolicyRequest,
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, body = JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003)", body = ApiError),
        (status = 422, description = "Unchanged (JOB_011)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn change_review_policy(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<ReviewPolicyRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let human_review_required = body.human_review_required;
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::ChangeReviewPolicy {
            actor,
            human_review_required,
        })
    })
    .await?;
    Ok(job_done(id, version))
}

/// Publish a DRAFT or PAUSED job (HR, SYSTEM_ADMIN). It needs a description and a skill.
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/open", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003); already OPEN (JOB_004)", body = ApiError),
        (status = 422, description = "No description (JOB_005) or no skills (JOB_006)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn open(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::Open { actor })
    })
    .await?;
    Ok(job_done(id, version))
}

/// Pause an OPEN job: it stops taking applications (HR, SYSTEM_ADMIN).
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/pause", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003); not OPEN (JOB_004)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn pause(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::Pause { actor })
    })
    .await?;
    Ok(job_done(id, version))
}

/// Close a job for good (HR, SYSTEM_ADMIN). A closed job cannot be changed or reopened.
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/close", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Already closed (JOB_003)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn close(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::Close { actor })
    })
    .await?;
    Ok(job_done(id, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_by_wire_name_and_name_their_field() {
        assert_eq!(
            parse_employment_type("PART_TIME").ok(),
            Some(EmploymentType::PartTime)
        );
        let e = parse_employment_type("part_time").unwrap_err();
        assert_eq!(e.code(), "VAL_001");
        assert_eq!(e.body().detail, "invalid employment_type: unknown_value");
        assert_eq!(parse_sort(None).ok(), Some(JobSort::CreatedDesc));
        assert_eq!(parse_sort(Some("title_asc")).ok(), Some(JobSort::TitleAsc));
        assert_eq!(
            parse_sort(Some("salary")).unwrap_err().body().detail,
            "invalid sort: unknown_value"
        );
    }

    #[test]
    fn large_numbers_saturate_for_the_domain_to_refuse() {
        assert_eq!(small(100), 100);
        assert_eq!(small(256), u8::MAX);
    }

    #[test]
    fn thresholds_field_must_be_present_but_may_be_null() {
        let absent: ThresholdsRequest = serde_json::from_str("{}").unwrap();
        assert!(absent.thresholds.is_none());
        let null: ThresholdsRequest = serde_json::from_str(r#"{"thresholds": null}"#).unwrap();
        assert!(matches!(null.thresholds, Some(None)));
        let set: ThresholdsRequest =
            serde_json::from_str(r#"{"thresholds": {"pass": 70, "fail": 40}}"#).unwrap();
        assert!(matches!(
            set.thresholds,
            Some(Some(JobThresholds { pass: 70, fail: 40 }))
        ));
    }
}
