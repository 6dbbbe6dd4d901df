//! Turning stored events into Kafka records (CloudEvents headers) and sending them.

use super::store::EventRow;
use super::{RelayConfig, event_id, headers};
use crate::kafka;
use crate::settings::topic_name;
use anyhow::{Context, anyhow};
use chrono::SecondsFormat;
use hireledger_schemas::{SchemaError, to_published};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

/// A record ready to send.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub(super) topic: String,
    pub(super) key: String,
    pub(super) payload: Vec<u8>,
    pub(super) headers: Vec<(&'static str, String)>,
}

/// Why an event has no Kafka record. Never carries payload content.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Unpublishable(String);

/// Builds the record of one stored event.
pub(super) fn prepare(topic_prefix: &str, row: &EventRow) -> Result<Outgoing, Unpublishable> {
    let published = to_published(
        &row.aggregate_type,
        &row.event_type,
        &row.event_version,
        &row.payload,
    )
    .map_err(|e| Unpublishable(describe(&e)))?;
    let payload = serde_json::to_vec(&published.payload).map_err(|e| {
        Unpublishable(format!(
            "serializing the published form: {:?}",
            e.classify()
        ))
    })?;

    let mut h: Vec<(&'static str, String)> = vec![
        (
            headers::CE_ID,
            event_id(&row.aggregate_type, &row.aggregate_id, row.sequence).to_string(),
        ),
        (headers::CE_TYPE, published.ce_type),
        (
            headers::CE_SOURCE,
            format!("/hireledger/{}", row.aggregate_type),
        ),
        (headers::CE_SUBJECT, row.aggregate_id.clone()),
        (
            headers::CE_TIME,
            row.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        ),
        (headers::CE_SPECVERSION, "1.0".to_owned()),
        (headers::CONTENT_TYPE, "application/json".to_owned()),
        (headers::HL_SEQUENCE, row.sequence.to_string()),
        (headers::HL_EVENT_VERSION, published.version),
        (headers::HL_GLOBAL_POSITION, row.global_position.to_string()),
    ];
    for (meta_key, header) in [
        ("tenant_id", headers::HL_TENANT),
        ("correlation_id", headers::HL_CORRELATION_ID),
        ("causation_id", headers::HL_CAUSATION_ID),
    ] {
        if let Some(value) = metadata_str(&row.metadata, meta_key) {
            h.push((header, value.to_owned()));
        }
    }

    Ok(Outgoing {
        topic: topic_name(topic_prefix, &row.aggregate_type),
        key: row.aggregate_id.clone(),
        payload,
        headers: h,
    })
}

/// A non-empty string entry of the metadata map (anything else counts as absent).
fn metadata_str<'a>(metadata: &'a Value, key: &str) -> Option<&'a str> {
    metadata
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A schema error, worded so that no payload content reaches the logs (serde's messages can quote
/// the offending value, so only its category and place are kept).
fn describe(e: &SchemaError) -> String {
    if let SchemaError::Malformed(inner) = e {
        format!(
            "malformed stored payload ({:?} error at line {} column {})",
            inner.classify(),
            inner.line(),
            inner.column()
        )
    } else {
        e.to_string()
    }
}

/// The producer, and the topics known to exist.
pub(super) struct Publisher {
    producer: FutureProducer,
    brokers: String,
    partitions: i32,
    topics: HashSet<String>,
}

impl Publisher {
    pub(super) fn new(cfg: &RelayConfig) -> anyhow::Result<Self> {
        let producer: FutureProducer = kafka::producer_config(&cfg.brokers)
            .create()
            .context("creating the Kafka producer")?;
        Ok(Self {
            producer,
            brokers: cfg.brokers.clone(),
            partitions: cfg.partitions,
            topics: HashSet::new(),
        })
    }

    /// Creates the topics this publisher has not seen yet.
    #[tracing::instrument(skip(self))]
    pub(super) async fn ensure_topics(&mut self, topics: &[String]) -> anyhow::Result<()> {
        let mut missing: Vec<String> = topics
            .iter()
            .filter(|t| !self.topics.contains(*t))
            .cloned()
            .collect();
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        kafka::ensure_topics(&self.brokers, &missing, self.partitions).await?;
        self.topics.extend(missing);
        Ok(())
    }

    /// Sends every record, in order, and returns once the broker acknowledged all of them. Any
    /// failure is an error: the caller must not checkpoint and will send the batch again.
    #[tracing::instrument(skip_all, fields(count = batch.len()))]
    pub(super) async fn send_all(&self, batch: &[Outgoing]) -> anyhow::Result<()> {
        let mut pending: Vec<DeliveryFuture> = Vec::with_capacity(batch.len());
        // Enqueue strictly in order (a full queue waits for room rather than letting a later
        // record overtake), then await every acknowledgement.
        for m in batch {
            let mut hdrs = OwnedHeaders::new_with_capacity(m.headers.len());
            for (key, value) in &m.headers {
                hdrs = hdrs.insert(Header {
                    key,
                    value: Some(value.as_str()),
                });
            }
            let mut record = FutureRecord::to(&m.topic)
                .key(m.key.as_str())
                .payload(m.payload.as_slice())
                .headers(hdrs);
            loop {
                match self.producer.send_result(record) {
                    Ok(delivery) => {
                        pending.push(delivery);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err((e, _)) => {
                        return Err(e).with_context(|| format!("enqueueing to {}", m.topic));
                    }
                }
            }
        }
        for delivery in pending {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _message))) => {
                    let fatal = self
                        .producer
                        .client()
                        .fatal_error()
                        .map(|(code, reason)| format!(" (producer fatal error {code:?}: {reason})"))
                        .unwrap_or_default();
                    return Err(anyhow!(e)).context(format!("delivering to Kafka{fatal}"));
                }
                Err(_canceled) => return Err(anyhow!("delivery canceled: the producer went away")),
            }
        }
        Ok(())
    }
}
