//! CSV imports of candidates as a job resource: upload (`POST /candidates/imports`), then poll
//! (`GET /candidates/imports/{id}`) until `COMPLETED` or `FAILED`.
//!
//! The file is a `file` field of a `multipart/form-data` body, or the whole body with
//! `Content-Type: text/csv`. Its header names at least `name` and `email`; optional columns:
//! `phone`, `position`, `domain`, `experience_years`, `qualifications` and `tags` (lists separated
//! by `;` or `|`), `source`. The same file sent again is the same import (200 with it; nothing is
//! imported twice). Any API instance works pending imports off; this one starts right away.

use super::{MANAGERS, managed_company};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use hireledger_commands::pipeline::{
    ImportReport, ImportRowError, MAX_IMPORT_BYTES, Pipeline, PipelineError,
};
use hireledger_domain::InvalidValue;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Name of the multipart field that carries the file.
const FILE_FIELD: &str = "file";
/// Most fields of an upload form (only `file` is used; others are skipped).
const MAX_FORM_FIELDS: usize = 8;

/// One rejected row: where and why, never the value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportRowErrorDto {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The column at fault; `null` when the row as a whole is (wrong number of fields).
    pub column: Option<String>,
    /// `VAL_001` (invalid value), `CAND_002` (e-mail already used in the company) or `ROW_001`
    /// (wrong number of fields).
    #[schema(example = "VAL_001")]
    pub code: String,
    /// A stable reason word, e.g. `malformed`, `out_of_range`, `duplicate`.
    #[schema(example = "malformed")]
    pub reason: String,
}

impl From<ImportRowError> for ImportRowErrorDto {
    fn from(e: ImportRowError) -> Self {
        Self {
            line: e.line,
            column: e.column,
            code: e.code,
            reason: e.reason,
        }
    }
}

/// A CSV import and its progress.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportDto {
    pub import_id: Uuid,
    pub company_id: Uuid,
    /// `PENDING`, `RUNNING`, `COMPLETED` or `FAILED`.
    #[schema(example = "COMPLETED")]
    pub status: String,
    /// Data rows of the file (the header not counted).
    pub total_rows: i32,
    pub processed_rows: i32,
    /// Candidates created.
    pub imported: i32,
    /// Rows rejected (one entry of `errors` each).
    pub rejected: i32,
    pub errors: Vec<ImportRowErrorDto>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<ImportReport> for ImportDto {
    fn from(r: ImportReport) -> Self {
        Self {
            import_id: r.import_id,
            company_id: r.company_id,
            status: r.status,
            total_rows: r.total_rows,
            processed_rows: r.processed_rows,
            imported: r.imported,
            rejected: r.rejected,
            errors: r.errors.into_iter().map(Into::into).collect(),
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// The multipart form of an upload (documentation type).
#[derive(ToSchema)]
pub struct ImportUpload {
    /// The CSV file (UTF-8, at most 10 MiB).
    #[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
    pub file: Vec<u8>,
}

/// Platform admins name the company the candidates go to.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    pub company_id: Option<Uuid>,
}

/// Most bytes read (and dropped) from a body that is already too large, so that the client gets
/// its 413 instead of a reset connection; beyond this the connection is simply closed.
const MAX_DRAIN_BYTES: usize = 2 * MAX_IMPORT_BYTES;

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// The whole body, up to [`MAX_IMPORT_BYTES`] (413 `REQ_004` above).
async fn read_raw(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    if declared_length(req).is_some_and(|len| len > MAX_DRAIN_BYTES) {
        return Err(ApiError::PayloadTooLarge);
    }
    let (mut buf, mut read) = (Vec::new(), 0usize);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::Malformed(format!("reading the body: {e}")))?;
        read += chunk.len();
        if read > MAX_DRAIN_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        if read <= MAX_IMPORT_BYTES {
            buf.extend_from_slice(&chunk);
        }
    }
    if read > MAX_IMPORT_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(buf)
}

/// The `file` field of a multipart body, up to [`MAX_IMPORT_BYTES`]; other fields are skipped.
async fn read_multipart(req: &HttpRequest, payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let bad = |e: actix_multipart::MultipartError| {
        ApiError::Malformed(format!("reading the multipart body: {e}"))
    };
    if declared_length(req).is_some_and(|len| len > MAX_DRAIN_BYTES) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let (mut file, mut fields) = (None, 0usize);
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        fields += 1;
        if fields > MAX_FORM_FIELDS {
            return Err(ApiError::Malformed("too many form fields".to_owned()));
        }
        let wanted = file.is_none() && field.name() == Some(FILE_FIELD);
        match field.bytes(MAX_IMPORT_BYTES).await {
            Err(_) if wanted => return Err(ApiError::PayloadTooLarge),
            Err(_) => {}
            Ok(bytes) => {
                let bytes = bytes.map_err(bad)?;
                if wanted {
                    file = Some(bytes.to_vec());
                }
            }
        }
    }
    file.ok_or(ApiError::Validation(InvalidValue {
        field: "file",
        reason: "required",
    }))
}

/// Works off pending imports in the background; failures are logged by code only.
fn run_imports(pipeline: Pipeline) {
    tokio::spawn(async move {
        if let Err(e) = pipeline.run_pending_imports().await {
            let code = ApiError::from(e).code();
            tracing::warn!(
                code,
                "running candidate imports failed; another run resumes them"
            );
        }
    });
}

fn with_location(mut res: HttpResponse, import_id: Uuid) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/candidates/imports/{import_id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Upload a CSV file of candidates (HR or admin). The import runs in the background: poll its
/// `Location`. The same file again answers 200 with the first import and imports nothing.
#[utoipa::path(
    post, path = "/api/v1/candidates/imports", tag = "candidates",
    request_body(description = "The CSV file: a `file` field of a multipart form, or the whole body as `text/csv`",
        content((inline(ImportUpload) = "multipart/form-data"), (String = "text/csv"))),
    params(ImportQuery),
    responses(
        (status = 202, description = "Accepted; runs in the background", body = ImportDto,
            headers(("Location" = String, description = "The import's URL"))),
        (status = 200, description = "This file was uploaded before: that import", body = ImportDto,
            headers(("Location" = String, description = "The import's URL"))),
        (status = 400, description = "Not multipart/form-data nor text/csv, or a broken body (REQ_001)", body = ApiError),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "Unknown or other company (COMP_002)", body = ApiError),
        (status = 409, description = "Company not active (COMP_004)", body = ApiError),
        (status = 413, description = "File over 10 MiB (REQ_004)", body = ApiError),
        (status = 422, description = "No `file` field, or no `company_id` for an admin (VAL_001); not a usable CSV: not UTF-8, no `name`/`email` header, no rows (IMP_002)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn start_import(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let company_id = managed_company(&auth, query.company_id)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let file = match content_type.as_str() {
        "multipart/form-data" => read_multipart(&req, payload).await?,
        "text/csv" => read_raw(&req, payload).await?,
        _ => {
            return Err(ApiError::Malformed(
                "expected Content-Type: multipart/form-data (a `file` field) or text/csv"
                    .to_owned(),
            ));
        }
    };
    let actor = auth.actor();
    let started = state
        .pipeline
        .start_import(actor, company_id, &file)
        .await?;
    drop(file);
    run_imports(state.pipeline.clone());
    let report = state.pipeline.import_report(started.import_id).await?;
    let res = if started.created {
        HttpResponse::Accepted().json(ImportDto::from(report))
    } else {
        HttpResponse::Ok().json(ImportDto::from(report))
    };
    Ok(with_location(res, started.import_id))
}

/// An import's status, counts and rejected rows (HR or admin of its company).
#[utoipa::path(
    get, path = "/api/v1/candidates/imports/{id}", tag = "candidates",
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 200, body = ImportDto),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such import in your company (IMP_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn get_import(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_role(MANAGERS)?;
    let report = state.pipeline.import_report(id.into_inner()).await?;
    if !auth.sees_company(Some(report.company_id)) {
        return Err(PipelineError::ImportNotFound.into());
    }
    Ok(HttpResponse::Ok().json(ImportDto::from(report)))
}
