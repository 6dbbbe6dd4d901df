//! ChangeStatus: the workflow, who may move an application, reasons.

use super::*;

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
            // A blank reason is no reason once the command layer has normalized it.
            let reason = normalize_reason(reason).expect("short enough");
            refused(
                history(from),
                change(hr(COMPANY), S::Rejected, reason.as_deref()),
                Error::ReasonRequired,
            );
        }
    }
}

#[test]
fn change_status_reasons_are_optional_trimmed_and_limited_to_1000_chars() {
    for to in [S::Screening, S::Rejected] {
        for (reason, recorded) in reason_cases() {
            let result = normalize_reason(reason.as_deref())
                .and_then(|r| outcome(history(S::Applied), change(hr(COMPANY), to, r.as_deref())));
            let expected = match recorded {
                Ok(None) if to == S::Rejected => Err(Error::ReasonRequired),
                Ok(r) => Ok(vec![changed(S::Applied, to, Some(HR_ID), r.as_deref())]),
                Err(e) => Err(e),
            };
            assert_eq!(result, expected, "{to:?} {reason:?}");
        }
    }
}

#[test]
fn the_employee_the_candidate_is_assigned_to_moves_the_application() {
    let me = employee(EMPLOYEE_ID, COMPANY);
    for (from, to, reason) in [
        (S::Applied, S::Screening, None),
        (S::Shortlisted, S::InterviewScheduled, Some("ready")),
        (S::Screening, S::Rejected, Some("not a fit")),
    ] {
        given(history(from))
            .when(change_assigned(me, to, reason, Some(EMPLOYEE_ID)))
            .then_expect_events(vec![changed(from, to, Some(EMPLOYEE_ID), reason)]);
    }
}

#[test]
fn the_assigned_employee_follows_the_same_workflow_rules() {
    let me = employee(EMPLOYEE_ID, COMPANY);
    let cases = [
        (
            S::Applied,
            S::Offered,
            Error::IllegalTransition {
                from: S::Applied,
                to: S::Offered,
            },
        ),
        (S::Applied, S::Rejected, Error::ReasonRequired),
        (S::Applied, S::Withdrawn, Error::UseWithdraw),
        (S::Hired, S::Rejected, Error::Final),
    ];
    for (from, to, err) in cases {
        refused(
            history(from),
            change_assigned(me, to, None, Some(EMPLOYEE_ID)),
            err,
        );
    }
}

#[test]
fn other_employees_may_not_move_the_application() {
    let me = employee(EMPLOYEE_ID, COMPANY);
    let cases = [
        // The candidate is assigned to nobody, or to someone else.
        (me, None),
        (me, Some(OTHER_EMPLOYEE_ID)),
        (employee(OTHER_EMPLOYEE_ID, COMPANY), Some(EMPLOYEE_ID)),
        // The right user id, but in another company or without one.
        (employee(EMPLOYEE_ID, OTHER_COMPANY), Some(EMPLOYEE_ID)),
        (user(EMPLOYEE_ID, Role::Employee, None), Some(EMPLOYEE_ID)),
        // Only employees are assigned; other roles gain nothing from the assignee.
        (
            user(EMPLOYEE_ID, Role::Candidate, Some(COMPANY)),
            Some(EMPLOYEE_ID),
        ),
        (user(CANDIDATE_USER, Role::Candidate, Some(COMPANY)), ME),
        (hr(OTHER_COMPANY), Some(HR_ID)),
    ];
    for (actor, assignee) in cases {
        refused(
            history(S::Applied),
            change_assigned(actor, S::Screening, None, assignee),
            Error::Forbidden,
        );
    }
}

#[test]
fn managers_do_not_need_to_be_the_assignee() {
    for (actor, by) in managers() {
        for assignee in [None, Some(EMPLOYEE_ID)] {
            given(history(S::Applied))
                .when(change_assigned(actor, S::Screening, None, assignee))
                .then_expect_events(vec![changed(S::Applied, S::Screening, by, None)]);
        }
    }
}
