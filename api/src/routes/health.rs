//! Liveness and dependency checks. Unauthenticated; they reveal nothing but up or down.

use crate::error::ApiError;
use crate::routes::resource;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

const DB_TIMEOUT: Duration = Duration::from_secs(2);
const KAFKA_TIMEOUT: Duration = Duration::from_secs(3);

/// `{"status": "ok"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

fn ok() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "ok".to_owned(),
        })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health").route(web::get().to(health)))
        .service(resource("/health/db").route(web::get().to(health_db)))
        .service(resource("/health/kafka").route(web::get().to(health_kafka)));
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health() -> HttpResponse {
    ok()
}

/// PostgreSQL answers `SELECT 1` within 2 s.
#[utoipa::path(
    get, path = "/health/db", tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "Database unavailable (SYS_001)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn health_db(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let check = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool);
    match tokio::time::timeout(DB_TIMEOUT, check).await {
        Ok(Ok(_)) => Ok(ok()),
        Ok(Err(e)) => Err(ApiError::Unavailable(
            anyhow::Error::new(e).context("database check"),
        )),
        Err(_) => Err(ApiError::Unavailable(anyhow::anyhow!(
            "database check timed out"
        ))),
    }
}

fn broker_metadata(brokers: &str) -> anyhow::Result<usize> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("socket.timeout.ms", "3000")
        .create()?;
    let metadata = producer.client().fetch_metadata(None, KAFKA_TIMEOUT)?;
    anyhow::ensure!(
        !metadata.brokers().is_empty(),
        "the cluster reports no brokers"
    );
    Ok(metadata.brokers().len())
}

/// The Kafka cluster returns its metadata within 3 s.
#[utoipa::path(
    get, path = "/health/kafka", tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "Broker unavailable (SYS_001)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn health_kafka(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let brokers = state.kafka_brokers.clone();
    match tokio::task::spawn_blocking(move || broker_metadata(&brokers)).await {
        Ok(Ok(_)) => Ok(ok()),
        Ok(Err(e)) => Err(ApiError::Unavailable(e.context("broker metadata"))),
        Err(e) => Err(ApiError::Internal(
            anyhow::Error::new(e).context("broker check task"),
        )),
    }
}
