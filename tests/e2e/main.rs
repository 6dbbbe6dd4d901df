//! End-to-end tests against the real PostgreSQL and the real Kafka-protocol broker.
//! Each test gets a fresh database, a unique topic prefix and unique consumer groups.

mod support;
mod crash;
mod erasure;
mod relay;
mod projections;
