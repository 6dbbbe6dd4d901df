//! Interviews (`rm_interviews`), interviewers' feedback (`rm_interview_feedback`) and the results
//! a candidate may see once released.

use super::{Conds, EXPLAIN, INTERVIEW_STATUSES, kept_total, run_explain};
use crate::queries::{Page, QueryError, check_filter, check_page, offset, page_of};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// An interview, joined at read time with the job's title and the candidate's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InterviewView {
    pub interview_id: Uuid,
    pub company_id: Uuid,
    pub application_id: Uuid,
    pub job_id: Uuid,
    pub candidate_id: Uuid,
    /// The candidate's portal user, if any.
    pub candidate_user_id: Option<Uuid>,
    /// 1 for the first interview of the application, then 2, …
    pub round: i16,
    /// `TECHNICAL`, `HR`, `CULTURAL`, `MANAGERIAL` or `OTHER`.
    pub kind: String,
    /// `AI` (through the candidate's one-time link) or `HUMAN`.
    pub mode: String,
    /// The employees who interview; each owes one feedback. Never show them to the candidate.
    pub interviewers: Vec<Uuid>,
    pub scheduled_at: DateTime<Utc>,
    pub duration_mins: i32,
    /// When the candidate's one-time link stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// One of [`INTERVIEW_STATUSES`].
    pub status: String,
    /// Why it was cancelled or marked a no-show.
    pub status_reason: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Whether the candidate may see the results ([`released_results`]).
    pub results_released: bool,
    /// Feedbacks submitted so far (out of `interviewers.len()`).
    pub feedback_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sequence of the last interview event applied.
    pub version: i64,
    /// `None` while the job's topic lags.
    pub job_title: Option<String>,
    /// `None` while the candidate's topic lags or once the candidate was erased.
    pub candidate_name: Option<String>,
}

/// One interviewer's feedback on an interview. For the company only, never for the candidate.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FeedbackView {
    pub interview_id: Uuid,
    pub interviewer_id: Uuid,
    pub company_id: Uuid,
    pub candidate_id: Uuid,
    /// JSON array of `{criterion, rating}` with ratings 1–5.
    pub ratings: serde_json::Value,
    /// The interviewer's private notes; `None` once the candidate was erased.
    pub notes: Option<String>,
    /// `STRONG_HIRE`, `HIRE`, `NO_DECISION`, `NO_HIRE` or `STRONG_NO_HIRE`.
    pub recommendation: String,
    pub submitted_at: DateTime<Utc>,
}

/// The released result of one interview as its candidate may see it: no interviewer ids, no
/// notes.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ResultView {
    pub interview_id: Uuid,
    pub job_title: Option<String>,
    pub round: i16,
    pub kind: String,
    pub completed_at: Option<DateTime<Utc>>,
    /// Average rating per criterion over all feedbacks, criteria A–Z.
    #[sqlx(json)]
    pub criteria: Vec<CriterionAverage>,
    /// Every interviewer's recommendation, in the order they were submitted.
    pub recommendations: Vec<String>,
}

/// One criterion's average over the feedbacks of an interview.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CriterionAverage {
    /// As the first feedback spelled it; criteria are grouped case-insensitively.
    pub criterion: String,
    /// Mean of the 1–5 ratings.
    pub average: f64,
    /// How many ratings the mean is over.
    pub ratings: i64,
}

/// Filters of [`list_interviews`]; every field set narrows the list.
#[derive(Debug, Default, Clone)]
pub struct InterviewFilter {
    pub company_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    /// Interviews this employee is one of the interviewers of.
    pub interviewer_id: Option<Uuid>,
    /// Candidate portal: interviews of the candidate records linked to this user
    /// (`rm_candidates.user_id`).
    pub candidate_user_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub candidate_id: Option<Uuid>,
    /// One of [`INTERVIEW_STATUSES`].
    pub status: Option<String>,
    /// `scheduled_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `scheduled_at < to`.
    pub to: Option<DateTime<Utc>>,
    /// Only COMPLETED interviews with fewer feedbacks than interviewers.
    pub awaiting_feedback: bool,
    pub results_released: Option<bool>,
}

impl InterviewFilter {
    /// The company and status, when this is its whole list or one status of it (totals kept in
    /// `rm_list_counts`).
    fn kept(&self) -> Option<(Uuid, Option<&str>)> {
        let Self {
            company_id: Some(company_id),
            job_id: None,
            interviewer_id: None,
            candidate_user_id: None,
            application_id: None,
            candidate_id: None,
            status,
            from: None,
            to: None,
            awaiting_feedback: false,
            results_released: None,
        } = self
        else {
            return None;
        };
        Some((*company_id, status.as_deref()))
    }
}

/// Order of [`list_interviews`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum InterviewSort {
    /// Earliest first (the agenda order).
    #[default]
    ScheduledAsc,
    ScheduledDesc,
}

const INTERVIEW_SELECT: &str = "SELECT i.interview_id, i.company_id, i.application_id, i.job_id,
    i.candidate_id, i.candidate_user_id, i.round, i.kind, i.mode, i.interviewers, i.scheduled_at,
    i.duration_mins, i.expires_at, i.status, i.status_reason, i.started_at, i.completed_at,
    i.results_released, i.feedback_count, i.created_at, i.updated_at, i.version,
    j.title AS job_title, c.name AS candidate_name";

/// The joins are on primary keys, so Postgres drops the ones a count does not reference.
const INTERVIEW_FROM: &str = " FROM rm_interviews i
    LEFT JOIN rm_jobs j ON j.job_id = i.job_id
    LEFT JOIN rm_candidates c ON c.candidate_id = i.candidate_id";

const FEEDBACK_COLUMNS: &str = "interview_id, interviewer_id, company_id, candidate_id, ratings,
    notes, recommendation, submitted_at";

/// Per released interview: the criteria averages (grouped case-insensitively) and the
/// recommendations, without interviewer ids or notes.
const RESULTS_SQL: &str = "SELECT i.interview_id, j.title AS job_title, i.round, i.kind,
    i.completed_at,
    COALESCE((SELECT jsonb_agg(jsonb_build_object('criterion', g.criterion,
                  'average', g.average, 'ratings', g.ratings) ORDER BY lower(g.criterion))
              FROM (SELECT (array_agg(r->>'criterion' ORDER BY f.submitted_at))[1] AS criterion,
                           avg((r->>'rating')::numeric)::float8 AS average,
                           count(*) AS ratings
                    FROM rm_interview_feedback f
                    CROSS JOIN LATERAL jsonb_array_elements(f.ratings) AS r
                    WHERE f.interview_id = i.interview_id
                    GROUP BY lower(r->>'criterion')) g), '[]'::jsonb) AS criteria,
    ARRAY(SELECT f.recommendation FROM rm_interview_feedback f
          WHERE f.interview_id = i.interview_id
          ORDER BY f.submitted_at, f.interviewer_id) AS recommendations
    FROM rm_interviews i
    LEFT JOIN rm_jobs j ON j.job_id = i.job_id
    WHERE i.results_released
      AND i.candidate_id IN (SELECT candidate_id FROM rm_candidates WHERE user_id = $1)
    ORDER BY i.completed_at DESC NULLS LAST, i.scheduled_at DESC, i.interview_id DESC";

#[tracing::instrument(skip(pool))]
pub async fn get_interview(
    pool: &PgPool,
    interview_id: Uuid,
) -> Result<Option<InterviewView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "{INTERVIEW_SELECT}{INTERVIEW_FROM} WHERE i.interview_id = $1"
    ))
    .bind(interview_id)
    .fetch_optional(pool)
    .await?)
}

/// The feedbacks of an interview, first submitted first. Contains notes: company users only.
#[tracing::instrument(skip(pool))]
pub async fn interview_feedback(
    pool: &PgPool,
    interview_id: Uuid,
) -> Result<Vec<FeedbackView>, QueryError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FEEDBACK_COLUMNS} FROM rm_interview_feedback WHERE interview_id = $1
         ORDER BY submitted_at, interviewer_id"
    ))
    .bind(interview_id)
    .fetch_all(pool)
    .await?)
}

/// Interviews matching `filter`, in `sort` order.
#[tracing::instrument(skip(pool, filter))]
pub async fn list_interviews(
    pool: &PgPool,
    filter: &InterviewFilter,
    sort: InterviewSort,
    page: u32,
    page_size: u32,
) -> Result<Page<InterviewView>, QueryError> {
    validate(filter, page, page_size)?;
    let total = match filter.kept() {
        Some((company_id, status)) => kept_total(pool, company_id, "interviews", status).await?,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*)");
            count.push(INTERVIEW_FROM);
            push_where(&mut count, filter);
            count.build_query_scalar().fetch_one(pool).await?
        }
    };

    let mut list = QueryBuilder::new("");
    push_list(&mut list, filter, sort, page, page_size);
    let items: Vec<InterviewView> = list.build_query_as().fetch_all(pool).await?;
    Ok(page_of(items, total, page, page_size))
}

/// The plan of the statement [`list_interviews`] runs for these arguments.
#[tracing::instrument(skip(pool, filter))]
pub async fn explain_list_interviews(
    pool: &PgPool,
    filter: &InterviewFilter,
    sort: InterviewSort,
    page: u32,
    page_size: u32,
) -> Result<String, QueryError> {
    validate(filter, page, page_size)?;
    let mut qb = QueryBuilder::new(EXPLAIN);
    push_list(&mut qb, filter, sort, page, page_size);
    run_explain(pool, qb).await
}

/// The released results of every interview of the candidate records linked to the portal user
/// `candidate_user_id`, most recently completed first.
#[tracing::instrument(skip(pool))]
pub async fn released_results(
    pool: &PgPool,
    candidate_user_id: Uuid,
) -> Result<Vec<ResultView>, QueryError> {
    Ok(sqlx::query_as(RESULTS_SQL)
        .bind(candidate_user_id)
        .fetch_all(pool)
        .await?)
}

fn validate(filter: &InterviewFilter, page: u32, page_size: u32) -> Result<(), QueryError> {
    check_page(page, page_size)?;
    check_filter(filter.status.as_deref(), INTERVIEW_STATUSES, "status")
}

/// `i.company_id = .. [AND i.status = ..]` ordered by time is an index scan of
/// `rm_interviews_company_time` / `rm_interviews_company_status`; `interviewer_id` uses the GIN
/// index on `interviewers`.
fn push_where(qb: &mut QueryBuilder<'static, Postgres>, f: &InterviewFilter) {
    let mut c = Conds::default();
    if let Some(v) = f.company_id {
        c.next(qb).push("i.company_id = ").push_bind(v);
    }
    if f.awaiting_feedback {
        c.next(qb)
            .push("i.status = 'COMPLETED' AND i.feedback_count < cardinality(i.interviewers)");
    }
    if let Some(v) = &f.status {
        c.next(qb).push("i.status = ").push_bind(v.clone());
    }
    if let Some(v) = f.job_id {
        c.next(qb).push("i.job_id = ").push_bind(v);
    }
    if let Some(v) = f.interviewer_id {
        c.next(qb)
            .push("i.interviewers @> ARRAY[")
            .push_bind(v)
            .push("]::uuid[]");
    }
    if let Some(v) = f.candidate_user_id {
        c.next(qb).push("c.user_id = ").push_bind(v);
    }
    if let Some(v) = f.application_id {
        c.next(qb).push("i.application_id = ").push_bind(v);
    }
    if let Some(v) = f.candidate_id {
        c.next(qb).push("i.candidate_id = ").push_bind(v);
    }
    if let Some(v) = f.from {
        c.next(qb).push("i.scheduled_at >= ").push_bind(v);
    }
    if let Some(v) = f.to {
        c.next(qb).push("i.scheduled_at < ").push_bind(v);
    }
    if let Some(v) = f.results_released {
        c.next(qb).push("i.results_released = ").push_bind(v);
    }
}

fn push_list(
    qb: &mut QueryBuilder<'static, Postgres>,
    f: &InterviewFilter,
    sort: InterviewSort,
    page: u32,
    page_size: u32,
) {
    qb.push(INTERVIEW_SELECT).push(INTERVIEW_FROM);
    push_where(qb, f);
    qb.push(match sort {
        InterviewSort::ScheduledAsc => " ORDER BY i.scheduled_at, i.interview_id",
        InterviewSort::ScheduledDesc => " ORDER BY i.scheduled_at DESC, i.interview_id DESC",
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
    fn interviewer_filter_uses_array_containment() {
        let f = InterviewFilter {
            interviewer_id: Some(Uuid::nil()),
            awaiting_feedback: true,
            ..InterviewFilter::default()
        };
        let mut qb = QueryBuilder::new("SELECT count(*)");
        push_where(&mut qb, &f);
        assert_eq!(
            qb.sql(),
            "SELECT count(*) WHERE i.status = 'COMPLETED' AND i.feedback_count < \
             cardinality(i.interviewers) AND i.interviewers @> ARRAY[$1]::uuid[]"
        );
    }

    #[test]
    fn results_never_select_notes_or_interviewers() {
        assert!(!RESULTS_SQL.contains("notes"));
        assert!(!RESULTS_SQL.contains("interviewers"));
        assert!(!RESULTS_SQL.contains("SELECT f.interviewer_id"));
    }

    #[test]
    fn unknown_status_is_rejected() {
        let f = InterviewFilter {
            status: Some("DONE".into()),
            ..InterviewFilter::default()
        };
        assert!(matches!(
            validate(&f, 1, 10),
            Err(QueryError::InvalidFilter("status"))
        ));
    }
}
