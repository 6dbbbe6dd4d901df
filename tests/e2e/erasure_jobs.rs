//! Issue 7, must-fix 3: erasure is a durable job. A crash between the deletion event and the key
//! destruction (simulated by a failing key deletion) leaves a recorded job that the worker
//! finishes: the key is destroyed and the e-mail freed all the same.

use crate::imports::setup;
use hireledger_commands::CommandMetadata;
use hireledger_commands::erasure::Erasures;
use hireledger_commands::identity::NewUser;
use hireledger_commands::pipeline::CandidateInput;
use hireledger_domain::Role;
use hireledger_domain::candidate::CandidateSource;
use sqlx::PgPool;
use uuid::Uuid;

/// Makes every key destruction fail, as a crash right after the event's commit would.
async fn break_key_destruction(pool: &PgPool) {
    for sql in [
        "CREATE FUNCTION test_crash() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'simulated crash before the key is destroyed'; END $$",
        "CREATE TRIGGER test_crash BEFORE DELETE ON vault.subject_keys
         FOR EACH ROW EXECUTE FUNCTION test_crash()",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
}

async fn repair_key_destruction(pool: &PgPool) {
    sqlx::query("DROP TRIGGER test_crash ON vault.subject_keys")
        .execute(pool)
        .await
        .unwrap();
}

async fn key_alive(pool: &PgPool, subject: Uuid) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM vault.subject_keys WHERE subject_id = $1)")
        .bind(subject)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count(pool: &PgPool, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_deletion_event_cannot_skip_the_key_destruction() {
    let s = setup().await;
    let pool = s.db.pool.clone();
    let meta = CommandMetadata::system("erasure-job-test");
    let created = s
        .pipeline
        .create_candidate(
            s.hr,
            None,
            CandidateInput {
                name: "Dora Deleted".into(),
                email: format!("dora.{}@x.example", s.tag),
                phone: None,
                position: String::new(),
                domain: String::new(),
                experience_years: 1,
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
    let candidate = created.candidate_id;
    let user = s
        .identity
        .create_user(
            s.hr,
            NewUser {
                company_id: Some(s.company_id),
                role: Role::Employee,
                name: "Uli Erased".into(),
                email: format!("uli.{}@x.example", s.tag),
                password: Some("correct horse battery".into()),
            },
            &meta,
        )
        .await
        .unwrap()
        .user_id;
    assert!(key_alive(&pool, candidate).await && key_alive(&pool, user).await);

    break_key_destruction(&pool).await;
    assert!(
        s.pipeline
            .delete_candidate(s.hr, candidate, &meta)
            .await
            .is_err()
    );
    assert!(s.identity.erase_user(s.hr, user, &meta).await.is_err());
    // The events are committed, the keys are not destroyed yet, and the jobs are recorded.
    let deleted = count(
        &pool,
        "SELECT count(*) FROM events WHERE aggregate_id = $1::text AND event_type = 'CandidateDeleted'",
        candidate,
    )
    .await;
    assert_eq!(deleted, 1);
    assert!(key_alive(&pool, candidate).await && key_alive(&pool, user).await);
    let erasures = Erasures::new(pool.clone());
    let mut pending = erasures.pending().await.unwrap();
    pending.sort();
    let mut expected = vec![candidate, user];
    expected.sort();
    assert_eq!(pending, expected);

    // The process comes back: the worker finishes both jobs.
    repair_key_destruction(&pool).await;
    assert_eq!(erasures.finish_pending().await.unwrap(), 2);
    for subject in [candidate, user] {
        assert!(!key_alive(&pool, subject).await, "the key survived");
        let erased = count(
            &pool,
            "SELECT count(*) FROM vault.erased_subjects WHERE subject_id = $1",
            subject,
        )
        .await;
        assert_eq!(erased, 1);
    }
    let claims = count(
        &pool,
        "SELECT count(*) FROM candidate_emails WHERE candidate_id = $1",
        candidate,
    )
    .await;
    let logins = count(
        &pool,
        "SELECT count(*) FROM login_emails WHERE user_id = $1",
        user,
    )
    .await;
    assert_eq!((claims, logins), (0, 0), "the e-mails are free again");
    assert!(erasures.pending().await.unwrap().is_empty());
    assert_eq!(erasures.finish_pending().await.unwrap(), 0);
}

/// Every sealed value (`{"subject", "ct"}`) of `subject` in a JSON document.
fn sealed_values(v: &serde_json::Value, subject: Uuid, out: &mut Vec<hireledger_domain::Sealed>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(s), Some(ct)) = (m.get("subject"), m.get("ct"))
                && s.as_str() == Some(subject.to_string().as_str())
                && let Some(ct) = ct.as_str()
            {
                out.push(hireledger_domain::Sealed {
                    subject,
                    ct: ct.to_owned(),
                });
            }
            m.values().for_each(|v| sealed_values(v, subject, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| sealed_values(v, subject, out)),
        _ => {}
    }
}

/// The key store is separable: a person's key row in the `vault` schema is the only thing that
/// opens their data, so dropping that row (nothing else) erases them everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_persons_key_row_is_all_erasure_takes() {
    let s = setup().await;
    let pool = s.db.pool.clone();
    let meta = CommandMetadata::system("erasure-job-test");
    let candidate = s
        .pipeline
        .create_candidate(
            s.hr,
            None,
            CandidateInput {
                name: "Kai Keyed".into(),
                email: format!("kai.{}@x.example", s.tag),
                phone: Some("+44 20 7946 0000".into()),
                position: String::new(),
                domain: String::new(),
                experience_years: 2,
                qualifications: vec!["MSc".into()],
                source: CandidateSource::Manual,
                tags: Vec::new(),
            },
            None,
            None,
            &meta,
        )
        .await
        .unwrap()
        .candidate_id;
    let payloads: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT payload::jsonb FROM events WHERE aggregate_id = $1::text")
            .bind(candidate)
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut sealed = Vec::new();
    for p in &payloads {
        sealed_values(p, candidate, &mut sealed);
    }
    assert!(
        sealed.len() >= 4,
        "name, e-mail, phone and qualifications are sealed"
    );
    let vault =
        hireledger_infra::vault::Vault::new(pool.clone(), &crate::support::dev_master_key())
            .unwrap();
    for v in &sealed {
        assert!(open_any(&vault, v).await.is_some());
    }

    let dropped = sqlx::query("DELETE FROM vault.subject_keys WHERE subject_id = $1")
        .bind(candidate)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(dropped.rows_affected(), 1);
    for v in &sealed {
        assert_eq!(
            open_any(&vault, v).await,
            None,
            "data opened without its key"
        );
    }
}

/// Opens a sealed value whose field the test does not know: the field it was sealed for opens it
/// (every other one refuses it as corrupt); `None` once its subject's key is gone.
async fn open_any(
    vault: &hireledger_infra::vault::Vault,
    sealed: &hireledger_domain::Sealed,
) -> Option<String> {
    for field in hireledger_infra::vault::Field::ALL {
        match vault.open(sealed, field).await {
            Ok(v) => return v,
            Err(hireledger_infra::vault::VaultError::Corrupt) => continue,
            Err(e) => panic!("opening: {e}"),
        }
    }
    panic!("no field opens the value")
}

/// Issue 7, must-fix 4: rejecting a registration erases its contact through the same durable
/// job; a crash before the key is destroyed leaves the job, which the worker finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_a_rejection_cannot_keep_the_contacts_key() {
    let s = setup().await;
    let pool = s.db.pool.clone();
    let meta = CommandMetadata::system("erasure-job-test");
    let vault =
        hireledger_infra::vault::Vault::new(pool.clone(), &crate::support::dev_master_key())
            .unwrap();
    let identity = hireledger_commands::identity::Identity::new(pool.clone(), vault);
    let registered = identity
        .register_company(
            hireledger_commands::identity::RegisterCompany {
                name: "Rejected Ltd".into(),
                domain: "rejected.example".into(),
                contact_name: "Rhea Rejected".into(),
                contact_email: "rhea@rejected.example".into(),
            },
            &meta,
        )
        .await
        .unwrap();
    let contact = registered.contact_person_id;
    assert!(key_alive(&pool, contact).await);

    break_key_destruction(&pool).await;
    let rejected = identity
        .reject_company(
            hireledger_domain::Actor::System,
            registered.company_id,
            "unverifiable".into(),
            &meta,
        )
        .await;
    assert!(rejected.is_err(), "the simulated crash did not happen");
    assert!(key_alive(&pool, contact).await);
    let job = "SELECT count(*) FROM pending_erasures WHERE subject_id = $1";
    assert_eq!(count(&pool, job, contact).await, 1, "no job recorded");

    repair_key_destruction(&pool).await;
    Erasures::new(pool.clone()).finish_pending().await.unwrap();
    assert!(
        !key_alive(&pool, contact).await,
        "the contact's key survived"
    );
    assert_eq!(count(&pool, job, contact).await, 0);
}
