//! Read-model queries for the API: plain views, paged lists, and read-your-writes waits.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::time::Duration;
use uuid::Uuid;

/// Largest page a list returns.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Company statuses in `rm_companies.status`.
pub const COMPANY_STATUSES: &[&str] = &["PENDING", "ACTIVE", "REJECTED", "DEACTIVATED"];
/// User statuses in `rm_users.status`.
pub const USER_STATUSES: &[&str] = &["ACTIVE", "DEACTIVATED", "ERASED"];
/// Roles in `rm_users.role`.
pub const ROLES: &[&str] = &["SYSTEM_ADMIN", "HR", "EMPLOYEE", "CANDIDATE"];

/// First and longest poll interval of [`wait_for_version`]: a read usually waits a few
/// milliseconds for the projector, so it looks again soon, then backs off.
const WAIT_STEP_MIN: Duration = Duration::from_millis(2);
const WAIT_STEP: Duration = Duration::from_millis(25);

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("page must be >= 1 and page_size 1..={MAX_PAGE_SIZE}")]
    InvalidPage,
    #[error("unknown {0} filter value")]
    InvalidFilter(&'static str),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A company as the read model holds it. Contact fields are `None` once the person was erased.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CompanyView {
    pub company_id: Uuid,
    pub name: String,
    pub domain: String,
    /// `PENDING`, `ACTIVE`, `REJECTED` or `DEACTIVATED`.
    pub status: String,
    /// Why it was rejected or deactivated.
    pub status_reason: Option<String>,
    pub contact_person_id: Uuid,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub pass_threshold: i16,
    pub fail_threshold: i16,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sequence of the last company event applied.
    pub version: i64,
}

/// A user as the read model holds it. `name`/`email` are `None` once erased.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct UserView {
    pub user_id: Uuid,
    /// `None` for platform administrators.
    pub company_id: Option<Uuid>,
    /// `SYSTEM_ADMIN`, `HR`, `EMPLOYEE` or `CANDIDATE`.
    pub role: String,
    /// `ACTIVE`, `DEACTIVATED` or `ERASED`.
    pub status: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sequence of the last user event applied.
    pub version: i64,
}

/// One page of a list, newest first. `page` is 1-based; `pages` is 0 when `total` is 0.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
    pub pages: u64,
}

/// Which read model [`wait_for_version`] watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    Company,
    User,
    /// Any aggregate of the pipeline projector (job, candidate, application, interview).
    Pipeline,
}

const COMPANY_COLUMNS: &str = "company_id, name, domain, status, status_reason, contact_person_id,
    contact_name, contact_email, pass_threshold, fail_threshold, requested_at, updated_at, version";
const USER_COLUMNS: &str =
    "user_id, company_id, role, status, name, email, created_at, updated_at, version";

pub(crate) fn check_page(page: u32, page_size: u32) -> Result<(), QueryError> {
    if page == 0 || page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(QueryError::InvalidPage);
    }
    Ok(())
}

pub(crate) fn check_filter(
    value: Option<&str>,
    allowed: &[&str],
    what: &'static str,
) -> Result<(), QueryError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(QueryError::InvalidFilter(what)),
        _ => Ok(()),
    }
}

pub(crate) fn page_of<T>(items: Vec<T>, total: i64, page: u32, page_size: u32) -> Page<T> {
    let total = u64::try_from(total).unwrap_or(0);
    Page {
        items,
        total,
        page,
        page_size,
        pages: total.div_ceil(u64::from(page_size)),
    }
}

pub(crate) fn offset(page: u32, page_size: u32) -> i64 {
    (i64::from(page) - 1) * i64::from(page_size)
}

#[tracing::instrument(skip(pool))]
pub async fn get_company(pool: &PgPool, id: Uuid) -> Result<Option<CompanyView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COMPANY_COLUMNS} FROM rm_companies WHERE company_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Companies, newest registration request first, optionally of one status.
#[tracing::instrument(skip(pool))]
pub async fn list_companies(
    pool: &PgPool,
    status: Option<&str>,
    page: u32,
    page_size: u32,
) -> Result<Page<CompanyView>, QueryError> {
    check_page(page, page_size)?;
    check_filter(status, COMPANY_STATUSES, "status")?;
    // Each filter combination is its own statement, so the planner always sees the literal
    // predicate and picks the matching index (rm_companies_status_list / rm_companies_list).
    let filter = |qb: &mut QueryBuilder<'_, Postgres>| {
        if let Some(s) = status {
            qb.push(" WHERE status = ").push_bind(s.to_owned());
        }
    };
    let mut count = QueryBuilder::new("SELECT count(*) FROM rm_companies");
    filter(&mut count);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;

    let mut list = QueryBuilder::new(format!("SELECT {COMPANY_COLUMNS} FROM rm_companies"));
    filter(&mut list);
    list.push(" ORDER BY requested_at DESC, company_id DESC LIMIT ")
        .push_bind(i64::from(page_size))
        .push(" OFFSET ")
        .push_bind(offset(page, page_size));
    let items: Vec<CompanyView> = list.build_query_as().fetch_all(pool).await?;
    Ok(page_of(items, total, page, page_size))
}

#[tracing::instrument(skip(pool))]
pub async fn get_user(pool: &PgPool, id: Uuid) -> Result<Option<UserView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM rm_users WHERE user_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Users, newest first, optionally of one company, role and/or status.
#[tracing::instrument(skip(pool))]
pub async fn list_users(
    pool: &PgPool,
    company_id: Option<Uuid>,
    role: Option<&str>,
    status: Option<&str>,
    page: u32,
    page_size: u32,
) -> Result<Page<UserView>, QueryError> {
    check_page(page, page_size)?;
    check_filter(role, ROLES, "role")?;
    check_filter(status, USER_STATUSES, "status")?;
    let filter = |qb: &mut QueryBuilder<'_, Postgres>| {
        let mut sep = " WHERE ";
        if let Some(c) = company_id {
            qb.push(sep).push("company_id = ").push_bind(c);
            sep = " AND ";
        }
        if let Some(r) = role {
            qb.push(sep).push("role = ").push_bind(r.to_owned());
            sep = " AND ";
        }
        if let Some(s) = status {
            qb.push(sep).push("status = ").push_bind(s.to_owned());
        }
    };
    let mut count = QueryBuilder::new("SELECT count(*) FROM rm_users");
    filter(&mut count);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;

    let mut list = QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM rm_users"));
    filter(&mut list);
    list.push(" ORDER BY created_at DESC, user_id DESC LIMIT ")
        .push_bind(i64::from(page_size))
        .push(" OFFSET ")
        .push_bind(offset(page, page_size));
    let items: Vec<UserView> = list.build_query_as().fetch_all(pool).await?;
    Ok(page_of(items, total, page, page_size))
}

/// Waits until the row `id` of `kind` has applied at least `min_version` (read-your-writes after a
/// command). Polls after 2 ms, doubling up to every 25 ms; `false` when `timeout` passes first.
#[tracing::instrument(skip(pool))]
pub async fn wait_for_version(
    pool: &PgPool,
    kind: ViewKind,
    id: Uuid,
    min_version: i64,
    timeout: Duration,
) -> Result<bool, QueryError> {
    let sql = match kind {
        ViewKind::Company => "SELECT version FROM rm_companies WHERE company_id = $1",
        ViewKind::User => "SELECT version FROM rm_users WHERE user_id = $1",
        ViewKind::Pipeline => "SELECT version FROM rm_pipeline_versions WHERE aggregate_id = $1",
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let mut step = WAIT_STEP_MIN;
    loop {
        let version: Option<i64> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(pool)
            .await?;
        if version.is_some_and(|v| v >= min_version) {
            return Ok(true);
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(step.min(deadline - now)).await;
        step = (step * 2).min(WAIT_STEP);
    }
}
