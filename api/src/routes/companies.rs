//! Companies (tenants): public registration, the platform admin's review and lifecycle, and a
//! company's own profile and settings.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{await_version, command_response, metadata, min_version};
use crate::routes::dto::{
    CompanyCommandResponse, CompanyDto, CompanyPage, ConsistencyQuery, Paging, ReasonRequest,
    Thresholds,
};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hireledger_commands::identity::{CompanyProfileChange, IdentityError, RegisterCompany};
use hireledger_domain::company::{CompanyCommand, CompanyError, CompanySettings, CompanyStatus};
use hireledger_domain::{Actor, Role};
use hireledger_projections::ViewKind;
use hireledger_projections::queries::{get_company, list_companies};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A request to register a company. The contact becomes its first HR user once approved.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    #[schema(example = "Acme GmbH")]
    pub company_name: String,
    #[schema(example = "acme.example")]
    pub domain: String,
    pub contact_name: String,
    pub contact_email: String,
}

/// The registration was recorded and awaits review.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegistrationAccepted {
    pub company_id: Uuid,
    /// Always `PENDING`.
    #[schema(example = "PENDING")]
    pub status: String,
    pub version: u64,
}

/// The company is active and its first HR user exists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApprovalResponse {
    pub company_id: Uuid,
    pub version: u64,
    pub hr_user_id: Uuid,
    /// Shown once: hand it to the HR contact. `null` when the HR user already existed.
    pub temporary_password: Option<String>,
}

/// Changes to the caller's company; at least one field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    pub name: Option<String>,
    pub domain: Option<String>,
    pub settings: Option<Thresholds>,
}

/// Filter of the registration review list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanyRequestFilter {
    /// `PENDING` (default), `ACTIVE`, `REJECTED`, `DEACTIVATED` or `ALL`.
    pub status: Option<String>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/companies/registrations").route(web::post().to(register)))
        .service(resource("/api/v1/admin/company-requests").route(web::get().to(list_requests)))
        .service(
            resource("/api/v1/admin/company-requests/{id}/approve").route(web::post().to(approve)),
        )
        .service(
            resource("/api/v1/admin/company-requests/{id}/reject").route(web::post().to(reject)),
        )
        .service(resource("/api/v1/admin/companies/{id}").route(web::get().to(get_company_admin)))
        .service(
            resource("/api/v1/admin/companies/{id}/deactivate").route(web::post().to(deactivate)),
        )
        .service(
            resource("/api/v1/admin/companies/{id}/reactivate").route(web::post().to(reactivate)),
        )
        .service(
            resource("/api/v1/company")
                .route(web::get().to(own_company))
                .route(web::patch().to(patch_company)),
        );
}

/// The company aggregate must exist (404 `COMP_002` otherwise).
async fn require_company(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    let (company, _) = state
        .identity
        .companies()
        .load(&id.to_string())
        .await
        .map_err(IdentityError::from)?;
    if company.status == CompanyStatus::None {
        return Err(ApiError::not_found_company());
    }
    Ok(())
}

/// A platform-admin lifecycle command on an existing company: role check, 404 for an unknown
/// company, request metadata, then the command; answers with the new version.
async fn admin_company_command(
    state: &AppState,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
    command: impl FnOnce(Actor) -> CompanyCommand,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::SystemAdmin])?;
    require_company(state, id).await?;
    let actor = auth.actor();
    let committed = state
        .identity
        .company_command(id, command(actor), &metadata(req, &actor))
        .await?;
    Ok(company_done(id, committed.version))
}

fn company_done(company_id: Uuid, version: u64) -> HttpResponse {
    command_response(
        StatusCode::OK,
        version,
        &CompanyCommandResponse {
            company_id,
            version,
        },
    )
}

/// Ask for a company account (public). The answer is the same whether or not the contact's
/// address already has an account; the address is claimed at approval.
#[utoipa::path(
    post, path = "/api/v1/companies/registrations", tag = "companies",
    request_body = RegistrationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 202, description = "Recorded; awaits review", body = RegistrationAccepted,
            headers(("X-Aggregate-Version" = u64, description = "New version of the company"))),
        (status = 400, description = "Malformed body (REQ_001)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001)", body = ApiError),
        (status = 429, description = "Too many requests from this client (RATE_001)", body = ApiError),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check_public(crate::routes::auth::client_ip(&req, &state))?;
    let b = body.into_inner();
    let input = RegisterCompany {
        name: b.company_name,
        domain: b.domain,
        contact_name: b.contact_name,
        contact_email: b.contact_email,
    };
    let meta = metadata(&req, &Actor::Anonymous);
    let done = state.identity.register_company(input, &meta).await?;
    let version = done.committed.version;
    let body = RegistrationAccepted {
        company_id: done.company_id,
        status: CompanyStatus::Pending.as_str().to_owned(),
        version,
    };
    Ok(command_response(StatusCode::ACCEPTED, version, &body))
}

/// Registration requests and companies, for review (SYSTEM_ADMIN).
#[utoipa::path(
    get, path = "/api/v1/admin/company-requests", tag = "admin",
    params(CompanyRequestFilter, Paging),
    responses(
        (status = 200, body = CompanyPage),
        (status = 401, body = ApiError),
        (status = 403, description = "Not a platform admin (AUTH_003)", body = ApiError),
        (status = 422, description = "Bad filter or page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn list_requests(
    state: web::Data<AppState>,
    auth: AuthUser,
    filter: web::Query<CompanyRequestFilter>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::SystemAdmin])?;
    let status = match filter.status.as_deref() {
        None => Some(CompanyStatus::Pending.as_str()),
        Some("ALL") => None,
        Some(s) => Some(s),
    };
    let page = list_companies(&state.pool, status, paging.page, paging.page_size).await?;
    Ok(HttpResponse::Ok().json(CompanyPage::from(page)))
}

/// Any company, whatever its status (SYSTEM_ADMIN).
#[utoipa::path(
    get, path = "/api/v1/admin/companies/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Company id"), ConsistencyQuery,
        ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version`")),
    responses(
        (status = 200, body = CompanyDto,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 403, description = "Not a platform admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such company (COMP_002)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn get_company_admin(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::SystemAdmin])?;
    let id = id.into_inner();
    read_company(&state, &req, id, q.min_version).await
}

async fn read_company(
    state: &AppState,
    req: &HttpRequest,
    id: Uuid,
    query_min: Option<u64>,
) -> Result<HttpResponse, ApiError> {
    let wanted = min_version(req, query_min)?;
    let consistency = await_version(state, ViewKind::Company, id, wanted).await?;
    let view = get_company(&state.pool, id)
        .await?
        .ok_or_else(ApiError::not_found_company)?;
    Ok(HttpResponse::Ok()
        .insert_header(consistency.header())
        .json(CompanyDto::from(view)))
}

/// Approve a pending registration; creates the first HR user (SYSTEM_ADMIN).
#[utoipa::path(
    post, path = "/api/v1/admin/company-requests/{id}/approve", tag = "admin",
    params(("id" = Uuid, Path, description = "Company id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = ApprovalResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the company"))),
        (status = 403, description = "Not a platform admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such company (COMP_002)", body = ApiError),
        (status = 409, description = "Not pending (COMP_003); the contact's e-mail has an account (USER_002)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn approve(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::SystemAdmin])?;
    let id = id.into_inner();
    require_company(&state, id).await?;
    let actor = auth.actor();
    let done = state
        .identity
        .approve_company(actor, id, &metadata(&req, &actor))
        .await?;
    let version = done.committed.version;
    let body = ApprovalResponse {
        company_id: id,
        version,
        hr_user_id: done.hr_user_id,
        temporary_password: done.temporary_password,
    };
    Ok(command_response(StatusCode::OK, version, &body))
}

/// Reject a pending registration and erase the contact's personal data (SYSTEM_ADMIN).
#[utoipa::path(
    post, path = "/api/v1/admin/company-requests/{id}/reject", tag = "admin",
    request_body = ReasonRequest,
    params(("id" = Uuid, Path, description = "Company id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = CompanyCommandResponse),
        (status = 403, body = ApiError),
        (status = 404, body = ApiError),
        (status = 409, description = "Not pending (COMP_003)", body = ApiError),
        (status = 422, description = "Reason empty or too long (COMP_007)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn reject(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::SystemAdmin])?;
    let id = id.into_inner();
    require_company(&state, id).await?;
    let actor = auth.actor();
    let meta = metadata(&req, &actor);
    let committed = state
        .identity
        .reject_company(actor, id, body.into_inner().reason, &meta)
        .await?;
    Ok(company_done(id, committed.version))
}

/// Deactivate an active company; its users can no longer sign in (SYSTEM_ADMIN).
#[utoipa::path(
    post, path = "/api/v1/admin/companies/{id}/deactivate", tag = "admin",
    request_body = ReasonRequest,
    params(("id" = Uuid, Path, description = "Company id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = CompanyCommandResponse),
        (status = 403, body = ApiError),
        (status = 404, body = ApiError),
        (status = 409, description = "Not active (COMP_004)", body = ApiError),
        (status = 422, description = "Reason empty or too long (COMP_007)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn deactivate(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason;
    let done = admin_company_command(&state, &auth, &req, id.into_inner(), |actor| {
        CompanyCommand::Deactivate { actor, reason }
    })
    .await;
    state.rights.forget_all();
    done
}

/// Reactivate a deactivated company (SYSTEM_ADMIN).
#[utoipa::path(
    post, path = "/api/v1/admin/companies/{id}/reactivate", tag = "admin",
    params(("id" = Uuid, Path, description = "Company id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = CompanyCommandResponse),
        (status = 403, body = ApiError),
        (status = 404, body = ApiError),
        (status = 409, description = "Not deactivated (COMP_005)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn reactivate(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    admin_company_command(&state, &auth, &req, id.into_inner(), |actor| {
        CompanyCommand::Reactivate { actor }
    })
    .await
}

/// The caller's own company (any role of it).
#[utoipa::path(
    get, path = "/api/v1/company", tag = "companies",
    params(ConsistencyQuery, ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version`")),
    responses(
        (status = 200, body = CompanyDto,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 401, body = ApiError),
        (status = 404, description = "The caller belongs to no company (COMP_002)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn own_company(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = auth.company_id.ok_or_else(ApiError::not_found_company)?;
    read_company(&state, &req, id, q.min_version).await
}

/// Change the caller's company name, domain and/or thresholds (HR). Profile and settings are two
/// commands: the answer's version is that of the last one applied.
#[utoipa::path(
    patch, path = "/api/v1/company", tag = "companies",
    request_body = CompanyPatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = CompanyCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the company"))),
        (status = 403, description = "Not HR (AUTH_003)", body = ApiError),
        (status = 409, description = "Company not active (COMP_004)", body = ApiError),
        (status = 422, description = "Invalid value (VAL_001), thresholds (COMP_006) or nothing to change (COMP_008)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn patch_company(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Json<CompanyPatch>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(&[Role::Hr])?;
    let id = auth.company_id.ok_or_else(ApiError::not_found_company)?;
    require_company(&state, id).await?;
    let CompanyPatch {
        name,
        domain,
        settings,
    } = body.into_inner();
    let actor = auth.actor();
    let meta = metadata(&req, &actor);
    let nothing =
        |e: &IdentityError| matches!(e, IdentityError::Company(CompanyError::NothingToChange));
    let mut version = None;
    if name.is_some() || domain.is_some() {
        let change = CompanyProfileChange { name, domain };
        match state
            .identity
            .update_company_profile(actor, id, change, &meta)
            .await
        {
            Ok(c) => version = Some(c.version),
            Err(e) if nothing(&e) && settings.is_some() => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(t) = settings {
        let settings = CompanySettings {
            pass_threshold: t.pass_threshold,
            fail_threshold: t.fail_threshold,
        };
        match state
            .identity
            .change_company_settings(actor, id, settings, &meta)
            .await
        {
            Ok(c) => version = Some(c.version),
            Err(e) if nothing(&e) && version.is_some() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let version = version.ok_or(ApiError::Company(CompanyError::NothingToChange))?;
    Ok(company_done(id, version))
}
