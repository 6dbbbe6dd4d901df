//! Interviews of an application: HR schedules them (an AI interview gets a one-time access token,
//! shown once), reschedules, cancels, marks no-shows, completes and releases results;
//! interviewers give feedback once the interview is over.
//!
//! Visibility: HR and platform admins see their company's interviews; an EMPLOYEE sees the
//! interviews they take part in; a CANDIDATE sees their own, without interviewers or feedback.
//! Another tenant's interview answers 404 (`INT_001`).
//!
//! Every `{id}` of an interview is matched as a UUID, so that the public token endpoints
//! (`/interviews/validate/{token}`, `/interviews/start/{token}`) registered later are not captured
//! here.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{await_version, command_response, metadata, min_version};
use crate::routes::applications::{optional_body, refusal};
use crate::routes::dto::{ConsistencyQuery, Paged, Paging};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use hireledger_commands::pipeline::{FeedbackInput, InterviewTimes, ScheduleInput};
use hireledger_domain::interview::{
    CriterionRating, Interview, InterviewCommand, InterviewError, InterviewKind, InterviewMode,
    Recommendation,
};
use hireledger_domain::{InvalidValue, Role};
use hireledger_projections::ViewKind;
use hireledger_projections::views::{
    FeedbackView, InterviewFilter, InterviewSort, InterviewView, get_interview, interview_feedback,
    list_interviews,
};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

const MANAGERS: &[Role] = &[Role::SystemAdmin, Role::Hr];
/// Who may ask; the aggregate decides whether an EMPLOYEE is one of the interviewers.
const STAFF: &[Role] = &[Role::SystemAdmin, Role::Hr, Role::Employee];

/// An interview id in a path: a UUID in its hyphenated form (never `validate` or `start`).
const ID: &str = "{id:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}}";

#[derive(OpenApi)]
#[openapi(
    paths(
        schedule,
        list,
        get,
        reschedule,
        cancel,
        no_show,
        complete,
        release_results,
        feedback
    ),
    components(schemas(
        InterviewKindName,
        InterviewModeName,
        InterviewStatusName,
        RecommendationName,
        ScheduleRequest,
        InterviewScheduledResponse,
        RescheduleRequest,
        CancelRequest,
        InterviewCommandResponse,
        RatingDto,
        FeedbackRequest,
        InterviewDto,
        FeedbackDto,
        InterviewDetailDto,
    ))
)]
pub struct InterviewsDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let at = |tail: &str| format!("/api/v1/interviews/{ID}{tail}");
    cfg.service(resource("/api/v1/applications/{id}/interviews").route(web::post().to(schedule)))
        .service(resource("/api/v1/interviews").route(web::get().to(list)))
        .service(resource(&at("")).route(web::get().to(get)))
        .service(resource(&at("/reschedule")).route(web::post().to(reschedule)))
        .service(resource(&at("/cancel")).route(web::post().to(cancel)))
        .service(resource(&at("/no-show")).route(web::post().to(no_show)))
        .service(resource(&at("/complete")).route(web::post().to(complete)))
        .service(resource(&at("/release-results")).route(web::post().to(release_results)))
        .service(resource(&at("/feedback")).route(web::post().to(feedback)));
}

/// What an interview is about (documentation type).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewKindName {
    Technical,
    Hr,
    Cultural,
    Managerial,
    Other,
}

/// Who conducts the interview (documentation type).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewModeName {
    Ai,
    Human,
}

/// Where an interview stands (documentation type).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterviewStatusName {
    Scheduled,
    InProgress,
    Completed,
    Cancelled,
    NoShow,
}

/// An interviewer's overall verdict (documentation type).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecommendationName {
    StrongHire,
    Hire,
    NoDecision,
    NoHire,
    StrongNoHire,
}

/// A new interview. Round 1–20; duration 5–480 minutes; `scheduled_at` in the future.
/// AI: `expires_at` after `scheduled_at` required, interviewers optional (observers).
/// HUMAN: 1–10 interviewers (active HR or EMPLOYEE users of the company), no `expires_at`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    #[schema(minimum = 1, maximum = 20)]
    pub round: u8,
    #[schema(value_type = InterviewKindName)]
    pub kind: String,
    #[schema(value_type = InterviewModeName)]
    pub mode: String,
    #[serde(default)]
    pub interviewers: Vec<Uuid>,
    pub scheduled_at: DateTime<Utc>,
    #[schema(minimum = 5, maximum = 480)]
    pub duration_mins: u16,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The interview exists; the application is INTERVIEW_SCHEDULED.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewScheduledResponse {
    pub interview_id: Uuid,
    pub version: u64,
    /// AI interviews only, shown once: the candidate's one-time access token. Only its hash is
    /// kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// AI interviews only: the candidate's page for the token (relative to the web app).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/interview/q3Xr…")]
    pub candidate_url: Option<String>,
}

/// A new time for a SCHEDULED interview (same rules as scheduling).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub scheduled_at: DateTime<Utc>,
    #[schema(minimum = 5, maximum = 480)]
    pub duration_mins: u16,
    /// AI interviews: required, after `scheduled_at`. HUMAN: must be absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why the interview is cancelled (optional; the body itself may be omitted).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// At most 1000 characters.
    pub reason: Option<String>,
}

/// The interview's new version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewCommandResponse {
    pub interview_id: Uuid,
    /// New version of the interview aggregate (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// One criterion's rating.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingDto {
    /// 1–100 characters, unique (case-insensitively) within one feedback.
    pub criterion: String,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u8,
}

/// An interviewer's feedback on a COMPLETED interview; once per person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// 1–20 ratings.
    pub ratings: Vec<RatingDto>,
    /// At most 10 000 characters; stored sealed under the candidate's key.
    pub notes: Option<String>,
    #[schema(value_type = RecommendationName)]
    pub recommendation: String,
}

/// An interview as the read model holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewDto {
    pub interview_id: Uuid,
    pub company_id: Uuid,
    pub application_id: Uuid,
    pub job_id: Uuid,
    /// `null` while the job's topic lags.
    pub job_title: Option<String>,
    pub candidate_id: Uuid,
    /// `null` while the candidate's topic lags, or once the candidate was erased.
    pub candidate_name: Option<String>,
    pub round: i16,
    #[schema(value_type = InterviewKindName)]
    pub kind: String,
    #[schema(value_type = InterviewModeName)]
    pub mode: String,
    /// Absent for candidates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interviewers: Option<Vec<Uuid>>,
    pub scheduled_at: DateTime<Utc>,
    pub duration_mins: i32,
    /// AI interviews: when the candidate's link stops working.
    pub expires_at: Option<DateTime<Utc>>,
    #[schema(value_type = InterviewStatusName)]
    pub status: String,
    /// The reason of a cancellation, if one was given.
    pub status_reason: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub results_released: bool,
    /// How many feedbacks were submitted. Absent for candidates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback_count: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Version of the interview aggregate this row reflects.
    pub version: i64,
}

impl InterviewDto {
    /// The staff's form: everything.
    pub fn staff(v: InterviewView) -> Self {
        Self {
            interview_id: v.interview_id,
            company_id: v.company_id,
            application_id: v.application_id,
            job_id: v.job_id,
            job_title: v.job_title,
            candidate_id: v.candidate_id,
            candidate_name: v.candidate_name,
            round: v.round,
            kind: v.kind,
            mode: v.mode,
            interviewers: Some(v.interviewers),
            scheduled_at: v.scheduled_at,
            duration_mins: v.duration_mins,
            expires_at: v.expires_at,
            status: v.status,
            status_reason: v.status_reason,
            started_at: v.started_at,
            completed_at: v.completed_at,
            results_released: v.results_released,
            feedback_count: Some(v.feedback_count),
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }

    /// The candidate's form: who interviews and how many gave feedback are left out.
    pub fn for_candidate(v: InterviewView) -> Self {
        Self {
            interviewers: None,
            feedback_count: None,
            ..Self::staff(v)
        }
    }
}

impl From<InterviewView> for InterviewDto {
    fn from(v: InterviewView) -> Self {
        Self::staff(v)
    }
}

/// One interviewer's feedback.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedbackDto {
    pub interviewer_id: Uuid,
    #[schema(value_type = Vec<RatingDto>)]
    pub ratings: serde_json::Value,
    /// `null` when none were given, or once the candidate was erased.
    pub notes: Option<String>,
    #[schema(value_type = RecommendationName)]
    pub recommendation: String,
    pub submitted_at: DateTime<Utc>,
}

impl From<FeedbackView> for FeedbackDto {
    fn from(v: FeedbackView) -> Self {
        Self {
            interviewer_id: v.interviewer_id,
            ratings: v.ratings,
            notes: v.notes,
            recommendation: v.recommendation,
            submitted_at: v.submitted_at,
        }
    }
}

/// An interview with its feedback (staff); candidates get the interview alone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewDetailDto {
    #[serde(flatten)]
    pub interview: InterviewDto,
    /// Absent for candidates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Vec<FeedbackDto>>,
}

/// Filters of the interview list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InterviewListQuery {
    /// One interview status.
    pub status: Option<String>,
    /// Scheduled at or after (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Scheduled before (exclusive).
    pub to: Option<DateTime<Utc>>,
    pub application_id: Option<Uuid>,
    pub candidate_id: Option<Uuid>,
    /// Interviews this user takes part in (employees: always themselves).
    pub interviewer_id: Option<Uuid>,
    /// Only COMPLETED interviews still waiting for feedback.
    pub awaiting_feedback: Option<bool>,
    /// `scheduled_asc` (default) or `scheduled_desc`.
    pub sort: Option<String>,
    /// Platform admins: one company's interviews.
    pub company_id: Option<Uuid>,
}

fn invalid(field: &'static str) -> ApiError {
    ApiError::Validation(InvalidValue {
        field,
        reason: "unknown_value",
    })
}

fn not_found() -> ApiError {
    refusal(InterviewError::NotFound)
}

/// The interview `id` if the caller's tenant may see it, whatever their role (404 otherwise).
async fn in_tenant(state: &AppState, auth: &AuthUser, id: Uuid) -> Result<Interview, ApiError> {
    let (interview, _) = state.pipeline.interview(id).await?;
    if !auth.sees_company(interview.company_id()) {
        return Err(not_found());
    }
    Ok(interview)
}

/// Whether the caller may read interview `i` (and, for staff, its feedback).
pub(crate) async fn may_read(
    state: &AppState,
    auth: &AuthUser,
    i: &Interview,
) -> Result<bool, ApiError> {
    Ok(match auth.role {
        Role::SystemAdmin | Role::Hr => true,
        Role::Employee => i.interviewers().contains(&auth.user_id),
        Role::Candidate => {
            if i.candidate_user_id() == Some(auth.user_id) {
                true
            } else if let Some(cid) = i.candidate_id() {
                match state.pipeline.candidate(cid).await {
                    Ok((c, _)) => c.user_id() == Some(auth.user_id),
                    Err(_) => false,
                }
            } else {
                false
            }
        }
    })
}

/// Runs `command` on a visible interview and answers with its new version.
async fn run(
    state: &AppState,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
    command: InterviewCommand,
) -> Result<HttpResponse, ApiError> {
    in_tenant(state, auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .pipeline
        .interview_command(id, command, &metadata(req, &actor))
        .await?;
    Ok(command_response(
        StatusCode::OK,
        committed.version,
        &InterviewCommandResponse {
            interview_id: id,
            version: committed.version,
        },
    ))
}

/// Schedule an interview for an application (HR or admin); the application moves to
/// INTERVIEW_SCHEDULED. An AI interview's access token is in the answer, once.
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/interviews", tag = "interviews",
    request_body = ScheduleRequest,
    params(("id" = Uuid, Path, description = "Application id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = InterviewScheduledResponse,
            headers(("X-Aggregate-Version" = u64, description = "Version of the new interview"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such application in your company (APP_001)", body = ApiError),
        (status = 409, description = "Application OFFERED (APP_004); application closed (INT_014)", body = ApiError),
        (status = 410, description = "Candidate deleted (CAND_004)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001); in the past (INT_006); AI token/expiry (INT_007); interviewers (INT_008)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn schedule(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<ScheduleRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let application_id = id.into_inner();
    let b = body.into_inner();
    let kind = InterviewKind::parse(&b.kind).ok_or_else(|| invalid("kind"))?;
    let mode = InterviewMode::parse(&b.mode).ok_or_else(|| invalid("mode"))?;
    let (app, _) = state.pipeline.application(application_id).await?;
    if !auth.sees_company(app.company_id) {
        return Err(refusal(
            hireledger_domain::application::ApplicationError::NotFound,
        ));
    }
    let input = ScheduleInput {
        round: b.round,
        kind,
        mode,
        interviewers: b.interviewers,
        times: InterviewTimes {
            scheduled_at: b.scheduled_at,
            duration_mins: b.duration_mins,
            expires_at: b.expires_at,
        },
    };
    let actor = auth.actor();
    let done = state
        .pipeline
        .schedule_interview(actor, application_id, input, &metadata(&req, &actor))
        .await?;
    let version = done.committed.version;
    let body = InterviewScheduledResponse {
        interview_id: done.interview_id,
        version,
        candidate_url: done
            .access_token
            .as_ref()
            .map(|t| format!("/interview/{t}")),
        access_token: done.access_token,
    };
    Ok(command_response(StatusCode::CREATED, version, &body))
}

/// Interviews, soonest first by default (HR: own company; SYSTEM_ADMIN: all or one
/// `company_id`; EMPLOYEE: those they take part in).
#[utoipa::path(
    get, path = "/api/v1/interviews", tag = "interviews",
    params(InterviewListQuery, Paging),
    responses(
        (status = 200, body = Paged<InterviewDto>),
        (status = 403, description = "Not HR, admin or employee; an employee naming another interviewer (AUTH_003)", body = ApiError),
        (status = 422, description = "Bad filter, sort or page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<InterviewListQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(STAFF)?;
    let q = query.into_inner();
    let sort = parse_sort(q.sort.as_deref())?;
    let company_id = if auth.is_platform_admin() {
        q.company_id
    } else {
        auth.company_id
    };
    // Employees list the interviews they take part in only.
    let interviewer_id = match auth.role {
        Role::Employee if q.interviewer_id.is_some_and(|i| i != auth.user_id) => {
            return Err(ApiError::Forbidden);
        }
        Role::Employee => Some(auth.user_id),
        _ => q.interviewer_id,
    };
    let filter = InterviewFilter {
        company_id,
        status: q.status,
        from: q.from,
        to: q.to,
        application_id: q.application_id,
        candidate_id: q.candidate_id,
        interviewer_id,
        awaiting_feedback: q.awaiting_feedback.unwrap_or(false),
        ..InterviewFilter::default()
    };
    let page = list_interviews(&state.pool, &filter, sort, paging.page, paging.page_size).await?;
    Ok(HttpResponse::Ok().json(Paged::<InterviewDto>::from_page(page)))
}

pub(crate) fn parse_sort(raw: Option<&str>) -> Result<InterviewSort, ApiError> {
    match raw {
        None | Some("scheduled_asc") => Ok(InterviewSort::ScheduledAsc),
        Some("scheduled_desc") => Ok(InterviewSort::ScheduledDesc),
        Some(_) => Err(invalid("sort")),
    }
}

/// One interview: with its feedback for HR, admins and its interviewers; without interviewers
/// and feedback for the candidate.
#[utoipa::path(
    get, path = "/api/v1/interviews/{id}", tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id"), ConsistencyQuery,
        ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version`")),
    responses(
        (status = 200, body = InterviewDetailDto,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 404, description = "No such interview you may see (INT_001)", body = ApiError),
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
    let wanted = min_version(&req, q.min_version)?;
    let interview = in_tenant(&state, &auth, id).await?;
    if !may_read(&state, &auth, &interview).await? {
        return Err(not_found());
    }
    let consistency = await_version(&state, ViewKind::Pipeline, id, wanted).await?;
    let view = get_interview(&state.pool, id)
        .await?
        .ok_or_else(not_found)?;
    let body = if auth.role == Role::Candidate {
        InterviewDetailDto {
            interview: InterviewDto::for_candidate(view),
            feedback: None,
        }
    } else {
        let feedback = interview_feedback(&state.pool, id).await?;
        InterviewDetailDto {
            interview: InterviewDto::staff(view),
            feedback: Some(feedback.into_iter().map(Into::into).collect()),
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(consistency.header())
        .json(body))
}

/// Move a SCHEDULED interview (HR or admin).
#[utoipa::path(
    post, path = "/api/v1/interviews/{id}/reschedule", tag = "interviews",
    request_body = RescheduleRequest,
    params(("id" = Uuid, Path, description = "Interview id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = InterviewCommandResponse),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such interview in your company (INT_001)", body = ApiError),
        (status = 409, description = "Not scheduled (INT_005)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001); in the past (INT_006); expiry (INT_007); nothing changes (INT_015)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn reschedule(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<RescheduleRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let b = body.into_inner();
    let command = InterviewCommand::Reschedule {
        actor: auth.actor(),
        scheduled_at: b.scheduled_at,
        duration_mins: b.duration_mins,
        expires_at: b.expires_at,
        now: Utc::now(),
    };
    run(&state, &auth, &req, id.into_inner(), command).await
}

/// Cancel a SCHEDULED interview (HR or admin). The body may be omitted.
#[utoipa::path(
    post, path = "/api/v1/interviews/{id}/cancel", tag = "interviews",
    request_body(content = Option<CancelRequest>, description = "Optional reason"),
    params(("id" = Uuid, Path, description = "Interview id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = InterviewCommandResponse),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such interview in your company (INT_001)", body = ApiError),
        (status = 409, description = "Not scheduled (INT_005)", body = ApiError),
        (status = 422, description = "Reason too long (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let reason = optional_body::<CancelRequest>(&body)?
        .unwrap_or_default()
        .reason;
    let id = id.into_inner();
    in_tenant(&state, &auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .pipeline
        .cancel_interview(actor, id, reason, &metadata(&req, &actor))
        .await?;
    Ok(command_response(
        StatusCode::OK,
        committed.version,
        &InterviewCommandResponse {
            interview_id: id,
            version: committed.version,
        },
    ))
}

/// Mark the candidate as a no-show once the scheduled time has come (HR or admin).
#[utoipa::path(
    post, path = "/api/v1/interviews/{id}/no-show", tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = InterviewCommandResponse),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such interview in your company (INT_001)", body = ApiError),
        (status = 409, description = "Not scheduled (INT_005); too early (INT_012)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn no_show(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let command = InterviewCommand::MarkNoShow {
        actor: auth.actor(),
        now: Utc::now(),
    };
    run(&state, &auth, &req, id.into_inner(), command).await
}

/// Complete an interview: an AI one once started; a HUMAN one once its time has come (HR,
/// admin, or one of its interviewers).
#[utoipa::path(
    post, path = "/api/v1/interviews/{id}/complete", tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = InterviewCommandResponse),
        (status = 403, description = "Not HR, admin or an interviewer (AUTH_003)", body = ApiError),
        (status = 404, description = "No such interview in your company (INT_001)", body = ApiError),
        (status = 409, description = "Already completed (INT_003); cancelled or no-show (INT_005); not started yet (INT_012)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn complete(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(STAFF)?;
    let command = InterviewCommand::Complete {
        actor: auth.actor(),
        now: Utc::now(),
    };
    run(&state, &auth, &req, id.into_inner(), command).await
}

/// Release a COMPLETED interview's results to the candidate (HR or admin).
#[utoipa::path(
    post, path = "/api/v1/interviews/{id}/release-results", tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = InterviewCommandResponse),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such interview in your company (INT_001)", body = ApiError),
        (status = 409, description = "Not completed (INT_009); already released (INT_011)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn release_results(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let command = InterviewCommand::ReleaseResults {
        actor: auth.actor(),
    };
    run(&state, &auth, &req, id.into_inner(), command).await
}

/// Give feedback on a COMPLETED interview (one of its interviewers, or HR of the company; once
/// per person).
#[utoipa::path(
    post, path = "/api/v1/interviews/{id}/feedback", tag = "interviews",
    request_body = FeedbackRequest,
    params(("id" = Uuid, Path, description = "Interview id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = InterviewCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the interview"))),
        (status = 403, description = "Not an interviewer or HR of the company (AUTH_003)", body = ApiError),
        (status = 404, description = "No such interview in your company (INT_001)", body = ApiError),
        (status = 409, description = "Not completed (INT_009); already given (INT_010)", body = ApiError),
        (status = 410, description = "Candidate deleted (CAND_004)", body = ApiError),
        (status = 422, description = "Invalid rating, criterion, notes or recommendation (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn feedback(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<FeedbackRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(STAFF)?;
    let id = id.into_inner();
    let b = body.into_inner();
    let recommendation =
        Recommendation::parse(&b.recommendation).ok_or_else(|| invalid("recommendation"))?;
    in_tenant(&state, &auth, id).await?;
    let input = FeedbackInput {
        ratings: b
            .ratings
            .into_iter()
            .map(|r| CriterionRating {
                criterion: r.criterion,
                rating: r.rating,
            })
            .collect(),
        notes: b.notes,
        recommendation,
    };
    let actor = auth.actor();
    let committed = state
        .pipeline
        .submit_feedback(actor, id, input, &metadata(&req, &actor))
        .await?;
    Ok(command_response(
        StatusCode::CREATED,
        committed.version,
        &InterviewCommandResponse {
            interview_id: id,
            version: committed.version,
        },
    ))
}
