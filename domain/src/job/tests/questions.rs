//! Interview questions (add, edit, reorder, remove) and the events' stable contract.

use super::*;

#[test]
fn questions_are_added_at_the_end_trimmed() {
    let raw = Question {
        text: "  Why Rust? ".into(),
        rubric: vec![" safety ".into()],
        ..question("")
    };
    let clean = Question {
        text: "Why Rust?".into(),
        rubric: vec!["safety".into()],
        ..question("")
    };
    for history in [draft(), open(), paused()] {
        let expected = E::QuestionAdded {
            added_by: Some(HR_ID),
            question_id: Q3,
            question: clean.clone(),
        };
        assert_eq!(
            result(&history, add(Q3, raw.clone())),
            Ok(vec![expected.clone()])
        );
        let ids: Vec<Uuid> = fold(and(history, [expected]))
            .questions
            .iter()
            .map(|q| q.question_id)
            .collect();
        assert_eq!(ids, [Q1, Q2, Q3]);
    }
}

#[test]
fn question_ids_are_unique_and_limited_to_100() {
    given(draft())
        .when(add(Q1, question("Again?")))
        .then_expect_error(JobError::DuplicateQuestion);
    let full = and(
        vec![created_with(details())],
        (0..100).map(|i| added(Uuid::from_u128(1000 + i), "Q?")),
    );
    assert_eq!(
        result(&full, add(Q3, question("One more?"))),
        Err(invalid("questions", "too_many"))
    );
}

#[test]
fn questions_are_validated_on_add_and_edit() {
    let q = |f: fn(&mut Question)| {
        let mut q = question("Q?");
        f(&mut q);
        q
    };
    let cases = [
        (
            q(|q| q.text = " ".into()),
            invalid("question_text", "empty"),
        ),
        (
            q(|q| q.text = "x".repeat(2001)),
            invalid("question_text", "too_long"),
        ),
        (
            q(|q| q.text = "a\u{0}".into()),
            invalid("question_text", "control_characters"),
        ),
        (
            q(|q| q.weight = 0),
            invalid("question_weight", "out_of_range"),
        ),
        (
            q(|q| q.weight = 101),
            invalid("question_weight", "out_of_range"),
        ),
        (
            q(|q| q.expected_duration_secs = 9),
            invalid("expected_duration", "out_of_range"),
        ),
        (
            q(|q| q.expected_duration_secs = 3601),
            invalid("expected_duration", "out_of_range"),
        ),
        (
            q(|q| q.ideal_answer = Some("  ".into())),
            invalid("ideal_answer", "empty"),
        ),
        (
            q(|q| q.ideal_answer = Some("x".repeat(10_001))),
            invalid("ideal_answer", "too_long"),
        ),
        (
            q(|q| q.rubric = vec!["ok".into(), "".into()]),
            invalid("rubric_point", "empty"),
        ),
        (
            q(|q| q.rubric = vec!["x".repeat(501)]),
            invalid("rubric_point", "too_long"),
        ),
        (
            q(|q| q.rubric = vec!["p".into(); 21]),
            invalid("rubric", "too_many"),
        ),
    ];
    for (bad, err) in cases {
        assert_eq!(
            result(&draft(), add(Q3, bad.clone())),
            Err(err.clone()),
            "{bad:?}"
        );
        assert_eq!(result(&draft(), edit(Q1, bad)), Err(err));
    }
    let limits = [
        q(|q| (q.weight, q.expected_duration_secs) = (1, 10)),
        q(|q| (q.weight, q.expected_duration_secs) = (100, 3600)),
        q(|q| (q.ideal_answer, q.rubric) = (None, vec![])),
        q(|q| q.rubric = vec!["é".repeat(500); 20]),
        q(|q| q.text = "multi\nline\tok".into()),
        q(|q| (q.category, q.difficulty) = (QuestionCategory::Cultural, Difficulty::Hard)),
    ];
    for ok in limits {
        assert!(result(&draft(), add(Q3, ok.clone())).is_ok(), "{ok:?}");
    }
}

#[test]
fn questions_are_edited_in_place() {
    let new = Question {
        category: QuestionCategory::Behavioural,
        ..question("Tell me?")
    };
    let expected = E::QuestionEdited {
        edited_by: Some(HR_ID),
        question_id: Q1,
        question: new.clone(),
    };
    assert_eq!(
        result(&open(), edit(Q1, new.clone())),
        Ok(vec![expected.clone()])
    );
    let job = fold(and(open(), [expected]));
    assert_eq!(
        job.questions[0],
        JobQuestion {
            question_id: Q1,
            question: new
        }
    );
    assert_eq!(
        result(&draft(), edit(Q3, question("?"))),
        Err(JobError::UnknownQuestion)
    );
    assert_eq!(
        result(&draft(), edit(Q1, question(" One? "))),
        Err(JobError::NothingToChange)
    );
}

#[test]
fn reorder_needs_a_permutation_of_the_current_questions() {
    let expected = E::QuestionsReordered {
        reordered_by: Some(HR_ID),
        order: vec![Q2, Q1],
    };
    assert_eq!(
        result(&paused(), reorder(&[Q2, Q1])),
        Ok(vec![expected.clone()])
    );
    let ids: Vec<Uuid> = fold(and(draft(), [expected]))
        .questions
        .iter()
        .map(|q| q.question_id)
        .collect();
    assert_eq!(ids, [Q2, Q1]);
    for order in [
        &[][..],
        &[Q1],
        &[Q1, Q1],
        &[Q1, Q3],
        &[Q1, Q2, Q3],
        &[Q2, Q1, Q1],
    ] {
        assert_eq!(
            result(&draft(), reorder(order)),
            Err(JobError::NotAPermutation),
            "{order:?}"
        );
    }
    assert_eq!(
        result(&draft(), reorder(&[Q1, Q2])),
        Err(JobError::NothingToChange)
    );
    let none = vec![created_with(details())];
    assert_eq!(result(&none, reorder(&[])), Err(JobError::NothingToChange));
}

#[test]
fn questions_are_removed() {
    let cmd = |id| C::RemoveQuestion {
        actor: hr(),
        question_id: id,
    };
    let expected = E::QuestionRemoved {
        removed_by: Some(HR_ID),
        question_id: Q1,
    };
    assert_eq!(result(&open(), cmd(Q1)), Ok(vec![expected.clone()]));
    let history = and(open(), [expected]);
    assert_eq!(fold(history.clone()).questions.len(), 1);
    for c in [cmd(Q1), edit(Q1, question("?")), cmd(Q3)] {
        assert_eq!(result(&history, c), Err(JobError::UnknownQuestion));
    }
    // A removed id may be used again.
    assert!(result(&history, add(Q1, question("Back?"))).is_ok());
}

// ---- Events ---------------------------------------------------------------------------------

#[test]
fn event_types_are_stable_and_events_round_trip() {
    let events = and(
        paused(),
        [
            E::JobUpdated {
                updated_by: None,
                details: details(),
            },
            E::JobThresholdsChanged {
                changed_by: None,
                thresholds: thresholds(90, 10),
            },
            E::JobReviewPolicyChanged {
                changed_by: None,
                human_review_required: false,
            },
            E::QuestionEdited {
                edited_by: None,
                question_id: Q1,
                question: question("?"),
            },
            E::QuestionsReordered {
                reordered_by: None,
                order: vec![Q2, Q1],
            },
            E::QuestionRemoved {
                removed_by: None,
                question_id: Q2,
            },
            E::JobClosed { closed_by: None },
        ],
    );
    let types: Vec<String> = events.iter().map(DomainEvent::event_type).collect();
    assert_eq!(
        types,
        [
            "JobCreated",
            "QuestionAdded",
            "QuestionAdded",
            "JobOpened",
            "JobPaused",
            "JobUpdated",
            "JobThresholdsChanged",
            "JobReviewPolicyChanged",
            "QuestionEdited",
            "QuestionsReordered",
            "QuestionRemoved",
            "JobClosed",
        ]
    );
    for e in &events {
        assert_eq!(e.event_version(), "1.0");
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(serde_json::from_value::<E>(json).unwrap(), *e);
    }
    let wire = serde_json::to_value((
        EmploymentType::FullTime,
        QuestionCategory::Behavioural,
        Difficulty::Easy,
        JobStatus::Paused,
    ))
    .unwrap();
    assert_eq!(
        wire,
        serde_json::json!(["FULL_TIME", "BEHAVIOURAL", "EASY", "PAUSED"])
    );
    assert_eq!(JobStatus::Closed.as_str(), "CLOSED");
    assert_eq!(<Job as Aggregate>::TYPE, "job");
}
