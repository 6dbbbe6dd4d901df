//! Executes commands against the Postgres event store and reports the new aggregate version.

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, EventStore as _};
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

/// Who/why of a command, stored with each of its events (the `metadata` column).
#[derive(Debug, Clone, Default)]
pub struct CommandMetadata {
    pub actor_id: Option<Uuid>,
    pub tenant_id: Option<Uuid>,
    pub request_id: String,
    pub correlation_id: String,
    pub causation_id: String,
    /// The idempotent HTTP attempt that issued the command, if any (see
    /// [`crate::idempotency`]): recorded so a retry never re-runs a committed command.
    pub idempotency_attempt: Option<Uuid>,
}

impl CommandMetadata {
    /// Metadata for a command issued by the platform itself (CLI, process managers).
    pub fn system(reason: &str) -> Self {
        let id = Uuid::now_v7().to_string();
        Self {
            actor_id: None,
            tenant_id: None,
            request_id: id.clone(),
            correlation_id: id,
            causation_id: reason.to_owned(),
            idempotency_attempt: None,
        }
    }

    /// The same request, for a follow-up command caused by `cause` (e.g. an aggregate id).
    pub fn caused_by(&self, cause: &str) -> Self {
        Self {
            causation_id: cause.to_owned(),
            ..self.clone()
        }
    }

    pub fn with_tenant(mut self, tenant: Option<Uuid>) -> Self {
        self.tenant_id = tenant;
        self
    }

    fn to_map(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        if let Some(a) = self.actor_id {
            m.insert("actor_id".into(), a.to_string());
        }
        if let Some(t) = self.tenant_id {
            m.insert("tenant_id".into(), t.to_string());
        }
        m.insert("request_id".into(), self.request_id.clone());
        m.insert("correlation_id".into(), self.correlation_id.clone());
        m.insert("causation_id".into(), self.causation_id.clone());
        if let Some(a) = self.idempotency_attempt {
            m.insert("idempotency_attempt".into(), a.to_string());
        }
        m
    }
}

/// A command that was accepted: its events are durable in Postgres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Committed {
    /// Sequence of the aggregate's last event: the version reads can wait for.
    pub version: u64,
    pub events: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// A business rule refused the command; no event was written.
    #[error(transparent)]
    Rejected(E),
    /// Another command changed the aggregate concurrently (optimistic concurrency).
    #[error("concurrent modification")]
    Conflict,
    /// The event store could not be reached.
    #[error("event store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("event store failure")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl<E: std::error::Error> From<AggregateError<E>> for CommandError<E> {
    fn from(e: AggregateError<E>) -> Self {
        match e {
            AggregateError::UserError(e) => Self::Rejected(e),
            AggregateError::AggregateConflict => Self::Conflict,
            AggregateError::DatabaseConnectionError(e) => Self::Unavailable(e),
            AggregateError::DeserializationError(e) | AggregateError::UnexpectedError(e) => {
                Self::Internal(e)
            }
        }
    }
}

/// The event store of one aggregate type.
pub struct EventStore<A: Aggregate> {
    store: PersistedEventStore<PostgresEventRepository, A>,
}

impl<A> EventStore<A>
where
    A: Aggregate<Services = ()>,
{
    pub fn new(pool: PgPool) -> Self {
        let repo = PostgresEventRepository::new(pool);
        let store = PersistedEventStore::new_event_store(repo)
            .with_upcasters(hireledger_schemas::stored_upcasters());
        Self { store }
    }

    /// The aggregate's current state and version (0 when it has no events).
    #[tracing::instrument(skip(self), fields(aggregate = A::TYPE))]
    pub async fn load(&self, id: &str) -> Result<(A, u64), CommandError<A::Error>> {
        let ctx = self.store.load_aggregate(id).await?;
        Ok((ctx.aggregate, ctx.current_sequence as u64))
    }

    /// Every event of the aggregate, oldest first (upcast to the current versions).
    #[tracing::instrument(skip(self), fields(aggregate = A::TYPE))]
    pub async fn events(&self, id: &str) -> Result<Vec<A::Event>, CommandError<A::Error>> {
        let envelopes = self.store.load_events(id).await?;
        Ok(envelopes.into_iter().map(|e| e.payload).collect())
    }

    /// Handles `command` on the aggregate and commits its events atomically; a concurrent
    /// writer makes this fail with [`CommandError::Conflict`] and write nothing.
    #[tracing::instrument(skip(self, command, metadata), fields(aggregate = A::TYPE))]
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: &CommandMetadata,
    ) -> Result<Committed, CommandError<A::Error>> {
        let mut ctx = self.store.load_aggregate(id).await?;
        let sink = cqrs_es::event_sink::EventSink::default();
        ctx.aggregate
            .handle(command, &(), &sink)
            .await
            .map_err(CommandError::Rejected)?;
        let events = sink.collect().await;
        let base = ctx.current_sequence as u64;
        let committed = self.store.commit(events, ctx, metadata.to_map()).await?;
        Ok(Committed {
            version: committed.last().map_or(base, |e| e.sequence as u64),
            events: committed.len(),
        })
    }
    /// The events `command` makes on an aggregate that has no events yet, decided in memory; nothing
    /// is stored (see [`EventStore::append_new_in`]).
    pub async fn decide_new(&self, command: A::Command) -> Result<Vec<A::Event>, A::Error> {
        let sink = cqrs_es::event_sink::EventSink::default();
        A::default().handle(command, &(), &sink).await?;
        Ok(sink.collect().await)
    }

    /// Appends the first events of several new aggregates (sequences 1, 2, … of each) in one
    /// statement of the caller's transaction, each with `metadata`, as [`EventStore::execute`]
    /// would store them. Optimistic concurrency holds as for one command: an aggregate that got
    /// an event meanwhile makes the statement fail with [`CommandError::Conflict`], and the
    /// caller's transaction writes nothing.
    #[tracing::instrument(skip_all, fields(aggregate = A::TYPE, aggregates = batch.len()))]
    pub async fn append_new_in(
        &self,
        conn: &mut sqlx::PgConnection,
        batch: &[(String, Vec<A::Event>)],
        metadata: &CommandMetadata,
    ) -> Result<(), CommandError<A::Error>> {
        use cqrs_es::DomainEvent as _;
        let internal = |e: serde_json::Error| CommandError::Internal(Box::new(e));
        let metadata = serde_json::to_string(&metadata.to_map()).map_err(internal)?;
        let n = batch.iter().map(|(_, events)| events.len()).sum();
        let (mut ids, mut sequences, mut types, mut versions, mut payloads) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (id, events) in batch {
            for (i, event) in events.iter().enumerate() {
                ids.push(id.as_str());
                sequences.push(i64::try_from(i + 1).unwrap_or(i64::MAX));
                types.push(event.event_type());
                versions.push(event.event_version());
                let payload = serde_json::to_value(event).map_err(internal)?;
                payloads.push(payload.to_string());
            }
        }
        let result = sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                 event_version, payload, metadata)
             SELECT $1, t.id, t.seq, t.ty, t.ver, t.payload::json, $7::json
             FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[])
                 WITH ORDINALITY AS t(id, seq, ty, ver, payload, ord)
             ORDER BY t.ord",
        )
        .bind(A::TYPE)
        .bind(&ids)
        .bind(&sequences)
        .bind(&types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadata)
        .execute(conn)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(CommandError::Conflict)
            }
            Err(e @ (sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)) => {
                Err(CommandError::Unavailable(Box::new(e)))
            }
            Err(e) => Err(CommandError::Internal(Box::new(e))),
        }
    }
}
