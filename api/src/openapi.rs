//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` and the DTOs'
//! `ToSchema`. Served at `/api/v1/openapi.json` (Swagger UI at `/docs`) and snapshotted in
//! `api/openapi.json` (`HIRELEDGER_BLESS=1 cargo test -p hireledger-api` rewrites it).

use crate::error::ApiError;
use crate::routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HireLedger API",
        description = "Event-sourced hiring backend. Errors answer `{detail, code, timestamp}` with a stable `code`.\n\nCommands accept `Idempotency-Key`, answer the new aggregate `version` (also `X-Aggregate-Version`) and echo `X-Request-Id`/`X-Correlation-Id`. Reads accept `min_version` (or `X-Min-Version`) for read-your-writes: they wait (2 s by default) for the read model to reach that version and answer `X-Read-Consistency: consistent`; when the wait ends first they answer 503 `READ_001` with `Retry-After` and `X-Read-Consistency: stale` (not yet), never a 404 (not found)."
    ),
    paths(
        routes::health::health,
        routes::health::health_db,
        routes::health::health_kafka,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::change_password,
        routes::verification::verify,
        routes::verification::resend,
        routes::companies::register,
        routes::companies::list_requests,
        routes::companies::get_company_admin,
        routes::companies::approve,
        routes::companies::reject,
        routes::companies::deactivate,
        routes::companies::reactivate,
        routes::companies::own_company,
        routes::companies::patch_company,
        routes::users::list,
        routes::users::create,
        routes::users::get,
        routes::users::patch,
        routes::users::deactivate,
        routes::users::reactivate,
        routes::users::erase,
    ),
    components(schemas(ApiError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in, sessions and own password"),
        (name = "companies", description = "Company registration and the caller's company"),
        (name = "admin", description = "Platform administration (SYSTEM_ADMIN)"),
        (name = "users", description = "User accounts"),
        (name = "jobs", description = "Jobs (templates) and their interview questions"),
        (name = "candidates", description = "Candidates of a company, CSV imports"),
        (name = "applications", description = "Applications and the hiring pipeline"),
        (name = "interviews", description = "Interview scheduling, access tokens and feedback"),
        (name = "portals", description = "HR dashboard, employee and candidate portals"),
        (name = "public", description = "Public careers pages: open jobs, applying, interview access"),
        (name = "health", description = "Liveness and dependency checks"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` (JWT) security scheme the handlers refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The whole document: [`ApiDoc`] with the pipeline resources' documents merged in (each
/// resource module declares its own paths).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in routes::pipeline_docs() {
        doc.merge(part);
    }
    doc
}

/// The document as pretty JSON with a trailing newline (the snapshot's form).
pub fn document_json() -> Result<String, serde_json::Error> {
    document().to_pretty_json().map(|mut s| {
        s.push('\n');
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_matches_committed_document() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let generated = document_json().unwrap();
        if std::env::var("HIRELEDGER_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "api/openapi.json is out of date; review the change and run \
             `HIRELEDGER_BLESS=1 cargo test -p hireledger-api openapi` to update it"
        );
    }

    #[test]
    fn document_is_openapi_31_with_bearer_scheme() {
        let doc: serde_json::Value = serde_json::from_str(&document_json().unwrap()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["components"]["schemas"]["ApiError"].is_object());
        assert!(doc["paths"]["/api/v1/users/{id}/erase"]["post"].is_object());
    }
}
