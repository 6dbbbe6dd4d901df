//! Kafka client configuration shared by the relay, projectors and workers, and the event topics
//! as code: every topic is created with its partition count and settings, and checked.

use anyhow::Context;
use rdkafka::ClientConfig;
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka::types::RDKafkaErrorCode;
use std::collections::BTreeMap;
use std::time::Duration;

/// Idempotent producer, every write acknowledged by all in-sync replicas.
pub fn producer_config(brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers)
        // A broker that comes back is found within a second (librdkafka's default backs off up
        // to 10 s between reconnects, which is how long the spine would stay behind).
        .set("reconnect.backoff.max.ms", "1000")
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("max.in.flight.requests.per.connection", "5")
        .set("message.timeout.ms", "30000")
        // The relay enqueues a whole batch, then waits for it: a long linger only adds latency.
        .set("linger.ms", "1")
        .set("compression.type", "none");
    c
}

/// A consumer in `group_id` that never commits to Kafka: offsets live in Postgres.
pub fn consumer_config(brokers: &str, group_id: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers)
        .set("reconnect.backoff.max.ms", "1000")
        .set("group.id", group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "1000")
        .set("topic.metadata.refresh.interval.ms", "2000")
        // A fetch of a partition with nothing new waits this long on the broker, and the
        // metadata and watermark requests a projector makes between batches queue behind it on
        // the same connection (librdkafka's 500 ms default stalled a busy projector for seconds
        // every check). Idle fetches are cheap.
        .set("fetch.wait.max.ms", "20")
        .set("enable.partition.eof", "false");
    c
}

/// Session timeout of group members: a member that stops heartbeating (killed, partitioned away)
/// loses its partitions this long after its last heartbeat. 6 s is the broker's smallest allowed
/// value by default (`group.min.session.timeout.ms`).
pub const GROUP_SESSION_TIMEOUT_MS: u32 = 6000;

/// A member of consumer group `group_id` that lets the broker assign partitions (`subscribe`):
/// for workers and analysts, which scale by joining the group. Offsets are committed to Kafka
/// only when the caller stores them (at-least-once). Projectors do not use this: they keep their
/// offsets in Postgres and share partitions through leases (see `projections::runner`).
pub fn group_consumer_config(brokers: &str, group_id: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers)
        .set("reconnect.backoff.max.ms", "1000")
        .set("group.id", group_id)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", GROUP_SESSION_TIMEOUT_MS.to_string())
        .set("heartbeat.interval.ms", "1000")
        .set("partition.assignment.strategy", "cooperative-sticky")
        .set("enable.partition.eof", "false");
    c
}

/// Settings of every event topic. The topics are the analysts' and the replays' source: nothing
/// is deleted by age or size, and nothing is compacted away.
pub const EVENT_TOPIC_CONFIG: &[(&str, &str)] = &[
    ("cleanup.policy", "delete"),
    ("retention.ms", "-1"),
    ("retention.bytes", "-1"),
];

const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

fn admin(brokers: &str) -> anyhow::Result<AdminClient<DefaultClientContext>> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .context("creating Kafka admin client")
}

fn admin_options() -> AdminOptions {
    AdminOptions::new()
        .operation_timeout(Some(ADMIN_TIMEOUT))
        .request_timeout(Some(ADMIN_TIMEOUT))
}

/// Creates the event topics that do not exist yet, with `partitions` partitions and
/// [`EVENT_TOPIC_CONFIG`]. Existing topics are left as they are (see [`check_topics`]).
pub async fn ensure_topics(
    brokers: &str,
    topics: &[String],
    partitions: i32,
) -> anyhow::Result<()> {
    let admin = admin(brokers)?;
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            EVENT_TOPIC_CONFIG.iter().fold(
                NewTopic::new(t, partitions, TopicReplication::Fixed(-1)),
                |topic, (k, v)| topic.set(k, v),
            )
        })
        .collect();
    let results = admin
        .create_topics(&new, &admin_options())
        .await
        .context("creating Kafka topics")?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// What [`check_topics`] found about one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicState {
    pub name: String,
    /// `None` when the topic does not exist.
    pub partitions: Option<i32>,
    /// The settings of [`EVENT_TOPIC_CONFIG`] as the broker reports them.
    pub config: BTreeMap<String, String>,
}

impl TopicState {
    /// Differences from the wanted shape, in words (empty when the topic is as it should be).
    pub fn problems(&self, partitions: i32) -> Vec<String> {
        let Some(found) = self.partitions else {
            return vec!["missing".to_owned()];
        };
        let mut out = Vec::new();
        if found != partitions {
            out.push(format!("{found} partitions, expected {partitions}"));
        }
        out.extend(self.config_problems());
        out
    }

    /// Settings that differ from [`EVENT_TOPIC_CONFIG`].
    pub fn config_problems(&self) -> impl Iterator<Item = String> + '_ {
        EVENT_TOPIC_CONFIG
            .iter()
            .filter_map(|(key, want)| match self.config.get(*key) {
                Some(v) if v == want => None,
                Some(v) => Some(format!("{key}={v}, expected {want}")),
                None => Some(format!("{key} not reported, expected {want}")),
            })
    }
}

/// Reads each topic's partition count and event-topic settings from the broker.
pub async fn check_topics(brokers: &str, topics: &[String]) -> anyhow::Result<Vec<TopicState>> {
    let admin = admin(brokers)?;
    let existing = partition_counts(brokers).await?;
    let mut out = Vec::with_capacity(topics.len());
    for name in topics {
        let partitions = existing.get(name).copied();
        let mut config = BTreeMap::new();
        if partitions.is_some() {
            let described = admin
                .describe_configs([&ResourceSpecifier::Topic(name)], &admin_options())
                .await
                .context("describing topic settings")?;
            for r in described {
                let resource = r.map_err(|code| anyhow::anyhow!("describing {name}: {code}"))?;
                for entry in resource.entries {
                    if EVENT_TOPIC_CONFIG.iter().any(|(k, _)| *k == entry.name)
                        && let Some(v) = entry.value
                    {
                        config.insert(entry.name, v);
                    }
                }
            }
        }
        out.push(TopicState {
            name: name.clone(),
            partitions,
            config,
        });
    }
    Ok(out)
}

/// Sets [`EVENT_TOPIC_CONFIG`] on existing topics (partition counts are never changed here:
/// adding partitions moves keys, and with them the per-aggregate order).
pub async fn apply_topic_config(brokers: &str, topics: &[String]) -> anyhow::Result<()> {
    let admin = admin(brokers)?;
    let alters: Vec<AlterConfig<'_>> = topics
        .iter()
        .map(|t| {
            EVENT_TOPIC_CONFIG.iter().fold(
                AlterConfig::new(ResourceSpecifier::Topic(t)),
                |a, (k, v)| a.set(k, v),
            )
        })
        .collect();
    for r in admin
        .alter_configs(&alters, &admin_options())
        .await
        .context("altering topic settings")?
    {
        r.map_err(|(resource, code)| anyhow::anyhow!("altering {resource:?}: {code}"))?;
    }
    Ok(())
}

/// Deletes the given topics (missing ones are fine). Used by tests to remove what they made.
pub async fn delete_topics(brokers: &str, topics: &[String]) -> anyhow::Result<()> {
    if topics.is_empty() {
        return Ok(());
    }
    let admin = admin(brokers)?;
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    for r in admin
        .delete_topics(&names, &admin_options())
        .await
        .context("deleting Kafka topics")?
    {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => {}
            Err((topic, code)) => anyhow::bail!("deleting topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// Every topic on the broker with its partition count (a blocking metadata call, run off the
/// async threads).
pub async fn partition_counts(brokers: &str) -> anyhow::Result<BTreeMap<String, i32>> {
    let config = {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", brokers);
        c
    };
    tokio::task::spawn_blocking(move || {
        let producer: BaseProducer = config.create().context("creating a metadata client")?;
        let metadata = producer
            .client()
            .fetch_metadata(None, ADMIN_TIMEOUT)
            .context("fetching Kafka metadata")?;
        Ok(metadata
            .topics()
            .iter()
            .filter(|t| t.error().is_none())
            .map(|t| {
                let n = i32::try_from(t.partitions().len()).unwrap_or(i32::MAX);
                (t.name().to_owned(), n)
            })
            .collect())
    })
    .await
    .context("metadata task")?
}

/// Names of the topics on the broker that start with `prefix`.
pub async fn topics_with_prefix(brokers: &str, prefix: &str) -> anyhow::Result<Vec<String>> {
    Ok(partition_counts(brokers)
        .await?
        .into_keys()
        .filter(|n| n.starts_with(prefix))
        .collect())
}
