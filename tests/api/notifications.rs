//! Staff notifications (issue 16, "Staff notifications"): each kind reaches the right people
//! (never the submitter, never the first examiner for the blind second review, never an
//! untrained or inactive account), each user's choice per kind (at once, daily digest, off),
//! compliance reminders that cannot be switched off (the server refuses a forged form), and no
//! notification twice. Mail is checked in the outbox table and, for delivery, in the `.eml`
//! files the server's file transport writes.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use frdesk::platform::db::schema::{
    agencies, notification_preferences, notifications, outbox_messages, users,
};

use crate::helpers::*;
use crate::search::{approve, enroll_gallery, review, start_search, wait_until_finished};

fn now() -> NaiveDateTime {
    frdesk::platform::time::now()
}

fn ctx() -> frdesk::notifications::NotifyContext {
    frdesk::notifications::NotifyContext {
        service_name: "Test desk".into(),
        base_url: "http://localhost".into(),
        approver_may_examine: false,
    }
}

/// Adds an account of `ori` with `roles`; trained (LACRIS, 2024) unless `trained` is false.
fn add_user(app: &TestApp, ori: &str, name: &str, email: &str, roles: &str, trained: bool) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        ori,
        name,
        email,
        "(213) 555-0150",
        roles,
        trained.then(|| {
            (
                frdesk::domain::training::TrainingProvider::Lacris,
                chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
            )
        }),
        PASSWORD,
    )
    .unwrap();
    app.enrol_directly(&mut c, email);
}

fn deactivate(app: &TestApp, email: &str) {
    let mut c = app.pool.get().unwrap();
    diesel::update(users::table.filter(users::email.eq(email)))
        .set(users::active.eq(false))
        .execute(&mut c)
        .unwrap();
}

/// Staff notices in the outbox as (recipient, subject, text body).
fn notices(app: &TestApp) -> Vec<(String, String, String)> {
    mails_of_kind(app, "staff_notice")
}

fn mails_of_kind(app: &TestApp, kind: &str) -> Vec<(String, String, String)> {
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::kind.eq(kind))
        .order(outbox_messages::id.asc())
        .select((
            outbox_messages::to_addr,
            outbox_messages::subject,
            outbox_messages::body_text,
        ))
        .load(&mut c)
        .unwrap()
}

/// Recipients of staff notices whose subject contains `what`, sorted.
fn told(app: &TestApp, what: &str) -> Vec<String> {
    let mut v: Vec<String> = notices(app)
        .into_iter()
        .filter(|(_, s, _)| s.contains(what))
        .map(|(to, _, _)| to)
        .collect();
    v.sort();
    v
}

/// Posts the account page's notification form with `choices` as `user` (a logged-in client).
async fn choose(c: &Client, choices: &[(&str, &str)]) -> reqwest::Response {
    let (status, page) = c.get_text("/account").await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    fields.extend_from_slice(choices);
    c.post_form("/account/notifications", &fields).await
}

/// The requester opens the returned request, and resubmits it unchanged as version 2.
async fn resubmit(c: &Client, case_id: i64) {
    let (status, page) = c.get_text(&format!("/cases/{case_id}/edit")).await;
    assert_eq!(status, 200, "{page}");
    let (csrf, key) = (csrf_of(&page), form_key_of(&page));
    let r = c
        .post_request(&csrf, &key, "submit", &valid_fields(), &[])
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
}

#[actix_web::test]
async fn reviewers_are_told_of_submissions_and_resubmissions_never_of_their_own() {
    let app = spawn_app().await;
    add_user(
        &app,
        SERVICE,
        "Rae Second",
        "reviewer2@test.example",
        "reviewer",
        true,
    );
    add_user(
        &app,
        SERVICE,
        "Ida Gone",
        "gone@test.example",
        "reviewer",
        true,
    );
    deactivate(&app, "gone@test.example");
    // A service account that is both requester and reviewer: never told of its own request.
    add_user(
        &app,
        SERVICE,
        "Dual Role",
        "dual@test.example",
        "requester,reviewer",
        true,
    );

    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let number: String = {
        let mut c = app.pool.get().unwrap();
        frdesk::cases::store::Case::find_any(&mut c, frdesk::domain::CaseId(case_id))
            .unwrap()
            .unwrap()
            .display_number()
    };
    assert_eq!(
        told(&app, &number),
        vec![
            "dual@test.example",
            "reviewer2@test.example",
            "reviewer@test.example"
        ],
        "every active reviewer, not the inactive one, not the requester"
    );
    // A notice and a link: no search reason, no case file number, no image.
    for (_, subject, body) in notices(&app) {
        assert!(subject.contains("awaits compliance review"), "{subject}");
        assert!(body.contains(&format!("/review/{case_id}")), "{body}");
        for secret in ["Robbery", "123-89765", "211 PC", "Aaron"] {
            assert!(!body.contains(secret) && !subject.contains(secret));
        }
    }
    // Delivered through the outbox like every email.
    let files = app.wait_for_outbox(4).await;
    assert!(
        files
            .iter()
            .any(|f| f.contains("reviewer2@test.example") && f.contains("compliance review")),
        "the staff notice was delivered"
    );

    // The dual-role account submits: the others are told, it is not.
    let dual = app.login("dual@test.example").await;
    let own = dual.submit_valid_request().await;
    let own_number: String = {
        let mut c = app.pool.get().unwrap();
        frdesk::cases::store::Case::find_any(&mut c, frdesk::domain::CaseId(own))
            .unwrap()
            .unwrap()
            .display_number()
    };
    assert_eq!(
        told(&app, &own_number),
        vec!["reviewer2@test.example", "reviewer@test.example"]
    );

    // Returned and resubmitted: the reviewers are told of version 2.
    let reviewer = app.login("reviewer@test.example").await;
    let r = crate::review::decide(
        &reviewer,
        case_id,
        "return",
        "Please name the camera.",
        true,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    resubmit(&requester, case_id).await;
    assert_eq!(
        told(&app, "(version 2) was resubmitted").len(),
        3,
        "{:?}",
        notices(&app)
    );

    // A retried or repeated event notifies nobody twice (unique per user, kind and event).
    let before = notices(&app).len();
    {
        let mut c = app.pool.get().unwrap();
        let case = frdesk::cases::store::Case::find_any(&mut c, frdesk::domain::CaseId(case_id))
            .unwrap()
            .unwrap();
        for version in [1, 2] {
            frdesk::platform::db::write_tx(&mut c, |c| {
                frdesk::notifications::events::request_submitted(c, &ctx(), &case, &number, version)
            })
            .unwrap();
        }
        let n: i64 = notifications::table
            .filter(notifications::case_id.eq(case_id))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(n, 6, "three reviewers, two versions");
    }
    assert_eq!(notices(&app).len(), before, "nothing queued twice");
}

#[actix_web::test]
async fn each_user_chooses_at_once_digest_or_off_and_the_digest_goes_once_a_day() {
    let app = spawn_app().await;
    add_user(
        &app,
        SERVICE,
        "Rae Second",
        "reviewer2@test.example",
        "reviewer",
        true,
    );
    add_user(
        &app,
        SERVICE,
        "Tom Third",
        "reviewer3@test.example",
        "reviewer",
        true,
    );
    let r2 = app.login("reviewer2@test.example").await;
    let (_, page) = r2.get_text("/account").await;
    assert!(page.contains("New and resubmitted requests to review"));
    assert!(
        !page.contains("Blind second reviews"),
        "only the kinds of the user's roles"
    );
    let r = choose(&r2, &[("pref_request_submitted", "digest")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = r2.get_text("/account?changed=notifications").await;
    assert!(page.contains("Your notification choices were saved."));
    assert!(
        page.contains(r#"name="pref_request_submitted" value="digest" checked"#),
        "the choice is shown"
    );
    let r3 = app.login("reviewer3@test.example").await;
    assert_eq!(
        choose(&r3, &[("pref_request_submitted", "off")])
            .await
            .status()
            .as_u16(),
        303
    );
    let changes: Vec<_> = app
        .audit()
        .into_iter()
        .filter(|a| a.action == "user.notification_preferences")
        .collect();
    assert_eq!(changes.len(), 2, "each change is an audit record");
    assert!(
        changes.iter().any(|a| a
            .details
            .as_deref()
            .unwrap_or("")
            .contains("request_submitted: immediate -> off")),
        "{changes:?}"
    );
    // The form is CSRF-protected.
    let r = r3
        .post_form(
            "/account/notifications",
            &[
                ("csrf_token", "forged"),
                ("pref_request_submitted", "immediate"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);

    let requester = app.login("requester.a@test.example").await;
    requester.submit_valid_request().await;
    requester.submit_valid_request().await;
    assert_eq!(
        told(&app, "awaits compliance review"),
        vec!["reviewer@test.example", "reviewer@test.example"],
        "the digest reader gets nothing at once, the one who switched off nothing at all"
    );
    {
        let mut c = app.pool.get().unwrap();
        let off_user = crate::audit_calendar::user_id(&app, "reviewer3@test.example");
        let n: i64 = notifications::table
            .filter(notifications::user_id.eq(off_user))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(n, 0);
    }

    // The daily run: one digest with both items; a second run the same day sends nothing.
    let mut c = app.pool.get().unwrap();
    let first = frdesk::notifications::digest::send_digests(&mut c, &ctx(), now()).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].to, "reviewer2@test.example");
    assert_eq!(first[0].items, 2);
    let again = frdesk::notifications::digest::send_digests(&mut c, &ctx(), now()).unwrap();
    assert!(again.is_empty());
    let digests = mails_of_kind(&app, "staff_digest");
    assert_eq!(digests.len(), 1);
    assert!(digests[0].2.contains("/review/"), "{}", digests[0].2);
    assert!(!digests[0].2.contains("Robbery"));
    // A new item the same day waits for the next day's digest.
    drop(c);
    requester.submit_valid_request().await;
    let mut c = app.pool.get().unwrap();
    assert!(
        frdesk::notifications::digest::send_digests(&mut c, &ctx(), now())
            .unwrap()
            .is_empty()
    );
    let tomorrow =
        frdesk::notifications::digest::send_digests(&mut c, &ctx(), now() + Duration::days(1))
            .unwrap();
    assert_eq!(tomorrow.len(), 1);
    assert_eq!(tomorrow[0].items, 1);
    assert_eq!(mails_of_kind(&app, "staff_digest").len(), 2);
}

#[actix_web::test]
async fn compliance_reminders_cannot_be_switched_off_and_are_notifications() {
    let app = spawn_app().await;
    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text("/account").await;
    assert!(page.contains("Monthly audits and access reviews due or overdue"));
    assert!(page.contains("it cannot be switched off"));
    assert!(
        !page.contains(r#"name="pref_audit_due""#),
        "shown fixed, no input"
    );
    // A forged form is refused beside the field; nothing is stored; the refusal is audited.
    for value in ["off", "digest"] {
        let r = choose(&admin, &[("pref_audit_due", value)]).await;
        assert_eq!(r.status().as_u16(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains(r#"id="pref_audit_due-error""#), "{body}");
        assert!(body.contains("cannot be switched off"));
    }
    {
        let mut c = app.pool.get().unwrap();
        let n: i64 = notification_preferences::table
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(n, 0);
    }
    assert!(app.audit().iter().any(|a| {
        a.action == "user.notification_preferences"
            && a.outcome == "denied"
            && a.details
                .as_deref()
                .unwrap_or("")
                .contains("pref_audit_due")
    }));

    // The overdue audit reminder reaches the local administrator, recorded as a notification
    // of the kind that cannot be switched off.
    {
        let mut c = app.pool.get().unwrap();
        diesel::update(agencies::table.filter(agencies::ori.eq(AGENCY_A)))
            .set(agencies::created_at.eq(now() - Duration::days(120)))
            .execute(&mut c)
            .unwrap();
        let sent = frdesk::audit::calendar::send_reminders(
            &mut c,
            &frdesk::audit::calendar::ReminderContext {
                rules: frdesk::domain::audit_calendar::CalendarRules::default(),
                rereview_percent: 10,
                service_name: "Test desk".into(),
                base_url: "http://localhost".into(),
            },
            &frdesk::audit::Actor::cli("test"),
            now(),
        )
        .unwrap();
        assert!(!sent.is_empty());
    }
    let admin_id = crate::audit_calendar::user_id(&app, "admin.a@test.example");
    let mut c = app.pool.get().unwrap();
    let rows = frdesk::notifications::store::Notification::of_user(&mut c, admin_id).unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|n| n.kind
        == frdesk::domain::notification::NotificationKind::AuditDue
        && n.outbox_id.is_some()));
    assert!(
        mails_of_kind(&app, "audit_reminder")
            .iter()
            .any(|(to, _, _)| to == "admin.a@test.example")
    );
}

#[actix_web::test]
async fn examiners_and_supervisors_are_told_of_work_awaiting_them_never_their_own() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    // An examiner without facial-comparison training and one switched off are never told.
    add_user(
        &app,
        SERVICE,
        "Una Trained",
        "untrained@test.example",
        "examiner",
        false,
    );
    add_user(
        &app,
        SERVICE,
        "Ozzy Off",
        "off@test.example",
        "examiner",
        true,
    );
    let off = app.login("off@test.example").await;
    assert_eq!(
        choose(
            &off,
            &[
                ("pref_search_awaiting", "off"),
                ("pref_second_review_awaiting", "off")
            ]
        )
        .await
        .status()
        .as_u16(),
        303
    );

    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[photo("Colin_Powell", 3)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let case_id = case_id_from_location(&r);
    approve(&app, case_id).await;
    crate::search::wait_until_analysed(&app, case_id).await;
    let trained = vec![
        "examiner2@test.example".to_string(),
        "examiner@test.example".to_string(),
    ];
    assert_eq!(told(&app, "probe assessment"), trained);
    assert!(
        notices(&app)
            .iter()
            .any(|(_, _, b)| b.contains(&format!("/cases/{case_id}/assessment")))
    );

    start_search(&app, case_id).await;
    let s = wait_until_finished(&app, case_id).await;
    let ps = s[0].clone();
    // The first-review notice is queued in the search job's transaction; wait for it.
    for _ in 0..100 {
        if !told(&app, "first review").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(told(&app, "first review"), trained);

    // The first examiner reviews: only the other trained examiner is told of the blind second
    // review — never the first.
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &[1], "lead")
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        told(&app, "blind second review"),
        vec!["examiner2@test.example"]
    );
    assert!(told(&app, "adjudication").is_empty());

    // The second disagrees: the supervisor is told; no examiner is.
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &[], "no lead")
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(told(&app, "adjudication"), vec!["supervisor@test.example"]);
    for (to, _, _) in notices(&app) {
        assert!(
            to != "untrained@test.example" && to != "off@test.example",
            "{to} was told"
        );
        assert!(to != "requester.a@test.example");
    }
    // Nothing about the case's details in any of them.
    for (_, s, b) in notices(&app) {
        assert!(!b.contains("Robbery") && !s.contains("Robbery"));
        assert!(!b.contains("Colin") && !b.contains(".jpg"));
    }
}

#[actix_web::test]
async fn the_notification_choices_on_the_account_page_in_chromium() {
    use crate::browser::{browser, log_in, shot, start_driver, wait_for_text};
    use fantoccini::Locator;
    let app = spawn_app().await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let b = browser(&driver, profile.path()).await;
    log_in(&b, &app.address, &app, "examiner@test.example").await;
    b.goto(&format!("{}/account", app.address)).await.unwrap();
    wait_for_text(&b, "Blind second reviews awaiting an examiner").await;
    // Keyboard: the radio of a kind is reached and chosen without a mouse.
    b.find(Locator::Css(
        "input[name=pref_second_review_awaiting][value=digest]",
    ))
    .await
    .unwrap()
    .send_keys(" ")
    .await
    .unwrap();
    b.execute(
        "document.getElementById('notifications-title').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&b, "16-account-notifications").await;
    b.find(Locator::Css(
        "form[action='/account/notifications'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_for_text(&b, "Your notification choices were saved.").await;
    b.set_window_size(390, 900).await.unwrap();
    b.execute(
        "document.getElementById('notifications-title').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&b, "16-account-notifications-390").await;
    let mut c = app.pool.get().unwrap();
    let id = crate::audit_calendar::user_id(&app, "examiner@test.example");
    assert_eq!(
        frdesk::notifications::notify::delivery_of(
            &mut c,
            id,
            frdesk::domain::notification::NotificationKind::SecondReviewAwaiting
        )
        .unwrap(),
        frdesk::domain::notification::Delivery::Digest
    );
    // A local administrator sees the compliance reminders fixed.
    let b2_profile = tempfile::tempdir().unwrap();
    let b2 = browser(&driver, b2_profile.path()).await;
    log_in(&b2, &app.address, &app, "admin.a@test.example").await;
    b2.goto(&format!("{}/account", app.address)).await.unwrap();
    wait_for_text(&b2, "cannot be switched off").await;
    b2.execute(
        "document.getElementById('notifications-title').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&b2, "16-account-compliance-reminders").await;
    b.close().await.unwrap();
    b2.close().await.unwrap();
}
