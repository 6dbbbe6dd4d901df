//! `rm_candidates` from the candidate topic; `CandidateDeleted` removes the candidate from every
//! pipeline read model.

use super::{PipelineProjector, candidate_deleted, lock_candidate, one_row, wire};
use crate::envelope::Envelope;
use anyhow::Context as _;
use hireledger_schemas::CandidateEventV1;
use hireledger_schemas::candidate::{CandidateCreatedV1, CandidateProfileV1};
use hireledger_schemas::common::SealedV1;
use sqlx::{Postgres, Transaction};

/// The profile's columns, personal values opened (NULL once the key is gone).
struct Columns {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    qualifications: Option<serde_json::Value>,
    source: String,
}

impl PipelineProjector {
    /// Opens the profile's values with one key lookup per subject (all of them are the
    /// candidate's), instead of one per value. The keys live only for this event.
    async fn columns(&self, p: &CandidateProfileV1) -> anyhow::Result<Columns> {
        let sealed = [
            Some(&p.name),
            Some(&p.email),
            p.phone.as_ref(),
            p.qualifications.as_ref(),
        ];
        let mut subjects: Vec<uuid::Uuid> = sealed.iter().flatten().map(|s| s.subject).collect();
        subjects.dedup();
        let vault_error = |e| anyhow::Error::new(e).context("opening a sealed value");
        let keys = self
            .vault
            .keys_for_opening(&subjects)
            .await
            .map_err(vault_error)?;
        // `None` when the subject was erased (its key is gone), like `Vault::open`.
        let open = |s: Option<&SealedV1>| -> anyhow::Result<Option<String>> {
            let Some(s) = s else { return Ok(None) };
            let Some(key) = keys.get(&s.subject) else {
                return Ok(None);
            };
            let sealed = hireledger_domain::Sealed {
                subject: s.subject,
                ct: s.ct.clone(),
            };
            key.open(&sealed).map(Some).map_err(vault_error)
        };
        let qualifications = match open(p.qualifications.as_ref())? {
            Some(json) => Some(
                serde_json::from_str(&json).context("qualifications are not a JSON document")?,
            ),
            None => None,
        };
        Ok(Columns {
            name: open(Some(&p.name))?,
            email: open(Some(&p.email))?,
            phone: open(p.phone.as_ref())?,
            qualifications,
            source: wire(&p.source)?,
        })
    }

    /// `CandidateCreated` in three statements after the applied-version check: the candidate's
    /// lock (while its key is read on another connection), the insert unless the candidate has a
    /// tombstone (checked after the lock, so it holds until the transaction ends, as in
    /// [`candidate_deleted`]), and the version the runner records.
    async fn create_candidate(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
        e: &CandidateCreatedV1,
    ) -> anyhow::Result<()> {
        let id = env.aggregate_id;
        anyhow::ensure!(
            e.candidate_id == id,
            "candidate_id differs from the subject {id}"
        );
        let (locked, columns) =
            tokio::join!(lock_candidate(tx, id, false), self.columns(&e.profile));
        locked?;
        let c = columns?;
        sqlx::query(
            "INSERT INTO rm_candidates (candidate_id, company_id, name, email, phone,
                 qualifications, position, domain, experience_years, source, tags,
                 assigned_to, user_id, import_id, created_by, created_at, updated_at,
                 version)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13, $14,
                 $15, $15, $16
             WHERE NOT EXISTS (SELECT 1 FROM rm_deleted_candidates WHERE candidate_id = $1)",
        )
        .bind(id)
        .bind(e.company_id)
        .bind(c.name)
        .bind(c.email)
        .bind(c.phone)
        .bind(c.qualifications)
        .bind(&e.profile.position)
        .bind(&e.profile.domain)
        .bind(i16::from(e.profile.experience_years))
        .bind(c.source)
        .bind(&e.profile.tags)
        .bind(e.user_id)
        .bind(e.import_id)
        .bind(e.created_by)
        .bind(env.recorded_at)
        .bind(env.sequence)
        .execute(&mut **tx)
        .await
        .context("inserting the candidate")?;
        Ok(())
    }

    pub(super) async fn apply_candidate(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
        event: &CandidateEventV1,
    ) -> anyhow::Result<()> {
        let id = env.aggregate_id;
        if let CandidateEventV1::CandidateCreated(e) = event {
            return self.create_candidate(tx, env, e).await;
        }
        if !matches!(event, CandidateEventV1::CandidateDeleted(_))
            && candidate_deleted(tx, id).await?
        {
            return Ok(());
        }
        match event {
            CandidateEventV1::CandidateCreated(e) => self.create_candidate(tx, env, e).await,
            CandidateEventV1::CandidateUpdated(e) => {
                let c = self.columns(&e.profile).await?;
                let done = sqlx::query(
                    "UPDATE rm_candidates SET name = $2, email = $3, phone = $4,
                         qualifications = $5, position = $6, domain = $7, experience_years = $8,
                         source = $9, tags = $10, updated_at = $11, version = $12
                     WHERE candidate_id = $1",
                )
                .bind(id)
                .bind(c.name)
                .bind(c.email)
                .bind(c.phone)
                .bind(c.qualifications)
                .bind(&e.profile.position)
                .bind(&e.profile.domain)
                .bind(i16::from(e.profile.experience_years))
                .bind(c.source)
                .bind(&e.profile.tags)
                .bind(env.recorded_at)
                .bind(env.sequence)
                .execute(&mut **tx)
                .await
                .context("updating the candidate")?;
                one_row(done, "candidate profile")
            }
            CandidateEventV1::CandidateAssigned(e) => {
                set_link(tx, env, "assigned_to", Some(e.employee_id)).await
            }
            CandidateEventV1::CandidateUnassigned(_) => {
                set_link(tx, env, "assigned_to", None).await
            }
            CandidateEventV1::CandidateLinkedToUser(e) => {
                set_link(tx, env, "user_id", Some(e.user_id)).await
            }
            CandidateEventV1::CandidateDeleted(_) => delete_everywhere(tx, env).await,
        }
    }
}

/// Sets `column` (a literal: `assigned_to` or `user_id`) of the candidate.
async fn set_link(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
    column: &'static str,
    value: Option<uuid::Uuid>,
) -> anyhow::Result<()> {
    let done = sqlx::query(&format!(
        "UPDATE rm_candidates SET {column} = $2, updated_at = $3, version = $4
         WHERE candidate_id = $1"
    ))
    .bind(env.aggregate_id)
    .bind(value)
    .bind(env.recorded_at)
    .bind(env.sequence)
    .execute(&mut **tx)
    .await
    .with_context(|| format!("setting the candidate's {column}"))?;
    one_row(done, column)
}

/// Removes the candidate and everything about them from the pipeline read models, and leaves the
/// tombstone that keeps late events of other topics from writing them back.
async fn delete_everywhere(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
) -> anyhow::Result<()> {
    let id = env.aggregate_id;
    // Waits for every transaction that checked the tombstone and may still insert rows.
    lock_candidate(tx, id, true).await?;
    for sql in [
        "DELETE FROM rm_interview_feedback WHERE candidate_id = $1",
        "DELETE FROM rm_interviews WHERE candidate_id = $1",
        "DELETE FROM rm_application_transitions WHERE candidate_id = $1",
        "DELETE FROM rm_applications WHERE candidate_id = $1",
        "DELETE FROM rm_candidates WHERE candidate_id = $1",
    ] {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut **tx)
            .await
            .context("deleting the candidate's rows")?;
    }
    sqlx::query(
        "INSERT INTO rm_deleted_candidates (candidate_id, deleted_at) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(env.recorded_at)
    .execute(&mut **tx)
    .await
    .context("recording the deletion")?;
    Ok(())
}
