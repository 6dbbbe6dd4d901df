//! Crypto-shredding, end to end: after erasing a person, their e-mail and name are found nowhere
//! (read models, event store rows, Kafka topics) and every other event still loads.

use crate::support::{self, TestDb};
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, NewUser, RegisterCompany};
use hireledger_domain::company::Company;
use hireledger_domain::user::{User, UserStatus};
use hireledger_domain::{Actor, Role};
use hireledger_infra::vault::Vault;
use rdkafka::Message;
use rdkafka::consumer::StreamConsumer;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn erased_person_is_found_nowhere_and_other_events_still_load() {
    let db = TestDb::new().await;
    let pool = db.pool.clone();
    let common = support::common_settings(&db, &db.topic_prefix("erase"));
    let (stop, rx) = watch::channel(false);
    let tasks = support::start_pipeline(pool.clone(), &common, rx);

    let identity = Identity::new(
        pool.clone(),
        Vault::new(pool.clone(), &support::dev_master_key()).unwrap(),
    );
    let meta = CommandMetadata::system("erasure-test");
    let tag = Uuid::new_v4().simple().to_string();
    let contact_email = format!("erase.me.{tag}@acme-{tag}.example.com");
    let contact_name = format!("Erin Erasable {tag}");
    let company = identity
        .register_company(
            RegisterCompany {
                name: "Acme".into(),
                domain: format!("acme-{tag}.example.com"),
                contact_name: contact_name.clone(),
                contact_email: contact_email.clone(),
            },
            &meta,
        )
        .await
        .unwrap();
    let approved = identity
        .approve_company(Actor::System, company.company_id, &meta)
        .await
        .unwrap();
    let hr = approved.hr_user_id;
    let keep_email = format!("keep.{tag}@acme-{tag}.example.com");
    let kept = identity
        .create_user(
            Actor::System,
            NewUser {
                company_id: Some(company.company_id),
                role: Role::Employee,
                name: "Kim Kept".into(),
                email: keep_email.clone(),
                password: Some("correct horse battery".into()),
            },
            &meta,
        )
        .await
        .unwrap();

    // Before erasure the read models hold the person in clear; the event store never does.
    eventually("the HR user in the read model", async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM rm_users WHERE email = $1 AND name = $2")
            .bind(&contact_email)
            .bind(&contact_name)
            .fetch_one(&pool)
            .await
            .unwrap()
            == 1
    })
    .await;
    let in_events = |needle: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM events WHERE payload::text ILIKE '%' || $1 || '%' OR metadata::text ILIKE '%' || $1 || '%'",
            )
            .bind(needle)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        in_events(contact_email.clone()).await,
        0,
        "event store holds only ciphertext"
    );

    identity.erase_user(Actor::System, hr, &meta).await.unwrap();
    eventually("the erasure in the read models", async || {
        sqlx::query_scalar::<_, String>("SELECT status FROM rm_users WHERE user_id = $1")
            .bind(hr)
            .fetch_one(&pool)
            .await
            .unwrap()
            == "ERASED"
    })
    .await;
    eventually("the kept user in the read model", async || {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM rm_users WHERE user_id = $1 AND email = $2",
        )
        .bind(kept.user_id)
        .bind(&keep_email)
        .fetch_one(&pool)
        .await
        .unwrap()
            == 1
    })
    .await;

    // Read models: nothing left of the person, in either table.
    for needle in [&contact_email, &contact_name] {
        let hits: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM rm_users WHERE email ILIKE '%' || $1 || '%' OR name ILIKE '%' || $1 || '%')
                  + (SELECT count(*) FROM rm_companies WHERE contact_email ILIKE '%' || $1 || '%' OR contact_name ILIKE '%' || $1 || '%')",
        )
        .bind(needle)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(hits, 0, "read models still hold the erased person");
        assert_eq!(in_events(needle.clone()).await, 0);
    }
    // Their sealed data can no longer be opened; the key is gone.
    let users = hireledger_commands::EventStore::<User>::new(pool.clone());
    let (erased, _) = users.load(&hr.to_string()).await.unwrap();
    assert_eq!(erased.status, UserStatus::Erased);
    let companies = hireledger_commands::EventStore::<Company>::new(pool.clone());
    let (acme, _) = companies
        .load(&company.company_id.to_string())
        .await
        .unwrap();
    let sealed_email = acme.contact.unwrap().email;
    assert_eq!(
        identity
            .vault()
            .open(&sealed_email, hireledger_infra::vault::Field::Email)
            .await
            .unwrap(),
        None
    );

    // Kafka: every message of both topics, payload and headers, free of the person's data.
    eventually("the relay to drain", async || {
        hireledger_infra::relay::relay_lag(&pool).await.unwrap() == 0
    })
    .await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let consumer: StreamConsumer = support::topic_consumer(
        &[common.topic_for("company"), common.topic_for("user")],
        common.topic_partitions,
    )
    .await;
    let mut read = 0i64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while read < total {
        assert!(Instant::now() < deadline, "read {read} of {total} messages");
        let Ok(Ok(msg)) = tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await
        else {
            continue;
        };
        let mut bytes = msg.payload().unwrap_or_default().to_vec();
        if let Some(h) = msg.headers() {
            use rdkafka::message::Headers;
            for h in h.iter() {
                bytes.extend_from_slice(h.value.unwrap_or_default());
            }
        }
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(
            !text.contains(&contact_email.to_lowercase()),
            "the e-mail is on Kafka"
        );
        assert!(
            !text.contains(&contact_name.to_lowercase()),
            "the name is on Kafka"
        );
        read += 1;
    }

    // Every event still loads: each aggregate from the store, each row into its published form.
    let rows: Vec<(String, String, String, String, serde_json::Value)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, event_type, event_version, payload::jsonb FROM events",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (ty, id, event_type, version, payload) in &rows {
        hireledger_schemas::to_published(ty, event_type, version, payload).unwrap();
        match ty.as_str() {
            "company" => drop(companies.load(id).await.unwrap()),
            "user" => drop(users.load(id).await.unwrap()),
            other => panic!("unexpected aggregate type {other}"),
        }
    }
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
}
