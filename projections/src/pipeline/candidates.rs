//! `rm_candidates` from the candidate topic; `CandidateDeleted` removes the candidate from every
//! pipeline read model.

use super::{PipelineProjector, candidate_deleted, lock_candidate, one_row, wire};
use crate::envelope::Envelope;
use anyhow::Context as _;
use hireledger_infra::vault::Field;
use hireledger_schemas::CandidateEventV1;
use hireledger_schemas::candidate::CandidateProfileV2;
use hireledger_schemas::common::{PersonalTextV2, SealedV1};
use sqlx::{Postgres, Transaction};

/// The profile's columns, personal values opened (NULL once the key is gone).
struct Columns {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    qualifications: Option<serde_json::Value>,
    /// Empty once the key is gone.
    position: String,
    /// The tags that could be opened.
    tags: Vec<String>,
    source: String,
}

impl PipelineProjector {
    /// Opens the profile's values with one key lookup for all of them (they are all the
    /// candidate's), instead of one per value; the key lives only for this event.
    async fn columns(&self, p: &CandidateProfileV2) -> anyhow::Result<Columns> {
        let mut subjects: Vec<uuid::Uuid> = [Some(&p.name), Some(&p.email), p.phone.as_ref()]
            .into_iter()
            .chain([p.qualifications.as_ref()])
            .flatten()
            .map(|s| s.subject)
            .chain(
                std::iter::once(&p.position)
                    .chain(&p.tags)
                    .filter_map(|t| match t {
                        PersonalTextV2::Sealed(s) => Some(s.subject),
                        PersonalTextV2::Clear(_) => None,
                    }),
            )
            .collect();
        subjects.sort_unstable();
        subjects.dedup();
        let vault_error = |e| anyhow::Error::new(e).context("opening a sealed value");
        let keys = self
            .vault
            .keys_for_opening(&subjects)
            .await
            .map_err(vault_error)?;
        // `None` when the subject was erased (its key is gone), like `Vault::open`.
        let open = |s: Option<&SealedV1>, field: Field| -> anyhow::Result<Option<String>> {
            let Some(s) = s else { return Ok(None) };
            let Some(key) = keys.get(&s.subject) else {
                return Ok(None);
            };
            let sealed = hireledger_domain::Sealed {
                subject: s.subject,
                ct: s.ct.clone(),
            };
            key.open(&sealed, field).map(Some).map_err(vault_error)
        };
        let open_text = |t: &PersonalTextV2, field: Field| match t {
            PersonalTextV2::Clear(t) => Ok(Some(t.clone())),
            PersonalTextV2::Sealed(s) => open(Some(s), field),
        };
        let qualifications = match open(p.qualifications.as_ref(), Field::Qualifications)? {
            Some(json) => Some(
                serde_json::from_str(&json).context("qualifications are not a JSON document")?,
            ),
            None => None,
        };
        Ok(Columns {
            name: open(Some(&p.name), Field::Name)?,
            email: open(Some(&p.email), Field::Email)?,
            phone: open(p.phone.as_ref(), Field::Phone)?,
            qualifications,
            position: open_text(&p.position, Field::Position)?.unwrap_or_default(),
            tags: {
                let mut tags = Vec::with_capacity(p.tags.len());
                for t in &p.tags {
                    tags.extend(open_text(t, Field::Tag)?);
                }
                tags
            },
            source: wire(&p.source)?,
        })
    }

    pub(super) async fn apply_candidate(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
        event: &CandidateEventV1,
    ) -> anyhow::Result<()> {
        let id = env.aggregate_id;
        if !matches!(event, CandidateEventV1::CandidateDeleted(_))
            && candidate_deleted(tx, id).await?
        {
            return Ok(());
        }
        match event {
            CandidateEventV1::CandidateCreated(e) => {
                anyhow::ensure!(
                    e.candidate_id == id,
                    "candidate_id differs from the subject {id}"
                );
                let c = self.columns(&e.profile).await?;
                sqlx::query(
                    "INSERT INTO rm_candidates (candidate_id, company_id, name, email, phone,
                         qualifications, position, domain, experience_years, source, tags,
                         assigned_to, user_id, import_id, created_by, created_at, updated_at,
                         version)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13, $14,
                         $15, $15, $16)",
                )
                .bind(id)
                .bind(e.company_id)
                .bind(c.name)
                .bind(c.email)
                .bind(c.phone)
                .bind(c.qualifications)
                .bind(&c.position)
                .bind(&e.profile.domain)
                .bind(i16::from(e.profile.experience_years))
                .bind(c.source)
                .bind(&c.tags)
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
                .bind(&c.position)
                .bind(&e.profile.domain)
                .bind(i16::from(e.profile.experience_years))
                .bind(c.source)
                .bind(&c.tags)
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
