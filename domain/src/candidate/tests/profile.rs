//! Creation and profile updates: sealed personal data, validation and normalization.

use super::*;

#[test]
fn create_records_the_candidate_for_every_manager() {
    for (actor, by) in managers() {
        for (user_id, import_id) in [(None, None), (Some(CANDIDATE_USER), Some(IMPORT))] {
            let cmd = C::Create {
                actor,
                candidate_id: CANDIDATE,
                company_id: COMPANY,
                profile: profile(),
                user_id,
                import_id,
            };
            let expected = E::CandidateCreated {
                candidate_id: CANDIDATE,
                company_id: COMPANY,
                created_by: by,
                profile: profile(),
                user_id,
                import_id,
            };
            given(vec![])
                .when(cmd)
                .then_expect_events(vec![expected.clone()]);
            let candidate = fold(vec![expected]);
            assert_eq!(candidate.status, CandidateStatus::Active);
            assert!(candidate.is_active());
            assert_eq!(candidate.id(), Some(CANDIDATE));
            assert_eq!(candidate.company_id(), Some(COMPANY));
            assert_eq!(candidate.user_id(), user_id);
            assert_eq!(candidate.import_id(), import_id);
            assert_eq!(candidate.assigned_to(), None);
            assert_eq!(candidate.profile(), Some(&profile()));
        }
    }
}

#[test]
fn create_keeps_optional_personal_data_optional() {
    let minimal = with(|p| {
        p.phone = None;
        p.qualifications = None;
        p.position = String::new();
        p.domain = String::new();
        p.experience_years = 0;
        p.tags = vec![];
    });
    given(vec![])
        .when(create_as(hr(), minimal.clone()))
        .then_expect_events(vec![created_with(minimal)]);
}

#[test]
fn creating_an_existing_candidate_is_refused() {
    let histories = [
        active(),
        and(active(), [assigned(EMPLOYEE_ID), linked(CANDIDATE_USER)]),
    ];
    for history in histories {
        for (actor, _) in managers() {
            refused(
                &history,
                create_as(actor, profile()),
                CandidateError::AlreadyExists,
            );
        }
    }
}

/// Profiles with one sealed value under someone else's key.
fn foreign_profiles() -> Vec<CandidateProfile> {
    let other = Uuid::from_u128(0xBAD);
    vec![
        with(|p| p.name = sealed(other, "name")),
        with(|p| p.email = sealed(other, "email")),
        with(|p| p.phone = Some(sealed(other, "phone"))),
        with(|p| p.qualifications = Some(sealed(other, "[]"))),
        with(|p| p.email = sealed(CANDIDATE_USER, "email")),
    ]
}

#[test]
fn personal_data_sealed_for_another_subject_is_refused() {
    for p in foreign_profiles() {
        refused(
            &[],
            create_as(hr(), p.clone()),
            CandidateError::WrongDataSubject,
        );
        refused(&active(), update(hr(), p), CandidateError::WrongDataSubject);
    }
}

#[test]
fn clear_fields_are_trimmed() {
    let raw = with(|p| {
        p.position = "  Backend Engineer \t".into();
        p.domain = "\nFintech ".into();
        p.tags = vec![" Rust ".into(), "remote\t".into()];
    });
    given(vec![])
        .when(create_as(hr(), raw.clone()))
        .then_expect_events(vec![created_with(profile())]);
    let moved = with(|p| p.position = "  Lead ".into());
    given(active())
        .when(update(hr(), moved))
        .then_expect_events(vec![E::CandidateUpdated {
            updated_by: Some(HR_ID),
            profile: with(|p| p.position = "Lead".into()),
        }]);
}

#[test]
fn clear_fields_are_validated_on_create_and_update() {
    let tags = |n: usize| (0..n).map(|i| format!("tag{i}")).collect::<Vec<_>>();
    let cases = [
        (
            with(|p| p.position = "x".repeat(201)),
            "position",
            "too_long",
        ),
        (
            with(|p| p.position = "a\u{7}b".into()),
            "position",
            "control_characters",
        ),
        (with(|p| p.domain = "é".repeat(201)), "domain", "too_long"),
        (
            with(|p| p.domain = "a\nb".into()),
            "domain",
            "control_characters",
        ),
        (
            with(|p| p.experience_years = 71),
            "experience_years",
            "out_of_range",
        ),
        (
            with(|p| p.experience_years = u8::MAX),
            "experience_years",
            "out_of_range",
        ),
        (
            with(|p| p.tags = vec!["ok".into(), "  ".into()]),
            "tag",
            "empty",
        ),
        (with(|p| p.tags = vec![String::new()]), "tag", "empty"),
        (with(|p| p.tags = vec!["x".repeat(51)]), "tag", "too_long"),
        (
            with(|p| p.tags = vec!["a\u{0}".into()]),
            "tag",
            "control_characters",
        ),
        (
            with(|p| p.tags = vec!["Rust".into(), " rust ".into()]),
            "tags",
            "duplicate",
        ),
        (
            with(|p| p.tags = vec!["ÄRGER".into(), "ärger".into()]),
            "tags",
            "duplicate",
        ),
        (with(|p| p.tags = tags(21)), "tags", "too_many"),
    ];
    for (p, field, reason) in cases {
        refused(&[], create_as(hr(), p.clone()), invalid(field, reason));
        refused(&active(), update(hr(), p), invalid(field, reason));
    }
}

#[test]
fn limits_are_inclusive() {
    let tags: Vec<String> = (0..20).map(|i| format!("{i}{}", "t".repeat(48))).collect();
    let edge = with(|p| {
        p.position = "é".repeat(200);
        p.domain = "d".repeat(200);
        p.experience_years = 70;
        p.tags = tags;
    });
    given(vec![])
        .when(create_as(hr(), edge.clone()))
        .then_expect_events(vec![created_with(edge)]);
}

#[test]
fn update_replaces_the_whole_profile() {
    let next = with(|p| {
        p.name = sealed(CANDIDATE, "new name");
        p.phone = None;
        p.qualifications = None;
        p.source = CandidateSource::Referral;
        p.tags = vec![];
    });
    for (actor, by) in managers() {
        let expected = E::CandidateUpdated {
            updated_by: by,
            profile: next.clone(),
        };
        given(active())
            .when(update(actor, next.clone()))
            .then_expect_events(vec![expected.clone()]);
        let candidate = fold(and(active(), [expected]));
        assert_eq!(candidate.profile(), Some(&next));
    }
}

#[test]
fn an_identical_profile_is_nothing_to_change() {
    let untrimmed = with(|p| p.position = " Backend Engineer ".into());
    for p in [profile(), untrimmed] {
        refused(&active(), update(hr(), p), CandidateError::NothingToChange);
    }
    // Tags compare exactly: a change of case or order is a change.
    let recased = with(|p| p.tags = vec!["rust".into(), "remote".into()]);
    let reordered = with(|p| p.tags = vec!["remote".into(), "Rust".into()]);
    for p in [recased, reordered] {
        assert!(result(&active(), update(hr(), p)).is_ok());
    }
}
