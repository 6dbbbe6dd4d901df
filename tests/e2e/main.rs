//! End-to-end tests against the real PostgreSQL and the real Kafka-protocol broker.
//! Each test gets a fresh database, a unique topic prefix and unique consumer groups.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod crash;
mod erasure;
mod erasure_jobs;
mod failover;
mod faults;
mod groups;
mod imports;
mod list_plans;
mod pipeline;
mod private_kafka;
mod projections;
mod relay;
mod startup;
mod support;
