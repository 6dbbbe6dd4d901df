use super::{
    CriterionRating, InterviewCommand, InterviewError, InterviewEvent, InterviewKind,
    InterviewMode, InterviewStatus, TokenHash, TokenState,
};
use crate::{Actor, InvalidValue, PersonalText, Role, Sealed};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

const MAX_INTERVIEWERS: usize = 10;
const MAX_RATINGS: usize = 20;
const ROUNDS: std::ops::RangeInclusive<u8> = 1..=20;
const DURATION_MINS: std::ops::RangeInclusive<u16> = 5..=480;
const RATINGS: std::ops::RangeInclusive<u8> = 1..=5;
const MAX_REASON_CHARS: usize = 1000;
const MAX_CRITERION_CHARS: usize = 100;

/// State is private; other layers read it through the accessors.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interview {
    id: Option<Uuid>,
    status: InterviewStatus,
    application_id: Option<Uuid>,
    company_id: Option<Uuid>,
    job_id: Option<Uuid>,
    candidate_id: Option<Uuid>,
    candidate_user_id: Option<Uuid>,
    round: u8,
    kind: Option<InterviewKind>,
    mode: Option<InterviewMode>,
    interviewers: Vec<Uuid>,
    scheduled_at: Option<DateTime<Utc>>,
    duration_mins: u16,
    expires_at: Option<DateTime<Utc>>,
    token_hash: Option<TokenHash>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    results_released: bool,
    feedback_from: BTreeSet<Uuid>,
}

fn invalid(field: &'static str, reason: &'static str) -> InvalidValue {
    InvalidValue { field, reason }
}

/// The time rules shared by `Schedule` and `Reschedule`.
fn check_times(
    mode: InterviewMode,
    scheduled_at: DateTime<Utc>,
    duration_mins: u16,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), InterviewError> {
    if !DURATION_MINS.contains(&duration_mins) {
        return Err(invalid("duration_mins", "out_of_range").into());
    }
    if scheduled_at <= now {
        return Err(InterviewError::InPast);
    }
    match (mode, expires_at) {
        (InterviewMode::Ai, Some(e)) if e > scheduled_at => Ok(()),
        (InterviewMode::Ai, _) => Err(InterviewError::InvalidExpiry),
        (InterviewMode::Human, None) => Ok(()),
        (InterviewMode::Human, Some(_)) => Err(invalid("expires_at", "not_allowed").into()),
    }
}

fn check_interviewers(mode: InterviewMode, interviewers: &[Uuid]) -> Result<(), InterviewError> {
    if interviewers.len() > MAX_INTERVIEWERS {
        return Err(InterviewError::TooManyInterviewers);
    }
    let unique: HashSet<&Uuid> = interviewers.iter().collect();
    if unique.len() != interviewers.len() {
        return Err(InterviewError::DuplicateInterviewer);
    }
    if mode == InterviewMode::Human && interviewers.is_empty() {
        return Err(InterviewError::InterviewerRequired);
    }
    Ok(())
}

/// Trims a cancellation reason; blank becomes `None`; more than 1000 characters is refused. The
/// command layer runs it before sealing the reason under the candidate's key.
pub fn normalize_cancel_reason(reason: Option<&str>) -> Result<Option<String>, InvalidValue> {
    let Some(reason) = reason else {
        return Ok(None);
    };
    let r = reason.trim();
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(invalid("reason", "too_long"));
    }
    Ok((!r.is_empty()).then(|| r.to_owned()))
}

/// 1–20 ratings, each 1–5.
fn check_rating_count(n: usize) -> Result<(), InvalidValue> {
    if n == 0 {
        return Err(invalid("ratings", "empty"));
    }
    if n > MAX_RATINGS {
        return Err(invalid("ratings", "too_many"));
    }
    Ok(())
}

/// Checks clear ratings and trims their criteria (see [`CriterionRating`]). The command layer
/// runs it before sealing each criterion under the candidate's key.
pub fn normalize_ratings(
    ratings: Vec<CriterionRating>,
) -> Result<Vec<CriterionRating>, InvalidValue> {
    check_rating_count(ratings.len())?;
    let mut seen = HashSet::new();
    ratings
        .into_iter()
        .map(|r| {
            let criterion = r.criterion.trim();
            let n = criterion.chars().count();
            if n == 0 {
                return Err(invalid("criterion", "empty"));
            }
            if n > MAX_CRITERION_CHARS {
                return Err(invalid("criterion", "too_long"));
            }
            if criterion.chars().any(char::is_control) {
                return Err(invalid("criterion", "control_characters"));
            }
            if !seen.insert(criterion.to_lowercase()) {
                return Err(invalid("ratings", "duplicate"));
            }
            if !RATINGS.contains(&r.rating) {
                return Err(invalid("rating", "out_of_range"));
            }
            Ok(CriterionRating {
                criterion: criterion.to_owned(),
                rating: r.rating,
            })
        })
        .collect()
}

impl Interview {
    /// A sealed value must be sealed under this interview's candidate's key.
    fn check_sealed(&self, value: Option<Sealed>) -> Result<Option<Sealed>, InterviewError> {
        match value {
            Some(s) if Some(s.subject) != self.candidate_id => {
                Err(InterviewError::WrongDataSubject)
            }
            other => Ok(other),
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        self.id
    }

    pub fn status(&self) -> InterviewStatus {
        self.status
    }

    pub fn mode(&self) -> Option<InterviewMode> {
        self.mode
    }

    pub fn kind(&self) -> Option<InterviewKind> {
        self.kind
    }

    /// 0 until scheduled.
    pub fn round(&self) -> u8 {
        self.round
    }

    pub fn company_id(&self) -> Option<Uuid> {
        self.company_id
    }

    pub fn application_id(&self) -> Option<Uuid> {
        self.application_id
    }

    pub fn job_id(&self) -> Option<Uuid> {
        self.job_id
    }

    pub fn candidate_id(&self) -> Option<Uuid> {
        self.candidate_id
    }

    pub fn candidate_user_id(&self) -> Option<Uuid> {
        self.candidate_user_id
    }

    /// In the order they were given when scheduling.
    pub fn interviewers(&self) -> &[Uuid] {
        &self.interviewers
    }

    pub fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.scheduled_at
    }

    /// 0 until scheduled.
    pub fn duration_mins(&self) -> u16 {
        self.duration_mins
    }

    /// The AI link's expiry; `None` for HUMAN interviews.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at
    }

    pub fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.completed_at
    }

    pub fn results_released(&self) -> bool {
        self.results_released
    }

    /// The users who have submitted feedback.
    pub fn feedback_from(&self) -> &BTreeSet<Uuid> {
        &self.feedback_from
    }

    /// What `token_hash` is good for at `now`; [`TokenState::Valid`] exactly when `Start` with
    /// it would succeed for an allowed actor. An interview without a token (not scheduled, or
    /// HUMAN) answers [`TokenState::Invalid`] to every token.
    pub fn token_state(&self, token_hash: &TokenHash, now: DateTime<Utc>) -> TokenState {
        if self.token_hash.as_ref() != Some(token_hash) {
            return TokenState::Invalid;
        }
        match self.status {
            InterviewStatus::None => TokenState::Invalid,
            InterviewStatus::InProgress => TokenState::AlreadyStarted,
            InterviewStatus::Completed => TokenState::AlreadyCompleted,
            InterviewStatus::Cancelled | InterviewStatus::NoShow => TokenState::Closed,
            InterviewStatus::Scheduled if self.expires_at.is_none_or(|e| now > e) => {
                TokenState::Expired
            }
            InterviewStatus::Scheduled => TokenState::Valid,
        }
    }

    fn require_exists(&self) -> Result<(), InterviewError> {
        match self.status {
            InterviewStatus::None => Err(InterviewError::NotFound),
            _ => Ok(()),
        }
    }

    fn require_manager(&self, actor: &Actor) -> Result<(), InterviewError> {
        if actor.manages_company(self.company_id) {
            Ok(())
        } else {
            Err(InterviewError::Forbidden)
        }
    }

    fn require_scheduled(&self) -> Result<(), InterviewError> {
        match self.status {
            InterviewStatus::Scheduled => Ok(()),
            _ => Err(InterviewError::NotScheduled),
        }
    }

    fn is_human(&self) -> bool {
        self.mode == Some(InterviewMode::Human)
    }

    /// An HR or EMPLOYEE user of the interview's company listed as one of its interviewers.
    fn is_interviewer(&self, actor: &Actor) -> bool {
        match actor {
            Actor::User {
                user_id,
                role: Role::Hr | Role::Employee,
                company_id,
            } => {
                company_id.is_some()
                    && *company_id == self.company_id
                    && self.interviewers.contains(user_id)
            }
            _ => false,
        }
    }

    /// An HR user of the interview's company (a person, unlike the platform).
    fn is_company_hr(&self, actor: &Actor) -> bool {
        matches!(actor, Actor::User { role: Role::Hr, .. })
            && actor.manages_company(self.company_id)
    }

    /// The candidate: an anonymous token holder or the linked candidate user.
    fn may_start(&self, actor: &Actor) -> bool {
        match actor {
            Actor::Anonymous => true,
            Actor::User { user_id, .. } => self.candidate_user_id == Some(*user_id),
            Actor::System => false,
        }
    }

    fn decide(&self, command: InterviewCommand) -> Result<InterviewEvent, InterviewError> {
        use InterviewCommand as C;
        use InterviewError as Error;
        use InterviewEvent as E;
        use InterviewStatus as S;
        if !matches!(command, C::Schedule { .. }) {
            self.require_exists()?;
        }
        match command {
            C::Schedule {
                actor,
                interview_id,
                application,
                round,
                kind,
                mode,
                interviewers,
                scheduled_at,
                duration_mins,
                expires_at,
                token_hash,
                now,
            } => {
                if !actor.manages_company(Some(application.company_id)) {
                    return Err(Error::Forbidden);
                }
                if self.status != S::None {
                    return Err(Error::AlreadyExists);
                }
                if application.is_final {
                    return Err(Error::ApplicationClosed);
                }
                if !ROUNDS.contains(&round) {
                    return Err(invalid("round", "out_of_range").into());
                }
                match (mode, &token_hash) {
                    (InterviewMode::Ai, None) => return Err(Error::TokenRequired),
                    (InterviewMode::Human, Some(_)) => {
                        return Err(invalid("token_hash", "not_allowed").into());
                    }
                    _ => {}
                }
                check_times(mode, scheduled_at, duration_mins, expires_at, now)?;
                check_interviewers(mode, &interviewers)?;
                Ok(E::InterviewScheduled {
                    interview_id,
                    application_id: application.application_id,
                    company_id: application.company_id,
                    job_id: application.job_id,
                    candidate_id: application.candidate_id,
                    candidate_user_id: application.candidate_user_id,
                    scheduled_by: actor.user_id(),
                    round,
                    kind,
                    mode,
                    interviewers,
                    scheduled_at,
                    duration_mins,
                    expires_at,
                    token_hash: token_hash.map(|t| t.0),
                })
            }
            C::Reschedule {
                actor,
                scheduled_at,
                duration_mins,
                expires_at,
                now,
            } => {
                self.require_manager(&actor)?;
                self.require_scheduled()?;
                let mode = self.mode.ok_or(Error::NotFound)?;
                check_times(mode, scheduled_at, duration_mins, expires_at, now)?;
                if (Some(scheduled_at), duration_mins, expires_at)
                    == (self.scheduled_at, self.duration_mins, self.expires_at)
                {
                    return Err(Error::NothingToChange);
                }
                Ok(E::InterviewRescheduled {
                    rescheduled_by: actor.user_id(),
                    scheduled_at,
                    duration_mins,
                    expires_at,
                })
            }
            C::Cancel { actor, reason } => {
                self.require_manager(&actor)?;
                self.require_scheduled()?;
                Ok(E::InterviewCancelled {
                    cancelled_by: actor.user_id(),
                    reason: self.check_sealed(reason)?.map(PersonalText::Sealed),
                })
            }
            C::MarkNoShow { actor, now } => {
                self.require_manager(&actor)?;
                self.require_scheduled()?;
                if self.scheduled_at.is_none_or(|at| now < at) {
                    return Err(Error::NotYetStarted);
                }
                Ok(E::InterviewMarkedNoShow {
                    marked_by: actor.user_id(),
                })
            }
            C::Start {
                actor,
                token_hash,
                now,
            } => {
                if !self.may_start(&actor) {
                    return Err(Error::Forbidden);
                }
                if self.mode != Some(InterviewMode::Ai) {
                    return Err(Error::NotAiInterview);
                }
                match self.token_state(&token_hash, now) {
                    TokenState::Valid => Ok(E::InterviewStarted { started_at: now }),
                    TokenState::Invalid => Err(Error::InvalidToken),
                    TokenState::Expired => Err(Error::Expired),
                    TokenState::AlreadyCompleted => Err(Error::AlreadyCompleted),
                    TokenState::AlreadyStarted => Err(Error::AlreadyStarted),
                    TokenState::Closed => Err(Error::NotScheduled),
                }
            }
            C::Complete { actor, now } => {
                let interviewer = self.is_human() && self.is_interviewer(&actor);
                if !interviewer {
                    self.require_manager(&actor)?;
                }
                match self.status {
                    S::InProgress => {}
                    S::Scheduled if self.is_human() => {
                        if self.scheduled_at.is_none_or(|at| now < at) {
                            return Err(Error::NotYetStarted);
                        }
                    }
                    S::Scheduled => return Err(Error::NotYetStarted),
                    S::Completed => return Err(Error::AlreadyCompleted),
                    S::None | S::Cancelled | S::NoShow => return Err(Error::NotScheduled),
                }
                Ok(E::InterviewCompleted {
                    completed_by: actor.user_id(),
                    completed_at: now,
                })
            }
            C::SubmitFeedback {
                actor,
                ratings,
                notes,
                recommendation,
                now,
            } => {
                let Some(interviewer_id) = actor.user_id() else {
                    return Err(Error::Forbidden);
                };
                if !self.is_interviewer(&actor) && !self.is_company_hr(&actor) {
                    return Err(Error::Forbidden);
                }
                if self.status != S::Completed {
                    return Err(Error::NotCompleted);
                }
                if self.feedback_from.contains(&interviewer_id) {
                    return Err(Error::FeedbackAlreadySubmitted);
                }
                check_rating_count(ratings.len())?;
                if ratings.iter().any(|r| !RATINGS.contains(&r.rating)) {
                    return Err(invalid("rating", "out_of_range").into());
                }
                // Every criterion sealed under the candidate's key: clear text never comes in.
                let mine = |t: &PersonalText| {
                    t.sealed()
                        .is_some_and(|s| Some(s.subject) == self.candidate_id)
                };
                if !ratings.iter().all(|r| mine(&r.criterion)) {
                    return Err(Error::WrongDataSubject);
                }
                let notes = self.check_sealed(notes)?;
                Ok(E::FeedbackSubmitted {
                    interviewer_id,
                    ratings,
                    notes,
                    recommendation,
                    submitted_at: now,
                })
            }
            C::ReleaseResults { actor } => {
                self.require_manager(&actor)?;
                if self.status != S::Completed {
                    return Err(Error::NotCompleted);
                }
                if self.results_released {
                    return Err(Error::AlreadyReleased);
                }
                Ok(E::InterviewResultsReleased {
                    released_by: actor.user_id(),
                })
            }
        }
    }
}

impl Aggregate for Interview {
    const TYPE: &'static str = "interview";
    type Command = InterviewCommand;
    type Event = InterviewEvent;
    type Error = InterviewError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = self.decide(command)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        use InterviewEvent as E;
        match event {
            E::InterviewScheduled {
                interview_id,
                application_id,
                company_id,
                job_id,
                candidate_id,
                candidate_user_id,
                round,
                kind,
                mode,
                interviewers,
                scheduled_at,
                duration_mins,
                expires_at,
                token_hash,
                ..
            } => {
                self.id = Some(interview_id);
                self.status = InterviewStatus::Scheduled;
                self.application_id = Some(application_id);
                self.company_id = Some(company_id);
                self.job_id = Some(job_id);
                self.candidate_id = Some(candidate_id);
                self.candidate_user_id = candidate_user_id;
                self.round = round;
                self.kind = Some(kind);
                self.mode = Some(mode);
                self.interviewers = interviewers;
                self.scheduled_at = Some(scheduled_at);
                self.duration_mins = duration_mins;
                self.expires_at = expires_at;
                self.token_hash = token_hash.map(TokenHash);
            }
            E::InterviewRescheduled {
                scheduled_at,
                duration_mins,
                expires_at,
                ..
            } => {
                self.scheduled_at = Some(scheduled_at);
                self.duration_mins = duration_mins;
                self.expires_at = expires_at;
            }
            E::InterviewCancelled { .. } => self.status = InterviewStatus::Cancelled,
            E::InterviewMarkedNoShow { .. } => self.status = InterviewStatus::NoShow,
            E::InterviewStarted { started_at } => {
                self.status = InterviewStatus::InProgress;
                self.started_at = Some(started_at);
            }
            E::InterviewCompleted { completed_at, .. } => {
                self.status = InterviewStatus::Completed;
                self.completed_at = Some(completed_at);
            }
            E::FeedbackSubmitted { interviewer_id, .. } => {
                self.feedback_from.insert(interviewer_id);
            }
            E::InterviewResultsReleased { .. } => self.results_released = true,
        }
    }
}
