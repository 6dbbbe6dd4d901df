//! Candidates: creation, reads through the pipeline projector, changes, tenancy and roles,
//! assignment, deletion (crypto-shredding: gone from every read model, e-mail free again), bulk
//! deletion, and CSV imports.

use super::{
    Reply, Session, Tenant, admin, create_user, login, onboard, poll, uuid_at, verify_mailed,
};
use crate::support::{TestApp, spawn_app};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

const PASSWORD: &str = "user-password-1";

impl Session {
    async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(self.client.put(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub(super) async fn delete(&self, path: &str) -> Reply {
        self.send(self.client.delete(format!("{}{path}", self.base)))
            .await
    }

    /// `POST` of `bytes` as the body with this `Content-Type`.
    async fn post_bytes(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .header("Content-Type", content_type)
                .body(bytes),
        )
        .await
    }

    /// `POST` of a `multipart/form-data` body with one file field.
    async fn post_file(&self, path: &str, field: &str, file: &[u8]) -> Reply {
        let boundary = format!("hl-{}", Uuid::now_v7().simple());
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"candidates.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.post_bytes(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
    }

    /// `GET` of a candidate once the read model has reached `version`.
    async fn candidate(&self, id: Uuid, version: u64) -> Reply {
        self.get(&format!("/api/v1/candidates/{id}?min_version={version}"))
            .await
    }
}

fn candidate_body(name: &str, email: &str) -> Value {
    json!({ "name": name, "email": email })
}

/// HR adds a candidate; returns (id, version).
async fn add(hr: &Session, body: Value) -> (Uuid, u64) {
    let r = hr.post("/api/v1/candidates", body).await;
    let b = r.assert_ok(201);
    (uuid_at(b, "candidate_id"), r.version())
}

/// The ids of a list reply, in order.
fn ids(r: &Reply) -> Vec<Uuid> {
    r.assert_ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| uuid_at(c, "candidate_id"))
        .collect()
}

async fn candidate_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'candidate'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Rows of any read-model table (`rm_*`) whose text contains `needle` (case-insensitively).
pub(super) async fn read_model_rows_containing(app: &TestApp, needle: &str) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name LIKE 'rm\\_%'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(tables.contains(&"rm_candidates".to_owned()));
    let mut hits = Vec::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} t WHERE strpos(lower(t::text), lower($1)) > 0"
        ))
        .bind(needle)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if n > 0 {
            hits.push(table);
        }
    }
    hits
}

async fn employee(app: &TestApp, t: &Tenant, name: &str) -> (Uuid, Session) {
    let (id, _, email) = create_user(&t.hr, name, "EMPLOYEE").await;
    (id, login(app, &email, PASSWORD).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn candidates_crud_validation_roles_and_tenancy() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Cand Alpha").await;
    let b = onboard(&app, &admin, "Cand Beta").await;

    // Create and read back through the projector.
    let r =
        a.hr.post(
            "/api/v1/candidates",
            json!({
                "name": "Ada Lovelace", "email": "Ada@Example.org", "phone": "+44 20 7946 0958",
                "position": "Engineer", "domain": "Compilers", "experience_years": 12,
                "qualifications": ["BSc Mathematics", "OCaml"], "source": "REFERRAL",
                "tags": ["rust", "senior"],
            }),
        )
        .await;
    let ada = uuid_at(r.assert_ok(201), "candidate_id");
    assert_eq!(r.version(), 1);
    assert_eq!(r.header("x-aggregate-version"), Some("1"));
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/candidates/{ada}").as_str())
    );
    let r = a.hr.candidate(ada, 1).await;
    assert_eq!(r.header("x-read-consistency"), Some("consistent"));
    let c = r.assert_ok(200);
    assert_eq!(c["name"], "Ada Lovelace");
    assert_eq!(c["email"], "ada@example.org");
    assert_eq!(c["phone"].as_str().map(|p| p.is_empty()), Some(false));
    assert_eq!(c["position"], "Engineer");
    assert_eq!(c["domain"], "Compilers");
    assert_eq!(c["experience_years"], 12);
    assert_eq!(c["qualifications"], json!(["BSc Mathematics", "OCaml"]));
    assert_eq!(c["source"], "REFERRAL");
    assert_eq!(c["tags"], json!(["rust", "senior"]));
    assert_eq!(c["company_id"], json!(a.company_id));
    assert_eq!(c["assigned_to"], Value::Null);
    assert_eq!(c["version"], 1);

    // Duplicate e-mail in the same company (any case) → CAND_002; another company may use it.
    let before = candidate_events(&app).await;
    a.hr.post(
        "/api/v1/candidates",
        candidate_body("Other Ada", "ADA@example.org"),
    )
    .await
    .assert_error(409, "CAND_002");
    // Validation: nothing is written.
    for body in [
        candidate_body("Bad Mail", "not-an-email"),
        json!({"name": "Bad Phone", "email": "p@example.org", "phone": "call me maybe"}),
        json!({"name": "Old", "email": "o@example.org", "experience_years": 200}),
        json!({"name": "Older", "email": "o@example.org", "experience_years": 100000}),
        json!({"name": "Fax", "email": "f@example.org", "source": "FAX"}),
        candidate_body("", "empty@example.org"),
    ] {
        a.hr.post("/api/v1/candidates", body)
            .await
            .assert_error(422, "VAL_001");
    }
    a.hr.post(
        "/api/v1/candidates",
        json!({"name": "X", "email": "x@example.org", "shoe_size": 44}),
    )
    .await
    .assert_error(400, "REQ_001");
    assert_eq!(candidate_events(&app).await, before);
    let (ada_b, _) = add(&b.hr, candidate_body("Ada B", "ada@example.org")).await;

    // Admins name the company; HR may not name another one.
    admin
        .post(
            "/api/v1/candidates",
            candidate_body("No Co", "noco@example.org"),
        )
        .await
        .assert_error(422, "VAL_001");
    let mut body = candidate_body("Via Admin", "admin-made@example.org");
    body["company_id"] = json!(a.company_id);
    let (via_admin, _) = add(&admin, body).await;
    let mut body = candidate_body("Sneaky", "sneaky@example.org");
    body["company_id"] = json!(b.company_id);
    a.hr.post("/api/v1/candidates", body)
        .await
        .assert_error(404, "COMP_002");

    // PATCH merges with the current profile.
    let r =
        a.hr.patch(
            &format!("/api/v1/candidates/{ada}"),
            json!({"position": "Staff Engineer", "tags": ["rust"]}),
        )
        .await;
    r.assert_ok(200);
    assert_eq!(r.version(), 2);
    let c = a.hr.candidate(ada, 2).await;
    let c = c.assert_ok(200);
    assert_eq!(c["position"], "Staff Engineer");
    assert_eq!(c["tags"], json!(["rust"]));
    assert_eq!(c["name"], "Ada Lovelace");
    assert_eq!(c["email"], "ada@example.org");
    assert_eq!(c["domain"], "Compilers");
    assert_eq!(c["experience_years"], 12);
    assert_eq!(c["qualifications"], json!(["BSc Mathematics", "OCaml"]));
    assert_eq!(c["source"], "REFERRAL");
    assert!(c["phone"].is_string());
    let before = candidate_events(&app).await;
    a.hr.patch(
        &format!("/api/v1/candidates/{ada}"),
        json!({"position": "Staff Engineer"}),
    )
    .await
    .assert_error(422, "CAND_007");
    a.hr.patch(&format!("/api/v1/candidates/{ada}"), json!({}))
        .await
        .assert_error(422, "CAND_007");
    a.hr.patch(
        &format!("/api/v1/candidates/{ada}"),
        json!({"experience_years": 71}),
    )
    .await
    .assert_error(422, "VAL_001");
    a.hr.patch(
        &format!("/api/v1/candidates/{ada}"),
        json!({"email": "admin-made@example.org"}),
    )
    .await
    .assert_error(409, "CAND_002");
    assert_eq!(candidate_events(&app).await, before);
    let r =
        a.hr.patch(
            &format!("/api/v1/candidates/{ada}"),
            json!({"phone": null, "name": "Ada King"}),
        )
        .await;
    r.assert_ok(200);
    let c = a.hr.candidate(ada, r.version()).await;
    assert_eq!(c.body["phone"], Value::Null);
    assert_eq!(c.body["name"], "Ada King");
    assert_eq!(c.body["position"], "Staff Engineer");
    let ada_version = r.version();

    // Assignment: only an active EMPLOYEE of the same company.
    let (edda_id, edda) = employee(&app, &a, "Edda").await;
    let (b_emp_id, _) = employee(&app, &b, "Bert").await;
    let (grace, _) = add(&a.hr, candidate_body("Grace Hopper", "grace@example.org")).await;
    for not_employee in [a.hr.user_id, b_emp_id, Uuid::now_v7()] {
        a.hr.put(
            &format!("/api/v1/candidates/{grace}/assignment"),
            json!({ "employee_id": not_employee }),
        )
        .await
        .assert_error(422, "CAND_005");
    }
    a.hr.put(&format!("/api/v1/candidates/{grace}/assignment"), json!({}))
        .await
        .assert_error(400, "REQ_001");
    let r =
        a.hr.put(
            &format!("/api/v1/candidates/{grace}/assignment"),
            json!({ "employee_id": edda_id }),
        )
        .await;
    r.assert_ok(200);
    assert_eq!(r.body["candidate_id"], json!(grace));
    let grace_v = r.version();

    // The EMPLOYEE sees only their candidates, read only.
    let c = edda.candidate(grace, grace_v).await;
    assert_eq!(c.assert_ok(200)["assigned_to"], json!(edda_id));
    edda.get(&format!("/api/v1/candidates/{ada}"))
        .await
        .assert_error(404, "CAND_001");
    assert_eq!(ids(&edda.get("/api/v1/candidates").await), vec![grace]);
    let r = edda
        .get(&format!("/api/v1/candidates?assigned_to={}", a.hr.user_id))
        .await;
    assert_eq!(ids(&r), vec![grace]);
    edda.post("/api/v1/candidates", candidate_body("E", "e@example.org"))
        .await
        .assert_error(403, "AUTH_003");
    edda.patch(
        &format!("/api/v1/candidates/{grace}"),
        json!({"position": "X"}),
    )
    .await
    .assert_error(403, "AUTH_003");
    edda.delete(&format!("/api/v1/candidates/{grace}"))
        .await
        .assert_error(403, "AUTH_003");
    edda.put(
        &format!("/api/v1/candidates/{grace}/assignment"),
        json!({ "employee_id": null }),
    )
    .await
    .assert_error(403, "AUTH_003");

    // CANDIDATE accounts: 403 everywhere.
    let (_, _, cand_email) = create_user(&a.hr, "Cara", "CANDIDATE").await;
    let cara = login(&app, &cand_email, PASSWORD).await;
    cara.get("/api/v1/candidates")
        .await
        .assert_error(403, "AUTH_003");
    cara.get(&format!("/api/v1/candidates/{ada}"))
        .await
        .assert_error(403, "AUTH_003");
    cara.post("/api/v1/candidates", candidate_body("C", "c@example.org"))
        .await
        .assert_error(403, "AUTH_003");

    // Another tenant: 404 with the candidate's code, and nothing changes.
    let before = candidate_events(&app).await;
    b.hr.get(&format!("/api/v1/candidates/{ada}"))
        .await
        .assert_error(404, "CAND_001");
    b.hr.patch(
        &format!("/api/v1/candidates/{ada}"),
        json!({"position": "Spy"}),
    )
    .await
    .assert_error(404, "CAND_001");
    b.hr.delete(&format!("/api/v1/candidates/{ada}"))
        .await
        .assert_error(404, "CAND_001");
    b.hr.put(
        &format!("/api/v1/candidates/{ada}/assignment"),
        json!({ "employee_id": b_emp_id }),
    )
    .await
    .assert_error(404, "CAND_001");
    b.hr.get(&format!("/api/v1/candidates?company_id={}", a.company_id))
        .await
        .assert_error(404, "COMP_002");
    a.hr.get(&format!("/api/v1/candidates/{}", Uuid::now_v7()))
        .await
        .assert_error(404, "CAND_001");
    assert_eq!(candidate_events(&app).await, before);
    assert_eq!(ids(&b.hr.get("/api/v1/candidates").await), vec![ada_b]);

    // Lists: filters, sorts, paging (everything above is projected: read-your-writes first).
    a.hr.candidate(ada, ada_version).await.assert_ok(200);
    a.hr.candidate(via_admin, 1).await.assert_ok(200);
    let all = ids(&a.hr.get("/api/v1/candidates").await);
    assert_eq!(all, vec![grace, via_admin, ada]);
    let r = admin
        .get(&format!(
            "/api/v1/candidates?company_id={}&sort=created_asc",
            a.company_id
        ))
        .await;
    assert_eq!(ids(&r), vec![ada, via_admin, grace]);
    assert_eq!(r.body["total"], 3);
    let r = a.hr.get("/api/v1/candidates?sort=name_asc").await;
    assert_eq!(ids(&r), vec![ada, grace, via_admin]);
    let r = a.hr.get("/api/v1/candidates?sort=experience_desc").await;
    assert_eq!(ids(&r)[0], ada);
    let r = a.hr.get("/api/v1/candidates?q=HOPPER").await;
    assert_eq!(ids(&r), vec![grace]);
    let r = a.hr.get("/api/v1/candidates?q=admin-made@").await;
    assert_eq!(ids(&r), vec![via_admin]);
    let r = a.hr.get("/api/v1/candidates?tag=rust").await;
    assert_eq!(ids(&r), vec![ada]);
    let r = a.hr.get("/api/v1/candidates?source=REFERRAL").await;
    assert_eq!(ids(&r), vec![ada]);
    let r =
        a.hr.get(&format!("/api/v1/candidates?assigned_to={edda_id}"))
            .await;
    assert_eq!(ids(&r), vec![grace]);
    let r =
        a.hr.get("/api/v1/candidates?created_from=2999-01-01T00:00:00Z")
            .await;
    assert_eq!(r.assert_ok(200)["total"], 0);
    let r =
        a.hr.get("/api/v1/candidates?created_to=2999-01-01T00:00:00Z&page_size=2&page=2")
            .await;
    assert_eq!(r.assert_ok(200)["total"], 3);
    assert_eq!(r.body["pages"], 2);
    assert_eq!(ids(&r), vec![ada]);
    a.hr.get("/api/v1/candidates?sort=shoe_size")
        .await
        .assert_error(422, "VAL_001");
    a.hr.get("/api/v1/candidates?source=FAX")
        .await
        .assert_error(422, "VAL_001");
    a.hr.get("/api/v1/candidates?page_size=1000")
        .await
        .assert_error(422, "VAL_001");
    a.hr.get("/api/v1/candidates?created_from=yesterday")
        .await
        .assert_error(400, "REQ_001");
    a.hr.post_empty(&format!("/api/v1/candidates/{ada}"))
        .await
        .assert_error(405, "REQ_005");

    // A CANDIDATE account created later with a candidate's e-mail is linked to that record once
    // its owner proves control of the address (not when HR types it).
    let r =
        a.hr.post(
            "/api/v1/users",
            json!({"name": "Grace", "email": "GRACE@example.org", "role": "CANDIDATE"}),
        )
        .await;
    let grace_user = uuid_at(r.assert_ok(201), "user_id");
    let c = a.hr.candidate(grace, grace_v).await;
    assert_eq!(c.assert_ok(200)["user_id"], Value::Null);
    verify_mailed(&app, grace_user).await;
    let c = a.hr.candidate(grace, grace_v + 1).await;
    assert_eq!(c.assert_ok(200)["user_id"], json!(grace_user));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_candidates_removes_them_from_every_read_model() {
    use hireledger_commands::pipeline::{ApplicationInput, Pipeline};
    use hireledger_domain::Actor;
    use hireledger_domain::application::ApplicationSource;
    use hireledger_domain::job::{EmploymentType, JobCommand, JobDetails, Skill};

    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Shred Alpha").await;
    let b = onboard(&app, &admin, "Shred Beta").await;
    let name = "Zebulon Quartermaine";
    let email = "zebulon.q@shred.example";
    let (zeb, _) = add(
        &a.hr,
        json!({"name": name, "email": email, "phone": "+49 30 1234567",
               "qualifications": ["Zebulon's thesis"]}),
    )
    .await;

    a.hr.candidate(zeb, 1).await.assert_ok(200);

    // An application of the candidate, so that the deletion has more than one row to remove.
    let vault =
        hireledger_infra::vault::Vault::new(app.pool.clone(), &app.common.master_key).unwrap();
    let pipeline = Pipeline::new(app.pool.clone(), vault);
    let meta = hireledger_commands::CommandMetadata::system("test:candidates");
    let job = pipeline
        .create_job(
            Actor::System,
            Some(a.company_id),
            JobDetails {
                title: "Zoo keeper".into(),
                description: "Keeps the zoo".into(),
                requirements: "Likes animals".into(),
                department: "Ops".into(),
                location: "Berlin".into(),
                employment_type: EmploymentType::FullTime,
                salary: None,
                skills: vec![Skill {
                    name: "animals".into(),
                    weight: 10,
                }],
            },
            None,
            false,
            &meta,
        )
        .await
        .unwrap();
    pipeline
        .job_command(
            job.job_id,
            JobCommand::Open {
                actor: Actor::System,
            },
            &meta,
        )
        .await
        .unwrap();
    let (application_id, _) = pipeline
        .apply(
            Actor::System,
            ApplicationInput {
                job_id: job.job_id,
                candidate_id: zeb,
                source: ApplicationSource::Hr,
            },
            &meta,
        )
        .await
        .unwrap();
    let projected = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let n: i64 = sqlx::query_scalar(sql)
                    .bind(zeb)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                if n > 0 || Instant::now() > deadline {
                    return n;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(
        projected("SELECT count(*) FROM rm_applications WHERE candidate_id = $1").await,
        1
    );
    assert_eq!(
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT c.name FROM rm_applications a JOIN rm_candidates c USING (candidate_id)
             WHERE a.application_id = $1"
        )
        .bind(application_id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .as_deref(),
        Some(name)
    );
    assert!(!read_model_rows_containing(&app, email).await.is_empty());

    // Delete: gone from GET, lists and every read model; the e-mail is free again.
    let r = a.hr.delete(&format!("/api/v1/candidates/{zeb}")).await;
    r.assert_ok(200);
    assert_eq!(r.body["candidate_id"], json!(zeb));
    let deleted_v = r.version();
    a.hr.candidate(zeb, deleted_v)
        .await
        .assert_error(404, "CAND_001");
    assert!(!ids(&a.hr.get("/api/v1/candidates").await).contains(&zeb));
    for needle in [name, email, "Zebulon"] {
        assert_eq!(
            read_model_rows_containing(&app, needle).await,
            Vec::<String>::new(),
            "{needle} is still in a read model"
        );
    }
    for sql in [
        "SELECT count(*) FROM rm_candidates WHERE candidate_id = $1",
        "SELECT count(*) FROM rm_applications WHERE candidate_id = $1",
        "SELECT count(*) FROM rm_applications a JOIN rm_candidates c USING (candidate_id)
         WHERE c.candidate_id = $1",
    ] {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(zeb)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{sql}");
    }
    // The key is gone: what the events hold cannot be read any more.
    let keys: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM vault.subject_keys WHERE subject_id = $1),
                (SELECT count(*) FROM vault.erased_subjects WHERE subject_id = $1)",
    )
    .bind(zeb)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(keys, (0, 1));
    // Repeating is safe; changing a deleted candidate is refused.
    a.hr.delete(&format!("/api/v1/candidates/{zeb}"))
        .await
        .assert_ok(200);
    a.hr.patch(
        &format!("/api/v1/candidates/{zeb}"),
        json!({"position": "Ghost"}),
    )
    .await
    .assert_error(410, "CAND_004");
    let (again, _) = add(&a.hr, candidate_body("Zebulon Again", email)).await;
    assert_ne!(again, zeb);

    // Bulk deletion: each id on its own; another tenant's ids count as not found.
    let (c1, _) = add(&a.hr, candidate_body("Bulk One", "one@shred.example")).await;
    let (c2, _) = add(&a.hr, candidate_body("Bulk Two", "two@shred.example")).await;
    let (c3, c3_v) = add(&a.hr, candidate_body("Bulk Three", "three@shred.example")).await;
    let (other, other_v) = add(&b.hr, candidate_body("Bulk Beta", "one@shred.example")).await;
    let unknown = Uuid::now_v7();
    let (_, edda) = employee(&app, &a, "Edda").await;
    edda.post("/api/v1/candidates/bulk-delete", json!({ "ids": [c1] }))
        .await
        .assert_error(403, "AUTH_003");
    a.hr.post("/api/v1/candidates/bulk-delete", json!({ "ids": [] }))
        .await
        .assert_error(422, "VAL_001");
    let too_many: Vec<Uuid> = (0..501).map(|_| Uuid::now_v7()).collect();
    a.hr.post("/api/v1/candidates/bulk-delete", json!({ "ids": too_many }))
        .await
        .assert_error(422, "VAL_001");
    let r =
        a.hr.post(
            "/api/v1/candidates/bulk-delete",
            json!({ "ids": [c1, other, c2, unknown, c1] }),
        )
        .await;
    assert_eq!(
        r.assert_ok(200),
        &json!({ "deleted": [c1, c2], "not_found": [other, unknown], "failed": [] })
    );
    a.hr.candidate(c3, c3_v).await.assert_ok(200);
    let r = poll(&a.hr, "/api/v1/candidates", |r| {
        let left = ids(r);
        !left.contains(&c1) && !left.contains(&c2)
    })
    .await;
    let left = ids(&r);
    assert!(left.contains(&c3) && left.contains(&again), "{left:?}");
    for gone in [c1, c2] {
        a.hr.get(&format!("/api/v1/candidates/{gone}"))
            .await
            .assert_error(404, "CAND_001");
    }
    b.hr.candidate(other, other_v).await.assert_ok(200);
    // The deleted e-mails are free again.
    add(&a.hr, candidate_body("Bulk One Again", "one@shred.example")).await;
    // The list's total is kept by the projector, and stays exact through creations and deletions.
    crate::support::assert_list_counts_exact(&app.pool).await;
    let listed = a.hr.get("/api/v1/candidates?page_size=100").await;
    let body = listed.assert_ok(200);
    assert_eq!(
        body["total"].as_u64(),
        Some(body["items"].as_array().map_or(0, |v| v.len() as u64))
    );
}

/// The import file: two valid rows, a bad e-mail (line 3), a bad experience (line 4), a wrong
/// field count (line 5) and a duplicate e-mail of line 2 (line 6).
const IMPORT_CSV: &str = "name,email,phone,position,experience_years,tags\n\
Ada Import,ada@import.example,+44 20 7946 0958,Engineer,5,rust;go\n\
Bad Mail,not-an-email,,Engineer,3,\n\
Old Timer,old@import.example,,Engineer,200,\n\
Short Row,short@import.example\n\
Ada Again,ADA@import.example,,Engineer,1,\n\
Grace Import,grace@import.example,,Admiral,30,navy\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn csv_imports_report_rows_and_are_idempotent() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = onboard(&app, &admin, "Import Alpha").await;
    let b = onboard(&app, &admin, "Import Beta").await;
    const IMPORTS: &str = "/api/v1/candidates/imports";

    // Refusals first: roles, bodies, unusable files. Nothing is stored.
    let (_, edda) = employee(&app, &a, "Edda").await;
    edda.post_file(IMPORTS, "file", IMPORT_CSV.as_bytes())
        .await
        .assert_error(403, "AUTH_003");
    a.hr.post_file(IMPORTS, "attachment", IMPORT_CSV.as_bytes())
        .await
        .assert_error(422, "VAL_001");
    a.hr.post(IMPORTS, json!({ "file": IMPORT_CSV }))
        .await
        .assert_error(400, "REQ_001");
    for bad in [
        &b"just some notes\nnothing like a header\n"[..],
        b"name,email\n",
        b"name,email\n\xff\xfe,\xff@x.example\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ] {
        a.hr.post_file(IMPORTS, "file", bad)
            .await
            .assert_error(422, "IMP_002");
    }
    a.hr.post_bytes(
        IMPORTS,
        "text/csv",
        vec![b'a'; hireledger_commands::pipeline::MAX_IMPORT_BYTES + 1],
    )
    .await
    .assert_error(413, "REQ_004");
    let imports: i64 = sqlx::query_scalar("SELECT count(*) FROM candidate_imports")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(imports, 0);

    // Upload, then poll the resource until it completes.
    let r = a.hr.post_file(IMPORTS, "file", IMPORT_CSV.as_bytes()).await;
    let import_id = uuid_at(r.assert_ok(202), "import_id");
    let location = format!("{IMPORTS}/{import_id}");
    assert_eq!(r.header("location"), Some(location.as_str()));
    assert_eq!(r.body["company_id"], json!(a.company_id));
    assert_eq!(r.body["total_rows"], 6);
    let r = poll(&a.hr, &location, |r| r.body["status"] == "COMPLETED").await;
    let report = r.assert_ok(200);
    assert_eq!(report["total_rows"], 6);
    assert_eq!(report["processed_rows"], 6);
    assert_eq!(report["imported"], 2);
    assert_eq!(report["rejected"], 4);
    let errors: Vec<(u64, Value, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["reason"].is_string(), "{e}");
            (
                e["line"].as_u64().unwrap(),
                e["column"].clone(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, json!("email"), "VAL_001".to_owned()),
            (4, json!("experience_years"), "VAL_001".to_owned()),
            (5, Value::Null, "ROW_001".to_owned()),
            (6, json!("email"), "CAND_002".to_owned()),
        ]
    );
    // The rejected values are not echoed.
    assert!(!report.to_string().contains("not-an-email"));

    // The valid rows are candidates of the company.
    let r = poll(&a.hr, "/api/v1/candidates?sort=name_asc", |r| {
        r.body["total"] == 2
    })
    .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items[0]["name"], "Ada Import");
    assert_eq!(items[0]["email"], "ada@import.example");
    assert_eq!(items[0]["source"], "IMPORT");
    assert_eq!(items[0]["tags"], json!(["rust", "go"]));
    assert_eq!(items[0]["experience_years"], 5);
    assert_eq!(items[0]["import_id"], json!(import_id));
    assert_eq!(items[1]["name"], "Grace Import");

    // The same file again (here as a raw text/csv body): the same import, nothing new.
    let before = candidate_events(&app).await;
    assert_eq!(before, 2);
    let r =
        a.hr.post_bytes(IMPORTS, "text/csv", IMPORT_CSV.as_bytes().to_vec())
            .await;
    assert_eq!(uuid_at(r.assert_ok(200), "import_id"), import_id);
    assert_eq!(r.header("location"), Some(location.as_str()));
    assert_eq!(r.body["status"], "COMPLETED");
    assert_eq!(r.body["imported"], 2);
    let r = a.hr.get(&location).await;
    assert_eq!(r.assert_ok(200)["imported"], 2);
    assert_eq!(candidate_events(&app).await, before);

    // Another company may import the same file: its own import, its own candidates.
    let r = b.hr.post_file(IMPORTS, "file", IMPORT_CSV.as_bytes()).await;
    let b_import = uuid_at(r.assert_ok(202), "import_id");
    assert_ne!(b_import, import_id);
    let r = poll(&b.hr, &format!("{IMPORTS}/{b_import}"), |r| {
        r.body["status"] == "COMPLETED"
    })
    .await;
    assert_eq!(r.body["imported"], 2);

    // Tenancy and roles of the resource.
    b.hr.get(&location).await.assert_error(404, "IMP_001");
    edda.get(&location).await.assert_error(403, "AUTH_003");
    a.hr.get(&format!("{IMPORTS}/{}", Uuid::now_v7()))
        .await
        .assert_error(404, "IMP_001");
    admin.get(&location).await.assert_ok(200);
}
