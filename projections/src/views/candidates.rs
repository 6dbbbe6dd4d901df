//! Candidates (`rm_candidates`).

use super::{
    CANDIDATE_SOURCES, Conds, EXPLAIN, kept_total, like_term, no_text, push_contains, run_explain,
};
use crate::queries::{Page, QueryError, check_filter, check_page, offset, page_of};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// A candidate as the read model holds it. Contact fields are `None` once the candidate was
/// erased.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CandidateView {
    pub candidate_id: Uuid,
    pub company_id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Education and certificates as a JSON document.
    pub qualifications: Option<serde_json::Value>,
    /// The position the candidate is considered for.
    pub position: String,
    /// The candidate's field of work.
    pub domain: String,
    pub experience_years: i16,
    /// `MANUAL`, `IMPORT`, `PORTAL`, `REFERRAL`, `AGENCY` or `OTHER`.
    pub source: String,
    pub tags: Vec<String>,
    /// The employee responsible for the candidate.
    pub assigned_to: Option<Uuid>,
    /// The candidate's own portal user, once linked.
    pub user_id: Option<Uuid>,
    /// The bulk import that created the candidate.
    pub import_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sequence of the last candidate event applied.
    pub version: i64,
}

/// Filters of [`list_candidates`]; every field set narrows the list.
#[derive(Debug, Default, Clone)]
pub struct CandidateFilter {
    pub company_id: Option<Uuid>,
    /// Candidates assigned to this employee.
    pub assigned_to: Option<Uuid>,
    /// Case-insensitive substring of the name or the email.
    pub q: Option<String>,
    /// Candidates carrying this tag (exact).
    pub tag: Option<String>,
    /// One of [`CANDIDATE_SOURCES`].
    pub source: Option<String>,
    /// `created_at >= created_from`.
    pub created_from: Option<DateTime<Utc>>,
    /// `created_at < created_to`.
    pub created_to: Option<DateTime<Utc>>,
    /// Candidate records linked to this portal user.
    pub user_id: Option<Uuid>,
}

impl CandidateFilter {
    /// The company, when this is its whole list (its total is kept in `rm_list_counts`).
    fn kept(&self) -> Option<Uuid> {
        let Self {
            company_id: Some(company_id),
            assigned_to: None,
            q,
            tag: None,
            source: None,
            created_from: None,
            created_to: None,
            user_id: None,
        } = self
        else {
            return None;
        };
        no_text(q.as_ref()).then_some(*company_id)
    }
}

/// Order of [`list_candidates`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSort {
    /// Newest first.
    #[default]
    CreatedDesc,
    CreatedAsc,
    /// Name A–Z, case-insensitively; erased names last.
    NameAsc,
    /// Most experienced first, then newest first.
    ExperienceDesc,
}

const CANDIDATE_COLUMNS: &str = "candidate_id, company_id, name, email, phone, qualifications,
    position, domain, experience_years, source, tags, assigned_to, user_id, import_id, created_by,
    created_at, updated_at, version";

#[tracing::instrument(skip(pool))]
pub async fn get_candidate(
    pool: &PgPool,
    candidate_id: Uuid,
) -> Result<Option<CandidateView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CANDIDATE_COLUMNS} FROM rm_candidates WHERE candidate_id = $1"
    ))
    .bind(candidate_id)
    .fetch_optional(pool)
    .await?)
}

/// Candidates matching `filter`, in `sort` order.
#[tracing::instrument(skip(pool, filter))]
pub async fn list_candidates(
    pool: &PgPool,
    filter: &CandidateFilter,
    sort: CandidateSort,
    page: u32,
    page_size: u32,
) -> Result<Page<CandidateView>, QueryError> {
    validate(filter, page, page_size)?;
    if let Some(company_id) = filter.kept() {
        // The whole list of a company: its kept total rides along in the page's one statement.
        let mut list = QueryBuilder::new("");
        push_list(&mut list, filter, sort, page, page_size, Some(company_id));
        let rows: Vec<WithKeptTotal> = list.build_query_as().fetch_all(pool).await?;
        let total = match rows.first() {
            Some(row) => row.kept_total.unwrap_or(0),
            None => kept_total(pool, company_id, "candidates", None).await?,
        };
        let items = rows.into_iter().map(|r| r.view).collect();
        return Ok(page_of(items, total, page, page_size));
    }
    let mut count = QueryBuilder::new("SELECT count(*) FROM rm_candidates");
    push_where(&mut count, filter);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    let mut list = QueryBuilder::new("");
    push_list(&mut list, filter, sort, page, page_size, None);
    let items: Vec<CandidateView> = list.build_query_as().fetch_all(pool).await?;
    Ok(page_of(items, total, page, page_size))
}

/// The plan of the statement [`list_candidates`] runs for these arguments.
#[tracing::instrument(skip(pool, filter))]
pub async fn explain_list_candidates(
    pool: &PgPool,
    filter: &CandidateFilter,
    sort: CandidateSort,
    page: u32,
    page_size: u32,
) -> Result<String, QueryError> {
    validate(filter, page, page_size)?;
    let mut qb = QueryBuilder::new(EXPLAIN);
    push_list(&mut qb, filter, sort, page, page_size, None);
    run_explain(pool, qb).await
}

fn validate(filter: &CandidateFilter, page: u32, page_size: u32) -> Result<(), QueryError> {
    check_page(page, page_size)?;
    check_filter(filter.source.as_deref(), CANDIDATE_SOURCES, "source")
}

/// `company_id = .. [AND assigned_to = ..]` with the default order is an index scan of
/// `rm_candidates_company_list` / `rm_candidates_assignee_list`; `q` uses the trigram indexes on
/// `lower(name)` and `lower(email)`, `tag` the GIN index on `tags`.
fn push_where(qb: &mut QueryBuilder<'static, Postgres>, f: &CandidateFilter) {
    let mut c = Conds::default();
    if let Some(v) = f.company_id {
        c.next(qb).push("company_id = ").push_bind(v);
    }
    if let Some(v) = f.assigned_to {
        c.next(qb).push("assigned_to = ").push_bind(v);
    }
    if let Some(v) = f.user_id {
        c.next(qb).push("user_id = ").push_bind(v);
    }
    if let Some(v) = &f.source {
        c.next(qb).push("source = ").push_bind(v.clone());
    }
    if let Some(v) = &f.tag {
        c.next(qb)
            .push("tags @> ARRAY[")
            .push_bind(v.clone())
            .push("]::text[]");
    }
    if let Some(v) = f.created_from {
        c.next(qb).push("created_at >= ").push_bind(v);
    }
    if let Some(v) = f.created_to {
        c.next(qb).push("created_at < ").push_bind(v);
    }
    if let Some(term) = like_term(f.q.as_deref()) {
        c.next(qb).push("(");
        push_contains(qb, "name", &term);
        qb.push(" OR ");
        push_contains(qb, "email", &term);
        qb.push(")");
    }
}

/// A page row with the company's kept total (see [`list_candidates`]).
#[derive(sqlx::FromRow)]
struct WithKeptTotal {
    #[sqlx(flatten)]
    view: CandidateView,
    kept_total: Option<i64>,
}

/// The page statement; with `kept_total_of`, each row also carries that company's kept total.
fn push_list(
    qb: &mut QueryBuilder<'static, Postgres>,
    f: &CandidateFilter,
    sort: CandidateSort,
    page: u32,
    page_size: u32,
    kept_total_of: Option<Uuid>,
) {
    qb.push("SELECT ").push(CANDIDATE_COLUMNS);
    if let Some(company_id) = kept_total_of {
        qb.push(", (SELECT n FROM rm_list_counts WHERE company_id = ")
            .push_bind(company_id)
            .push(" AND list = 'candidates' AND status = '') AS kept_total");
    }
    qb.push(" FROM rm_candidates");
    push_where(qb, f);
    qb.push(match sort {
        CandidateSort::CreatedDesc => " ORDER BY created_at DESC, candidate_id DESC",
        CandidateSort::CreatedAsc => " ORDER BY created_at, candidate_id",
        CandidateSort::NameAsc => " ORDER BY lower(name) NULLS LAST, candidate_id",
        CandidateSort::ExperienceDesc => {
            " ORDER BY experience_years DESC, created_at DESC, candidate_id DESC"
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
    fn search_matches_name_or_email_case_insensitively() {
        let f = CandidateFilter {
            company_id: Some(Uuid::nil()),
            q: Some(" Ann ".into()),
            ..CandidateFilter::default()
        };
        let mut qb = QueryBuilder::new("SELECT count(*) FROM rm_candidates");
        push_where(&mut qb, &f);
        assert_eq!(
            qb.sql(),
            "SELECT count(*) FROM rm_candidates WHERE company_id = $1 AND \
             (lower(name) LIKE '%' || lower($2) || '%' OR lower(email) LIKE '%' || lower($3) || '%')"
        );
    }

    #[test]
    fn unknown_source_is_rejected() {
        let f = CandidateFilter {
            source: Some("LINKEDIN".into()),
            ..CandidateFilter::default()
        };
        assert!(matches!(
            validate(&f, 1, 10),
            Err(QueryError::InvalidFilter("source"))
        ));
        assert!(matches!(
            validate(&CandidateFilter::default(), 0, 10),
            Err(QueryError::InvalidPage)
        ));
    }
}
