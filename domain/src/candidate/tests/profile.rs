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
        p.position = text("");
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
        with(|p| p.position = PersonalText::Sealed(sealed(other, "CTO"))),
        with(|p| p.tags = vec![text("Rust"), PersonalText::Sealed(sealed(other, "go"))]),
        // Commands never carry clear text about the person.
        with(|p| p.position = PersonalText::Clear("CTO".into())),
        with(|p| p.tags = vec![PersonalText::Clear("Rust".into())]),
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
    let raw = with(|p| p.domain = "\nFintech ".into());
    given(vec![])
        .when(create_as(hr(), raw))
        .then_expect_events(vec![created_with(profile())]);
    // Position and tags are trimmed in clear by the command layer, before sealing.
    assert_eq!(
        normalize_position("  Backend Engineer \t"),
        Ok("Backend Engineer".to_owned())
    );
    let raw_tags = [" Rust ".to_owned(), "remote\t".to_owned()];
    assert_eq!(
        normalize_tags(&raw_tags),
        Ok(vec!["Rust".to_owned(), "remote".to_owned()])
    );
}

#[test]
fn clear_fields_are_validated_on_create_and_update() {
    let cases = [
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
            with(|p| p.tags = (0..21).map(|i| text(&format!("tag{i}"))).collect()),
            "tags",
            "too_many",
        ),
    ];
    for (p, field, reason) in cases {
        refused(&[], create_as(hr(), p.clone()), invalid(field, reason));
        refused(&active(), update(hr(), p), invalid(field, reason));
    }
}

#[test]
fn position_and_tags_are_validated_in_clear_before_sealing() {
    let err = |field, reason| Err(InvalidValue { field, reason });
    assert_eq!(
        normalize_position(&"x".repeat(201)),
        err("position", "too_long")
    );
    assert_eq!(
        normalize_position("a\u{7}b"),
        err("position", "control_characters")
    );
    assert_eq!(normalize_position(&"é".repeat(200)), Ok("é".repeat(200)));
    let many = |n: usize| (0..n).map(|i| format!("tag{i}")).collect::<Vec<_>>();
    let owned = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let cases = [
        (owned(&["ok", "  "]), "tag", "empty"),
        (owned(&[""]), "tag", "empty"),
        (vec!["x".repeat(51)], "tag", "too_long"),
        (owned(&["a\u{0}"]), "tag", "control_characters"),
        (owned(&["Rust", " rust "]), "tags", "duplicate"),
        (owned(&["ÄRGER", "ärger"]), "tags", "duplicate"),
        (many(21), "tags", "too_many"),
    ];
    for (t, field, reason) in cases {
        let refused = InvalidValue { field, reason };
        assert_eq!(normalize_tags(&t), Err(refused), "{t:?}");
    }
    let edge: Vec<String> = (0..20).map(|i| format!("{i}{}", "t".repeat(48))).collect();
    assert_eq!(normalize_tags(&edge), Ok(edge.clone()));
}

#[test]
fn profiles_recorded_in_clear_by_version_1_still_read() {
    let mut v1 = serde_json::to_value(created_with(profile())).expect("serializes");
    let p = &mut v1["CandidateCreated"]["profile"];
    p["position"] = "Backend Engineer".into();
    p["tags"] = serde_json::json!(["Rust", "remote"]);
    let event: E = serde_json::from_value(v1).expect("a version 1.0 event reads");
    let E::CandidateCreated { profile: read, .. } = event else {
        panic!("wrong event");
    };
    assert_eq!(
        read.position,
        PersonalText::Clear("Backend Engineer".into())
    );
    assert_eq!(read.tags[1], PersonalText::Clear("remote".into()));
}

#[test]
fn limits_are_inclusive() {
    let edge = with(|p| {
        p.position = text(&"é".repeat(200));
        p.domain = "d".repeat(200);
        p.experience_years = 70;
        p.tags = (0..20).map(|i| text(&format!("tag{i}"))).collect();
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
    let untrimmed = with(|p| p.domain = " Fintech ".into());
    for p in [profile(), untrimmed] {
        refused(&active(), update(hr(), p), CandidateError::NothingToChange);
    }
    // Sealed values compare by ciphertext (the command layer passes unchanged ones back); tags
    // compare exactly: a change of case or order is a change.
    let recased = with(|p| p.tags = tags(&["rust", "remote"]));
    let reordered = with(|p| p.tags = tags(&["remote", "Rust"]));
    for p in [recased, reordered] {
        assert!(result(&active(), update(hr(), p)).is_ok());
    }
}
