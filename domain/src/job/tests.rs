//! Given/when/then tests for the job aggregate: every command, every rule, every refusal.

use super::{
    Difficulty, EmploymentType, Job, JobCommand as C, JobDetails, JobError, JobEvent as E,
    JobQuestion, JobStatus, Question, QuestionCategory, SalaryRange, Skill, VerdictThresholds,
};
use crate::{Actor, InvalidValue, Role};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

mod lifecycle;
mod questions;

const JOB: Uuid = Uuid::from_u128(0x10B);
const COMPANY: Uuid = Uuid::from_u128(0xC0);
const OTHER_COMPANY: Uuid = Uuid::from_u128(0xC1);
const ADMIN_ID: Uuid = Uuid::from_u128(0xAD);
const HR_ID: Uuid = Uuid::from_u128(0x11);
const Q1: Uuid = Uuid::from_u128(0x01);
const Q2: Uuid = Uuid::from_u128(0x02);
const Q3: Uuid = Uuid::from_u128(0x03);

// ---- helpers --------------------------------------------------------------------------------

fn given(events: Vec<E>) -> AggregateTestExecutor<Job> {
    TestFramework::<Job>::with(()).given(events)
}

fn result(history: &[E], cmd: C) -> Result<Vec<E>, JobError> {
    given(history.to_vec()).when(cmd).inspect_result()
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

/// Every actor that manages `COMPANY`, with the id its events record.
fn managers() -> [(Actor, Option<Uuid>); 3] {
    [
        (user(ADMIN_ID, Role::SystemAdmin, None), Some(ADMIN_ID)),
        (Actor::System, None),
        (hr(), Some(HR_ID)),
    ]
}

/// Everyone who does not manage `COMPANY`.
fn outsiders() -> [Actor; 5] {
    [
        Actor::Anonymous,
        user(HR_ID, Role::Hr, Some(OTHER_COMPANY)),
        user(HR_ID, Role::Hr, None),
        user(Uuid::from_u128(0xE0), Role::Employee, Some(COMPANY)),
        user(Uuid::from_u128(0xCA), Role::Candidate, Some(COMPANY)),
    ]
}

fn invalid(field: &'static str, reason: &'static str) -> JobError {
    JobError::Invalid(InvalidValue { field, reason })
}

fn skill(name: &str, weight: u8) -> Skill {
    Skill {
        name: name.into(),
        weight,
    }
}

fn details() -> JobDetails {
    JobDetails {
        title: "Backend Engineer".into(),
        description: "Build the ledger.\nWith care.".into(),
        requirements: "Rust".into(),
        department: "Engineering".into(),
        location: "Remote".into(),
        employment_type: EmploymentType::FullTime,
        salary: Some(SalaryRange {
            currency: "EUR".into(),
            min: 6_000_000,
            max: 8_000_000,
        }),
        skills: vec![skill("Rust", 80), skill("SQL", 20)],
    }
}

fn with(f: impl FnOnce(&mut JobDetails)) -> JobDetails {
    let mut d = details();
    f(&mut d);
    d
}

fn question(text: &str) -> Question {
    Question {
        text: text.into(),
        category: QuestionCategory::Technical,
        difficulty: Difficulty::Medium,
        weight: 50,
        ideal_answer: Some("Ownership".into()),
        rubric: vec!["mentions borrowing".into()],
        expected_duration_secs: 120,
    }
}

fn thresholds(pass: u8, fail: u8) -> Option<VerdictThresholds> {
    Some(VerdictThresholds { pass, fail })
}

fn create(actor: Actor, details: JobDetails, t: Option<VerdictThresholds>) -> C {
    C::Create {
        actor,
        job_id: JOB,
        company_id: COMPANY,
        details,
        thresholds: t,
        human_review_required: true,
    }
}

fn add(question_id: Uuid, q: Question) -> C {
    C::AddQuestion {
        actor: hr(),
        question_id,
        question: q,
    }
}

fn edit(question_id: Uuid, q: Question) -> C {
    C::EditQuestion {
        actor: hr(),
        question_id,
        question: q,
    }
}

fn reorder(order: &[Uuid]) -> C {
    C::ReorderQuestions {
        actor: hr(),
        order: order.to_vec(),
    }
}

/// One command of every kind but `Create`, issued by `actor`.
fn every_command(actor: Actor) -> Vec<C> {
    vec![
        C::Update {
            actor,
            details: with(|d| d.title = "New".into()),
        },
        C::Open { actor },
        C::Pause { actor },
        C::Close { actor },
        C::ChangeThresholds {
            actor,
            thresholds: thresholds(80, 30),
        },
        C::ChangeReviewPolicy {
            actor,
            human_review_required: false,
        },
        C::AddQuestion {
            actor,
            question_id: Q3,
            question: question("New?"),
        },
        C::EditQuestion {
            actor,
            question_id: Q1,
            question: question("Edited?"),
        },
        C::ReorderQuestions {
            actor,
            order: vec![Q2, Q1],
        },
        C::RemoveQuestion {
            actor,
            question_id: Q1,
        },
    ]
}

// Events and histories.

fn created_with(details: JobDetails) -> E {
    E::JobCreated {
        job_id: JOB,
        company_id: COMPANY,
        created_by: Some(HR_ID),
        details,
        thresholds: None,
        human_review_required: true,
    }
}

fn added(question_id: Uuid, text: &str) -> E {
    E::QuestionAdded {
        added_by: Some(HR_ID),
        question_id,
        question: question(text),
    }
}

fn and(mut history: Vec<E>, events: impl IntoIterator<Item = E>) -> Vec<E> {
    history.extend(events);
    history
}

/// A draft with two questions, Q1 then Q2.
fn draft() -> Vec<E> {
    vec![
        created_with(details()),
        added(Q1, "One?"),
        added(Q2, "Two?"),
    ]
}

fn open() -> Vec<E> {
    and(draft(), [E::JobOpened { opened_by: None }])
}

fn paused() -> Vec<E> {
    and(open(), [E::JobPaused { paused_by: None }])
}

fn closed() -> Vec<E> {
    and(draft(), [E::JobClosed { closed_by: None }])
}

fn fold(events: Vec<E>) -> Job {
    let mut job = Job::default();
    events.into_iter().for_each(|e| job.apply(e));
    job
}

// ---- Create ---------------------------------------------------------------------------------

#[test]
fn managers_create_a_draft_with_trimmed_details() {
    let raw = with(|d| {
        d.title = "  Backend Engineer \n".into();
        d.skills = vec![skill(" Rust ", 80), skill("SQL", 20)];
    });
    for (actor, by) in managers() {
        let expected = E::JobCreated {
            job_id: JOB,
            company_id: COMPANY,
            created_by: by,
            details: details(),
            thresholds: thresholds(70, 40),
            human_review_required: true,
        };
        let got = result(&[], create(actor, raw.clone(), thresholds(70, 40)));
        assert_eq!(got, Ok(vec![expected.clone()]), "{actor:?}");
        let job = fold(vec![expected]);
        assert_eq!(
            (job.status, job.company_id),
            (JobStatus::Draft, Some(COMPANY))
        );
    }
}

#[test]
fn outsiders_cannot_create_and_a_job_exists_once() {
    for actor in outsiders() {
        let got = result(&[], create(actor, details(), None));
        assert_eq!(got, Err(JobError::Forbidden), "{actor:?}");
    }
    let cmd = create(hr(), details(), None);
    given(draft())
        .when(cmd)
        .then_expect_error(JobError::AlreadyExists);
}

#[test]
fn thresholds_need_fail_below_pass_at_most_100() {
    for (pass, fail) in [(101, 40), (50, 50), (40, 50), (0, 0)] {
        let got = result(&[], create(hr(), details(), thresholds(pass, fail)));
        assert_eq!(got, Err(JobError::InvalidThresholds), "{pass}/{fail}");
    }
    for (pass, fail) in [(100, 99), (1, 0), (100, 0)] {
        assert!(result(&[], create(hr(), details(), thresholds(pass, fail))).is_ok());
    }
}

#[test]
fn details_are_validated_on_create_and_update() {
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(JobDetails, JobError)> = vec![
        (with(|d| d.title = "  ".into()), invalid("title", "empty")),
        (with(|d| d.title = long(201)), invalid("title", "too_long")),
        (
            with(|d| d.title = "a\nb".into()),
            invalid("title", "control_characters"),
        ),
        (
            with(|d| d.description = long(20_001)),
            invalid("description", "too_long"),
        ),
        (
            with(|d| d.description = "a\u{7}".into()),
            invalid("description", "control_characters"),
        ),
        (
            with(|d| d.requirements = long(20_001)),
            invalid("requirements", "too_long"),
        ),
        (
            with(|d| d.department = long(201)),
            invalid("department", "too_long"),
        ),
        (
            with(|d| d.location = "a\tb".into()),
            invalid("location", "control_characters"),
        ),
        (
            with(|d| {
                d.salary = Some(SalaryRange {
                    currency: "eur".into(),
                    min: 1,
                    max: 2,
                })
            }),
            invalid("salary_currency", "not_iso_4217"),
        ),
        (
            with(|d| {
                d.salary = Some(SalaryRange {
                    currency: "EURO".into(),
                    min: 1,
                    max: 2,
                })
            }),
            invalid("salary_currency", "not_iso_4217"),
        ),
        (
            with(|d| {
                d.salary = Some(SalaryRange {
                    currency: "EUR".into(),
                    min: 3,
                    max: 2,
                })
            }),
            invalid("salary", "min_above_max"),
        ),
        (
            with(|d| d.skills = vec![skill(" ", 10)]),
            invalid("skill_name", "empty"),
        ),
        (
            with(|d| d.skills = vec![skill(&long(101), 10)]),
            invalid("skill_name", "too_long"),
        ),
        (
            with(|d| d.skills = vec![skill("Rust", 0)]),
            invalid("skill_weight", "out_of_range"),
        ),
        (
            with(|d| d.skills = vec![skill("Rust", 101)]),
            invalid("skill_weight", "out_of_range"),
        ),
        (
            with(|d| d.skills = vec![skill("Rust", 1), skill(" rUST", 2)]),
            invalid("skills", "duplicate"),
        ),
        (
            with(|d| d.skills = (0..51).map(|i| skill(&i.to_string(), 1)).collect()),
            invalid("skills", "too_many"),
        ),
    ];
    for (d, err) in cases {
        assert_eq!(
            result(&[], create(hr(), d.clone(), None)),
            Err(err.clone()),
            "{d:?}"
        );
        let update = C::Update {
            actor: hr(),
            details: d,
        };
        assert_eq!(result(&draft(), update), Err(err));
    }
}

#[test]
fn details_accept_their_limits() {
    let long = |n: usize| "é".repeat(n);
    for d in [
        with(|d| d.title = long(200)),
        with(|d| d.description = long(20_000)),
        with(|d| d.requirements = String::new()),
        with(|d| (d.department, d.location) = (long(200), String::new())),
        with(|d| d.salary = None),
        with(|d| {
            d.salary = Some(SalaryRange {
                currency: "JPY".into(),
                min: 5,
                max: 5,
            })
        }),
        with(|d| d.skills = (0..50).map(|i| skill(&i.to_string(), 100)).collect()),
        with(|d| (d.description, d.skills) = (String::new(), vec![])),
    ] {
        assert!(result(&[], create(hr(), d.clone(), None)).is_ok(), "{d:?}");
    }
}

// ---- Common refusals ------------------------------------------------------------------------

#[test]
fn every_command_needs_an_existing_job() {
    for cmd in every_command(hr()) {
        assert_eq!(result(&[], cmd.clone()), Err(JobError::NotFound), "{cmd:?}");
    }
}

#[test]
fn only_managers_of_the_company_may_act() {
    for actor in outsiders() {
        for cmd in every_command(actor) {
            assert_eq!(
                result(&draft(), cmd.clone()),
                Err(JobError::Forbidden),
                "{cmd:?}"
            );
        }
    }
    for (actor, _) in managers() {
        for cmd in every_command(actor) {
            assert_ne!(
                result(&draft(), cmd.clone()),
                Err(JobError::Forbidden),
                "{cmd:?}"
            );
        }
    }
}

#[test]
fn a_closed_job_refuses_everything() {
    for history in [closed(), and(open(), [E::JobClosed { closed_by: None }])] {
        for cmd in every_command(hr()) {
            assert_eq!(
                result(&history, cmd.clone()),
                Err(JobError::Closed),
                "{cmd:?}"
            );
        }
    }
}
