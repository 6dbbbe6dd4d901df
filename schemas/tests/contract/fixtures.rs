//! Golden fixtures: `fixtures/stored/<aggregate>/<EventType>.<version>.json` holds a stored
//! payload of every event type and version ever written (never delete one), and
//! `fixtures/published/<aggregate>/<EventType>.v<major>.json` what its current version publishes
//! (the fixtures of older majors stay too and must keep decoding).

use crate::{check_no_stale, check_or_bless, crate_dir, files_under};
use cqrs_es::DomainEvent;
use hireledger_domain::application::ApplicationEvent;
use hireledger_domain::candidate::CandidateEvent;
use hireledger_domain::company::CompanyEvent;
use hireledger_domain::interview::InterviewEvent;
use hireledger_domain::job::JobEvent;
use hireledger_domain::user::UserEvent;
use hireledger_schemas::stored::STORED_EVENT_TYPES;
use hireledger_schemas::{
    Published, PublishedEvent, ce_type, ce_type_of_major, current_stored_version, decode,
    published_major, to_published,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::PathBuf;

/// One stored fixture: where it is and what its name says.
struct StoredFixture {
    path: PathBuf,
    aggregate_type: String,
    event_type: String,
    version: String,
    payload: Value,
}

fn stored_fixtures() -> Vec<StoredFixture> {
    let fixtures: Vec<StoredFixture> = files_under("fixtures/stored")
        .into_iter()
        .map(|path| {
            let aggregate_type = path
                .parent()
                .and_then(|p| p.file_name())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let (event_type, version) = name
                .strip_suffix(".json")
                .and_then(|n| n.split_once('.'))
                .unwrap_or_else(|| panic!("fixture name {name} is not <EventType>.<version>.json"));
            let text = std::fs::read_to_string(crate_dir().join(&path)).unwrap();
            StoredFixture {
                aggregate_type,
                event_type: event_type.to_owned(),
                version: version.to_owned(),
                payload: serde_json::from_str(&text).unwrap(),
                path,
            }
        })
        .collect();
    assert!(!fixtures.is_empty(), "no stored fixtures found");
    fixtures
}

/// Every key anywhere in `value`.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

fn assert_no_secrets(published: &Published, origin: &str) {
    let mut all = Vec::new();
    keys(&published.payload, &mut all);
    for secret in ["password_hash", "token_hash"] {
        assert!(
            !all.iter().any(|k| k == secret),
            "{origin}: published payload has {secret}"
        );
    }
    assert!(
        !published.payload.to_string().contains("$argon2"),
        "{origin}: published payload holds a password hash"
    );
}

#[test]
fn every_stored_fixture_loads_publishes_and_decodes() {
    for fixture in stored_fixtures() {
        let origin = fixture.path.display().to_string();
        let published = to_published(
            &fixture.aggregate_type,
            &fixture.event_type,
            &fixture.version,
            &fixture.payload,
        )
        .unwrap_or_else(|e| panic!("{origin}: {e}"));
        assert!(
            published
                .ce_type
                .starts_with(&format!("hireledger.{}.", fixture.aggregate_type)),
            "{origin}: {}",
            published.ce_type
        );
        let major = published_major(&fixture.aggregate_type, &fixture.event_type).unwrap();
        assert_eq!(published.version, format!("{major}.0"), "{origin}");
        assert_no_secrets(&published, &origin);

        let bytes = serde_json::to_vec(&published.payload).unwrap();
        let decoded =
            decode(&published.ce_type, &bytes).unwrap_or_else(|e| panic!("{origin}: {e}"));
        assert_eq!(decoded.encode().unwrap(), published, "{origin}: round trip");
    }
}

/// Reads a stored payload with the domain enum `E` and writes it back:
/// `(payload as the domain writes it, event type, event version)`.
fn rewrite<E: DomainEvent + Serialize + DeserializeOwned>(
    payload: &Value,
) -> (Value, String, String) {
    let event: E = serde_json::from_value(payload.clone()).unwrap();
    (
        serde_json::to_value(&event).unwrap(),
        event.event_type(),
        event.event_version(),
    )
}

#[test]
fn current_version_fixtures_are_exactly_what_the_domain_writes() {
    for fixture in stored_fixtures() {
        let origin = fixture.path.display().to_string();
        if current_stored_version(&fixture.aggregate_type, &fixture.event_type)
            != Some(fixture.version.as_str())
        {
            continue;
        }
        // The domain reads the fixture and writes it back unchanged: nothing in it is ignored.
        let payload = &fixture.payload;
        let (rewritten, event_type, version) = match fixture.aggregate_type.as_str() {
            "company" => rewrite::<CompanyEvent>(payload),
            "user" => rewrite::<UserEvent>(payload),
            "job" => rewrite::<JobEvent>(payload),
            "candidate" => rewrite::<CandidateEvent>(payload),
            "application" => rewrite::<ApplicationEvent>(payload),
            "interview" => rewrite::<InterviewEvent>(payload),
            other => panic!("{origin}: unknown aggregate {other}"),
        };
        assert_eq!(rewritten, fixture.payload, "{origin}");
        assert_eq!(event_type, fixture.event_type, "{origin}");
        assert_eq!(version, fixture.version, "{origin}");
    }
}

#[test]
fn every_stored_event_type_has_a_fixture_of_its_current_version() {
    let fixtures = stored_fixtures();
    for stored in STORED_EVENT_TYPES {
        assert!(
            fixtures
                .iter()
                .any(|f| f.aggregate_type == stored.aggregate_type
                    && f.event_type == stored.event_type
                    && f.version == stored.current_version),
            "no fixture fixtures/stored/{}/{}.{}.json",
            stored.aggregate_type,
            stored.event_type,
            stored.current_version
        );
    }
    for f in &fixtures {
        assert!(
            current_stored_version(&f.aggregate_type, &f.event_type).is_some(),
            "{}: not a stored event type",
            f.path.display()
        );
    }
    // Every published event comes from a stored one, and every stored one is published.
    let mut published: Vec<(&str, &str)> = PublishedEvent::AGGREGATES
        .iter()
        .flat_map(|a| a.event_types.iter().map(|e| (a.aggregate_type, *e)))
        .collect();
    let mut stored: Vec<(&str, &str)> = STORED_EVENT_TYPES
        .iter()
        .map(|s| (s.aggregate_type, s.event_type))
        .collect();
    published.sort_unstable();
    stored.sort_unstable();
    assert_eq!(published, stored);
}

/// What each current stored fixture publishes, checked in so that a change of the published
/// form shows up in review; each published fixture must still decode. `HIRELEDGER_BLESS=1`
/// rewrites them.
#[test]
fn published_fixtures_are_current_and_decode() {
    let mut generated = Vec::new();
    for fixture in stored_fixtures() {
        if current_stored_version(&fixture.aggregate_type, &fixture.event_type)
            != Some(fixture.version.as_str())
        {
            continue;
        }
        let published = to_published(
            &fixture.aggregate_type,
            &fixture.event_type,
            &fixture.version,
            &fixture.payload,
        )
        .unwrap();
        let major = published_major(&fixture.aggregate_type, &fixture.event_type).unwrap();
        let relative = PathBuf::from(format!(
            "fixtures/published/{}/{}.v{major}.json",
            fixture.aggregate_type, fixture.event_type
        ));
        let mut payload = published.payload.clone();
        payload.sort_all_objects();
        check_or_bless(&relative, &format!("{payload:#}\n"));
        generated.push(relative);
    }
    // The fixtures of older majors are golden: never rewritten, never stale.
    let older: Vec<PathBuf> = files_under("fixtures/published")
        .into_iter()
        .filter(|path| {
            let (aggregate_type, event_type, major) = published_name(path);
            published_major(&aggregate_type, &event_type).is_some_and(|current| major < current)
        })
        .collect();
    generated.extend(older);
    check_no_stale("fixtures/published", &generated);

    for path in files_under("fixtures/published") {
        let (aggregate_type, event_type, major) = published_name(&path);
        let bytes = std::fs::read(crate_dir().join(&path)).unwrap();
        let ce_type_of_file = ce_type_of_major(&aggregate_type, &event_type, major);
        let decoded =
            decode(&ce_type_of_file, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Decoded into the current form, which a consumer of the current major receives.
        assert_eq!(decoded.ce_type(), ce_type(&aggregate_type, &event_type));
        let expected: Value = serde_json::from_slice(&bytes).unwrap();
        if Some(major) == published_major(&aggregate_type, &event_type) {
            assert_eq!(decoded.payload().unwrap(), expected, "{}", path.display());
        }
    }
}

/// `(aggregate type, event type, major)` of `fixtures/published/<aggregate>/<Event>.v<n>.json`.
fn published_name(path: &std::path::Path) -> (String, String, u32) {
    let aggregate_type = path.parent().and_then(|p| p.file_name()).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let (event_type, major) = name
        .strip_suffix(".json")
        .and_then(|n| n.rsplit_once(".v"))
        .unwrap_or_else(|| panic!("fixture name {name} is not <EventType>.v<major>.json"));
    (
        aggregate_type.to_string_lossy().into_owned(),
        event_type.to_owned(),
        major.parse().unwrap(),
    )
}
