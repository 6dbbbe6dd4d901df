//! Search terms (names, e-mail addresses) never reach logs: the list queries' spans leave their
//! filters out.

use super::*;
use sqlx::postgres::PgPoolOptions;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing_subscriber::fmt::format::FmtSpan;

const TERM: &str = "ada.lovelace@secret.example";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn list_spans_do_not_record_search_terms() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Nothing listens there: each query fails fast, after its span was opened and closed.
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(200))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap();
    let candidates = CandidateFilter {
        q: Some(TERM.to_owned()),
        ..CandidateFilter::default()
    };
    let _ = list_candidates(&pool, &candidates, CandidateSort::default(), 1, 20).await;
    let applications = ApplicationFilter {
        q: Some(TERM.to_owned()),
        ..ApplicationFilter::default()
    };
    let _ = list_applications(&pool, &applications, ApplicationSort::default(), 1, 20).await;
    let _ = public_jobs(&pool, uuid::Uuid::now_v7(), Some(TERM), 1, 20).await;
    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("list_candidates"),
        "nothing captured: {logged}"
    );
    assert!(logged.contains("public_jobs"), "nothing captured: {logged}");
    assert!(
        !logged.contains(TERM),
        "a search term reached the log: {logged}"
    );
}
