//! `rm_jobs` and `rm_job_questions` from the job topic.

use super::{one_row, wire};
use crate::envelope::Envelope;
use anyhow::Context as _;
use hireledger_schemas::JobEventV1;
use hireledger_schemas::job::{JobDetailsV1, QuestionV1};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

async fn set_status(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
    status: &str,
) -> anyhow::Result<()> {
    let done = sqlx::query(
        "UPDATE rm_jobs SET status = $2, updated_at = $3, version = $4,
             opened_at = CASE WHEN $2 = 'OPEN' THEN COALESCE(opened_at, $3) ELSE opened_at END,
             closed_at = CASE WHEN $2 = 'CLOSED' THEN $3 ELSE closed_at END
         WHERE job_id = $1",
    )
    .bind(env.aggregate_id)
    .bind(status)
    .bind(env.recorded_at)
    .bind(env.sequence)
    .execute(&mut **tx)
    .await
    .context("updating the job status")?;
    one_row(done, "job status")
}

async fn set_details(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
    d: &JobDetailsV1,
) -> anyhow::Result<()> {
    let done = sqlx::query(
        "UPDATE rm_jobs SET title = $2, description = $3, requirements = $4, department = $5,
             location = $6, employment_type = $7, salary_currency = $8, salary_min = $9,
             salary_max = $10, skills = $11, updated_at = $12, version = $13
         WHERE job_id = $1",
    )
    .bind(env.aggregate_id)
    .bind(&d.title)
    .bind(&d.description)
    .bind(&d.requirements)
    .bind(&d.department)
    .bind(&d.location)
    .bind(wire(&d.employment_type)?)
    .bind(d.salary.as_ref().map(|s| s.currency.clone()))
    .bind(
        d.salary
            .as_ref()
            .map(|s| i64::try_from(s.min).unwrap_or(i64::MAX)),
    )
    .bind(
        d.salary
            .as_ref()
            .map(|s| i64::try_from(s.max).unwrap_or(i64::MAX)),
    )
    .bind(serde_json::to_value(&d.skills)?)
    .bind(env.recorded_at)
    .bind(env.sequence)
    .execute(&mut **tx)
    .await
    .context("updating the job details")?;
    one_row(done, "job details")
}

async fn touch(tx: &mut Transaction<'_, Postgres>, env: &Envelope) -> anyhow::Result<()> {
    let done = sqlx::query(
        "UPDATE rm_jobs SET updated_at = $2, version = $3,
             question_count = (SELECT count(*) FROM rm_job_questions WHERE job_id = $1)
         WHERE job_id = $1",
    )
    .bind(env.aggregate_id)
    .bind(env.recorded_at)
    .bind(env.sequence)
    .execute(&mut **tx)
    .await
    .context("updating the job")?;
    one_row(done, "job")
}

async fn upsert_question(
    tx: &mut Transaction<'_, Postgres>,
    job_id: Uuid,
    question_id: Uuid,
    q: &QuestionV1,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO rm_job_questions (job_id, question_id, position, text, category, difficulty,
             weight, ideal_answer, rubric, expected_duration_secs)
         VALUES ($1, $2,
             (SELECT COALESCE(max(position), 0) + 1 FROM rm_job_questions WHERE job_id = $1),
             $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (job_id, question_id) DO UPDATE SET text = EXCLUDED.text,
             category = EXCLUDED.category, difficulty = EXCLUDED.difficulty,
             weight = EXCLUDED.weight, ideal_answer = EXCLUDED.ideal_answer,
             rubric = EXCLUDED.rubric, expected_duration_secs = EXCLUDED.expected_duration_secs",
    )
    .bind(job_id)
    .bind(question_id)
    .bind(&q.text)
    .bind(wire(&q.category)?)
    .bind(wire(&q.difficulty)?)
    .bind(i16::from(q.weight))
    .bind(q.ideal_answer.as_deref())
    .bind(serde_json::to_value(&q.rubric)?)
    .bind(i32::try_from(q.expected_duration_secs).unwrap_or(i32::MAX))
    .execute(&mut **tx)
    .await
    .context("writing a question")?;
    Ok(())
}

pub(super) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
    event: &JobEventV1,
) -> anyhow::Result<()> {
    let id = env.aggregate_id;
    match event {
        JobEventV1::JobCreated(e) => {
            anyhow::ensure!(e.job_id == id, "job_id differs from the subject {id}");
            let d = &e.details;
            sqlx::query(
                "INSERT INTO rm_jobs (job_id, company_id, status, title, description, requirements,
                     department, location, employment_type, salary_currency, salary_min,
                     salary_max, skills, pass_threshold, fail_threshold, human_review_required,
                     created_by, created_at, updated_at, version)
                 VALUES ($1, $2, 'DRAFT', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                     $15, $16, $17, $17, $18)",
            )
            .bind(id)
            .bind(e.company_id)
            .bind(&d.title)
            .bind(&d.description)
            .bind(&d.requirements)
            .bind(&d.department)
            .bind(&d.location)
            .bind(wire(&d.employment_type)?)
            .bind(d.salary.as_ref().map(|s| s.currency.clone()))
            .bind(
                d.salary
                    .as_ref()
                    .map(|s| i64::try_from(s.min).unwrap_or(i64::MAX)),
            )
            .bind(
                d.salary
                    .as_ref()
                    .map(|s| i64::try_from(s.max).unwrap_or(i64::MAX)),
            )
            .bind(serde_json::to_value(&d.skills)?)
            .bind(e.thresholds.map(|t| i16::from(t.pass)))
            .bind(e.thresholds.map(|t| i16::from(t.fail)))
            .bind(e.human_review_required)
            .bind(e.created_by)
            .bind(env.recorded_at)
            .bind(env.sequence)
            .execute(&mut **tx)
            .await
            .context("inserting the job")?;
            Ok(())
        }
        JobEventV1::JobUpdated(e) => set_details(tx, env, &e.details).await,
        JobEventV1::JobOpened(_) => set_status(tx, env, "OPEN").await,
        JobEventV1::JobPaused(_) => set_status(tx, env, "PAUSED").await,
        JobEventV1::JobClosed(_) => set_status(tx, env, "CLOSED").await,
        JobEventV1::JobThresholdsChanged(e) => {
            let done = sqlx::query(
                "UPDATE rm_jobs SET pass_threshold = $2, fail_threshold = $3, updated_at = $4,
                     version = $5 WHERE job_id = $1",
            )
            .bind(id)
            .bind(e.thresholds.map(|t| i16::from(t.pass)))
            .bind(e.thresholds.map(|t| i16::from(t.fail)))
            .bind(env.recorded_at)
            .bind(env.sequence)
            .execute(&mut **tx)
            .await
            .context("updating the thresholds")?;
            one_row(done, "job thresholds")
        }
        JobEventV1::JobReviewPolicyChanged(e) => {
            let done = sqlx::query(
                "UPDATE rm_jobs SET human_review_required = $2, updated_at = $3, version = $4
                 WHERE job_id = $1",
            )
            .bind(id)
            .bind(e.human_review_required)
            .bind(env.recorded_at)
            .bind(env.sequence)
            .execute(&mut **tx)
            .await
            .context("updating the review policy")?;
            one_row(done, "job review policy")
        }
        JobEventV1::QuestionAdded(e) => {
            upsert_question(tx, id, e.question_id, &e.question).await?;
            touch(tx, env).await
        }
        JobEventV1::QuestionEdited(e) => {
            upsert_question(tx, id, e.question_id, &e.question).await?;
            touch(tx, env).await
        }
        JobEventV1::QuestionsReordered(e) => {
            for (position, qid) in e.order.iter().enumerate() {
                sqlx::query(
                    "UPDATE rm_job_questions SET position = $3 WHERE job_id = $1 AND question_id = $2",
                )
                .bind(id)
                .bind(qid)
                .bind(i32::try_from(position + 1).unwrap_or(i32::MAX))
                .execute(&mut **tx)
                .await
                .context("reordering questions")?;
            }
            touch(tx, env).await
        }
        JobEventV1::QuestionRemoved(e) => {
            sqlx::query("DELETE FROM rm_job_questions WHERE job_id = $1 AND question_id = $2")
                .bind(id)
                .bind(e.question_id)
                .execute(&mut **tx)
                .await
                .context("removing a question")?;
            touch(tx, env).await
        }
    }
}
