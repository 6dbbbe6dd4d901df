//! Candidates: creation (unique per company by e-mail, personal data sealed under the candidate's
//! own key), changes, assignment to an employee, linking to a CANDIDATE account, and deletion,
//! which destroys the key so that every copy of the person's data becomes unreadable.

use super::{Pipeline, PipelineError, acting_company};
use crate::bus::{CommandMetadata, Committed};
use hireledger_domain::candidate::{
    AssigneeView, Candidate, CandidateCommand, CandidateError, CandidateProfile, CandidateSource,
    CandidateStatus, normalize_position, normalize_tags,
};
use hireledger_domain::user::UserStatus;
use hireledger_domain::{
    Actor, EmailAddress, InvalidValue, PersonName, PersonalText, PhoneNumber, Role, Sealed,
};
use sqlx::PgPool;
use uuid::Uuid;

/// Most qualifications per candidate, and the longest one.
const MAX_QUALIFICATIONS: usize = 30;
const MAX_QUALIFICATION_CHARS: usize = 200;

/// A candidate as typed by HR or read from an import row.
#[derive(Debug, Clone)]
pub struct CandidateInput {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub position: String,
    pub domain: String,
    pub experience_years: u8,
    pub qualifications: Vec<String>,
    pub source: CandidateSource,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct CreatedCandidate {
    pub candidate_id: Uuid,
    pub committed: Committed,
}

/// The digits of a phone number (for search), e.g. `+49 30 123` → `4930123`.
pub fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Validated personal fields, still in clear.
pub(super) struct Personal {
    pub(super) name: PersonName,
    pub(super) email: EmailAddress,
    pub(super) phone: Option<PhoneNumber>,
    /// The qualifications as a JSON array, if any.
    pub(super) qualifications: Option<String>,
}

pub(super) fn parse_personal(input: &CandidateInput) -> Result<Personal, PipelineError> {
    let name = PersonName::parse(&input.name)?;
    let email = EmailAddress::parse(&input.email)?;
    let phone = match input.phone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(PhoneNumber::parse(p)?),
    };
    let invalid = |reason| InvalidValue {
        field: "qualifications",
        reason,
    };
    let qualifications: Vec<&str> = input
        .qualifications
        .iter()
        .map(|q| q.trim())
        .filter(|q| !q.is_empty())
        .collect();
    if qualifications.len() > MAX_QUALIFICATIONS {
        return Err(invalid("too_many").into());
    }
    if qualifications
        .iter()
        .any(|q| q.chars().count() > MAX_QUALIFICATION_CHARS || q.chars().any(char::is_control))
    {
        return Err(invalid("too_long").into());
    }
    let qualifications = if qualifications.is_empty() {
        None
    } else {
        Some(
            serde_json::to_string(&qualifications)
                .map_err(|e| PipelineError::Internal(e.into()))?,
        )
    };
    Ok(Personal {
        name,
        email,
        phone,
        qualifications,
    })
}

/// The profile of `input` with its personal values sealed by `seal` (the same fields that
/// [`Pipeline::seal_profile`] seals through the vault), for a caller holding the key already.
pub(super) fn profile_with(
    personal: &Personal,
    input: &CandidateInput,
    seal: impl Fn(
        hireledger_infra::vault::Field,
        &str,
    ) -> Result<Sealed, hireledger_infra::vault::VaultError>,
) -> Result<CandidateProfile, PipelineError> {
    use hireledger_infra::vault::Field;
    let mut tags = Vec::with_capacity(input.tags.len());
    for tag in normalize_tags(&input.tags)? {
        tags.push(PersonalText::Sealed(seal(Field::Tag, &tag)?));
    }
    Ok(CandidateProfile {
        name: seal(Field::Name, personal.name.as_str())?,
        email: seal(Field::Email, personal.email.as_str())?,
        phone: personal
            .phone
            .as_ref()
            .map(|p| seal(Field::Phone, p.as_str()))
            .transpose()?,
        qualifications: personal
            .qualifications
            .as_deref()
            .map(|q| seal(Field::Qualifications, q))
            .transpose()?,
        position: PersonalText::Sealed(seal(
            Field::Position,
            &normalize_position(&input.position)?,
        )?),
        domain: input.domain.clone(),
        experience_years: input.experience_years,
        source: input.source,
        tags,
    })
}

/// Whether the command refused the row (nothing was written), as opposed to a failure that may
/// hide a commit (store unavailable).
pub(super) fn refused(e: &PipelineError) -> bool {
    matches!(
        e,
        PipelineError::Candidate(_)
            | PipelineError::Company(_)
            | PipelineError::Invalid(_)
            | PipelineError::CandidateEmailTaken
    )
}

/// Claims `digest` in `company_id` for `candidate_id`; the same candidate may claim it again.
async fn claim_email(
    pool: &PgPool,
    company_id: Uuid,
    digest: &[u8],
    candidate_id: Uuid,
) -> Result<(), PipelineError> {
    let holder: Option<Uuid> = sqlx::query_scalar(
        "WITH ins AS (
             INSERT INTO candidate_emails (company_id, email_digest, candidate_id)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING candidate_id)
         SELECT candidate_id FROM ins
         UNION ALL SELECT candidate_id FROM candidate_emails
             WHERE company_id = $1 AND email_digest = $2
         LIMIT 1",
    )
    .bind(company_id)
    .bind(digest)
    .bind(candidate_id)
    .fetch_optional(pool)
    .await?;
    match holder {
        Some(h) if h == candidate_id => Ok(()),
        _ => Err(PipelineError::CandidateEmailTaken),
    }
}

async fn release_email(pool: &PgPool, candidate_id: Uuid) -> Result<(), PipelineError> {
    sqlx::query("DELETE FROM candidate_emails WHERE candidate_id = $1")
        .bind(candidate_id)
        .execute(pool)
        .await?;
    Ok(())
}

impl Pipeline {
    /// The candidate of the given id, or `NotFound` (never created) / `Deleted`.
    pub async fn candidate(&self, candidate_id: Uuid) -> Result<(Candidate, u64), PipelineError> {
        let (candidate, version) = self.candidates.load(&candidate_id.to_string()).await?;
        match candidate.status {
            CandidateStatus::None => Err(CandidateError::NotFound.into()),
            _ => Ok((candidate, version)),
        }
    }

    /// The candidate id holding `email` in `company_id`, if any.
    pub async fn candidate_by_email(
        &self,
        company_id: Uuid,
        email: &EmailAddress,
    ) -> Result<Option<Uuid>, PipelineError> {
        Ok(sqlx::query_scalar(
            "SELECT candidate_id FROM candidate_emails WHERE company_id = $1 AND email_digest = $2",
        )
        .bind(company_id)
        .bind(self.vault.email_digest(email))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The active CANDIDATE account of `company_id` whose login address is `email` and verified
    /// (proven control of the address, never a typed string alone), if any.
    async fn candidate_account(
        &self,
        company_id: Uuid,
        email: &EmailAddress,
    ) -> Result<Option<Uuid>, PipelineError> {
        let user_id: Option<Uuid> = sqlx::query_scalar(
            "SELECT user_id FROM login_emails WHERE email_digest = $1 AND verified_at IS NOT NULL",
        )
        .bind(self.vault.email_digest(email))
        .fetch_optional(&self.pool)
        .await?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        let (user, _) = self.users.load(&user_id.to_string()).await?;
        let linkable = user.status == UserStatus::Active
            && user.role == Some(Role::Candidate)
            && user.company_id == Some(company_id);
        Ok(linkable.then_some(user_id))
    }

    /// The profile sealed under the candidate's key (made on first use): one key lookup for every
    /// value, the same fields as an import's chunk ([`profile_with`]).
    async fn seal_profile(
        &self,
        candidate_id: Uuid,
        personal: &Personal,
        input: &CandidateInput,
    ) -> Result<CandidateProfile, PipelineError> {
        let keys = self.vault.keys_for_sealing(&[candidate_id]).await?;
        // No key: the subject was erased (as `Vault::seal` says).
        let key = keys
            .get(&candidate_id)
            .ok_or(hireledger_infra::vault::VaultError::Erased)?;
        profile_with(personal, input, |field, v| key.seal(field, v))
    }

    /// Creates a candidate in the actor's company (platform admins name `company_id`).
    ///
    /// `candidate_id` is given by imports (a deterministic id per file row, so that a resumed
    /// import finds the rows it already created: `AlreadyExists` for that same id and e-mail
    /// counts as created); otherwise a new id is made.
    #[tracing::instrument(skip_all)]
    pub async fn create_candidate(
        &self,
        actor: Actor,
        company_id: Option<Uuid>,
        input: CandidateInput,
        candidate_id: Option<Uuid>,
        import_id: Option<Uuid>,
        meta: &CommandMetadata,
    ) -> Result<CreatedCandidate, PipelineError> {
        let company_id = acting_company(&actor, company_id)?;
        if !actor.manages_company(Some(company_id)) {
            return Err(CandidateError::Forbidden.into());
        }
        self.require_active_company(company_id).await?;
        let personal = parse_personal(&input)?;
        let resumable = candidate_id.is_some();
        let candidate_id = candidate_id.unwrap_or_else(Uuid::now_v7);
        if resumable {
            // A resumed import meets the rows it created before: an existing candidate is done,
            // a deleted one stays deleted (its e-mail claim must not be taken again).
            let (existing, version) = self.candidates.load(&candidate_id.to_string()).await?;
            match existing.status {
                CandidateStatus::Active => {
                    return Ok(CreatedCandidate {
                        candidate_id,
                        committed: Committed { version, events: 0 },
                    });
                }
                CandidateStatus::Deleted => return Err(CandidateError::Deleted.into()),
                CandidateStatus::None => {}
            }
        }
        let digest = self.vault.email_digest(&personal.email);
        claim_email(&self.pool, company_id, &digest, candidate_id).await?;
        let result = async {
            let user_id = self.candidate_account(company_id, &personal.email).await?;
            let command = CandidateCommand::Create {
                actor,
                candidate_id,
                company_id,
                profile: self.seal_profile(candidate_id, &personal, &input).await?,
                user_id,
                import_id,
            };
            let meta = meta.clone().with_tenant(Some(company_id));
            Ok::<_, PipelineError>(
                self.candidates
                    .execute(&candidate_id.to_string(), command, &meta)
                    .await?,
            )
        }
        .await;
        match result {
            Ok(committed) => Ok(CreatedCandidate {
                candidate_id,
                committed,
            }),
            Err(PipelineError::Candidate(CandidateError::AlreadyExists)) if resumable => {
                let (_, version) = self.candidate(candidate_id).await?;
                Ok(CreatedCandidate {
                    candidate_id,
                    committed: Committed { version, events: 0 },
                })
            }
            Err(e) => {
                // Nothing was created: give the address back and destroy the unused key. A
                // resumed row keeps both when the failure may hide a commit (store unavailable).
                if !resumable || refused(&e) {
                    release_email(&self.pool, candidate_id).await?;
                    // The key made for a candidate who never existed is useless: destroy it.
                    self.vault.erase(candidate_id).await?;
                }
                Err(e)
            }
        }
    }

    /// Replaces the candidate's profile with `input` (PUT semantics). Unchanged personal values
    /// keep their existing ciphertext, so that an identical replacement is `NothingToChange`.
    #[tracing::instrument(skip_all, fields(%candidate_id))]
    pub async fn update_candidate(
        &self,
        actor: Actor,
        candidate_id: Uuid,
        input: CandidateInput,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let (candidate, _) = self.candidate(candidate_id).await?;
        let (Some(company_id), Some(current)) = (candidate.company_id(), candidate.profile())
        else {
            return Err(CandidateError::Deleted.into());
        };
        if !actor.manages_company(Some(company_id)) {
            return Err(CandidateError::Forbidden.into());
        }
        let personal = parse_personal(&input)?;
        let mut profile = self.seal_profile(candidate_id, &personal, &input).await?;
        self.keep_unchanged(&mut profile, current).await?;
        let digest = self.vault.email_digest(&personal.email);
        let previous: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT email_digest FROM candidate_emails WHERE candidate_id = $1")
                .bind(candidate_id)
                .fetch_optional(&self.pool)
                .await?;
        let moved = previous.as_deref() != Some(digest.as_slice());
        if moved {
            let taken = sqlx::query(
                "INSERT INTO candidate_emails (company_id, email_digest, candidate_id)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (candidate_id) DO UPDATE SET email_digest = EXCLUDED.email_digest",
            )
            .bind(company_id)
            .bind(&digest)
            .bind(candidate_id)
            .execute(&self.pool)
            .await;
            match taken {
                Ok(_) => {}
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                    return Err(PipelineError::CandidateEmailTaken);
                }
                Err(e) => return Err(e.into()),
            }
        }
        let command = CandidateCommand::Update { actor, profile };
        let meta = meta.clone().with_tenant(Some(company_id));
        let result = self
            .candidates
            .execute(&candidate_id.to_string(), command, &meta)
            .await
            .map_err(PipelineError::from);
        if let (Err(_), true, Some(old)) = (&result, moved, previous) {
            sqlx::query("UPDATE candidate_emails SET email_digest = $2 WHERE candidate_id = $1")
                .bind(candidate_id)
                .bind(old)
                .execute(&self.pool)
                .await?;
        }
        result
    }

    /// Puts back the current ciphertext of every personal value whose clear text did not change.
    async fn keep_unchanged(
        &self,
        new: &mut CandidateProfile,
        current: &CandidateProfile,
    ) -> Result<(), PipelineError> {
        use hireledger_infra::vault::Field;
        async fn same(
            vault: &hireledger_infra::vault::Vault,
            a: &Sealed,
            b: &Sealed,
            field: Field,
        ) -> Result<bool, PipelineError> {
            Ok(vault.open(a, field).await? == vault.open(b, field).await?)
        }
        if same(&self.vault, &new.name, &current.name, Field::Name).await? {
            new.name = current.name.clone();
        }
        if same(&self.vault, &new.email, &current.email, Field::Email).await? {
            new.email = current.email.clone();
        }
        for (n, c, field) in [
            (&mut new.phone, &current.phone, Field::Phone),
            (
                &mut new.qualifications,
                &current.qualifications,
                Field::Qualifications,
            ),
        ] {
            if let (Some(nv), Some(cv)) = (n.as_ref(), c.as_ref())
                && same(&self.vault, nv, cv, field).await?
            {
                *n = Some(cv.clone());
            }
        }
        // Position and tags: only sealed ones are kept; clear text of version 1.0 is sealed now.
        let texts = std::iter::once((&mut new.position, &current.position, Field::Position)).chain(
            new.tags
                .iter_mut()
                .zip(&current.tags)
                .map(|(n, c)| (n, c, Field::Tag)),
        );
        for (n, c, field) in texts {
            if let (PersonalText::Sealed(nv), PersonalText::Sealed(cv)) = (&*n, c)
                && same(&self.vault, nv, cv, field).await?
            {
                *n = c.clone();
            }
        }
        Ok(())
    }

    /// Opens a candidate's sealed value; `None` once the candidate was deleted.
    pub async fn open(
        &self,
        sealed: &Sealed,
        field: hireledger_infra::vault::Field,
    ) -> Result<Option<String>, PipelineError> {
        Ok(self.vault.open(sealed, field).await?)
    }

    /// Runs a candidate command, tagging its events with the candidate's company.
    #[tracing::instrument(skip(self, command, meta))]
    pub async fn candidate_command(
        &self,
        candidate_id: Uuid,
        command: CandidateCommand,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let (candidate, _) = self.candidate(candidate_id).await?;
        let meta = meta.clone().with_tenant(candidate.company_id());
        Ok(self
            .candidates
            .execute(&candidate_id.to_string(), command, &meta)
            .await?)
    }

    /// Assigns the candidate to `employee_id` (an active EMPLOYEE of the company; checked by the
    /// aggregate), or unassigns with `None`.
    pub async fn assign_candidate(
        &self,
        actor: Actor,
        candidate_id: Uuid,
        employee_id: Option<Uuid>,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let assignee = match employee_id {
            None => None,
            Some(id) => {
                let (user, _) = self.users.load(&id.to_string()).await?;
                let Some(role) = user.role else {
                    return Err(CandidateError::InvalidAssignee.into());
                };
                Some(AssigneeView {
                    user_id: id,
                    company_id: user.company_id,
                    role,
                    active: user.is_active(),
                })
            }
        };
        let command = CandidateCommand::Assign { actor, assignee };
        self.candidate_command(candidate_id, command, meta).await
    }

    /// Links the candidate record of `company_id` with this e-mail to a CANDIDATE account (called
    /// once the account proved control of the address). Nothing to link is not an error.
    pub async fn link_candidate_account(
        &self,
        company_id: Uuid,
        email: &EmailAddress,
        user_id: Uuid,
        meta: &CommandMetadata,
    ) -> Result<Option<Uuid>, PipelineError> {
        let Some(candidate_id) = self.candidate_by_email(company_id, email).await? else {
            return Ok(None);
        };
        let command = CandidateCommand::LinkUser {
            actor: Actor::System,
            user_id,
        };
        match self.candidate_command(candidate_id, command, meta).await {
            Ok(_) | Err(PipelineError::Candidate(CandidateError::NothingToChange)) => {
                Ok(Some(candidate_id))
            }
            Err(e) => Err(e),
        }
    }

    /// Deletes the candidate: records the deletion (and with it the erasure job), destroys the
    /// candidate's key (every sealed copy of their data, in events and on Kafka, becomes
    /// unreadable) and frees the e-mail. The projector removes them from every read model. A
    /// crash in between is finished by the erasure worker or by a retry.
    #[tracing::instrument(skip(self, meta))]
    pub async fn delete_candidate(
        &self,
        actor: Actor,
        candidate_id: Uuid,
        meta: &CommandMetadata,
    ) -> Result<Committed, PipelineError> {
        let command = CandidateCommand::Delete { actor };
        let committed = match self.candidate_command(candidate_id, command, meta).await {
            Ok(c) => c,
            Err(PipelineError::Candidate(CandidateError::Deleted)) => {
                let (candidate, version) = self.candidate(candidate_id).await?;
                if !actor.manages_company(candidate.company_id()) {
                    return Err(CandidateError::NotFound.into());
                }
                Committed { version, events: 0 }
            }
            Err(e) => return Err(e),
        };
        // The event's commit recorded the erasure job (see `crate::erasure`); finish it now. A
        // crash before this line leaves the job to the periodic worker or to a retry.
        crate::erasure::Erasures::new(self.pool.clone())
            .finish(candidate_id)
            .await?;
        Ok(committed)
    }
}
