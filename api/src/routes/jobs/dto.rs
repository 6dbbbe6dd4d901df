//! The jobs' wire types: request bodies, answers and the list query.

use super::questions::QuestionDto;
use chrono::{DateTime, Utc};
use hireledger_domain::job::Skill;
use hireledger_projections::views::JobView;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A job's status (documentation type of the `status` fields).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatusName {
    Draft,
    Open,
    Paused,
    Closed,
}

/// A job's employment type (documentation type of the `employment_type` fields).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmploymentTypeName {
    FullTime,
    PartTime,
    Contract,
    Temporary,
    Internship,
}

/// A salary range in minor units (cents) of an ISO 4217 currency; `min <= max`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalaryDto {
    #[schema(example = "EUR")]
    pub currency: String,
    #[schema(example = 5_000_000)]
    pub min: u64,
    #[schema(example = 6_500_000)]
    pub max: u64,
}

/// A required skill: name 1–100 characters (unique ignoring case), weight 1–100.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillDto {
    #[schema(example = "Rust")]
    pub name: String,
    #[schema(value_type = u8, minimum = 1, maximum = 100)]
    pub weight: u32,
}

/// A job's own screening thresholds (0–100; `fail < pass`): interview scores at or above
/// `pass` pass, at or below `fail` fail.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobThresholds {
    #[schema(value_type = u8, maximum = 100, example = 70)]
    pub pass: u32,
    #[schema(value_type = u8, maximum = 100, example = 40)]
    pub fail: u32,
}

/// A new DRAFT job. HR creates jobs of its own company; platform admins name `company_id`.
/// Texts are trimmed; description and requirements may be empty while DRAFT (an OPEN job needs
/// a description and at least one skill).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJobRequest {
    /// 1–200 characters.
    #[schema(example = "Backend Engineer")]
    pub title: String,
    /// Up to 20 000 characters.
    #[serde(default)]
    pub description: String,
    /// Up to 20 000 characters.
    #[serde(default)]
    pub requirements: String,
    /// Up to 200 characters.
    #[serde(default)]
    pub department: String,
    /// Up to 200 characters.
    #[serde(default)]
    pub location: String,
    #[schema(value_type = EmploymentTypeName)]
    pub employment_type: String,
    pub salary: Option<SalaryDto>,
    /// Up to 50.
    #[serde(default)]
    pub skills: Vec<SkillDto>,
    /// `null` or absent: the company's thresholds apply.
    pub thresholds: Option<JobThresholds>,
    /// Whether a person must confirm every automated screening outcome (default `false`).
    #[serde(default)]
    pub human_review_required: bool,
    /// Platform admins only (required for them); HR may name only its own company.
    pub company_id: Option<Uuid>,
}

/// The job's details, replaced as a whole (absent texts and skills become empty). While the job
/// is OPEN it must keep a description and a skill.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobDetailsRequest {
    /// 1–200 characters.
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub requirements: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub location: String,
    #[schema(value_type = EmploymentTypeName)]
    pub employment_type: String,
    pub salary: Option<SalaryDto>,
    #[serde(default)]
    pub skills: Vec<SkillDto>,
}

/// The job's own thresholds; `null` falls back to the company's. The field is required.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<JobThresholds>, required = true)]
    pub thresholds: Option<Option<JobThresholds>>,
}

/// Whether a person must confirm every automated screening outcome.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewPolicyRequest {
    pub human_review_required: bool,
}

/// The job exists (DRAFT).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobCreated {
    pub job_id: Uuid,
    /// Version of the new job (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// The new version of a job after a command.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobCommandResponse {
    pub job_id: Uuid,
    /// New version of the job aggregate (also in `X-Aggregate-Version`).
    pub version: u64,
}

/// A job as the read model holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobDto {
    pub job_id: Uuid,
    pub company_id: Uuid,
    #[schema(value_type = JobStatusName)]
    pub status: String,
    pub title: String,
    pub description: String,
    pub requirements: String,
    pub department: String,
    pub location: String,
    #[schema(value_type = EmploymentTypeName)]
    pub employment_type: String,
    pub salary: Option<SalaryDto>,
    pub skills: Vec<SkillDto>,
    /// The job's own thresholds; `null`: the company's apply.
    pub thresholds: Option<JobThresholds>,
    pub human_review_required: bool,
    pub question_count: u32,
    /// The user who created the job; `null` when the platform did.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the job was last opened.
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Version of the job aggregate this row reflects.
    pub version: i64,
}

/// A job with its interview questions in interview order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobDetailDto {
    #[serde(flatten)]
    pub job: JobDto,
    pub questions: Vec<QuestionDto>,
}

/// The salary range of a read-model row, when it has one.
pub(crate) fn salary_of(v: &JobView) -> Option<SalaryDto> {
    let (Some(currency), Some(min), Some(max)) = (&v.salary_currency, v.salary_min, v.salary_max)
    else {
        return None;
    };
    Some(SalaryDto {
        currency: currency.clone(),
        min: u64::try_from(min).unwrap_or_default(),
        max: u64::try_from(max).unwrap_or_default(),
    })
}

/// The skills of a read-model row (`[{name, weight}]` as the job event carried them).
pub(crate) fn skills_of(v: &JobView) -> Vec<SkillDto> {
    serde_json::from_value::<Vec<Skill>>(v.skills.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|s| SkillDto {
            name: s.name,
            weight: u32::from(s.weight),
        })
        .collect()
}

impl From<JobView> for JobDto {
    fn from(v: JobView) -> Self {
        let salary = salary_of(&v);
        let skills = skills_of(&v);
        let thresholds = match (v.pass_threshold, v.fail_threshold) {
            (Some(pass), Some(fail)) => Some(JobThresholds {
                pass: u32::try_from(pass).unwrap_or_default(),
                fail: u32::try_from(fail).unwrap_or_default(),
            }),
            _ => None,
        };
        Self {
            job_id: v.job_id,
            company_id: v.company_id,
            status: v.status,
            title: v.title,
            description: v.description,
            requirements: v.requirements,
            department: v.department,
            location: v.location,
            employment_type: v.employment_type,
            salary,
            skills,
            thresholds,
            human_review_required: v.human_review_required,
            question_count: u32::try_from(v.question_count).unwrap_or_default(),
            created_by: v.created_by,
            created_at: v.created_at,
            updated_at: v.updated_at,
            opened_at: v.opened_at,
            closed_at: v.closed_at,
            version: v.version,
        }
    }
}

/// Filters and order of the job list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    /// `DRAFT`, `OPEN`, `PAUSED` or `CLOSED`.
    pub status: Option<String>,
    /// Case-insensitive part of the title.
    pub q: Option<String>,
    /// Exact department.
    pub department: Option<String>,
    /// `FULL_TIME`, `PART_TIME`, `CONTRACT`, `TEMPORARY` or `INTERNSHIP`.
    pub employment_type: Option<String>,
    /// `created_desc` (default), `created_asc` or `title_asc`.
    pub sort: Option<String>,
    /// Platform admins only: one company's jobs (everyone else always sees their own company).
    pub company_id: Option<Uuid>,
}

/// A field that is present, possibly `null` (`Some(None)`); absent fields default to `None`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
