//! Read-side queries over the hiring-pipeline read models (`rm_jobs`, `rm_candidates`,
//! `rm_applications`, `rm_interviews`, …) that the `pipeline` projector fills.
//!
//! Conventions shared by every list:
//! - pages are 1-based, `page_size` 1..=[`MAX_PAGE_SIZE`](crate::queries::MAX_PAGE_SIZE)
//!   ([`QueryError::InvalidPage`] otherwise);
//! - enum-like filters are checked against the `*_STATUSES`/`*_TYPES`/`*_SOURCES` constants here
//!   ([`QueryError::InvalidFilter`] names the filter);
//! - `q` is a case-insensitive substring match; `%` and `_` in it match literally, and a blank `q`
//!   filters nothing;
//! - `*_from` bounds are inclusive, `*_to` bounds exclusive;
//! - each filter combination is its own statement (conditions are only written when set), so the
//!   planner sees the literal predicate and picks the matching index. The `explain_list_*`
//!   functions run `EXPLAIN` on exactly the statement the list runs.
//!
//! Rows join across read models at read time with `LEFT JOIN`, because the projector never joins
//! at write time (topics are ordered per aggregate only): a joined name or title is `None` while
//! the other topic lags, or once the candidate was erased.

pub mod applications;
pub mod candidates;
pub mod dashboard;
pub mod interviews;
pub mod jobs;
#[cfg(test)]
mod log_tests;

pub use applications::{
    ApplicationFilter, ApplicationSort, ApplicationView, explain_list_applications,
    get_application, list_applications,
};
pub use candidates::{
    CandidateFilter, CandidateSort, CandidateView, explain_list_candidates, get_candidate,
    list_candidates,
};
pub use dashboard::{Conversion, Dashboard, StageDuration, StatusCount, dashboard};
pub use interviews::{
    CriterionAverage, FeedbackView, InterviewFilter, InterviewSort, InterviewView, ResultView,
    explain_list_interviews, get_interview, interview_feedback, list_interviews, released_results,
};
pub use jobs::{
    JobFilter, JobSort, JobView, QuestionView, explain_list_jobs, get_job, job_questions,
    list_jobs, public_jobs,
};

use crate::queries::QueryError;
use sqlx::{PgPool, Postgres, QueryBuilder};

/// Job statuses in `rm_jobs.status`.
pub const JOB_STATUSES: &[&str] = &["DRAFT", "OPEN", "PAUSED", "CLOSED"];
/// Employment types in `rm_jobs.employment_type`.
pub const EMPLOYMENT_TYPES: &[&str] = &[
    "FULL_TIME",
    "PART_TIME",
    "CONTRACT",
    "TEMPORARY",
    "INTERNSHIP",
];
/// Candidate sources in `rm_candidates.source`.
pub const CANDIDATE_SOURCES: &[&str] =
    &["MANUAL", "IMPORT", "PORTAL", "REFERRAL", "AGENCY", "OTHER"];
/// Application statuses in `rm_applications.status`: the workflow in order, then the two exits.
pub const APPLICATION_STATUSES: &[&str] = &[
    "APPLIED",
    "SCREENING",
    "SHORTLISTED",
    "INTERVIEW_SCHEDULED",
    "OFFERED",
    "HIRED",
    "REJECTED",
    "WITHDRAWN",
];
/// The application workflow without its exits (REJECTED, WITHDRAWN), in order.
pub const APPLICATION_STAGES: &[&str] = &[
    "APPLIED",
    "SCREENING",
    "SHORTLISTED",
    "INTERVIEW_SCHEDULED",
    "OFFERED",
    "HIRED",
];
/// Interview statuses in `rm_interviews.status`.
pub const INTERVIEW_STATUSES: &[&str] = &[
    "SCHEDULED",
    "IN_PROGRESS",
    "COMPLETED",
    "CANCELLED",
    "NO_SHOW",
];

/// What the `explain_list_*` functions put in front of the list statement.
const EXPLAIN: &str = "EXPLAIN (FORMAT TEXT) ";

/// Writes ` WHERE ` before the first condition of a statement and ` AND ` before the others.
#[derive(Debug, Default)]
struct Conds {
    any: bool,
}

impl Conds {
    /// Starts the next condition; push it onto the returned builder.
    fn next<'b, 'q>(
        &mut self,
        qb: &'b mut QueryBuilder<'q, Postgres>,
    ) -> &'b mut QueryBuilder<'q, Postgres> {
        qb.push(if self.any { " AND " } else { " WHERE " });
        self.any = true;
        qb
    }
}

/// `q` trimmed, with the `LIKE` wildcards `%`, `_` and the escape character `\` escaped; `None`
/// when blank.
/// The exact total of a company's list (optionally one status of it), kept by the projector in
/// `rm_list_counts` in the same transaction as the rows: a first page costs what its rows cost.
async fn kept_total(
    pool: &PgPool,
    company_id: uuid::Uuid,
    list: &str,
    status: Option<&str>,
) -> Result<i64, QueryError> {
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT n FROM rm_list_counts WHERE company_id = $1 AND list = $2 AND status = $3",
    )
    .bind(company_id)
    .bind(list)
    .bind(status.unwrap_or(""))
    .fetch_optional(pool)
    .await?;
    Ok(n.unwrap_or(0))
}

/// `q` filters nothing (absent or blank), exactly as the list statements decide it.
fn no_text(q: Option<&String>) -> bool {
    like_term(q.map(String::as_str)).is_none()
}

fn like_term(q: Option<&str>) -> Option<String> {
    let q = q?.trim();
    if q.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(q.len());
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    Some(out)
}

/// Pushes `lower(<expr>) LIKE '%' || lower($n) || '%'` (the form the trigram indexes on
/// `lower(..)` serve); `term` comes from [`like_term`].
fn push_contains(qb: &mut QueryBuilder<'static, Postgres>, expr: &str, term: &str) {
    qb.push("lower(")
        .push(expr)
        .push(") LIKE '%' || lower(")
        .push_bind(term.to_owned())
        .push(") || '%'");
}

/// Runs a statement that starts with [`EXPLAIN`] and returns the plan as one text.
async fn run_explain(
    pool: &PgPool,
    mut qb: QueryBuilder<'static, Postgres>,
) -> Result<String, QueryError> {
    let lines: Vec<String> = qb.build_query_scalar().fetch_all(pool).await?;
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_term_escapes_wildcards_and_backslash() {
        assert_eq!(
            like_term(Some("50%_off\\")).as_deref(),
            Some("50\\%\\_off\\\\")
        );
        assert_eq!(like_term(Some("  Ann ")).as_deref(), Some("Ann"));
    }

    #[test]
    fn blank_term_filters_nothing() {
        assert_eq!(like_term(None), None);
        assert_eq!(like_term(Some("   ")), None);
    }

    #[test]
    fn conds_start_with_where_then_and() {
        let mut qb = QueryBuilder::<Postgres>::new("SELECT 1 FROM t");
        let mut c = Conds::default();
        c.next(&mut qb).push("a = ").push_bind(1_i32);
        c.next(&mut qb).push("b = ").push_bind(2_i32);
        assert_eq!(qb.sql(), "SELECT 1 FROM t WHERE a = $1 AND b = $2");
    }

    #[test]
    fn contains_uses_lower_on_both_sides() {
        let mut qb = QueryBuilder::<Postgres>::new("SELECT 1 FROM t WHERE ");
        push_contains(&mut qb, "name", "x");
        assert_eq!(
            qb.sql(),
            "SELECT 1 FROM t WHERE lower(name) LIKE '%' || lower($1) || '%'"
        );
    }

    #[test]
    fn stages_are_the_statuses_without_the_exits() {
        assert_eq!(APPLICATION_STAGES, &APPLICATION_STATUSES[..6]);
    }
}
