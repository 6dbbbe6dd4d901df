//! Wire types shared by several routes. Field names are part of the public contract.

use chrono::{DateTime, Utc};
use hireledger_projections::{CompanyView, Page, UserView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Default page size of lists.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

fn default_page() -> u32 {
    1
}

fn default_page_size() -> u32 {
    DEFAULT_PAGE_SIZE
}

/// Read-your-writes: the aggregate version the answer must reflect.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Wait (up to the configured read wait) until the read model has applied at least this
    /// version (the `version` / `X-Aggregate-Version` of a command). The `X-Min-Version` header
    /// does the same. The answer carries `X-Read-Consistency: consistent` or `stale`.
    pub min_version: Option<u64>,
}

/// Interview score thresholds (0–100; `fail_threshold < pass_threshold`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub pass_threshold: u8,
    pub fail_threshold: u8,
}

/// A company as the read model holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompanyDto {
    pub company_id: Uuid,
    pub name: String,
    pub domain: String,
    /// `PENDING`, `ACTIVE`, `REJECTED` or `DEACTIVATED`.
    #[schema(example = "ACTIVE")]
    pub status: String,
    /// Why the company was rejected or deactivated.
    pub status_reason: Option<String>,
    /// The person who asked for the registration (the first HR user once approved).
    pub contact_person_id: Uuid,
    /// `null` once the contact's personal data was erased.
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub settings: ThresholdsView,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Version of the company aggregate this row reflects.
    pub version: i64,
}

/// Current thresholds of a company.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct ThresholdsView {
    pub pass_threshold: i16,
    pub fail_threshold: i16,
}

impl From<CompanyView> for CompanyDto {
    fn from(v: CompanyView) -> Self {
        Self {
            company_id: v.company_id,
            name: v.name,
            domain: v.domain,
            status: v.status,
            status_reason: v.status_reason,
            contact_person_id: v.contact_person_id,
            contact_name: v.contact_name,
            contact_email: v.contact_email,
            settings: ThresholdsView {
                pass_threshold: v.pass_threshold,
                fail_threshold: v.fail_threshold,
            },
            requested_at: v.requested_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A user as the read model holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserDto {
    pub user_id: Uuid,
    /// `null` for platform administrators.
    pub company_id: Option<Uuid>,
    /// `SYSTEM_ADMIN`, `HR`, `EMPLOYEE` or `CANDIDATE`.
    #[schema(example = "HR")]
    pub role: String,
    /// `ACTIVE`, `DEACTIVATED` or `ERASED`.
    #[schema(example = "ACTIVE")]
    pub status: String,
    /// `null` once erased.
    pub name: Option<String>,
    /// `null` once erased.
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Version of the user aggregate this row reflects.
    pub version: i64,
}

impl From<UserView> for UserDto {
    fn from(v: UserView) -> Self {
        Self {
            user_id: v.user_id,
            company_id: v.company_id,
            role: v.role,
            status: v.status,
            name: v.name,
            email: v.email,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// One page of companies, newest registration first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompanyPage {
    pub items: Vec<CompanyDto>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
    pub pages: u64,
}

impl From<Page<CompanyView>> for CompanyPage {
    fn from(p: Page<CompanyView>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            page_size: p.page_size,
            pages: p.pages,
        }
    }
}

/// One page of users, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserDto>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
    pub pages: u64,
}

impl From<Page<UserView>> for UserPage {
    fn from(p: Page<UserView>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            page_size: p.page_size,
            pages: p.pages,
        }
    }
}

/// Paging of list endpoints.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1-based page number.
    #[serde(default = "default_page")]
    #[param(default = 1, minimum = 1)]
    pub page: u32,
    /// Items per page (1–100).
    #[serde(default = "default_page_size")]
    #[param(default = 20, minimum = 1, maximum = 100)]
    pub page_size: u32,
}

/// The new version of a company after a command.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompanyCommandResponse {
    pub company_id: Uuid,
    /// New version of the company aggregate (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// The new version of a user after a command.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserCommandResponse {
    pub user_id: Uuid,
    /// New version of the user aggregate (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// A reason for a rejection or deactivation (1–1000 characters).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: String,
}

/// A user's role (documentation type of the `Role` fields).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleName {
    SystemAdmin,
    Hr,
    Employee,
    Candidate,
}

/// One page of a list, newest first unless the list says otherwise: `{items, total, page,
/// page_size, pages}` (`pages` is 0 when `total` is 0). Used by every pipeline list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
    pub pages: u64,
}

impl<T> Paged<T> {
    /// The page of read-model views `p`, each turned into its wire form.
    pub fn from_page<V>(p: Page<V>) -> Self
    where
        T: From<V>,
    {
        Self {
            items: p.items.into_iter().map(T::from).collect(),
            total: p.total,
            page: p.page,
            page_size: p.page_size,
            pages: p.pages,
        }
    }
}
