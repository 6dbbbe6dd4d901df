//! Cancel, MarkNoShow and Complete.

use super::*;

/// Every history in which the interview is no longer SCHEDULED.
fn not_scheduled() -> Vec<Vec<E>> {
    vec![
        ai_started(),
        ai_completed(),
        human_completed(),
        cancelled(ai_scheduled()),
        no_show(human_scheduled()),
    ]
}

// ---- Cancel ---------------------------------------------------------------------------------

fn cancel(actor: Actor, reason: Option<&str>) -> C {
    C::Cancel {
        actor,
        reason: reason.map(seal_text),
    }
}

#[test]
fn managers_cancel_a_scheduled_interview_with_a_trimmed_reason() {
    let cases = [
        (None, None),
        (Some("  "), None),
        (
            Some(" Candidate asked to move \n"),
            Some("Candidate asked to move"),
        ),
    ];
    for (actor, by) in managers() {
        for history in [ai_scheduled(), human_scheduled()] {
            for (raw, recorded) in cases {
                let expected = E::InterviewCancelled {
                    cancelled_by: by,
                    reason: recorded.map(|r| PersonalText::Sealed(seal_text(r))),
                };
                let reason = normalize_cancel_reason(raw).expect("a valid reason");
                let got = result(&history, cancel(actor, reason.as_deref()));
                assert_eq!(got, Ok(vec![expected.clone()]));
                assert_eq!(
                    fold(and(history.clone(), [expected])).status(),
                    S::Cancelled
                );
            }
        }
    }
}

#[test]
fn a_cancel_reason_is_at_most_1000_chars() {
    let long = "é".repeat(1001);
    assert_eq!(
        normalize_cancel_reason(Some(&long)).map_err(Error::from),
        Err(invalid("reason", "too_long"))
    );
    let padded = format!("  {}  ", "é".repeat(1000));
    let reason = normalize_cancel_reason(Some(&padded)).expect("1000 chars are fine");
    assert!(result(&ai_scheduled(), cancel(hr(), reason.as_deref())).is_ok());
}

#[test]
fn a_cancel_reason_sealed_for_anyone_else_is_refused() {
    let cmd = C::Cancel {
        actor: hr(),
        reason: Some(sealed(IV_EMP)),
    };
    refused(&ai_scheduled(), cmd, Error::WrongDataSubject);
}

#[test]
fn outsiders_and_interviewers_cannot_cancel() {
    for actor in outsiders().into_iter().chain([employee(IV_EMP)]) {
        refused(&human_scheduled(), cancel(actor, None), Error::Forbidden);
    }
}

#[test]
fn only_a_scheduled_interview_is_cancelled() {
    for history in not_scheduled() {
        refused(&history, cancel(hr(), None), Error::NotScheduled);
    }
}

// ---- MarkNoShow -----------------------------------------------------------------------------

fn mark_no_show(actor: Actor, at: i64) -> C {
    C::MarkNoShow {
        actor,
        now: mins(at),
    }
}

#[test]
fn managers_mark_a_no_show_once_the_time_has_come() {
    for (actor, by) in managers() {
        for history in [ai_scheduled(), human_scheduled()] {
            for at in [AT, AT + 1, EXPIRES + 1] {
                let expected = E::InterviewMarkedNoShow { marked_by: by };
                let got = result(&history, mark_no_show(actor, at));
                assert_eq!(got, Ok(vec![expected.clone()]));
                assert_eq!(fold(and(history.clone(), [expected])).status(), S::NoShow);
            }
            refused(&history, mark_no_show(actor, AT - 1), Error::NotYetStarted);
        }
    }
}

#[test]
fn outsiders_and_interviewers_cannot_mark_a_no_show() {
    for actor in outsiders().into_iter().chain([employee(IV_EMP)]) {
        refused(
            &human_scheduled(),
            mark_no_show(actor, AT),
            Error::Forbidden,
        );
    }
}

#[test]
fn only_a_scheduled_interview_is_marked_no_show() {
    for history in not_scheduled() {
        refused(&history, mark_no_show(hr(), AT + 500), Error::NotScheduled);
    }
}

// ---- Complete -------------------------------------------------------------------------------

fn complete(actor: Actor, at: i64) -> C {
    C::Complete {
        actor,
        now: mins(at),
    }
}

fn completed_by(by: Option<Uuid>, at: i64) -> E {
    E::InterviewCompleted {
        completed_by: by,
        completed_at: mins(at),
    }
}

#[test]
fn managers_complete_an_ai_interview_in_progress() {
    for (actor, by) in managers() {
        let got = result(&ai_started(), complete(actor, AT + 50));
        assert_eq!(got, Ok(vec![completed_by(by, AT + 50)]));
    }
    let view = fold(and(ai_started(), [completed_by(None, AT + 50)]));
    assert_eq!(view.status(), S::Completed);
    assert_eq!(view.started_at(), Some(mins(AT + 1)));
    assert_eq!(view.completed_at(), Some(mins(AT + 50)));
}

#[test]
fn an_ai_interview_is_completed_only_after_it_was_started() {
    for (actor, _) in managers() {
        refused(
            &ai_scheduled(),
            complete(actor, AT + 50),
            Error::NotYetStarted,
        );
    }
}

#[test]
fn managers_and_interviewers_complete_a_human_interview_from_scheduled() {
    let mut cases: Vec<(Actor, Option<Uuid>)> = managers().to_vec();
    cases.push((employee(IV_EMP), Some(IV_EMP)));
    cases.push((iv_hr(), Some(IV_HR)));
    for (actor, by) in cases {
        for at in [AT, AT + 30] {
            let got = result(&human_scheduled(), complete(actor, at));
            assert_eq!(got, Ok(vec![completed_by(by, at)]), "{actor:?}");
        }
        refused(
            &human_scheduled(),
            complete(actor, AT - 1),
            Error::NotYetStarted,
        );
    }
    let view = fold(human_completed());
    assert_eq!((view.status(), view.started_at()), (S::Completed, None));
}

#[test]
fn outsiders_cannot_complete_and_ai_observers_are_not_in_charge() {
    for actor in outsiders() {
        refused(&human_scheduled(), complete(actor, AT), Error::Forbidden);
        refused(&ai_started(), complete(actor, AT + 5), Error::Forbidden);
    }
    // IV_EMP observes the AI interview: observers do not complete it.
    refused(
        &ai_started(),
        complete(employee(IV_EMP), AT + 5),
        Error::Forbidden,
    );
    // An interviewer's id under another company (or role) is not the interviewer.
    for actor in [
        user(IV_EMP, Role::Employee, Some(OTHER_COMPANY)),
        user(IV_EMP, Role::Employee, None),
        user(IV_EMP, Role::Candidate, Some(COMPANY)),
    ] {
        refused(&human_scheduled(), complete(actor, AT), Error::Forbidden);
    }
}

#[test]
fn a_completed_interview_is_completed_once() {
    for history in [ai_completed(), human_completed()] {
        given(history)
            .when(complete(hr(), AT + 100))
            .then_expect_error(Error::AlreadyCompleted);
    }
}

#[test]
fn a_cancelled_or_no_show_interview_is_not_completed() {
    for history in [
        cancelled(ai_scheduled()),
        cancelled(human_scheduled()),
        no_show(ai_scheduled()),
        no_show(human_scheduled()),
    ] {
        refused(&history, complete(hr(), AT + 100), Error::NotScheduled);
    }
}
