//! RecordInterviewScheduled: the follow-up of scheduling an interview.

use super::*;

fn scheduled_reason() -> String {
    format!("interview {INTERVIEW} scheduled")
}

#[test]
fn scheduling_moves_early_applications_to_interview_scheduled() {
    for from in [S::Applied, S::Screening, S::Shortlisted] {
        for (actor, by) in managers() {
            let reason = scheduled_reason();
            given(history(from))
                .when(record_interview(actor, INTERVIEW))
                .then_expect_events(vec![E::ApplicationStatusChanged {
                    from,
                    to: S::InterviewScheduled,
                    by,
                    reason: Some(PersonalText::Clear(reason)),
                    at: at(),
                }]);
        }
    }
}

#[test]
fn scheduling_again_records_nothing() {
    let second = Uuid::from_u128(0x1E);
    for (actor, _) in managers() {
        for interview in [INTERVIEW, second] {
            assert_eq!(
                outcome(
                    history(S::InterviewScheduled),
                    record_interview(actor, interview)
                ),
                Ok(vec![])
            );
        }
    }
}

#[test]
fn scheduling_after_an_offer_or_at_the_end_is_refused() {
    let illegal = Error::IllegalTransition {
        from: S::Offered,
        to: S::InterviewScheduled,
    };
    refused(
        history(S::Offered),
        record_interview(Actor::System, INTERVIEW),
        illegal,
    );
    for from in [S::Hired, S::Rejected, S::Withdrawn] {
        refused(
            history(from),
            record_interview(Actor::System, INTERVIEW),
            Error::Final,
        );
    }
}

#[test]
fn only_managers_record_a_scheduled_interview() {
    let mut actors = strangers();
    actors.push(candidate());
    actors.push(employee(OTHER_EMPLOYEE_ID, COMPANY));
    for actor in actors {
        for from in [S::Applied, S::InterviewScheduled] {
            refused(
                history(from),
                record_interview(actor, INTERVIEW),
                Error::Forbidden,
            );
        }
    }
}

#[test]
fn the_recorded_change_appears_in_the_status_history() {
    let mut events = history(S::Screening);
    let recorded = outcome(events.clone(), record_interview(Actor::System, INTERVIEW));
    events.extend(recorded.unwrap_or_default());
    let last = status_history(&events).pop();
    let reason = scheduled_reason();
    assert_eq!(
        last,
        Some(StatusChange {
            from: Some(S::Screening),
            to: S::InterviewScheduled,
            by: None,
            reason: Some(PersonalText::Clear(reason)),
            at: at(),
        })
    );
}
