//! Projections: Kafka consumers that build the Postgres read models, and the queries over them.
//!
//! - [`run_projector`]: the generic runner (offsets in Postgres in the same transaction as the
//!   read-model change, exactly-once effect per event, any number of instances per projector
//!   sharing the partitions through leases in Postgres, poison messages halt; see [`runner`]).
//! - [`IdentityProjector`]: `rm_companies` and `rm_users` from `<prefix>.company` and
//!   `<prefix>.user` ([`identity_topics`]).
//! - [`run_identity`]: the identity projector wired from [`hireledger_infra::CommonSettings`].
//! - [`PipelineProjector`]: the hiring pipeline's read models (jobs, candidates, applications,
//!   interviews) from `<prefix>.job`, `.candidate`, `.application`, `.interview`
//!   ([`pipeline_topics`]); [`run_pipeline`] wires it like [`run_identity`].
//! - [`views`]: the pipeline's list, detail and dashboard queries.
//! - [`rebuild`]: a read model rebuilt from offset 0 into fresh tables, then switched to.
//! - [`queries`]: what the API reads (views, paged lists, [`queries::wait_for_version`]).

pub mod envelope;
pub mod identity;
pub mod pipeline;
pub mod queries;
pub mod rebuild;
pub mod runner;
pub mod views;

pub use envelope::{Envelope, EnvelopeError};
pub use identity::{IDENTITY_PROJECTOR, IdentityProjector, identity_topics, run_identity};
pub use pipeline::{PIPELINE_PROJECTOR, PipelineProjector, pipeline_topics, run_pipeline};
pub use queries::{CompanyView, Page, QueryError, UserView, ViewKind};
pub use runner::{Projector, run_projector};

/// Aggregate types whose topics the projectors consume (the relay creates their topics at start).
pub fn aggregate_types() -> Vec<String> {
    let mut types = vec![
        hireledger_schemas::CompanyEventV1::AGGREGATE_TYPE.to_owned(),
        hireledger_schemas::UserEventV1::AGGREGATE_TYPE.to_owned(),
    ];
    types.extend(
        pipeline::PIPELINE_AGGREGATES
            .iter()
            .map(|t| (*t).to_owned()),
    );
    types
}
