//! Status transitions, details updates, verdict thresholds and the review policy.

use super::*;

#[test]
fn status_transitions() {
    let opened = Ok(vec![E::JobOpened {
        opened_by: Some(HR_ID),
    }]);
    let paused_ev = Ok(vec![E::JobPaused {
        paused_by: Some(HR_ID),
    }]);
    let closed_ev = Ok(vec![E::JobClosed {
        closed_by: Some(HR_ID),
    }]);
    let bad = Err(JobError::InvalidTransition);
    let table = [
        (draft(), opened.clone(), bad.clone(), closed_ev.clone()),
        (open(), bad.clone(), paused_ev, closed_ev.clone()),
        (paused(), opened, bad, closed_ev),
    ];
    for (history, on_open, on_pause, on_close) in table {
        assert_eq!(result(&history, C::Open { actor: hr() }), on_open);
        assert_eq!(result(&history, C::Pause { actor: hr() }), on_pause);
        assert_eq!(result(&history, C::Close { actor: hr() }), on_close);
    }
    assert_eq!(fold(paused()).status, JobStatus::Paused);
    assert_eq!(fold(closed()).status, JobStatus::Closed);
}

#[test]
fn opening_needs_a_description_and_a_skill() {
    let no_desc = with(|d| d.description = " \n ".into());
    let no_skills = with(|d| d.skills = vec![]);
    let emptied = |d: JobDetails| E::JobUpdated {
        updated_by: None,
        details: d,
    };
    for (d, err) in [
        (no_desc, JobError::MissingDescription),
        (no_skills, JobError::NoSkills),
    ] {
        let trimmed = C::Update {
            actor: hr(),
            details: d.clone(),
        };
        let d = match result(&draft(), trimmed).as_deref() {
            Ok([E::JobUpdated { details, .. }]) => details.clone(),
            other => panic!("{other:?}"),
        };
        let draft_empty = vec![created_with(d.clone())];
        assert_eq!(
            result(&draft_empty, C::Open { actor: hr() }),
            Err(err.clone())
        );
        let paused_empty = and(paused(), [emptied(d.clone())]);
        assert_eq!(
            result(&paused_empty, C::Open { actor: hr() }),
            Err(err.clone())
        );
        // An open job cannot be emptied, a paused one can (it just cannot reopen).
        let update = C::Update {
            actor: hr(),
            details: d,
        };
        assert_eq!(result(&open(), update.clone()), Err(err));
        assert!(result(&paused(), update).is_ok());
    }
}

// ---- Update, thresholds, review policy ------------------------------------------------------

#[test]
fn update_replaces_details_while_not_closed() {
    let new = with(|d| (d.title, d.employment_type) = ("Staff".into(), EmploymentType::Contract));
    for history in [draft(), open(), paused()] {
        let cmd = C::Update {
            actor: hr(),
            details: new.clone(),
        };
        let expected = E::JobUpdated {
            updated_by: Some(HR_ID),
            details: new.clone(),
        };
        assert_eq!(result(&history, cmd), Ok(vec![expected.clone()]));
        assert_eq!(fold(and(history, [expected])).details, Some(new.clone()));
    }
}

#[test]
fn update_with_the_same_details_changes_nothing() {
    let same_after_trim = with(|d| d.title = format!("  {}  ", d.title));
    for d in [details(), same_after_trim] {
        let cmd = C::Update {
            actor: hr(),
            details: d,
        };
        given(draft())
            .when(cmd)
            .then_expect_error(JobError::NothingToChange);
    }
}

#[test]
fn thresholds_change_and_fall_back_to_company_default() {
    let set = |t| C::ChangeThresholds {
        actor: hr(),
        thresholds: t,
    };
    let changed = |t| E::JobThresholdsChanged {
        changed_by: Some(HR_ID),
        thresholds: t,
    };
    assert_eq!(
        result(&open(), set(thresholds(80, 30))),
        Ok(vec![changed(thresholds(80, 30))])
    );
    let custom = and(open(), [changed(thresholds(80, 30))]);
    assert_eq!(fold(custom.clone()).thresholds, thresholds(80, 30));
    assert_eq!(result(&custom, set(None)), Ok(vec![changed(None)]));
    assert_eq!(
        result(&custom, set(thresholds(80, 30))),
        Err(JobError::NothingToChange)
    );
    assert_eq!(result(&draft(), set(None)), Err(JobError::NothingToChange));
    assert_eq!(
        result(&draft(), set(thresholds(30, 80))),
        Err(JobError::InvalidThresholds)
    );
    assert_eq!(fold(and(custom, [changed(None)])).thresholds, None);
}

#[test]
fn review_policy_can_be_toggled() {
    let set = |r| C::ChangeReviewPolicy {
        actor: hr(),
        human_review_required: r,
    };
    let changed = |r| E::JobReviewPolicyChanged {
        changed_by: Some(HR_ID),
        human_review_required: r,
    };
    assert_eq!(result(&paused(), set(false)), Ok(vec![changed(false)]));
    assert_eq!(result(&draft(), set(true)), Err(JobError::NothingToChange));
    let off = and(draft(), [changed(false)]);
    assert!(!fold(off.clone()).human_review_required);
    assert_eq!(result(&off, set(false)), Err(JobError::NothingToChange));
    assert_eq!(result(&off, set(true)), Ok(vec![changed(true)]));
}
