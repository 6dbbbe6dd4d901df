//! Given/when/then tests for the user aggregate: every command, every refusal.

use super::{User, UserCommand as C, UserError, UserEvent as E};
use crate::{Actor, PasswordHash, Role, Sealed};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use uuid::Uuid;

const COMPANY: Uuid = Uuid::from_u128(0xC0);
const OTHER_COMPANY: Uuid = Uuid::from_u128(0xC1);
/// The user every test acts on.
const TARGET: Uuid = Uuid::from_u128(0x7A);
const ADMIN_ID: Uuid = Uuid::from_u128(0xAD);
const HR_ID: Uuid = Uuid::from_u128(0x11);

// ---- helpers --------------------------------------------------------------------------------

fn given(events: Vec<E>) -> AggregateTestExecutor<User> {
    TestFramework::<User>::with(()).given(events)
}

fn sealed(subject: Uuid, ct: &str) -> Sealed {
    Sealed {
        subject,
        ct: ct.into(),
    }
}

fn hash(phc: &str) -> PasswordHash {
    PasswordHash::new(phc.into())
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

/// The target acting on itself.
fn me(role: Role, company_id: Option<Uuid>) -> Actor {
    user(TARGET, role, company_id)
}

/// Everyone who does not manage a non-admin user of `COMPANY`.
fn outsiders() -> Vec<Actor> {
    vec![
        Actor::Anonymous,
        hr(OTHER_COMPANY),
        user(HR_ID, Role::Hr, None),
        user(Uuid::from_u128(0xE0), Role::Employee, Some(COMPANY)),
        user(Uuid::from_u128(0xCA), Role::Candidate, Some(COMPANY)),
    ]
}

/// Outsiders plus HR of the company: nobody below platform admin manages a SYSTEM_ADMIN.
fn outsiders_of_admin() -> Vec<Actor> {
    let mut actors = outsiders();
    actors.push(hr(COMPANY));
    actors
}

/// Every actor that manages a non-admin user of `COMPANY`, with the id its events record.
fn managers() -> Vec<(Actor, Option<Uuid>)> {
    vec![
        (hr(COMPANY), Some(HR_ID)),
        (admin(), Some(ADMIN_ID)),
        (Actor::System, None),
    ]
}

/// Runs `cmd(actor)` for each actor and expects the same error, naming the command on failure.
fn refused_for_each(history: &[E], actors: Vec<Actor>, cmd: impl Fn(Actor) -> C, err: UserError) {
    for actor in actors {
        let result = given(history.to_vec()).when(cmd(actor)).inspect_result();
        assert_eq!(result, Err(err), "{:?}", cmd(actor));
    }
}

// Commands.

fn register(actor: Actor, role: Role, company_id: Option<Uuid>) -> C {
    C::Register {
        actor,
        user_id: TARGET,
        company_id,
        role,
        name: sealed(TARGET, "name-1"),
        email: sealed(TARGET, "email-1"),
        password_hash: hash("hash-1"),
    }
}

fn update(actor: Actor, name: Option<&str>, email: Option<&str>) -> C {
    C::UpdateProfile {
        actor,
        name: name.map(|ct| sealed(TARGET, ct)),
        email: email.map(|ct| sealed(TARGET, ct)),
    }
}

fn update_name(actor: Actor) -> C {
    update(actor, Some("name-2"), None)
}

fn change_role(actor: Actor, role: Role) -> C {
    C::ChangeRole { actor, role }
}

fn make_hr(actor: Actor) -> C {
    change_role(actor, Role::Hr)
}

fn change_password(actor: Actor) -> C {
    C::ChangePassword {
        actor,
        password_hash: hash("hash-2"),
    }
}

fn deactivate(actor: Actor) -> C {
    C::Deactivate { actor }
}

fn reactivate(actor: Actor) -> C {
    C::Reactivate { actor }
}

fn erase(actor: Actor) -> C {
    C::ErasePersonalData { actor }
}

/// Every command but `Register`.
const EVERY_COMMAND: [fn(Actor) -> C; 6] = [
    update_name,
    make_hr,
    change_password,
    deactivate,
    reactivate,
    erase,
];

// Events and histories.

fn registered(role: Role, company_id: Option<Uuid>, by: Option<Uuid>) -> E {
    E::UserRegistered {
        user_id: TARGET,
        company_id,
        role,
        name: sealed(TARGET, "name-1"),
        email: sealed(TARGET, "email-1"),
        password_hash: hash("hash-1"),
        registered_by: by,
    }
}

fn profile_updated(name: Option<&str>, email: Option<&str>, by: Option<Uuid>) -> E {
    E::UserProfileUpdated {
        name: name.map(|ct| sealed(TARGET, ct)),
        email: email.map(|ct| sealed(TARGET, ct)),
        updated_by: by,
    }
}

fn role_changed(from: Role, to: Role, by: Option<Uuid>) -> E {
    E::UserRoleChanged {
        from,
        to,
        changed_by: by,
    }
}

fn and(mut history: Vec<E>, event: E) -> Vec<E> {
    history.push(event);
    history
}

/// An active EMPLOYEE of `COMPANY`.
fn employee() -> Vec<E> {
    vec![registered(Role::Employee, Some(COMPANY), Some(HR_ID))]
}

/// An active HR of `COMPANY`.
fn hr_user() -> Vec<E> {
    vec![registered(Role::Hr, Some(COMPANY), Some(ADMIN_ID))]
}

/// An active SYSTEM_ADMIN.
fn sys_admin() -> Vec<E> {
    vec![registered(Role::SystemAdmin, None, None)]
}

fn deactivated(history: Vec<E>) -> Vec<E> {
    and(
        history,
        E::UserDeactivated {
            deactivated_by: None,
        },
    )
}

fn erased(history: Vec<E>) -> Vec<E> {
    and(history, E::UserPersonalDataErased { erased_by: None })
}

// ---- Register -------------------------------------------------------------------------------

#[test]
fn register_records_the_user_and_who_registered_it() {
    let cases = [
        (Actor::System, Role::SystemAdmin, None),
        (admin(), Role::SystemAdmin, None),
        (admin(), Role::Hr, Some(COMPANY)),
        (Actor::System, Role::Hr, Some(COMPANY)),
        (hr(COMPANY), Role::Hr, Some(COMPANY)),
        (hr(COMPANY), Role::Employee, Some(COMPANY)),
        (hr(COMPANY), Role::Candidate, Some(COMPANY)),
    ];
    for (actor, role, company_id) in cases {
        given(vec![])
            .when(register(actor, role, company_id))
            .then_expect_events(vec![registered(role, company_id, actor.user_id())]);
    }
}

#[test]
fn register_of_an_existing_user_is_refused_in_every_state() {
    for history in [
        employee(),
        sys_admin(),
        deactivated(employee()),
        erased(employee()),
    ] {
        let cmd = register(Actor::System, Role::Employee, Some(COMPANY));
        let result = given(history.clone()).when(cmd).inspect_result();
        assert_eq!(result, Err(UserError::AlreadyExists), "{history:?}");
    }
}

#[test]
fn register_requires_a_company_for_every_role_but_system_admin() {
    let cases = [
        (Role::SystemAdmin, Some(COMPANY)),
        (Role::Hr, None),
        (Role::Employee, None),
        (Role::Candidate, None),
    ];
    for (role, company_id) in cases {
        let cmd = |actor| register(actor, role, company_id);
        let actors = vec![Actor::System, admin(), hr(COMPANY), Actor::Anonymous];
        refused_for_each(&[], actors, cmd, UserError::RoleCompanyMismatch);
    }
}

#[test]
fn register_of_a_system_admin_is_reserved_to_platform_admins() {
    let cmd = |actor| register(actor, Role::SystemAdmin, None);
    refused_for_each(&[], outsiders_of_admin(), cmd, UserError::AdminRoleReserved);
}

#[test]
fn register_is_refused_for_actors_that_do_not_manage_the_company() {
    for role in [Role::Hr, Role::Employee, Role::Candidate] {
        let cmd = |actor| register(actor, role, Some(COMPANY));
        refused_for_each(&[], outsiders(), cmd, UserError::Forbidden);
    }
}

// ---- Who may act on whom --------------------------------------------------------------------

#[test]
fn every_command_on_an_unknown_user_is_not_found() {
    for cmd in EVERY_COMMAND {
        refused_for_each(&[], vec![admin(), Actor::System], cmd, UserError::NotFound);
    }
}

#[test]
fn manager_commands_are_refused_for_everyone_else() {
    let forbidden = UserError::Forbidden;
    for cmd in [update_name, make_hr, change_password, deactivate, erase] {
        refused_for_each(&employee(), outsiders(), cmd, forbidden);
        refused_for_each(&sys_admin(), outsiders_of_admin(), cmd, forbidden);
    }
    // These also take deactivated users; permission is checked before the status.
    for cmd in [deactivate, reactivate, erase] {
        refused_for_each(&deactivated(employee()), outsiders(), cmd, forbidden);
        refused_for_each(
            &deactivated(sys_admin()),
            outsiders_of_admin(),
            cmd,
            forbidden,
        );
    }
}

#[test]
fn users_cannot_change_their_own_role_deactivate_or_erase_themselves() {
    let cmds: [fn(Actor) -> C; 3] = [|a| change_role(a, Role::Candidate), deactivate, erase];
    let selves = [
        (hr_user(), me(Role::Hr, Some(COMPANY))),
        (sys_admin(), me(Role::SystemAdmin, None)),
    ];
    for (history, myself) in selves {
        for cmd in cmds {
            refused_for_each(&history, vec![myself], cmd, UserError::SelfAction);
        }
    }
    // A non-manager acting on itself is refused as Forbidden before the self check.
    for cmd in cmds {
        let myself = me(Role::Employee, Some(COMPANY));
        refused_for_each(&employee(), vec![myself], cmd, UserError::Forbidden);
    }
}

#[test]
fn an_erased_user_refuses_every_command_whoever_asks() {
    let mut actors = outsiders_of_admin();
    actors.extend([admin(), Actor::System, me(Role::Employee, Some(COMPANY))]);
    for history in [erased(employee()), erased(deactivated(employee()))] {
        for cmd in EVERY_COMMAND {
            refused_for_each(&history, actors.clone(), cmd, UserError::Erased);
        }
    }
}

#[test]
fn a_deactivated_user_refuses_profile_role_and_password_changes() {
    let actors = || vec![me(Role::Employee, Some(COMPANY)), hr(COMPANY), admin()];
    for cmd in [update_name, make_hr, change_password] {
        refused_for_each(
            &deactivated(employee()),
            actors(),
            cmd,
            UserError::Deactivated,
        );
    }
}

// ---- UpdateProfile --------------------------------------------------------------------------

#[test]
fn users_update_their_own_profile_whatever_their_role() {
    let selves = [
        (employee(), me(Role::Employee, Some(COMPANY))),
        (sys_admin(), me(Role::SystemAdmin, None)),
    ];
    for (history, actor) in selves {
        given(history)
            .when(update(actor, Some("name-2"), Some("email-2")))
            .then_expect_events(vec![profile_updated(
                Some("name-2"),
                Some("email-2"),
                Some(TARGET),
            )]);
    }
}

#[test]
fn managers_update_a_users_profile_recording_only_what_changes() {
    for (actor, by) in managers() {
        given(employee())
            .when(update(actor, Some("name-1"), Some("email-2")))
            .then_expect_events(vec![profile_updated(None, Some("email-2"), by)]);
    }
    given(sys_admin())
        .when(update(admin(), Some("name-2"), Some("email-1")))
        .then_expect_events(vec![profile_updated(Some("name-2"), None, Some(ADMIN_ID))]);
}

#[test]
fn update_profile_with_nothing_new_is_refused() {
    let me = me(Role::Employee, Some(COMPANY));
    for (name, email) in [
        (None, None),
        (Some("name-1"), None),
        (None, Some("email-1")),
        (Some("name-1"), Some("email-1")),
    ] {
        given(employee())
            .when(update(me, name, email))
            .then_expect_error(UserError::NothingToChange);
    }
    let history = and(
        employee(),
        profile_updated(Some("name-2"), None, Some(TARGET)),
    );
    given(history.clone())
        .when(update(me, Some("name-2"), Some("email-1")))
        .then_expect_error(UserError::NothingToChange);
    given(history)
        .when(update(me, Some("name-1"), None))
        .then_expect_events(vec![profile_updated(Some("name-1"), None, Some(TARGET))]);
}

// ---- ChangeRole -----------------------------------------------------------------------------

#[test]
fn managers_change_a_users_role() {
    for (actor, by) in managers() {
        for to in [Role::Hr, Role::Candidate] {
            given(employee())
                .when(change_role(actor, to))
                .then_expect_events(vec![role_changed(Role::Employee, to, by)]);
        }
    }
}

#[test]
fn change_role_compares_with_the_latest_role() {
    given(employee())
        .when(change_role(hr(COMPANY), Role::Employee))
        .then_expect_error(UserError::NothingToChange);
    let history = and(employee(), role_changed(Role::Employee, Role::Hr, None));
    given(history.clone())
        .when(change_role(admin(), Role::Hr))
        .then_expect_error(UserError::NothingToChange);
    given(history)
        .when(change_role(admin(), Role::Employee))
        .then_expect_events(vec![role_changed(Role::Hr, Role::Employee, Some(ADMIN_ID))]);
}

#[test]
fn change_role_cannot_cross_the_company_boundary() {
    for (actor, _) in managers() {
        given(employee())
            .when(change_role(actor, Role::SystemAdmin))
            .then_expect_error(UserError::RoleCompanyMismatch);
    }
    for actor in [admin(), Actor::System] {
        for to in [Role::Hr, Role::Employee, Role::Candidate] {
            given(sys_admin())
                .when(change_role(actor, to))
                .then_expect_error(UserError::RoleCompanyMismatch);
        }
    }
    // HR may not even try on a SYSTEM_ADMIN.
    given(sys_admin())
        .when(change_role(hr(COMPANY), Role::SystemAdmin))
        .then_expect_error(UserError::Forbidden);
}

// ---- ChangePassword -------------------------------------------------------------------------

#[test]
fn users_and_managers_change_a_password() {
    let mut actors = managers();
    actors.push((me(Role::Employee, Some(COMPANY)), Some(TARGET)));
    for (actor, changed_by) in actors {
        given(employee())
            .when(change_password(actor))
            .then_expect_events(vec![E::UserPasswordChanged {
                password_hash: hash("hash-2"),
                changed_by,
            }]);
    }
    given(sys_admin())
        .when(change_password(me(Role::SystemAdmin, None)))
        .then_expect_events(vec![E::UserPasswordChanged {
            password_hash: hash("hash-2"),
            changed_by: Some(TARGET),
        }]);
}

// ---- Deactivate / Reactivate ----------------------------------------------------------------

#[test]
fn managers_deactivate_and_reactivate_a_user() {
    for (actor, by) in managers() {
        given(employee())
            .when(deactivate(actor))
            .then_expect_events(vec![E::UserDeactivated { deactivated_by: by }]);
        given(deactivated(employee()))
            .when(reactivate(actor))
            .then_expect_events(vec![E::UserReactivated { reactivated_by: by }]);
    }
    given(deactivated(sys_admin()))
        .when(reactivate(admin()))
        .then_expect_events(vec![E::UserReactivated {
            reactivated_by: Some(ADMIN_ID),
        }]);
}

#[test]
fn deactivate_and_reactivate_require_the_opposite_status() {
    given(deactivated(employee()))
        .when(deactivate(admin()))
        .then_expect_error(UserError::Deactivated);
    given(employee())
        .when(reactivate(admin()))
        .then_expect_error(UserError::AlreadyActive);
    let history = and(
        deactivated(employee()),
        E::UserReactivated {
            reactivated_by: None,
        },
    );
    given(history.clone())
        .when(reactivate(hr(COMPANY)))
        .then_expect_error(UserError::AlreadyActive);
    given(history)
        .when(deactivate(hr(COMPANY)))
        .then_expect_events(vec![E::UserDeactivated {
            deactivated_by: Some(HR_ID),
        }]);
}

// ---- ErasePersonalData ----------------------------------------------------------------------

#[test]
fn managers_erase_an_active_or_deactivated_user() {
    for history in [employee(), deactivated(employee())] {
        for (actor, erased_by) in managers() {
            given(history.clone())
                .when(erase(actor))
                .then_expect_events(vec![E::UserPersonalDataErased { erased_by }]);
        }
    }
    given(sys_admin())
        .when(erase(admin()))
        .then_expect_events(vec![E::UserPersonalDataErased {
            erased_by: Some(ADMIN_ID),
        }]);
}

// ---- data-subject and self-reactivation rules -----------------------------------------------

#[test]
fn personal_data_sealed_for_another_subject_is_refused() {
    let stranger = Uuid::from_u128(0x5_7A);
    let mut cmd = register(admin(), Role::Hr, Some(COMPANY));
    if let C::Register { email, .. } = &mut cmd {
        *email = sealed(stranger, "email-1");
    }
    given(vec![])
        .when(cmd)
        .then_expect_error(UserError::WrongDataSubject);
    let history = vec![registered(Role::Employee, Some(COMPANY), Some(ADMIN_ID))];
    given(history)
        .when(C::UpdateProfile {
            actor: admin(),
            name: Some(sealed(stranger, "name-2")),
            email: None,
        })
        .then_expect_error(UserError::WrongDataSubject);
}

#[test]
fn a_deactivated_user_cannot_reactivate_themselves() {
    let history = deactivated(vec![registered(Role::Hr, Some(COMPANY), Some(ADMIN_ID))]);
    given(history)
        .when(C::Reactivate {
            actor: user(TARGET, Role::Hr, Some(COMPANY)),
        })
        .then_expect_error(UserError::SelfAction);
}
