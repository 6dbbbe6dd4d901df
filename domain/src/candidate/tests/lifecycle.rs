//! Assignment to an employee, linking a user account, and deletion.

use super::*;

#[test]
fn an_active_employee_of_the_company_is_assigned() {
    let reassigned = and(active(), [assigned(OTHER_EMPLOYEE_ID)]);
    for history in [active(), reassigned] {
        for (actor, by) in managers() {
            let expected = E::CandidateAssigned {
                assigned_by: by,
                employee_id: EMPLOYEE_ID,
            };
            given(history.clone())
                .when(assign(actor, colleague(EMPLOYEE_ID)))
                .then_expect_events(vec![expected.clone()]);
            let candidate = fold(and(history.clone(), [expected]));
            assert_eq!(candidate.assigned_to(), Some(EMPLOYEE_ID));
        }
    }
}

#[test]
fn only_an_active_employee_of_the_company_may_be_assigned() {
    let view = |company, role, active| Some(employee(EMPLOYEE_ID, company, role, active));
    let cases = [
        view(Some(COMPANY), Role::Employee, false),
        view(Some(OTHER_COMPANY), Role::Employee, true),
        view(None, Role::Employee, true),
        view(Some(COMPANY), Role::Hr, true),
        view(Some(COMPANY), Role::Candidate, true),
        view(None, Role::SystemAdmin, true),
    ];
    let assigned_already = and(active(), [assigned(EMPLOYEE_ID)]);
    for assignee in cases {
        for history in [active(), assigned_already.clone()] {
            refused(
                &history,
                assign(hr(), assignee),
                CandidateError::InvalidAssignee,
            );
        }
    }
}

#[test]
fn the_assignee_is_removed_with_none() {
    let history = and(active(), [assigned(EMPLOYEE_ID)]);
    for (actor, by) in managers() {
        let expected = E::CandidateUnassigned { unassigned_by: by };
        given(history.clone())
            .when(assign(actor, None))
            .then_expect_events(vec![expected.clone()]);
        assert_eq!(fold(and(history.clone(), [expected])).assigned_to(), None);
    }
}

#[test]
fn assigning_the_same_assignee_again_is_nothing_to_change() {
    let history = and(active(), [assigned(EMPLOYEE_ID)]);
    refused(
        &history,
        assign(hr(), colleague(EMPLOYEE_ID)),
        CandidateError::NothingToChange,
    );
    let unassigned = and(
        history,
        [E::CandidateUnassigned {
            unassigned_by: None,
        }],
    );
    for h in [active(), unassigned] {
        refused(&h, assign(hr(), None), CandidateError::NothingToChange);
    }
}

#[test]
fn a_user_account_is_linked_once() {
    for (actor, by) in managers() {
        let expected = E::CandidateLinkedToUser {
            linked_by: by,
            user_id: CANDIDATE_USER,
        };
        given(active())
            .when(link(actor, CANDIDATE_USER))
            .then_expect_events(vec![expected.clone()]);
        assert_eq!(
            fold(and(active(), [expected])).user_id(),
            Some(CANDIDATE_USER)
        );
    }
    let created_linked = vec![E::CandidateCreated {
        candidate_id: CANDIDATE,
        company_id: COMPANY,
        created_by: Some(HR_ID),
        profile: profile(),
        user_id: Some(CANDIDATE_USER),
        import_id: None,
    }];
    let linked_later = and(active(), [linked(CANDIDATE_USER)]);
    for history in [created_linked, linked_later] {
        refused(
            &history,
            link(Actor::System, CANDIDATE_USER),
            CandidateError::NothingToChange,
        );
        refused(
            &history,
            link(hr(), Uuid::from_u128(0xCB05)),
            CandidateError::AlreadyLinked,
        );
    }
}

#[test]
fn delete_leaves_a_tombstone_without_the_profile() {
    let history = and(active(), [assigned(EMPLOYEE_ID), linked(CANDIDATE_USER)]);
    for (actor, by) in managers() {
        let expected = E::CandidateDeleted { deleted_by: by };
        given(history.clone())
            .when(C::Delete { actor })
            .then_expect_events(vec![expected.clone()]);
        let candidate = fold(and(history.clone(), [expected]));
        assert_eq!(candidate.status, CandidateStatus::Deleted);
        assert!(!candidate.is_active());
        assert_eq!(candidate.profile(), None);
        assert_eq!(candidate.id(), Some(CANDIDATE));
        assert_eq!(candidate.company_id(), Some(COMPANY));
        assert_eq!(candidate.user_id(), Some(CANDIDATE_USER));
    }
}

#[test]
fn a_deleted_candidate_refuses_even_commands_that_would_change_nothing() {
    let cmds = [
        assign(hr(), colleague(EMPLOYEE_ID)),
        assign(hr(), None),
        update(hr(), profile()),
        C::Delete { actor: hr() },
    ];
    for cmd in cmds {
        refused(&deleted(), cmd, CandidateError::Deleted);
    }
}
