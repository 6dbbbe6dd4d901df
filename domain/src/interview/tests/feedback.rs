//! SubmitFeedback and ReleaseResults.

use super::*;

fn ratings() -> Vec<CriterionRating> {
    vec![rating("Rust", 4), rating("Communication", 5)]
}

fn submitted(interviewer_id: Uuid, notes: Option<Sealed>) -> E {
    E::FeedbackSubmitted {
        interviewer_id,
        ratings: sealed_ratings(ratings()),
        notes,
        recommendation: Recommendation::Hire,
        submitted_at: mins(200),
    }
}

// ---- SubmitFeedback -------------------------------------------------------------------------

#[test]
fn interviewers_and_company_hr_submit_feedback_on_a_completed_interview() {
    let people = [(employee(IV_EMP), IV_EMP), (iv_hr(), IV_HR), (hr(), HR_ID)];
    for history in [human_completed(), ai_completed()] {
        for (actor, id) in people {
            for notes in [None, Some(sealed(CANDIDATE))] {
                given(history.clone())
                    .when(feedback(actor, ratings(), notes.clone()))
                    .then_expect_events(vec![submitted(id, notes)]);
            }
        }
    }
}

#[test]
fn criteria_are_trimmed_and_feedback_is_remembered_per_person() {
    let raw = vec![rating("  Rust ", 4), rating("Communication\t", 5)];
    let trimmed = normalize_ratings(raw).expect("valid ratings");
    let got = result(
        &human_completed(),
        feedback(employee(IV_EMP), trimmed, None),
    );
    assert_eq!(got, Ok(vec![submitted(IV_EMP, None)]));

    let history = and(human_completed(), [submitted(IV_EMP, None)]);
    assert_eq!(
        fold(history.clone())
            .feedback_from()
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        [IV_EMP]
    );
    let again = feedback(employee(IV_EMP), ratings(), None);
    refused(&history, again, Error::FeedbackAlreadySubmitted);
    // Others still may.
    let hr_too = and(history.clone(), [submitted(HR_ID, None)]);
    assert!(result(&history, feedback(hr(), ratings(), None)).is_ok());
    assert_eq!(fold(hr_too).feedback_from().len(), 2);
}

#[test]
fn feedback_needs_a_person_who_interviewed_or_hr_of_the_company() {
    let refusals = [
        Actor::System,
        admin(),
        Actor::Anonymous,
        user(HR_ID, Role::Hr, Some(OTHER_COMPANY)),
        user(HR_ID, Role::Hr, None),
        employee(EMPLOYEE_ID),
        candidate(),
        // An interviewer's id under another company is not the interviewer.
        user(IV_EMP, Role::Employee, Some(OTHER_COMPANY)),
        user(IV_EMP, Role::Candidate, Some(COMPANY)),
    ];
    for actor in refusals {
        let cmd = feedback(actor, ratings(), None);
        refused(&human_completed(), cmd, Error::Forbidden);
    }
}

#[test]
fn feedback_waits_for_completion() {
    for history in [
        ai_scheduled(),
        human_scheduled(),
        ai_started(),
        cancelled(human_scheduled()),
        no_show(human_scheduled()),
    ] {
        let cmd = feedback(employee(IV_EMP), ratings(), None);
        refused(&history, cmd, Error::NotCompleted);
    }
}

#[test]
fn ratings_are_validated() {
    let long = "é".repeat(101);
    let cases: Vec<(Vec<CriterionRating>, Error)> = vec![
        (vec![], invalid("ratings", "empty")),
        (
            (0..21).map(|i| rating(&format!("c{i}"), 3)).collect(),
            invalid("ratings", "too_many"),
        ),
        (vec![rating(" ", 3)], invalid("criterion", "empty")),
        (vec![rating(&long, 3)], invalid("criterion", "too_long")),
        (
            vec![rating("a\nb", 3)],
            invalid("criterion", "control_characters"),
        ),
        (
            vec![rating("Rust", 3), rating(" rUST ", 4)],
            invalid("ratings", "duplicate"),
        ),
        (vec![rating("Rust", 0)], invalid("rating", "out_of_range")),
        (vec![rating("Rust", 6)], invalid("rating", "out_of_range")),
    ];
    for (ratings, err) in cases {
        // The command layer checks them in clear, then seals them.
        let got = normalize_ratings(ratings.clone())
            .map_err(Error::from)
            .and_then(|r| result(&human_completed(), feedback(hr(), r, None)));
        assert_eq!(got, Err(err), "{ratings:?}");
    }
}

#[test]
fn sealed_ratings_are_counted_and_ranged_again() {
    let cases: Vec<(Vec<CriterionRating>, Error)> = vec![
        (vec![], invalid("ratings", "empty")),
        (
            (0..21).map(|i| rating(&format!("c{i}"), 3)).collect(),
            invalid("ratings", "too_many"),
        ),
        (vec![rating("Rust", 0)], invalid("rating", "out_of_range")),
    ];
    for (ratings, err) in cases {
        refused(&human_completed(), feedback(hr(), ratings, None), err);
    }
}

#[test]
fn criteria_are_sealed_under_the_candidates_key() {
    let clear = RecordedRating {
        criterion: PersonalText::Clear("Rust".into()),
        rating: 4,
    };
    let stranger = RecordedRating {
        criterion: PersonalText::Sealed(sealed(IV_EMP)),
        rating: 4,
    };
    for bad in [clear, stranger] {
        let cmd = C::SubmitFeedback {
            actor: hr(),
            ratings: vec![bad],
            notes: None,
            recommendation: Recommendation::Hire,
            now: mins(200),
        };
        refused(&human_completed(), cmd, Error::WrongDataSubject);
    }
}

#[test]
fn criteria_recorded_in_clear_by_version_1_still_read() {
    let v1 = serde_json::json!({"FeedbackSubmitted": {
        "interviewer_id": IV_EMP, "ratings": [{"criterion": "Rust", "rating": 4}],
        "notes": null, "recommendation": "HIRE", "submitted_at": "2023-11-14T22:13:20Z"}});
    let event: E = serde_json::from_value(v1).expect("a version 1.0 event reads");
    let E::FeedbackSubmitted { ratings, .. } = event else {
        panic!("wrong event");
    };
    assert_eq!(ratings[0].criterion, PersonalText::Clear("Rust".into()));
}

#[test]
fn ratings_accept_their_limits() {
    for ratings in [
        (0..20).map(|i| rating(&format!("c{i}"), 1)).collect(),
        vec![rating(&"é".repeat(100), 5)],
        vec![rating("x", 1), rating("y", 5)],
    ] {
        assert!(result(&human_completed(), feedback(hr(), ratings, None)).is_ok());
    }
}

#[test]
fn notes_are_sealed_under_the_candidates_key() {
    for subject in [IV_EMP, CANDIDATE_USER, Uuid::nil()] {
        let cmd = feedback(employee(IV_EMP), ratings(), Some(sealed(subject)));
        refused(&human_completed(), cmd, Error::WrongDataSubject);
    }
}

// ---- ReleaseResults -------------------------------------------------------------------------

fn release(actor: Actor) -> C {
    C::ReleaseResults { actor }
}

#[test]
fn managers_release_the_results_of_a_completed_interview_once() {
    for (actor, by) in managers() {
        for history in [ai_completed(), human_completed()] {
            let expected = E::InterviewResultsReleased { released_by: by };
            let got = result(&history, release(actor));
            assert_eq!(got, Ok(vec![expected.clone()]));
            let released = and(history, [expected]);
            assert!(fold(released.clone()).results_released());
            refused(&released, release(actor), Error::AlreadyReleased);
        }
    }
}

#[test]
fn outsiders_and_interviewers_cannot_release_results() {
    for actor in outsiders().into_iter().chain([employee(IV_EMP)]) {
        refused(&human_completed(), release(actor), Error::Forbidden);
    }
}

#[test]
fn results_are_released_only_after_completion() {
    for history in [
        ai_scheduled(),
        ai_started(),
        human_scheduled(),
        cancelled(ai_scheduled()),
        no_show(human_scheduled()),
    ] {
        refused(&history, release(hr()), Error::NotCompleted);
    }
}

#[test]
fn feedback_may_still_arrive_after_release() {
    let released = and(
        human_completed(),
        [E::InterviewResultsReleased { released_by: None }],
    );
    let cmd = feedback(employee(IV_EMP), ratings(), None);
    assert_eq!(result(&released, cmd), Ok(vec![submitted(IV_EMP, None)]));
}
