//! Sign-in: login, refresh-token rotation, logout, the caller's profile, own password change.
//!
//! The refresh token travels only in the `hl_refresh` cookie (HttpOnly, SameSite=Strict,
//! Path=/api/v1/auth, Secure per `--cookie-secure`). Each refresh rotates it; presenting a token
//! that was already rotated revokes its whole family (`AUTH_004`).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::{command_response, metadata};
use crate::routes::dto::UserCommandResponse;
use crate::routes::resource;
use crate::state::AppState;
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hireledger_commands::identity::AuthenticatedUser;
use hireledger_commands::sessions::IssuedRefresh;
use hireledger_domain::Role;
use hireledger_projections::queries::get_user;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;
use uuid::Uuid;

pub const REFRESH_COOKIE: &str = "hl_refresh";
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// E-mail and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "hr@acme.example")]
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

/// Who signed in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionUser {
    pub id: Uuid,
    #[schema(value_type = crate::routes::dto::RoleName)]
    pub role: Role,
    /// `null` for platform administrators.
    pub company_id: Option<Uuid>,
}

/// An access token (send as `Authorization: Bearer <access_token>`). The refresh token is set in
/// the `hl_refresh` cookie.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    pub user: SessionUser,
}

/// The signed-in user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub user_id: Uuid,
    #[schema(value_type = crate::routes::dto::RoleName)]
    pub role: Role,
    pub company_id: Option<Uuid>,
    /// From the users read model; `null` until it has caught up.
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Own password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(format = Password)]
    pub current_password: String,
    /// 8 to 256 characters.
    #[schema(format = Password)]
    pub new_password: String,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/auth/login").route(web::post().to(login)))
        .service(resource("/api/v1/auth/refresh").route(web::post().to(refresh)))
        .service(resource("/api/v1/auth/logout").route(web::post().to(logout)))
        .service(resource("/api/v1/auth/me").route(web::get().to(me)))
        .service(resource("/api/v1/auth/password").route(web::post().to(change_password)));
}

/// The client's address as rate limits key it (trusted proxies, IPv6 by /64).
pub fn client_ip(req: &HttpRequest, state: &AppState) -> IpAddr {
    crate::auth::client::client_key(req, &state.trusted_proxies)
}

fn refresh_cookie(state: &AppState, issued: &IssuedRefresh) -> Cookie<'static> {
    let max_age = i64::try_from(state.refresh_ttl.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(REFRESH_COOKIE, issued.token.clone())
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.cookie_secure)
        .max_age(CookieDuration::seconds(max_age))
        .finish()
}

fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build(REFRESH_COOKIE, "")
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.cookie_secure)
        .finish();
    c.make_removal();
    c
}

fn token_response(
    state: &AppState,
    user: &AuthenticatedUser,
    issued: &IssuedRefresh,
) -> Result<HttpResponse, ApiError> {
    let body = TokenResponse {
        access_token: state.jwt.issue(user)?,
        token_type: "Bearer".to_owned(),
        expires_in: state.jwt.ttl().as_secs(),
        user: SessionUser {
            id: user.user_id,
            role: user.role,
            company_id: user.company_id,
        },
    };
    Ok(HttpResponse::Ok()
        .cookie(refresh_cookie(state, issued))
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// Sign in with e-mail and password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the refresh token is in the `hl_refresh` cookie", body = TokenResponse),
        (status = 400, description = "Malformed body (REQ_001)", body = ApiError),
        (status = 401, description = "Invalid credentials (AUTH_001)", body = ApiError),
        (status = 403, description = "Account or company disabled (AUTH_006)", body = ApiError),
        (status = 429, description = "Too many attempts (RATE_001); see Retry-After", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    state.limiter.check_login(client_ip(&req, &state), &email)?;
    let user = state.identity.authenticate(&email, &password).await?;
    let issued = state.sessions.issue(user.user_id).await?;
    token_response(&state, &user, &issued)
}

async fn rotate(state: &AppState, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    state.limiter.check_refresh(client_ip(req, state))?;
    let cookie = req
        .cookie(REFRESH_COOKIE)
        .ok_or(ApiError::Unauthenticated)?;
    let (user_id, issued) = state.sessions.rotate(cookie.value()).await?;
    match state.identity.current_user(user_id).await {
        Ok(user) => token_response(state, &user, &issued),
        Err(e) => {
            // The account may no longer act: end this session family.
            state.sessions.revoke(&issued.token).await?;
            Err(e.into())
        }
    }
}

/// Exchange the refresh-token cookie for a new access token (and a rotated cookie).
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "auth",
    params(("hl_refresh" = String, Cookie, description = "Refresh token set by login")),
    responses(
        (status = 200, description = "New access token; the cookie was rotated", body = TokenResponse),
        (status = 401, description = "Missing/unknown (AUTH_005), expired (AUTH_002) or revoked/reused (AUTH_004) refresh token", body = ApiError),
        (status = 403, description = "Account or company disabled (AUTH_006)", body = ApiError),
        (status = 429, description = "Too many attempts (RATE_001)", body = ApiError),
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    match rotate(&state, &req).await {
        Ok(res) => Ok(res),
        Err(
            e @ (ApiError::RateLimited { .. } | ApiError::Unavailable(_) | ApiError::Internal(_)),
        ) => Err(e),
        // The cookie is useless now: tell the browser to drop it.
        Err(e) => {
            let mut res = actix_web::ResponseError::error_response(&e);
            res.add_cookie(&removal_cookie(&state))
                .map_err(|err| ApiError::Internal(anyhow::anyhow!("setting a cookie: {err}")))?;
            Ok(res)
        }
    }
}

/// Sign out: revoke the refresh-token family and clear the cookie.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out (also when no session was found)"))
)]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(cookie) = req.cookie(REFRESH_COOKIE) {
        state.sessions.revoke(cookie.value()).await?;
    }
    Ok(HttpResponse::NoContent()
        .cookie(removal_cookie(&state))
        .finish())
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/auth/me", tag = "auth",
    responses(
        (status = 200, body = MeResponse),
        (status = 401, description = "Missing, invalid (AUTH_005) or expired (AUTH_002) token", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn me(state: web::Data<AppState>, auth: AuthUser) -> Result<HttpResponse, ApiError> {
    let view = get_user(&state.pool, auth.user_id).await?;
    let (name, email) = view.map_or((None, None), |v| (v.name, v.email));
    Ok(HttpResponse::Ok().json(MeResponse {
        user_id: auth.user_id,
        role: auth.role,
        company_id: auth.company_id,
        name,
        email,
    }))
}

/// Change your own password. Every session of the account is signed out.
#[utoipa::path(
    post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePasswordRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, body = UserCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the user"))),
        (status = 401, body = ApiError),
        (status = 403, description = "Current password is wrong (AUTH_007)", body = ApiError),
        (status = 422, description = "New password refused (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.into_inner();
    let actor = auth.actor();
    let committed = state
        .identity
        .change_password(
            actor,
            auth.user_id,
            Some(current_password),
            new_password,
            &metadata(&req, &actor),
        )
        .await;
    state.rights.forget_all();
    let committed = committed?;
    state.sessions.revoke_user(auth.user_id).await?;
    let body = UserCommandResponse {
        user_id: auth.user_id,
        version: committed.version,
    };
    let mut res = command_response(StatusCode::OK, committed.version, &body);
    res.add_cookie(&removal_cookie(&state))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("setting a cookie: {e}")))?;
    Ok(res)
}
