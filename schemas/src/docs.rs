//! The generated contract documents: one JSON Schema per published event and the AsyncAPI 3.0
//! document of the Kafka topics. They are checked in under `schemas/` and kept current by the
//! `schemas_are_current` test (`HIRELEDGER_BLESS=1` rewrites them).

use crate::{PUBLISHED_VERSION, PublishedAggregate, PublishedEvent, ce_type_of_major};
use schemars::Schema;
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// Path (relative to `schemas/`) of the AsyncAPI document.
const ASYNCAPI_PATH: &str = "asyncapi.json";

/// JSON Schema dialect produced by `schemars::schema_for!`.
const SCHEMA_FORMAT: &str = "application/schema+json;version=draft-2020-12";

/// One aggregate's events, as the documents need them.
struct Aggregate {
    aggregate_type: &'static str,
    summary: &'static str,
    /// `(event type, current published major, JSON Schema)`.
    schemas: Vec<(&'static str, u32, Schema)>,
}

/// Every published aggregate, in [`PublishedEvent`]'s order.
fn aggregates() -> Vec<Aggregate> {
    PublishedEvent::json_schemas()
        .into_iter()
        .map(|(aggregate, schemas): (PublishedAggregate, _)| Aggregate {
            aggregate_type: aggregate.aggregate_type,
            summary: aggregate.summary,
            schemas: schemas
                .into_iter()
                .map(|(event_type, schema)| {
                    let major = aggregate.major(event_type).unwrap_or(1);
                    (event_type, major, schema)
                })
                .collect(),
        })
        .collect()
}

/// Path (relative to `schemas/`) of the JSON Schema of one published event.
fn schema_path(aggregate_type: &str, event_type: &str, major: u32) -> String {
    format!("json/{aggregate_type}/{event_type}.v{major}.json")
}

/// Pretty JSON with sorted keys and a trailing newline, as the files are checked in (sorted, so
/// the output does not depend on whether serde_json's `preserve_order` is on in a build).
fn render(mut value: Value) -> String {
    value.sort_all_objects();
    format!("{value:#}\n")
}

/// Every generated document: `(path relative to schemas/, content)`.
///
/// - `json/<aggregate>/<EventType>.v<major>.json`: JSON Schema (2020-12) of the current published
///   form of each event.
/// - `asyncapi.json`: AsyncAPI 3.0 document of the topics `{prefix}.<aggregate>`, one per
///   aggregate of [`PublishedEvent`].
///
/// The checked-in copies are compared with these by the `schemas_are_current` test; run
/// `HIRELEDGER_BLESS=1 cargo test -p hireledger-schemas` to rewrite them after a deliberate change.
pub fn generated_documents() -> Vec<(PathBuf, String)> {
    let aggregates = aggregates();
    let mut documents = Vec::new();
    for aggregate in &aggregates {
        for (event_type, major, schema) in &aggregate.schemas {
            documents.push((
                PathBuf::from(schema_path(aggregate.aggregate_type, event_type, *major)),
                render(schema.clone().to_value()),
            ));
        }
    }
    documents.push((PathBuf::from(ASYNCAPI_PATH), render(asyncapi(&aggregates))));
    documents
}

fn asyncapi(aggregates: &[Aggregate]) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    for aggregate in aggregates {
        let name = aggregate.aggregate_type;
        let mut channel_messages = Map::new();
        let mut operation_messages = Vec::new();
        for (event_type, major, schema) in &aggregate.schemas {
            let key = format!("{event_type}.v{major}");
            let component = format!("{name}.{key}");
            channel_messages.insert(
                key.clone(),
                json!({ "$ref": format!("#/components/messages/{component}") }),
            );
            operation_messages.push(json!({ "$ref": format!("#/channels/{name}/messages/{key}") }));
            messages.insert(component, message(name, event_type, *major, schema));
        }
        channels.insert(
            name.to_owned(),
            json!({
                "address": format!("{{prefix}}.{name}"),
                "title": format!("{name} events"),
                "summary": aggregate.summary,
                "description": format!(
                    "Every event of the `{name}` aggregate, in commit order per aggregate. \
                     Message key = aggregate id, so one aggregate's events share a partition."
                ),
                "parameters": { "prefix": { "$ref": "#/components/parameters/prefix" } },
                "messages": channel_messages,
            }),
        );
        operations.insert(
            format!("publish_{name}_events"),
            json!({
                "action": "send",
                "channel": { "$ref": format!("#/channels/{name}") },
                "summary": format!("The relay publishes every committed `{name}` event."),
                "messages": operation_messages,
            }),
        );
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "HireLedger events",
            "version": PUBLISHED_VERSION,
            "description": "Domain events of HireLedger as published on Kafka. Payloads are the \
                bare JSON of the published form named by the CloudEvents type header \
                (`ce_type` = `hireledger.<aggregate>.<EventType>.v<major>`). Consumers must \
                ignore fields they do not know. Personal data is published sealed (encrypted \
                per data subject), and so, from version 2 of their events, is free text that \
                can describe a candidate (rejection, withdrawal and cancellation reasons, rating \
                criteria, position, tags); password hashes and interview access-token hashes are never \
                published.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "parameters": {
                "prefix": {
                    "description": "Topic prefix (setting `topic_prefix`, \
                                    env `HIRELEDGER_TOPIC_PREFIX`).",
                    "default": "hireledger",
                },
            },
            "messages": messages,
            "schemas": {
                "AggregateId": {
                    "type": "string",
                    "format": "uuid",
                    "description": "Id of the aggregate that emitted the event.",
                },
                "EventHeaders": event_headers(),
            },
        },
    })
}

fn message(aggregate_type: &str, event_type: &str, major: u32, schema: &Schema) -> Value {
    let mut message = json!({
        "name": event_type,
        "title": format!("{event_type} v{major}"),
        "contentType": "application/json",
        "headers": {
            "allOf": [
                { "$ref": "#/components/schemas/EventHeaders" },
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {
                            "const": ce_type_of_major(aggregate_type, event_type, major)
                        },
                        "hl_event_version": { "const": format!("{major}.0") },
                    },
                },
            ],
        },
        "payload": {
            "schemaFormat": SCHEMA_FORMAT,
            "schema": { "$ref": schema_path(aggregate_type, event_type, major) },
        },
        "bindings": {
            "kafka": {
                "key": { "$ref": "#/components/schemas/AggregateId" },
                "bindingVersion": "0.5.0",
            },
        },
    });
    if let (Some(summary), Some(obj)) = (schema.get("description"), message.as_object_mut()) {
        obj.insert("summary".to_owned(), summary.clone());
    }
    message
}

fn event_headers() -> Value {
    json!({
        "type": "object",
        "description": "Kafka headers of every event: CloudEvents 1.0 (Kafka binary mode, \
                        `ce_` prefix) plus HireLedger's own (`hl_`). Values are UTF-8 strings.",
        "required": [
            "ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "ce_specversion",
            "hl_sequence", "hl_event_version", "hl_global_position", "content-type",
        ],
        "properties": {
            "ce_id": {
                "type": "string",
                "format": "uuid",
                "description": "Unique id of the event, deterministic (UUID v5 of aggregate \
                                type, aggregate id and sequence): a re-sent event keeps its id, \
                                so consumers deduplicate on it.",
            },
            "ce_type": {
                "type": "string",
                "pattern": "^hireledger\\.[a-z_]+\\.[A-Za-z]+\\.v[0-9]+$",
                "description": "`hireledger.<aggregate>.<EventType>.v<major>`: names the \
                                payload's schema.",
            },
            "ce_source": {
                "type": "string",
                "format": "uri-reference",
                "description": "`/hireledger/<aggregate>`.",
            },
            "ce_subject": {
                "type": "string",
                "format": "uuid",
                "description": "The aggregate id (same as the message key).",
            },
            "ce_time": {
                "type": "string",
                "format": "date-time",
                "description": "When the event was stored (RFC 3339, UTC).",
            },
            "ce_specversion": { "const": "1.0" },
            "hl_sequence": {
                "type": "string",
                "pattern": "^[1-9][0-9]*$",
                "description": "Sequence number of the event within its aggregate (1, 2, ...).",
            },
            "hl_event_version": {
                "type": "string",
                "description": "Version (semver) of the published payload; its major part is \
                                the `v<major>` of `ce_type`.",
            },
            "hl_tenant": {
                "type": "string",
                "format": "uuid",
                "description": "The company (tenant) the event belongs to; absent for \
                                platform-level events (e.g. platform administrators).",
            },
            "hl_correlation_id": {
                "type": "string",
                "description": "Id of the request or process that led to the event, when known.",
            },
            "hl_causation_id": {
                "type": "string",
                "description": "Id of the command or event that caused this event, when known.",
            },
            "hl_global_position": {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "Position of the event in the event store's global order \
                                (diagnostics; consumers order by partition offset).",
            },
            "content-type": { "const": "application/json" },
        },
    })
}
