//! The HTTP server: app assembly (extractor configs, middleware, routes, docs) and [`serve`].

use crate::error::ApiError;
use crate::headers::security_headers;
use crate::idempotency::{IDEMPOTENCY_RETENTION, MAX_BODY_BYTES, idempotency};
use crate::openapi::OPENAPI_PATH;
use crate::request::request_ids;
use crate::routes;
use crate::settings::ApiSettings;
use crate::state::AppState;
use actix_web::dev::Server;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use hireledger_commands::purge;
use hireledger_infra::CommonSettings;
use sqlx::PgPool;
use std::future::Future;
use std::time::Duration;
use utoipa_swagger_ui::SwaggerUi;

/// How often idle rate-limit buckets are dropped.
const LIMITER_SWEEP: Duration = Duration::from_secs(60);
/// Longest wait for in-flight requests at shutdown.
const SHUTDOWN_GRACE_SECS: u64 = 10;

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => {
            ApiError::Malformed("expected Content-Type: application/json".to_owned())
        }
        JsonPayloadError::Deserialize(e) => ApiError::Malformed(format!("invalid JSON body: {e}")),
        _ => ApiError::Malformed("the request body could not be read".to_owned()),
    }
}

fn query_error(err: QueryPayloadError) -> ApiError {
    match err {
        QueryPayloadError::Deserialize(e) => {
            ApiError::Malformed(format!("invalid query string: {e}"))
        }
        _ => ApiError::Malformed("invalid query string".to_owned()),
    }
}

fn path_error(err: PathError) -> ApiError {
    match err {
        PathError::Deserialize(e) => ApiError::Malformed(format!("invalid path parameter: {e}")),
        _ => ApiError::Malformed("invalid path parameter".to_owned()),
    }
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// Registers everything the API serves on `cfg`, with `state` as the shared application data.
pub fn configure_app(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    cfg.app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|e, _| json_error(e).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
        .app_data(web::PathConfig::default().error_handler(|e, _| path_error(e).into()))
        .configure(routes::configure)
        .service(web::resource("/docs").route(web::get().to(docs_redirect)))
        .service(SwaggerUi::new("/docs/{_:.*}").url(OPENAPI_PATH, crate::openapi::document()));
}

/// Builds the server (synchronously: the builder is not `Send`, so it must not live in `serve`'s
/// future).
fn http_server(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    let mut server = HttpServer::new(move || {
        let state = state.clone();
        App::new()
            .wrap(from_fn(idempotency))
            .wrap(from_fn(request_ids))
            .wrap(from_fn(security_headers))
            .configure(|cfg| configure_app(cfg, state))
            .default_service(web::to(not_found))
    })
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE_SECS);
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}

/// How often each instance purges idempotency rows older than [`IDEMPOTENCY_RETENTION`].
const IDEMPOTENCY_PURGE: Duration = Duration::from_secs(3600);
/// How often each instance looks for candidate imports to work on.
const IMPORT_POLL: Duration = Duration::from_secs(5);

/// Serves the API on `listener` until `shutdown` completes, then drains in-flight requests.
///
/// The caller owns the pool, the relay and the projectors; this runs only the HTTP side.
pub async fn serve(
    pool: PgPool,
    common: CommonSettings,
    settings: ApiSettings,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener
        .local_addr()
        .context("reading the listener's address")?;
    // The address actually bound decides, not the setting: a development secret never serves
    // beyond loopback outside development mode.
    settings.refuse_insecure_defaults(addr, common.master_key_is_dev_default())?;
    if settings.jwt_secret_is_dev_default() || common.master_key_is_dev_default() {
        tracing::warn!(
            "a development secret is in effect (loopback or development mode only); set \
             HIRELEDGER_JWT_SECRET and HIRELEDGER_MASTER_KEY in production"
        );
    }
    let state = web::Data::new(AppState::new(pool, &common, &settings)?);
    let limiter = state.limiter.clone();
    let pipeline = state.pipeline.clone();
    let purge_pool = state.pool.clone();
    let idempotency_store = state.idempotency.clone();
    let erasures = hireledger_commands::erasure::Erasures::new(state.pool.clone());
    let followups = state.pipeline.clone();
    let server = http_server(state, listener, settings.http_workers)
        .with_context(|| format!("listening on {addr}"))?;
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.await;
        handle.stop(true).await;
    });
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(LIMITER_SWEEP);
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    // CSV imports: uploads start one at once; this picks up any left pending or whose worker
    // (in this or another instance) died, once its lease expired.
    let importer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(IMPORT_POLL);
        loop {
            tick.tick().await;
            if let Err(e) = pipeline.run_pending_imports().await {
                tracing::warn!(error = %e, "candidate import failed; it will be retried");
            }
        }
    });
    // Expired refresh tokens, e-mail verifications and interview tokens.
    let token_purger = tokio::spawn(async move {
        let mut tick = tokio::time::interval(purge::PURGE_EVERY);
        loop {
            tick.tick().await;
            match purge::purge_expired(&purge_pool).await {
                Ok(purged) => tracing::debug!(?purged, "purged expired tokens"),
                Err(e) => {
                    tracing::warn!(error = %e, "purging expired tokens failed; retried later")
                }
            }
        }
    });
    // Idempotency rows hold answers (some with one-time secrets): none outlives the retention.
    let purger = tokio::spawn(async move {
        let mut tick = tokio::time::interval(IDEMPOTENCY_PURGE);
        loop {
            tick.tick().await;
            match idempotency_store
                .purge_older_than(IDEMPOTENCY_RETENTION)
                .await
            {
                Ok(n) if n > 0 => tracing::info!(rows = n, "purged old idempotency keys"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
            }
        }
    });
    // Jobs a crash left unfinished, finished within one poll: erasures (the deletion event
    // committed, the key not yet destroyed) and interview follow-ups (the interview committed,
    // its application not yet moved).
    let eraser = tokio::spawn(async move {
        let mut tick = tokio::time::interval(IMPORT_POLL);
        loop {
            tick.tick().await;
            match erasures.finish_pending().await {
                Ok(n) if n > 0 => tracing::info!(jobs = n, "finished pending erasures"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "finishing erasures failed; will retry"),
            }
            match followups.finish_pending_followups().await {
                Ok(n) if n > 0 => tracing::info!(jobs = n, "finished interview follow-ups"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "interview follow-ups failed; will retry"),
            }
        }
    });
    tracing::info!(%addr, "HTTP API listening");
    let result = server.await.context("running the HTTP server");
    sweeper.abort();
    importer.abort();
    purger.abort();
    token_purger.abort();
    eraser.abort();
    tracing::info!("HTTP API stopped");
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `serve`'s future must be `Send` so callers can `tokio::spawn` it (checked at compile time).
    #[allow(dead_code)]
    fn serve_future_is_send(
        pool: PgPool,
        common: CommonSettings,
        settings: ApiSettings,
        listener: std::net::TcpListener,
    ) {
        fn is_send<T: Send>(_: T) {}
        is_send(serve(pool, common, settings, listener, async {}));
    }
}
