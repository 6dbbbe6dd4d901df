//! A Kafka message turned into a typed event with its position and CloudEvents metadata.

use chrono::{DateTime, Utc};
use hireledger_schemas::PublishedEvent;
use rdkafka::Message;
use rdkafka::message::{Headers, OwnedMessage};
use uuid::Uuid;

/// One published event as a projector sees it.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// `ce_subject` (also the message key).
    pub aggregate_id: Uuid,
    /// `hl_sequence`: the event's 1-based position in its aggregate's stream.
    pub sequence: i64,
    /// `ce_time`: when the event was recorded in the event store.
    pub recorded_at: DateTime<Utc>,
    /// `hl_tenant`: the company the event belongs to; `None` for platform-level events.
    pub tenant: Option<Uuid>,
    pub event: PublishedEvent,
}

/// Why a message could not be turned into an [`Envelope`]. Never carries payload content.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("header {0} is missing")]
    MissingHeader(&'static str),
    #[error("header {0} is not valid")]
    InvalidHeader(&'static str),
    #[error("message has no payload")]
    NoPayload,
    #[error("payload does not decode: {0}")]
    Decode(String),
}

fn header<'a>(msg: &'a OwnedMessage, name: &'static str) -> Option<&'a [u8]> {
    let headers = msg.headers()?;
    // The last occurrence wins, as in Kafka's own clients.
    headers
        .iter()
        .filter(|h| h.key == name)
        .last()
        .and_then(|h| h.value)
}

fn header_str<'a>(msg: &'a OwnedMessage, name: &'static str) -> Result<&'a str, EnvelopeError> {
    let raw = header(msg, name).ok_or(EnvelopeError::MissingHeader(name))?;
    std::str::from_utf8(raw).map_err(|_| EnvelopeError::InvalidHeader(name))
}

/// Describes a schema error without echoing payload values (serde messages may quote them).
fn describe(err: &hireledger_schemas::SchemaError) -> String {
    match err {
        hireledger_schemas::SchemaError::Malformed(e) => format!(
            "malformed payload ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
        other => other.to_string(),
    }
}

impl Envelope {
    /// Reads the headers and decodes the payload of one message.
    pub fn from_message(msg: &OwnedMessage) -> Result<Self, EnvelopeError> {
        let ce_type = header_str(msg, "ce_type")?;
        let aggregate_id = Uuid::parse_str(header_str(msg, "ce_subject")?)
            .map_err(|_| EnvelopeError::InvalidHeader("ce_subject"))?;
        let sequence: i64 = header_str(msg, "hl_sequence")?
            .trim()
            .parse()
            .map_err(|_| EnvelopeError::InvalidHeader("hl_sequence"))?;
        if sequence < 1 {
            return Err(EnvelopeError::InvalidHeader("hl_sequence"));
        }
        let recorded_at = DateTime::parse_from_rfc3339(header_str(msg, "ce_time")?)
            .map_err(|_| EnvelopeError::InvalidHeader("ce_time"))?
            .with_timezone(&Utc);
        let tenant = match header(msg, "hl_tenant") {
            None => None,
            Some(raw) => {
                let s = std::str::from_utf8(raw)
                    .map_err(|_| EnvelopeError::InvalidHeader("hl_tenant"))?
                    .trim();
                if s.is_empty() {
                    None
                } else {
                    Some(
                        Uuid::parse_str(s)
                            .map_err(|_| EnvelopeError::InvalidHeader("hl_tenant"))?,
                    )
                }
            }
        };
        let payload = msg.payload().ok_or(EnvelopeError::NoPayload)?;
        let event = hireledger_schemas::decode(ce_type, payload)
            .map_err(|e| EnvelopeError::Decode(describe(&e)))?;
        Ok(Self {
            topic: msg.topic().to_owned(),
            partition: msg.partition(),
            offset: msg.offset(),
            aggregate_id,
            sequence,
            recorded_at,
            tenant,
            event,
        })
    }
}
