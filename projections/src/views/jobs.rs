//! Jobs and their interview questions (`rm_jobs`, `rm_job_questions`).

use super::{
    Conds, EMPLOYMENT_TYPES, EXPLAIN, JOB_STATUSES, kept_total, like_term, no_text, run_explain,
};
use crate::queries::{Page, QueryError, check_filter, check_page, offset, page_of};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// A job as the read model holds it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JobView {
    pub job_id: Uuid,
    pub company_id: Uuid,
    /// `DRAFT`, `OPEN`, `PAUSED` or `CLOSED`.
    pub status: String,
    pub title: String,
    pub description: String,
    pub requirements: String,
    pub department: String,
    pub location: String,
    /// `FULL_TIME`, `PART_TIME`, `CONTRACT`, `TEMPORARY` or `INTERNSHIP`.
    pub employment_type: String,
    /// ISO 4217 code of the salary range; the three salary fields are set together or not at all.
    pub salary_currency: Option<String>,
    /// Lower bound in minor units (cents) of `salary_currency`.
    pub salary_min: Option<i64>,
    /// Upper bound in minor units (cents) of `salary_currency`.
    pub salary_max: Option<i64>,
    /// Required skills: a JSON array of `{name, weight}` as the job event carried it.
    pub skills: serde_json::Value,
    /// The job's own screening thresholds; `None` falls back to the company's.
    pub pass_threshold: Option<i16>,
    pub fail_threshold: Option<i16>,
    /// Whether a person must confirm every automated screening outcome.
    pub human_review_required: bool,
    pub question_count: i32,
    /// The user who created the job (`None` when created by the system).
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the job was last opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// When the job was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Sequence of the last job event applied.
    pub version: i64,
}

/// One interview question of a job.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QuestionView {
    pub job_id: Uuid,
    pub question_id: Uuid,
    /// Order within the job, ascending.
    pub position: i32,
    pub text: String,
    pub category: String,
    pub difficulty: String,
    /// Relative weight in the job's score.
    pub weight: i16,
    /// Model answer for evaluators; never show it to candidates.
    pub ideal_answer: Option<String>,
    /// Scoring rubric as a JSON document.
    pub rubric: serde_json::Value,
    pub expected_duration_secs: i32,
}

/// Filters of [`list_jobs`]; every field set narrows the list.
#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    pub company_id: Option<Uuid>,
    /// One of [`JOB_STATUSES`].
    pub status: Option<String>,
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    /// Exact department.
    pub department: Option<String>,
    /// One of [`EMPLOYMENT_TYPES`].
    pub employment_type: Option<String>,
}

impl JobFilter {
    /// The company and status, when this is its whole list or one status of it (totals kept in
    /// `rm_list_counts`).
    fn kept(&self) -> Option<(Uuid, Option<&str>)> {
        let Self {
            company_id: Some(company_id),
            status,
            q,
            department: None,
            employment_type: None,
        } = self
        else {
            return None;
        };
        no_text(q.as_ref()).then_some((*company_id, status.as_deref()))
    }
}

/// Order of [`list_jobs`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum JobSort {
    /// Newest first.
    #[default]
    CreatedDesc,
    CreatedAsc,
    /// Title A–Z, case-insensitively.
    TitleAsc,
}

const JOB_COLUMNS: &str = "job_id, company_id, status, title, description, requirements,
    department, location, employment_type, salary_currency, salary_min, salary_max, skills,
    pass_threshold, fail_threshold, human_review_required, question_count, created_by, created_at,
    updated_at, opened_at, closed_at, version";

const QUESTION_COLUMNS: &str = "job_id, question_id, position, text, category, difficulty, weight,
    ideal_answer, rubric, expected_duration_secs";

#[tracing::instrument(skip(pool))]
pub async fn get_job(pool: &PgPool, job_id: Uuid) -> Result<Option<JobView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM rm_jobs WHERE job_id = $1"
    ))
    .bind(job_id)
    .fetch_optional(pool)
    .await?)
}

/// The questions of a job in their order (empty when the job is unknown).
#[tracing::instrument(skip(pool))]
pub async fn job_questions(pool: &PgPool, job_id: Uuid) -> Result<Vec<QuestionView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {QUESTION_COLUMNS} FROM rm_job_questions WHERE job_id = $1
         ORDER BY position, question_id"
    ))
    .bind(job_id)
    .fetch_all(pool)
    .await?)
}

/// Jobs matching `filter`, in `sort` order.
#[tracing::instrument(skip(pool, filter))]
pub async fn list_jobs(
    pool: &PgPool,
    filter: &JobFilter,
    sort: JobSort,
    page: u32,
    page_size: u32,
) -> Result<Page<JobView>, QueryError> {
    validate(filter, page, page_size)?;
    let total = match filter.kept() {
        Some((company_id, status)) => kept_total(pool, company_id, "jobs", status).await?,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM rm_jobs");
            push_where(&mut count, filter);
            count.build_query_scalar().fetch_one(pool).await?
        }
    };

    let mut list = QueryBuilder::new("");
    push_list(&mut list, filter, sort, page, page_size);
    let items: Vec<JobView> = list.build_query_as().fetch_all(pool).await?;
    Ok(page_of(items, total, page, page_size))
}

/// The plan of the statement [`list_jobs`] runs for these arguments.
#[tracing::instrument(skip(pool, filter))]
pub async fn explain_list_jobs(
    pool: &PgPool,
    filter: &JobFilter,
    sort: JobSort,
    page: u32,
    page_size: u32,
) -> Result<String, QueryError> {
    validate(filter, page, page_size)?;
    let mut qb = QueryBuilder::new(EXPLAIN);
    push_list(&mut qb, filter, sort, page, page_size);
    run_explain(pool, qb).await
}

/// The OPEN jobs of a company for its public careers page, newest first, optionally matching `q`
/// in the title. Same view as [`list_jobs`]; the API publishes fewer fields.
#[tracing::instrument(skip(pool, q))]
pub async fn public_jobs(
    pool: &PgPool,
    company_id: Uuid,
    q: Option<&str>,
    page: u32,
    page_size: u32,
) -> Result<Page<JobView>, QueryError> {
    let filter = JobFilter {
        company_id: Some(company_id),
        status: Some("OPEN".to_owned()),
        q: q.map(str::to_owned),
        ..JobFilter::default()
    };
    list_jobs(pool, &filter, JobSort::CreatedDesc, page, page_size).await
}

fn validate(filter: &JobFilter, page: u32, page_size: u32) -> Result<(), QueryError> {
    check_page(page, page_size)?;
    check_filter(filter.status.as_deref(), JOB_STATUSES, "status")?;
    check_filter(
        filter.employment_type.as_deref(),
        EMPLOYMENT_TYPES,
        "employment_type",
    )
}

/// Company (and status) come first so `rm_jobs_company_list` / `rm_jobs_company_status_list`
/// serve the default order; the title search uses the trigram index `rm_jobs_title_search`.
fn push_where(qb: &mut QueryBuilder<'static, Postgres>, f: &JobFilter) {
    let mut c = Conds::default();
    if let Some(v) = f.company_id {
        c.next(qb).push("company_id = ").push_bind(v);
    }
    if let Some(v) = &f.status {
        c.next(qb).push("status = ").push_bind(v.clone());
    }
    if let Some(v) = &f.employment_type {
        c.next(qb).push("employment_type = ").push_bind(v.clone());
    }
    if let Some(v) = &f.department {
        c.next(qb).push("department = ").push_bind(v.clone());
    }
    if let Some(term) = like_term(f.q.as_deref()) {
        c.next(qb)
            .push("title ILIKE '%' || ")
            .push_bind(term)
            .push(" || '%'");
    }
}

fn push_list(
    qb: &mut QueryBuilder<'static, Postgres>,
    f: &JobFilter,
    sort: JobSort,
    page: u32,
    page_size: u32,
) {
    qb.push("SELECT ").push(JOB_COLUMNS).push(" FROM rm_jobs");
    push_where(qb, f);
    qb.push(match sort {
        JobSort::CreatedDesc => " ORDER BY created_at DESC, job_id DESC",
        JobSort::CreatedAsc => " ORDER BY created_at, job_id",
        JobSort::TitleAsc => " ORDER BY lower(title), job_id",
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
    fn default_list_is_company_then_newest_first() {
        let f = JobFilter {
            company_id: Some(Uuid::nil()),
            ..JobFilter::default()
        };
        let mut qb = QueryBuilder::new("");
        push_list(&mut qb, &f, JobSort::default(), 1, 20);
        assert!(qb.sql().ends_with(
            "FROM rm_jobs WHERE company_id = $1 ORDER BY created_at DESC, job_id DESC \
             LIMIT $2 OFFSET $3"
        ));
    }

    #[test]
    fn unknown_values_name_their_filter() {
        let f = JobFilter {
            employment_type: Some("GIG".into()),
            ..JobFilter::default()
        };
        assert!(matches!(
            validate(&f, 1, 10),
            Err(QueryError::InvalidFilter("employment_type"))
        ));
        let f = JobFilter {
            status: Some("open".into()),
            ..JobFilter::default()
        };
        assert!(matches!(
            validate(&f, 1, 10),
            Err(QueryError::InvalidFilter("status"))
        ));
        assert!(matches!(
            validate(&JobFilter::default(), 1, 101),
            Err(QueryError::InvalidPage)
        ));
    }
}
