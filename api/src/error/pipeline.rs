//! The hiring pipeline's part of the error table: every refusal of a job, candidate,
//! application, interview or import command, with its stable code and HTTP status.

use super::ApiError;
use actix_web::http::StatusCode;
use hireledger_domain::application::ApplicationError;
use hireledger_domain::candidate::CandidateError;
use hireledger_domain::interview::InterviewError;
use hireledger_domain::job::JobError;

/// A business refusal from the pipeline services (`hireledger_commands::pipeline`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineRefusal {
    #[error(transparent)]
    Job(JobError),
    #[error(transparent)]
    Candidate(CandidateError),
    #[error(transparent)]
    Application(ApplicationError),
    #[error(transparent)]
    Interview(InterviewError),
    #[error("a candidate with this e-mail already exists in the company")]
    CandidateEmailTaken,
    #[error("interviewers must be active HR or EMPLOYEE users of the company")]
    UnknownInterviewer,
    #[error("import not found")]
    ImportNotFound,
    #[error("the file is not a usable CSV: {0}")]
    ImportFile(&'static str),
}

/// Refusals that are answered like the rest of the API: forbidden (`AUTH_003`), invalid input
/// (`VAL_001`), and bugs of a service (data sealed for the wrong subject, a wrong application id:
/// `SYS_002`). `Err` gives the refusal back for the pipeline's own codes.
pub(super) fn shared(r: PipelineRefusal) -> Result<ApiError, PipelineRefusal> {
    use ApplicationError as A;
    use CandidateError as C;
    use InterviewError as I;
    use JobError as J;
    use PipelineRefusal as P;
    match r {
        P::Job(J::Forbidden)
        | P::Candidate(C::Forbidden)
        | P::Application(A::Forbidden)
        | P::Interview(I::Forbidden) => Ok(ApiError::Forbidden),
        P::Job(J::Invalid(v)) | P::Candidate(C::Invalid(v)) | P::Interview(I::Invalid(v)) => {
            Ok(ApiError::Validation(v))
        }
        r @ (P::Candidate(C::WrongDataSubject)
        | P::Application(A::IdMismatch | A::WrongDataSubject)
        | P::Interview(I::WrongDataSubject)) => Ok(ApiError::Internal(anyhow::anyhow!(r))),
        r => Err(r),
    }
}

/// The pipeline's own codes; `None` for the refusals [`shared`] maps.
pub(super) fn code_and_status(r: &PipelineRefusal) -> Option<(&'static str, StatusCode)> {
    use ApplicationError as A;
    use CandidateError as C;
    use InterviewError as I;
    use JobError as J;
    use PipelineRefusal as P;
    use StatusCode as S;
    Some(match r {
        P::Job(J::Forbidden)
        | P::Candidate(C::Forbidden)
        | P::Application(A::Forbidden)
        | P::Interview(I::Forbidden)
        | P::Job(J::Invalid(_))
        | P::Candidate(C::Invalid(_) | C::WrongDataSubject)
        | P::Application(A::IdMismatch | A::WrongDataSubject)
        | P::Interview(I::Invalid(_) | I::WrongDataSubject) => return None,
        P::Job(J::NotFound) => ("JOB_001", S::NOT_FOUND),
        P::Job(J::AlreadyExists) => ("JOB_002", S::CONFLICT),
        P::Job(J::Closed) => ("JOB_003", S::CONFLICT),
        P::Job(J::InvalidTransition) => ("JOB_004", S::CONFLICT),
        P::Job(J::MissingDescription) => ("JOB_005", S::UNPROCESSABLE_ENTITY),
        P::Job(J::NoSkills) => ("JOB_006", S::UNPROCESSABLE_ENTITY),
        P::Job(J::InvalidThresholds) => ("JOB_007", S::UNPROCESSABLE_ENTITY),
        P::Job(J::UnknownQuestion) => ("JOB_008", S::NOT_FOUND),
        P::Job(J::DuplicateQuestion) => ("JOB_009", S::CONFLICT),
        P::Job(J::NotAPermutation) => ("JOB_010", S::UNPROCESSABLE_ENTITY),
        P::Job(J::NothingToChange) => ("JOB_011", S::UNPROCESSABLE_ENTITY),
        P::Candidate(C::NotFound) => ("CAND_001", S::NOT_FOUND),
        P::CandidateEmailTaken => ("CAND_002", S::CONFLICT),
        P::Candidate(C::AlreadyExists) => ("CAND_003", S::CONFLICT),
        P::Candidate(C::Deleted) => ("CAND_004", S::GONE),
        P::Candidate(C::InvalidAssignee) => ("CAND_005", S::UNPROCESSABLE_ENTITY),
        P::Candidate(C::AlreadyLinked) => ("CAND_006", S::CONFLICT),
        P::Candidate(C::NothingToChange) => ("CAND_007", S::UNPROCESSABLE_ENTITY),
        P::Application(A::NotFound) => ("APP_001", S::NOT_FOUND),
        P::Application(A::AlreadyApplied) => ("APP_002", S::CONFLICT),
        P::Application(A::JobNotOpen) => ("APP_003", S::CONFLICT),
        P::Application(A::IllegalTransition { .. }) => ("APP_004", S::CONFLICT),
        P::Application(A::Final) => ("APP_005", S::CONFLICT),
        P::Application(A::ReasonRequired) => ("APP_006", S::UNPROCESSABLE_ENTITY),
        P::Application(A::InvalidReason) => ("APP_007", S::UNPROCESSABLE_ENTITY),
        P::Application(A::UseWithdraw) => ("APP_008", S::UNPROCESSABLE_ENTITY),
        P::Interview(I::NotFound) => ("INT_001", S::NOT_FOUND),
        P::Interview(I::InvalidToken) => ("INT_002", S::NOT_FOUND),
        P::Interview(I::Expired) => ("INT_002", S::NOT_FOUND),
        P::Interview(I::AlreadyCompleted) => ("INT_003", S::CONFLICT),
        P::Interview(I::AlreadyStarted) => ("INT_004", S::CONFLICT),
        P::Interview(I::NotScheduled) => ("INT_005", S::CONFLICT),
        P::Interview(I::InPast) => ("INT_006", S::UNPROCESSABLE_ENTITY),
        P::Interview(I::TokenRequired | I::InvalidExpiry) => ("INT_007", S::UNPROCESSABLE_ENTITY),
        P::Interview(I::InterviewerRequired | I::TooManyInterviewers | I::DuplicateInterviewer)
        | P::UnknownInterviewer => ("INT_008", S::UNPROCESSABLE_ENTITY),
        P::Interview(I::NotCompleted) => ("INT_009", S::CONFLICT),
        P::Interview(I::FeedbackAlreadySubmitted) => ("INT_010", S::CONFLICT),
        P::Interview(I::AlreadyReleased) => ("INT_011", S::CONFLICT),
        P::Interview(I::NotYetStarted) => ("INT_012", S::CONFLICT),
        P::Interview(I::NotAiInterview) => ("INT_013", S::CONFLICT),
        P::Interview(I::ApplicationClosed) => ("INT_014", S::CONFLICT),
        P::Interview(I::NothingToChange) => ("INT_015", S::UNPROCESSABLE_ENTITY),
        P::Interview(I::AlreadyExists) => ("INT_016", S::CONFLICT),
        P::ImportNotFound => ("IMP_001", S::NOT_FOUND),
        P::ImportFile(_) => ("IMP_002", S::UNPROCESSABLE_ENTITY),
    })
}

/// Every refusal, for the table's tests.
#[cfg(test)]
pub(super) fn every_refusal() -> Vec<PipelineRefusal> {
    use ApplicationError as A;
    use ApplicationStatus as St;
    use CandidateError as C;
    use InterviewError as I;
    use JobError as J;
    use PipelineRefusal as P;
    use hireledger_domain::application::ApplicationStatus;
    let mut all = vec![
        P::CandidateEmailTaken,
        P::UnknownInterviewer,
        P::ImportNotFound,
        P::ImportFile("not_utf8"),
    ];
    all.extend(
        [
            J::NotFound,
            J::AlreadyExists,
            J::Closed,
            J::InvalidTransition,
            J::MissingDescription,
            J::NoSkills,
            J::InvalidThresholds,
            J::UnknownQuestion,
            J::DuplicateQuestion,
            J::NotAPermutation,
            J::NothingToChange,
        ]
        .map(P::Job),
    );
    all.extend(
        [
            C::NotFound,
            C::AlreadyExists,
            C::Deleted,
            C::InvalidAssignee,
            C::AlreadyLinked,
            C::NothingToChange,
        ]
        .map(P::Candidate),
    );
    all.extend(
        [
            A::NotFound,
            A::AlreadyApplied,
            A::JobNotOpen,
            A::IllegalTransition {
                from: St::Applied,
                to: St::Hired,
            },
            A::Final,
            A::ReasonRequired,
            A::InvalidReason,
            A::UseWithdraw,
        ]
        .map(P::Application),
    );
    all.extend(
        [
            I::NotFound,
            I::InvalidToken,
            I::AlreadyCompleted,
            I::AlreadyStarted,
            I::NotScheduled,
            I::InPast,
            I::TokenRequired,
            I::InterviewerRequired,
            I::NotCompleted,
            I::FeedbackAlreadySubmitted,
            I::AlreadyReleased,
            I::NotYetStarted,
            I::NotAiInterview,
            I::ApplicationClosed,
            I::NothingToChange,
            I::AlreadyExists,
        ]
        .map(P::Interview),
    );
    all
}
