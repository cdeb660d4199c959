//! Issue 14 §1: a logically deleted case opens only to the service's system administrators, for
//! one of LAPD's ALPR-order criteria, with a reference and a second person's approval, for 24
//! hours; retention periods shorter than the seed's are refused at start-up; permanent deletion
//! comes at the first pass after five years, 24 hours and one minute. Time is moved by writing
//! timestamps into the database, never by sleeping.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use frdesk::platform::db::schema::{case_images, cases, deleted_access_requests, timeline_events};

use crate::helpers::*;

fn now() -> NaiveDateTime {
    frdesk::platform::time::now()
}

pub(crate) fn new_user(app: &TestApp, ori: &str, email: &str, roles: &str) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        ori,
        "Extra Staff",
        email,
        "(213) 555-0111",
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

/// Moves every trace of activity of a case to `at`.
pub(crate) fn set_last_activity(app: &TestApp, case_id: i64, at: NaiveDateTime) {
    let mut c = app.pool.get().unwrap();
    diesel::update(cases::table.find(case_id))
        .set((cases::updated_at.eq(at), cases::created_at.eq(at)))
        .execute(&mut c)
        .unwrap();
    diesel::update(timeline_events::table.filter(timeline_events::case_id.eq(case_id)))
        .set(timeline_events::at.eq(at))
        .execute(&mut c)
        .unwrap();
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

fn hidden_and_purged(app: &TestApp, id: i64) -> (bool, bool) {
    let mut c = app.pool.get().unwrap();
    let (h, p): (Option<NaiveDateTime>, Option<NaiveDateTime>) = cases::table
        .find(id)
        .select((cases::hidden_at, cases::purged_at))
        .first(&mut c)
        .unwrap();
    (h.is_some(), p.is_some())
}

/// A submitted case of agency A, logically deleted by the retention pass.
pub(crate) async fn deleted_case(app: &TestApp) -> i64 {
    let requester = app.login("requester.a@test.example").await;
    let id = requester.submit_valid_request().await;
    set_last_activity(app, id, now() - Duration::days(800));
    assert_eq!(ids_in(&retention_run(app), "hide"), vec![id]);
    id
}

fn latest_request(app: &TestApp, case_id: i64) -> (i64, String) {
    let mut c = app.pool.get().unwrap();
    deleted_access_requests::table
        .filter(deleted_access_requests::case_id.eq(case_id))
        .order(deleted_access_requests::id.desc())
        .select((deleted_access_requests::id, deleted_access_requests::status))
        .first(&mut c)
        .unwrap()
}

pub(crate) const STATEMENT: &str = "DA requests the probe and result for the trial of DR 24-0117";

/// `sysadmin` asks to open case `id`; returns the request id.
pub(crate) async fn ask(app: &TestApp, sysadmin: &Client, id: i64) -> i64 {
    let (status, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert_eq!(status, 200, "{page}");
    let r = sysadmin
        .post_form(
            &format!("/cases/{id}/retained"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("criterion", "court_order"),
                ("reference", "Court order 24-1187"),
                ("statement", STATEMENT),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("awaits a second person"), "{body}");
    let (rid, status) = latest_request(app, id);
    assert_eq!(status, "pending");
    rid
}

/// `approver` approves request `rid`; returns the response status.
pub(crate) async fn decide(approver: &Client, rid: i64, verb: &str, note: &str) -> u16 {
    let (status, page) = approver.get_text("/admin/deleted-access").await;
    assert_eq!(status, 200, "{page}");
    approver
        .post_form(
            &format!("/admin/deleted-access/{rid}/{verb}"),
            &[("csrf_token", &csrf_of(&page)), ("note", note)],
        )
        .await
        .status()
        .as_u16()
}

/// A system administrator (`sysadmin@test.example`, created here) opens case `id` with the
/// service supervisor's approval; returns their client.
pub(crate) async fn open_with_approval(app: &TestApp, id: i64) -> Client {
    new_user(app, SERVICE, "sysadmin@test.example", "system_admin");
    let sysadmin = app.login("sysadmin@test.example").await;
    let rid = ask(app, &sysadmin, id).await;
    let supervisor = app.login("supervisor@test.example").await;
    assert_eq!(decide(&supervisor, rid, "approve", "").await, 303);
    sysadmin
}

#[actix_web::test]
async fn a_deleted_case_opens_only_to_a_system_admin_after_a_second_persons_approval() {
    let app = spawn_app().await;
    let id = deleted_case(&app).await;
    new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    new_user(&app, SERVICE, "svc.local@test.example", "local_admin");
    let sha: String = {
        let mut c = app.pool.get().unwrap();
        case_images::table
            .filter(case_images::case_id.eq(id))
            .select(case_images::sha256)
            .first(&mut c)
            .unwrap()
    };

    // Local administrators (of the agency, and of the service) no longer open deleted cases.
    for email in ["admin.a@test.example", "svc.local@test.example"] {
        let admin = app.login(email).await;
        assert_eq!(
            admin.get(&format!("/cases/{id}")).await.status().as_u16(),
            404,
            "{email}"
        );
        assert_eq!(admin.get("/admin/retained").await.status().as_u16(), 403);
        let (_, any) = admin.get_text("/cases").await;
        let r = admin
            .post_form(
                &format!("/cases/{id}/retained"),
                &[
                    ("csrf_token", &csrf_of(&any)),
                    ("criterion", "court_order"),
                    ("reference", "Court order 24-1187"),
                    ("statement", STATEMENT),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 404, "{email}");
    }
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "case.deleted_access_request"
                && r.outcome == "denied"
                && r.user_email == "admin.a@test.example")
    );

    // The system administrator sees the list and the request form, not the case.
    let sysadmin = app.login("sysadmin@test.example").await;
    let (status, listed) = sysadmin.get_text("/admin/retained").await;
    assert_eq!(status, 200);
    assert!(listed.contains(&format!("/cases/{id}")), "{listed}");
    let (status, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Pursuant to a court order"), "{page}");
    assert!(
        !page.contains("Request version"),
        "case shown without approval"
    );
    assert_eq!(
        sysadmin
            .get(&format!("/cases/{id}/images/{sha}"))
            .await
            .status()
            .as_u16(),
        404
    );

    // The criterion is required; what was typed comes back.
    let r = sysadmin
        .post_form(
            &format!("/cases/{id}/retained"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("criterion", ""),
                ("reference", "Court order 24-1187"),
                ("statement", STATEMENT),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"id="criterion-error""#), "{body}");
    assert!(body.contains("Court order 24-1187"), "typed reference lost");
    let r = sysadmin
        .post_form(
            &format!("/cases/{id}/retained"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("criterion", "curiosity"),
                ("reference", ""),
                ("statement", "x"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    for f in ["criterion", "reference", "statement"] {
        assert!(body.contains(&format!(r#"id="{f}-error""#)), "{f}: {body}");
    }

    let rid = ask(&app, &sysadmin, id).await;
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "case.deleted_access_request"
                && r.outcome == "success"
                && r.search_reason.as_deref() == Some(STATEMENT))
    );
    // Pending: still closed.
    let (_, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert!(!page.contains("Request version"));
    assert!(page.contains("awaiting a second person"), "{page}");

    // Nobody approves their own request; a requester or local admin cannot approve at all.
    let (status, pending) = sysadmin.get_text("/admin/deleted-access").await;
    assert_eq!(status, 200);
    assert!(pending.contains("Your own request"), "{pending}");
    assert_eq!(decide(&sysadmin, rid, "approve", "").await, 403);
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "case.deleted_access_approve"
                && r.outcome == "denied"
                && r.user_email == "sysadmin@test.example")
    );
    for email in ["admin.a@test.example", "requester.a@test.example"] {
        let other = app.login(email).await;
        assert_eq!(
            other.get("/admin/deleted-access").await.status().as_u16(),
            403
        );
        let (_, any) = other.get_text("/cases").await;
        let r = other
            .post_form(
                &format!("/admin/deleted-access/{rid}/approve"),
                &[("csrf_token", &csrf_of(&any)), ("note", "")],
            )
            .await;
        assert_eq!(r.status().as_u16(), 403, "{email}");
    }
    assert_eq!(latest_request(&app, id).1, "pending");

    // A second person (the service supervisor) approves.
    let supervisor = app.login("supervisor@test.example").await;
    let (_, pending) = supervisor.get_text("/admin/deleted-access").await;
    assert!(pending.contains("Court order 24-1187") && pending.contains(STATEMENT));
    assert_eq!(decide(&supervisor, rid, "approve", "").await, 303);
    assert_eq!(latest_request(&app, id).1, "approved");
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "case.deleted_access_approve"
                && r.outcome == "success"
                && r.user_email == "supervisor@test.example")
    );

    // Now the requester of the access opens it, read-only; every view is audited.
    let (status, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Request version"), "{page}");
    assert!(page.contains("approved by a second person"));
    assert!(!page.contains("/edit\""), "a deleted case is read-only");
    assert_eq!(
        sysadmin
            .get(&format!("/cases/{id}/images/{sha}"))
            .await
            .status()
            .as_u16(),
        200
    );
    let views: Vec<_> = app
        .audit()
        .into_iter()
        .filter(|r| {
            r.action == "case.view_retained"
                && r.outcome == "success"
                && r.object_id == id.to_string()
        })
        .collect();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].user_email, "sysadmin@test.example");
    assert_eq!(views[0].search_reason.as_deref(), Some(STATEMENT));
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "image.view" && r.user_email == "sysadmin@test.example")
    );
    // The approver did not gain access, nor did anyone else.
    assert_eq!(
        supervisor
            .get(&format!("/cases/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );

    // Access expires (24 hours after approval: move the approval into the past).
    {
        let mut c = app.pool.get().unwrap();
        diesel::update(deleted_access_requests::table.find(rid))
            .set(deleted_access_requests::expires_at.eq(Some(now() - Duration::minutes(1))))
            .execute(&mut c)
            .unwrap();
    }
    let (status, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("Request version"),
        "expired access still open"
    );
    assert!(page.contains("approved, expired"), "{page}");
    assert_eq!(
        sysadmin
            .get(&format!("/cases/{id}/images/{sha}"))
            .await
            .status()
            .as_u16(),
        404
    );

    // A refusal needs a note, and leaves the case closed.
    let rid2 = ask(&app, &sysadmin, id).await;
    assert_eq!(decide(&supervisor, rid2, "refuse", "").await, 422);
    assert_eq!(
        decide(&supervisor, rid2, "refuse", "The order covers another case").await,
        303
    );
    assert_eq!(latest_request(&app, id), (rid2, "refused".to_string()));
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "case.deleted_access_refuse" && r.outcome == "success")
    );
    let (_, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert!(!page.contains("Request version"));
    // A decided request cannot be decided again.
    assert_eq!(decide(&supervisor, rid, "approve", "").await, 409);
}

#[test]
fn retention_periods_shorter_than_the_seeds_are_refused_at_start_up_naming_the_key() {
    for (key, env, value) in [
        (
            "retention.case_hide_days",
            "FRDESK_RETENTION__CASE_HIDE_DAYS",
            "365",
        ),
        (
            "retention.case_purge_days",
            "FRDESK_RETENTION__CASE_PURGE_DAYS",
            "1096",
        ),
        (
            "retention.case_purge_days",
            "FRDESK_RETENTION__CASE_PURGE_DAYS",
            "1826",
        ),
        (
            "retention.audit_days",
            "FRDESK_RETENTION__AUDIT_DAYS",
            "1000",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_frdesk"))
            .args(["migrate"])
            .env("FRDESK_DATA_DIR", dir.path())
            .env(env, value)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{env}={value} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{env}={value}: {err}");
    }
    // The seed's own periods (and longer ones) start.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frdesk"))
        .args(["migrate"])
        .env("FRDESK_DATA_DIR", dir.path())
        .env("FRDESK_RETENTION__CASE_HIDE_DAYS", "730")
        .env("FRDESK_RETENTION__CASE_PURGE_DAYS", "1827")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[actix_web::test]
async fn permanent_deletion_comes_at_the_first_pass_after_five_years_24_hours_and_one_minute() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let id = requester.submit_valid_request().await;
    let period = Duration::days(1827) + Duration::hours(24) + Duration::minutes(1);

    // Last activity 30 seconds short of the period: logically deleted, not purged.
    set_last_activity(&app, id, now() - period + Duration::seconds(30));
    let report = retention_run(&app);
    assert_eq!(ids_in(&report, "hide"), vec![id]);
    assert!(ids_in(&report, "purge").is_empty());
    assert_eq!(hidden_and_purged(&app, id), (true, false));
    // Still short by a second (the hide event does not count as activity).
    set_last_activity(&app, id, now() - period + Duration::seconds(2));
    assert!(ids_in(&retention_run(&app), "purge").is_empty());
    assert_eq!(hidden_and_purged(&app, id), (true, false));

    // Thirty seconds past it: the next pass purges.
    set_last_activity(&app, id, now() - period - Duration::seconds(30));
    let report = retention_run(&app);
    assert_eq!(ids_in(&report, "purge"), vec![id]);
    assert_eq!(hidden_and_purged(&app, id), (true, true));
    let t = {
        let mut c = app.pool.get().unwrap();
        frdesk::retention::store::CaseTombstone::for_case(&mut c, frdesk::domain::CaseId(id))
            .unwrap()
            .expect("tombstone")
    };
    assert!(t.reason.contains("24 hours and 1 minute"), "{}", t.reason);
}
