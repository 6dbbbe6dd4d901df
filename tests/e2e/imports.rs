//! Issue 7, must-fix 7: a CSV import always ends and destroys its file, whatever happens to its
//! rows or its company meanwhile. The pipeline runs without the API here, so no background worker
//! races the test: it plays the worker (`run_pending_imports`) itself.

use crate::support::{self, TestDb};
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, RegisterCompany};
use hireledger_commands::pipeline::{CandidateInput, Pipeline, imported_candidate_id};
use hireledger_domain::candidate::CandidateSource;
use hireledger_domain::company::CompanyCommand;
use hireledger_domain::{Actor, Role};
use hireledger_infra::vault::Vault;
use uuid::Uuid;

/// An active company with its HR user, and the command side on a fresh database (no API).
pub(crate) struct Setup {
    pub(crate) db: TestDb,
    pub(crate) identity: Identity,
    pub(crate) pipeline: Pipeline,
    pub(crate) company_id: Uuid,
    pub(crate) hr: Actor,
    pub(crate) tag: String,
}

pub(crate) async fn setup() -> Setup {
    let db = TestDb::new().await;
    let vault = Vault::new(db.pool.clone(), &support::dev_master_key()).unwrap();
    let identity = Identity::new(db.pool.clone(), vault.clone());
    let pipeline = Pipeline::new(db.pool.clone(), vault);
    let meta = CommandMetadata::system("import-test");
    let tag = Uuid::new_v4().simple().to_string();
    let company = identity
        .register_company(
            RegisterCompany {
                name: "Importers".into(),
                domain: format!("imp-{tag}.example.com"),
                contact_name: "Ina Importer".into(),
                contact_email: format!("ina@imp-{tag}.example.com"),
            },
            &meta,
        )
        .await
        .unwrap();
    let approved = identity
        .approve_company(Actor::System, company.company_id, &meta)
        .await
        .unwrap();
    let hr = Actor::User {
        user_id: approved.hr_user_id,
        role: Role::Hr,
        company_id: Some(company.company_id),
    };
    Setup {
        db,
        identity,
        pipeline,
        company_id: company.company_id,
        hr,
        tag,
    }
}

impl Setup {
    fn csv(&self) -> String {
        let t = &self.tag;
        format!(
            "name,email\nAda One,ada.{t}@x.example\nBob Two,bob.{t}@x.example\nCy Three,cy.{t}@x.example\n"
        )
    }

    async fn import_state(&self, import_id: Uuid) -> (String, Option<String>, bool) {
        let (status, failure, sealed): (String, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT status, failure, sealed_content FROM candidate_imports WHERE import_id = $1",
        )
        .bind(import_id)
        .fetch_one(&self.db.pool)
        .await
        .unwrap();
        let key_erased: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM vault.erased_subjects WHERE subject_id = $1)",
        )
        .bind(import_id)
        .fetch_one(&self.db.pool)
        .await
        .unwrap();
        (status, failure, sealed.is_none() && key_erased)
    }

    async fn claims(&self, candidate_id: Uuid) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM candidate_emails WHERE candidate_id = $1")
            .bind(candidate_id)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_deleted_during_an_import_is_a_row_outcome_and_the_import_ends() {
    let s = setup().await;
    let meta = CommandMetadata::system("import-test");
    let started = s
        .pipeline
        .start_import(s.hr, None, s.csv().as_bytes())
        .await
        .unwrap();
    let import_id = started.import_id;
    // A worker created line 3 (Bob) and crashed before recording its progress; meanwhile HR
    // deleted Bob.
    let bob = imported_candidate_id(import_id, 3);
    s.pipeline
        .create_candidate(
            s.hr,
            None,
            CandidateInput {
                name: "Bob Two".into(),
                email: format!("bob.{}@x.example", s.tag),
                phone: None,
                position: String::new(),
                domain: String::new(),
                experience_years: 0,
                qualifications: Vec::new(),
                source: CandidateSource::Import,
                tags: Vec::new(),
            },
            Some(bob),
            Some(import_id),
            &meta,
        )
        .await
        .unwrap();
    s.pipeline.delete_candidate(s.hr, bob, &meta).await.unwrap();
    assert_eq!(s.claims(bob).await, 0, "deletion releases the address");

    // The resumed import ends: Bob's row is a rejected row, the others are imported.
    assert_eq!(s.pipeline.run_pending_imports().await.unwrap(), 1);
    let report = s.pipeline.import_report(import_id).await.unwrap();
    assert_eq!(report.status, "COMPLETED");
    assert_eq!(
        (report.processed_rows, report.imported, report.rejected),
        (3, 2, 1)
    );
    assert_eq!(report.errors.len(), 1);
    assert_eq!(
        (report.errors[0].line, report.errors[0].code.as_str()),
        (3, "CAND_004")
    );
    let (_, _, destroyed) = s.import_state(import_id).await;
    assert!(destroyed, "the sealed file and its key are gone");
    assert_eq!(
        s.claims(bob).await,
        0,
        "the deleted person's address was claimed again"
    );
    assert_eq!(s.pipeline.run_pending_imports().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_of_a_deactivated_company_fails_and_destroys_its_file() {
    let s = setup().await;
    let started = s
        .pipeline
        .start_import(s.hr, None, s.csv().as_bytes())
        .await
        .unwrap();
    s.identity
        .company_command(
            s.company_id,
            CompanyCommand::Deactivate {
                actor: Actor::System,
                reason: "audit".into(),
            },
            &CommandMetadata::system("import-test"),
        )
        .await
        .unwrap();
    assert_eq!(s.pipeline.run_pending_imports().await.unwrap(), 1);
    let (status, failure, destroyed) = s.import_state(started.import_id).await;
    assert_eq!(
        (status.as_str(), failure.as_deref()),
        ("FAILED", Some("company_not_active"))
    );
    assert!(destroyed, "the sealed file and its key are gone");
    let claims: i64 =
        sqlx::query_scalar("SELECT count(*) FROM candidate_emails WHERE company_id = $1")
            .bind(s.company_id)
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
    assert_eq!(claims, 0);
    assert_eq!(s.pipeline.run_pending_imports().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_resumes_after_its_cursor_and_appends_errors() {
    let s = setup().await;
    let t = &s.tag;
    let csv = format!(
        "name,email\nAda One,ada.{t}@x.example\nBad,not-an-email\nCy Three,cy.{t}@x.example\n"
    );
    let started = s
        .pipeline
        .start_import(s.hr, None, csv.as_bytes())
        .await
        .unwrap();
    // A worker recorded the first two rows (one error) and died: the cursor is at 2.
    sqlx::query(
        "UPDATE candidate_imports SET processed_rows = 2, imported = 1, rejected = 1,
                status = 'RUNNING', lease_until = now() - interval '1 second'
         WHERE import_id = $1",
    )
    .bind(started.import_id)
    .execute(&s.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO candidate_import_errors (import_id, line, column_name, code, reason)
         VALUES ($1, 3, 'email', 'VAL_001', 'malformed')",
    )
    .bind(started.import_id)
    .execute(&s.db.pool)
    .await
    .unwrap();
    s.pipeline.run_pending_imports().await.unwrap();
    let report = s.pipeline.import_report(started.import_id).await.unwrap();
    assert_eq!(report.status, "COMPLETED");
    assert_eq!(
        (report.processed_rows, report.imported, report.rejected),
        (3, 2, 1)
    );
    assert_eq!(report.errors.len(), 1);
    // Rows before the cursor were not run again: Ada (line 2) was never created by this run.
    let ada_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'candidate' AND aggregate_id = $1",
    )
    .bind(imported_candidate_id(started.import_id, 2).to_string())
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(ada_events, 0);
    let cy_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'candidate' AND aggregate_id = $1",
    )
    .bind(imported_candidate_id(started.import_id, 4).to_string())
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(cy_events, 1);
}

/// `rows` as a file: `name,email`, one line each.
fn file(rows: &[(String, String)]) -> String {
    let mut csv = String::from("name,email\n");
    for (name, email) in rows {
        csv.push_str(&format!("{name},{email}\n"));
    }
    csv
}

impl Setup {
    async fn events_of(&self, candidate_id: Uuid) -> Vec<(i64, serde_json::Value)> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT sequence, metadata::text FROM events
             WHERE aggregate_type = 'candidate' AND aggregate_id = $1 ORDER BY sequence",
        )
        .bind(candidate_id.to_string())
        .fetch_all(&self.db.pool)
        .await
        .unwrap();
        rows.into_iter()
            .map(|(seq, meta)| (seq, serde_json::from_str(&meta).unwrap()))
            .collect()
    }

    async fn run_import(&self, csv: &str) -> (Uuid, hireledger_commands::pipeline::ImportReport) {
        let started = self
            .pipeline
            .start_import(self.hr, None, csv.as_bytes())
            .await
            .unwrap();
        assert_eq!(self.pipeline.run_pending_imports().await.unwrap(), 1);
        let report = self
            .pipeline
            .import_report(started.import_id)
            .await
            .unwrap();
        assert_eq!(report.status, "COMPLETED");
        (started.import_id, report)
    }
}

/// A chunk created in one go gives each row the outcome it has row by row: the first row of an
/// address gets it, a later one (or an address another candidate holds) is `CAND_002`, an invalid
/// row is `VAL_001`; every created candidate is a new aggregate at sequence 1 with the import's
/// metadata, its values sealed under a key of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_keeps_row_outcomes_metadata_and_a_key_per_candidate() {
    let s = setup().await;
    let t = &s.tag;
    let meta = CommandMetadata::system("import-test");
    // Someone else holds this address already.
    let held = format!("held.{t}@x.example");
    s.pipeline
        .create_candidate(
            s.hr,
            None,
            CandidateInput {
                name: "Holder".into(),
                email: held.clone(),
                phone: None,
                position: String::new(),
                domain: String::new(),
                experience_years: 0,
                qualifications: Vec::new(),
                source: CandidateSource::Manual,
                tags: Vec::new(),
            },
            None,
            None,
            &meta,
        )
        .await
        .unwrap();
    let mut rows: Vec<(String, String)> = (0..300)
        .map(|i| (format!("Person {i}"), format!("p{i}.{t}@x.example")))
        .collect();
    rows[10].1 = rows[3].1.clone(); // line 12 repeats line 5
    rows[260].1 = rows[0].1.clone(); // line 262 (next chunk) repeats line 2
    rows[20].1 = held; // line 22
    rows[30].1 = "not-an-email".into(); // line 32
    let (import_id, report) = s.run_import(&file(&rows)).await;
    assert_eq!(
        (report.processed_rows, report.imported, report.rejected),
        (300, 296, 4)
    );
    let errors: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.code.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (12, "CAND_002"),
            (22, "CAND_002"),
            (32, "VAL_001"),
            (262, "CAND_002")
        ]
    );
    // Line 5 got the address, line 12 did not.
    let first = imported_candidate_id(import_id, 5);
    let second = imported_candidate_id(import_id, 12);
    assert_eq!(s.claims(first).await, 1);
    assert_eq!(s.claims(second).await, 0);
    assert!(s.events_of(second).await.is_empty());

    let ids: Vec<Uuid> = (2u64..=301)
        .map(|line| imported_candidate_id(import_id, line))
        .collect();
    let keys: i64 =
        sqlx::query_scalar("SELECT count(*) FROM vault.subject_keys WHERE subject_id = ANY($1)")
            .bind(&ids)
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
    assert_eq!(keys, 296, "one key per imported candidate");
    for line in [2u64, 5, 100, 301] {
        let id = imported_candidate_id(import_id, line);
        let events = s.events_of(id).await;
        assert_eq!(events.len(), 1, "line {line}");
        let (sequence, meta) = &events[0];
        assert_eq!(*sequence, 1);
        assert_eq!(meta["tenant_id"], s.company_id.to_string());
        assert_eq!(meta["actor_id"], s.hr.user_id().unwrap().to_string());
        assert_eq!(meta["causation_id"], format!("import {import_id}"));
        assert!(meta["correlation_id"].is_string());
        let (candidate, version) = s.pipeline.candidate(id).await.unwrap();
        assert_eq!(version, 1);
        let profile = candidate.profile().unwrap();
        assert_eq!(
            profile.name.subject, id,
            "sealed under the candidate's own key"
        );
        assert_eq!(profile.email.subject, id);
        assert_eq!(
            s.pipeline
                .open(&profile.name, hireledger_infra::vault::Field::Name)
                .await
                .unwrap(),
            Some(format!("Person {}", line - 2))
        );
    }
    // The same file again is the same import: nothing new.
    let again = s
        .pipeline
        .start_import(s.hr, None, file(&rows).as_bytes())
        .await
        .unwrap();
    assert_eq!((again.import_id, again.created), (import_id, false));
}

/// A row that fails after claiming its address gives it back, and a later row of the same chunk
/// with that address then gets it, exactly as row by row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_whose_key_was_erased_gives_its_address_to_a_later_row_of_the_chunk() {
    let s = setup().await;
    let t = &s.tag;
    let vault = Vault::new(s.db.pool.clone(), &support::dev_master_key()).unwrap();
    let rows: Vec<(String, String)> = vec![
        ("Ada One".into(), format!("ada.{t}@x.example")),
        ("Bob Two".into(), format!("bob.{t}@x.example")),
        ("Bob Again".into(), format!("bob.{t}@x.example")),
        ("Cy Three".into(), format!("cy.{t}@x.example")),
        ("Di Four".into(), format!("di.{t}@x.example")),
    ];
    let csv = file(&rows);
    let started = s
        .pipeline
        .start_import(s.hr, None, csv.as_bytes())
        .await
        .unwrap();
    // Lines 3 (Bob) and 6 (Di) lost their keys before they were ever created.
    let bob = imported_candidate_id(started.import_id, 3);
    let di = imported_candidate_id(started.import_id, 6);
    vault.erase(bob).await.unwrap();
    vault.erase(di).await.unwrap();
    assert_eq!(s.pipeline.run_pending_imports().await.unwrap(), 1);
    let report = s.pipeline.import_report(started.import_id).await.unwrap();
    assert_eq!(report.status, "COMPLETED");
    assert_eq!(
        (report.processed_rows, report.imported, report.rejected),
        (5, 3, 2)
    );
    let errors: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.code.as_str()))
        .collect();
    assert_eq!(errors, [(3, "CAND_004"), (6, "CAND_004")]);
    let bob_again = imported_candidate_id(started.import_id, 4);
    assert_eq!(
        s.claims(bob).await,
        0,
        "the failed row gave its address back"
    );
    assert_eq!(s.claims(bob_again).await, 1, "the later row got it");
    assert_eq!(s.claims(di).await, 0);
    assert!(s.events_of(bob).await.is_empty());
    assert_eq!(s.events_of(bob_again).await.len(), 1);

    // Without a later row wanting the address, the chunk stays in one go: same outcome.
    let rows: Vec<(String, String)> = vec![
        ("Eve Five".into(), format!("eve.{t}@x.example")),
        ("Fay Six".into(), format!("fay.{t}@x.example")),
    ];
    let csv = file(&rows);
    let started = s
        .pipeline
        .start_import(s.hr, None, csv.as_bytes())
        .await
        .unwrap();
    let fay = imported_candidate_id(started.import_id, 3);
    vault.erase(fay).await.unwrap();
    assert_eq!(s.pipeline.run_pending_imports().await.unwrap(), 1);
    let report = s.pipeline.import_report(started.import_id).await.unwrap();
    assert_eq!(
        (report.processed_rows, report.imported, report.rejected),
        (2, 1, 1)
    );
    assert_eq!(
        (report.errors[0].line, report.errors[0].code.as_str()),
        (3, "CAND_004")
    );
    assert_eq!(
        s.claims(fay).await,
        0,
        "the failed row gave its address back"
    );
    assert!(s.events_of(fay).await.is_empty());
    let fay_email = hireledger_domain::EmailAddress::parse(&rows[1].1).unwrap();
    assert_eq!(
        s.pipeline
            .candidate_by_email(s.company_id, &fay_email)
            .await
            .unwrap(),
        None
    );
}

/// A resumed import meets rows a crashed worker created after the cursor: they count as imported
/// (no second event), and the chunks after them are created in one go as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_import_counts_rows_created_after_its_cursor_once() {
    let s = setup().await;
    let t = &s.tag;
    let meta = CommandMetadata::system("import-test");
    let rows: Vec<(String, String)> = (0..600)
        .map(|i| (format!("Person {i}"), format!("r{i}.{t}@x.example")))
        .collect();
    let csv = file(&rows);
    let started = s
        .pipeline
        .start_import(s.hr, None, csv.as_bytes())
        .await
        .unwrap();
    // The crashed worker created lines 2..=41 and recorded nothing.
    for line in 2u64..=41 {
        let (name, email) = &rows[usize::try_from(line).unwrap() - 2];
        s.pipeline
            .create_candidate(
                s.hr,
                None,
                CandidateInput {
                    name: name.clone(),
                    email: email.clone(),
                    phone: None,
                    position: String::new(),
                    domain: String::new(),
                    experience_years: 0,
                    qualifications: Vec::new(),
                    source: CandidateSource::Import,
                    tags: Vec::new(),
                },
                Some(imported_candidate_id(started.import_id, line)),
                Some(started.import_id),
                &meta,
            )
            .await
            .unwrap();
    }
    assert_eq!(s.pipeline.run_pending_imports().await.unwrap(), 1);
    let report = s.pipeline.import_report(started.import_id).await.unwrap();
    assert_eq!(report.status, "COMPLETED");
    assert_eq!(
        (report.processed_rows, report.imported, report.rejected),
        (600, 600, 0)
    );
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'candidate' AND sequence = 1",
    )
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    let all: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'candidate'")
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
    assert_eq!((events, all), (600, 600), "one event per candidate");
}
