//! Bulk import of candidates from a CSV file, as a job resource.
//!
//! - **Upload** ([`Pipeline::start_import`]): the file is checked (size, UTF-8, a header naming at
//!   least `name` and `email`), sealed under a key of its own and stored with its SHA-256. The
//!   import id is derived from the company and that hash, so the same file sent twice is the same
//!   import: the second upload returns the first one's resource and imports nothing again.
//! - **Work** ([`Pipeline::run_pending_imports`]): any API instance leases a pending import (or one
//!   whose worker died: the lease expired), validates every row, creates the valid candidates and
//!   records each rejected row as `{line, column, code, reason}` (never the value). Rows are
//!   worked in chunks of [`CHUNK_ROWS`], each created in a handful of statements (see [`batch`];
//!   row by row where only that gives the exact outcome). After each chunk (and every
//!   [`PROGRESS_EVERY_ROWS`] rows of a chunk run row by row) one transaction appends the new row
//!   errors (`candidate_import_errors`) and moves the cursor (`processed_rows`) and the counts: a
//!   resumed import starts after the cursor. Candidate ids are derived from the import id and the
//!   line, so a resumed import recognizes the rows it created after the cursor.
//! - **Row outcomes**: a row whose candidate was deleted meanwhile (`CAND_004`), or that the
//!   domain refuses for any other reason, is a rejected row; it never stops the import. Only an
//!   unavailable store stops it, to be resumed; a company that is no longer active (or an actor
//!   who lost the right) fails the whole import, and so does running out of attempts
//!   ([`MAX_ATTEMPTS`]).
//! - **End**: every import ends `COMPLETED` or `FAILED`; either way the file is dropped and its key
//!   destroyed; only counts and row errors remain.

mod batch;

use super::{CandidateInput, Pipeline, PipelineError};
use crate::bus::CommandMetadata;
use batch::{Batched, ChunkRow};
use chrono::{DateTime, Utc};
use hireledger_domain::candidate::{CandidateError, CandidateSource};
use hireledger_domain::{Actor, InvalidValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::time::Duration;
use uuid::Uuid;

/// Largest file accepted (10 MiB).
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows in one file.
const MAX_ROWS: usize = 100_000;
/// How long a worker holds an import before another instance may resume it.
const LEASE: Duration = Duration::from_secs(30);
/// Rows created together (see [`batch`]); progress is written (and the lease extended) after
/// each chunk.
const CHUNK_ROWS: usize = 250;
/// When a chunk runs row by row, progress is also written this often.
const PROGRESS_EVERY_ROWS: usize = 50;
/// Leases of one import before it is failed for good (each lease is an attempt).
const MAX_ATTEMPTS: i32 = 10;
/// Namespace of import and imported-candidate ids. Never changes.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x8f3a_51c2_0b7e_4d19_a6c4_3e2f_9d81_b570);

/// One rejected row: where and why (a stable code and a reason word), never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowError {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The column at fault, `null` when the row as a whole is.
    pub column: Option<String>,
    /// `VAL_001` (invalid value), `CAND_002` (e-mail already used in the company), `CAND_004`
    /// (the row's candidate was deleted while the import ran), `ROW_001` (wrong number of fields)
    /// or `ROW_002` (refused for another reason).
    pub code: String,
    pub reason: String,
}

/// The import resource.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportReport {
    pub import_id: Uuid,
    pub company_id: Uuid,
    /// `PENDING`, `RUNNING`, `COMPLETED` or `FAILED`.
    pub status: String,
    pub total_rows: i32,
    pub processed_rows: i32,
    pub imported: i32,
    pub rejected: i32,
    #[sqlx(json)]
    pub errors: Vec<ImportRowError>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Where an import stands: rows whose outcome is recorded (the cursor) and their counts.
#[derive(Debug, Default)]
struct Progress {
    processed: usize,
    imported: usize,
    rejected: usize,
}

/// The id of the candidate created from `line` of import `import_id` (stable, so a resumed import
/// recognizes its rows).
pub fn imported_candidate_id(import_id: Uuid, line: u64) -> Uuid {
    let mut name = import_id.as_bytes().to_vec();
    name.extend_from_slice(&line.to_be_bytes());
    Uuid::new_v5(&IMPORT_NAMESPACE, &name)
}

#[derive(Debug, Clone, Copy)]
pub struct ImportStarted {
    pub import_id: Uuid,
    /// `false` when the same file had been uploaded before (nothing new was started).
    pub created: bool,
}

/// The columns a file may have (case-insensitive header names); others are ignored.
#[derive(Debug, Default)]
struct Columns {
    name: usize,
    email: usize,
    phone: Option<usize>,
    position: Option<usize>,
    domain: Option<usize>,
    experience_years: Option<usize>,
    qualifications: Option<usize>,
    source: Option<usize>,
    tags: Option<usize>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Self, PipelineError> {
        let find = |name: &str| {
            header.iter().position(|h| {
                h.trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(name)
            })
        };
        Ok(Self {
            name: find("name").ok_or(PipelineError::ImportFile("missing_column_name"))?,
            email: find("email").ok_or(PipelineError::ImportFile("missing_column_email"))?,
            phone: find("phone"),
            position: find("position"),
            domain: find("domain"),
            experience_years: find("experience_years"),
            qualifications: find("qualifications"),
            source: find("source"),
            tags: find("tags"),
        })
    }
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split([';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_source(raw: &str) -> Option<CandidateSource> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "" | "IMPORT" => Some(CandidateSource::Import),
        "MANUAL" => Some(CandidateSource::Manual),
        "PORTAL" => Some(CandidateSource::Portal),
        "REFERRAL" => Some(CandidateSource::Referral),
        "AGENCY" => Some(CandidateSource::Agency),
        "OTHER" => Some(CandidateSource::Other),
        _ => None,
    }
}

fn row_error(line: u64, column: Option<&str>, code: &str, reason: &str) -> ImportRowError {
    ImportRowError {
        line,
        column: column.map(str::to_owned),
        code: code.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Reads one data row into a candidate, or says which column is wrong.
fn parse_row(
    cols: &Columns,
    record: &csv::StringRecord,
    line: u64,
) -> Result<CandidateInput, ImportRowError> {
    let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
    let experience_years =
        match get(cols.experience_years) {
            "" => 0,
            raw => raw.parse::<u8>().ok().filter(|y| *y <= 70).ok_or_else(|| {
                row_error(line, Some("experience_years"), "VAL_001", "out_of_range")
            })?,
        };
    let source = parse_source(get(cols.source))
        .ok_or_else(|| row_error(line, Some("source"), "VAL_001", "unknown_value"))?;
    let phone = get(cols.phone);
    Ok(CandidateInput {
        name: get(Some(cols.name)).to_owned(),
        email: get(Some(cols.email)).to_owned(),
        phone: (!phone.is_empty()).then(|| phone.to_owned()),
        position: get(cols.position).to_owned(),
        domain: get(cols.domain).to_owned(),
        experience_years,
        qualifications: split_list(get(cols.qualifications)),
        source,
        tags: split_list(get(cols.tags)),
    })
}

/// Checks the file and counts its data rows.
fn inspect(content: &str) -> Result<usize, PipelineError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(content.as_bytes());
    let header = reader
        .headers()
        .map_err(|_| PipelineError::ImportFile("malformed"))?
        .clone();
    Columns::from_header(&header)?;
    let mut rows = 0usize;
    for record in reader.records() {
        record.map_err(|_| PipelineError::ImportFile("malformed"))?;
        rows += 1;
        if rows > MAX_ROWS {
            return Err(PipelineError::ImportFile("too_many_rows"));
        }
    }
    if rows == 0 {
        return Err(PipelineError::ImportFile("no_rows"));
    }
    Ok(rows)
}

/// Why an import stops at a row.
#[derive(Debug)]
enum RowStop {
    /// No later row can succeed: the import fails with this reason.
    Fails(&'static str),
    /// The store is unavailable: resume from the cursor later.
    Retry(PipelineError),
}

/// The import being worked on.
struct Run<'a> {
    import_id: Uuid,
    company_id: Uuid,
    actor: Actor,
    meta: &'a CommandMetadata,
}

/// What a failed row creation means for the import.
#[derive(Debug)]
enum RowFailure {
    /// The row is rejected; the import goes on.
    Rejected(ImportRowError),
    /// No later row can succeed: the import fails (the file is destroyed) with this reason.
    ImportFails(&'static str),
    /// The store is unavailable: stop here and resume from the cursor later.
    Retry(PipelineError),
}

fn row_failure(err: PipelineError, line: u64) -> RowFailure {
    use RowFailure::{ImportFails, Rejected, Retry};
    match err {
        PipelineError::Invalid(InvalidValue { field, reason })
        | PipelineError::Candidate(CandidateError::Invalid(InvalidValue { field, reason })) => {
            Rejected(row_error(line, Some(field), "VAL_001", reason))
        }
        PipelineError::CandidateEmailTaken => {
            Rejected(row_error(line, Some("email"), "CAND_002", "duplicate"))
        }
        PipelineError::Candidate(CandidateError::Deleted) => {
            Rejected(row_error(line, None, "CAND_004", "deleted"))
        }
        PipelineError::Company(_) => ImportFails("company_not_active"),
        PipelineError::Candidate(CandidateError::Forbidden) => ImportFails("forbidden"),
        e @ (PipelineError::Unavailable(_) | PipelineError::Conflict) => Retry(e),
        _ => Rejected(row_error(line, None, "ROW_002", "refused")),
    }
}

impl Pipeline {
    /// Stores an uploaded file as a pending import of the actor's company (admins name one).
    pub async fn start_import(
        &self,
        actor: Actor,
        company_id: Option<Uuid>,
        file: &[u8],
    ) -> Result<ImportStarted, PipelineError> {
        let company_id = super::acting_company(&actor, company_id)?;
        if !actor.manages_company(Some(company_id)) {
            return Err(CandidateError::Forbidden.into());
        }
        self.require_active_company(company_id).await?;
        if file.len() > MAX_IMPORT_BYTES {
            return Err(PipelineError::ImportFile("too_large"));
        }
        let content =
            std::str::from_utf8(file).map_err(|_| PipelineError::ImportFile("not_utf8"))?;
        let total = inspect(content)?;
        let sha = Sha256::digest(file);
        let mut name = company_id.as_bytes().to_vec();
        name.extend_from_slice(&sha);
        let import_id = Uuid::new_v5(&IMPORT_NAMESPACE, &name);
        let existing: Option<Uuid> = sqlx::query_scalar(
            "SELECT import_id FROM candidate_imports WHERE company_id = $1 AND file_sha256 = $2",
        )
        .bind(company_id)
        .bind(sha.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        if let Some(import_id) = existing {
            return Ok(ImportStarted {
                import_id,
                created: false,
            });
        }
        let sealed = self
            .vault
            .seal(
                import_id,
                hireledger_infra::vault::Field::ImportFile,
                content,
            )
            .await?;
        let actor_json =
            serde_json::to_value(actor).map_err(|e| PipelineError::Internal(e.into()))?;
        let inserted = sqlx::query(
            "INSERT INTO candidate_imports
                 (import_id, company_id, file_sha256, sealed_content, status, total_rows, actor,
                  created_by)
             VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7)
             ON CONFLICT DO NOTHING",
        )
        .bind(import_id)
        .bind(company_id)
        .bind(sha.as_slice())
        .bind(&sealed.ct)
        .bind(i32::try_from(total).unwrap_or(i32::MAX))
        .bind(actor_json)
        .bind(actor.user_id())
        .execute(&self.pool)
        .await?;
        Ok(ImportStarted {
            import_id,
            created: inserted.rows_affected() == 1,
        })
    }

    /// The import resource, if it belongs to a company the caller may see (checked by the API).
    pub async fn import_report(&self, import_id: Uuid) -> Result<ImportReport, PipelineError> {
        sqlx::query_as(
            "SELECT import_id, company_id, status, total_rows, processed_rows, imported, rejected,
                    COALESCE(
                        (SELECT jsonb_agg(jsonb_build_object('line', e.line,
                                    'column', e.column_name, 'code', e.code, 'reason', e.reason)
                                ORDER BY e.line)
                         FROM candidate_import_errors e WHERE e.import_id = i.import_id),
                        i.errors) AS errors,
                    created_at, started_at, finished_at
             FROM candidate_imports i WHERE import_id = $1",
        )
        .bind(import_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(PipelineError::ImportNotFound)
    }

    /// Works through every import that is pending or whose worker's lease expired; returns how
    /// many it finished. Safe to run in every instance at once.
    pub async fn run_pending_imports(&self) -> Result<usize, PipelineError> {
        let mut done = 0;
        while let Some((import_id, attempts)) = self.lease_import().await? {
            if attempts > MAX_ATTEMPTS {
                self.finish_import(import_id, Some("too_many_attempts"))
                    .await?;
            } else {
                self.run_import(import_id).await?;
            }
            done += 1;
        }
        Ok(done)
    }

    async fn lease_import(&self) -> Result<Option<(Uuid, i32)>, PipelineError> {
        Ok(sqlx::query_as(
            "UPDATE candidate_imports
             SET status = 'RUNNING', started_at = COALESCE(started_at, now()),
                 lease_until = now() + make_interval(secs => $1), attempts = attempts + 1
             WHERE import_id = (
                 SELECT import_id FROM candidate_imports
                 WHERE status IN ('PENDING', 'RUNNING')
                   AND (lease_until IS NULL OR lease_until < now())
                 ORDER BY created_at
                 LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING import_id, attempts",
        )
        .bind(LEASE.as_secs_f64())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// One transaction: appends `new_errors`, moves the cursor to `progress.processed` and
    /// extends the lease. Rows up to the cursor are never looked at again.
    async fn save_progress(
        &self,
        import_id: Uuid,
        progress: &Progress,
        new_errors: &mut Vec<ImportRowError>,
    ) -> Result<(), PipelineError> {
        let mut tx = self.pool.begin().await?;
        if !new_errors.is_empty() {
            let lines: Vec<i64> = new_errors
                .iter()
                .map(|e| i64::try_from(e.line).unwrap_or(i64::MAX))
                .collect();
            let columns: Vec<Option<&str>> =
                new_errors.iter().map(|e| e.column.as_deref()).collect();
            let codes: Vec<&str> = new_errors.iter().map(|e| e.code.as_str()).collect();
            let reasons: Vec<&str> = new_errors.iter().map(|e| e.reason.as_str()).collect();
            sqlx::query(
                "INSERT INTO candidate_import_errors (import_id, line, column_name, code, reason)
                 SELECT $1, t.line, t.column_name, t.code, t.reason
                 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])
                     AS t(line, column_name, code, reason)
                 ON CONFLICT DO NOTHING",
            )
            .bind(import_id)
            .bind(&lines)
            .bind(&columns)
            .bind(&codes)
            .bind(&reasons)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE candidate_imports
             SET processed_rows = $2, imported = $3, rejected = $4,
                 lease_until = now() + make_interval(secs => $5)
             WHERE import_id = $1",
        )
        .bind(import_id)
        .bind(i32::try_from(progress.processed).unwrap_or(i32::MAX))
        .bind(i32::try_from(progress.imported).unwrap_or(i32::MAX))
        .bind(i32::try_from(progress.rejected).unwrap_or(i32::MAX))
        .bind(LEASE.as_secs_f64())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        new_errors.clear();
        Ok(())
    }

    /// Processes one leased import from its cursor. Ends it (`COMPLETED` or `FAILED`, the file
    /// destroyed) unless the store is unavailable, in which case the lease runs out and the
    /// import is resumed later.
    #[tracing::instrument(skip(self))]
    async fn run_import(&self, import_id: Uuid) -> Result<(), PipelineError> {
        type Row = (Uuid, Option<String>, serde_json::Value, i32, i32, i32);
        let row: Option<Row> = sqlx::query_as(
            "SELECT company_id, sealed_content, actor, processed_rows, imported, rejected
             FROM candidate_imports WHERE import_id = $1",
        )
        .bind(import_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((company_id, sealed_content, actor, processed, imported, rejected)) = row else {
            return Err(PipelineError::ImportNotFound);
        };
        let Some(ct) = sealed_content else {
            return self
                .finish_import(import_id, Some("file no longer readable"))
                .await;
        };
        let sealed = hireledger_domain::Sealed {
            subject: import_id,
            ct,
        };
        let Some(content) = self
            .vault
            .open(&sealed, hireledger_infra::vault::Field::ImportFile)
            .await?
        else {
            return self
                .finish_import(import_id, Some("file no longer readable"))
                .await;
        };
        let Ok(actor) = serde_json::from_value::<Actor>(actor) else {
            return self
                .finish_import(import_id, Some("unreadable_actor"))
                .await;
        };
        let mut meta = CommandMetadata::system(&format!("import {import_id}"));
        meta.actor_id = actor.user_id();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(content.as_bytes());
        let Ok(header) = reader.headers().cloned() else {
            return self.finish_import(import_id, Some("malformed")).await;
        };
        let Ok(cols) = Columns::from_header(&header) else {
            return self.finish_import(import_id, Some("malformed")).await;
        };
        let as_count = |n: i32| usize::try_from(n).unwrap_or(0);
        let mut progress = Progress {
            processed: as_count(processed),
            imported: as_count(imported),
            rejected: as_count(rejected),
        };
        let cursor = progress.processed;
        let mut new_errors = Vec::new();
        let mut records = reader.records().skip(cursor);
        loop {
            // The next chunk, up to a malformed record (the import fails after the rows before it).
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let mut malformed = false;
            for record in records.by_ref() {
                let Ok(record) = record else {
                    malformed = true;
                    break;
                };
                let line = record.position().map_or(0, csv::Position::line);
                let parsed = if record.len() != header.len() {
                    Err(row_error(line, None, "ROW_001", "wrong_field_count"))
                } else {
                    parse_row(&cols, &record, line)
                };
                chunk.push(ChunkRow { line, parsed });
                if chunk.len() == CHUNK_ROWS {
                    break;
                }
            }
            if chunk.is_empty() && !malformed {
                break;
            }
            let run = Run {
                import_id,
                company_id,
                actor,
                meta: &meta,
            };
            if let Some(stop) = self
                .import_chunk(&run, chunk, &mut progress, &mut new_errors)
                .await?
            {
                self.save_progress(import_id, &progress, &mut new_errors)
                    .await?;
                return match stop {
                    RowStop::Fails(reason) => self.finish_import(import_id, Some(reason)).await,
                    RowStop::Retry(e) => Err(e),
                };
            }
            self.save_progress(import_id, &progress, &mut new_errors)
                .await?;
            if malformed {
                return self.finish_import(import_id, Some("malformed")).await;
            }
        }
        self.finish_import(import_id, None).await
    }

    /// Imports one chunk (in one go where it can, else row by row) and moves `progress` past
    /// the rows whose outcome is known; `Some` when the import must stop there.
    async fn import_chunk(
        &self,
        run: &Run<'_>,
        chunk: Vec<ChunkRow>,
        progress: &mut Progress,
        new_errors: &mut Vec<ImportRowError>,
    ) -> Result<Option<RowStop>, PipelineError> {
        let record = |progress: &mut Progress, errors: &mut Vec<_>, outcome| {
            progress.processed += 1;
            match outcome {
                Ok(()) => progress.imported += 1,
                Err(e) => {
                    progress.rejected += 1;
                    errors.push(e);
                }
            }
        };
        match self
            .create_chunk(run.actor, run.company_id, run.import_id, &chunk, run.meta)
            .await
        {
            Batched::Done(outcomes) => {
                for outcome in outcomes {
                    record(progress, new_errors, outcome);
                }
                return Ok(None);
            }
            Batched::Retry(e) => return Ok(Some(RowStop::Retry(e))),
            Batched::RowByRow => {}
        }
        for row in chunk {
            let outcome = match row.parsed {
                Err(e) => Err(e),
                Ok(input) => match self.import_row(run, row.line, input).await {
                    Ok(outcome) => outcome,
                    Err(stop) => return Ok(Some(stop)),
                },
            };
            record(progress, new_errors, outcome);
            if progress.processed.is_multiple_of(PROGRESS_EVERY_ROWS) {
                self.save_progress(run.import_id, progress, new_errors)
                    .await?;
            }
        }
        Ok(None)
    }

    /// One row through [`Pipeline::create_candidate`]: its outcome, or why the import stops.
    async fn import_row(
        &self,
        run: &Run<'_>,
        line: u64,
        input: CandidateInput,
    ) -> Result<Result<(), ImportRowError>, RowStop> {
        let candidate_id = imported_candidate_id(run.import_id, line);
        match self
            .create_candidate(
                run.actor,
                Some(run.company_id),
                input,
                Some(candidate_id),
                Some(run.import_id),
                run.meta,
            )
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(e) => match row_failure(e, line) {
                RowFailure::Rejected(r) => Ok(Err(r)),
                RowFailure::ImportFails(reason) => Err(RowStop::Fails(reason)),
                RowFailure::Retry(e) => Err(RowStop::Retry(e)),
            },
        }
    }

    async fn finish_import(
        &self,
        import_id: Uuid,
        failure: Option<&str>,
    ) -> Result<(), PipelineError> {
        sqlx::query(
            "UPDATE candidate_imports
             SET status = $2, failure = $3, sealed_content = NULL, finished_at = now(),
                 lease_until = NULL
             WHERE import_id = $1",
        )
        .bind(import_id)
        .bind(if failure.is_some() {
            "FAILED"
        } else {
            "COMPLETED"
        })
        .bind(failure)
        .execute(&self.pool)
        .await?;
        // The file held personal data: its key goes with it.
        self.vault.erase(import_id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
