//! Shared test harness: fresh databases, unique topic prefixes, the broker address.

#![allow(dead_code, unreachable_pub)]

use secrecy::SecretString;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

/// Server holding the test databases (trust auth).
pub fn pg_server_url() -> String {
    std::env::var("HIRELEDGER_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Kafka bootstrap servers of the test broker.
pub fn brokers() -> String {
    std::env::var("HIRELEDGER_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// Polls `check` (every 100 ms) until it holds; fails the test naming `what` after `timeout`.
pub async fn wait_for(
    what: &str,
    timeout: std::time::Duration,
    mut check: impl AsyncFnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A short unique name for topics, groups and databases of one test.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::new_v4().simple())
}

/// A migrated database of its own, and the Kafka topics of the same test; both are removed when
/// the guard goes out of scope.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
    /// Unique part of the database name, shared by every topic prefix of this test.
    tag: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let tag = Uuid::new_v4().simple().to_string();
        let name = format!("hl_test_{tag}");
        let mut admin = PgConnection::connect(&format!("{}/postgres", pg_server_url()))
            .await
            .expect("connect to postgres");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let url = format!("{}/{name}", pg_server_url());
        let pool = PgPool::connect(&url)
            .await
            .expect("connect to test database");
        hireledger_migrations::MIGRATOR
            .run(&pool)
            .await
            .expect("migrate test database");
        Self {
            name,
            url,
            pool,
            tag,
        }
    }

    pub fn secret_url(&self) -> SecretString {
        SecretString::from(self.url.clone())
    }

    /// A topic prefix of this test (`<kind>_<tag>`): its topics are deleted with the database.
    pub fn topic_prefix(&self, kind: &str) -> String {
        format!("{kind}_{}", self.tag)
    }
}

/// Deletes the topics whose prefix carries `tag` (made by [`TestDb::topic_prefix`]).
async fn delete_test_topics(tag: &str) {
    let brokers = brokers();
    let marker = format!("_{tag}.");
    if let Ok(names) = hireledger_infra::kafka::topics_with_prefix(&brokers, "").await {
        let mine: Vec<String> = names.into_iter().filter(|n| n.contains(&marker)).collect();
        let _ = hireledger_infra::kafka::delete_topics(&brokers, &mine).await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let tag = self.tag.clone();
        let server = pg_server_url();
        // Drop from a separate thread with its own runtime: Drop cannot be async.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    delete_test_topics(&tag).await;
                    if let Ok(mut admin) =
                        PgConnection::connect(&format!("{server}/postgres")).await
                    {
                        let _ = sqlx::query(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .execute(&mut admin)
                        .await;
                    }
                });
            }
        })
        .join();
    }
}

/// The development master key as a secret (tests use the default, like a local stack).
pub fn dev_master_key() -> SecretString {
    SecretString::from(hireledger_infra::settings::DEV_MASTER_KEY)
}

/// A header of a Kafka message as text.
pub fn header<M: rdkafka::Message>(msg: &M, name: &str) -> Option<String> {
    use rdkafka::message::Headers;
    let headers = msg.headers()?;
    headers
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// A consumer in a fresh group reading `topics` from the start. The topics are created first
/// (idempotently, as the relay creates them): the broker creates no topic on its own, and a
/// subscription to a topic that does not exist yet fails instead of waiting.
pub async fn topic_consumer(
    topics: &[String],
    partitions: i32,
) -> rdkafka::consumer::StreamConsumer {
    topic_consumer_on(&brokers(), topics, partitions).await
}

/// [`topic_consumer`] on the broker at `kafka_brokers`.
pub async fn topic_consumer_on(
    kafka_brokers: &str,
    topics: &[String],
    partitions: i32,
) -> rdkafka::consumer::StreamConsumer {
    use rdkafka::consumer::Consumer as _;
    hireledger_infra::kafka::ensure_topics(kafka_brokers, topics, partitions)
        .await
        .expect("create the test topics");
    let consumer: rdkafka::consumer::StreamConsumer =
        hireledger_infra::kafka::consumer_config(kafka_brokers, &unique("check"))
            .create()
            .expect("create a consumer");
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer.subscribe(&names).expect("subscribe");
    consumer
}

/// Settings of one test: its database, the test broker, a unique topic prefix, the dev key.
pub fn common_settings(db: &TestDb, topic_prefix: &str) -> hireledger_infra::CommonSettings {
    hireledger_infra::CommonSettings {
        database_url: db.secret_url(),
        database_max_connections: 16,
        kafka_brokers: brokers(),
        topic_prefix: topic_prefix.to_owned(),
        topic_partitions: 3,
        master_key: dev_master_key(),
    }
}

/// Starts the relay and the identity projector (unique group) as tasks; they stop when `stop`
/// turns true.
pub fn start_pipeline(
    pool: PgPool,
    common: &hireledger_infra::CommonSettings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<anyhow::Result<()>>> {
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let relay_cfg = hireledger_infra::relay::RelayConfig {
        relay_name: "main".into(),
        brokers: common.kafka_brokers.clone(),
        topic_prefix: common.topic_prefix.clone(),
        partitions: common.topic_partitions,
        batch_size: 200,
        poll_interval: std::time::Duration::from_millis(100),
        aggregate_types: hireledger_projections::aggregate_types(),
    };
    let relay = tokio::spawn(hireledger_infra::relay::run_relay(
        pool.clone(),
        relay_cfg,
        stopped(stop.clone()),
    ));
    let (identity_common, identity_pool, identity_stop) =
        (common.clone(), pool.clone(), stop.clone());
    let group = unique("identity");
    // The projectors on a read-side pool of their own, as `hireledger project` runs them.
    let projector = tokio::spawn(async move {
        let read_side = hireledger_infra::db::read_side_of(&identity_pool, 8).await?;
        hireledger_projections::run_identity(
            read_side,
            &identity_common,
            &group,
            stopped(identity_stop),
        )
        .await
    });
    let common = common.clone();
    let group = unique("pipeline");
    let pipeline = tokio::spawn(async move {
        let read_side = hireledger_infra::db::read_side_of(&pool, 8).await?;
        hireledger_projections::run_pipeline(read_side, &common, &group, stopped(stop)).await
    });
    vec![relay, projector, pipeline]
}

// ---------------------------------------------------------------------------------------------
// HTTP API: `spawn_app()` runs the relay, the identity projector and the API in-process.

/// Password of the system admin every [`TestApp`] starts with.
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A running API on its own database, topics and consumer group, with one system admin.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub admin_email: String,
    pub admin_id: Uuid,
    pub common: hireledger_infra::CommonSettings,
    pub settings: hireledger_api::ApiSettings,
    pub pool: PgPool,
    stop: tokio::sync::watch::Sender<bool>,
    _tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Last: dropped after the tasks were told to stop.
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// API settings for tests: the dev secret in development mode, 2 workers, login limits high enough not to get in the
/// way (the rate-limit test sets its own).
pub fn test_api_settings() -> hireledger_api::ApiSettings {
    hireledger_api::ApiSettings {
        http_workers: 2,
        // The projector's first poll after its group join can take seconds on a fresh topic.
        read_wait_ms: 15_000,
        login_per_ip_per_minute: 1000,
        login_per_email_per_minute: 1000,
        public_per_ip_per_minute: 1000,
        // Plain HTTP on loopback, like a local stack: the refresh cookie must reach the server.
        dev_mode: true,
        ..hireledger_api::ApiSettings::default()
    }
}

/// Starts `serve` on 127.0.0.1:0; it stops when `stop` turns true. Returns its base URL.
pub fn start_api(
    pool: PgPool,
    common: hireledger_infra::CommonSettings,
    settings: hireledger_api::ApiSettings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> (String, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let address = format!("http://{}", listener.local_addr().expect("local addr"));
    let mut stop = stop;
    let shutdown = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let task = tokio::spawn(hireledger_api::serve(
        pool, common, settings, listener, shutdown,
    ));
    (address, task)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_api_settings()).await
}

/// [`spawn_app`] with chosen API settings.
pub async fn spawn_app_with(settings: hireledger_api::ApiSettings) -> TestApp {
    spawn_app_on(settings, brokers()).await
}

/// [`spawn_app`] with chosen API settings on the broker at `kafka_brokers`.
pub async fn spawn_app_on(settings: hireledger_api::ApiSettings, kafka_brokers: String) -> TestApp {
    use hireledger_commands::identity::{Identity, NewUser};
    let db = TestDb::new().await;
    let mut common = common_settings(&db, &db.topic_prefix("api"));
    common.kafka_brokers = kafka_brokers;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = start_pipeline(db.pool.clone(), &common, stop_rx.clone());
    let (address, api) = start_api(db.pool.clone(), common.clone(), settings.clone(), stop_rx);
    tasks.push(api);

    let vault =
        hireledger_infra::vault::Vault::new(db.pool.clone(), &common.master_key).expect("vault");
    let identity = Identity::new(db.pool.clone(), vault);
    let admin_email = format!("{}@platform.example", unique("admin"));
    let admin = identity
        .create_user(
            hireledger_domain::Actor::System,
            NewUser {
                company_id: None,
                role: hireledger_domain::Role::SystemAdmin,
                name: "Platform Admin".into(),
                email: admin_email.clone(),
                password: Some(ADMIN_PASSWORD.into()),
            },
            &hireledger_commands::CommandMetadata::system("test:bootstrap"),
        )
        .await
        .expect("create the system admin");

    let mut app = TestApp {
        address,
        admin_email,
        admin_id: admin.user_id,
        pool: db.pool.clone(),
        common,
        settings,
        stop,
        _tasks: tasks,
        db,
    };
    app.wait_until_up().await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A client with its own cookie jar (one per simulated browser).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("reqwest client")
    }

    async fn wait_until_up(&mut self) {
        let client = self.client();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(api) = self._tasks.pop_if(|t| t.is_finished()) {
                panic!("the API stopped: {:?}", api.await);
            }
            if let Ok(r) = client.get(self.url("/health")).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the API did not come up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Rows in the event store.
    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.pool)
            .await
            .expect("count events")
    }
}

/// Asserts that the list totals the projector keeps (`rm_list_counts`) equal real counts of the
/// read-model rows, per company and per status (rows at zero count as absent).
pub async fn assert_list_counts_exact(pool: &PgPool) {
    let diff: Vec<(Uuid, String, String, i64, i64)> = sqlx::query_as(
        "WITH actual AS (
             SELECT company_id, 'candidates' AS list, '' AS status, count(*) AS n
               FROM rm_candidates GROUP BY company_id
             UNION ALL
             SELECT company_id, l, s, count(*) FROM (
                 SELECT company_id, 'jobs' AS l, status FROM rm_jobs
                 UNION ALL SELECT company_id, 'applications', status FROM rm_applications
                 UNION ALL SELECT company_id, 'interviews', status FROM rm_interviews) r,
               LATERAL (VALUES (''), (r.status)) v(s)
              GROUP BY company_id, l, s),
         kept AS (SELECT company_id, list, status, n FROM rm_list_counts WHERE n <> 0)
         SELECT coalesce(a.company_id, k.company_id), coalesce(a.list, k.list),
                coalesce(a.status, k.status), coalesce(k.n, 0), coalesce(a.n, 0)
           FROM actual a FULL JOIN kept k
             ON (a.company_id, a.list, a.status) = (k.company_id, k.list, k.status)
          WHERE a.n IS DISTINCT FROM k.n",
    )
    .fetch_all(pool)
    .await
    .expect("compare list counts");
    assert!(
        diff.is_empty(),
        "kept list totals differ from the rows (company, list, status, kept, actual): {diff:?}"
    );
}

/// What [`company_spine_agrees`] found.
#[derive(Debug)]
pub struct SpineAgreement {
    /// Company events in the store, each found on Kafka.
    pub events: usize,
    /// Copies on Kafka beyond the first (at-least-once delivery), deduplicated by the projector.
    pub redelivered: u32,
    /// Rows of the read model, equal to a rebuild from the store.
    pub rows: i64,
    pub md5: String,
}

/// The event store, the `<prefix>.company` topic on `kafka_brokers` and the company read model
/// agree: every stored event is on Kafka (at least once, nothing else), and the read model equals
/// a rebuild from the store, with each event applied exactly once (`events_applied`). Panics
/// otherwise. For the crash and broker-fault tests, whose load registers companies and rejects
/// some of them.
pub async fn company_spine_agrees(
    pool: &PgPool,
    kafka_brokers: &str,
    prefix: &str,
) -> SpineAgreement {
    use rdkafka::Message as _;
    use std::collections::{HashMap, HashSet};
    let stored: HashSet<(String, i64)> = sqlx::query_as::<_, (String, i64)>(
        "SELECT aggregate_id, sequence FROM events WHERE aggregate_type = 'company'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let consumer = topic_consumer_on(kafka_brokers, &[format!("{prefix}.company")], 3).await;
    let mut seen: HashMap<(String, i64), u32> = HashMap::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while seen.len() < stored.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {} events found on Kafka",
            seen.len(),
            stored.len()
        );
        let Ok(Ok(msg)) =
            tokio::time::timeout(std::time::Duration::from_secs(5), consumer.recv()).await
        else {
            continue;
        };
        let key = String::from_utf8(msg.key().unwrap().to_vec()).unwrap();
        let seq: i64 = header(&msg, "hl_sequence").unwrap().parse().unwrap();
        *seen.entry((key, seq)).or_default() += 1;
    }
    let on_kafka: HashSet<_> = seen.keys().cloned().collect();
    assert_eq!(on_kafka, stored, "Kafka holds exactly the stored events");

    let rebuild_sql = "SELECT aggregate_id::uuid AS id,
              CASE (array_agg(event_type ORDER BY sequence DESC))[1]
                   WHEN 'CompanyRegistrationRequested' THEN 'PENDING'
                   WHEN 'CompanyRegistrationRejected' THEN 'REJECTED'
                   WHEN 'CompanyApproved' THEN 'ACTIVE' END AS status,
              max(sequence) AS version, count(*) AS applied
         FROM events WHERE aggregate_type = 'company' GROUP BY aggregate_id";
    let checksum = |sql: &str| {
        let sql = format!(
            "SELECT count(*), md5(string_agg(id::text || ':' || coalesce(status, '?') || ':' || version || ':' || applied, ',' ORDER BY id)) FROM ({sql}) r"
        );
        async move {
            sqlx::query_as::<_, (i64, Option<String>)>(&sql)
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    let expected = checksum(rebuild_sql).await;
    let actual = checksum(
        "SELECT company_id AS id, status, version, events_applied AS applied FROM rm_companies",
    )
    .await;
    assert_eq!(
        actual, expected,
        "read model differs from a rebuild from the event store"
    );
    SpineAgreement {
        events: stored.len(),
        redelivered: seen.values().map(|n| n - 1).sum(),
        rows: actual.0,
        md5: actual.1.unwrap_or_default(),
    }
}
