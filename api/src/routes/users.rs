//! Users of a company (HR) or of the platform (SYSTEM_ADMIN): list, create, view, change,
//! deactivate, reactivate, erase. Users may view and edit their own name and e-mail.
//!
//! Tenancy: HR sees only its own company; another company's user answers 404 (never 403), so ids
//! cannot be probed. EMPLOYEE and CANDIDATE get 403 (`AUTH_003`) on everything but themselves.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{await_version, command_response, metadata, min_version};
use crate::routes::dto::{
    ConsistencyQuery, Paging, RoleName, UserCommandResponse, UserDto, UserPage,
};
use crate::routes::resource;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hireledger_commands::identity::{IdentityError, NewUser, UserProfileChange};
use hireledger_domain::user::{User, UserCommand, UserError, UserStatus};
use hireledger_domain::{Actor, InvalidValue, Role};
use hireledger_projections::ViewKind;
use hireledger_projections::queries::{get_user, list_users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

const MANAGERS: &[Role] = &[Role::SystemAdmin, Role::Hr];

/// A new account. HR creates users of its own company; platform admins name `company_id`
/// (omitted for another SYSTEM_ADMIN).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub name: String,
    pub email: String,
    #[schema(value_type = RoleName)]
    pub role: String,
    /// 8–256 characters; when omitted a temporary password is generated and returned once.
    #[schema(format = Password)]
    pub password: Option<String>,
    pub company_id: Option<Uuid>,
}

/// The account exists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserCreated {
    pub user_id: Uuid,
    pub version: u64,
    /// Only when no password was given: shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
}

/// Changes to a user; at least one field. Role changes are for HR and platform admins.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<String>,
}

/// Filters of the user list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// `SYSTEM_ADMIN`, `HR`, `EMPLOYEE` or `CANDIDATE`.
    pub role: Option<String>,
    /// `ACTIVE`, `DEACTIVATED` or `ERASED`.
    pub status: Option<String>,
    /// Platform admins only: one company's users (HR always sees its own company).
    pub company_id: Option<Uuid>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/users")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/api/v1/users/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(patch)),
    )
    .service(resource("/api/v1/users/{id}/deactivate").route(web::post().to(deactivate)))
    .service(resource("/api/v1/users/{id}/reactivate").route(web::post().to(reactivate)))
    .service(resource("/api/v1/users/{id}/erase").route(web::post().to(erase)));
}

fn parse_role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or(ApiError::Validation(InvalidValue {
        field: "role",
        reason: "unknown_value",
    }))
}

/// The user aggregate `id`, if it exists and the caller's tenant may see it (404 otherwise).
async fn target(state: &AppState, auth: &AuthUser, id: Uuid) -> Result<User, ApiError> {
    let (user, _) = state
        .identity
        .users()
        .load(&id.to_string())
        .await
        .map_err(IdentityError::from)?;
    if user.status == UserStatus::None || !auth.sees_company(user.company_id) {
        return Err(ApiError::not_found_user());
    }
    Ok(user)
}

/// A manager's lifecycle command on a user the caller's tenant may see (404 otherwise): role
/// check, request metadata, then the command; answers with the new version.
async fn manage_user(
    state: &AppState,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
    command: impl FnOnce(Actor) -> UserCommand,
) -> Result<u64, ApiError> {
    auth.require_role(MANAGERS)?;
    target(state, auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .identity
        .user_command(id, command(actor), &metadata(req, &actor))
        .await?;
    Ok(committed.version)
}

fn user_done(user_id: Uuid, version: u64) -> HttpResponse {
    command_response(
        StatusCode::OK,
        version,
        &UserCommandResponse { user_id, version },
    )
}

/// Users, newest first (HR: own company; SYSTEM_ADMIN: all, or one `company_id`).
#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    params(UserFilter, Paging),
    responses(
        (status = 200, body = UserPage),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "Another company (COMP_002)", body = ApiError),
        (status = 422, description = "Bad filter or page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    filter: web::Query<UserFilter>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let company = if auth.is_platform_admin() {
        filter.company_id
    } else {
        if filter
            .company_id
            .is_some_and(|c| Some(c) != auth.company_id)
        {
            return Err(ApiError::not_found_company());
        }
        Some(auth.company_id.ok_or_else(ApiError::not_found_company)?)
    };
    let page = list_users(
        &state.pool,
        company,
        filter.role.as_deref(),
        filter.status.as_deref(),
        paging.page,
        paging.page_size,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserPage::from(page)))
}

/// Create a user.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    request_body = CreateUserRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = UserCreated,
            headers(("X-Aggregate-Version" = u64, description = "Version of the new user"))),
        (status = 403, description = "Not HR or admin (AUTH_003); SYSTEM_ADMIN role reserved (USER_005)", body = ApiError),
        (status = 404, description = "Unknown or other company (COMP_002)", body = ApiError),
        (status = 409, description = "E-mail in use (USER_002); company not active (COMP_004)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001); role/company mismatch (USER_004)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let b = body.into_inner();
    let role = parse_role(&b.role)?;
    if !auth.is_platform_admin() && b.company_id.is_some_and(|c| Some(c) != auth.company_id) {
        return Err(ApiError::not_found_company());
    }
    let actor = auth.actor();
    let input = NewUser {
        company_id: b.company_id,
        role,
        name: b.name,
        email: b.email,
        password: b.password,
    };
    let meta = metadata(&req, &actor);
    let done = state.identity.create_user(actor, input, &meta).await?;
    // A CANDIDATE account is linked to its candidate records once it verifies its address (a
    // verification mail was queued): `POST /api/v1/auth/email/verify`.
    let version = done.committed.version;
    let body = UserCreated {
        user_id: done.user_id,
        version,
        temporary_password: done.temporary_password,
    };
    Ok(command_response(StatusCode::CREATED, version, &body))
}

/// One user (yourself, or a user your role and company may see).
#[utoipa::path(
    get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "User id"), ConsistencyQuery,
        ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version`")),
    responses(
        (status = 200, body = UserDto,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 403, description = "EMPLOYEE/CANDIDATE asking for someone else (AUTH_003)", body = ApiError),
        (status = 404, description = "No such user in your tenant (USER_003)", body = ApiError),
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
    if id != auth.user_id {
        auth.require_role(MANAGERS)?;
    }
    let wanted = min_version(&req, q.min_version)?;
    if wanted.is_some() && id != auth.user_id {
        // Wait only for a user of the caller's tenant (the wait must not probe other tenants).
        target(&state, &auth, id).await?;
    }
    let consistency = await_version(&state, ViewKind::User, id, wanted).await?;
    let view = get_user(&state.pool, id)
        .await?
        .filter(|v| id == auth.user_id || auth.sees_company(v.company_id))
        .ok_or_else(ApiError::not_found_user)?;
    Ok(HttpResponse::Ok()
        .insert_header(consistency.header())
        .json(UserDto::from(view)))
}

/// Change a user's name/e-mail (yourself, HR or admin) and/or role (HR or admin). Profile and
/// role are two commands: the answer's version is that of the last one applied. A new e-mail
/// takes effect only once its owner verifies it (a token is mailed to it; `202`): nobody can
/// take an address, and the candidate records linked to it, by typing it.
#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "users",
    request_body = UserPatch,
    params(("id" = Uuid, Path, description = "User id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = UserCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the user"))),
        (status = 202, description = "A new `email` was given: it takes effect once verified (a token was mailed to it); other fields are applied", body = UserCommandResponse),
        (status = 403, description = "Not allowed (AUTH_003); own role (USER_006); SYSTEM_ADMIN reserved (USER_005)", body = ApiError),
        (status = 404, description = "No such user in your tenant (USER_003)", body = ApiError),
        (status = 409, description = "E-mail in use (USER_002); deactivated (USER_007); erased (USER_009)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001); nothing to change (USER_010)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn patch(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if id != auth.user_id {
        auth.require_role(MANAGERS)?;
    }
    let UserPatch { name, email, role } = body.into_inner();
    let role = role.as_deref().map(parse_role).transpose()?;
    target(&state, &auth, id).await?;
    let actor = auth.actor();
    let meta = metadata(&req, &actor);
    let nothing = |e: &IdentityError| matches!(e, IdentityError::User(UserError::NothingToChange));
    let mut version = None;
    let mut status = StatusCode::OK;
    if let Some(email) = email {
        // The new address takes effect once verified: a mail with a token goes to it.
        let current = state.identity.start_email_change(actor, id, &email).await?;
        version = Some(current);
        status = StatusCode::ACCEPTED;
    }
    if name.is_some() {
        let change = UserProfileChange { name };
        match state
            .identity
            .update_user_profile(actor, id, change, &meta)
            .await
        {
            Ok(c) => version = Some(c.version),
            Err(e) if nothing(&e) && (role.is_some() || version.is_some()) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(role) = role {
        let command = UserCommand::ChangeRole { actor, role };
        let changed = state.identity.user_command(id, command, &meta).await;
        state.rights.forget_all();
        match changed {
            Ok(c) => version = Some(c.version),
            Err(e) if nothing(&e) && version.is_some() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let version = version.ok_or(ApiError::User(UserError::NothingToChange))?;
    Ok(command_response(
        status,
        version,
        &UserCommandResponse {
            user_id: id,
            version,
        },
    ))
}

/// Deactivate a user and sign them out everywhere (HR or admin).
#[utoipa::path(
    post, path = "/api/v1/users/{id}/deactivate", tag = "users",
    params(("id" = Uuid, Path, description = "User id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = UserCommandResponse),
        (status = 403, description = "Not allowed (AUTH_003); yourself (USER_006)", body = ApiError),
        (status = 404, body = ApiError),
        (status = 409, description = "Already deactivated (USER_007); erased (USER_009)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn deactivate(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let version = manage_user(&state, &auth, &req, id, |actor| UserCommand::Deactivate {
        actor,
    })
    .await;
    state.rights.forget_all();
    let version = version?;
    state.sessions.revoke_user(id).await?;
    Ok(user_done(id, version))
}

/// Reactivate a deactivated user (HR or admin).
#[utoipa::path(
    post, path = "/api/v1/users/{id}/reactivate", tag = "users",
    params(("id" = Uuid, Path, description = "User id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = UserCommandResponse),
        (status = 403, body = ApiError),
        (status = 404, body = ApiError),
        (status = 409, description = "Already active (USER_008); erased (USER_009)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn reactivate(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let version = manage_user(&state, &auth, &req, id, |actor| UserCommand::Reactivate {
        actor,
    })
    .await?;
    Ok(user_done(id, version))
}

/// Erase a user's personal data for good (crypto-shredding: their key is destroyed, so every
/// stored copy becomes unreadable) and sign them out (SYSTEM_ADMIN, or HR of their company).
/// Retry-safe: repeating it finishes an interrupted erasure and writes no new event.
#[utoipa::path(
    post, path = "/api/v1/users/{id}/erase", tag = "users",
    params(("id" = Uuid, Path, description = "User id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = UserCommandResponse),
        (status = 403, description = "Not allowed (AUTH_003); yourself (USER_006)", body = ApiError),
        (status = 404, body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn erase(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let id = id.into_inner();
    target(&state, &auth, id).await?;
    let actor = auth.actor();
    let committed = state
        .identity
        .erase_user(actor, id, &metadata(&req, &actor))
        .await;
    state.rights.forget_all();
    Ok(user_done(id, committed?.version))
}
