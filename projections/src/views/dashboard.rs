//! The hiring dashboard of a company, or of one of its jobs.

use super::interviews::{InterviewFilter, InterviewSort, InterviewView, list_interviews};
use super::{APPLICATION_STAGES, APPLICATION_STATUSES};
use crate::queries::QueryError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;
use uuid::Uuid;

/// How many interviews each dashboard list shows.
const DASHBOARD_INTERVIEWS: u32 = 10;

/// Pipeline figures of a company (or of one job when `job_id` is set).
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub company_id: Uuid,
    pub job_id: Option<Uuid>,
    /// Current applications per status: all eight statuses in workflow order, zeros included.
    pub status_counts: Vec<StatusCount>,
    /// Conversion between consecutive workflow stages, APPLIED→SCREENING … OFFERED→HIRED.
    pub conversions: Vec<Conversion>,
    /// Median time spent in each stage that can be left (APPLIED … OFFERED).
    pub stage_durations: Vec<StageDuration>,
    /// The next scheduled interviews from `now`, earliest first (at most 10).
    pub upcoming_interviews: Vec<InterviewView>,
    /// Completed interviews still missing feedback, oldest first (at most 10).
    pub awaiting_feedback: Vec<InterviewView>,
    /// How many completed interviews are missing feedback in all.
    pub awaiting_feedback_total: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// Of the applications that ever entered `from`, how many also entered `to`.
#[derive(Debug, Clone, Serialize)]
pub struct Conversion {
    pub from: String,
    pub to: String,
    /// Distinct applications that ever entered `from`.
    pub entered_from: i64,
    /// Distinct applications that ever entered `to`.
    pub entered_to: i64,
    /// `entered_to / entered_from`; `None` when nothing entered `from`. Can exceed 1 where
    /// scheduling an interview moved an application past stages it never entered.
    pub rate: Option<f64>,
}

/// Time applications spent in one status before their next transition.
#[derive(Debug, Clone, Serialize)]
pub struct StageDuration {
    pub status: String,
    /// Median in seconds over the applications that left the status; `None` without samples.
    pub median_seconds: Option<f64>,
    /// How many stays (applications that entered and then left the status) it is over.
    pub samples: i64,
}

/// Distinct applications that ever entered each status.
const ENTERED_SQL: &str = "SELECT to_status, count(DISTINCT application_id)
    FROM rm_application_transitions WHERE company_id = ";

/// Time in a status = the next transition's time minus this one's, per application. Company and
/// job are the same on every transition of an application, so filtering before the window is
/// safe.
const DURATIONS_SQL: &str = "SELECT to_status,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median_seconds,
    count(*) AS samples
    FROM (SELECT to_status,
                 extract(epoch FROM lead(at) OVER (PARTITION BY application_id ORDER BY sequence)
                     - at)::float8 AS seconds
          FROM rm_application_transitions WHERE company_id = ";

#[tracing::instrument(skip(pool))]
pub async fn dashboard(
    pool: &PgPool,
    company_id: Uuid,
    job_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Dashboard, QueryError> {
    let scope = |qb: &mut QueryBuilder<'static, Postgres>| {
        qb.push_bind(company_id);
        if let Some(j) = job_id {
            qb.push(" AND job_id = ").push_bind(j);
        }
    };

    let mut q =
        QueryBuilder::new("SELECT status, count(*) FROM rm_applications WHERE company_id = ");
    scope(&mut q);
    q.push(" GROUP BY status");
    let counts: HashMap<String, i64> = q
        .build_query_as::<(String, i64)>()
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect();

    let mut q = QueryBuilder::new(ENTERED_SQL);
    scope(&mut q);
    q.push(" GROUP BY to_status");
    let entered: HashMap<String, i64> = q
        .build_query_as::<(String, i64)>()
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect();

    let mut q = QueryBuilder::new(DURATIONS_SQL);
    scope(&mut q);
    q.push(") t WHERE seconds IS NOT NULL GROUP BY to_status");
    let durations: HashMap<String, (Option<f64>, i64)> = q
        .build_query_as::<(String, Option<f64>, i64)>()
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(s, median, n)| (s, (median, n)))
        .collect();

    let scoped = InterviewFilter {
        company_id: Some(company_id),
        job_id,
        ..InterviewFilter::default()
    };
    let upcoming = InterviewFilter {
        status: Some("SCHEDULED".to_owned()),
        from: Some(now),
        ..scoped.clone()
    };
    let upcoming = list_interviews(
        pool,
        &upcoming,
        InterviewSort::ScheduledAsc,
        1,
        DASHBOARD_INTERVIEWS,
    )
    .await?;
    let awaiting = InterviewFilter {
        awaiting_feedback: true,
        ..scoped
    };
    let awaiting = list_interviews(
        pool,
        &awaiting,
        InterviewSort::ScheduledAsc,
        1,
        DASHBOARD_INTERVIEWS,
    )
    .await?;

    Ok(Dashboard {
        company_id,
        job_id,
        status_counts: status_counts(&counts),
        conversions: conversions(&entered),
        stage_durations: stage_durations(&durations),
        upcoming_interviews: upcoming.items,
        awaiting_feedback: awaiting.items,
        awaiting_feedback_total: i64::try_from(awaiting.total).unwrap_or(i64::MAX),
    })
}

fn status_counts(counts: &HashMap<String, i64>) -> Vec<StatusCount> {
    APPLICATION_STATUSES
        .iter()
        .map(|s| StatusCount {
            status: (*s).to_owned(),
            count: counts.get(*s).copied().unwrap_or(0),
        })
        .collect()
}

fn conversions(entered: &HashMap<String, i64>) -> Vec<Conversion> {
    let n = |s: &str| entered.get(s).copied().unwrap_or(0);
    APPLICATION_STAGES
        .windows(2)
        .map(|w| {
            let (entered_from, entered_to) = (n(w[0]), n(w[1]));
            Conversion {
                from: w[0].to_owned(),
                to: w[1].to_owned(),
                entered_from,
                entered_to,
                // Counts of applications: far below 2^53, exact as f64.
                rate: (entered_from > 0).then(|| entered_to as f64 / entered_from as f64),
            }
        })
        .collect()
}

fn stage_durations(durations: &HashMap<String, (Option<f64>, i64)>) -> Vec<StageDuration> {
    // Every stage but the last (HIRED) can be left; the exits cannot.
    let leavable = &APPLICATION_STAGES[..APPLICATION_STAGES.len() - 1];
    leavable
        .iter()
        .map(|s| {
            let (median_seconds, samples) = durations.get(*s).copied().unwrap_or((None, 0));
            StageDuration {
                status: (*s).to_owned(),
                median_seconds,
                samples,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map<V: Copy>(pairs: &[(&str, V)]) -> HashMap<String, V> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn every_status_is_counted_in_order() {
        let counts = status_counts(&map(&[("HIRED", 2), ("APPLIED", 5)]));
        let got: Vec<_> = counts
            .iter()
            .map(|c| (c.status.as_str(), c.count))
            .collect();
        assert_eq!(got.len(), 8);
        assert_eq!(got[0], ("APPLIED", 5));
        assert_eq!(got[1], ("SCREENING", 0));
        assert_eq!(got[5], ("HIRED", 2));
        assert_eq!(got[7], ("WITHDRAWN", 0));
    }

    #[test]
    fn conversions_chain_consecutive_stages() {
        let conv = conversions(&map(&[("APPLIED", 4), ("SCREENING", 2)]));
        assert_eq!(conv.len(), 5);
        assert_eq!(
            (conv[0].from.as_str(), conv[0].to.as_str()),
            ("APPLIED", "SCREENING")
        );
        assert_eq!(conv[0].rate, Some(0.5));
        assert_eq!(conv[1].rate, Some(0.0));
        assert_eq!(conv[2].rate, None);
        assert_eq!(
            (conv[4].from.as_str(), conv[4].to.as_str()),
            ("OFFERED", "HIRED")
        );
    }

    #[test]
    fn durations_cover_the_leavable_stages() {
        let d = stage_durations(&map(&[("SCREENING", (Some(60.0), 3))]));
        let names: Vec<_> = d.iter().map(|s| s.status.as_str()).collect();
        assert_eq!(
            names,
            [
                "APPLIED",
                "SCREENING",
                "SHORTLISTED",
                "INTERVIEW_SCHEDULED",
                "OFFERED"
            ]
        );
        assert_eq!((d[1].median_seconds, d[1].samples), (Some(60.0), 3));
        assert_eq!((d[0].median_seconds, d[0].samples), (None, 0));
    }
}
