//! Authentication: access tokens ([`jwt`]), the [`AuthUser`] extractor, rights checks on each
//! request ([`rights`]), rate limits ([`rate_limit`]) keyed by the client's address ([`client`]).

pub mod client;
pub mod jwt;
pub mod rate_limit;
pub mod rights;

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use hireledger_commands::sessions::SessionGenerations;
use hireledger_domain::{Actor, Role};
use uuid::Uuid;

/// The signed-in caller, from a valid `Authorization: Bearer <access token>`. Missing or bad
/// token → `AUTH_005`; expired → `AUTH_002`; issued before the account lost rights (deactivation,
/// erasure, role or password change, company deactivation) → `AUTH_008` (see [`rights`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub role: Role,
    pub company_id: Option<Uuid>,
}

impl AuthUser {
    pub fn actor(&self) -> Actor {
        Actor::User {
            user_id: self.user_id,
            role: self.role,
            company_id: self.company_id,
        }
    }

    pub fn is_platform_admin(&self) -> bool {
        self.role == Role::SystemAdmin
    }

    /// `AUTH_003` unless the caller has one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whether the caller may see resources of `company_id`: platform admins see every company,
    /// everyone else only their own. Callers answer 404 (not 403) when this is false, so other
    /// tenants' ids cannot be probed.
    pub fn sees_company(&self, company_id: Option<Uuid>) -> bool {
        self.is_platform_admin() || (self.company_id.is_some() && self.company_id == company_id)
    }
}

/// The bearer token of a request, if it has one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

async fn authenticate(req: HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("application state is not configured"))
    })?;
    let token = bearer_token(&req).ok_or(ApiError::Unauthenticated)?;
    let claims = state.jwt.verify(token)?;
    let issued = SessionGenerations {
        user: claims.ugen,
        company: claims.cgen,
    };
    state
        .rights
        .check(&state.pool, claims.sub, claims.company_id, issued)
        .await?;
    Ok(AuthUser {
        user_id: claims.sub,
        role: claims.role,
        company_id: claims.company_id,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn token_of(value: &str) -> Option<String> {
        let req = TestRequest::default()
            .insert_header((header::AUTHORIZATION, value))
            .to_http_request();
        bearer_token(&req).map(str::to_owned)
    }

    #[test]
    fn bearer_token_parsing() {
        assert_eq!(token_of("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token_of("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(token_of("Basic abc"), None);
        assert_eq!(token_of("Bearer "), None);
        assert_eq!(token_of("Bearer"), None);
    }

    #[test]
    fn tenancy_rules() {
        let company = Some(Uuid::now_v7());
        let hr = AuthUser {
            user_id: Uuid::now_v7(),
            role: Role::Hr,
            company_id: company,
        };
        assert!(hr.sees_company(company));
        assert!(!hr.sees_company(Some(Uuid::now_v7())));
        assert!(!hr.sees_company(None));
        assert!(hr.require_role(&[Role::Hr, Role::SystemAdmin]).is_ok());
        let admin = AuthUser {
            role: Role::SystemAdmin,
            company_id: None,
            ..hr
        };
        assert!(admin.sees_company(company) && admin.sees_company(None));
        let emp = AuthUser {
            role: Role::Employee,
            ..hr
        };
        assert_eq!(
            emp.require_role(&[Role::Hr]).unwrap_err().code(),
            "AUTH_003"
        );
    }
}
