//! Candidates of a company: list, create, view, change, delete (crypto-shredding), bulk delete,
//! assignment to an employee, and CSV imports ([`imports`]).
//!
//! Who: HR manages its own company's candidates, platform admins any company's (naming
//! `company_id` where one is needed). EMPLOYEEs see only the candidates assigned to them, read
//! only; CANDIDATE accounts get 403 (`AUTH_003`). Another company's candidate, or one an employee
//! is not assigned to, answers 404 (`CAND_001`), never 403, so ids cannot be probed.
//!
//! Personal data (name, e-mail, phone, qualifications) is sealed under the candidate's own key;
//! deleting a candidate destroys that key and removes them from every read model.

pub mod imports;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{await_version, command_response, metadata, min_version};
use crate::routes::dto::{ConsistencyQuery, Paged, Paging};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};
use chrono::{DateTime, Utc};
use hireledger_commands::pipeline::{CandidateInput, PipelineError};
use hireledger_domain::candidate::{CandidateError, CandidateSource};
use hireledger_domain::{InvalidValue, PersonalText, Role, Sealed};
use hireledger_infra::vault::Field;
use hireledger_projections::ViewKind;
use hireledger_projections::views::{
    CandidateFilter, CandidateSort, CandidateView, get_candidate, list_candidates,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

pub use imports::{ImportDto, ImportRowErrorDto};

const MANAGERS: &[Role] = &[Role::SystemAdmin, Role::Hr];
const READERS: &[Role] = &[Role::SystemAdmin, Role::Hr, Role::Employee];
/// Most ids in one bulk deletion.
const MAX_BULK_DELETE: usize = 500;

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        create,
        get,
        patch,
        delete,
        bulk_delete,
        assign,
        imports::start_import,
        imports::get_import
    ),
    components(schemas(
        CandidateDto,
        CreateCandidateRequest,
        CandidatePatch,
        CandidateCreated,
        CandidateCommandResponse,
        BulkDeleteRequest,
        BulkDeleteReport,
        BulkDeleteFailure,
        AssignmentRequest,
        SourceName,
        ImportDto,
        ImportRowErrorDto,
    ))
)]
pub struct CandidatesDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The fixed paths come before `/candidates/{id}`, which would otherwise match them.
    cfg.service(
        resource("/api/v1/candidates")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(resource("/api/v1/candidates/imports").route(web::post().to(imports::start_import)))
    .service(resource("/api/v1/candidates/imports/{id}").route(web::get().to(imports::get_import)))
    .service(resource("/api/v1/candidates/bulk-delete").route(web::post().to(bulk_delete)))
    .service(
        resource("/api/v1/candidates/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(patch))
            .route(web::delete().to(delete)),
    )
    .service(resource("/api/v1/candidates/{id}/assignment").route(web::put().to(assign)));
}

/// How a candidate entered the pool (documentation type of the `source` fields).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceName {
    Manual,
    Import,
    Portal,
    Referral,
    Agency,
    Other,
}

/// A candidate as the read model holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateDto {
    pub candidate_id: Uuid,
    pub company_id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub qualifications: Vec<String>,
    pub position: String,
    /// Field of work.
    pub domain: String,
    pub experience_years: i16,
    #[schema(value_type = SourceName)]
    pub source: String,
    pub tags: Vec<String>,
    /// The EMPLOYEE the candidate is assigned to.
    pub assigned_to: Option<Uuid>,
    /// The CANDIDATE account linked to this record.
    pub user_id: Option<Uuid>,
    /// The import that brought the candidate in.
    pub import_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Version of the candidate aggregate this row reflects.
    pub version: i64,
}

impl From<CandidateView> for CandidateDto {
    fn from(v: CandidateView) -> Self {
        let qualifications = v
            .qualifications
            .and_then(|q| serde_json::from_value(q).ok())
            .unwrap_or_default();
        Self {
            candidate_id: v.candidate_id,
            company_id: v.company_id,
            name: v.name,
            email: v.email,
            phone: v.phone,
            qualifications,
            position: v.position,
            domain: v.domain,
            experience_years: v.experience_years,
            source: v.source,
            tags: v.tags,
            assigned_to: v.assigned_to,
            user_id: v.user_id,
            import_id: v.import_id,
            created_by: v.created_by,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A new candidate. HR adds to its own company; platform admins name `company_id`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCandidateRequest {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Up to 200 characters.
    pub position: Option<String>,
    /// Field of work, up to 200 characters.
    pub domain: Option<String>,
    /// 0–70 (default 0).
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 70)]
    pub experience_years: Option<i64>,
    /// Up to 30 entries of up to 200 characters.
    pub qualifications: Option<Vec<String>>,
    /// Default `MANUAL`.
    #[schema(value_type = Option<SourceName>)]
    pub source: Option<String>,
    /// Up to 20 tags of 1–50 characters, unique ignoring case. No personal data.
    pub tags: Option<Vec<String>>,
    pub company_id: Option<Uuid>,
}

/// Changes to a candidate: any subset of the creation fields; the others keep their values.
/// `phone` may be `null` to remove it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidatePatch {
    pub name: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub position: Option<String>,
    pub domain: Option<String>,
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 70)]
    pub experience_years: Option<i64>,
    pub qualifications: Option<Vec<String>>,
    #[schema(value_type = Option<SourceName>)]
    pub source: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// A field that is present, possibly `null` (`Some(None)`); absent fields default to `None`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A nullable field that must be present.
fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// The candidate exists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateCreated {
    pub candidate_id: Uuid,
    /// Version of the new candidate (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// The new version of a candidate after a command.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateCommandResponse {
    pub candidate_id: Uuid,
    /// New version of the candidate aggregate (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// Candidates to delete (1–500 ids).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDeleteRequest {
    pub ids: Vec<Uuid>,
}

/// What became of each id of a bulk deletion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkDeleteReport {
    /// Deleted now (or already deleted before).
    pub deleted: Vec<Uuid>,
    /// Unknown, or not in a company the caller manages.
    pub not_found: Vec<Uuid>,
    /// Refused or failed, with the error code the single deletion would answer.
    pub failed: Vec<BulkDeleteFailure>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkDeleteFailure {
    pub id: Uuid,
    #[schema(example = "SYS_001")]
    pub code: String,
}

/// The EMPLOYEE to assign the candidate to (an active employee of the candidate's company), or
/// `null` to unassign.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    #[serde(deserialize_with = "nullable")]
    #[schema(required = true)]
    pub employee_id: Option<Uuid>,
}

/// Filters and order of the candidate list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateListQuery {
    /// Case-insensitive substring of the name or e-mail.
    pub q: Option<String>,
    /// Candidates assigned to this employee (ignored for EMPLOYEEs: always themselves).
    pub assigned_to: Option<Uuid>,
    /// Candidates carrying this tag.
    pub tag: Option<String>,
    /// `MANUAL`, `IMPORT`, `PORTAL`, `REFERRAL`, `AGENCY` or `OTHER`.
    pub source: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
    /// `created_desc` (default), `created_asc`, `name_asc` or `experience_desc`.
    pub sort: Option<String>,
    /// Platform admins only: one company's candidates.
    pub company_id: Option<Uuid>,
}

fn candidate_not_found() -> ApiError {
    PipelineError::Candidate(CandidateError::NotFound).into()
}

fn invalid(field: &'static str, reason: &'static str) -> ApiError {
    ApiError::Validation(InvalidValue { field, reason })
}

fn parse_source(raw: Option<&str>, default: CandidateSource) -> Result<CandidateSource, ApiError> {
    match raw {
        None => Ok(default),
        Some(s) => CandidateSource::parse(s).ok_or_else(|| invalid("source", "unknown_value")),
    }
}

/// Years of experience as the domain takes them (it checks the 0–70 range itself).
fn parse_years(raw: Option<i64>, default: u8) -> Result<u8, ApiError> {
    match raw {
        None => Ok(default),
        Some(y) => u8::try_from(y).map_err(|_| invalid("experience_years", "out_of_range")),
    }
}

fn parse_sort(raw: Option<&str>) -> Result<CandidateSort, ApiError> {
    Ok(match raw {
        None | Some("created_desc") => CandidateSort::CreatedDesc,
        Some("created_asc") => CandidateSort::CreatedAsc,
        Some("name_asc") => CandidateSort::NameAsc,
        Some("experience_desc") => CandidateSort::ExperienceDesc,
        Some(_) => return Err(invalid("sort", "unknown_value")),
    })
}

/// The company a manager acts for: HR its own (naming another answers 404 `COMP_002`), platform
/// admins the one they name (if any).
fn managed_company(auth: &AuthUser, named: Option<Uuid>) -> Result<Option<Uuid>, ApiError> {
    if auth.is_platform_admin() {
        return Ok(named);
    }
    if named.is_some_and(|c| Some(c) != auth.company_id) {
        return Err(ApiError::not_found_company());
    }
    Ok(Some(
        auth.company_id.ok_or_else(ApiError::not_found_company)?,
    ))
}

/// Fails with 404 `CAND_001` unless candidate `id` exists (or existed) in a company the caller
/// manages.
async fn require_managed(state: &AppState, auth: &AuthUser, id: Uuid) -> Result<(), ApiError> {
    auth.require_role(MANAGERS)?;
    let (candidate, _) = state.pipeline.candidate(id).await?;
    if !auth.sees_company(candidate.company_id()) {
        return Err(candidate_not_found());
    }
    Ok(())
}

fn deleted() -> ApiError {
    PipelineError::Candidate(CandidateError::Deleted).into()
}

/// The clear text of one of the candidate's sealed values (410 `CAND_004` once deleted).
async fn open(state: &AppState, sealed: &Sealed, field: Field) -> Result<String, ApiError> {
    state
        .pipeline
        .open(sealed, field)
        .await?
        .ok_or_else(deleted)
}

/// Opens free text about the candidate (position, a tag); clear text of old events as it is.
async fn open_text(
    state: &AppState,
    text: &PersonalText,
    field: Field,
) -> Result<String, ApiError> {
    state
        .pipeline
        .open_text(text, field)
        .await?
        .ok_or_else(deleted)
}

fn candidate_done(candidate_id: Uuid, version: u64) -> HttpResponse {
    command_response(
        StatusCode::OK,
        version,
        &CandidateCommandResponse {
            candidate_id,
            version,
        },
    )
}

/// Candidates, newest first unless `sort` says otherwise (HR: own company; SYSTEM_ADMIN: all,
/// or one `company_id`; EMPLOYEE: those assigned to them).
#[utoipa::path(
    get, path = "/api/v1/candidates", tag = "candidates",
    params(CandidateListQuery, Paging),
    responses(
        (status = 200, body = Paged<CandidateDto>),
        (status = 400, description = "Malformed query, e.g. a bad date (REQ_001)", body = ApiError),
        (status = 403, description = "CANDIDATE account (AUTH_003)", body = ApiError),
        (status = 404, description = "Another company (COMP_002)", body = ApiError),
        (status = 422, description = "Bad filter, sort or page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<CandidateListQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(READERS)?;
    let q = query.into_inner();
    let sort = parse_sort(q.sort.as_deref())?;
    let (company_id, assigned_to) = if auth.role == Role::Employee {
        let own = auth.company_id.ok_or_else(ApiError::not_found_company)?;
        if q.company_id.is_some_and(|c| c != own) {
            return Err(ApiError::not_found_company());
        }
        (Some(own), Some(auth.user_id))
    } else {
        (managed_company(&auth, q.company_id)?, q.assigned_to)
    };
    let filter = CandidateFilter {
        company_id,
        assigned_to,
        q: q.q,
        tag: q.tag,
        source: q.source,
        created_from: q.created_from,
        created_to: q.created_to,
        user_id: None,
    };
    let page = list_candidates(&state.pool, &filter, sort, paging.page, paging.page_size).await?;
    Ok(HttpResponse::Ok().json(Paged::<CandidateDto>::from_page(page)))
}

/// Add a candidate (HR or admin). The e-mail is unique among the company's candidates.
#[utoipa::path(
    post, path = "/api/v1/candidates", tag = "candidates",
    request_body = CreateCandidateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = CandidateCreated,
            headers(("X-Aggregate-Version" = u64, description = "Version of the new candidate"),
                ("Location" = String, description = "The candidate's URL"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "Unknown or other company (COMP_002)", body = ApiError),
        (status = 409, description = "E-mail already used by a candidate of the company (CAND_002); company not active (COMP_004)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Json<CreateCandidateRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let b = body.into_inner();
    let company_id = managed_company(&auth, b.company_id)?;
    let input = CandidateInput {
        name: b.name,
        email: b.email,
        phone: b.phone,
        position: b.position.unwrap_or_default(),
        domain: b.domain.unwrap_or_default(),
        experience_years: parse_years(b.experience_years, 0)?,
        qualifications: b.qualifications.unwrap_or_default(),
        source: parse_source(b.source.as_deref(), CandidateSource::Manual)?,
        tags: b.tags.unwrap_or_default(),
    };
    let actor = auth.actor();
    let done = state
        .pipeline
        .create_candidate(
            actor,
            company_id,
            input,
            None,
            None,
            &metadata(&req, &actor),
        )
        .await?;
    let version = done.committed.version;
    let body = CandidateCreated {
        candidate_id: done.candidate_id,
        version,
    };
    let mut res = command_response(StatusCode::CREATED, version, &body);
    if let Ok(location) =
        HeaderValue::from_str(&format!("/api/v1/candidates/{}", done.candidate_id))
    {
        res.headers_mut().insert(header::LOCATION, location);
    }
    Ok(res)
}

/// One candidate (HR or admin of their company, or the employee they are assigned to).
#[utoipa::path(
    get, path = "/api/v1/candidates/{id}", tag = "candidates",
    params(("id" = Uuid, Path, description = "Candidate id"), ConsistencyQuery,
        ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version`")),
    responses(
        (status = 200, body = CandidateDto,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 403, description = "CANDIDATE account (AUTH_003)", body = ApiError),
        (status = 404, description = "No such candidate in your reach, or deleted (CAND_001)", body = ApiError),
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
    if wanted.is_some() {
        // Wait only for a candidate the caller may see: the wait's length must not tell other
        // tenants' ids and versions apart (checked on the aggregate, which is current).
        let (candidate, _) = state.pipeline.candidate(id).await?;
        let reachable = auth.sees_company(candidate.company_id())
            && (auth.role != Role::Employee || candidate.assigned_to() == Some(auth.user_id));
        if !reachable {
            return Err(candidate_not_found());
        }
    }
    let consistency = await_version(&state, ViewKind::Pipeline, id, wanted).await?;
    let view = get_candidate(&state.pool, id)
        .await?
        .filter(|v| auth.sees_company(Some(v.company_id)))
        .filter(|v| auth.role != Role::Employee || v.assigned_to == Some(auth.user_id))
        .ok_or_else(candidate_not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header(consistency.header())
        .json(CandidateDto::from(view)))
}

/// Change a candidate (HR or admin): the fields given replace the current ones.
#[utoipa::path(
    patch, path = "/api/v1/candidates/{id}", tag = "candidates",
    request_body = CandidatePatch,
    params(("id" = Uuid, Path, description = "Candidate id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = CandidateCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the candidate"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such candidate in your company (CAND_001)", body = ApiError),
        (status = 409, description = "E-mail already used by another candidate (CAND_002); concurrent change (CONC_001)", body = ApiError),
        (status = 410, description = "Deleted (CAND_004)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001); nothing to change (CAND_007)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn patch(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<CandidatePatch>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let id = id.into_inner();
    let p = body.into_inner();
    let (candidate, _) = state.pipeline.candidate(id).await?;
    if !auth.sees_company(candidate.company_id()) {
        return Err(candidate_not_found());
    }
    let current = candidate.profile().ok_or_else(deleted)?;
    let name = match p.name {
        Some(n) => n,
        None => open(&state, &current.name, Field::Name).await?,
    };
    let email = match p.email {
        Some(e) => e,
        None => open(&state, &current.email, Field::Email).await?,
    };
    let phone = match (p.phone, &current.phone) {
        (Some(given), _) => given,
        (None, Some(sealed)) => Some(open(&state, sealed, Field::Phone).await?),
        (None, None) => None,
    };
    let qualifications = match (p.qualifications, &current.qualifications) {
        (Some(given), _) => given,
        (None, Some(sealed)) => {
            let json = open(&state, sealed, Field::Qualifications).await?;
            serde_json::from_str(&json).map_err(|e| ApiError::Internal(e.into()))?
        }
        (None, None) => Vec::new(),
    };
    let position = match p.position {
        Some(given) => given,
        None => open_text(&state, &current.position, Field::Position).await?,
    };
    let tags = match p.tags {
        Some(given) => given,
        None => {
            let mut tags = Vec::with_capacity(current.tags.len());
            for t in &current.tags {
                tags.push(open_text(&state, t, Field::Tag).await?);
            }
            tags
        }
    };
    let input = CandidateInput {
        name,
        email,
        phone,
        position,
        domain: p.domain.unwrap_or_else(|| current.domain.clone()),
        experience_years: parse_years(p.experience_years, current.experience_years)?,
        qualifications,
        source: parse_source(p.source.as_deref(), current.source)?,
        tags,
    };
    let actor = auth.actor();
    let committed = state
        .pipeline
        .update_candidate(actor, id, input, &metadata(&req, &actor))
        .await?;
    Ok(candidate_done(id, committed.version))
}

/// Delete a candidate for good (HR or admin): their key is destroyed, so every stored copy of
/// their personal data becomes unreadable, they disappear from every read model and their
/// e-mail is free again. Repeating it is safe (it finishes an interrupted deletion).
#[utoipa::path(
    delete, path = "/api/v1/candidates/{id}", tag = "candidates",
    params(("id" = Uuid, Path, description = "Candidate id")),
    responses(
        (status = 200, body = CandidateCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the candidate"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such candidate in your company (CAND_001)", body = ApiError),
        (status = 409, description = "Concurrent change (CONC_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_managed(&state, &auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .pipeline
        .delete_candidate(actor, id, &metadata(&req, &actor))
        .await?;
    Ok(candidate_done(id, committed.version))
}

/// Delete up to 500 candidates (HR or admin); each id is handled on its own and reported.
#[utoipa::path(
    post, path = "/api/v1/candidates/bulk-delete", tag = "candidates",
    request_body = BulkDeleteRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = BulkDeleteReport),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 422, description = "No ids, or more than 500 (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn bulk_delete(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Json<BulkDeleteRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let mut ids = body.into_inner().ids;
    if ids.is_empty() {
        return Err(invalid("ids", "required"));
    }
    if ids.len() > MAX_BULK_DELETE {
        return Err(invalid("ids", "too_many"));
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    let actor = auth.actor();
    let meta = metadata(&req, &actor);
    let mut report = BulkDeleteReport {
        deleted: Vec::new(),
        not_found: Vec::new(),
        failed: Vec::new(),
    };
    for id in ids {
        let outcome = match require_managed(&state, &auth, id).await {
            Ok(()) => state
                .pipeline
                .delete_candidate(actor, id, &meta)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(_) => report.deleted.push(id),
            Err(e) if e.code() == "CAND_001" => report.not_found.push(id),
            Err(e) => {
                let code = e.code();
                if e.status_code().is_server_error() {
                    tracing::warn!(code, %id, "deleting a candidate of a bulk deletion failed");
                }
                report.failed.push(BulkDeleteFailure {
                    id,
                    code: code.to_owned(),
                });
            }
        }
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Assign a candidate to an employee of their company, or unassign with `null` (HR or admin).
#[utoipa::path(
    put, path = "/api/v1/candidates/{id}/assignment", tag = "candidates",
    request_body = AssignmentRequest,
    params(("id" = Uuid, Path, description = "Candidate id")),
    responses(
        (status = 200, body = CandidateCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the candidate"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such candidate in your company (CAND_001)", body = ApiError),
        (status = 409, description = "Concurrent change (CONC_001)", body = ApiError),
        (status = 410, description = "Deleted (CAND_004)", body = ApiError),
        (status = 422, description = "Not an active EMPLOYEE of the company (CAND_005); already so (CAND_007)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn assign(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<AssignmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_managed(&state, &auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .pipeline
        .assign_candidate(actor, id, body.employee_id, &metadata(&req, &actor))
        .await?;
    Ok(candidate_done(id, committed.version))
}
