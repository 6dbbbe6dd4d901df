//! Command side: cqrs-es wiring on the Postgres event store, and the services that prepare
//! commands (sealing personal data, hashing passwords, claiming e-mails) and run processes that
//! span aggregates (company approval creates its first HR user).

pub mod bus;
pub mod erasure;
pub mod idempotency;
pub mod identity;
pub mod passwords;
pub mod pipeline;
pub mod purge;
pub mod sessions;

pub use bus::{CommandError, CommandMetadata, Committed, EventStore};
