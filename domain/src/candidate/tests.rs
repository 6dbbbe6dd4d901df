//! Given/when/then tests for the candidate aggregate: every command, every rule, every refusal.

use super::{
    AssigneeView, Candidate, CandidateCommand as C, CandidateError, CandidateEvent as E,
    CandidateProfile, CandidateSource, CandidateStatus, normalize_position, normalize_tags,
};
use crate::{Actor, InvalidValue, PersonalText, Role, Sealed};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

mod lifecycle;
mod profile;

const CANDIDATE: Uuid = Uuid::from_u128(0xCA);
const COMPANY: Uuid = Uuid::from_u128(0xC0);
const OTHER_COMPANY: Uuid = Uuid::from_u128(0xC1);
const ADMIN_ID: Uuid = Uuid::from_u128(0xAD);
const HR_ID: Uuid = Uuid::from_u128(0x11);
const EMPLOYEE_ID: Uuid = Uuid::from_u128(0xE0);
const OTHER_EMPLOYEE_ID: Uuid = Uuid::from_u128(0xE1);
const CANDIDATE_USER: Uuid = Uuid::from_u128(0xCA05);
const IMPORT: Uuid = Uuid::from_u128(0x1A);

// ---- helpers --------------------------------------------------------------------------------

fn given(events: Vec<E>) -> AggregateTestExecutor<Candidate> {
    TestFramework::<Candidate>::with(()).given(events)
}

fn result(history: &[E], cmd: C) -> Result<Vec<E>, CandidateError> {
    given(history.to_vec()).when(cmd).inspect_result()
}

/// Runs `cmd` on `history` and expects it refused with `err`.
fn refused(history: &[E], cmd: C, err: CandidateError) {
    assert_eq!(result(history, cmd.clone()), Err(err), "{cmd:?}");
}

fn fold(history: Vec<E>) -> Candidate {
    let mut candidate = Candidate::default();
    for event in history {
        candidate.apply(event);
    }
    candidate
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

/// Everyone who does not manage `COMPANY`, the candidate's own user account included.
fn outsiders() -> [Actor; 6] {
    [
        Actor::Anonymous,
        user(HR_ID, Role::Hr, Some(OTHER_COMPANY)),
        user(HR_ID, Role::Hr, None),
        user(EMPLOYEE_ID, Role::Employee, Some(COMPANY)),
        user(CANDIDATE_USER, Role::Candidate, Some(COMPANY)),
        user(ADMIN_ID, Role::Employee, Some(OTHER_COMPANY)),
    ]
}

fn invalid(field: &'static str, reason: &'static str) -> CandidateError {
    CandidateError::Invalid(InvalidValue { field, reason })
}

fn sealed(subject: Uuid, ct: &str) -> Sealed {
    Sealed {
        subject,
        ct: ct.into(),
    }
}

/// Clear text about the candidate as the command layer passes it on: sealed under their key (the
/// domain never opens it, so the "ciphertext" is the text itself).
fn text(clear: &str) -> PersonalText {
    PersonalText::Sealed(sealed(CANDIDATE, clear))
}

fn tags(clear: &[&str]) -> Vec<PersonalText> {
    clear.iter().map(|t| text(t)).collect()
}

fn profile() -> CandidateProfile {
    CandidateProfile {
        name: sealed(CANDIDATE, "name"),
        email: sealed(CANDIDATE, "email"),
        phone: Some(sealed(CANDIDATE, "phone")),
        qualifications: Some(sealed(CANDIDATE, "[quals]")),
        position: text("Backend Engineer"),
        domain: "Fintech".into(),
        experience_years: 7,
        source: CandidateSource::Manual,
        tags: tags(&["Rust", "remote"]),
    }
}

fn with(f: impl FnOnce(&mut CandidateProfile)) -> CandidateProfile {
    let mut p = profile();
    f(&mut p);
    p
}

fn create_as(actor: Actor, profile: CandidateProfile) -> C {
    C::Create {
        actor,
        candidate_id: CANDIDATE,
        company_id: COMPANY,
        profile,
        user_id: None,
        import_id: None,
    }
}

fn update(actor: Actor, profile: CandidateProfile) -> C {
    C::Update { actor, profile }
}

fn employee(user_id: Uuid, company_id: Option<Uuid>, role: Role, active: bool) -> AssigneeView {
    AssigneeView {
        user_id,
        company_id,
        role,
        active,
    }
}

/// An active employee of `COMPANY`.
fn colleague(user_id: Uuid) -> Option<AssigneeView> {
    Some(employee(user_id, Some(COMPANY), Role::Employee, true))
}

fn assign(actor: Actor, assignee: Option<AssigneeView>) -> C {
    C::Assign { actor, assignee }
}

fn link(actor: Actor, user_id: Uuid) -> C {
    C::LinkUser { actor, user_id }
}

/// One command of every kind but `Create`, issued by `actor`; each would succeed on `active()`.
fn every_command(actor: Actor) -> Vec<C> {
    vec![
        update(actor, with(|p| p.position = text("CTO"))),
        assign(actor, colleague(EMPLOYEE_ID)),
        link(actor, CANDIDATE_USER),
        C::Delete { actor },
    ]
}

// Events and histories.

fn created_with(profile: CandidateProfile) -> E {
    E::CandidateCreated {
        candidate_id: CANDIDATE,
        company_id: COMPANY,
        created_by: Some(HR_ID),
        profile,
        user_id: None,
        import_id: None,
    }
}

fn assigned(employee_id: Uuid) -> E {
    E::CandidateAssigned {
        assigned_by: Some(HR_ID),
        employee_id,
    }
}

fn linked(user_id: Uuid) -> E {
    E::CandidateLinkedToUser {
        linked_by: Some(HR_ID),
        user_id,
    }
}

fn and(mut history: Vec<E>, more: impl IntoIterator<Item = E>) -> Vec<E> {
    history.extend(more);
    history
}

fn active() -> Vec<E> {
    vec![created_with(profile())]
}

fn deleted() -> Vec<E> {
    and(
        active(),
        [
            assigned(EMPLOYEE_ID),
            E::CandidateDeleted {
                deleted_by: Some(HR_ID),
            },
        ],
    )
}

// ---- existence and authority ----------------------------------------------------------------

#[test]
fn every_command_on_an_unknown_candidate_is_not_found() {
    for (actor, _) in managers() {
        for cmd in every_command(actor) {
            refused(&[], cmd, CandidateError::NotFound);
        }
    }
}

#[test]
fn every_command_is_refused_for_outsiders() {
    for actor in outsiders() {
        refused(&[], create_as(actor, profile()), CandidateError::Forbidden);
        for history in [active(), deleted()] {
            for cmd in every_command(actor) {
                refused(&history, cmd, CandidateError::Forbidden);
            }
        }
    }
}

#[test]
fn a_deleted_candidate_refuses_every_command() {
    for (actor, _) in managers() {
        refused(
            &deleted(),
            create_as(actor, profile()),
            CandidateError::Deleted,
        );
        for cmd in every_command(actor) {
            refused(&deleted(), cmd, CandidateError::Deleted);
        }
    }
}

#[test]
fn every_command_succeeds_for_every_manager() {
    for (actor, by) in managers() {
        for cmd in every_command(actor) {
            let events = result(&active(), cmd.clone()).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
            let recorded = match events.as_slice() {
                [
                    E::CandidateUpdated { updated_by: b, .. }
                    | E::CandidateAssigned { assigned_by: b, .. }
                    | E::CandidateLinkedToUser { linked_by: b, .. }
                    | E::CandidateDeleted { deleted_by: b },
                ] => *b,
                other => panic!("{other:?}"),
            };
            assert_eq!(recorded, by, "{cmd:?}");
        }
    }
}

// ---- contract -------------------------------------------------------------------------------

#[test]
fn event_types_versions_and_aggregate_type_are_stable() {
    let events = and(
        active(),
        [
            E::CandidateUpdated {
                updated_by: None,
                profile: profile(),
            },
            assigned(EMPLOYEE_ID),
            E::CandidateUnassigned {
                unassigned_by: None,
            },
            linked(CANDIDATE_USER),
            E::CandidateDeleted { deleted_by: None },
        ],
    );
    let types: Vec<_> = events.iter().map(DomainEvent::event_type).collect();
    let expected = [
        "CandidateCreated",
        "CandidateUpdated",
        "CandidateAssigned",
        "CandidateUnassigned",
        "CandidateLinkedToUser",
        "CandidateDeleted",
    ];
    assert_eq!(types, expected);
    let versions: Vec<_> = events.iter().map(DomainEvent::event_version).collect();
    assert_eq!(versions, ["2.0", "2.0", "1.0", "1.0", "1.0", "1.0"]);
    assert_eq!(Candidate::TYPE, "candidate");
}

#[test]
fn events_round_trip_through_json_in_the_external_tagged_form() {
    for event in and(active(), [assigned(EMPLOYEE_ID)]) {
        let json = serde_json::to_value(&event).expect("serializes");
        assert!(json.get(event.event_type()).is_some(), "{json}");
        let back: E = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, event);
    }
}

#[test]
fn source_and_status_names_are_stable() {
    let names = "MANUAL IMPORT PORTAL REFERRAL AGENCY OTHER";
    for (source, name) in CandidateSource::ALL.into_iter().zip(names.split(' ')) {
        assert_eq!(source.as_str(), name);
        assert_eq!(CandidateSource::parse(name), Some(source));
        assert_eq!(serde_json::to_value(source).expect("serializes"), name);
    }
    assert_eq!(CandidateSource::parse("manual"), None);
    let statuses = [
        (CandidateStatus::None, "NONE"),
        (CandidateStatus::Active, "ACTIVE"),
        (CandidateStatus::Deleted, "DELETED"),
    ];
    for (status, name) in statuses {
        assert_eq!(status.as_str(), name);
        assert_eq!(serde_json::to_value(status).expect("serializes"), name);
    }
}
