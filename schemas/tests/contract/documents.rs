//! The checked-in JSON Schemas and AsyncAPI document match what the code generates.

use crate::{check_no_stale, check_or_bless, crate_dir};
use hireledger_schemas::{PublishedEvent, generated_documents};
use serde_json::Value;
use std::path::PathBuf;

/// Regenerates every document in memory and compares it with the committed file.
/// `HIRELEDGER_BLESS=1` rewrites the files (and removes stale schema files) instead.
#[test]
fn schemas_are_current() {
    let documents = generated_documents();
    for (path, content) in &documents {
        check_or_bless(path, content);
    }
    let paths: Vec<PathBuf> = documents.into_iter().map(|(p, _)| p).collect();
    check_no_stale("json", &paths);
}

#[test]
fn one_schema_per_published_event_and_asyncapi_references_each() {
    let documents = generated_documents();
    let asyncapi: Value = documents
        .iter()
        .find(|(p, _)| p == &PathBuf::from("asyncapi.json"))
        .map(|(_, c)| serde_json::from_str(c).unwrap())
        .unwrap();
    let mut expected = 0;
    for published in PublishedEvent::AGGREGATES {
        let aggregate = published.aggregate_type;
        let channel = &asyncapi["channels"][aggregate];
        assert_eq!(channel["address"], format!("{{prefix}}.{aggregate}"));
        assert_eq!(channel["summary"], published.summary);
        for event in published.event_types {
            expected += 1;
            let major = published.major(event).unwrap();
            let schema_path = format!("json/{aggregate}/{event}.v{major}.json");
            assert!(
                documents
                    .iter()
                    .any(|(p, _)| p == &PathBuf::from(&schema_path)),
                "no schema for {event}"
            );
            let message =
                &asyncapi["components"]["messages"][format!("{aggregate}.{event}.v{major}")];
            assert_eq!(message["payload"]["schema"]["$ref"], schema_path.as_str());
            assert_eq!(
                message["headers"]["allOf"][1]["properties"]["ce_type"]["const"],
                format!("hireledger.{aggregate}.{event}.v{major}")
            );
            assert_eq!(
                message["headers"]["allOf"][1]["properties"]["hl_event_version"]["const"],
                format!("{major}.0")
            );
            assert!(crate_dir().join(&schema_path).exists() || crate::blessing());
            assert!(
                channel["messages"][format!("{event}.v{major}")]["$ref"].is_string(),
                "channel {aggregate} lacks {event}"
            );
        }
    }
    assert_eq!(documents.len(), expected + 1);
    let channels = asyncapi["channels"].as_object().unwrap();
    assert_eq!(channels.len(), PublishedEvent::AGGREGATES.len());
}

#[test]
fn schemas_tolerate_additions_and_never_mention_secrets() {
    for (path, content) in generated_documents() {
        for secret in ["password_hash", "token_hash"] {
            assert!(
                !content.contains(secret),
                "{} mentions {secret}",
                path.display()
            );
        }
        if path.starts_with("json") {
            let schema: Value = serde_json::from_str(&content).unwrap();
            assert_ne!(
                schema.get("additionalProperties"),
                Some(&Value::Bool(false)),
                "{} refuses unknown fields",
                path.display()
            );
        }
    }
}
