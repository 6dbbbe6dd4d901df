//! Schedule and Reschedule: who may, the application, the AI and HUMAN rules, times.

use super::*;

// ---- Schedule -------------------------------------------------------------------------------

#[test]
fn managers_schedule_ai_and_human_interviews() {
    for (actor, by) in managers() {
        for plan in [ai(), human()] {
            let plan = plan.with(|p| p.actor = actor);
            given(vec![])
                .when(plan.clone().cmd())
                .then_expect_events(vec![plan.event(by)]);
        }
    }
}

#[test]
fn scheduling_sets_the_state_other_layers_read() {
    let ai_view = fold(ai_scheduled());
    assert_eq!(ai_view.status(), S::Scheduled);
    assert_eq!(ai_view.id(), Some(INTERVIEW));
    assert_eq!(ai_view.mode(), Some(Mode::Ai));
    assert_eq!(ai_view.kind(), Some(InterviewKind::Technical));
    assert_eq!(ai_view.round(), 1);
    assert_eq!(ai_view.company_id(), Some(COMPANY));
    assert_eq!(ai_view.application_id(), Some(APPLICATION));
    assert_eq!(ai_view.job_id(), Some(JOB));
    assert_eq!(ai_view.candidate_id(), Some(CANDIDATE));
    assert_eq!(ai_view.candidate_user_id(), Some(CANDIDATE_USER));
    assert_eq!(ai_view.interviewers(), [IV_EMP]);
    assert_eq!(ai_view.scheduled_at(), Some(mins(AT)));
    assert_eq!(ai_view.duration_mins(), DURATION);
    assert_eq!(ai_view.expires_at(), Some(mins(EXPIRES)));
    assert_eq!((ai_view.started_at(), ai_view.completed_at()), (None, None));
    assert!(!ai_view.results_released() && ai_view.feedback_from().is_empty());

    let human_view = fold(human_scheduled());
    assert_eq!(human_view.mode(), Some(Mode::Human));
    assert_eq!(human_view.interviewers(), [IV_EMP, IV_HR]);
    assert_eq!(human_view.expires_at(), None);
}

#[test]
fn outsiders_cannot_schedule() {
    for actor in outsiders().into_iter().chain([employee(IV_EMP)]) {
        for plan in [ai(), human()] {
            let plan = plan.with(|p| p.actor = actor);
            refused(&[], plan.cmd(), Error::Forbidden);
        }
    }
    // HR is judged by the application's company, not by its own claim.
    let elsewhere = ai().with(|p| p.application.company_id = OTHER_COMPANY);
    refused(&[], elsewhere.cmd(), Error::Forbidden);
}

#[test]
fn an_interview_is_scheduled_once() {
    for history in [ai_scheduled(), cancelled(human_scheduled()), ai_completed()] {
        given(history)
            .when(ai().cmd())
            .then_expect_error(Error::AlreadyExists);
    }
}

#[test]
fn a_closed_application_gets_no_interview() {
    let plan = human().with(|p| p.application.is_final = true);
    given(vec![])
        .when(plan.cmd())
        .then_expect_error(Error::ApplicationClosed);
}

#[test]
fn round_is_1_to_20() {
    for round in [0, 21, u8::MAX] {
        let plan = ai().with(|p| p.round = round);
        refused(&[], plan.cmd(), invalid("round", "out_of_range"));
    }
    for round in [1, 20] {
        let plan = ai().with(|p| p.round = round);
        assert!(result(&[], plan.cmd()).is_ok(), "{round}");
    }
}

#[test]
fn duration_is_5_to_480_minutes() {
    for plan in [ai(), human()] {
        for d in [0, 4, 481] {
            let cmd = plan.clone().with(|p| p.duration_mins = d).cmd();
            refused(&[], cmd, invalid("duration_mins", "out_of_range"));
        }
        for d in [5, 480] {
            let cmd = plan.clone().with(|p| p.duration_mins = d).cmd();
            assert!(result(&[], cmd).is_ok(), "{d}");
        }
    }
}

#[test]
fn the_scheduled_time_must_be_after_now() {
    for plan in [ai(), human()] {
        for at in [now(), mins(-1)] {
            let cmd = plan.clone().with(|p| p.scheduled_at = at).cmd();
            refused(&[], cmd, Error::InPast);
        }
        let cmd = plan.with(|p| p.scheduled_at = mins(1)).cmd();
        assert!(result(&[], cmd).is_ok());
    }
}

#[test]
fn an_ai_interview_needs_a_token_and_an_expiry_after_its_time() {
    let no_token = ai().with(|p| p.token_hash = None);
    refused(&[], no_token.cmd(), Error::TokenRequired);
    for expires in [None, Some(mins(AT)), Some(mins(AT - 1)), Some(now())] {
        let plan = ai().with(|p| p.expires_at = expires);
        refused(&[], plan.cmd(), Error::InvalidExpiry);
    }
    let just_after = ai().with(|p| p.expires_at = Some(mins(AT + 1)));
    assert!(result(&[], just_after.cmd()).is_ok());
}

#[test]
fn an_ai_interview_may_have_observers_or_none() {
    for interviewers in [vec![], vec![IV_EMP, IV_HR]] {
        let plan = ai().with(|p| p.interviewers = interviewers);
        given(vec![])
            .when(plan.clone().cmd())
            .then_expect_events(vec![plan.event(Some(HR_ID))]);
    }
}

#[test]
fn a_human_interview_has_interviewers_and_no_token_or_expiry() {
    let nobody = human().with(|p| p.interviewers = vec![]);
    refused(&[], nobody.cmd(), Error::InterviewerRequired);
    let with_token = human().with(|p| p.token_hash = Some(token()));
    refused(&[], with_token.cmd(), invalid("token_hash", "not_allowed"));
    let with_expiry = human().with(|p| p.expires_at = Some(mins(EXPIRES)));
    refused(&[], with_expiry.cmd(), invalid("expires_at", "not_allowed"));
    let one = human().with(|p| p.interviewers = vec![IV_HR]);
    assert!(result(&[], one.cmd()).is_ok());
}

#[test]
fn at_most_ten_distinct_interviewers() {
    let ids = |n: u128| (1..=n).map(Uuid::from_u128).collect::<Vec<_>>();
    for plan in [ai(), human()] {
        let eleven = plan.clone().with(|p| p.interviewers = ids(11));
        refused(&[], eleven.cmd(), Error::TooManyInterviewers);
        let twice = plan
            .clone()
            .with(|p| p.interviewers = vec![IV_EMP, IV_HR, IV_EMP]);
        refused(&[], twice.cmd(), Error::DuplicateInterviewer);
        let ten = plan.with(|p| p.interviewers = ids(10));
        assert!(result(&[], ten.cmd()).is_ok());
    }
}

// ---- Reschedule -----------------------------------------------------------------------------

fn reschedule(actor: Actor, at: i64, duration_mins: u16, expires: Option<i64>, now_at: i64) -> C {
    C::Reschedule {
        actor,
        scheduled_at: mins(at),
        duration_mins,
        expires_at: expires.map(mins),
        now: mins(now_at),
    }
}

#[test]
fn managers_reschedule_a_scheduled_interview() {
    for (actor, by) in managers() {
        let cases = [
            (ai_scheduled(), Some(EXPIRES + 60)),
            (human_scheduled(), None),
        ];
        for (history, expires) in cases {
            let expected = E::InterviewRescheduled {
                rescheduled_by: by,
                scheduled_at: mins(AT + 120),
                duration_mins: 90,
                expires_at: expires.map(mins),
            };
            let cmd = reschedule(actor, AT + 120, 90, expires, 30);
            assert_eq!(result(&history, cmd), Ok(vec![expected.clone()]));
            let view = fold(and(history, [expected]));
            assert_eq!(view.status(), S::Scheduled);
            assert_eq!(view.scheduled_at(), Some(mins(AT + 120)));
            assert_eq!(view.duration_mins(), 90);
            assert_eq!(view.expires_at(), expires.map(mins));
        }
    }
}

#[test]
fn outsiders_and_interviewers_cannot_reschedule() {
    for actor in outsiders().into_iter().chain([employee(IV_EMP)]) {
        let cmd = reschedule(actor, AT + 120, 90, None, 0);
        refused(&human_scheduled(), cmd, Error::Forbidden);
    }
}

#[test]
fn only_a_scheduled_interview_is_rescheduled() {
    for history in [
        ai_started(),
        ai_completed(),
        human_completed(),
        cancelled(ai_scheduled()),
        no_show(human_scheduled()),
    ] {
        let cmd = reschedule(hr(), AT + 120, 90, Some(EXPIRES), 0);
        refused(&history, cmd, Error::NotScheduled);
    }
}

#[test]
fn rescheduling_follows_the_scheduling_time_rules() {
    let ai_h = ai_scheduled();
    let human_h = human_scheduled();
    let cases = [
        (
            &ai_h,
            reschedule(hr(), AT, 4, Some(EXPIRES), 0),
            invalid("duration_mins", "out_of_range"),
        ),
        (
            &human_h,
            reschedule(hr(), AT, 481, None, 0),
            invalid("duration_mins", "out_of_range"),
        ),
        (
            &ai_h,
            reschedule(hr(), 10, 30, Some(EXPIRES), 10),
            Error::InPast,
        ),
        (&human_h, reschedule(hr(), 10, 30, None, 20), Error::InPast),
        (
            &ai_h,
            reschedule(hr(), 500, 30, Some(500), 0),
            Error::InvalidExpiry,
        ),
        (
            &ai_h,
            reschedule(hr(), 500, 30, None, 0),
            Error::InvalidExpiry,
        ),
        (
            &human_h,
            reschedule(hr(), 500, 30, Some(600), 0),
            invalid("expires_at", "not_allowed"),
        ),
    ];
    for (history, cmd, err) in cases {
        refused(history, cmd, err);
    }
}

#[test]
fn rescheduling_to_the_same_plan_changes_nothing() {
    let same_ai = reschedule(hr(), AT, DURATION, Some(EXPIRES), 0);
    refused(&ai_scheduled(), same_ai, Error::NothingToChange);
    let same_human = reschedule(hr(), AT, DURATION, None, 0);
    refused(&human_scheduled(), same_human, Error::NothingToChange);
    // Any one change is a change.
    for cmd in [
        reschedule(hr(), AT + 1, DURATION, Some(EXPIRES), 0),
        reschedule(hr(), AT, DURATION + 1, Some(EXPIRES), 0),
        reschedule(hr(), AT, DURATION, Some(EXPIRES + 1), 0),
    ] {
        assert!(result(&ai_scheduled(), cmd).is_ok());
    }
}

#[test]
fn a_rescheduled_ai_interview_keeps_its_token() {
    let moved = E::InterviewRescheduled {
        rescheduled_by: Some(HR_ID),
        scheduled_at: mins(EXPIRES + 10),
        duration_mins: DURATION,
        expires_at: Some(mins(EXPIRES + 100)),
    };
    let history = and(ai_scheduled(), [moved]);
    let view = fold(history.clone());
    // The old expiry no longer applies; the new one does.
    assert_eq!(
        view.token_state(&token(), mins(EXPIRES + 50)),
        TokenState::Valid
    );
    assert_eq!(
        view.token_state(&token(), mins(EXPIRES + 101)),
        TokenState::Expired
    );
    let start = C::Start {
        actor: Actor::Anonymous,
        token_hash: token(),
        now: mins(EXPIRES + 50),
    };
    assert!(result(&history, start).is_ok());
}
