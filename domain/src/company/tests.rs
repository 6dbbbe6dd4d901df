//! Given/when/then tests for the company aggregate: every command, every refusal.

use super::{
    Company, CompanyCommand as C, CompanyError, CompanyEvent as E, CompanySettings, ContactPerson,
};
use crate::{Actor, CompanyName, DomainName, Role, Sealed};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use uuid::Uuid;

const COMPANY: Uuid = Uuid::from_u128(0xC0);
const OTHER_COMPANY: Uuid = Uuid::from_u128(0xC1);
const CONTACT: Uuid = Uuid::from_u128(0xA0);
const ADMIN_ID: Uuid = Uuid::from_u128(0xAD);
const HR_ID: Uuid = Uuid::from_u128(0x11);

// ---- helpers --------------------------------------------------------------------------------

fn given(events: Vec<E>) -> AggregateTestExecutor<Company> {
    TestFramework::<Company>::with(()).given(events)
}

fn name(s: &str) -> CompanyName {
    CompanyName::parse(s).expect("valid company name")
}

fn domain(s: &str) -> DomainName {
    DomainName::parse(s).expect("valid domain")
}

fn sealed(subject: Uuid, ct: &str) -> Sealed {
    Sealed {
        subject,
        ct: ct.into(),
    }
}

fn settings(pass_threshold: u8, fail_threshold: u8) -> CompanySettings {
    CompanySettings {
        pass_threshold,
        fail_threshold,
    }
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

/// Everyone who does not manage `COMPANY`.
fn outsiders() -> Vec<Actor> {
    vec![
        Actor::Anonymous,
        hr(OTHER_COMPANY),
        user(HR_ID, Role::Hr, None),
        user(Uuid::from_u128(0xE0), Role::Employee, Some(COMPANY)),
        user(Uuid::from_u128(0xCA), Role::Candidate, Some(COMPANY)),
    ]
}

/// Everyone who is not a platform admin, own HR included.
fn non_admins() -> Vec<Actor> {
    let mut actors = outsiders();
    actors.push(hr(COMPANY));
    actors
}

/// The platform admins, with the id their events record.
fn admins() -> [(Actor, Option<Uuid>); 2] {
    [(admin(), Some(ADMIN_ID)), (Actor::System, None)]
}

/// Every actor that manages `COMPANY`, with the id its events record.
fn managers() -> Vec<(Actor, Option<Uuid>)> {
    let mut actors = admins().to_vec();
    actors.push((hr(COMPANY), Some(HR_ID)));
    actors
}

/// Runs `cmd(actor)` for each actor and expects the same error, naming the command on failure.
fn refused_for_each(
    history: &[E],
    actors: Vec<Actor>,
    cmd: impl Fn(Actor) -> C,
    err: CompanyError,
) {
    for actor in actors {
        let result = given(history.to_vec()).when(cmd(actor)).inspect_result();
        assert_eq!(result, Err(err), "{:?}", cmd(actor));
    }
}

// Commands.

fn request() -> C {
    C::RequestRegistration {
        company_id: COMPANY,
        name: name("Acme"),
        domain: domain("acme.io"),
        contact: contact(),
    }
}

fn approve(actor: Actor) -> C {
    C::Approve { actor }
}

fn reject(actor: Actor, reason: &str) -> C {
    C::Reject {
        actor,
        reason: reason.into(),
    }
}

fn deactivate(actor: Actor, reason: &str) -> C {
    C::Deactivate {
        actor,
        reason: reason.into(),
    }
}

fn reactivate(actor: Actor) -> C {
    C::Reactivate { actor }
}

fn update(actor: Actor, n: Option<&str>, d: Option<&str>) -> C {
    C::UpdateProfile {
        actor,
        name: n.map(name),
        domain: d.map(domain),
    }
}

fn change(actor: Actor, settings: CompanySettings) -> C {
    C::ChangeSettings { actor, settings }
}

// Events and histories.

fn contact() -> ContactPerson {
    ContactPerson {
        person_id: CONTACT,
        name: sealed(CONTACT, "name-ct"),
        email: sealed(CONTACT, "email-ct"),
    }
}

fn requested() -> E {
    E::CompanyRegistrationRequested {
        company_id: COMPANY,
        name: name("Acme"),
        domain: domain("acme.io"),
        contact: contact(),
    }
}

fn rejected_event(by: Option<Uuid>, reason: &str) -> E {
    E::CompanyRegistrationRejected {
        rejected_by: by,
        reason: reason.into(),
    }
}

fn deactivated_event(by: Option<Uuid>, reason: &str) -> E {
    E::CompanyDeactivated {
        deactivated_by: by,
        reason: reason.into(),
    }
}

fn profile_updated(by: Option<Uuid>, n: Option<&str>, d: Option<&str>) -> E {
    E::CompanyProfileUpdated {
        updated_by: by,
        name: n.map(name),
        domain: d.map(domain),
    }
}

fn settings_changed(by: Option<Uuid>, settings: CompanySettings) -> E {
    E::CompanySettingsChanged {
        changed_by: by,
        settings,
    }
}

fn and(mut history: Vec<E>, event: E) -> Vec<E> {
    history.push(event);
    history
}

fn pending() -> Vec<E> {
    vec![requested()]
}

fn active() -> Vec<E> {
    let approved = E::CompanyApproved {
        approved_by: Some(ADMIN_ID),
        first_hr_user_id: CONTACT,
    };
    and(pending(), approved)
}

fn rejected() -> Vec<E> {
    and(pending(), rejected_event(Some(ADMIN_ID), "spam"))
}

fn deactivated() -> Vec<E> {
    and(active(), deactivated_event(Some(ADMIN_ID), "unpaid"))
}

/// Reasons as sent, and the (trimmed) reason recorded or `None` when refused as invalid.
fn reason_cases() -> Vec<(String, Option<String>)> {
    vec![
        (String::new(), None),
        ("   \n\t ".into(), None),
        ("x".repeat(1001), None),
        (format!(" {} ", "y".repeat(1001)), None),
        ("x".into(), Some("x".into())),
        (
            "  looks like spam \n".into(),
            Some("looks like spam".into()),
        ),
        ("x".repeat(1000), Some("x".repeat(1000))),
        ("é".repeat(1000), Some("é".repeat(1000))),
        (format!("  {}  ", "z".repeat(1000)), Some("z".repeat(1000))),
    ]
}

/// Runs `cmd(actor, reason)` for every admin and reason case, expecting `event(by, trimmed)`.
fn check_reasons(history: Vec<E>, cmd: fn(Actor, &str) -> C, event: fn(Option<Uuid>, &str) -> E) {
    for (actor, by) in admins() {
        for (reason, recorded) in reason_cases() {
            let result = given(history.clone())
                .when(cmd(actor, &reason))
                .inspect_result();
            let expected = match recorded {
                Some(r) => Ok(vec![event(by, &r)]),
                None => Err(CompanyError::InvalidReason),
            };
            assert_eq!(
                result,
                expected,
                "{actor:?}, {} chars",
                reason.chars().count()
            );
        }
    }
}

// ---- RequestRegistration --------------------------------------------------------------------

#[test]
fn request_registration_records_the_request() {
    given(vec![])
        .when(request())
        .then_expect_events(vec![requested()]);
}

#[test]
fn request_registration_of_an_existing_company_is_refused_in_every_state() {
    for history in [pending(), active(), rejected(), deactivated()] {
        let result = given(history.clone()).when(request()).inspect_result();
        assert_eq!(result, Err(CompanyError::AlreadyRegistered), "{history:?}");
    }
}

#[test]
fn every_other_command_on_an_unknown_company_is_not_found() {
    for actor in [Actor::System, admin(), hr(COMPANY), Actor::Anonymous] {
        for cmd in [
            approve(actor),
            reject(actor, "r"),
            deactivate(actor, "r"),
            reactivate(actor),
            update(actor, Some("New"), None),
            change(actor, settings(80, 20)),
        ] {
            let result = given(vec![]).when(cmd.clone()).inspect_result();
            assert_eq!(result, Err(CompanyError::NotFound), "{cmd:?}");
        }
    }
}

// ---- Platform-admin commands: Approve, Reject, Deactivate, Reactivate ------------------------

#[test]
fn platform_admin_commands_are_refused_for_everyone_else() {
    type Case = (Vec<E>, fn(Actor) -> C);
    let cases: [Case; 5] = [
        (pending(), approve),
        (active(), approve), // permission is checked before status
        (pending(), |a| reject(a, "spam")),
        (active(), |a| deactivate(a, "unpaid")),
        (deactivated(), reactivate),
    ];
    for (history, cmd) in cases {
        refused_for_each(&history, non_admins(), cmd, CompanyError::Forbidden);
    }
}

#[test]
fn platform_admin_commands_require_the_right_status_before_the_reason() {
    use CompanyError::{NotActive, NotDeactivated, NotPending};
    let not_pending = [active(), rejected(), deactivated()];
    let not_active = [pending(), rejected(), deactivated()];
    let not_deactivated = [pending(), active(), rejected()];
    type Case<'a> = (fn(Actor) -> C, &'a [Vec<E>], CompanyError);
    let cases: [Case<'_>; 6] = [
        (approve, &not_pending, NotPending),
        (|a| reject(a, "spam"), &not_pending, NotPending),
        (|a| reject(a, ""), &not_pending, NotPending),
        (|a| deactivate(a, "unpaid"), &not_active, NotActive),
        (|a| deactivate(a, " "), &not_active, NotActive),
        (reactivate, &not_deactivated, NotDeactivated),
    ];
    for (cmd, histories, err) in cases {
        for history in histories {
            refused_for_each(history, vec![admin(), Actor::System], cmd, err);
        }
    }
}

#[test]
fn approve_by_platform_admins_makes_the_contact_first_hr() {
    for (actor, approved_by) in admins() {
        given(pending())
            .when(approve(actor))
            .then_expect_events(vec![E::CompanyApproved {
                approved_by,
                first_hr_user_id: CONTACT,
            }]);
    }
}

#[test]
fn reject_by_platform_admins_records_a_trimmed_reason_of_1_to_1000_characters() {
    check_reasons(pending(), reject, rejected_event);
}

#[test]
fn deactivate_by_platform_admins_records_a_trimmed_reason_of_1_to_1000_characters() {
    check_reasons(active(), deactivate, deactivated_event);
}

#[test]
fn reactivate_by_platform_admins() {
    for (actor, reactivated_by) in admins() {
        given(deactivated())
            .when(reactivate(actor))
            .then_expect_events(vec![E::CompanyReactivated { reactivated_by }]);
    }
}

#[test]
fn a_reactivated_company_is_active_again() {
    let reactivated = E::CompanyReactivated {
        reactivated_by: None,
    };
    let history = and(deactivated(), reactivated);
    given(history.clone())
        .when(deactivate(admin(), "again"))
        .then_expect_events(vec![deactivated_event(Some(ADMIN_ID), "again")]);
    given(history.clone())
        .when(reactivate(admin()))
        .then_expect_error(CompanyError::NotDeactivated);
    given(history)
        .when(update(hr(COMPANY), Some("Acme Ltd"), None))
        .then_expect_events(vec![profile_updated(Some(HR_ID), Some("Acme Ltd"), None)]);
}

// ---- UpdateProfile --------------------------------------------------------------------------

#[test]
fn update_profile_by_managers() {
    for (actor, by) in managers() {
        given(active())
            .when(update(actor, Some("Acme Ltd"), Some("acme.com")))
            .then_expect_events(vec![profile_updated(
                by,
                Some("Acme Ltd"),
                Some("acme.com"),
            )]);
    }
}

#[test]
fn update_profile_records_only_the_fields_that_change() {
    given(active())
        .when(update(hr(COMPANY), Some("Acme"), Some("acme.com")))
        .then_expect_events(vec![profile_updated(Some(HR_ID), None, Some("acme.com"))]);
    given(active())
        .when(update(hr(COMPANY), Some("Acme Ltd"), Some("acme.io")))
        .then_expect_events(vec![profile_updated(Some(HR_ID), Some("Acme Ltd"), None)]);
}

#[test]
fn update_profile_with_nothing_new_is_refused() {
    for (n, d) in [
        (None, None),
        (Some("Acme"), None),
        (None, Some("acme.io")),
        (Some("Acme"), Some("ACME.io")),
    ] {
        given(active())
            .when(update(hr(COMPANY), n, d))
            .then_expect_error(CompanyError::NothingToChange);
    }
}

#[test]
fn update_profile_compares_with_the_latest_profile() {
    let history = and(
        active(),
        profile_updated(Some(HR_ID), Some("Acme Ltd"), None),
    );
    given(history.clone())
        .when(update(hr(COMPANY), Some("Acme Ltd"), Some("acme.io")))
        .then_expect_error(CompanyError::NothingToChange);
    given(history)
        .when(update(hr(COMPANY), Some("Acme"), None))
        .then_expect_events(vec![profile_updated(Some(HR_ID), Some("Acme"), None)]);
}

#[test]
fn update_profile_is_refused_for_outsiders() {
    let cmd = |actor| update(actor, Some("Evil"), None);
    refused_for_each(&active(), outsiders(), cmd, CompanyError::Forbidden);
    // Permission is checked before status.
    refused_for_each(&pending(), outsiders(), cmd, CompanyError::Forbidden);
}

#[test]
fn update_profile_requires_an_active_company() {
    for history in [pending(), rejected(), deactivated()] {
        for (actor, _) in managers() {
            given(history.clone())
                .when(update(actor, Some("Acme Ltd"), None))
                .then_expect_error(CompanyError::NotActive);
        }
    }
}

// ---- ChangeSettings -------------------------------------------------------------------------

#[test]
fn change_settings_by_managers() {
    for (actor, by) in managers() {
        given(active())
            .when(change(actor, settings(80, 30)))
            .then_expect_events(vec![settings_changed(by, settings(80, 30))]);
    }
}

#[test]
fn change_settings_accepts_the_threshold_boundaries() {
    for s in [settings(100, 99), settings(1, 0), settings(100, 0)] {
        given(active())
            .when(change(hr(COMPANY), s))
            .then_expect_events(vec![settings_changed(Some(HR_ID), s)]);
    }
}

#[test]
fn change_settings_refuses_invalid_thresholds() {
    for s in [
        settings(50, 50),
        settings(40, 70),
        settings(0, 0),
        settings(101, 40),
        settings(255, 0),
    ] {
        given(active())
            .when(change(hr(COMPANY), s))
            .then_expect_error(CompanyError::InvalidThresholds);
    }
}

#[test]
fn change_settings_to_the_current_settings_is_refused() {
    given(active())
        .when(change(hr(COMPANY), CompanySettings::default()))
        .then_expect_error(CompanyError::NothingToChange);
    let history = and(active(), settings_changed(Some(HR_ID), settings(90, 10)));
    given(history.clone())
        .when(change(hr(COMPANY), settings(90, 10)))
        .then_expect_error(CompanyError::NothingToChange);
    given(history)
        .when(change(hr(COMPANY), CompanySettings::default()))
        .then_expect_events(vec![settings_changed(
            Some(HR_ID),
            CompanySettings::default(),
        )]);
}

#[test]
fn change_settings_is_refused_for_outsiders_whatever_the_thresholds() {
    for s in [settings(80, 30), settings(30, 80)] {
        refused_for_each(
            &active(),
            outsiders(),
            |a| change(a, s),
            CompanyError::Forbidden,
        );
    }
}

#[test]
fn change_settings_requires_an_active_company_before_checking_thresholds() {
    for history in [pending(), rejected(), deactivated()] {
        for s in [settings(80, 30), settings(30, 80)] {
            given(history.clone())
                .when(change(hr(COMPANY), s))
                .then_expect_error(CompanyError::NotActive);
        }
    }
}

#[test]
fn contact_data_sealed_for_another_subject_is_refused() {
    let mut cmd = request();
    if let C::RequestRegistration { contact, .. } = &mut cmd {
        contact.email = sealed(Uuid::from_u128(0xBAD), "email");
    }
    TestFramework::<Company>::with(())
        .given_no_previous_events()
        .when(cmd)
        .then_expect_error(CompanyError::WrongDataSubject);
}
