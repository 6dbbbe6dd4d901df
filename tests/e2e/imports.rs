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
