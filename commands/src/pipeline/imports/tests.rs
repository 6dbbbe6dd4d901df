//! Unit tests of the CSV reading and of what a failed row means for the import.

use super::*;
use hireledger_domain::company::CompanyError;

fn record(fields: &[&str]) -> csv::StringRecord {
    csv::StringRecord::from(fields.to_vec())
}

#[test]
fn header_needs_name_and_email_in_any_case_and_order() {
    let cols = Columns::from_header(&record(&["\u{feff}EMAIL", "Tags", "Name"])).unwrap();
    assert_eq!((cols.name, cols.email, cols.tags), (2, 0, Some(1)));
    assert!(matches!(
        Columns::from_header(&record(&["name", "phone"])),
        Err(PipelineError::ImportFile("missing_column_email"))
    ));
}

#[test]
fn rows_are_read_with_defaults_and_lists() {
    let cols = Columns::from_header(&record(&[
        "name",
        "email",
        "experience_years",
        "tags",
        "source",
    ]))
    .unwrap();
    let row = parse_row(&cols, &record(&["Ada", "a@x.io", "", "rust; go|", ""]), 2).unwrap();
    assert_eq!(row.experience_years, 0);
    assert_eq!(row.tags, vec!["rust", "go"]);
    assert_eq!(row.source, CandidateSource::Import);
    let bad = parse_row(&cols, &record(&["Ada", "a@x.io", "200", "", ""]), 3).unwrap_err();
    assert_eq!(bad.column.as_deref(), Some("experience_years"));
    assert_eq!(bad.line, 3);
    let bad = parse_row(&cols, &record(&["Ada", "a@x.io", "1", "", "fax"]), 4).unwrap_err();
    assert_eq!(bad.column.as_deref(), Some("source"));
}

#[test]
fn files_are_inspected() {
    assert_eq!(inspect("name,email\nA,a@x.io\nB,b@x.io\n").unwrap(), 2);
    assert!(matches!(
        inspect("name,email\n"),
        Err(PipelineError::ImportFile("no_rows"))
    ));
    assert!(matches!(
        inspect("nom,courriel\nA,a@x.io\n"),
        Err(PipelineError::ImportFile("missing_column_name"))
    ));
}

#[test]
fn a_deleted_or_refused_row_is_a_row_outcome_and_only_the_store_stops_the_import() {
    let deleted = row_failure(CandidateError::Deleted.into(), 7);
    assert!(
        matches!(&deleted, RowFailure::Rejected(e) if e.code == "CAND_004" && e.line == 7),
        "{deleted:?}"
    );
    assert!(matches!(
        row_failure(CandidateError::AlreadyLinked.into(), 8),
        RowFailure::Rejected(ImportRowError { ref code, .. }) if code == "ROW_002"
    ));
    assert!(matches!(
        row_failure(CompanyError::NotActive.into(), 9),
        RowFailure::ImportFails("company_not_active")
    ));
    assert!(matches!(
        row_failure(PipelineError::Unavailable(anyhow::anyhow!("down")), 10),
        RowFailure::Retry(_)
    ));
}
