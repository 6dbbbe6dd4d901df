//! Given/when/then tests for the interview aggregate: every command, every rule, every refusal.
//! Shared helpers and cross-cutting rules live here; each command family has its own file.

use super::{
    ApplicationView, CriterionRating, Interview, InterviewCommand as C, InterviewError as Error,
    InterviewEvent as E, InterviewKind, InterviewMode as Mode, InterviewStatus as S,
    Recommendation, RecordedRating, TokenHash, TokenState, normalize_cancel_reason,
    normalize_ratings,
};
use crate::{Actor, InvalidValue, PersonalText, Role, Sealed};
use chrono::{DateTime, TimeDelta, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

mod feedback;
mod lifecycle;
mod schedule;
mod start;
mod values;

const INTERVIEW: Uuid = Uuid::from_u128(0x1417);
const APPLICATION: Uuid = Uuid::from_u128(0xA9);
const COMPANY: Uuid = Uuid::from_u128(0xC0);
const OTHER_COMPANY: Uuid = Uuid::from_u128(0xC1);
const JOB: Uuid = Uuid::from_u128(0x10B);
const CANDIDATE: Uuid = Uuid::from_u128(0xCA);
const CANDIDATE_USER: Uuid = Uuid::from_u128(0xCA05);
const ADMIN_ID: Uuid = Uuid::from_u128(0xAD);
const HR_ID: Uuid = Uuid::from_u128(0x11);
/// An EMPLOYEE interviewer and an HR interviewer (not `HR_ID`).
const IV_EMP: Uuid = Uuid::from_u128(0x1E1);
const IV_HR: Uuid = Uuid::from_u128(0x1E2);
/// An EMPLOYEE of the company who is not an interviewer.
const EMPLOYEE_ID: Uuid = Uuid::from_u128(0xE0);

// ---- helpers --------------------------------------------------------------------------------

fn given(events: Vec<E>) -> AggregateTestExecutor<Interview> {
    TestFramework::<Interview>::with(()).given(events)
}

fn result(history: &[E], cmd: C) -> Result<Vec<E>, Error> {
    given(history.to_vec()).when(cmd).inspect_result()
}

/// Runs `cmd` on `history` and expects it refused with `err`.
fn refused(history: &[E], cmd: C, err: Error) {
    assert_eq!(result(history, cmd.clone()), Err(err), "{cmd:?}");
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    Error::Invalid(InvalidValue { field, reason })
}

fn fold(events: Vec<E>) -> Interview {
    let mut interview = Interview::default();
    events.into_iter().for_each(|e| interview.apply(e));
    interview
}

fn and(mut history: Vec<E>, events: impl IntoIterator<Item = E>) -> Vec<E> {
    history.extend(events);
    history
}

/// `m` minutes after the command layer's "now" of these tests.
fn mins(m: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("valid timestamp") + TimeDelta::minutes(m)
}

fn now() -> DateTime<Utc> {
    mins(0)
}

/// The AI interview's scheduled time, expiry and duration.
const AT: i64 = 60;
const EXPIRES: i64 = 2 * 24 * 60;
const DURATION: u16 = 45;

fn token() -> TokenHash {
    TokenHash::parse(&"ab".repeat(32)).expect("valid hash")
}

fn other_token() -> TokenHash {
    TokenHash::parse(&"cd".repeat(32)).expect("valid hash")
}

fn user(user_id: Uuid, role: Role, company_id: Option<Uuid>) -> Actor {
    Actor::User {
        user_id,
        role,
        company_id,
    }
}

fn hr() -> Actor {
    user(HR_ID, Role::Hr, Some(COMPANY))
}

fn admin() -> Actor {
    user(ADMIN_ID, Role::SystemAdmin, None)
}

fn candidate() -> Actor {
    user(CANDIDATE_USER, Role::Candidate, Some(COMPANY))
}

fn employee(user_id: Uuid) -> Actor {
    user(user_id, Role::Employee, Some(COMPANY))
}

fn iv_hr() -> Actor {
    user(IV_HR, Role::Hr, Some(COMPANY))
}

/// Every actor that manages `COMPANY`, with the id its events record.
fn managers() -> [(Actor, Option<Uuid>); 3] {
    [
        (admin(), Some(ADMIN_ID)),
        (Actor::System, None),
        (hr(), Some(HR_ID)),
    ]
}

/// Everyone who neither manages `COMPANY` nor is listed as an interviewer.
fn outsiders() -> Vec<Actor> {
    vec![
        Actor::Anonymous,
        user(HR_ID, Role::Hr, Some(OTHER_COMPANY)),
        user(HR_ID, Role::Hr, None),
        employee(EMPLOYEE_ID),
        candidate(),
        user(Uuid::from_u128(0xCB), Role::Candidate, Some(COMPANY)),
    ]
}

fn application() -> ApplicationView {
    ApplicationView {
        application_id: APPLICATION,
        company_id: COMPANY,
        job_id: JOB,
        candidate_id: CANDIDATE,
        candidate_user_id: Some(CANDIDATE_USER),
        is_final: false,
    }
}

/// The arguments of a `Schedule` command, to vary one at a time.
#[derive(Clone, Debug)]
struct Plan {
    actor: Actor,
    application: ApplicationView,
    round: u8,
    mode: Mode,
    interviewers: Vec<Uuid>,
    scheduled_at: DateTime<Utc>,
    duration_mins: u16,
    expires_at: Option<DateTime<Utc>>,
    token_hash: Option<TokenHash>,
    now: DateTime<Utc>,
}

impl Plan {
    fn with(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }

    fn cmd(self) -> C {
        C::Schedule {
            actor: self.actor,
            interview_id: INTERVIEW,
            application: self.application,
            round: self.round,
            kind: InterviewKind::Technical,
            mode: self.mode,
            interviewers: self.interviewers,
            scheduled_at: self.scheduled_at,
            duration_mins: self.duration_mins,
            expires_at: self.expires_at,
            token_hash: self.token_hash,
            now: self.now,
        }
    }

    /// The event this plan records when `by` schedules it.
    fn event(self, by: Option<Uuid>) -> E {
        let a = self.application;
        E::InterviewScheduled {
            interview_id: INTERVIEW,
            application_id: a.application_id,
            company_id: a.company_id,
            job_id: a.job_id,
            candidate_id: a.candidate_id,
            candidate_user_id: a.candidate_user_id,
            scheduled_by: by,
            round: self.round,
            kind: InterviewKind::Technical,
            mode: self.mode,
            interviewers: self.interviewers,
            scheduled_at: self.scheduled_at,
            duration_mins: self.duration_mins,
            expires_at: self.expires_at,
            token_hash: self.token_hash.map(|t| t.as_str().to_owned()),
        }
    }
}

/// An AI interview with one EMPLOYEE observer.
fn ai() -> Plan {
    Plan {
        actor: hr(),
        application: application(),
        round: 1,
        mode: Mode::Ai,
        interviewers: vec![IV_EMP],
        scheduled_at: mins(AT),
        duration_mins: DURATION,
        expires_at: Some(mins(EXPIRES)),
        token_hash: Some(token()),
        now: now(),
    }
}

/// A HUMAN interview with an EMPLOYEE and an HR interviewer.
fn human() -> Plan {
    Plan {
        actor: hr(),
        application: application(),
        round: 2,
        mode: Mode::Human,
        interviewers: vec![IV_EMP, IV_HR],
        scheduled_at: mins(AT),
        duration_mins: DURATION,
        expires_at: None,
        token_hash: None,
        now: now(),
    }
}

// Histories.

fn ai_scheduled() -> Vec<E> {
    vec![ai().event(Some(HR_ID))]
}

fn human_scheduled() -> Vec<E> {
    vec![human().event(Some(HR_ID))]
}

fn ai_started() -> Vec<E> {
    and(
        ai_scheduled(),
        [E::InterviewStarted {
            started_at: mins(AT + 1),
        }],
    )
}

fn completed_event() -> E {
    E::InterviewCompleted {
        completed_by: None,
        completed_at: mins(AT + DURATION as i64),
    }
}

fn ai_completed() -> Vec<E> {
    and(ai_started(), [completed_event()])
}

fn human_completed() -> Vec<E> {
    and(human_scheduled(), [completed_event()])
}

fn cancelled(history: Vec<E>) -> Vec<E> {
    and(
        history,
        [E::InterviewCancelled {
            cancelled_by: Some(HR_ID),
            reason: None,
        }],
    )
}

fn no_show(history: Vec<E>) -> Vec<E> {
    and(
        history,
        [E::InterviewMarkedNoShow {
            marked_by: Some(HR_ID),
        }],
    )
}

fn rating(criterion: &str, rating: u8) -> CriterionRating {
    CriterionRating {
        criterion: criterion.into(),
        rating,
    }
}

fn sealed(subject: Uuid) -> Sealed {
    Sealed {
        subject,
        ct: "bm90ZXM=".into(),
    }
}

/// What the command layer makes of clear text about the candidate: sealed under their key (the
/// domain never opens it, so the "ciphertext" here is the text itself).
fn seal_text(text: &str) -> Sealed {
    Sealed {
        subject: CANDIDATE,
        ct: text.to_owned(),
    }
}

/// Ratings as commands carry them and events record them: each criterion sealed as is.
fn sealed_ratings(ratings: Vec<CriterionRating>) -> Vec<RecordedRating> {
    ratings
        .into_iter()
        .map(|r| RecordedRating {
            criterion: PersonalText::Sealed(seal_text(&r.criterion)),
            rating: r.rating,
        })
        .collect()
}

fn feedback(actor: Actor, ratings: Vec<CriterionRating>, notes: Option<Sealed>) -> C {
    C::SubmitFeedback {
        actor,
        ratings: sealed_ratings(ratings),
        notes,
        recommendation: Recommendation::Hire,
        now: mins(200),
    }
}

/// One command of every kind but `Schedule`, issued by `actor`.
fn every_command(actor: Actor) -> Vec<C> {
    vec![
        C::Reschedule {
            actor,
            scheduled_at: mins(AT + 30),
            duration_mins: DURATION,
            expires_at: Some(mins(EXPIRES)),
            now: now(),
        },
        C::Cancel {
            actor,
            reason: None,
        },
        C::MarkNoShow {
            actor,
            now: mins(AT),
        },
        C::Start {
            actor,
            token_hash: token(),
            now: mins(AT),
        },
        C::Complete {
            actor,
            now: mins(AT),
        },
        feedback(actor, vec![rating("Rust", 4)], None),
        C::ReleaseResults { actor },
    ]
}

// ---- Cross-cutting rules --------------------------------------------------------------------

#[test]
fn every_command_but_schedule_needs_an_existing_interview() {
    for actor in [hr(), Actor::Anonymous, candidate()] {
        for cmd in every_command(actor) {
            refused(&[], cmd, Error::NotFound);
        }
    }
}

#[test]
fn aggregate_type_event_types_and_versions_are_fixed() {
    assert_eq!(Interview::TYPE, "interview");
    let events = [
        (ai().event(None), "InterviewScheduled"),
        (
            E::InterviewRescheduled {
                rescheduled_by: None,
                scheduled_at: now(),
                duration_mins: 5,
                expires_at: None,
            },
            "InterviewRescheduled",
        ),
        (
            E::InterviewCancelled {
                cancelled_by: None,
                reason: None,
            },
            "InterviewCancelled",
        ),
        (
            E::InterviewMarkedNoShow { marked_by: None },
            "InterviewMarkedNoShow",
        ),
        (
            E::InterviewStarted { started_at: now() },
            "InterviewStarted",
        ),
        (completed_event(), "InterviewCompleted"),
        (
            E::FeedbackSubmitted {
                interviewer_id: IV_EMP,
                ratings: sealed_ratings(vec![rating("Rust", 5)]),
                notes: Some(sealed(CANDIDATE)),
                recommendation: Recommendation::StrongHire,
                submitted_at: now(),
            },
            "FeedbackSubmitted",
        ),
        (
            E::InterviewResultsReleased { released_by: None },
            "InterviewResultsReleased",
        ),
    ];
    for (event, name) in events {
        assert_eq!(event.event_type(), name);
        let version = match name {
            "InterviewCancelled" | "FeedbackSubmitted" => "2.0",
            _ => "1.0",
        };
        assert_eq!(event.event_version(), version, "{name}");
        let json = serde_json::to_string(&event).expect("serializes");
        let back: E = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, event);
    }
}

#[test]
fn state_before_scheduling_is_empty() {
    let empty = Interview::default();
    assert_eq!(empty.status(), S::None);
    assert_eq!((empty.mode(), empty.company_id()), (None, None));
    assert!(empty.interviewers().is_empty() && empty.feedback_from().is_empty());
    assert_eq!(empty.token_state(&token(), now()), TokenState::Invalid);
}
