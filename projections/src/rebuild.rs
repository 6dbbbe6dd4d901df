//! Rebuilding one read model from offset 0 while the API keeps serving the old one.
//!
//! 1. **Shadow tables.** The projector's tables are created empty in a schema of their own,
//!    `rebuild_<name>` (`CREATE TABLE … (LIKE public.…)`, with the same keys, indexes and
//!    triggers under the same names), beside an empty `projection_offsets`.
//! 2. **Replay.** The projector runs from offset 0 on a pool whose `search_path` puts that schema
//!    first, so every statement it makes lands in the shadow tables; the events, the vault and the
//!    live read model stay where they are. It runs under the name `<name>@rebuild`, so its
//!    partition leases never meet the live instances'.
//! 3. **Switch.** Once it has caught up with the topics, one transaction locks
//!    `public.projection_offsets` (the live projectors pause at their next batch), waits until the
//!    rebuild is at or past every live offset, stops it, moves the live tables out
//!    (`retired_<name>`) and the shadow tables into `public`, and hands the rebuild's offsets to the
//!    live projector. Readers see the old tables until the commit and the new ones after it; the
//!    live projectors resume on the new tables, skipping what the rebuild already applied.
//! 4. The retired tables are dropped.

use crate::runner::Projector;
use crate::{Envelope, IdentityProjector, PipelineProjector, identity_topics, pipeline_topics};
use anyhow::{Context as _, bail};
use hireledger_infra::vault::Vault;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The read-model tables of each projector (what a rebuild replaces). A new table of a projector
/// must be listed here.
pub const IDENTITY_TABLES: &[&str] = &["rm_companies", "rm_users"];
/// See [`IDENTITY_TABLES`].
pub const PIPELINE_TABLES: &[&str] = &[
    "rm_jobs",
    "rm_job_questions",
    "rm_candidates",
    "rm_deleted_candidates",
    "rm_applications",
    "rm_application_transitions",
    "rm_interviews",
    "rm_interview_feedback",
    "rm_pipeline_versions",
    "rm_list_counts",
];

/// How long the switch waits for the rebuild to pass the (paused) live projectors.
const SWITCH_WAIT: Duration = Duration::from_secs(30);

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    pub projector: String,
    /// Messages replayed before the switch (every partition from offset 0).
    pub messages: i64,
    /// From the start of the replay until it had caught up with the topics.
    pub replay: Duration,
    /// How long the live projectors were paused by the switch.
    pub switch_pause: Duration,
}

impl RebuildReport {
    pub fn messages_per_second(&self) -> f64 {
        self.messages as f64 / self.replay.as_secs_f64().max(1e-9)
    }
}

/// A projector under another name: the rebuild's offsets and leases never meet the live ones.
struct Renamed {
    inner: Arc<dyn Projector>,
    name: String,
}

#[async_trait::async_trait]
impl Projector for Renamed {
    fn name(&self) -> &str {
        &self.name
    }
    async fn applied_version(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        event: &Envelope,
    ) -> anyhow::Result<i64> {
        self.inner.applied_version(tx, event).await
    }
    async fn apply(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        event: &Envelope,
    ) -> anyhow::Result<()> {
        self.inner.apply(tx, event).await
    }
}

/// Progress callback: messages applied so far, messages to catch up with (at the start).
pub type Progress<'a> = &'a mut (dyn FnMut(i64, i64) + Send);

/// Rebuilds projector `name` (`identity` or `pipeline`) from offset 0 and switches the API over
/// to the result (see the module docs).
pub async fn rebuild(
    pool: &PgPool,
    common: &hireledger_infra::CommonSettings,
    name: &str,
    progress: Progress<'_>,
) -> anyhow::Result<RebuildReport> {
    let vault = Vault::new(pool.clone(), &common.master_key).context("opening the vault")?;
    let (tables, topics, projector): (&[&str], Vec<String>, Arc<dyn Projector>) = match name {
        crate::IDENTITY_PROJECTOR => (
            IDENTITY_TABLES,
            identity_topics(&common.topic_prefix),
            Arc::new(IdentityProjector::new(vault)),
        ),
        crate::PIPELINE_PROJECTOR => (
            PIPELINE_TABLES,
            pipeline_topics(&common.topic_prefix),
            Arc::new(PipelineProjector::new(vault)),
        ),
        other => bail!("no projector named {other:?} (identity or pipeline)"),
    };
    hireledger_infra::kafka::ensure_topics(&common.kafka_brokers, &topics, common.topic_partitions)
        .await?;
    let schema = format!("rebuild_{name}");
    let rebuild_name = format!("{name}@rebuild");
    create_shadow(pool, &schema, tables).await?;

    let shadow_pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(
            pool.connect_options()
                .as_ref()
                .clone()
                .options([("search_path", format!("{schema},public"))])
                .application_name(&format!(
                    "{}-rebuild",
                    hireledger_infra::relay::READ_SIDE_APPLICATION
                )),
        )
        .await
        .context("connecting to the shadow schema")?;
    let target = high_watermarks(&common.kafka_brokers, &topics).await?;
    let target_total: i64 = target.values().sum();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let renamed: Arc<dyn Projector> = Arc::new(Renamed {
            inner: projector,
            name: rebuild_name.clone(),
        });
        let (shadow_pool, brokers, topics) = (
            shadow_pool.clone(),
            common.kafka_brokers.clone(),
            topics.clone(),
        );
        let group = format!("hireledger-{rebuild_name}");
        tokio::spawn(async move {
            crate::run_projector(shadow_pool, &brokers, &group, topics, renamed, async {
                let _ = stopped.await;
            })
            .await
        })
    };

    let started = Instant::now();
    let offsets_sql = format!(
        "SELECT topic, partition, next_offset FROM {schema}.projection_offsets WHERE projector = $1"
    );
    let applied = |pool: PgPool| {
        let (sql, rebuild_name) = (offsets_sql.clone(), rebuild_name.clone());
        async move {
            let rows: Vec<(String, i32, i64)> = sqlx::query_as(&sql)
                .bind(&rebuild_name)
                .fetch_all(&pool)
                .await?;
            Ok::<_, sqlx::Error>(
                rows.into_iter()
                    .map(|(t, p, o)| ((t, p), o))
                    .collect::<HashMap<_, _>>(),
            )
        }
    };
    // Replay until every partition reached the end it had when the rebuild started.
    loop {
        if runner.is_finished() {
            let result = runner.await.context("rebuild task")?;
            result.context("the rebuild projector stopped")?;
            bail!("the rebuild projector stopped");
        }
        let now = applied(pool.clone()).await?;
        progress(now.values().sum(), target_total);
        if target
            .iter()
            .all(|(k, end)| now.get(k).copied().unwrap_or(0) >= *end)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let replay = started.elapsed();
    let messages = applied(pool.clone()).await?.values().sum();
    // Statistics before the tables go live, so the first reads get the plans the old ones had.
    for t in tables {
        sqlx::query(&format!("ANALYZE {schema}.{t}"))
            .execute(pool)
            .await?;
    }

    let switch_started = Instant::now();
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '10s'")
        .execute(&mut *tx)
        .await?;
    // The live projectors block at their next offset write; what they committed is final.
    sqlx::query("LOCK TABLE public.projection_offsets IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .context("pausing the live projectors")?;
    let live: HashMap<(String, i32), i64> = sqlx::query_as::<_, (String, i32, i64)>(
        "SELECT topic, partition, next_offset FROM public.projection_offsets WHERE projector = $1",
    )
    .bind(name)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(t, p, o)| ((t, p), o))
    .collect();
    let deadline = Instant::now() + SWITCH_WAIT;
    loop {
        let now = applied(pool.clone()).await?;
        if live
            .iter()
            .all(|(k, o)| now.get(k).copied().unwrap_or(0) >= *o)
        {
            break;
        }
        if Instant::now() > deadline || runner.is_finished() {
            bail!("the rebuild did not reach the live offsets; nothing was switched");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    runner
        .await
        .context("rebuild task")?
        .context("the rebuild projector failed")?;
    shadow_pool.close().await;
    // Every live table at once (readers drain first; new ones wait the few milliseconds of the
    // swap), rather than one by one with readers queueing behind each.
    let live_tables: Vec<String> = tables.iter().map(|t| format!("public.{t}")).collect();
    sqlx::query(&format!(
        "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
        live_tables.join(", ")
    ))
    .execute(&mut *tx)
    .await
    .context("locking the live read model for the switch")?;
    let retired = format!("retired_{name}");
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {retired} CASCADE"))
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA {retired}"))
        .execute(&mut *tx)
        .await?;
    for t in tables {
        sqlx::query(&format!("ALTER TABLE public.{t} SET SCHEMA {retired}"))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("retiring {t}"))?;
        sqlx::query(&format!("ALTER TABLE {schema}.{t} SET SCHEMA public"))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("switching to the rebuilt {t}"))?;
    }
    sqlx::query("DELETE FROM public.projection_offsets WHERE projector = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO public.projection_offsets (projector, topic, partition, next_offset)
         SELECT $1, topic, partition, next_offset FROM {schema}.projection_offsets
         WHERE projector = $2"
    ))
    .bind(name)
    .bind(&rebuild_name)
    .execute(&mut *tx)
    .await?;
    tx.commit()
        .await
        .context("switching to the rebuilt tables")?;
    let switch_pause = switch_started.elapsed();
    sqlx::query(&format!("DROP SCHEMA {retired} CASCADE"))
        .execute(pool)
        .await?;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(pool)
        .await?;
    Ok(RebuildReport {
        projector: name.to_owned(),
        messages,
        replay,
        switch_pause,
    })
}

/// Empty copies of `tables` (columns, defaults, constraints, indexes and triggers) and of
/// `projection_offsets` in `schema`, replacing what an interrupted rebuild left there.
async fn create_shadow(pool: &PgPool, schema: &str, tables: &[&str]) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut *tx)
        .await?;
    for t in tables.iter().chain(&["projection_offsets"]) {
        sqlx::query(&format!(
            "CREATE TABLE {schema}.{t} (LIKE public.{t} INCLUDING DEFAULTS INCLUDING GENERATED \
             INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE)"
        ))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("creating the shadow of {t}"))?;
        // Keys and indexes under their own names, so that after the switch the table is exactly
        // what the migrations made (a later migration may name them).
        let keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = ('public.' || $1)::regclass AND contype IN ('p', 'u', 'x')",
        )
        .bind(t)
        .fetch_all(&mut *tx)
        .await?;
        for (key, def) in keys {
            sqlx::query(&format!(
                "ALTER TABLE {schema}.{t} ADD CONSTRAINT {key} {def}"
            ))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("copying key {key} of {t}"))?;
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
             WHERE i.indrelid = ('public.' || $1)::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        )
        .bind(t)
        .fetch_all(&mut *tx)
        .await?;
        for def in indexes {
            let def = def.replace(&format!(" ON public.{t} "), &format!(" ON {schema}.{t} "));
            sqlx::query(&def)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("copying an index of {t}"))?;
        }
        let triggers: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
             WHERE t.tgrelid = ('public.' || $1)::regclass AND NOT t.tgisinternal",
        )
        .bind(t)
        .fetch_all(&mut *tx)
        .await?;
        for def in triggers {
            let def = def.replace(&format!(" ON public.{t} "), &format!(" ON {schema}.{t} "));
            sqlx::query(&def)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("copying a trigger of {t}"))?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The end offset of every partition of `topics` now.
async fn high_watermarks(
    brokers: &str,
    topics: &[String],
) -> anyhow::Result<HashMap<(String, i32), i64>> {
    let consumer: BaseConsumer =
        hireledger_infra::kafka::consumer_config(brokers, "hireledger-rebuild-watermarks")
            .create()
            .context("creating a metadata consumer")?;
    let topics = topics.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut out = HashMap::new();
        for topic in &topics {
            let metadata = consumer
                .fetch_metadata(Some(topic), Duration::from_secs(10))
                .with_context(|| format!("metadata of {topic}"))?;
            for t in metadata.topics() {
                for p in t.partitions() {
                    let (_, high) = consumer
                        .fetch_watermarks(topic, p.id(), Duration::from_secs(10))
                        .with_context(|| format!("watermarks of {topic}/{}", p.id()))?;
                    out.insert((topic.clone(), p.id()), high);
                }
            }
        }
        Ok(out)
    })
    .await
    .context("watermark task")?
}
