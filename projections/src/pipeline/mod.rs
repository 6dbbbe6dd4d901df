//! The `pipeline` projector: jobs, candidates, applications and interviews (the `rm_jobs`,
//! `rm_job_questions`, `rm_candidates`, `rm_applications`, `rm_application_transitions`,
//! `rm_interviews` and `rm_interview_feedback` read models).
//!
//! - **Versions apart from rows.** The last sequence applied per aggregate is kept in
//!   `rm_pipeline_versions`, so rows may be deleted while redelivered events are still recognised
//!   as duplicates.
//! - **Deletion is real.** `CandidateDeleted` removes the candidate and every row about them
//!   (applications, transitions, interviews, feedback) and leaves a tombstone in
//!   `rm_deleted_candidates`: events of other topics that arrive later (Kafka orders per aggregate
//!   only) write nothing for that candidate. The tombstone check and the rows written after it
//!   serialise with the deletion through a transaction advisory lock on the candidate
//!   ([`lock_candidate`]), so instances racing on other topics leave no orphan row.
//! - **Personal values** (candidate name, e-mail, phone, qualifications, feedback notes) and free
//!   text that can describe the candidate (position, tags, rejection/withdrawal and cancellation
//!   reasons, rating criteria) arrive sealed and are opened with the [`Vault`]; a destroyed key
//!   opens as `NULL` (a tag or criterion that cannot be opened is left out), so a rebuild after a
//!   deletion never brings the data back. The opened values stay in the read models for lists and
//!   filters (`?tag=`) and go with the candidate's rows on `CandidateDeleted`. Text written before
//!   it was sealed arrives clear and is kept as it is.
//! - Rows never join across topics at write time; the queries in [`crate::views`] join at read
//!   time.

mod applications;
mod candidates;
mod interviews;
mod jobs;

use crate::envelope::Envelope;
use crate::runner::Projector;
use anyhow::Context as _;
use hireledger_infra::settings::topic_name;
use hireledger_infra::vault::{Field, Vault};
use hireledger_schemas::common::{PersonalTextV2, SealedV1};
use hireledger_schemas::{
    ApplicationEventV1, CandidateEventV1, InterviewEventV1, JobEventV1, PublishedEvent,
};
use serde::Serialize;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// Name of the pipeline projector (its key in `projection_offsets`).
pub const PIPELINE_PROJECTOR: &str = "pipeline";

/// The aggregate types the pipeline projector consumes.
pub const PIPELINE_AGGREGATES: [&str; 4] = [
    JobEventV1::AGGREGATE_TYPE,
    CandidateEventV1::AGGREGATE_TYPE,
    ApplicationEventV1::AGGREGATE_TYPE,
    InterviewEventV1::AGGREGATE_TYPE,
];

/// The topics the pipeline projector consumes: `<prefix>.job`, `.candidate`, `.application`,
/// `.interview`.
pub fn pipeline_topics(prefix: &str) -> Vec<String> {
    PIPELINE_AGGREGATES
        .iter()
        .map(|t| topic_name(prefix, t))
        .collect()
}

/// Maintains the pipeline read models.
#[derive(Debug, Clone)]
pub struct PipelineProjector {
    vault: Vault,
}

impl PipelineProjector {
    pub fn new(vault: Vault) -> Self {
        Self { vault }
    }

    /// Opens a sealed value; `None` when its subject was erased.
    async fn open(&self, sealed: &SealedV1, field: Field) -> anyhow::Result<Option<String>> {
        let sealed = hireledger_domain::Sealed {
            subject: sealed.subject,
            ct: sealed.ct.clone(),
        };
        self.vault
            .open(&sealed, field)
            .await
            .map_err(|e| anyhow::Error::new(e).context("opening a sealed value"))
    }

    async fn open_opt(
        &self,
        sealed: Option<&SealedV1>,
        field: Field,
    ) -> anyhow::Result<Option<String>> {
        match sealed {
            Some(s) => self.open(s, field).await,
            None => Ok(None),
        }
    }

    /// Opens free text about a candidate: clear text (written before it was sealed) as it is, a
    /// sealed one with the vault; `None` when its subject was erased.
    async fn open_text(
        &self,
        text: &PersonalTextV2,
        field: Field,
    ) -> anyhow::Result<Option<String>> {
        match text {
            PersonalTextV2::Clear(t) => Ok(Some(t.clone())),
            PersonalTextV2::Sealed(s) => self.open(s, field).await,
        }
    }

    async fn open_text_opt(
        &self,
        text: Option<&PersonalTextV2>,
        field: Field,
    ) -> anyhow::Result<Option<String>> {
        match text {
            Some(t) => self.open_text(t, field).await,
            None => Ok(None),
        }
    }
}

/// The wire name of a published enum value (`"FULL_TIME"`, `"APPLIED"`, ...).
fn wire(value: &impl Serialize) -> anyhow::Result<String> {
    match serde_json::to_value(value).context("naming an enum value")? {
        serde_json::Value::String(s) => Ok(s),
        other => anyhow::bail!("expected an enum name, got {other}"),
    }
}

/// First key of the transaction advisory locks on a candidate (the second is a hash of the id).
/// Two int4 keys like the partition leases (`runner/leases.rs`), whose first key is a hash of the
/// projector and topic names: sharing a key would take that hash equal to this constant *and*
/// a partition number equal to a candidate's hash.
const CANDIDATE_LOCK_SPACE: i32 = 0x4843_4e44; // "HCND"

/// Serialises a candidate's tombstone with the rows written about them: writers of rows take the
/// lock shared (they run side by side), the deletion takes it exclusive. Without it, two
/// instances working on different topics could interleave as "check: no tombstone" → "delete
/// rows, write tombstone, commit" → "insert the row, commit" and leave an orphan row. Held until
/// the transaction ends; a deadlock between two batches aborts one, which the runner retries.
async fn lock_candidate(
    tx: &mut Transaction<'_, Postgres>,
    candidate_id: Uuid,
    exclusive: bool,
) -> anyhow::Result<()> {
    let sql = if exclusive {
        "SELECT pg_advisory_xact_lock($1, hashtext($2::text))"
    } else {
        "SELECT pg_advisory_xact_lock_shared($1, hashtext($2::text))"
    };
    sqlx::query(sql)
        .bind(CANDIDATE_LOCK_SPACE)
        .bind(candidate_id)
        .execute(&mut **tx)
        .await
        .context("locking the candidate")?;
    Ok(())
}

/// Whether `candidate_id` was deleted (its rows must not come back). Takes the candidate's lock
/// shared first, so the answer holds until the transaction ends (see [`lock_candidate`]).
async fn candidate_deleted(
    tx: &mut Transaction<'_, Postgres>,
    candidate_id: Uuid,
) -> anyhow::Result<bool> {
    lock_candidate(tx, candidate_id, false).await?;
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM rm_deleted_candidates WHERE candidate_id = $1)",
    )
    .bind(candidate_id)
    .fetch_one(&mut **tx)
    .await
    .context("checking for a deleted candidate")
}

/// Checks that an UPDATE found its row; a missing row means an earlier event was not applied.
fn one_row(done: sqlx::postgres::PgQueryResult, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(done.rows_affected() == 1, "{what}: no row to update");
    Ok(())
}

#[async_trait::async_trait]
impl Projector for PipelineProjector {
    fn name(&self) -> &str {
        PIPELINE_PROJECTOR
    }

    async fn applied_version(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
    ) -> anyhow::Result<i64> {
        let version: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM rm_pipeline_versions WHERE aggregate_id = $1 FOR UPDATE",
        )
        .bind(env.aggregate_id)
        .fetch_optional(&mut **tx)
        .await
        .context("reading the applied version")?;
        Ok(version.unwrap_or(0))
    }

    async fn apply(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
    ) -> anyhow::Result<()> {
        match &env.event {
            PublishedEvent::Job(e) => jobs::apply(tx, env, e).await?,
            PublishedEvent::Candidate(e) => self.apply_candidate(tx, env, e).await?,
            PublishedEvent::Application(e) => self.apply_application(tx, env, e).await?,
            PublishedEvent::Interview(e) => self.apply_interview(tx, env, e).await?,
            other => anyhow::bail!(
                "the pipeline projector does not consume {} events",
                other.aggregate_type()
            ),
        }
        sqlx::query(
            "INSERT INTO rm_pipeline_versions (aggregate_id, version) VALUES ($1, $2)
             ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version",
        )
        .bind(env.aggregate_id)
        .bind(env.sequence)
        .execute(&mut **tx)
        .await
        .context("recording the applied version")?;
        Ok(())
    }
}

/// Runs the pipeline projector with the process settings until `shutdown` completes (see
/// [`crate::run_identity`], which this mirrors).
pub async fn run_pipeline(
    pool: sqlx::PgPool,
    common: &hireledger_infra::CommonSettings,
    group_id: &str,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let vault = Vault::new(pool.clone(), &common.master_key).context("opening the vault")?;
    let topics = pipeline_topics(&common.topic_prefix);
    hireledger_infra::kafka::ensure_topics(&common.kafka_brokers, &topics, common.topic_partitions)
        .await?;
    crate::run_projector(
        pool,
        &common.kafka_brokers,
        group_id,
        topics,
        std::sync::Arc::new(PipelineProjector::new(vault)),
        shutdown,
    )
    .await
}
