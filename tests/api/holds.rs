//! Legal holds with a second person's approval, two-yearly reviews and second-person release
//! (LAPD ALPR order, "Retaining ALPR Data Beyond the Two-Year Logical Deletion Period"), and
//! the five-year audit purge that stops before a held case's first audit record. Time is moved
//! by writing old (or near) dates into the database, or by running the pass with a later
//! `now`, never by sleeping.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use frdesk::platform::db::schema::{
    audit_records, case_images, cases, legal_holds, outbox_messages, timeline_events,
};

use crate::helpers::*;

fn now() -> NaiveDateTime {
    frdesk::platform::time::now()
}

fn new_user(app: &TestApp, ori: &str, name: &str, email: &str, roles: &str) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        ori,
        name,
        email,
        "(213) 555-0123",
        roles,
        Some((
            frdesk::domain::training::TrainingProvider::Lacris,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
        )),
        PASSWORD,
    )
    .unwrap();
    app.enrol_directly(&mut c, email);
}

/// Moves every trace of activity of a case `days` into the past.
fn age_case(app: &TestApp, case_id: i64, days: i64) {
    let mut c = app.pool.get().unwrap();
    let at = now() - Duration::days(days);
    diesel::update(cases::table.find(case_id))
        .set((cases::updated_at.eq(at), cases::created_at.eq(at)))
        .execute(&mut c)
        .unwrap();
    diesel::update(timeline_events::table.filter(timeline_events::case_id.eq(case_id)))
        .set(timeline_events::at.eq(at))
        .execute(&mut c)
        .unwrap();
}

fn case_row(app: &TestApp, id: i64) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let mut c = app.pool.get().unwrap();
    cases::table
        .find(id)
        .select((cases::hidden_at, cases::purged_at))
        .first(&mut c)
        .unwrap()
}

fn retention_run(app: &TestApp) -> serde_json::Value {
    let out = app
        .frdesk()
        .args(["retention", "run", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "retention run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids_in(report: &serde_json::Value, key: &str) -> Vec<i64> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_id"].as_i64().unwrap())
        .collect()
}

/// The single hold of a case: (id, approved_at, review_due_at, lifted_at, rejected_at).
type HoldRow = (
    i64,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn holds_of(app: &TestApp, case_id: i64) -> Vec<HoldRow> {
    let mut c = app.pool.get().unwrap();
    legal_holds::table
        .filter(legal_holds::case_id.eq(case_id))
        .order(legal_holds::id.asc())
        .select((
            legal_holds::id,
            legal_holds::approved_at,
            legal_holds::review_due_at,
            legal_holds::lifted_at,
            legal_holds::rejected_at,
        ))
        .load(&mut c)
        .unwrap()
}

fn outbox_count(app: &TestApp, kind: &str) -> i64 {
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::kind.eq(kind))
        .count()
        .get_result(&mut c)
        .unwrap()
}

fn outbox_to(app: &TestApp, kind: &str) -> Vec<String> {
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::kind.eq(kind))
        .select(outbox_messages::to_addr)
        .load(&mut c)
        .unwrap()
}

fn actions(app: &TestApp, action: &str, outcome: &str) -> usize {
    app.audit()
        .iter()
        .filter(|r| r.action == action && r.outcome == outcome)
        .count()
}

const INVESTIGATOR: [(&str, &str); 2] = [
    ("investigator_name", "Det. Ana Ruiz"),
    ("investigator_contact", "(213) 555-0199"),
];

/// Requests a hold as `c` and returns its id.
async fn request_hold(c: &Client, app: &TestApp, case_id: i64) -> i64 {
    let (status, page) = c.get_text(&format!("/cases/{case_id}/holds")).await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("reference", "DR 24-0117"),
        ("reason", "Pending prosecution, DA request of 2026-11-01"),
    ];
    form.extend(INVESTIGATOR);
    let r = c.post_form(&format!("/cases/{case_id}/holds"), &form).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    holds_of(app, case_id).last().unwrap().0
}

/// Posts a hold action (`approve`, `reject`, `review`, `lift`, `release`); returns the status
/// and the body.
async fn hold_action(
    c: &Client,
    case_id: i64,
    hold: i64,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (_, page) = c.get_text(&format!("/cases/{case_id}/holds")).await;
    let csrf = csrf_of(&page);
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = c
        .post_form(&format!("/cases/{case_id}/holds/{hold}/{action}"), &form)
        .await;
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

#[actix_web::test]
async fn a_hold_request_holds_the_case_at_once_and_needs_a_second_persons_approval() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let admin = app.login("admin.a@test.example").await;
    let supervisor = app.login("supervisor@test.example").await;
    let case_id = requester.submit_valid_request().await;

    // The request form names the investigator; errors show beside each field and what was
    // typed is kept.
    let (_, page) = admin.get_text(&format!("/cases/{case_id}/holds")).await;
    let r = admin
        .post_form(
            &format!("/cases/{case_id}/holds"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("reference", "DR 24-0117"),
                ("reason", "Pending prosecution, DA request"),
                ("investigator_name", ""),
                ("investigator_contact", "call the desk"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"id="investigator_name-error""#), "{body}");
    assert!(
        body.contains(r#"id="investigator_contact-error""#),
        "{body}"
    );
    assert!(body.contains(r#"value="call the desk""#), "{body}");
    assert!(holds_of(&app, case_id).is_empty());

    // The requester of the case may not request a hold.
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    let mut form = vec![
        ("csrf_token", csrf_of(&page)),
        ("reference", "DR 1".to_string()),
        ("reason", "Pending prosecution, DA request".to_string()),
    ];
    form.extend(INVESTIGATOR.map(|(k, v)| (k, v.to_string())));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = requester
        .post_form(&format!("/cases/{case_id}/holds"), &form)
        .await;
    assert_eq!(r.status().as_u16(), 404);

    // Requested: pending, and already holding the case (the careful choice).
    let hold = request_hold(&admin, &app, case_id).await;
    let (_, approved_at, due, lifted, rejected) = holds_of(&app, case_id)[0];
    assert_eq!(
        (approved_at, due, lifted, rejected),
        (None, None, None, None)
    );
    let (_, page) = admin.get_text(&format!("/cases/{case_id}/holds")).await;
    assert!(page.contains("pending approval"), "{page}");
    assert!(page.contains("Det. Ana Ruiz, (213) 555-0199"), "{page}");
    assert!(
        page.contains("a second authorised person decides it"),
        "{page}"
    );
    assert!(!page.contains(&format!("/holds/{hold}/approve")), "{page}");
    age_case(&app, case_id, 800);
    let report = retention_run(&app);
    assert!(ids_in(&report, "hide").is_empty());
    assert_eq!(ids_in(&report, "held"), vec![case_id]);
    assert_eq!(case_row(&app, case_id), (None, None));

    // Pending requests are listed for approvers.
    let (status, list) = supervisor.get_text("/holds").await;
    assert_eq!(status, 200, "{list}");
    assert!(
        list.contains(r#"<a href="/holds" aria-current="page">Legal holds</a>"#),
        "{list}"
    );
    let pending =
        &list[list.find(r#"id="pending""#).unwrap()..list.find(r#"id="overdue""#).unwrap()];
    assert!(
        pending.contains(&format!("/cases/{case_id}/holds#hold-{hold}")),
        "{list}"
    );

    // The requester of the hold cannot approve it (nor reject it); the attempt is audited.
    let (s, body) = hold_action(&admin, case_id, hold, "approve", &[]).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("A second person must approve"), "{body}");
    let (s, _) = hold_action(
        &admin,
        case_id,
        hold,
        "reject",
        &[("reject_reason", "Changed my mind about it")],
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(holds_of(&app, case_id)[0].1, None);
    assert_eq!(actions(&app, "retention.hold_approve", "denied"), 1);
    // A service reviewer may request holds but not approve them.
    let reviewer = app.login("reviewer@test.example").await;
    let (s, _) = hold_action(&reviewer, case_id, hold, "approve", &[]).await;
    assert_eq!(s, 403);
    assert_eq!(holds_of(&app, case_id)[0].1, None);

    // Another authorised person approves: the review is due two years later.
    let (s, body) = hold_action(&supervisor, case_id, hold, "approve", &[]).await;
    assert_eq!(s, 303, "{body}");
    let (_, approved_at, due, _, _) = holds_of(&app, case_id)[0];
    let approved_at = approved_at.expect("approved");
    let due = due.expect("review due");
    assert!(
        (due - approved_at - Duration::days(731)).num_days().abs() <= 1,
        "{due}"
    );
    assert_eq!(actions(&app, "retention.hold_request", "success"), 1);
    assert_eq!(actions(&app, "retention.hold_approve", "success"), 1);
    let (s, _) = hold_action(&supervisor, case_id, hold, "approve", &[]).await;
    assert_eq!(s, 409, "approving twice");
    let (_, case_page) = admin.get_text(&format!("/cases/{case_id}")).await;
    assert!(
        case_page.contains("Legal hold approved (DR 24-0117)"),
        "{case_page}"
    );
    assert!(case_page.contains("standing"), "{case_page}");

    // A second request can be rejected (with a reason): it no longer holds anything.
    let other = requester.submit_valid_request().await;
    let h2 = request_hold(&reviewer, &app, other).await;
    let (s, body) = hold_action(
        &supervisor,
        other,
        h2,
        "reject",
        &[("reject_reason", "short")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        body.contains(&format!(r#"id="reject-reason-{h2}-error""#)),
        "{body}"
    );
    assert!(body.contains(">short</textarea>"), "{body}");
    let (s, _) = hold_action(
        &admin,
        other,
        h2,
        "reject",
        &[("reject_reason", "No DR number on file at the station")],
    )
    .await;
    assert_eq!(s, 303);
    assert!(holds_of(&app, other)[0].4.is_some());
    assert_eq!(actions(&app, "retention.hold_reject", "success"), 1);
    age_case(&app, other, 800);
    let report = retention_run(&app);
    assert_eq!(ids_in(&report, "hide"), vec![other]);
    assert_eq!(ids_in(&report, "held"), vec![case_id]);
}

#[actix_web::test]
async fn review_reminders_go_out_once_per_stage_and_an_overdue_hold_still_holds() {
    let app = spawn_app().await;
    new_user(
        &app,
        SERVICE,
        "Sys Admin",
        "sysadmin@test.example",
        "system_admin",
    );
    let requester = app.login("requester.a@test.example").await;
    let admin = app.login("admin.a@test.example").await;
    let supervisor = app.login("supervisor@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let hold = request_hold(&admin, &app, case_id).await;
    assert_eq!(
        hold_action(&supervisor, case_id, hold, "approve", &[])
            .await
            .0,
        303
    );
    age_case(&app, case_id, 800);
    let set_due = |days: i64| {
        let mut c = app.pool.get().unwrap();
        diesel::update(legal_holds::table.find(hold))
            .set(legal_holds::review_due_at.eq(Some(now() + Duration::days(days))))
            .execute(&mut c)
            .unwrap();
    };

    // More than 30 days before the review: no reminder.
    set_due(45);
    let report = retention_run(&app);
    assert!(report["hold_reviews"].as_array().unwrap().is_empty());
    assert_eq!(outbox_count(&app, "hold_review"), 0);

    // Due within 30 days: one reminder to the agency's administrator and the service's
    // system administrator; not again on the next day's pass.
    set_due(20);
    let report = retention_run(&app);
    let r = &report["hold_reviews"][0];
    assert_eq!(r["stage"], "due_soon", "{report}");
    assert_eq!(r["hold_id"].as_i64(), Some(hold));
    let mut to = outbox_to(&app, "hold_review");
    to.sort();
    assert_eq!(to, vec!["admin.a@test.example", "sysadmin@test.example"]);
    assert_eq!(ids_in(&report, "held"), vec![case_id]);
    let report = retention_run(&app);
    assert!(report["hold_reviews"].as_array().unwrap().is_empty());
    assert_eq!(outbox_count(&app, "hold_review"), 2);
    assert_eq!(
        actions(&app, "retention.hold_review_reminder", "success"),
        1
    );

    // Overdue: one more reminder each, once; the hold still holds the case.
    set_due(-3);
    let report = retention_run(&app);
    assert_eq!(report["hold_reviews"][0]["stage"], "overdue", "{report}");
    let report = retention_run(&app);
    assert!(report["hold_reviews"].as_array().unwrap().is_empty());
    assert_eq!(outbox_count(&app, "hold_review"), 4);
    assert!(ids_in(&report, "hide").is_empty());
    assert_eq!(ids_in(&report, "held"), vec![case_id]);
    assert_eq!(case_row(&app, case_id), (None, None));
    assert!(
        holds_of(&app, case_id)[0].3.is_none(),
        "never ends by lapse"
    );
    {
        let mut c = app.pool.get().unwrap();
        let (subject, body): (String, String) = outbox_messages::table
            .filter(outbox_messages::kind.eq("hold_review"))
            .order(outbox_messages::id.desc())
            .select((outbox_messages::subject, outbox_messages::body_text))
            .first(&mut c)
            .unwrap();
        assert!(
            subject.contains("overdue") && subject.contains("DR 24-0117"),
            "{subject}"
        );
        assert!(
            body.contains("Det. Ana Ruiz") && body.contains("cannot be switched off"),
            "{body}"
        );
    }

    // The overdue list shows it, overdue first; requesters see no list.
    let (status, list) = supervisor.get_text("/holds").await;
    assert_eq!(status, 200);
    let overdue =
        &list[list.find(r#"id="overdue""#).unwrap()..list.find(r#"id="due-soon""#).unwrap()];
    assert!(overdue.contains(&format!("#hold-{hold}")), "{list}");
    let (status, page) = requester.get_text("/holds").await;
    assert_eq!(status, 403, "{page}");
    let (_, page) = requester.get_text("/cases").await;
    assert!(!page.contains(r#"href="/holds""#));
    let (_, page) = admin.get_text(&format!("/cases/{case_id}/holds")).await;
    assert!(page.contains("review overdue"), "{page}");

    // A review (the investigator confirmed) sets the next due date two years on; the
    // reminders start again from there.
    let (s, _) = hold_action(
        &admin,
        case_id,
        hold,
        "review",
        &[(
            "review_note",
            "Det. Ruiz confirmed by phone: trial set for 2027",
        )],
    )
    .await;
    assert_eq!(s, 303);
    let due = holds_of(&app, case_id)[0].2.unwrap();
    assert!(
        (due - now() - Duration::days(730)).num_days().abs() <= 2,
        "{due}"
    );
    assert_eq!(actions(&app, "retention.hold_review", "success"), 1);
    let report = retention_run(&app);
    assert!(report["hold_reviews"].as_array().unwrap().is_empty());
    set_due(10);
    let report = retention_run(&app);
    assert_eq!(report["hold_reviews"][0]["stage"], "due_soon", "{report}");
}

#[actix_web::test]
async fn a_release_takes_effect_only_when_a_second_person_approves_it() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let admin = app.login("admin.a@test.example").await;
    let supervisor = app.login("supervisor@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let hold = request_hold(&admin, &app, case_id).await;
    // A pending request is not released; it is rejected.
    let (s, _) = hold_action(
        &admin,
        case_id,
        hold,
        "lift",
        &[("lift_reason", "Case adjudicated; DA released it")],
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(
        hold_action(&supervisor, case_id, hold, "approve", &[])
            .await
            .0,
        303
    );

    // The supervisor (who approved the hold) asks for the release; they cannot approve it.
    let (s, _) = hold_action(
        &supervisor,
        case_id,
        hold,
        "lift",
        &[("lift_reason", "Case adjudicated; DA released it")],
    )
    .await;
    assert_eq!(s, 303);
    let (s, body) = hold_action(&supervisor, case_id, hold, "release", &[]).await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(actions(&app, "retention.hold_release", "denied"), 1);
    age_case(&app, case_id, 800);
    let report = retention_run(&app);
    assert_eq!(
        ids_in(&report, "held"),
        vec![case_id],
        "still held until approved"
    );
    assert_eq!(case_row(&app, case_id), (None, None));
    let (_, list) = supervisor.get_text("/holds").await;
    let pending =
        &list[list.find(r#"id="pending""#).unwrap()..list.find(r#"id="overdue""#).unwrap()];
    assert!(pending.contains("release requested"), "{list}");

    // The agency's administrator approves the release: the hold ends.
    let (s, _) = hold_action(&admin, case_id, hold, "release", &[]).await;
    assert_eq!(s, 303);
    assert!(holds_of(&app, case_id)[0].3.is_some());
    assert_eq!(
        actions(&app, "retention.hold_release_request", "success"),
        1
    );
    assert_eq!(actions(&app, "retention.hold_release", "success"), 1);
    let report = retention_run(&app);
    assert_eq!(ids_in(&report, "hide"), vec![case_id]);
    assert!(case_row(&app, case_id).0.is_some());
    // And once its last activity is more than five years, 24 hours and one minute ago, it is
    // purged.
    age_case(&app, case_id, 1900);
    let report = retention_run(&app);
    assert_eq!(ids_in(&report, "purge"), vec![case_id]);
    assert!(case_row(&app, case_id).1.is_some());
}

#[actix_web::test]
async fn another_agencys_administrator_cannot_touch_the_holds() {
    let app = spawn_app().await;
    new_user(
        &app,
        AGENCY_B,
        "Bea Admin",
        "admin.b@test.example",
        "local_admin",
    );
    let requester = app.login("requester.a@test.example").await;
    let admin = app.login("admin.a@test.example").await;
    let admin_b = app.login("admin.b@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let hold = request_hold(&admin, &app, case_id).await;

    let (s, _) = admin_b.get_text(&format!("/cases/{case_id}/holds")).await;
    assert_eq!(s, 404);
    let (_, page) = admin_b.get_text("/holds").await;
    let csrf = csrf_of(&page);
    assert!(!page.contains(&format!("/cases/{case_id}/holds")), "{page}");
    for (action, field) in [
        ("approve", ("x", "")),
        ("reject", ("reject_reason", "Not needed by anyone")),
        ("review", ("review_note", "Confirmed by phone today")),
        ("lift", ("lift_reason", "Not needed by anyone")),
        ("release", ("x", "")),
    ] {
        let r = admin_b
            .post_form(
                &format!("/cases/{case_id}/holds/{hold}/{action}"),
                &[("csrf_token", &csrf), field],
            )
            .await;
        assert_eq!(r.status().as_u16(), 404, "{action}");
    }
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("reference", "DR 9"),
        ("reason", "Another agency's reason"),
    ];
    form.extend(INVESTIGATOR);
    let r = admin_b
        .post_form(&format!("/cases/{case_id}/holds"), &form)
        .await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(holds_of(&app, case_id).len(), 1);
    assert_eq!(holds_of(&app, case_id)[0].1, None, "still pending");
    assert!(actions(&app, "retention.hold_approve", "denied") >= 1);
    // The case's own agency administrator sees it in the list.
    let (_, page) = admin.get_text("/holds").await;
    assert!(
        page.contains(&format!("/cases/{case_id}/holds#hold-{hold}")),
        "{page}"
    );
}

/// The first audit record that belongs to `case_id`: the case itself or one of its images.
fn first_record_of_case(app: &TestApp, case_id: i64) -> i64 {
    let mut c = app.pool.get().unwrap();
    let shas: Vec<String> = case_images::table
        .filter(case_images::case_id.eq(case_id))
        .select(case_images::sha256)
        .load(&mut c)
        .unwrap();
    let as_case: Option<i64> = audit_records::table
        .filter(audit_records::object_type.eq("case"))
        .filter(audit_records::object_id.eq(case_id.to_string()))
        .select(diesel::dsl::min(audit_records::id))
        .first(&mut c)
        .unwrap();
    let as_image: Option<i64> = audit_records::table
        .filter(audit_records::object_type.eq("image"))
        .filter(audit_records::object_id.eq_any(&shas))
        .select(diesel::dsl::min(audit_records::id))
        .first(&mut c)
        .unwrap();
    as_case.into_iter().chain(as_image).min().unwrap()
}

fn audit_verify(app: &TestApp) {
    let out = app
        .frdesk()
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[actix_web::test]
async fn the_audit_purge_stops_before_a_held_cases_first_record_until_the_release() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let admin = app.login("admin.a@test.example").await;
    let supervisor = app.login("supervisor@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let hold = request_hold(&admin, &app, case_id).await;
    let _ = requester.submit_valid_request().await; // later records of other objects
    let first_held = first_record_of_case(&app, case_id);
    let oldest = app.audit().iter().map(|r| r.id).min().unwrap();
    assert!(
        first_held > oldest + 5,
        "records before the held case's first"
    );

    // Six years on every record is older than the cutoff; the purge stops before the held
    // case's first record (the hold is only pending).
    let ctx = frdesk::retention::daily::RetentionContext {
        policy: frdesk::domain::retention::RetentionPolicy {
            case_hide_days: 0,
            case_purge_days: 0,
            account_idle_days: 0,
            ..Default::default()
        },
        files: frdesk::platform::storage::Storage::filesystem(app.data_dir.path()),
        service_name: "test".into(),
        base_url: "http://localhost".into(),
    };
    let later = now() + Duration::days(6 * 365);
    let run = |at: NaiveDateTime| {
        let mut c = app.pool.get().unwrap();
        frdesk::retention::daily::run(&mut c, &ctx, &frdesk::audit::Actor::cli("test"), at, false)
            .unwrap()
    };
    let head = app.audit().iter().map(|r| r.id).max().unwrap();
    let report = run(later);
    let purged = report.audit_purge.expect("audit purge");
    assert_eq!(purged.through_id, first_held - 1);
    assert_eq!(purged.held_from, Some(first_held));
    let left: Vec<i64> = app.audit().iter().map(|r| r.id).collect();
    assert_eq!(*left.iter().min().unwrap(), first_held);
    assert!(
        left.contains(&head),
        "records after the held case's first are kept"
    );
    audit_verify(&app);

    // Approving changes nothing for the purge; a second pass purges nothing more.
    assert_eq!(
        hold_action(&supervisor, case_id, hold, "approve", &[])
            .await
            .0,
        303
    );
    let report = run(later);
    assert!(report.audit_purge.is_none(), "{:?}", report.audit_purge);
    assert!(report.audit_purge_refused.is_some());
    assert_eq!(app.audit().iter().map(|r| r.id).min(), Some(first_held));

    // After an approved release, the next pass purges further.
    let (s, _) = hold_action(
        &supervisor,
        case_id,
        hold,
        "lift",
        &[("lift_reason", "Case adjudicated; DA released it")],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(
        hold_action(&admin, case_id, hold, "release", &[]).await.0,
        303
    );
    let report = run(later);
    let purged = report.audit_purge.expect("audit purge after the release");
    assert!(purged.through_id > head, "{}", purged.through_id);
    assert_eq!(purged.held_from, None);
    assert!(app.audit().iter().all(|r| r.id > head));
    audit_verify(&app);
}

#[actix_web::test]
async fn holds_placed_before_approval_was_required_become_approved_holds() {
    use diesel::migration::MigrationSource;
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
    use frdesk::platform::db::DbConnection;
    const SQLITE: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/sqlite");
    const PG: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/postgres");
    const NAME: &str = "legal_hold_approval";
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let admin_id: i64 = {
        use frdesk::platform::db::schema::users;
        let mut c = app.pool.get().unwrap();
        users::table
            .filter(users::email.eq("admin.a@test.example"))
            .select(users::id)
            .first(&mut c)
            .unwrap()
    };
    let placed = now() - Duration::days(100);
    {
        let mut c = app.pool.get().unwrap();
        // Back to the table as it was, with one standing and one lifted hold of that time.
        match &mut *c {
            DbConnection::Sqlite(s) => {
                let m = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE).unwrap();
                let m = m
                    .iter()
                    .find(|m| m.name().to_string().contains(NAME))
                    .unwrap();
                s.revert_migration(m.as_ref()).unwrap();
            }
            DbConnection::Pg(p) => {
                let m = MigrationSource::<diesel::pg::Pg>::migrations(&PG).unwrap();
                let m = m
                    .iter()
                    .find(|m| m.name().to_string().contains(NAME))
                    .unwrap();
                p.revert_migration(m.as_ref()).unwrap();
            }
        }
        for lifted in [false, true] {
            diesel::insert_into(legal_holds::table)
                .values((
                    legal_holds::case_id.eq(case_id),
                    legal_holds::reference.eq("DR 23-0001"),
                    legal_holds::reason.eq("Pending prosecution, placed long ago"),
                    legal_holds::placed_by.eq(admin_id),
                    legal_holds::placed_at.eq(placed),
                    legal_holds::lifted_by.eq(lifted.then_some(admin_id)),
                    legal_holds::lifted_at.eq(lifted.then_some(placed + Duration::days(1))),
                    legal_holds::lift_reason.eq(lifted.then_some("Released by the DA")),
                ))
                .execute(&mut c)
                .unwrap();
        }
        frdesk::platform::db::run_migrations(&mut c).unwrap();
    }
    let holds = {
        let mut c = app.pool.get().unwrap();
        frdesk::retention::store::LegalHold::for_case(&mut c, frdesk::domain::CaseId(case_id))
            .unwrap()
    };
    assert_eq!(holds.len(), 2);
    for h in &holds {
        assert_eq!(h.approved_by, Some(admin_id));
        assert_eq!(h.approved_at.map(|a| a.date()), Some(placed.date()));
        let due = h.review_due_at.expect("review due");
        assert!(
            (due - placed - Duration::days(730)).num_days().abs() <= 1,
            "{due}"
        );
    }
    assert_eq!(holds[0].state_label(), "standing");
    assert_eq!(holds[1].state_label(), "released");
    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text(&format!("/cases/{case_id}/holds")).await;
    assert!(
        page.contains("placed before approval was required"),
        "{page}"
    );
    age_case(&app, case_id, 800);
    let report = retention_run(&app);
    assert_eq!(ids_in(&report, "held"), vec![case_id]);
}
