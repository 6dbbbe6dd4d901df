//! A job's interview questions: list, add (at the end), edit, remove, reorder. Same rules as the
//! job itself: HR and platform admins change them, EMPLOYEEs read them; another company's job
//! answers 404 (`JOB_001`), a question the job does not have 404 (`JOB_008`).

use super::{invalid, job_done, manage_job, read_job, small};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::request::command_response;
use crate::routes::dto::{ConsistencyQuery, Paged, Paging};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hireledger_domain::job::{Difficulty, JobCommand, Question, QuestionCategory};
use hireledger_projections::views::{QuestionView, job_questions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Largest page of questions (a job has at most 100).
const MAX_PAGE_SIZE: u32 = 100;

/// A question's category (documentation type).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuestionCategoryName {
    Technical,
    Behavioural,
    Situational,
    Cultural,
    Other,
}

/// A question's difficulty (documentation type).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DifficultyName {
    Easy,
    Medium,
    Hard,
}

/// An interview question (texts are trimmed).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionRequest {
    /// 1–2000 characters.
    #[schema(example = "How would you design an idempotent payment API?")]
    pub text: String,
    #[schema(value_type = QuestionCategoryName)]
    pub category: String,
    #[schema(value_type = DifficultyName)]
    pub difficulty: String,
    /// Relative weight in the job's score, 1–100.
    #[schema(value_type = u8, minimum = 1, maximum = 100)]
    pub weight: u32,
    /// The model answer for evaluators (1–10 000 characters); never shown to candidates.
    pub ideal_answer: Option<String>,
    /// Up to 20 scoring points of 1–500 characters.
    #[serde(default)]
    pub rubric: Vec<String>,
    /// 10–3600.
    #[schema(minimum = 10, maximum = 3600, example = 300)]
    pub expected_duration_secs: u32,
}

/// The new order of the job's questions: every current question id exactly once.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionOrderRequest {
    pub order: Vec<Uuid>,
}

/// The question was added at the end of the order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuestionAdded {
    pub job_id: Uuid,
    pub question_id: Uuid,
    /// New version of the job (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// One interview question of a job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuestionDto {
    pub question_id: Uuid,
    /// 1-based position in the interview.
    pub position: i32,
    pub text: String,
    #[schema(value_type = QuestionCategoryName)]
    pub category: String,
    #[schema(value_type = DifficultyName)]
    pub difficulty: String,
    pub weight: i16,
    /// For evaluators only.
    pub ideal_answer: Option<String>,
    pub rubric: Vec<String>,
    pub expected_duration_secs: i32,
}

impl From<QuestionView> for QuestionDto {
    fn from(v: QuestionView) -> Self {
        Self {
            question_id: v.question_id,
            position: v.position,
            text: v.text,
            category: v.category,
            difficulty: v.difficulty,
            weight: v.weight,
            ideal_answer: v.ideal_answer,
            rubric: serde_json::from_value(v.rubric).unwrap_or_default(),
            expected_duration_secs: v.expected_duration_secs,
        }
    }
}

fn parse_category(raw: &str) -> Result<QuestionCategory, ApiError> {
    use QuestionCategory as C;
    Ok(match raw {
        "TECHNICAL" => C::Technical,
        "BEHAVIOURAL" => C::Behavioural,
        "SITUATIONAL" => C::Situational,
        "CULTURAL" => C::Cultural,
        "OTHER" => C::Other,
        _ => return Err(invalid("category", "unknown_value")),
    })
}

fn parse_difficulty(raw: &str) -> Result<Difficulty, ApiError> {
    Ok(match raw {
        "EASY" => Difficulty::Easy,
        "MEDIUM" => Difficulty::Medium,
        "HARD" => Difficulty::Hard,
        _ => return Err(invalid("difficulty", "unknown_value")),
    })
}

impl QuestionRequest {
    fn into_question(self) -> Result<Question, ApiError> {
        Ok(Question {
            category: parse_category(&self.category)?,
            difficulty: parse_difficulty(&self.difficulty)?,
            text: self.text,
            weight: small(self.weight),
            ideal_answer: self.ideal_answer,
            rubric: self.rubric,
            expected_duration_secs: self.expected_duration_secs,
        })
    }
}

/// The questions of job `id` in interview order, from the read model, numbered 1, 2, 3, … (the
/// read model's positions only order them: removals leave gaps).
pub(super) async fn of_job(state: &AppState, id: Uuid) -> Result<Vec<QuestionDto>, ApiError> {
    Ok(job_questions(&state.pool, id)
        .await?
        .into_iter()
        .zip(1..)
        .map(|(v, position)| QuestionDto {
            position,
            ..QuestionDto::from(v)
        })
        .collect())
}

/// The job's questions in interview order (HR, EMPLOYEE of its company; SYSTEM_ADMIN).
#[utoipa::path(
    get, path = "/api/v1/jobs/{id}/questions", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id"), Paging, ConsistencyQuery,
        ("X-Min-Version" = Option<u64>, Header, description = "Same as `min_version` (a version of the job)")),
    responses(
        (status = 200, description = "In interview order", body = Paged<QuestionDto>,
            headers(("X-Read-Consistency" = String, description = "`consistent`"))),
        (status = 503, description = "Not yet: the read model has not reached `min_version` within the read wait (READ_001); retry after `Retry-After` seconds. Distinct from 404, which means the resource does not exist at that version", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("X-Read-Consistency" = String, description = "`stale`"))),
        (status = 403, description = "CANDIDATE (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 422, description = "Bad page (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn list_questions(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    paging: web::Query<Paging>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let Paging { page, page_size } = paging.into_inner();
    if page == 0 || page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(invalid("page", "out_of_range"));
    }
    let id = id.into_inner();
    let (_, consistency) = read_job(&state, &auth, &req, id, q.min_version).await?;
    let all = of_job(&state, id).await?;
    let total = all.len() as u64;
    let skip = usize::try_from(u64::from(page - 1) * u64::from(page_size)).unwrap_or(usize::MAX);
    let items = all
        .into_iter()
        .skip(skip)
        .take(page_size as usize)
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(consistency.header())
        .json(Paged {
            items,
            total,
            page,
            page_size,
            pages: total.div_ceil(u64::from(page_size)),
        }))
}

/// Add a question at the end of the interview (HR, SYSTEM_ADMIN).
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/questions", tag = "jobs",
    request_body = QuestionRequest,
    params(("id" = Uuid, Path, description = "Job id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = QuestionAdded,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003)", body = ApiError),
        (status = 422, description = "Invalid field or more than 100 questions (VAL_001)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn add_question(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<QuestionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let question_id = Uuid::now_v7();
    let body = body.into_inner();
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::AddQuestion {
            actor,
            question_id,
            question: body.into_question()?,
        })
    })
    .await?;
    let body = QuestionAdded {
        job_id: id,
        question_id,
        version,
    };
    Ok(command_response(StatusCode::CREATED, version, &body))
}

/// Replace a question's content; its position is kept (HR, SYSTEM_ADMIN).
#[utoipa::path(
    put, path = "/api/v1/jobs/{id}/questions/{question_id}", tag = "jobs",
    request_body = QuestionRequest,
    params(("id" = Uuid, Path, description = "Job id"),
        ("question_id" = Uuid, Path, description = "Question id")),
    responses(
        (status = 200, body = super::JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001); no such question (JOB_008)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003)", body = ApiError),
        (status = 422, description = "Invalid field (VAL_001); unchanged (JOB_011)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn edit_question(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<QuestionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, question_id) = path.into_inner();
    let body = body.into_inner();
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::EditQuestion {
            actor,
            question_id,
            question: body.into_question()?,
        })
    })
    .await?;
    Ok(job_done(id, version))
}

/// Remove a question (HR, SYSTEM_ADMIN).
#[utoipa::path(
    delete, path = "/api/v1/jobs/{id}/questions/{question_id}", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id"),
        ("question_id" = Uuid, Path, description = "Question id")),
    responses(
        (status = 200, body = super::JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001); no such question (JOB_008)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn remove_question(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, question_id) = path.into_inner();
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::RemoveQuestion { actor, question_id })
    })
    .await?;
    Ok(job_done(id, version))
}

/// Put the questions in a new order (HR, SYSTEM_ADMIN).
#[utoipa::path(
    put, path = "/api/v1/jobs/{id}/questions/order", tag = "jobs",
    request_body = QuestionOrderRequest,
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, body = super::JobCommandResponse,
            headers(("X-Aggregate-Version" = u64, description = "New version of the job"))),
        (status = 403, description = "Not HR or admin (AUTH_003)", body = ApiError),
        (status = 404, description = "No such job in your tenant (JOB_001)", body = ApiError),
        (status = 409, description = "Job closed (JOB_003)", body = ApiError),
        (status = 422, description = "Not every current question exactly once (JOB_010); same order (JOB_011)", body = ApiError),
    ),
    security(("bearer" = []))
)]
pub async fn reorder_questions(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<QuestionOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let order = body.into_inner().order;
    let version = manage_job(&state, &auth, &req, id, |actor| {
        Ok(JobCommand::ReorderQuestions { actor, order })
    })
    .await?;
    Ok(job_done(id, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_enums_name_their_json_field() {
        assert_eq!(
            parse_category("BEHAVIOURAL").ok(),
            Some(QuestionCategory::Behavioural)
        );
        assert_eq!(
            parse_category("BEHAVIORAL").unwrap_err().body().detail,
            "invalid category: unknown_value"
        );
        assert_eq!(parse_difficulty("HARD").ok(), Some(Difficulty::Hard));
        assert_eq!(
            parse_difficulty("hard").unwrap_err().body().detail,
            "invalid difficulty: unknown_value"
        );
    }
}
