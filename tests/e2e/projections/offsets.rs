//! Issue 7, "Also": offsets never go back silently.

use super::harness::Harness;
use chrono::Utc;
use uuid::Uuid;

/// Issue 7, "Also": a partition whose log ends below the stored offset (topic recreated, broker
/// reset) halts the projector loudly; it used to skip every new message as already applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offset_below_the_stored_one_halts_the_projector() {
    let h = Harness::new(1).await;
    let running = h.start();
    let company = Uuid::new_v4();
    let (partition, offset) = h
        .register_company(company, Uuid::new_v4(), "Rewound", Utc::now())
        .await;
    h.wait_offset(&h.topic("company"), (partition, offset))
        .await;
    running.stop().await;
    // The broker lost its log (or the topic was recreated): the stored offset is now beyond it.
    sqlx::query("UPDATE projection_offsets SET next_offset = next_offset + 1000 WHERE topic = $1")
        .bind(h.topic("company"))
        .execute(h.pool())
        .await
        .unwrap();
    let err = h
        .start()
        .outcome()
        .await
        .expect_err("the projector must halt");
    assert!(
        format!("{err:#}").contains("below the stored next offset"),
        "{err:#}"
    );
}
