//! An import chunk's candidates in a handful of statements instead of several per row.
//!
//! Row by row, creating a candidate costs a company check, an aggregate load, an e-mail claim,
//! an account lookup, a key creation plus four key lookups (one per sealed value), and an append
//! in a transaction of its own. For a chunk of new rows, [`Pipeline::create_chunk`] does the
//! same work with one statement per step for the whole chunk:
//!
//! 1. the company is checked once; each row is validated in memory;
//! 2. one query checks that none of the rows' candidates has events yet (each new candidate is a
//!    new aggregate, appended at sequence 1);
//! 3. one query finds the verified CANDIDATE accounts of the rows' addresses;
//! 4. in one transaction: one statement claims every address (the first row of an address in
//!    file order claims it; a later row with the same address is `CAND_002`, as it would be row
//!    by row), one reads the holders of the addresses it did not get;
//! 5. one statement creates the claimed rows' data keys (each candidate keeps a key of its own:
//!    crypto-shredding is unchanged) and one reads them back; values are sealed in memory;
//! 6. each `Create` is decided by the aggregate in memory, then every `CandidateCreated` is
//!    appended in one statement of the same transaction, with the same metadata (actor, tenant,
//!    correlation, causation) as row by row. The relay publishes them in commit order as usual.
//!
//! Whenever the fast path cannot give exactly the row-by-row outcome — a row's candidate already
//! has events (a resumed import), the company or the actor is refused, a row fails after its
//! address was claimed while a later row of the chunk wanted the same address, or an error that
//! only one row's command could be blamed for — it commits nothing (keys it created stay, as a
//! row-by-row attempt would reuse them) and the chunk runs row by row. An unavailable store or a
//! conflicting writer commits nothing and stops the import, to be resumed from its cursor.

use super::{ImportRowError, RowFailure, imported_candidate_id, row_failure};
use crate::bus::CommandMetadata;
use crate::pipeline::candidates::{Personal, parse_personal, profile_with, refused};
use crate::pipeline::{CandidateInput, Pipeline, PipelineError};
use cqrs_es::Aggregate as _;
use hireledger_domain::candidate::{Candidate, CandidateCommand, CandidateError, CandidateEvent};
use hireledger_domain::user::UserStatus;
use hireledger_domain::{Actor, Role};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One data row of a chunk: its line and what was read from it.
#[derive(Debug)]
pub(super) struct ChunkRow {
    pub(super) line: u64,
    pub(super) parsed: Result<CandidateInput, ImportRowError>,
}

/// What became of a chunk on the fast path.
#[derive(Debug)]
pub(super) enum Batched {
    /// Each row's outcome in file order; the created candidates are committed.
    Done(Vec<Result<(), ImportRowError>>),
    /// Nothing was committed: run the chunk row by row.
    RowByRow,
    /// The store is unavailable or a writer conflicted; nothing was committed.
    Retry(PipelineError),
}

/// A row that passed validation.
struct Fresh<'a> {
    /// Index in the chunk.
    idx: usize,
    line: u64,
    candidate_id: Uuid,
    digest: Vec<u8>,
    personal: Personal,
    input: &'a CandidateInput,
}

/// Why the fast path gave up early.
enum Stop {
    RowByRow,
    Error(PipelineError),
}

impl From<PipelineError> for Stop {
    fn from(e: PipelineError) -> Self {
        Self::Error(e)
    }
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Self {
        Self::Error(e.into())
    }
}

impl From<hireledger_infra::vault::VaultError> for Stop {
    fn from(e: hireledger_infra::vault::VaultError) -> Self {
        Self::Error(e.into())
    }
}

impl Pipeline {
    /// Creates the candidates of `rows` (one chunk, in file order) of import `import_id`.
    #[tracing::instrument(skip_all, fields(%import_id, rows = rows.len()))]
    pub(super) async fn create_chunk(
        &self,
        actor: Actor,
        company_id: Uuid,
        import_id: Uuid,
        rows: &[ChunkRow],
        meta: &CommandMetadata,
    ) -> Batched {
        match self
            .try_chunk(actor, company_id, import_id, rows, meta)
            .await
        {
            Ok(outcomes) => Batched::Done(outcomes),
            Err(Stop::RowByRow) => Batched::RowByRow,
            Err(Stop::Error(e)) => match e {
                PipelineError::Unavailable(_) | PipelineError::Conflict => Batched::Retry(e),
                // Row by row finds out which row (if any) it belongs to.
                _ => Batched::RowByRow,
            },
        }
    }

    async fn try_chunk(
        &self,
        actor: Actor,
        company_id: Uuid,
        import_id: Uuid,
        rows: &[ChunkRow],
        meta: &CommandMetadata,
    ) -> Result<Vec<Result<(), ImportRowError>>, Stop> {
        if !actor.manages_company(Some(company_id))
            || self.require_active_company(company_id).await.is_err()
        {
            return Err(Stop::RowByRow);
        }
        let mut outcomes: Vec<Option<Result<(), ImportRowError>>> = vec![None; rows.len()];
        let mut fresh = Vec::with_capacity(rows.len());
        for (idx, row) in rows.iter().enumerate() {
            let input = match &row.parsed {
                Ok(input) => input,
                Err(e) => {
                    outcomes[idx] = Some(Err(e.clone()));
                    continue;
                }
            };
            match parse_personal(input) {
                Ok(personal) => fresh.push(Fresh {
                    idx,
                    line: row.line,
                    candidate_id: imported_candidate_id(import_id, row.line),
                    digest: self.vault.email_digest(&personal.email),
                    personal,
                    input,
                }),
                Err(e) => match row_failure(e, row.line) {
                    RowFailure::Rejected(r) => outcomes[idx] = Some(Err(r)),
                    _ => return Err(Stop::RowByRow),
                },
            }
        }
        if !fresh.is_empty() {
            self.create_fresh(actor, company_id, import_id, &fresh, &mut outcomes, meta)
                .await?;
        }
        outcomes
            .into_iter()
            .map(|o| o.ok_or(Stop::RowByRow))
            .collect()
    }

    /// The verified, active CANDIDATE accounts of `company_id` among `digests`, by digest (what
    /// `candidate_account` finds for one address).
    async fn candidate_accounts(
        &self,
        company_id: Uuid,
        digests: &[&[u8]],
    ) -> Result<HashMap<Vec<u8>, Uuid>, PipelineError> {
        let found: Vec<(Vec<u8>, Uuid)> = sqlx::query_as(
            "SELECT email_digest, user_id FROM login_emails
             WHERE email_digest = ANY($1) AND verified_at IS NOT NULL",
        )
        .bind(digests)
        .fetch_all(&self.pool)
        .await?;
        let mut accounts = HashMap::new();
        for (digest, user_id) in found {
            let (user, _) = self.users.load(&user_id.to_string()).await?;
            if user.status == UserStatus::Active
                && user.role == Some(Role::Candidate)
                && user.company_id == Some(company_id)
            {
                accounts.insert(digest, user_id);
            }
        }
        Ok(accounts)
    }

    /// Steps 2 to 6 of the module docs for the rows that passed validation; fills their outcomes.
    async fn create_fresh(
        &self,
        actor: Actor,
        company_id: Uuid,
        import_id: Uuid,
        fresh: &[Fresh<'_>],
        outcomes: &mut [Option<Result<(), ImportRowError>>],
        meta: &CommandMetadata,
    ) -> Result<(), Stop> {
        let ids: Vec<String> = fresh.iter().map(|f| f.candidate_id.to_string()).collect();
        let existing: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM events
                            WHERE aggregate_type = $1 AND aggregate_id = ANY($2))",
        )
        .bind(Candidate::TYPE)
        .bind(&ids)
        .fetch_one(&self.pool)
        .await?;
        if existing {
            return Err(Stop::RowByRow);
        }
        let digests: Vec<&[u8]> = fresh.iter().map(|f| f.digest.as_slice()).collect();
        let accounts = self.candidate_accounts(company_id, &digests).await?;

        // The first row of each address claims it; later rows of the chunk wait for its fate.
        let mut claimant_of: HashMap<&[u8], usize> = HashMap::new();
        let (mut claimants, mut duplicates) = (Vec::new(), Vec::new());
        for (i, f) in fresh.iter().enumerate() {
            match claimant_of.get(f.digest.as_slice()) {
                Some(&first) => duplicates.push((i, first)),
                None => {
                    claimant_of.insert(&f.digest, i);
                    claimants.push(i);
                }
            }
        }
        let mut tx = self.pool.begin().await?;
        let claim_digests: Vec<&[u8]> = claimants
            .iter()
            .map(|&i| fresh[i].digest.as_slice())
            .collect();
        let claim_ids: Vec<Uuid> = claimants.iter().map(|&i| fresh[i].candidate_id).collect();
        let inserted: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO candidate_emails (company_id, email_digest, candidate_id)
             SELECT $1, t.digest, t.candidate_id
             FROM unnest($2::bytea[], $3::uuid[]) AS t(digest, candidate_id)
             ON CONFLICT DO NOTHING RETURNING candidate_id",
        )
        .bind(company_id)
        .bind(&claim_digests)
        .bind(&claim_ids)
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed: HashSet<Uuid> = inserted.into_iter().collect();
        if claimed.len() < claimants.len() {
            // The same candidate may claim its address again (an attempt that did not commit).
            let holders: Vec<(Vec<u8>, Uuid)> = sqlx::query_as(
                "SELECT email_digest, candidate_id FROM candidate_emails
                 WHERE company_id = $1 AND email_digest = ANY($2)",
            )
            .bind(company_id)
            .bind(&claim_digests)
            .fetch_all(&mut *tx)
            .await?;
            for (digest, holder) in holders {
                if claimant_of
                    .get(digest.as_slice())
                    .is_some_and(|&i| fresh[i].candidate_id == holder)
                {
                    claimed.insert(holder);
                }
            }
        }

        let claimed_ids: Vec<Uuid> = claim_ids
            .iter()
            .copied()
            .filter(|id| claimed.contains(id))
            .collect();
        let keys = self.vault.keys_for_sealing(&claimed_ids).await?;
        let mut created: Vec<(String, Vec<CandidateEvent>)> = Vec::with_capacity(claimed.len());
        // Rows that failed after claiming their address: (candidate, gives it back).
        let mut failed_claimants: Vec<(Uuid, bool)> = Vec::new();
        for &i in &claimants {
            let f = &fresh[i];
            if !claimed.contains(&f.candidate_id) {
                outcomes[f.idx] = Some(Err(taken(f.line)));
                continue;
            }
            match self
                .decide_row(actor, company_id, import_id, f, &keys, &accounts)
                .await
            {
                Ok(events) => created.push((f.candidate_id.to_string(), events)),
                Err(e) => {
                    let gives_back = refused(&e);
                    match row_failure(e, f.line) {
                        RowFailure::Rejected(r) => outcomes[f.idx] = Some(Err(r)),
                        _ => return Err(Stop::RowByRow),
                    }
                    failed_claimants.push((f.candidate_id, gives_back));
                }
            }
        }
        for &(i, first) in &duplicates {
            let claimant = fresh[first].candidate_id;
            if failed_claimants
                .iter()
                .any(|&(id, gives_back)| id == claimant && gives_back)
            {
                // Row by row, this row could take the address its claimant gave back.
                return Err(Stop::RowByRow);
            }
            outcomes[fresh[i].idx] = Some(Err(taken(fresh[i].line)));
        }
        let released: Vec<Uuid> = failed_claimants
            .iter()
            .filter(|(_, gives_back)| *gives_back)
            .map(|(id, _)| *id)
            .collect();
        if !released.is_empty() {
            sqlx::query("DELETE FROM candidate_emails WHERE candidate_id = ANY($1)")
                .bind(&released)
                .execute(&mut *tx)
                .await?;
        }
        let meta = meta.clone().with_tenant(Some(company_id));
        self.candidates
            .append_new_in(&mut tx, &created, &meta)
            .await
            .map_err(PipelineError::from)?;
        // A failed commit may hide a commit: stop, the resumed import sorts the rows out.
        tx.commit()
            .await
            .map_err(|e| PipelineError::Unavailable(e.into()))?;
        for f in fresh {
            if outcomes[f.idx].is_none() {
                outcomes[f.idx] = Some(Ok(()));
            }
        }
        // The keys made for candidates who never existed are useless: destroy them.
        for id in released {
            self.vault.erase(id).await?;
        }
        Ok(())
    }

    /// Seals the row's profile under its candidate's key and decides its `Create` in memory.
    async fn decide_row(
        &self,
        actor: Actor,
        company_id: Uuid,
        import_id: Uuid,
        f: &Fresh<'_>,
        keys: &HashMap<Uuid, hireledger_infra::vault::SubjectKey>,
        accounts: &HashMap<Vec<u8>, Uuid>,
    ) -> Result<Vec<CandidateEvent>, PipelineError> {
        // No key: the subject was erased (as `seal` would say).
        let key = keys.get(&f.candidate_id).ok_or(CandidateError::Deleted)?;
        let profile = profile_with(&f.personal, f.input, |field, v| key.seal(field, v))?;
        let command = CandidateCommand::Create {
            actor,
            candidate_id: f.candidate_id,
            company_id,
            profile,
            user_id: accounts.get(&f.digest).copied(),
            import_id: Some(import_id),
        };
        Ok(self.candidates.decide_new(command).await?)
    }
}

fn taken(line: u64) -> ImportRowError {
    match row_failure(PipelineError::CandidateEmailTaken, line) {
        RowFailure::Rejected(r) => r,
        _ => super::row_error(line, Some("email"), "CAND_002", "duplicate"),
    }
}
