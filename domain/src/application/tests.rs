//! Given/when/then tests for the application aggregate: every command, refusal and status pair.

use super::{
    Application, ApplicationCommand as C, ApplicationError as Error, ApplicationEvent as E,
    ApplicationSource as Src, ApplicationStatus as S, JobStatusView as J, StatusChange,
    allowed_next, application_id, status_history,
};
use crate::{Actor, Role};
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use uuid::Uuid;

const COMPANY: Uuid = Uuid::from_u128(0xC0);
const OTHER_COMPANY: Uuid = Uuid::from_u128(0xC1);
const JOB: Uuid = Uuid::from_u128(0x10B);
const CANDIDATE: Uuid = Uuid::from_u128(0xCA);
const CANDIDATE_USER: Uuid = Uuid::from_u128(0xCA05);
/// What events record for the linked candidate.
const ME: Option<Uuid> = Some(CANDIDATE_USER);
const ADMIN_ID: Uuid = Uuid::from_u128(0xAD);
const HR_ID: Uuid = Uuid::from_u128(0x11);

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
        user(Uuid::from_u128(0xE0), Role::Employee, Some(COMPANY)),
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

fn change(actor: Actor, to: S, reason: Option<&str>) -> C {
    C::ChangeStatus {
        actor,
        to,
        reason: reason.map(Into::into),
        at: at(),
    }
}

fn withdraw(actor: Actor, reason: Option<&str>) -> C {
    C::Withdraw {
        actor,
        reason: reason.map(Into::into),
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
        reason: reason.map(Into::into),
        at: at(),
    }
}

fn withdrawn(from: S, by: Option<Uuid>, reason: Option<&str>) -> E {
    E::ApplicationWithdrawn {
        from,
        by,
        reason: reason.map(Into::into),
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

// ---- Apply ----------------------------------------------------------------------------------

#[test]
fn apply_records_the_submission_for_every_permitted_actor() {
    let mut cases = vec![
        (Actor::Anonymous, Src::Portal, None, None),
        (candidate(), Src::Portal, ME, ME),
    ];
    for (actor, by) in managers() {
        for source in [Src::Portal, Src::Hr, Src::Import] {
            for link in [None, ME] {
                cases.push((actor, source, link, by));
            }
        }
    }
    for (actor, source, link, by) in cases {
        given(vec![])
            .when(apply_as(actor, source, link, app_id(), J::Open))
            .then_expect_events(vec![submitted(source, link, by)]);
    }
}

#[test]
fn apply_is_refused_for_everyone_else() {
    let other_user = Some(Uuid::from_u128(0xCB));
    let as_user = |role, company| user(CANDIDATE_USER, role, company);
    let elsewhere = as_user(Role::Candidate, Some(OTHER_COMPANY));
    let cases = [
        (Actor::Anonymous, Src::Hr, None),
        (Actor::Anonymous, Src::Import, None),
        (Actor::Anonymous, Src::Portal, ME),
        (candidate(), Src::Portal, None),
        (candidate(), Src::Portal, other_user),
        (candidate(), Src::Hr, ME),
        (candidate(), Src::Import, ME),
        (elsewhere, Src::Portal, ME),
        (as_user(Role::Candidate, None), Src::Portal, ME),
        (as_user(Role::Employee, Some(COMPANY)), Src::Portal, ME),
        (hr(OTHER_COMPANY), Src::Hr, None),
        (user(HR_ID, Role::Hr, None), Src::Hr, None),
    ];
    for (actor, source, link) in cases {
        let cmd = apply_as(actor, source, link, app_id(), J::Open);
        refused(vec![], cmd, Error::Forbidden);
    }
}

#[test]
fn applying_twice_is_refused_in_every_state() {
    for status in S::ALL {
        for job_status in [J::Open, J::Closed] {
            let cmd = apply_to(app_id(), job_status);
            refused(history(status), cmd, Error::AlreadyApplied);
        }
    }
}

#[test]
fn applying_to_a_job_that_is_not_open_is_refused() {
    for job_status in [J::Draft, J::Paused, J::Closed] {
        refused(vec![], apply_to(app_id(), job_status), Error::JobNotOpen);
    }
}

#[test]
fn apply_with_an_id_other_than_the_derived_one_is_refused() {
    for wrong in [
        Uuid::from_u128(0xBAD),
        application_id(CANDIDATE, JOB),
        application_id(JOB, Uuid::from_u128(0xCB)),
    ] {
        for history in [vec![], history(S::Applied)] {
            let cmd = apply_to(wrong, J::Open);
            refused(history, cmd, Error::IdMismatch);
        }
    }
}

// ---- ChangeStatus ---------------------------------------------------------------------------

#[test]
fn commands_on_an_unknown_application_are_not_found() {
    for actor in [admin(), Actor::System, hr(COMPANY), candidate()] {
        for cmd in [
            change(actor, S::Screening, None),
            change(actor, S::Rejected, Some("r")),
            withdraw(actor, None),
        ] {
            refused(vec![], cmd, Error::NotFound);
        }
    }
}

#[test]
fn every_status_pair_is_allowed_or_refused_by_the_workflow() {
    for from in S::ALL {
        for to in S::ALL {
            for (actor, by) in managers() {
                let result = outcome(history(from), change(actor, to, Some("why")));
                let expected = if from.is_final() {
                    Err(Error::Final)
                } else if to == S::Withdrawn {
                    Err(Error::UseWithdraw)
                } else if legal(from, to) {
                    Ok(vec![changed(from, to, by, Some("why"))])
                } else {
                    Err(Error::IllegalTransition { from, to })
                };
                assert_eq!(result, expected, "{from:?} -> {to:?} by {actor:?}");
            }
        }
    }
}

#[test]
fn allowed_next_lists_exactly_the_legal_moves() {
    for from in S::ALL {
        for to in S::ALL {
            assert_eq!(
                allowed_next(from).contains(&to),
                legal(from, to),
                "{from:?} -> {to:?}"
            );
        }
        assert_eq!(allowed_next(from).is_empty(), from.is_final(), "{from:?}");
    }
}

#[test]
fn change_status_is_refused_for_non_managers_including_the_candidate() {
    let mut actors = strangers();
    actors.push(candidate());
    for actor in actors {
        for to in [S::Screening, S::Rejected] {
            refused(
                history(S::Applied),
                change(actor, to, Some("r")),
                Error::Forbidden,
            );
        }
    }
}

#[test]
fn rejecting_requires_a_non_blank_reason() {
    for from in [S::Applied, S::Screening, S::Offered] {
        for reason in [None, Some(""), Some("  \n\t ")] {
            refused(
                history(from),
                change(hr(COMPANY), S::Rejected, reason),
                Error::ReasonRequired,
            );
        }
    }
}

type Recorded = Result<Option<String>, Error>;

/// Reasons as sent, and what is recorded: the trimmed reason, `None` when absent or blank, or
/// the refusal of a reason over 1000 characters.
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

#[test]
fn change_status_reasons_are_optional_trimmed_and_limited_to_1000_chars() {
    for to in [S::Screening, S::Rejected] {
        for (reason, recorded) in reason_cases() {
            let cmd = change(hr(COMPANY), to, reason.as_deref());
            let expected = match recorded {
                Ok(None) if to == S::Rejected => Err(Error::ReasonRequired),
                Ok(r) => Ok(vec![changed(S::Applied, to, Some(HR_ID), r.as_deref())]),
                Err(e) => Err(e),
            };
            assert_eq!(
                outcome(history(S::Applied), cmd),
                expected,
                "{to:?} {reason:?}"
            );
        }
    }
}

// ---- Withdraw -------------------------------------------------------------------------------

#[test]
fn the_candidate_or_a_manager_withdraws_from_every_non_final_status() {
    let mut actors = managers().to_vec();
    actors.push((candidate(), ME));
    for from in S::ALL.into_iter().filter(|s| !s.is_final()) {
        for (actor, by) in &actors {
            given(history(from))
                .when(withdraw(*actor, Some(" found another job ")))
                .then_expect_events(vec![withdrawn(from, *by, Some("found another job"))]);
        }
    }
}

#[test]
fn withdrawing_a_final_application_is_refused() {
    for from in [S::Hired, S::Rejected, S::Withdrawn] {
        for actor in [candidate(), hr(COMPANY), admin()] {
            refused(history(from), withdraw(actor, None), Error::Final);
        }
    }
}

#[test]
fn withdraw_is_refused_for_anyone_but_the_linked_candidate_and_managers() {
    let screening = history(S::Screening);
    for actor in strangers() {
        refused(screening.clone(), withdraw(actor, None), Error::Forbidden);
    }
    // Submitted anonymously: nobody is linked, so no candidate user may withdraw it.
    let unlinked = vec![submitted(Src::Portal, None, None)];
    for actor in [candidate(), Actor::Anonymous] {
        refused(unlinked.clone(), withdraw(actor, None), Error::Forbidden);
    }
}

#[test]
fn withdraw_reasons_are_optional_trimmed_and_limited_to_1000_chars() {
    for (reason, recorded) in reason_cases() {
        let result = outcome(
            history(S::Applied),
            withdraw(candidate(), reason.as_deref()),
        );
        let expected = recorded.map(|r| vec![withdrawn(S::Applied, ME, r.as_deref())]);
        assert_eq!(result, expected, "{reason:?}");
    }
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
        reason: reason.map(Into::into),
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
    assert!(events.iter().all(|e| e.event_version() == "1.0"));
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
