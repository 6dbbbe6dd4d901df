//! Apply: who may submit, once per candidate and job, to an open job only.

use super::*;

#[test]
fn apply_records_the_submission_for_every_permitted_actor() {
    let mut cases = vec![
        (Actor::Anonymous, Src::Portal, None, None),
        (candidate(), Src::Portal, ME, ME),
    ];
    for (actor, by) in managers() {
        for source in [Src::Portal, Src::Hr, Src::Import] {
            for link in [None, ME] {
                cases.push((actor, source, link, by));
            }
        }
    }
    for (actor, source, link, by) in cases {
        given(vec![])
            .when(apply_as(actor, source, link, app_id(), J::Open))
            .then_expect_events(vec![submitted(source, link, by)]);
    }
}

#[test]
fn apply_is_refused_for_everyone_else() {
    let other_user = Some(Uuid::from_u128(0xCB));
    let as_user = |role, company| user(CANDIDATE_USER, role, company);
    let elsewhere = as_user(Role::Candidate, Some(OTHER_COMPANY));
    let cases = [
        (Actor::Anonymous, Src::Hr, None),
        (Actor::Anonymous, Src::Import, None),
        (Actor::Anonymous, Src::Portal, ME),
        (candidate(), Src::Portal, None),
        (candidate(), Src::Portal, other_user),
        (candidate(), Src::Hr, ME),
        (candidate(), Src::Import, ME),
        (elsewhere, Src::Portal, ME),
        (as_user(Role::Candidate, None), Src::Portal, ME),
        (as_user(Role::Employee, Some(COMPANY)), Src::Portal, ME),
        (hr(OTHER_COMPANY), Src::Hr, None),
        (user(HR_ID, Role::Hr, None), Src::Hr, None),
    ];
    for (actor, source, link) in cases {
        let cmd = apply_as(actor, source, link, app_id(), J::Open);
        refused(vec![], cmd, Error::Forbidden);
    }
}

#[test]
fn applying_twice_is_refused_in_every_state() {
    for status in S::ALL {
        for job_status in [J::Open, J::Closed] {
            let cmd = apply_to(app_id(), job_status);
            refused(history(status), cmd, Error::AlreadyApplied);
        }
    }
}

#[test]
fn applying_to_a_job_that_is_not_open_is_refused() {
    for job_status in [J::Draft, J::Paused, J::Closed] {
        refused(vec![], apply_to(app_id(), job_status), Error::JobNotOpen);
    }
}

#[test]
fn apply_with_an_id_other_than_the_derived_one_is_refused() {
    for wrong in [
        Uuid::from_u128(0xBAD),
        application_id(CANDIDATE, JOB),
        application_id(JOB, Uuid::from_u128(0xCB)),
    ] {
        for history in [vec![], history(S::Applied)] {
            let cmd = apply_to(wrong, J::Open);
            refused(history, cmd, Error::IdMismatch);
        }
    }
}
