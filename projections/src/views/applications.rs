//! Applications (`rm_applications`) with their candidate's name and the job's title.

use super::{
    APPLICATION_STATUSES, Conds, EXPLAIN, kept_total, like_term, no_text, push_contains,
    run_explain,
};
use crate::queries::{Page, QueryError, check_filter, check_page, offset, page_of};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// An application, joined at read time with its candidate and job.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApplicationView {
    pub application_id: Uuid,
    pub company_id: Uuid,
    pub job_id: Uuid,
    pub candidate_id: Uuid,
    /// The portal user who applied, when the candidate applied themselves.
    pub candidate_user_id: Option<Uuid>,
    /// One of [`APPLICATION_STATUSES`].
    pub status: String,
    /// `PORTAL`, `HR` or `IMPORT`: how the application arrived.
    pub source: String,
    /// Why it was rejected or withdrawn.
    pub status_reason: Option<String>,
    pub applied_at: DateTime<Utc>,
    /// When the status last changed (business time).
    pub status_changed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sequence of the last application event applied.
    pub version: i64,
    /// `None` while the candidate's topic lags or once the candidate was erased.
    pub candidate_name: Option<String>,
    /// `None` while the candidate's topic lags or once the candidate was erased.
    pub candidate_email: Option<String>,
    /// `None` while the job's topic lags.
    pub job_title: Option<String>,
    /// The employee the candidate is assigned to.
    pub assigned_to: Option<Uuid>,
}

/// Filters of [`list_applications`]; every field set narrows the list.
#[derive(Debug, Default, Clone)]
pub struct ApplicationFilter {
    pub company_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub candidate_id: Option<Uuid>,
    /// One of [`APPLICATION_STATUSES`].
    pub status: Option<String>,
    /// Applications of candidates assigned to this employee.
    pub assigned_to: Option<Uuid>,
    /// Candidate portal: applications of the candidate records linked to this user
    /// (`rm_candidates.user_id`).
    pub candidate_user_id: Option<Uuid>,
    /// Case-insensitive substring of the candidate's name or email.
    pub q: Option<String>,
    /// `applied_at >= applied_from`.
    pub applied_from: Option<DateTime<Utc>>,
    /// `applied_at < applied_to`.
    pub applied_to: Option<DateTime<Utc>>,
}

impl ApplicationFilter {
    /// The company and status, when this is its whole list or one status of it (totals kept in
    /// `rm_list_counts`).
    fn kept(&self) -> Option<(Uuid, Option<&str>)> {
        let Self {
            company_id: Some(company_id),
            job_id: None,
            candidate_id: None,
            status,
            assigned_to: None,
            candidate_user_id: None,
            q,
            applied_from: None,
            applied_to: None,
        } = self
        else {
            return None;
        };
        no_text(q.as_ref()).then_some((*company_id, status.as_deref()))
    }
}

/// Order of [`list_applications`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationSort {
    /// Newest application first.
    #[default]
    AppliedDesc,
    AppliedAsc,
    /// Most recently moved first.
    StatusChangedDesc,
}

const APPLICATION_SELECT: &str = "SELECT a.application_id, a.company_id, a.job_id,
    a.candidate_id, a.candidate_user_id, a.status, a.source, a.status_reason, a.applied_at,
    a.status_changed_at, a.updated_at, a.version, c.name AS candidate_name,
    c.email AS candidate_email, j.title AS job_title, c.assigned_to";

/// The joins are on primary keys, so Postgres drops the ones a count does not reference.
const APPLICATION_FROM: &str = " FROM rm_applications a
    LEFT JOIN rm_candidates c ON c.candidate_id = a.candidate_id
    LEFT JOIN rm_jobs j ON j.job_id = a.job_id";

#[tracing::instrument(skip(pool))]
pub async fn get_application(
    pool: &PgPool,
    application_id: Uuid,
) -> Result<Option<ApplicationView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "{APPLICATION_SELECT}{APPLICATION_FROM} WHERE a.application_id = $1"
    ))
    .bind(application_id)
    .fetch_optional(pool)
    .await?)
}

/// Applications matching `filter`, in `sort` order.
#[tracing::instrument(skip(pool, filter))]
pub async fn list_applications(
    pool: &PgPool,
    filter: &ApplicationFilter,
    sort: ApplicationSort,
    page: u32,
    page_size: u32,
) -> Result<Page<ApplicationView>, QueryError> {
    validate(filter, page, page_size)?;
    let total = match filter.kept() {
        Some((company_id, status)) => kept_total(pool, company_id, "applications", status).await?,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*)");
            count.push(APPLICATION_FROM);
            push_where(&mut count, filter);
            count.build_query_scalar().fetch_one(pool).await?
        }
    };

    let mut list = QueryBuilder::new("");
    push_list(&mut list, filter, sort, page, page_size);
    let items: Vec<ApplicationView> = list.build_query_as().fetch_all(pool).await?;
    Ok(page_of(items, total, page, page_size))
}

/// The plan of the statement [`list_applications`] runs for these arguments.
#[tracing::instrument(skip(pool, filter))]
pub async fn explain_list_applications(
    pool: &PgPool,
    filter: &ApplicationFilter,
    sort: ApplicationSort,
    page: u32,
    page_size: u32,
) -> Result<String, QueryError> {
    validate(filter, page, page_size)?;
    let mut qb = QueryBuilder::new(EXPLAIN);
    push_list(&mut qb, filter, sort, page, page_size);
    run_explain(pool, qb).await
}

fn validate(filter: &ApplicationFilter, page: u32, page_size: u32) -> Result<(), QueryError> {
    check_page(page, page_size)?;
    check_filter(filter.status.as_deref(), APPLICATION_STATUSES, "status")
}

/// `a.company_id = .. [AND a.status = ..]` with the default order is an index scan of
/// `rm_applications_company_list` / `rm_applications_company_status_list`.
fn push_where(qb: &mut QueryBuilder<'static, Postgres>, f: &ApplicationFilter) {
    let mut c = Conds::default();
    if let Some(v) = f.company_id {
        c.next(qb).push("a.company_id = ").push_bind(v);
    }
    if let Some(v) = f.job_id {
        c.next(qb).push("a.job_id = ").push_bind(v);
    }
    if let Some(v) = &f.status {
        c.next(qb).push("a.status = ").push_bind(v.clone());
    }
    if let Some(v) = f.candidate_id {
        c.next(qb).push("a.candidate_id = ").push_bind(v);
    }
    if let Some(v) = f.assigned_to {
        c.next(qb).push("c.assigned_to = ").push_bind(v);
    }
    if let Some(v) = f.candidate_user_id {
        c.next(qb).push("c.user_id = ").push_bind(v);
    }
    if let Some(v) = f.applied_from {
        c.next(qb).push("a.applied_at >= ").push_bind(v);
    }
    if let Some(v) = f.applied_to {
        c.next(qb).push("a.applied_at < ").push_bind(v);
    }
    if let Some(term) = like_term(f.q.as_deref()) {
        c.next(qb).push("(");
        push_contains(qb, "c.name", &term);
        qb.push(" OR ");
        push_contains(qb, "c.email", &term);
        qb.push(")");
    }
}

fn push_list(
    qb: &mut QueryBuilder<'static, Postgres>,
    f: &ApplicationFilter,
    sort: ApplicationSort,
    page: u32,
    page_size: u32,
) {
    qb.push(APPLICATION_SELECT).push(APPLICATION_FROM);
    push_where(qb, f);
    qb.push(match sort {
        ApplicationSort::AppliedDesc => " ORDER BY a.applied_at DESC, a.application_id DESC",
        ApplicationSort::AppliedAsc => " ORDER BY a.applied_at, a.application_id",
        ApplicationSort::StatusChangedDesc => {
            " ORDER BY a.status_changed_at DESC, a.application_id DESC"
        }
    });
    qb.push(" LIMIT ")
        .push_bind(i64::from(page_size))
        .push(" OFFSET ")
        .push_bind(offset(page, page_size));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_filter_goes_through_the_candidate_record() {
        let f = ApplicationFilter {
            candidate_user_id: Some(Uuid::nil()),
            ..ApplicationFilter::default()
        };
        let mut qb = QueryBuilder::new("");
        push_list(&mut qb, &f, ApplicationSort::default(), 2, 10);
        assert!(qb.sql().contains(
            "WHERE c.user_id = $1 ORDER BY a.applied_at DESC, a.application_id DESC LIMIT $2"
        ));
    }

    #[test]
    fn unknown_status_is_rejected() {
        let f = ApplicationFilter {
            status: Some("INTERVIEWED".into()),
            ..ApplicationFilter::default()
        };
        assert!(matches!(
            validate(&f, 1, 10),
            Err(QueryError::InvalidFilter("status"))
        ));
    }
}
