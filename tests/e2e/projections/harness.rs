//! Test harness of the projection tests: a fresh database and unique topics, a producer that
//! writes records the way the relay does, and projector tasks that can be stopped or killed.

// Helpers fail the test by panicking, like the test bodies (clippy.toml allows that only inside
// `#[test]` functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{self, TestDb};
use chrono::{DateTime, SecondsFormat, Utc};
use hireledger_infra::vault::Vault;
use hireledger_projections::queries::{self, ViewKind};
use hireledger_projections::runner::{self, Lease};
use hireledger_projections::{
    IDENTITY_PROJECTOR, IdentityProjector, identity_topics, run_projector,
};
use hireledger_schemas::common::{RoleV1, SealedV1};
use hireledger_schemas::company::{
    CompanyApprovedV1, CompanyRegistrationRequestedV1, ContactPersonV1,
};
use hireledger_schemas::user::{
    UserDeactivatedV1, UserReactivatedV1, UserRegisteredV1, UserRoleChangedV1,
};
use hireledger_schemas::{CompanyEventV1, PublishedEvent, UserEventV1};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub(super) const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `check` until it holds; fails the test after [`DEADLINE`].
pub(super) async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A running projector task.
pub(super) struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Graceful shutdown; the runner must end with `Ok`.
    pub(super) async fn stop(self) {
        let _ = self.stop.send(());
        let result = tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("projector stops in time")
            .expect("projector task did not panic");
        result.expect("projector ended without error");
    }

    /// Kills the task wherever it is (a crash: no shutdown path runs).
    pub(super) async fn crash(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// The runner's own result (it stops by itself on a poison message).
    pub(super) async fn outcome(self) -> anyhow::Result<()> {
        let _keep_running = self.stop;
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("projector stops by itself in time")
            .expect("projector task did not panic")
    }
}

pub(super) struct Harness {
    pub(super) db: TestDb,
    pub(super) vault: Vault,
    pub(super) brokers: String,
    pub(super) prefix: String,
    pub(super) group: String,
    pub(super) producer: FutureProducer,
}

impl Harness {
    pub(super) async fn new(partitions: i32) -> Self {
        let db = TestDb::new().await;
        let vault = Vault::new(db.pool.clone(), &support::dev_master_key()).unwrap();
        let brokers = support::brokers();
        let prefix = db.topic_prefix("proj");
        // A broker busy with other tests can time a creation out; try again until the deadline.
        let deadline = Instant::now() + DEADLINE;
        let topics = identity_topics(&prefix);
        while let Err(e) =
            hireledger_infra::kafka::ensure_topics(&brokers, &topics, partitions).await
        {
            assert!(Instant::now() < deadline, "creating topics: {e:#}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let producer: FutureProducer = hireledger_infra::kafka::producer_config(&brokers)
            .create()
            .unwrap();
        Self {
            db,
            vault,
            brokers,
            prefix,
            group: support::unique("identity"),
            producer,
        }
    }

    pub(super) fn pool(&self) -> &sqlx::PgPool {
        &self.db.pool
    }

    pub(super) fn topic(&self, aggregate_type: &str) -> String {
        hireledger_infra::settings::topic_name(&self.prefix, aggregate_type)
    }

    /// Starts the identity projector in this harness's consumer group.
    pub(super) fn start(&self) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let pool = self.db.pool.clone();
        let brokers = self.brokers.clone();
        let group = self.group.clone();
        let topics = identity_topics(&self.prefix);
        let projector = Arc::new(IdentityProjector::new(self.vault.clone()));
        let task = tokio::spawn(async move {
            run_projector(pool, &brokers, &group, topics, projector, async move {
                let _ = stopped.await;
            })
            .await
        });
        Running { stop, task }
    }

    /// Every partition lease of the identity projector in this test's database.
    pub(super) async fn leases(&self) -> Vec<Lease> {
        runner::leased_partitions(
            self.pool(),
            IDENTITY_PROJECTOR,
            &identity_topics(&self.prefix),
        )
        .await
        .unwrap()
    }

    /// Running instances of the identity projector (members) in this test's database.
    pub(super) async fn members(&self) -> i64 {
        runner::member_count(self.pool(), IDENTITY_PROJECTOR)
            .await
            .unwrap()
    }

    /// Waits until `members` instances run and every one of the `partitions` is leased, each
    /// holder with one of `shares` partitions (a multiset, largest first); returns the leases.
    pub(super) async fn wait_leases(
        &self,
        members: i64,
        partitions: usize,
        shares: &[usize],
    ) -> Vec<Lease> {
        let mut last = Vec::new();
        let what = format!("{members} members holding {shares:?} of {partitions} partitions");
        eventually(&what, async || {
            last = self.leases().await;
            let mut per_holder: HashMap<i32, usize> = HashMap::new();
            for l in &last {
                *per_holder.entry(l.pid).or_default() += 1;
            }
            let mut counts: Vec<usize> = per_holder.into_values().collect();
            counts.sort_unstable_by(|a, b| b.cmp(a));
            let distinct: HashSet<(&str, i32)> = last
                .iter()
                .map(|l| (l.topic.as_str(), l.partition))
                .collect();
            self.members().await == members
                && distinct.len() == partitions
                && last.len() == partitions
                && counts == shares
        })
        .await;
        last
    }

    pub(super) async fn seal(
        &self,
        subject: Uuid,
        field: hireledger_infra::vault::Field,
        text: &str,
    ) -> SealedV1 {
        let s = self.vault.seal(subject, field, text).await.unwrap();
        SealedV1 {
            subject: s.subject,
            ct: s.ct,
        }
    }

    /// Produces one record; returns where it landed.
    pub(super) async fn send_raw(
        &self,
        topic: &str,
        key: &str,
        headers: &[(&str, String)],
        payload: &[u8],
    ) -> (i32, i64) {
        let mut h = OwnedHeaders::new();
        for (k, v) in headers {
            h = h.insert(Header {
                key: k,
                value: Some(v.as_str()),
            });
        }
        let record = FutureRecord::to(topic).key(key).payload(payload).headers(h);
        let delivery = self
            .producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        (delivery.partition, delivery.offset)
    }

    /// Produces `event` as the relay would.
    pub(super) async fn send(
        &self,
        aggregate_id: Uuid,
        sequence: i64,
        at: DateTime<Utc>,
        tenant: Option<Uuid>,
        event: PublishedEvent,
    ) -> (i32, i64) {
        let topic = self.topic(event.aggregate_type());
        let payload = serde_json::to_vec(&event.payload().unwrap()).unwrap();
        let mut headers = vec![
            ("ce_id", Uuid::new_v4().to_string()),
            ("ce_type", event.ce_type()),
            (
                "ce_source",
                format!("/hireledger/{}", event.aggregate_type()),
            ),
            ("ce_subject", aggregate_id.to_string()),
            ("ce_time", at.to_rfc3339_opts(SecondsFormat::Micros, true)),
            ("ce_specversion", "1.0".to_owned()),
            ("content-type", "application/json".to_owned()),
            ("hl_sequence", sequence.to_string()),
            ("hl_event_version", format!("{}.0", event.major())),
        ];
        if let Some(t) = tenant {
            headers.push(("hl_tenant", t.to_string()));
        }
        self.send_raw(&topic, &aggregate_id.to_string(), &headers, &payload)
            .await
    }

    pub(super) async fn wait_version(&self, kind: ViewKind, id: Uuid, version: i64) {
        let reached = queries::wait_for_version(self.pool(), kind, id, version, DEADLINE)
            .await
            .unwrap();
        assert!(reached, "{kind:?} {id} never reached version {version}");
    }

    /// Waits until the stored offset of (topic, partition) has passed `offset`.
    pub(super) async fn wait_offset(&self, topic: &str, (partition, offset): (i32, i64)) {
        eventually("the stored offset", async || {
            self.next_offset(topic, partition).await > offset
        })
        .await;
    }

    pub(super) async fn next_offset(&self, topic: &str, partition: i32) -> i64 {
        sqlx::query_scalar::<_, i64>(
            "SELECT next_offset FROM projection_offsets
             WHERE projector = $1 AND topic = $2 AND partition = $3",
        )
        .bind(IDENTITY_PROJECTOR)
        .bind(topic)
        .bind(partition)
        .fetch_optional(self.pool())
        .await
        .unwrap()
        .unwrap_or(0)
    }

    pub(super) async fn user_counters(&self, id: Uuid) -> Option<(i64, i64)> {
        sqlx::query_as("SELECT version, events_applied FROM rm_users WHERE user_id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .unwrap()
    }

    pub(super) async fn company_counters(&self, id: Uuid) -> Option<(i64, i64)> {
        sqlx::query_as("SELECT version, events_applied FROM rm_companies WHERE company_id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .unwrap()
    }

    /// `CompanyRegistrationRequested` (sequence 1) with a contact sealed under `contact`.
    pub(super) async fn register_company(
        &self,
        company: Uuid,
        contact: Uuid,
        name: &str,
        at: DateTime<Utc>,
    ) -> (i32, i64) {
        let event = company_event(CompanyEventV1::CompanyRegistrationRequested(
            CompanyRegistrationRequestedV1 {
                company_id: company,
                name: name.to_owned(),
                domain: format!("{}.example.com", name.to_lowercase()),
                contact: ContactPersonV1 {
                    person_id: contact,
                    name: self
                        .seal(
                            contact,
                            hireledger_infra::vault::Field::Name,
                            &format!("Contact of {name}"),
                        )
                        .await,
                    email: self
                        .seal(
                            contact,
                            hireledger_infra::vault::Field::Email,
                            &format!("contact@{name}.example.com"),
                        )
                        .await,
                },
            },
        ));
        self.send(company, 1, at, Some(company), event).await
    }

    /// `UserRegistered` (sequence 1) with name/e-mail sealed under the user.
    pub(super) async fn register_user(
        &self,
        user: Uuid,
        company: Option<Uuid>,
        role: RoleV1,
        name: &str,
        at: DateTime<Utc>,
    ) -> (i32, i64) {
        let event = user_event(UserEventV1::UserRegistered(UserRegisteredV1 {
            user_id: user,
            company_id: company,
            role,
            name: self
                .seal(user, hireledger_infra::vault::Field::Name, name)
                .await,
            email: self
                .seal(
                    user,
                    hireledger_infra::vault::Field::Email,
                    &format!("{}@example.com", name.to_lowercase()),
                )
                .await,
            registered_by: None,
        }));
        self.send(user, 1, at, company, event).await
    }
}

pub(super) fn company_event(e: CompanyEventV1) -> PublishedEvent {
    PublishedEvent::Company(e)
}

pub(super) fn user_event(e: UserEventV1) -> PublishedEvent {
    PublishedEvent::User(e)
}

pub(super) fn role_changed(from: RoleV1, to: RoleV1) -> PublishedEvent {
    user_event(UserEventV1::UserRoleChanged(UserRoleChangedV1 {
        from,
        to,
        changed_by: None,
    }))
}

pub(super) fn user_deactivated() -> PublishedEvent {
    user_event(UserEventV1::UserDeactivated(UserDeactivatedV1 {
        deactivated_by: None,
    }))
}

pub(super) fn user_reactivated() -> PublishedEvent {
    user_event(UserEventV1::UserReactivated(UserReactivatedV1 {
        reactivated_by: None,
    }))
}

pub(super) fn company_approved(first_hr_user_id: Uuid) -> PublishedEvent {
    company_event(CompanyEventV1::CompanyApproved(CompanyApprovedV1 {
        approved_by: None,
        first_hr_user_id,
    }))
}
