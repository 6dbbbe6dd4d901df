//! The main pipeline lists use their indexes at 100k candidates: the plans of exactly the
//! statements the API runs (`views::explain_list_*`) show index scans, never a sequential scan of
//! the big tables, once the read models hold 100 000 candidates and as many applications.

use crate::support::TestDb;
use hireledger_projections::views::{
    ApplicationFilter, ApplicationSort, CandidateFilter, CandidateSort, explain_list_applications,
    explain_list_candidates,
};
use uuid::Uuid;

const ROWS: i64 = 100_000;

/// 100k candidates and 100k applications over 10 companies (10k each), then ANALYZE.
async fn seed(pool: &sqlx::PgPool, companies: &[Uuid], employee: Uuid, job: Uuid) {
    sqlx::query(
        "INSERT INTO rm_candidates (candidate_id, company_id, name, email, position, domain,
             experience_years, source, tags, assigned_to, created_at, updated_at, version)
         SELECT gen_random_uuid(), ($1::uuid[])[1 + i % 10], 'Candidate ' || i,
             'candidate-' || i || '@plans.example.com', 'Engineer', 'software', i % 30, 'IMPORT',
             ARRAY['t' || (i % 50)], CASE WHEN i % 100 = 0 THEN $2 END,
             now() - make_interval(secs => i), now(), 1
         FROM generate_series(1, $3) AS i",
    )
    .bind(companies)
    .bind(employee)
    .bind(ROWS)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO rm_applications (application_id, company_id, job_id, candidate_id, status,
             source, applied_at, status_changed_at, updated_at, version)
         SELECT gen_random_uuid(), company_id, $1, candidate_id,
             (ARRAY['APPLIED','SCREENING','SHORTLISTED','REJECTED'])[1 + (random() * 3)::int],
             'HR', created_at, created_at, created_at, 1
         FROM rm_candidates",
    )
    .bind(job)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
}

#[track_caller]
fn assert_indexed(plan: &str, index: &str, table: &str) {
    assert!(
        plan.contains(index),
        "expected the plan to use {index}:\n{plan}"
    );
    assert!(
        !plan.contains(&format!("Seq Scan on {table}")),
        "sequential scan of {table}:\n{plan}"
    );
}

#[tokio::test]
async fn main_lists_use_their_indexes_at_100k_candidates() {
    let db = TestDb::new().await;
    let companies: Vec<Uuid> = (0..10).map(|_| Uuid::now_v7()).collect();
    let (employee, job) = (Uuid::now_v7(), Uuid::now_v7());
    seed(&db.pool, &companies, employee, job).await;
    let company = Some(companies[3]);

    let candidates = CandidateFilter {
        company_id: company,
        ..CandidateFilter::default()
    };
    let plan = explain_list_candidates(&db.pool, &candidates, CandidateSort::CreatedDesc, 1, 20)
        .await
        .unwrap();
    assert_indexed(&plan, "rm_candidates_company_list", "rm_candidates");
    // A deep page walks the same index.
    let plan = explain_list_candidates(&db.pool, &candidates, CandidateSort::CreatedDesc, 200, 20)
        .await
        .unwrap();
    assert_indexed(&plan, "rm_candidates_company_list", "rm_candidates");

    let assigned = CandidateFilter {
        assigned_to: Some(employee),
        ..candidates.clone()
    };
    let plan = explain_list_candidates(&db.pool, &assigned, CandidateSort::CreatedDesc, 1, 20)
        .await
        .unwrap();
    assert_indexed(&plan, "rm_candidates_assignee_list", "rm_candidates");

    let search = CandidateFilter {
        q: Some("candidate-4242@".into()),
        ..candidates.clone()
    };
    let plan = explain_list_candidates(&db.pool, &search, CandidateSort::CreatedDesc, 1, 20)
        .await
        .unwrap();
    assert!(
        plan.contains("rm_candidates_email_search") || plan.contains("rm_candidates_name_search"),
        "expected a trigram index for the text search:\n{plan}"
    );

    let applications = ApplicationFilter {
        company_id: company,
        status: Some("SCREENING".into()),
        ..ApplicationFilter::default()
    };
    let plan =
        explain_list_applications(&db.pool, &applications, ApplicationSort::AppliedDesc, 1, 20)
            .await
            .unwrap();
    assert_indexed(
        &plan,
        "rm_applications_company_status_list",
        "rm_applications",
    );
}
