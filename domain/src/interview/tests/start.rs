//! Start with the one-time token, and the token's state as the validate endpoint reads it.

use super::*;

fn start(actor: Actor, token_hash: TokenHash, at: i64) -> C {
    C::Start {
        actor,
        token_hash,
        now: mins(at),
    }
}

fn started(at: i64) -> E {
    E::InterviewStarted {
        started_at: mins(at),
    }
}

#[test]
fn the_token_holder_or_linked_candidate_starts_an_ai_interview() {
    for actor in [Actor::Anonymous, candidate()] {
        given(ai_scheduled())
            .when(start(actor, token(), AT))
            .then_expect_events(vec![started(AT)]);
    }
    let view = fold(and(ai_scheduled(), [started(AT)]));
    assert_eq!(view.status(), S::InProgress);
    assert_eq!(view.started_at(), Some(mins(AT)));
}

#[test]
fn the_link_works_from_scheduling_until_its_expiry_inclusive() {
    for at in [1, AT - 1, EXPIRES] {
        let got = result(&ai_scheduled(), start(Actor::Anonymous, token(), at));
        assert_eq!(got, Ok(vec![started(at)]), "{at}");
    }
    let late = start(Actor::Anonymous, token(), EXPIRES + 1);
    refused(&ai_scheduled(), late, Error::Expired);
}

#[test]
fn only_the_candidate_starts() {
    let others = [
        hr(),
        admin(),
        Actor::System,
        employee(IV_EMP),
        employee(EMPLOYEE_ID),
        user(HR_ID, Role::Hr, Some(OTHER_COMPANY)),
        user(Uuid::from_u128(0xCB), Role::Candidate, Some(COMPANY)),
    ];
    for actor in others {
        refused(&ai_scheduled(), start(actor, token(), AT), Error::Forbidden);
    }
    // An application linked to no user account: only the token holder.
    let unlinked = ai().with(|p| p.application.candidate_user_id = None);
    let history = vec![unlinked.event(Some(HR_ID))];
    refused(&history, start(candidate(), token(), AT), Error::Forbidden);
    assert!(result(&history, start(Actor::Anonymous, token(), AT)).is_ok());
}

#[test]
fn the_token_must_be_the_interviews_own() {
    for actor in [Actor::Anonymous, candidate()] {
        let cmd = start(actor, other_token(), AT);
        refused(&ai_scheduled(), cmd, Error::InvalidToken);
    }
    // Token first: someone without the token learns nothing about the interview's progress.
    for history in [ai_started(), ai_completed(), cancelled(ai_scheduled())] {
        let cmd = start(Actor::Anonymous, other_token(), EXPIRES + 1);
        refused(&history, cmd, Error::InvalidToken);
    }
}

#[test]
fn a_human_interview_is_not_started() {
    for actor in [Actor::Anonymous, candidate()] {
        for token_hash in [token(), other_token()] {
            let cmd = start(actor, token_hash, AT);
            refused(&human_scheduled(), cmd, Error::NotAiInterview);
        }
    }
}

#[test]
fn the_token_opens_one_session_only() {
    let again = |actor| start(actor, token(), AT + 2);
    for actor in [Actor::Anonymous, candidate()] {
        refused(&ai_started(), again(actor), Error::AlreadyStarted);
        refused(&ai_completed(), again(actor), Error::AlreadyCompleted);
    }
}

#[test]
fn a_cancelled_or_no_show_interview_is_not_started() {
    for history in [cancelled(ai_scheduled()), no_show(ai_scheduled())] {
        let cmd = start(Actor::Anonymous, token(), AT);
        refused(&history, cmd, Error::NotScheduled);
    }
}

// ---- token_state ----------------------------------------------------------------------------

#[test]
fn token_state_answers_for_every_situation() {
    let cases = [
        (ai_scheduled(), token(), AT, TokenState::Valid),
        (ai_scheduled(), token(), EXPIRES, TokenState::Valid),
        (ai_scheduled(), token(), EXPIRES + 1, TokenState::Expired),
        (ai_scheduled(), other_token(), AT, TokenState::Invalid),
        (human_scheduled(), token(), AT, TokenState::Invalid),
        (ai_started(), token(), AT + 2, TokenState::AlreadyStarted),
        (
            ai_started(),
            token(),
            EXPIRES + 1,
            TokenState::AlreadyStarted,
        ),
        (
            ai_completed(),
            token(),
            AT + 200,
            TokenState::AlreadyCompleted,
        ),
        (ai_completed(), other_token(), AT, TokenState::Invalid),
        (cancelled(ai_scheduled()), token(), AT, TokenState::Closed),
        (no_show(ai_scheduled()), token(), AT, TokenState::Closed),
    ];
    for (history, token_hash, at, expected) in cases {
        let view = fold(history);
        assert_eq!(view.token_state(&token_hash, mins(at)), expected, "{at}");
    }
}

#[test]
fn token_state_agrees_with_start() {
    let histories = [
        ai_scheduled(),
        ai_started(),
        ai_completed(),
        cancelled(ai_scheduled()),
        no_show(ai_scheduled()),
    ];
    for history in histories {
        for token_hash in [token(), other_token()] {
            for at in [AT, EXPIRES, EXPIRES + 1] {
                let state = fold(history.clone()).token_state(&token_hash, mins(at));
                let got = result(&history, start(Actor::Anonymous, token_hash.clone(), at));
                let expected = match state {
                    TokenState::Valid => Ok(vec![started(at)]),
                    TokenState::Invalid => Err(Error::InvalidToken),
                    TokenState::Expired => Err(Error::Expired),
                    TokenState::AlreadyStarted => Err(Error::AlreadyStarted),
                    TokenState::AlreadyCompleted => Err(Error::AlreadyCompleted),
                    TokenState::Closed => Err(Error::NotScheduled),
                };
                assert_eq!(got, expected, "{state:?} at {at}");
            }
        }
    }
}
