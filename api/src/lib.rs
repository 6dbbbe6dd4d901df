//! HireLedger's HTTP API (actix-web): authentication, companies and users, health, OpenAPI.
//!
//! [`serve`] runs it; the `hireledger` binary and the end-to-end tests call it with their own
//! listener (tests bind port 0). Every failure answers [`ApiError`]'s `{detail, code, timestamp}`.

pub mod auth;
pub mod error;
pub mod headers;
pub mod idempotency;
pub mod openapi;
pub mod request;
pub mod routes;
pub mod server;
pub mod settings;
pub mod state;

pub use error::{ApiError, ErrorBody};
pub use openapi::ApiDoc;
pub use server::serve;
pub use settings::ApiSettings;
pub use state::AppState;
