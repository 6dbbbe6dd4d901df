//! The API's one error type and the one table that gives every error a stable code and status.
//!
//! Body: `{"detail": "...", "code": "AUTH_001", "timestamp": "..."}`. Codes never change once
//! published; add new ones at the end of a family. The hiring pipeline's codes (`JOB_`, `CAND_`,
//! `APP_`, `INT_`, `IMP_`) are in [`pipeline`]. Failures of dependencies answer 503 with
//! `Retry-After`; anything unexpected answers an opaque 500 and logs the full cause chain.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use chrono::{DateTime, SecondsFormat, Utc};
mod pipeline;

pub use pipeline::PipelineRefusal;

use hireledger_commands::idempotency::IdempotencyError;
use hireledger_commands::identity::{IdentityError, LoginError};
use hireledger_commands::pipeline::PipelineError;
use hireledger_commands::sessions::RefreshError;
use hireledger_domain::InvalidValue;
use hireledger_domain::company::CompanyError;
use hireledger_domain::user::UserError;
use hireledger_projections::QueryError;
use serde::Serialize;
use std::borrow::Cow;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// Seconds a client should wait before retrying when a dependency is down.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("token expired")]
    TokenExpired,
    #[error("not allowed")]
    Forbidden,
    #[error("refresh token revoked or reused; sign in again")]
    RefreshRevoked,
    #[error("missing or invalid token")]
    Unauthenticated,
    #[error("account or company disabled")]
    Disabled,
    #[error("current password is wrong")]
    WrongPassword,
    /// The token was issued before the account's rights changed (deactivation, erasure, role or
    /// password change, company deactivation).
    #[error("session revoked; refresh or sign in again")]
    SessionRevoked,
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Validation(InvalidValue),
    /// The body, query or path could not be read. The text is for the caller only (it may quote
    /// their input) and is never logged.
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("idempotency key was already used with a different request")]
    IdempotencyMismatch,
    #[error("a request with this idempotency key is still in progress")]
    IdempotencyInProgress,
    #[error(
        "a request with this idempotency key already took effect but its answer was lost; read \
         the resource instead of retrying"
    )]
    IdempotencyAlreadyCommitted,
    #[error("concurrent modification; reload and retry")]
    Conflict,
    #[error(transparent)]
    Company(CompanyError),
    #[error(transparent)]
    User(UserError),
    #[error("e-mail address already in use")]
    EmailTaken,
    #[error("verification link unknown, already used or expired")]
    VerificationInvalid,
    #[error("the account's e-mail address is not verified yet")]
    EmailNotVerified,
    #[error(transparent)]
    Pipeline(PipelineRefusal),
    #[error("service temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Read-your-writes: the read model had not reached the requested `min_version` when the
    /// read wait ended. "Not yet", as opposed to a 404 "not found".
    #[error("the read model has not reached the requested version yet; retry shortly")]
    NotYetConsistent,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    #[error("no such resource")]
    RouteNotFound,
    #[error("method not allowed on this resource")]
    MethodNotAllowed,
}

/// THE table: every error's stable code and HTTP status.
fn code_and_status(e: &ApiError) -> (&'static str, StatusCode) {
    use ApiError as A;
    use CompanyError as C;
    use StatusCode as S;
    use UserError as U;
    if let A::Pipeline(p) = e {
        // Refusals without a code of their own never become `ApiError::Pipeline` (see the
        // `From<PipelineError>` impl); should one slip through it is a bug.
        return pipeline::code_and_status(p).unwrap_or(("SYS_002", S::INTERNAL_SERVER_ERROR));
    }
    match e {
        A::InvalidCredentials => ("AUTH_001", S::UNAUTHORIZED),
        A::TokenExpired => ("AUTH_002", S::UNAUTHORIZED),
        A::Forbidden | A::Company(C::Forbidden) | A::User(U::Forbidden) => {
            ("AUTH_003", S::FORBIDDEN)
        }
        A::RefreshRevoked => ("AUTH_004", S::UNAUTHORIZED),
        A::Unauthenticated => ("AUTH_005", S::UNAUTHORIZED),
        A::Disabled => ("AUTH_006", S::FORBIDDEN),
        A::WrongPassword => ("AUTH_007", S::FORBIDDEN),
        A::RateLimited { .. } => ("RATE_001", S::TOO_MANY_REQUESTS),
        A::SessionRevoked => ("AUTH_008", S::UNAUTHORIZED),
        A::Validation(_) => ("VAL_001", S::UNPROCESSABLE_ENTITY),
        A::Malformed(_) => ("REQ_001", S::BAD_REQUEST),
        A::IdempotencyMismatch => ("REQ_002", S::UNPROCESSABLE_ENTITY),
        A::IdempotencyInProgress => ("REQ_003", S::CONFLICT),
        A::IdempotencyAlreadyCommitted => ("REQ_006", S::CONFLICT),
        A::PayloadTooLarge => ("REQ_004", S::PAYLOAD_TOO_LARGE),
        A::Conflict => ("CONC_001", S::CONFLICT),
        A::Company(C::AlreadyRegistered) => ("COMP_001", S::CONFLICT),
        A::Company(C::NotFound) => ("COMP_002", S::NOT_FOUND),
        A::Company(C::NotPending) => ("COMP_003", S::CONFLICT),
        A::Company(C::NotActive) => ("COMP_004", S::CONFLICT),
        A::Company(C::NotDeactivated) => ("COMP_005", S::CONFLICT),
        A::Company(C::InvalidThresholds) => ("COMP_006", S::UNPROCESSABLE_ENTITY),
        A::Company(C::InvalidReason) => ("COMP_007", S::UNPROCESSABLE_ENTITY),
        A::Company(C::NothingToChange) => ("COMP_008", S::UNPROCESSABLE_ENTITY),
        A::User(U::AlreadyExists) => ("USER_001", S::CONFLICT),
        A::EmailTaken => ("USER_002", S::CONFLICT),
        A::User(U::NotFound) => ("USER_003", S::NOT_FOUND),
        A::User(U::RoleCompanyMismatch) => ("USER_004", S::UNPROCESSABLE_ENTITY),
        A::User(U::AdminRoleReserved) => ("USER_005", S::FORBIDDEN),
        A::User(U::SelfAction) => ("USER_006", S::FORBIDDEN),
        A::User(U::Deactivated) => ("USER_007", S::CONFLICT),
        A::User(U::AlreadyActive) => ("USER_008", S::CONFLICT),
        A::User(U::Erased) => ("USER_009", S::CONFLICT),
        A::User(U::NothingToChange) => ("USER_010", S::UNPROCESSABLE_ENTITY),
        A::VerificationInvalid => ("USER_011", S::GONE),
        A::EmailNotVerified => ("USER_012", S::FORBIDDEN),
        A::Unavailable(_) => ("SYS_001", S::SERVICE_UNAVAILABLE),
        A::NotYetConsistent => ("READ_001", S::SERVICE_UNAVAILABLE),
        A::Internal(_) | A::Company(C::WrongDataSubject) | A::User(U::WrongDataSubject) => {
            ("SYS_002", S::INTERNAL_SERVER_ERROR)
        }
        A::RouteNotFound => ("NOT_FOUND", S::NOT_FOUND),
        A::Pipeline(_) => ("SYS_002", S::INTERNAL_SERVER_ERROR),
        A::MethodNotAllowed => ("REQ_005", S::METHOD_NOT_ALLOWED),
    }
}

/// The error body every failure answers with.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(as = ApiError)]
pub struct ErrorBody {
    /// What went wrong, for humans. Opaque for internal errors.
    #[schema(example = "invalid email: malformed")]
    pub detail: String,
    /// Stable machine-readable code (`AUTH_001`, `VAL_001`, `COMP_002`, ...).
    #[schema(example = "VAL_001")]
    pub code: String,
    /// When the error happened (RFC 3339, UTC).
    pub timestamp: DateTime<Utc>,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        code_and_status(self).0
    }

    pub fn not_found_company() -> Self {
        Self::Company(CompanyError::NotFound)
    }

    pub fn not_found_user() -> Self {
        Self::User(UserError::NotFound)
    }

    /// Seconds for `Retry-After`, where the error has one.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some((*retry_after_secs).max(1)),
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            Self::NotYetConsistent => Some(1),
            _ => None,
        }
    }

    fn detail(&self) -> String {
        match self {
            // The cause chain is logged, never shown.
            e if e.status_code() == StatusCode::INTERNAL_SERVER_ERROR => {
                "internal error".to_owned()
            }
            Self::Unavailable(_) => "a dependency is unavailable; retry later".to_owned(),
            e => e.to_string(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            detail: self.detail(),
            code: self.code().to_owned(),
            timestamp: Utc::now(),
        }
    }

    fn log(&self) {
        let code = self.code();
        match self {
            Self::Internal(cause) => {
                tracing::error!(code, error = format!("{cause:#}"), "internal error");
            }
            Self::Unavailable(cause) => {
                tracing::warn!(code, error = format!("{cause:#}"), "dependency unavailable");
            }
            Self::NotYetConsistent => {
                tracing::info!(code, "read model behind the requested version")
            }
            e if e.status_code().is_server_error() => {
                tracing::error!(code, error = %e, "internal error");
            }
            // Client errors: the code is enough (details may echo personal input).
            _ => tracing::debug!(code, "request refused"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        code_and_status(self).1
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut res = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after() {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        if matches!(self, Self::NotYetConsistent) {
            res.insert_header(crate::request::Consistency::Stale.header());
        }
        let body = self.body();
        // RFC 3339 with a fixed precision keeps bodies stable for clients that parse them.
        let json = serde_json::json!({
            "detail": body.detail,
            "code": body.code,
            "timestamp": body.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
        });
        res.json(json)
    }
}

impl PartialSchema for ApiError {
    fn schema() -> RefOr<Schema> {
        ErrorBody::schema()
    }
}

impl ToSchema for ApiError {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ApiError")
    }
}

impl From<InvalidValue> for ApiError {
    fn from(e: InvalidValue) -> Self {
        Self::Validation(e)
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            // A service sealed data for the wrong subject: a bug, not the caller's fault.
            e @ (IdentityError::Company(CompanyError::WrongDataSubject)
            | IdentityError::User(UserError::WrongDataSubject)) => Self::Internal(e.into()),
            IdentityError::Invalid(v) => Self::Validation(v),
            IdentityError::EmailTaken => Self::EmailTaken,
            IdentityError::WrongPassword => Self::WrongPassword,
            IdentityError::VerificationInvalid => Self::VerificationInvalid,
            IdentityError::Company(c) => Self::Company(c),
            IdentityError::User(u) => Self::User(u),
            IdentityError::Conflict => Self::Conflict,
            IdentityError::Unavailable(e) => Self::Unavailable(e),
            IdentityError::Internal(e) => Self::Internal(e),
        }
    }
}

impl From<IdempotencyError> for ApiError {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::Db(e) => e.into(),
            IdempotencyError::Vault(e) => Self::Internal(e.into()),
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(e: PipelineError) -> Self {
        use PipelineRefusal as R;
        let refusal = match e {
            PipelineError::Invalid(v) => return Self::Validation(v),
            PipelineError::Company(c) => return Self::Company(c),
            PipelineError::Conflict => return Self::Conflict,
            PipelineError::Unavailable(e) => return Self::Unavailable(e),
            PipelineError::Internal(e) => return Self::Internal(e),
            PipelineError::Job(j) => R::Job(j),
            PipelineError::Candidate(c) => R::Candidate(c),
            PipelineError::Application(a) => R::Application(a),
            PipelineError::Interview(i) => R::Interview(i),
            PipelineError::CandidateEmailTaken => R::CandidateEmailTaken,
            PipelineError::UnknownUser => R::UnknownInterviewer,
            PipelineError::ImportNotFound => R::ImportNotFound,
            PipelineError::ImportFile(why) => R::ImportFile(why),
        };
        pipeline::shared(refusal).unwrap_or_else(Self::Pipeline)
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => Self::InvalidCredentials,
            LoginError::Disabled => Self::Disabled,
            LoginError::Failed(e) => e.into(),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Invalid => Self::Unauthenticated,
            RefreshError::Expired => Self::TokenExpired,
            RefreshError::Revoked | RefreshError::Reused => Self::RefreshRevoked,
            RefreshError::Db(e) => e.into(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(e.into())
            }
            e => Self::Internal(e.into()),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::InvalidPage => Self::Validation(InvalidValue {
                field: "page",
                reason: "out_of_range",
            }),
            QueryError::InvalidFilter(field) => Self::Validation(InvalidValue {
                field,
                reason: "unknown_value",
            }),
            QueryError::Db(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn every_error() -> Vec<ApiError> {
        use CompanyError as C;
        use UserError as U;
        let mut all = vec![
            ApiError::InvalidCredentials,
            ApiError::TokenExpired,
            ApiError::Forbidden,
            ApiError::RefreshRevoked,
            ApiError::Unauthenticated,
            ApiError::Disabled,
            ApiError::WrongPassword,
            ApiError::NotYetConsistent,
            ApiError::SessionRevoked,
            ApiError::RateLimited {
                retry_after_secs: 3,
            },
            ApiError::Validation(InvalidValue {
                field: "email",
                reason: "malformed",
            }),
            ApiError::Malformed("x".into()),
            ApiError::PayloadTooLarge,
            ApiError::IdempotencyMismatch,
            ApiError::IdempotencyInProgress,
            ApiError::IdempotencyAlreadyCommitted,
            ApiError::Conflict,
            ApiError::EmailTaken,
            ApiError::VerificationInvalid,
            ApiError::EmailNotVerified,
            ApiError::Unavailable(anyhow::anyhow!("down")),
            ApiError::Internal(anyhow::anyhow!("secret cause")),
            ApiError::RouteNotFound,
            ApiError::MethodNotAllowed,
        ];
        for c in [
            C::AlreadyRegistered,
            C::NotFound,
            C::NotPending,
            C::NotActive,
            C::NotDeactivated,
            C::Forbidden,
            C::InvalidThresholds,
            C::InvalidReason,
            C::NothingToChange,
            C::WrongDataSubject,
        ] {
            all.push(ApiError::Company(c));
        }
        for u in [
            U::AlreadyExists,
            U::NotFound,
            U::Forbidden,
            U::RoleCompanyMismatch,
            U::AdminRoleReserved,
            U::SelfAction,
            U::Deactivated,
            U::AlreadyActive,
            U::Erased,
            U::NothingToChange,
            U::WrongDataSubject,
        ] {
            all.push(ApiError::User(u));
        }
        all.extend(
            pipeline::every_refusal()
                .into_iter()
                .map(ApiError::Pipeline),
        );
        all
    }

    #[test]
    fn codes_are_unique_per_meaning() {
        let mut seen: HashMap<&str, StatusCode> = HashMap::new();
        for e in every_error() {
            let (code, status) = code_and_status(&e);
            if let Some(prev) = seen.insert(code, status) {
                assert_eq!(prev, status, "{code} maps to two statuses");
            }
            assert!(status.is_client_error() || status.is_server_error());
        }
        // Forbidden from any source shares AUTH_003, bugs share SYS_002, and a missing
        // interviewer shares INT_008 with the unknown one; everything else has its own code.
        assert_eq!(seen.len(), every_error().len() - 5);
    }

    #[test]
    fn error_table_snapshot() {
        let table: Vec<String> = every_error()
            .iter()
            .map(|e| {
                let (code, status) = code_and_status(e);
                format!("{code} {} {e}", status.as_u16())
            })
            .collect();
        insta::assert_json_snapshot!("error_table", table);
    }

    #[test]
    fn internal_detail_is_opaque() {
        let body = ApiError::Internal(anyhow::anyhow!("password=hunter2")).body();
        assert_eq!(body.detail, "internal error");
        assert_eq!(body.code, "SYS_002");
    }

    #[test]
    fn validation_names_field_and_reason() {
        let body = ApiError::Validation(InvalidValue {
            field: "email",
            reason: "malformed",
        })
        .body();
        assert_eq!(body.detail, "invalid email: malformed");
    }

    #[test]
    fn retry_after_on_429_and_503() {
        let r = ApiError::RateLimited {
            retry_after_secs: 0,
        }
        .error_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            r.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
        let r = ApiError::Unavailable(anyhow::anyhow!("db")).error_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn not_yet_consistent_is_503_stale_with_retry_after() {
        let r = ApiError::NotYetConsistent.error_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            r.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
        assert_eq!(
            r.headers()
                .get(crate::request::X_READ_CONSISTENCY)
                .map(|v| v.as_bytes()),
            Some(&b"stale"[..])
        );
    }
}
