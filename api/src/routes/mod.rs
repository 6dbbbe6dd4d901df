//! HTTP handlers, one module per resource. Handlers are thin: parse → authorize → command or
//! query → map.

pub mod applications;
pub mod auth;
pub mod candidates;
pub mod companies;
pub mod dto;
pub mod health;
pub mod interviews;
pub mod jobs;
pub mod portals;
pub mod public;
pub mod users;
pub mod verification;

use actix_web::web;

/// Registers every route of the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    auth::configure(cfg);
    companies::configure(cfg);
    users::configure(cfg);
    verification::configure(cfg);
    jobs::configure(cfg);
    candidates::configure(cfg);
    applications::configure(cfg);
    interviews::configure(cfg);
    portals::configure(cfg);
    public::configure(cfg);
}

/// The OpenAPI documents of the pipeline resources, merged into the API's document.
pub fn pipeline_docs() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi as _;
    vec![
        jobs::JobsDoc::openapi(),
        candidates::CandidatesDoc::openapi(),
        applications::ApplicationsDoc::openapi(),
        interviews::InterviewsDoc::openapi(),
        portals::PortalsDoc::openapi(),
        public::PublicDoc::openapi(),
    ]
}

/// A resource whose unsupported methods answer `405` with the API's error body (`REQ_005`).
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::MethodNotAllowed)
}
