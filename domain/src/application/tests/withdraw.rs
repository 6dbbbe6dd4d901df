//! Withdraw: by the linked candidate or a manager, from every non-final status.

use super::*;

#[test]
fn the_candidate_or_a_manager_withdraws_from_every_non_final_status() {
    let mut actors = managers().to_vec();
    actors.push((candidate(), ME));
    for from in S::ALL.into_iter().filter(|s| !s.is_final()) {
        for (actor, by) in &actors {
            given(history(from))
                .when(withdraw(*actor, Some("found another job")))
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
        let result = normalize_reason(reason.as_deref())
            .and_then(|r| outcome(history(S::Applied), withdraw(candidate(), r.as_deref())));
        let expected = recorded.map(|r| vec![withdrawn(S::Applied, ME, r.as_deref())]);
        assert_eq!(result, expected, "{reason:?}");
    }
}

#[test]
fn a_candidate_account_linked_after_applying_may_withdraw() {
    // Submitted anonymously; the candidate record was linked to the account later.
    let unlinked = vec![submitted(Src::Portal, None, None)];
    let command = C::Withdraw {
        actor: candidate(),
        candidate_user_id: ME,
        reason: None,
        at: at(),
    };
    given(unlinked.clone())
        .when(command)
        .then_expect_events(vec![withdrawn(S::Applied, ME, None)]);
    // Another account is still refused.
    let other = C::Withdraw {
        actor: candidate(),
        candidate_user_id: Some(Uuid::from_u128(0xBEEF)),
        reason: None,
        at: at(),
    };
    refused(unlinked, other, Error::Forbidden);
}
