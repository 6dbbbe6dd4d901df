//! The job aggregate's published forms.

use super::{id, round_trip_all, same_wire_names};
use crate::job::{
    DifficultyV1, EmploymentTypeV1, JobCreatedV1, JobDetailsV1, JobThresholdsChangedV1,
    QuestionCategoryV1, QuestionEditedV1, QuestionV1, QuestionsReorderedV1, SalaryRangeV1, SkillV1,
    VerdictThresholdsV1,
};
use crate::{JobEventV1, PublishedEvent, SchemaError, decode, to_published};
use cqrs_es::Aggregate;
use hireledger_domain::job::{
    Difficulty, EmploymentType, Job, JobDetails, JobEvent, Question, QuestionCategory, SalaryRange,
    Skill, VerdictThresholds,
};
use serde_json::json;

fn details() -> JobDetails {
    JobDetails {
        title: "Backend Engineer".into(),
        description: "Build the ledger.\nWith care.".into(),
        requirements: "Rust".into(),
        department: "Engineering".into(),
        location: "Remote".into(),
        employment_type: EmploymentType::FullTime,
        salary: Some(SalaryRange {
            currency: "EUR".into(),
            min: 6_000_000,
            max: 8_000_000,
        }),
        skills: vec![
            Skill {
                name: "Rust".into(),
                weight: 80,
            },
            Skill {
                name: "SQL".into(),
                weight: 20,
            },
        ],
    }
}

fn question() -> Question {
    Question {
        text: "What does the borrow checker prevent?".into(),
        category: QuestionCategory::Technical,
        difficulty: Difficulty::Medium,
        weight: 50,
        ideal_answer: Some("Data races and dangling references.".into()),
        rubric: vec!["mentions aliasing XOR mutation".into()],
        expected_duration_secs: 120,
    }
}

fn job_events() -> Vec<JobEvent> {
    vec![
        JobEvent::JobCreated {
            job_id: id(0x10B),
            company_id: id(1),
            created_by: Some(id(2)),
            details: details(),
            thresholds: Some(VerdictThresholds { pass: 80, fail: 30 }),
            human_review_required: true,
        },
        JobEvent::JobUpdated {
            updated_by: None,
            details: JobDetails {
                description: String::new(),
                employment_type: EmploymentType::Internship,
                salary: None,
                skills: Vec::new(),
                ..details()
            },
        },
        JobEvent::JobOpened {
            opened_by: Some(id(2)),
        },
        JobEvent::JobPaused {
            paused_by: Some(id(9)),
        },
        JobEvent::JobClosed { closed_by: None },
        JobEvent::JobThresholdsChanged {
            changed_by: Some(id(2)),
            thresholds: None,
        },
        JobEvent::JobReviewPolicyChanged {
            changed_by: Some(id(2)),
            human_review_required: false,
        },
        JobEvent::QuestionAdded {
            added_by: Some(id(2)),
            question_id: id(0x51),
            question: question(),
        },
        JobEvent::QuestionEdited {
            edited_by: Some(id(2)),
            question_id: id(0x51),
            question: Question {
                category: QuestionCategory::Behavioural,
                difficulty: Difficulty::Hard,
                ideal_answer: None,
                rubric: Vec::new(),
                ..question()
            },
        },
        JobEvent::QuestionsReordered {
            reordered_by: Some(id(2)),
            order: vec![id(0x52), id(0x51)],
        },
        JobEvent::QuestionRemoved {
            removed_by: None,
            question_id: id(0x52),
        },
    ]
}

#[test]
fn every_job_event_round_trips() {
    assert_eq!(JobEventV1::AGGREGATE_TYPE, Job::TYPE);
    round_trip_all(JobEventV1::AGGREGATE, job_events(), |e| {
        PublishedEvent::Job(e.into())
    });
}

#[test]
fn job_forms_map_fields_explicitly() {
    let events = job_events();
    assert_eq!(
        JobEventV1::from(events[0].clone()),
        JobEventV1::JobCreated(JobCreatedV1 {
            job_id: id(0x10B),
            company_id: id(1),
            created_by: Some(id(2)),
            details: JobDetailsV1 {
                title: "Backend Engineer".into(),
                description: "Build the ledger.\nWith care.".into(),
                requirements: "Rust".into(),
                department: "Engineering".into(),
                location: "Remote".into(),
                employment_type: EmploymentTypeV1::FullTime,
                salary: Some(SalaryRangeV1 {
                    currency: "EUR".into(),
                    min: 6_000_000,
                    max: 8_000_000,
                }),
                skills: vec![
                    SkillV1 {
                        name: "Rust".into(),
                        weight: 80,
                    },
                    SkillV1 {
                        name: "SQL".into(),
                        weight: 20,
                    },
                ],
            },
            thresholds: Some(VerdictThresholdsV1 { pass: 80, fail: 30 }),
            human_review_required: true,
        })
    );
    assert_eq!(
        JobEventV1::from(events[5].clone()),
        JobEventV1::JobThresholdsChanged(JobThresholdsChangedV1 {
            changed_by: Some(id(2)),
            thresholds: None,
        })
    );
    assert_eq!(
        JobEventV1::from(events[8].clone()),
        JobEventV1::QuestionEdited(QuestionEditedV1 {
            edited_by: Some(id(2)),
            question_id: id(0x51),
            question: QuestionV1 {
                text: "What does the borrow checker prevent?".into(),
                category: QuestionCategoryV1::Behavioural,
                difficulty: DifficultyV1::Hard,
                weight: 50,
                ideal_answer: None,
                rubric: Vec::new(),
                expected_duration_secs: 120,
            },
        })
    );
}

#[test]
fn job_enums_keep_the_domain_wire_names() {
    use EmploymentType as T;
    same_wire_names::<T, EmploymentTypeV1>(&[
        T::FullTime,
        T::PartTime,
        T::Contract,
        T::Temporary,
        T::Internship,
    ]);
    use QuestionCategory as C;
    same_wire_names::<C, QuestionCategoryV1>(&[
        C::Technical,
        C::Behavioural,
        C::Situational,
        C::Cultural,
        C::Other,
    ]);
    use Difficulty as D;
    same_wire_names::<D, DifficultyV1>(&[D::Easy, D::Medium, D::Hard]);
    assert_eq!(
        serde_json::to_value(EmploymentTypeV1::FullTime).unwrap(),
        "FULL_TIME"
    );
}

#[test]
fn malformed_job_payloads_are_refused_and_additions_tolerated() {
    let opened = json!({ "JobOpened": { "opened_by": null } });
    let err = to_published("job", "JobPaused", "1.0", &opened).unwrap_err();
    assert!(matches!(err, SchemaError::Malformed(_)), "{err:?}");
    let bad_category = json!({ "QuestionAdded": {
        "added_by": null,
        "question_id": id(0x51),
        "question": { "text": "?", "category": "TRIVIA", "difficulty": "EASY", "weight": 1,
                      "ideal_answer": null, "rubric": [], "expected_duration_secs": 60 },
    } });
    let err = to_published("job", "QuestionAdded", "1.0", &bad_category).unwrap_err();
    assert!(matches!(err, SchemaError::Malformed(_)), "{err:?}");
    let err = decode(
        "hireledger.job.JobReviewPolicyChanged.v1",
        br#"{"changed_by":null}"#,
    )
    .unwrap_err();
    assert!(matches!(err, SchemaError::Malformed(_)), "{err:?}");

    let decoded = decode(
        "hireledger.job.QuestionsReordered.v1",
        br#"{"order":["00000000-0000-0000-0000-000000000052"],"reason":"added in 1.1"}"#,
    )
    .unwrap();
    assert_eq!(
        decoded,
        PublishedEvent::Job(JobEventV1::QuestionsReordered(QuestionsReorderedV1 {
            reordered_by: None,
            order: vec![id(0x52)],
        }))
    );
}
