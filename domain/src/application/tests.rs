//! Given/when/then tests for the application aggregate: every command, refusal and status pair.

use super::{
    Application, ApplicationCommand as C, ApplicationError as Error, ApplicationEvent as E,
    ApplicationSource as Src, ApplicationStatus as S, JobStatusView as J, StatusChange,
    allowed_next, application_id, normalize_reason, status_history,
};
use crate::{Actor, PersonalText, Role, Sealed};
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use uuid::Uuid;

mod apply;
mod interview;
mod status;
mod withdraw;

const COMPANY: Uuid = Uuid::from_u128(0xC0);
const OTHER_COMPANY: Uuid = Uuid::from_u128(0xC1);
const JOB: Uuid = Uuid::from_u128(0x10B);
const CANDIDATE: Uuid = Uuid::from_u128(0xCA);
const CANDIDATE_USER: Uuid = Uuid::from_u128(0xCA05);
/// What events record for the linked candidate.
const ME: Option<Uuid> = Some(CANDIDATE_USER);
const ADMIN_ID: Uuid = Uuid::from_u128(0xAD);
const HR_ID: Uuid = Uuid::from_u128(0x11);
const EMPLOYEE_ID: Uuid = Uuid::from_u128(0xE0);
const OTHER_EMPLOYEE_ID: Uuid = Uuid::from_u128(0xE1);
const INTERVIEW: Uuid = Uuid::from_u128(0x1D);

// ---- helpers --------------------------------------------------------------------------------

fn given(events: Vec<E>) -> AggregateTestExecutor<Application> {
    TestFramework::<Application>::with(()).given(events)
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("valid timestamp")
}

fn app_id() -> Uuid {
    application_id(JOB, CANDIDATE)
}

fn user(user_id: Uuid, role: Role, company_id: Option<Uuid>) -> Actor {
    Actor::User {
        user_id,
        role,
        company_id,
    }
}

fn admin() -> Actor {
    user(ADMIN_ID, Role::SystemAdmin, None)
}

fn hr(company: Uuid) -> Actor {
    user(HR_ID, Role::Hr, Some(company))
}

fn employee(user_id: Uuid, company: Uuid) -> Actor {
    user(user_id, Role::Employee, Some(company))
}

fn candidate() -> Actor {
    user(CANDIDATE_USER, Role::Candidate, Some(COMPANY))
}

/// Every actor that manages `COMPANY`, with the id its events record.
fn managers() -> [(Actor, Option<Uuid>); 3] {
    [
        (admin(), Some(ADMIN_ID)),
        (Actor::System, None),
        (hr(COMPANY), Some(HR_ID)),
    ]
}

/// Actors who neither manage `COMPANY` nor are the linked candidate.
fn strangers() -> Vec<Actor> {
    vec![
        Actor::Anonymous,
        hr(OTHER_COMPANY),
        user(HR_ID, Role::Hr, None),
        employee(EMPLOYEE_ID, COMPANY),
        user(Uuid::from_u128(0xCB), Role::Candidate, Some(COMPANY)),
    ]
}

fn outcome(history: Vec<E>, cmd: C) -> Result<Vec<E>, Error> {
    given(history).when(cmd).inspect_result()
}

/// Runs `cmd` on `history` and expects it refused with `err`.
fn refused(history: Vec<E>, cmd: C, err: Error) {
    let result = outcome(history, cmd.clone());
    assert_eq!(result, Err(err), "{cmd:?}");
}

fn apply_as(
    actor: Actor,
    source: Src,
    link: Option<Uuid>,
    application_id: Uuid,
    job_status: J,
) -> C {
    C::Apply {
        actor,
        application_id,
        job_id: JOB,
        candidate_id: CANDIDATE,
        candidate_user_id: link,
        company_id: COMPANY,
        job_status,
        source,
        at: at(),
    }
}

/// The linked candidate applying on the portal, with the given id and job status.
fn apply_to(id: Uuid, job_status: J) -> C {
    let (portal, link) = (Src::Portal, ME);
    apply_as(candidate(), portal, link, id, job_status)
}

/// What the command layer makes of a reason: sealed under the candidate's key (the domain never
/// opens it, so the "ciphertext" here is the text itself).
fn seal(reason: &str) -> Sealed {
    Sealed {
        subject: CANDIDATE,
        ct: reason.to_owned(),
    }
}

/// A reason as an event records it.
fn recorded(reason: Option<&str>) -> Option<PersonalText> {
    reason.map(|r| PersonalText::Sealed(seal(r)))
}

fn change(actor: Actor, to: S, reason: Option<&str>) -> C {
    change_assigned(actor, to, reason, None)
}

/// `ChangeStatus` on an application whose candidate is assigned to `assignee`.
fn change_assigned(actor: Actor, to: S, reason: Option<&str>, assignee: Option<Uuid>) -> C {
    C::ChangeStatus {
        actor,
        to,
        reason: reason.map(seal),
        at: at(),
        candidate_assignee: assignee,
    }
}

fn record_interview(actor: Actor, interview_id: Uuid) -> C {
    C::RecordInterviewScheduled {
        actor,
        interview_id,
        at: at(),
    }
}

fn withdraw(actor: Actor, reason: Option<&str>) -> C {
    C::Withdraw {
        actor,
        candidate_user_id: None,
        reason: reason.map(seal),
        at: at(),
    }
}

fn submitted(source: Src, link: Option<Uuid>, by: Option<Uuid>) -> E {
    E::ApplicationSubmitted {
        application_id: app_id(),
        job_id: JOB,
        candidate_id: CANDIDATE,
        candidate_user_id: link,
        company_id: COMPANY,
        source,
        submitted_by: by,
        at: at(),
    }
}

fn changed(from: S, to: S, by: Option<Uuid>, reason: Option<&str>) -> E {
    E::ApplicationStatusChanged {
        from,
        to,
        by,
        reason: recorded(reason),
        at: at(),
    }
}

fn withdrawn(from: S, by: Option<Uuid>, reason: Option<&str>) -> E {
    E::ApplicationWithdrawn {
        from,
        by,
        reason: recorded(reason),
        at: at(),
    }
}

/// Events that bring an application linked to `CANDIDATE_USER` to `status`.
fn history(status: S) -> Vec<E> {
    let mut events = vec![submitted(Src::Portal, ME, ME)];
    match status {
        S::Rejected => events.push(changed(S::Applied, S::Rejected, Some(HR_ID), Some("no"))),
        S::Withdrawn => events.push(withdrawn(S::Applied, ME, None)),
        _ => {
            for pair in S::ALL[..6].windows(2).take_while(|w| w[0] != status) {
                events.push(changed(pair[0], pair[1], Some(HR_ID), None));
            }
        }
    }
    events
}

/// The legal moves, written out independently of `allowed_next`.
fn legal(from: S, to: S) -> bool {
    let forward = [
        (S::Applied, S::Screening),
        (S::Screening, S::Shortlisted),
        (S::Shortlisted, S::InterviewScheduled),
        (S::InterviewScheduled, S::Offered),
        (S::Offered, S::Hired),
    ];
    let live = !matches!(from, S::Hired | S::Rejected | S::Withdrawn);
    forward.contains(&(from, to)) || (live && matches!(to, S::Rejected | S::Withdrawn))
}

// ---- application_id -------------------------------------------------------------------------

#[test]
fn application_id_is_deterministic_v5_and_distinct_per_job_and_candidate() {
    let id = application_id(JOB, CANDIDATE);
    assert_eq!(id, application_id(JOB, CANDIDATE));
    assert_eq!(id.get_version_num(), 5);
    assert_ne!(id, application_id(JOB, Uuid::from_u128(0xCB)));
    assert_ne!(id, application_id(Uuid::from_u128(0x10C), CANDIDATE));
    assert_ne!(id, application_id(CANDIDATE, JOB));
}

#[test]
fn commands_on_an_unknown_application_are_not_found() {
    for actor in [admin(), Actor::System, hr(COMPANY), candidate()] {
        for cmd in [
            change(actor, S::Screening, None),
            change(actor, S::Rejected, Some("r")),
            change_assigned(actor, S::Screening, None, actor.user_id()),
            record_interview(actor, INTERVIEW),
            withdraw(actor, None),
        ] {
            refused(vec![], cmd, Error::NotFound);
        }
    }
}

// ---- Reasons (shared by ChangeStatus and Withdraw) -----------------------------------------

type Recorded = Result<Option<String>, Error>;

/// Reasons as sent, and what is recorded: the trimmed reason, `None` when absent or blank, or
/// the refusal of a reason over 1000 characters ([`normalize_reason`], then sealed).
fn reason_cases() -> Vec<(Option<String>, Recorded)> {
    let long = || Err(Error::InvalidReason);
    vec![
        (None, Ok(None)),
        (Some(String::new()), Ok(None)),
        (Some(" \n\t ".into()), Ok(None)),
        (Some("x".repeat(1001)), long()),
        (Some(format!(" {} ", "y".repeat(1001))), long()),
        (Some("x".into()), Ok(Some("x".into()))),
        (Some("  not a fit \n".into()), Ok(Some("not a fit".into()))),
        (Some("x".repeat(1000)), Ok(Some("x".repeat(1000)))),
        (Some("é".repeat(1000)), Ok(Some("é".repeat(1000)))),
        (
            Some(format!("  {}  ", "z".repeat(1000))),
            Ok(Some("z".repeat(1000))),
        ),
    ]
}

// ---- History, names, events -----------------------------------------------------------------

#[test]
fn status_history_is_read_from_the_events() {
    let mut events = history(S::Offered);
    events.push(withdrawn(S::Offered, ME, Some("moved")));
    let row = |from, to, by, reason: Option<&str>| StatusChange {
        from,
        to,
        by,
        reason: recorded(reason),
        at: at(),
    };
    let hr = Some(HR_ID);
    let expected = vec![
        row(None, S::Applied, ME, None),
        row(Some(S::Applied), S::Screening, hr, None),
        row(Some(S::Screening), S::Shortlisted, hr, None),
        row(Some(S::Shortlisted), S::InterviewScheduled, hr, None),
        row(Some(S::InterviewScheduled), S::Offered, hr, None),
        row(Some(S::Offered), S::Withdrawn, ME, Some("moved")),
    ];
    assert_eq!(status_history(&events), expected);
}

#[test]
fn event_types_and_versions_are_stable() {
    let mut events = history(S::Screening);
    events.push(withdrawn(S::Screening, ME, None));
    let types: Vec<_> = events.iter().map(DomainEvent::event_type).collect();
    let expected = [
        "ApplicationSubmitted",
        "ApplicationStatusChanged",
        "ApplicationWithdrawn",
    ];
    assert_eq!(types, expected);
    let versions: Vec<_> = events.iter().map(DomainEvent::event_version).collect();
    assert_eq!(versions, ["1.0", "2.0", "2.0"]);
}

#[test]
fn status_names_are_stable_and_round_trip() {
    let names =
        "APPLIED SCREENING SHORTLISTED INTERVIEW_SCHEDULED OFFERED HIRED REJECTED WITHDRAWN";
    for (status, name) in S::ALL.into_iter().zip(names.split(' ')) {
        assert_eq!(status.as_str(), name);
        assert_eq!(S::parse(name), Some(status));
        assert_eq!(serde_json::to_value(status).expect("serializes"), name);
    }
    assert_eq!(S::parse("applied"), None);
}

#[test]
fn reasons_sealed_for_anyone_but_the_candidate_are_refused() {
    let stranger = Sealed {
        subject: Uuid::from_u128(0xBAD),
        ct: "not a fit".into(),
    };
    let reject = C::ChangeStatus {
        actor: hr(COMPANY),
        to: S::Rejected,
        reason: Some(stranger.clone()),
        at: at(),
        candidate_assignee: None,
    };
    refused(history(S::Applied), reject, Error::WrongDataSubject);
    let leave = C::Withdraw {
        actor: candidate(),
        candidate_user_id: None,
        reason: Some(stranger),
        at: at(),
    };
    refused(history(S::Applied), leave, Error::WrongDataSubject);
}

#[test]
fn reasons_recorded_in_clear_by_version_1_still_read() {
    let v1 = serde_json::json!({"ApplicationStatusChanged": {
        "from": "APPLIED", "to": "REJECTED", "by": null, "reason": "not a fit",
        "at": "2023-11-14T22:13:20Z"}});
    let event: E = serde_json::from_value(v1).expect("a version 1.0 event reads");
    let E::ApplicationStatusChanged { reason, .. } = event else {
        panic!("wrong event");
    };
    assert_eq!(reason, Some(PersonalText::Clear("not a fit".into())));
}
