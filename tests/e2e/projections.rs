//! The projector runner and the identity projector against the real broker and PostgreSQL.
//!
//! Events are produced straight to unique topics (no relay) with the relay's header set, payloads
//! built from the published structs; personal values are sealed with the real vault.

mod harness;
mod offsets;
mod orphans;
mod scale_out;
mod transient;

use chrono::{Duration as Span, SubsecRound, Utc};
use harness::{
    Harness, company_approved, company_event, eventually, role_changed, user_deactivated,
    user_event, user_reactivated,
};
use hireledger_projections::queries::{self, QueryError, ViewKind};
use hireledger_schemas::common::RoleV1;
use hireledger_schemas::company::{
    CompanyDeactivatedV1, CompanyProfileUpdatedV1, CompanyRegistrationRejectedV1,
    CompanyRegistrationRequestedV1, CompanySettingsChangedV1, CompanySettingsV1, ContactPersonV1,
};
use hireledger_schemas::user::{
    UserPasswordChangedV1, UserPersonalDataErasedV1, UserProfileUpdatedV1, UserRegisteredV1,
};
use hireledger_schemas::{CompanyEventV1, UserEventV1};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_project_into_decrypted_rows() {
    let h = Harness::new(3).await;
    let running = h.start();
    let t0 = Utc::now();
    let (acme, dana) = (Uuid::new_v4(), Uuid::new_v4());

    // Company: requested, settings changed, approved, profile updated.
    h.register_company(acme, dana, "Acme", t0).await;
    h.send(
        acme,
        2,
        t0 + Span::seconds(1),
        Some(acme),
        company_event(CompanyEventV1::CompanySettingsChanged(
            CompanySettingsChangedV1 {
                changed_by: None,
                settings: CompanySettingsV1 {
                    pass_threshold: 80,
                    fail_threshold: 50,
                },
            },
        )),
    )
    .await;
    h.send(
        acme,
        3,
        t0 + Span::seconds(2),
        Some(acme),
        company_approved(dana),
    )
    .await;
    h.send(
        acme,
        4,
        t0 + Span::seconds(3),
        Some(acme),
        company_event(CompanyEventV1::CompanyProfileUpdated(
            CompanyProfileUpdatedV1 {
                updated_by: None,
                name: Some("Acme Ltd".into()),
                domain: None,
            },
        )),
    )
    .await;

    // Rejected company; deactivated company.
    let (spam, shut) = (Uuid::new_v4(), Uuid::new_v4());
    h.register_company(spam, Uuid::new_v4(), "Spam", t0).await;
    h.send(
        spam,
        2,
        t0 + Span::seconds(1),
        Some(spam),
        company_event(CompanyEventV1::CompanyRegistrationRejected(
            CompanyRegistrationRejectedV1 {
                rejected_by: None,
                reason: "not a real company".into(),
            },
        )),
    )
    .await;
    h.register_company(shut, Uuid::new_v4(), "Shut", t0).await;
    h.send(
        shut,
        2,
        t0 + Span::seconds(1),
        Some(shut),
        company_approved(Uuid::new_v4()),
    )
    .await;
    h.send(
        shut,
        3,
        t0 + Span::seconds(2),
        Some(shut),
        company_event(CompanyEventV1::CompanyDeactivated(CompanyDeactivatedV1 {
            deactivated_by: None,
            reason: "contract ended".into(),
        })),
    )
    .await;

    // User: the contact becomes HR, renames, changes role and password, is deactivated.
    h.register_user(dana, Some(acme), RoleV1::Hr, "Dana", t0)
        .await;
    h.send(
        dana,
        2,
        t0 + Span::seconds(1),
        Some(acme),
        user_event(UserEventV1::UserProfileUpdated(UserProfileUpdatedV1 {
            name: Some(
                h.seal(dana, hireledger_infra::vault::Field::Name, "Dana Scully")
                    .await,
            ),
            email: None,
            updated_by: None,
        })),
    )
    .await;
    h.send(
        dana,
        3,
        t0 + Span::seconds(2),
        Some(acme),
        role_changed(RoleV1::Hr, RoleV1::Employee),
    )
    .await;
    h.send(
        dana,
        4,
        t0 + Span::seconds(3),
        Some(acme),
        user_event(UserEventV1::UserPasswordChanged(UserPasswordChangedV1 {
            changed_by: None,
        })),
    )
    .await;
    h.send(
        dana,
        5,
        t0 + Span::seconds(4),
        Some(acme),
        user_deactivated(),
    )
    .await;

    // A platform administrator (no company), deactivated and reactivated.
    let root = Uuid::new_v4();
    h.register_user(root, None, RoleV1::SystemAdmin, "Root", t0)
        .await;
    h.send(root, 2, t0 + Span::seconds(1), None, user_deactivated())
        .await;
    h.send(root, 3, t0 + Span::seconds(2), None, user_reactivated())
        .await;

    for (id, v) in [(acme, 4), (spam, 2), (shut, 3)] {
        h.wait_version(ViewKind::Company, id, v).await;
    }
    for (id, v) in [(dana, 5), (root, 3)] {
        h.wait_version(ViewKind::User, id, v).await;
    }

    let c = queries::get_company(h.pool(), acme).await.unwrap().unwrap();
    assert_eq!(c.name, "Acme Ltd");
    assert_eq!(c.domain, "acme.example.com");
    assert_eq!(c.status, "ACTIVE");
    assert_eq!(c.status_reason, None);
    assert_eq!(c.contact_person_id, dana);
    assert_eq!(c.contact_name.as_deref(), Some("Contact of Acme"));
    assert_eq!(c.contact_email.as_deref(), Some("contact@Acme.example.com"));
    assert_eq!((c.pass_threshold, c.fail_threshold), (80, 50));
    assert_eq!(c.version, 4);
    assert_eq!(c.requested_at, t0.trunc_subsecs(6));
    assert_eq!(c.updated_at, (t0 + Span::seconds(3)).trunc_subsecs(6));
    assert_eq!(h.company_counters(acme).await, Some((4, 4)));

    let c = queries::get_company(h.pool(), spam).await.unwrap().unwrap();
    assert_eq!(
        (c.status.as_str(), c.status_reason.as_deref()),
        ("REJECTED", Some("not a real company"))
    );
    assert_eq!(
        (c.pass_threshold, c.fail_threshold),
        (70, 40),
        "default thresholds"
    );
    let c = queries::get_company(h.pool(), shut).await.unwrap().unwrap();
    assert_eq!(
        (c.status.as_str(), c.status_reason.as_deref()),
        ("DEACTIVATED", Some("contract ended"))
    );

    let u = queries::get_user(h.pool(), dana).await.unwrap().unwrap();
    assert_eq!(u.company_id, Some(acme));
    assert_eq!(u.role, "EMPLOYEE");
    assert_eq!(u.status, "DEACTIVATED");
    assert_eq!(u.name.as_deref(), Some("Dana Scully"));
    assert_eq!(u.email.as_deref(), Some("dana@example.com"));
    assert_eq!(u.created_at, t0.trunc_subsecs(6));
    assert_eq!(h.user_counters(dana).await, Some((5, 5)));

    let u = queries::get_user(h.pool(), root).await.unwrap().unwrap();
    assert_eq!(
        (u.company_id, u.role.as_str(), u.status.as_str()),
        (None, "SYSTEM_ADMIN", "ACTIVE")
    );
    assert!(
        queries::get_user(h.pool(), Uuid::new_v4())
            .await
            .unwrap()
            .is_none()
    );

    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_messages_are_applied_once() {
    let h = Harness::new(3).await;
    let running = h.start();
    let t0 = Utc::now();
    let user = Uuid::new_v4();
    let topic = h.topic("user");

    // The same record twice (a relay retry), then the next event, then both again.
    let registered = user_event(UserEventV1::UserRegistered(UserRegisteredV1 {
        user_id: user,
        company_id: None,
        role: RoleV1::SystemAdmin,
        name: h
            .seal(user, hireledger_infra::vault::Field::Name, "Dup")
            .await,
        email: h
            .seal(
                user,
                hireledger_infra::vault::Field::Email,
                "dup@example.com",
            )
            .await,
        registered_by: None,
    }));
    let role = role_changed(RoleV1::SystemAdmin, RoleV1::SystemAdmin);
    h.send(user, 1, t0, None, registered.clone()).await;
    h.send(user, 1, t0, None, registered.clone()).await;
    h.send(user, 2, t0, None, role.clone()).await;
    h.wait_version(ViewKind::User, user, 2).await;
    h.send(user, 1, t0, None, registered).await;
    let last = h.send(user, 2, t0, None, role).await;

    // Once the stored offset passes the last duplicate, it was seen (and skipped).
    h.wait_offset(&topic, last).await;
    assert_eq!(h.user_counters(user).await, Some((2, 2)));
    assert_eq!(h.next_offset(&topic, last.0).await, last.1 + 1);

    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_resumes_from_stored_offsets_without_reapplying() {
    let h = Harness::new(3).await;
    let t0 = Utc::now();
    let users: Vec<Uuid> = (0..20).map(|_| Uuid::new_v4()).collect();

    // Phase 1: two events per user, all applied, then the projector stops.
    let running = h.start();
    for (i, &u) in users.iter().enumerate() {
        h.register_user(u, None, RoleV1::SystemAdmin, &format!("User{i}"), t0)
            .await;
        h.send(u, 2, t0, None, user_deactivated()).await;
    }
    for &u in &users {
        h.wait_version(ViewKind::User, u, 2).await;
    }
    running.stop().await;

    // Drop one row: replaying its partition from an earlier offset would insert it again
    // (its version would read 0, so only the offsets stand between it and a re-application).
    let dropped = users[0];
    sqlx::query("DELETE FROM rm_users WHERE user_id = $1")
        .bind(dropped)
        .execute(h.pool())
        .await
        .unwrap();

    // Phase 2: a third event for the others while the projector is down; restart, same group.
    for &u in &users[1..] {
        h.send(u, 3, t0, None, user_reactivated()).await;
    }
    let running = h.start();
    for &u in &users[1..] {
        h.wait_version(ViewKind::User, u, 3).await;
    }

    // Phase 3: a backlog of several batches; the projector is killed as soon as the first of
    // them is committed, wherever it is then, and started again.
    running.stop().await;
    const LAST: i64 = 3 + 40;
    let sends = users[1..].iter().flat_map(|&u| {
        (4..=LAST).map(move |seq| {
            let event = if seq % 2 == 0 {
                user_deactivated()
            } else {
                user_reactivated()
            };
            (u, seq, event)
        })
    });
    // Enqueued in order (per-key order is kept by the idempotent producer), awaited together.
    futures::future::join_all(sends.map(|(u, seq, event)| h.send(u, seq, t0, None, event))).await;
    let running = h.start();
    eventually("the first batch of the backlog", async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM rm_users WHERE version > 3")
            .fetch_one(h.pool())
            .await
            .unwrap()
            > 0
    })
    .await;
    running.crash().await;
    let running = h.start();
    for &u in &users[1..] {
        h.wait_version(ViewKind::User, u, LAST).await;
    }
    running.stop().await;

    for &u in &users[1..] {
        assert_eq!(
            h.user_counters(u).await,
            Some((LAST, LAST)),
            "user {u} applied each event once"
        );
    }
    assert_eq!(
        h.user_counters(dropped).await,
        None,
        "nothing before the stored offsets replayed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn erasure_nulls_personal_fields_in_both_tables() {
    let h = Harness::new(3).await;
    let running = h.start();
    let t0 = Utc::now();
    let (acme, erin) = (Uuid::new_v4(), Uuid::new_v4());
    let (other, olga) = (Uuid::new_v4(), Uuid::new_v4());

    h.register_company(acme, erin, "Acme", t0).await;
    h.register_company(other, olga, "Other", t0).await;
    h.register_user(erin, Some(acme), RoleV1::Hr, "Erin", t0)
        .await;
    h.register_user(olga, Some(other), RoleV1::Hr, "Olga", t0)
        .await;
    // Sealed now, published only after the erasure.
    let late_contact = ContactPersonV1 {
        person_id: erin,
        name: h
            .seal(erin, hireledger_infra::vault::Field::Name, "Erin again")
            .await,
        email: h
            .seal(
                erin,
                hireledger_infra::vault::Field::Email,
                "erin.again@example.com",
            )
            .await,
    };
    for id in [acme, other] {
        h.wait_version(ViewKind::Company, id, 1).await;
    }
    for id in [erin, olga] {
        h.wait_version(ViewKind::User, id, 1).await;
    }
    let c = queries::get_company(h.pool(), acme).await.unwrap().unwrap();
    assert_eq!(c.contact_name.as_deref(), Some("Contact of Acme"));
    let u = queries::get_user(h.pool(), erin).await.unwrap().unwrap();
    assert_eq!(u.email.as_deref(), Some("erin@example.com"));

    // The key is destroyed first (crypto-shredding), then the event is recorded and published.
    h.vault.erase(erin).await.unwrap();
    h.send(
        erin,
        2,
        t0 + Span::seconds(1),
        Some(acme),
        user_event(UserEventV1::UserPersonalDataErased(
            UserPersonalDataErasedV1 { erased_by: None },
        )),
    )
    .await;
    // A company requested later with a contact sealed before the erasure opens as NULL.
    let late = Uuid::new_v4();
    h.send(
        late,
        1,
        t0 + Span::seconds(2),
        Some(late),
        company_event(CompanyEventV1::CompanyRegistrationRequested(
            CompanyRegistrationRequestedV1 {
                company_id: late,
                name: "Late".into(),
                domain: "late.example.com".into(),
                contact: late_contact,
            },
        )),
    )
    .await;
    h.wait_version(ViewKind::User, erin, 2).await;
    h.wait_version(ViewKind::Company, late, 1).await;

    let u = queries::get_user(h.pool(), erin).await.unwrap().unwrap();
    assert_eq!((u.name, u.email, u.status.as_str()), (None, None, "ERASED"));
    let c = queries::get_company(h.pool(), acme).await.unwrap().unwrap();
    assert_eq!((c.contact_name, c.contact_email), (None, None));
    assert_eq!(c.contact_person_id, erin);
    assert_eq!(c.version, 1, "the company's own version is untouched");
    let c = queries::get_company(h.pool(), late).await.unwrap().unwrap();
    assert_eq!((c.contact_name, c.contact_email), (None, None));

    // Other people keep their data.
    let c = queries::get_company(h.pool(), other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.contact_name.as_deref(), Some("Contact of Other"));
    let u = queries::get_user(h.pool(), olga).await.unwrap().unwrap();
    assert_eq!(
        (u.name.as_deref(), u.status.as_str()),
        (Some("Olga"), "ACTIVE")
    );

    // Nothing of Erin's is left in clear anywhere in the read models.
    let leaks: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM rm_users WHERE name LIKE 'Erin%' OR email LIKE 'erin%')
              + (SELECT count(*) FROM rm_companies WHERE contact_person_id = $1
                   AND (contact_name IS NOT NULL OR contact_email IS NOT NULL))",
    )
    .bind(erin)
    .fetch_one(h.pool())
    .await
    .unwrap();
    assert_eq!(leaks, 0);

    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_page_and_filter() {
    let h = Harness::new(3).await;
    let running = h.start();
    let t0 = Utc::now();

    // Seven companies, one second apart; the first two approved.
    let companies: Vec<Uuid> = (0..7).map(|_| Uuid::new_v4()).collect();
    for (i, &c) in companies.iter().enumerate() {
        h.register_company(
            c,
            Uuid::new_v4(),
            &format!("Co{i}"),
            t0 + Span::seconds(i as i64),
        )
        .await;
    }
    for &c in &companies[..2] {
        h.send(
            c,
            2,
            t0 + Span::seconds(10),
            Some(c),
            company_approved(Uuid::new_v4()),
        )
        .await;
    }
    // Company 0: two HR, three candidates; one administrator.
    let co = companies[0];
    let mut users = Vec::new();
    for (i, role) in [
        RoleV1::Hr,
        RoleV1::Hr,
        RoleV1::Candidate,
        RoleV1::Candidate,
        RoleV1::Candidate,
    ]
    .into_iter()
    .enumerate()
    {
        let u = Uuid::new_v4();
        h.register_user(
            u,
            Some(co),
            role,
            &format!("U{i}"),
            t0 + Span::seconds(i as i64),
        )
        .await;
        users.push(u);
    }
    let admin = Uuid::new_v4();
    h.register_user(admin, None, RoleV1::SystemAdmin, "Admin", t0)
        .await;
    h.send(
        users[4],
        2,
        t0 + Span::seconds(20),
        Some(co),
        user_deactivated(),
    )
    .await;

    for (i, &c) in companies.iter().enumerate() {
        h.wait_version(ViewKind::Company, c, if i < 2 { 2 } else { 1 })
            .await;
    }
    for &u in users.iter().chain([&admin]) {
        h.wait_version(ViewKind::User, u, 1).await;
    }
    h.wait_version(ViewKind::User, users[4], 2).await;

    let p = queries::list_companies(h.pool(), None, 1, 3).await.unwrap();
    assert_eq!(
        (p.total, p.page, p.page_size, p.pages, p.items.len()),
        (7, 1, 3, 3, 3)
    );
    let newest_first: Vec<Uuid> = p.items.iter().map(|c| c.company_id).collect();
    assert_eq!(newest_first, vec![companies[6], companies[5], companies[4]]);
    let p = queries::list_companies(h.pool(), None, 3, 3).await.unwrap();
    assert_eq!((p.total, p.pages, p.items.len()), (7, 3, 1));
    assert_eq!(p.items[0].company_id, companies[0]);
    let p = queries::list_companies(h.pool(), None, 4, 3).await.unwrap();
    assert_eq!((p.total, p.pages, p.items.len()), (7, 3, 0));
    let p = queries::list_companies(h.pool(), Some("ACTIVE"), 1, 100)
        .await
        .unwrap();
    assert_eq!((p.total, p.pages, p.items.len()), (2, 1, 2));
    assert!(p.items.iter().all(|c| c.status == "ACTIVE"));
    let p = queries::list_companies(h.pool(), Some("REJECTED"), 1, 10)
        .await
        .unwrap();
    assert_eq!((p.total, p.pages, p.items.len()), (0, 0, 0));

    assert!(matches!(
        queries::list_companies(h.pool(), None, 0, 10).await,
        Err(QueryError::InvalidPage)
    ));
    assert!(matches!(
        queries::list_companies(h.pool(), None, 1, 0).await,
        Err(QueryError::InvalidPage)
    ));
    assert!(matches!(
        queries::list_companies(h.pool(), None, 1, 101).await,
        Err(QueryError::InvalidPage)
    ));
    assert!(matches!(
        queries::list_companies(h.pool(), Some("BOGUS"), 1, 10).await,
        Err(QueryError::InvalidFilter("status"))
    ));

    let p = queries::list_users(h.pool(), Some(co), Some("CANDIDATE"), None, 1, 2)
        .await
        .unwrap();
    assert_eq!((p.total, p.pages, p.items.len()), (3, 2, 2));
    assert_eq!(p.items[0].user_id, users[4], "newest first");
    let p = queries::list_users(h.pool(), Some(co), Some("CANDIDATE"), Some("ACTIVE"), 1, 10)
        .await
        .unwrap();
    assert_eq!(p.total, 2);
    let p = queries::list_users(h.pool(), Some(co), None, None, 1, 10)
        .await
        .unwrap();
    assert_eq!((p.total, p.pages), (5, 1));
    let p = queries::list_users(h.pool(), None, None, None, 1, 100)
        .await
        .unwrap();
    assert_eq!(p.total, 6);
    let p = queries::list_users(h.pool(), None, Some("SYSTEM_ADMIN"), None, 1, 100)
        .await
        .unwrap();
    assert_eq!(
        p.items.iter().map(|u| u.user_id).collect::<Vec<_>>(),
        vec![admin]
    );
    assert!(matches!(
        queries::list_users(h.pool(), None, Some("boss"), None, 1, 10).await,
        Err(QueryError::InvalidFilter("role"))
    ));

    // Read-your-writes wait: bounded, false for a version that never comes.
    let started = Instant::now();
    let reached = queries::wait_for_version(
        h.pool(),
        ViewKind::User,
        admin,
        2,
        Duration::from_millis(200),
    )
    .await
    .unwrap();
    assert!(!reached);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        queries::wait_for_version(h.pool(), ViewKind::Company, co, 2, Duration::ZERO)
            .await
            .unwrap()
    );

    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn undecodable_message_halts_the_projector() {
    let h = Harness::new(1).await;
    let topic = h.topic("user");
    let running = h.start();
    let t0 = Utc::now();
    let good = Uuid::new_v4();
    h.register_user(good, None, RoleV1::SystemAdmin, "Good", t0)
        .await;
    h.wait_version(ViewKind::User, good, 1).await;

    let bad = Uuid::new_v4();
    let headers = [
        ("ce_type", "hireledger.user.UserRegistered.v1".to_owned()),
        ("ce_subject", bad.to_string()),
        ("ce_time", t0.to_rfc3339()),
        ("hl_sequence", "1".to_owned()),
    ];
    let (partition, offset) = h
        .send_raw(
            &topic,
            &bad.to_string(),
            &headers,
            br#"{"user_id": "SECRET-PAYLOAD-VALUE"}"#,
        )
        .await;
    let after = Uuid::new_v4();
    h.register_user(after, None, RoleV1::SystemAdmin, "After", t0)
        .await;

    let err = running
        .outcome()
        .await
        .expect_err("a poison message stops the projector");
    let text = format!("{err:#}");
    assert!(
        text.contains(&format!("{topic}/{partition}@{offset}")),
        "{text}"
    );
    assert!(
        !text.contains("SECRET"),
        "no payload content in the error: {text}"
    );
    assert_eq!(
        h.next_offset(&topic, partition).await,
        offset,
        "stops at the poison message"
    );
    assert_eq!(
        h.user_counters(after).await,
        None,
        "nothing after it is applied"
    );

    // A restart stops at the same place again.
    let err = h.start().outcome().await.expect_err("still poisoned");
    assert!(format!("{err:#}").contains(&format!("@{offset}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sequence_gap_halts_the_projector() {
    let h = Harness::new(1).await;
    let topic = h.topic("user");
    let running = h.start();
    let t0 = Utc::now();
    let user = Uuid::new_v4();
    h.register_user(user, None, RoleV1::SystemAdmin, "Gappy", t0)
        .await;
    h.wait_version(ViewKind::User, user, 1).await;
    // Sequence 2 never arrives.
    let (partition, offset) = h.send(user, 3, t0, None, user_deactivated()).await;

    let err = running
        .outcome()
        .await
        .expect_err("a gap stops the projector");
    let text = format!("{err:#}");
    assert!(text.contains("sequence gap"), "{text}");
    assert!(
        text.contains(&format!("{topic}/{partition}@{offset}")),
        "{text}"
    );
    assert_eq!(h.user_counters(user).await, Some((1, 1)));
    assert_eq!(h.next_offset(&topic, partition).await, offset);
}
