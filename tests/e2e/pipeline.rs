//! A command's event travels the whole spine: event store → relay → Kafka (key, CloudEvents
//! headers, published payload) → projector → read model, with the command's metadata intact.

use crate::support::{self, TestDb};
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, RegisterCompany};
use hireledger_infra::relay::{event_id, headers};
use hireledger_infra::vault::Vault;
use rdkafka::Message;
use rdkafka::consumer::StreamConsumer;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commands_event_reaches_kafka_and_the_read_model() {
    let db = TestDb::new().await;
    let pool = db.pool.clone();
    let common = support::common_settings(&db, &db.topic_prefix("spine"));
    let (stop, rx) = watch::channel(false);
    let tasks = support::start_pipeline(pool.clone(), &common, rx);
    let identity = Identity::new(
        pool.clone(),
        Vault::new(pool.clone(), &support::dev_master_key()).unwrap(),
    );

    let tag = Uuid::new_v4().simple().to_string();
    let meta = CommandMetadata {
        actor_id: None,
        tenant_id: None,
        request_id: format!("req-{tag}"),
        correlation_id: format!("corr-{tag}"),
        causation_id: "http:POST /api/v1/companies/registrations".into(),
        idempotency_attempt: None,
    };
    let registered = identity
        .register_company(
            RegisterCompany {
                name: "Spine Ltd".into(),
                domain: format!("spine-{tag}.example.com"),
                contact_name: "Sam Spine".into(),
                contact_email: format!("sam@spine-{tag}.example.com"),
            },
            &meta,
        )
        .await
        .unwrap();
    assert_eq!(registered.committed.version, 1);
    let company = registered.company_id.to_string();

    // The stored row carries the command's metadata, with the company as tenant.
    let stored_meta: serde_json::Value = sqlx::query_scalar(
        "SELECT metadata::jsonb FROM events WHERE aggregate_type = 'company' AND aggregate_id = $1",
    )
    .bind(&company)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored_meta["tenant_id"], company.as_str());
    assert_eq!(
        stored_meta["correlation_id"],
        format!("corr-{tag}").as_str()
    );

    // On Kafka: key, headers and the published payload.
    let consumer: StreamConsumer =
        support::topic_consumer(&[common.topic_for("company")], common.topic_partitions).await;
    let msg = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
        .await
        .expect("the event reaches Kafka")
        .unwrap();
    assert_eq!(msg.key(), Some(company.as_bytes()));
    let h =
        |name: &str| support::header(&msg, name).unwrap_or_else(|| panic!("header {name} missing"));
    assert_eq!(
        h(headers::CE_TYPE),
        "hireledger.company.CompanyRegistrationRequested.v1"
    );
    assert_eq!(h(headers::CE_SOURCE), "/hireledger/company");
    assert_eq!(h(headers::CE_SUBJECT), company);
    assert_eq!(h(headers::CE_SPECVERSION), "1.0");
    assert_eq!(
        h(headers::CE_ID),
        event_id("company", &company, 1).to_string()
    );
    assert!(chrono::DateTime::parse_from_rfc3339(&h(headers::CE_TIME)).is_ok());
    assert_eq!(h("hl_sequence"), "1");
    assert_eq!(h("hl_tenant"), company);
    assert_eq!(h("hl_correlation_id"), format!("corr-{tag}"));
    let payload: serde_json::Value = serde_json::from_slice(msg.payload().unwrap()).unwrap();
    assert_eq!(payload["company_id"], company.as_str());
    assert_eq!(payload["name"], "Spine Ltd");
    let published =
        hireledger_schemas::decode(&h(headers::CE_TYPE), msg.payload().unwrap()).unwrap();
    assert_eq!(published.event_type(), "CompanyRegistrationRequested");
    // Personal data travels sealed only.
    assert!(!String::from_utf8_lossy(msg.payload().unwrap()).contains("Sam Spine"));

    // In the read model, decrypted, at the command's version.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT status, version, contact_name FROM rm_companies WHERE company_id = $1",
        )
        .bind(registered.company_id)
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(row) = row {
            assert_eq!(row, ("PENDING".to_owned(), 1, Some("Sam Spine".to_owned())));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the read model never got the company"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
}
