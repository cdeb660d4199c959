//! Retention: logical deletion, purge, legal holds, the five-year audit purge, account hygiene,
//! access reviews, and the FR-policy gate. Time is moved by writing old timestamps into the
//! database (or, for the audit purge, by running the pass with a later `now`), never by sleeping.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use frdesk::platform::db::schema::{
    audit_records, case_images, cases, outbox_messages, timeline_events, users,
};

use crate::helpers::*;

fn now() -> NaiveDateTime {
    frdesk::platform::time::now()
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

/// Marks a case logically deleted `days` ago (as a pass long ago would have).
fn hide_long_ago(app: &TestApp, case_id: i64, days: i64) {
    let mut c = app.pool.get().unwrap();
    diesel::update(cases::table.find(case_id))
        .set(cases::hidden_at.eq(Some(now() - Duration::days(days))))
        .execute(&mut c)
        .unwrap();
}

fn set_last_login(app: &TestApp, email: &str, days_ago: i64) {
    let mut c = app.pool.get().unwrap();
    diesel::update(users::table.filter(users::email.eq(email)))
        .set(users::last_login.eq(Some(now() - Duration::days(days_ago))))
        .execute(&mut c)
        .unwrap();
}

fn is_active(app: &TestApp, email: &str) -> bool {
    let mut c = app.pool.get().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::active)
        .first(&mut c)
        .unwrap()
}

fn case_row(app: &TestApp, id: i64) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let mut c = app.pool.get().unwrap();
    cases::table
        .find(id)
        .select((cases::hidden_at, cases::purged_at))
        .first(&mut c)
        .unwrap()
}

fn retention_run(app: &TestApp, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["retention", "run", "--json"];
    args.extend_from_slice(extra);
    let out = app.frdesk().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "retention run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn ids_in(report: &serde_json::Value, key: &str) -> Vec<i64> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_id"].as_i64().unwrap())
        .collect()
}

/// Polls the requester's history search (all their cases) until `ok(page)`, up to 10 s.
async fn search_until(c: &Client, ok: impl Fn(&str) -> bool) -> bool {
    for _ in 0..100 {
        let (status, p) = c.get_text("/search?q=robbery").await;
        assert_eq!(status, 200, "{p}");
        if ok(&p) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

fn audit_count(app: &TestApp) -> usize {
    app.audit().len()
}

#[actix_web::test]
async fn an_account_idle_91_days_is_disabled_and_one_idle_10_days_is_not() {
    let app = spawn_app().await;
    set_last_login(&app, "requester.a@test.example", 91);
    set_last_login(&app, "requester.b@test.example", 10);
    let report = retention_run(&app, &[]);
    let idle: Vec<&str> = report["idle_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(idle, vec!["requester.a@test.example"]);
    assert!(!is_active(&app, "requester.a@test.example"));
    assert!(is_active(&app, "requester.b@test.example"));
    // Audited, and the agency's local administrator is emailed through the outbox.
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "user.disable_idle" && r.details_text().contains("requester.a"))
    );
    let mut c = app.pool.get().unwrap();
    let to: Vec<String> = outbox_messages::table
        .filter(outbox_messages::kind.eq("account_notice"))
        .select(outbox_messages::to_addr)
        .load(&mut c)
        .unwrap();
    assert_eq!(to, vec!["admin.a@test.example".to_string()]);
    // The disabled account can no longer log in.
    let r = app
        .client()
        .login("requester.a@test.example", PASSWORD)
        .await;
    assert_ne!(r.status().as_u16(), 303);
    // Enabled again (with a reason), the idle period counts from the re-activation.
    let out = app
        .frdesk()
        .args([
            "user",
            "activate",
            "--email",
            "requester.a@test.example",
            "--reason",
            "Back from leave; still assigned to robbery",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = retention_run(&app, &[]);
    assert!(report["idle_accounts"].as_array().unwrap().is_empty());
    assert!(is_active(&app, "requester.a@test.example"));
    assert!(app.audit().iter().any(|r| r.action == "user.activate"));
}

#[actix_web::test]
async fn lapsed_examiner_training_is_audited_and_notified_once() {
    let app = spawn_app().await;
    {
        let mut c = app.pool.get().unwrap();
        // Training records are never changed; to make a lapse, remove the facial-comparison
        // record the seed gave.
        use frdesk::platform::db::schema::training_records;
        let id: i64 = users::table
            .filter(users::email.eq("examiner2@test.example"))
            .select(users::id)
            .first(&mut c)
            .unwrap();
        diesel::delete(
            training_records::table
                .filter(training_records::user_id.eq(id))
                .filter(training_records::kind.eq("facial_comparison")),
        )
        .execute(&mut c)
        .unwrap();
    }
    let report = retention_run(&app, &[]);
    let lapsed: Vec<&str> = report["training_lapsed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(lapsed, vec!["examiner2@test.example"]);
    assert!(
        is_active(&app, "examiner2@test.example"),
        "only examiner rights go"
    );
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "user.training_lapsed")
    );
    let notices = || -> i64 {
        let mut c = app.pool.get().unwrap();
        outbox_messages::table
            .filter(outbox_messages::kind.eq("account_notice"))
            .count()
            .get_result(&mut c)
            .unwrap()
    };
    assert_eq!(notices(), 1);
    let again = retention_run(&app, &[]);
    assert!(again["training_lapsed"].as_array().unwrap().is_empty());
    assert_eq!(notices(), 1, "told once per lapse");
}

#[actix_web::test]
async fn a_dry_run_lists_but_changes_nothing() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let due_hide = requester.submit_valid_request().await;
    let due_purge = requester.submit_valid_request().await;
    age_case(&app, due_hide, 800);
    age_case(&app, due_purge, 2000);
    hide_long_ago(&app, due_purge, 1200);
    set_last_login(&app, "requester.b@test.example", 120);
    let files = app.stored_image_files();
    let audits = audit_count(&app);

    let report = retention_run(&app, &["--dry-run"]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(ids_in(&report, "hide"), vec![due_hide]);
    assert_eq!(ids_in(&report, "purge"), vec![due_purge]);
    assert_eq!(report["idle_accounts"].as_array().unwrap().len(), 1);

    assert_eq!(case_row(&app, due_hide).0, None);
    assert_eq!(case_row(&app, due_purge).1, None);
    assert!(is_active(&app, "requester.b@test.example"));
    assert_eq!(app.stored_image_files(), files);
    assert_eq!(
        audit_count(&app),
        audits,
        "a dry run writes no audit record"
    );

    // The text form says so too.
    let out = app
        .frdesk()
        .args(["retention", "run", "--dry-run"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("dry run: nothing changed"), "{text}");
    assert!(text.contains("Would logically delete 1 case(s)"), "{text}");
}

#[actix_web::test]
async fn a_legal_hold_blocks_logical_deletion_and_purge_until_lifted() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let admin = app.login("admin.a@test.example").await;
    let held_live = requester.submit_valid_request().await;
    let held_hidden = requester.submit_valid_request().await;

    // The requester cannot place a hold.
    let (_, page) = requester.get_text(&format!("/cases/{held_live}")).await;
    let csrf = csrf_of(&page);
    let r = requester
        .post_form(
            &format!("/cases/{held_live}/holds"),
            &[
                ("csrf_token", &csrf),
                ("reference", "DR 24-0117"),
                ("reason", "Pending prosecution, DA request"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);

    // The local administrator places holds from the case page; errors show beside the field.
    let (status, page) = admin.get_text(&format!("/cases/{held_live}/holds")).await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let r = admin
        .post_form(
            &format!("/cases/{held_live}/holds"),
            &[
                ("csrf_token", &csrf),
                ("reference", ""),
                ("reason", "short"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"id="reference-error""#), "{body}");
    assert!(body.contains(r#"id="reason-error""#), "{body}");
    for id in [held_live, held_hidden] {
        let r = admin
            .post_form(
                &format!("/cases/{id}/holds"),
                &[
                    ("csrf_token", &csrf),
                    ("reference", "DR 24-0117"),
                    ("reason", "Pending prosecution, DA request of 2026-11-01"),
                    ("investigator_name", "Det. Ana Ruiz"),
                    ("investigator_contact", "a.ruiz@lapd.example"),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "retention.hold_request" && r.outcome == "success")
    );
    let (_, case_page) = admin.get_text(&format!("/cases/{held_live}")).await;
    assert!(case_page.contains("DR 24-0117") && case_page.contains("pending approval"));
    // A second person (the service's supervisor) approves both (tests/api/holds.rs has the
    // rules of approval; a pending request holds too).
    let supervisor = app.login("supervisor@test.example").await;
    let approve_link = regex::Regex::new(r"/holds/(\d+)/approve").unwrap();
    for id in [held_live, held_hidden] {
        let (_, page) = supervisor.get_text(&format!("/cases/{id}/holds")).await;
        let hold_id = approve_link.captures(&page).unwrap()[1].to_string();
        let r = supervisor
            .post_form(
                &format!("/cases/{id}/holds/{hold_id}/approve"),
                &[("csrf_token", &csrf_of(&page))],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
    }
    let (_, case_page) = admin.get_text(&format!("/cases/{held_live}")).await;
    assert!(case_page.contains("DR 24-0117") && case_page.contains("standing"));

    age_case(&app, held_live, 800);
    age_case(&app, held_hidden, 2000);
    hide_long_ago(&app, held_hidden, 1200);
    let files = app.stored_image_files();
    assert!(files > 0);

    let report = retention_run(&app, &[]);
    assert!(ids_in(&report, "hide").is_empty());
    assert!(ids_in(&report, "purge").is_empty());
    let mut held = ids_in(&report, "held");
    held.sort();
    assert_eq!(held, vec![held_live, held_hidden]);
    assert_eq!(case_row(&app, held_live), (None, None));
    assert_eq!(case_row(&app, held_hidden).1, None, "held case purged");
    assert_eq!(app.stored_image_files(), files, "held images touched");

    // Releasing the hold (requested with a reason, approved by a second person) lets the
    // policy run again.
    let (_, page) = admin.get_text(&format!("/cases/{held_live}/holds")).await;
    let hold_id = regex::Regex::new(r"/holds/(\d+)/lift")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_string();
    let r = admin
        .post_form(
            &format!("/cases/{held_live}/holds/{hold_id}/lift"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("lift_reason", "Case adjudicated; DA released the hold"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let report = retention_run(&app, &[]);
    assert!(
        ids_in(&report, "hide").is_empty(),
        "held until the release is approved"
    );
    let (_, page) = supervisor
        .get_text(&format!("/cases/{held_live}/holds"))
        .await;
    let r = supervisor
        .post_form(
            &format!("/cases/{held_live}/holds/{hold_id}/release"),
            &[("csrf_token", &csrf_of(&page))],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let report = retention_run(&app, &[]);
    assert_eq!(ids_in(&report, "hide"), vec![held_live]);
    assert_eq!(ids_in(&report, "held"), vec![held_hidden]);
    assert!(case_row(&app, held_live).0.is_some());
    assert_eq!(case_row(&app, held_hidden).1, None);
}

#[actix_web::test]
async fn a_purge_removes_the_case_files_and_leaves_an_audited_tombstone() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let id = requester.submit_valid_request().await;
    let shas: Vec<(String, String)> = {
        let mut c = app.pool.get().unwrap();
        case_images::table
            .filter(case_images::case_id.eq(id))
            .select((case_images::sha256, case_images::content_type))
            .load(&mut c)
            .unwrap()
    };
    assert!(!shas.is_empty());
    let store = frdesk::cases::images::ImageStore::new(
        frdesk::platform::storage::Storage::filesystem(app.data_dir.path()),
    );
    let paths: Vec<_> = shas
        .iter()
        .map(|(s, ct)| {
            app.data_dir.path().join(
                store
                    .path_for(s, frdesk::cases::images::ImageStore::ext_for(ct))
                    .unwrap(),
            )
        })
        .collect();
    assert!(paths.iter().all(|p| p.exists()));
    // A packet file of the case, as the result worker would have written it.
    let packets = app.data_dir.path().join("packets");
    std::fs::create_dir_all(&packets).unwrap();
    {
        let mut c = app.pool.get().unwrap();
        diesel::sql_query(format!(
            "INSERT INTO packets (case_id, packet_id, version, result, file_sha256, byte_size, signer_fingerprint, reason, issued_at) \
             VALUES ({id}, 'TEST-{id}-P1', 1, 'no_lead', 'x', 1, 'x', 'concluded', CURRENT_TIMESTAMP)"
        ))
        .execute(&mut c)
        .unwrap();
    }
    let packet_file = packets.join(format!("TEST-{id}-P1.pdf"));
    std::fs::write(&packet_file, b"%PDF-1.7 test").unwrap();

    age_case(&app, id, 2000);
    hide_long_ago(&app, id, 1200);
    let report = retention_run(&app, &[]);
    assert_eq!(ids_in(&report, "purge"), vec![id]);
    assert!(report["files_removed"].as_u64().unwrap() >= 2);

    for p in &paths {
        assert!(!p.exists(), "{} still on disk", p.display());
    }
    assert!(!packet_file.exists());
    assert_eq!(app.stored_image_files(), 0);
    let (hidden, purged) = case_row(&app, id);
    assert!(hidden.is_some() && purged.is_some());

    let mut c = app.pool.get().unwrap();
    let t = frdesk::retention::store::CaseTombstone::for_case(&mut c, frdesk::domain::CaseId(id))
        .unwrap()
        .expect("tombstone");
    assert!(t.case_number.starts_with("FR-"), "{}", t.case_number);
    let what: serde_json::Value = serde_json::from_str(&t.purged).unwrap();
    assert_eq!(what["packets"], 1);
    assert!(what["image_files_removed"].as_u64().unwrap() >= 1);
    // Payload columns are cleared; the form is gone.
    let form: String = frdesk::platform::db::schema::request_versions::table
        .filter(frdesk::platform::db::schema::request_versions::case_id.eq(id))
        .select(frdesk::platform::db::schema::request_versions::form_json)
        .first(&mut c)
        .unwrap();
    assert_eq!(form, "{}");
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "retention.purge" && r.object_id == id.to_string())
    );
    // Running again purges nothing more.
    let again = retention_run(&app, &[]);
    assert!(ids_in(&again, "purge").is_empty());
    drop(c);

    // A system administrator with an approved access request sees the tombstone, and no
    // image links.
    let admin = crate::deleted_access::open_with_approval(&app, id).await;
    let (status, page) = admin.get_text(&format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Purged (tombstone)"), "{page}");
    assert!(!page.contains(&format!("/cases/{id}/images/")), "{page}");
    let sha = &shas[0].0;
    assert_eq!(
        admin
            .get(&format!("/cases/{id}/images/{sha}"))
            .await
            .status()
            .as_u16(),
        404
    );
}

#[actix_web::test]
async fn a_logically_deleted_case_is_404_to_its_requester_and_opens_to_an_approved_system_admin() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let id = requester.submit_valid_request().await;
    let (_, page) = requester.get_text(&format!("/cases/{id}")).await;
    let number = regex::Regex::new(r"FR-[0-9-]+")
        .unwrap()
        .find(&page)
        .map(|m| m.as_str().to_string())
        .expect("case number on the page");
    let link = format!("href=\"/cases/{id}\"");
    assert!(
        search_until(&requester, |p| p.contains(&link)).await,
        "case never appeared in history search"
    );
    age_case(&app, id, 800);
    let report = retention_run(&app, &[]);
    assert_eq!(ids_in(&report, "hide"), vec![id]);
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "retention.hide" && r.object_id == id.to_string())
    );
    // History search drops it (the index follows the retention timeline event).
    assert!(
        search_until(&requester, |p| !p.contains(&link)).await,
        "logically deleted case still found by history search"
    );

    // Hidden from the requester: case page, list, images.
    assert_eq!(
        requester
            .get(&format!("/cases/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );
    let (_, list) = requester.get_text("/cases").await;
    assert!(!list.contains(&number), "hidden case listed");
    let sha: String = {
        let mut c = app.pool.get().unwrap();
        case_images::table
            .filter(case_images::case_id.eq(id))
            .select(case_images::sha256)
            .first(&mut c)
            .unwrap()
    };
    assert_eq!(
        requester
            .get(&format!("/cases/{id}/images/{sha}"))
            .await
            .status()
            .as_u16(),
        404
    );
    // Service staff without the administrator role: also 404.
    let reviewer = app.login("reviewer@test.example").await;
    assert_eq!(
        reviewer
            .get(&format!("/cases/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );

    // The agency's local administrator no longer opens it (issue 14: only the service's system
    // administrators, with a second person's approval — `tests/api/deleted_access.rs`).
    let admin = app.login("admin.a@test.example").await;
    assert_eq!(admin.get("/admin/retained").await.status().as_u16(), 403);
    assert_eq!(
        admin.get(&format!("/cases/{id}")).await.status().as_u16(),
        404
    );
    assert_eq!(
        requester.get("/admin/retained").await.status().as_u16(),
        403
    );
    // A system administrator finds it in the list of logically deleted cases, and opens it
    // once the supervisor approved the request.
    crate::deleted_access::new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    let sysadmin = app.login("sysadmin@test.example").await;
    let (status, listed) = sysadmin.get_text("/admin/retained").await;
    assert_eq!(status, 200);
    assert!(listed.contains(&number), "{listed}");
    let (status, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("/cases/{id}/retained")), "{page}");
    assert!(
        !page.contains("Request version"),
        "case shown without approval"
    );
    assert!(app.audit().iter().any(|r| {
        r.action == "case.view"
            && r.outcome == "denied"
            && r.user_email == "sysadmin@test.example"
            && r.details_text()
                .contains("approved access request is required")
    }));
    assert_eq!(
        sysadmin
            .get(&format!("/cases/{id}/images/{sha}"))
            .await
            .status()
            .as_u16(),
        404
    );
    let rid = crate::deleted_access::ask(&app, &sysadmin, id).await;
    let supervisor = app.login("supervisor@test.example").await;
    assert_eq!(
        crate::deleted_access::decide(&supervisor, rid, "approve", "").await,
        303
    );
    let (status, page) = sysadmin.get_text(&format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Request version"), "{page}");
    assert!(page.contains("Logically deleted under the retention policy"));
    assert_eq!(
        sysadmin
            .get(&format!("/cases/{id}/images/{sha}"))
            .await
            .status()
            .as_u16(),
        200
    );
    let view = app
        .audit()
        .into_iter()
        .find(|r| r.action == "case.view_retained" && r.outcome == "success")
        .expect("audited view");
    assert_eq!(view.object_id, id.to_string());
    assert_eq!(
        view.search_reason.as_deref(),
        Some(crate::deleted_access::STATEMENT)
    );
    assert_eq!(view.user_email, "sysadmin@test.example");
    // The requester still cannot see it.
    assert_eq!(
        requester
            .get(&format!("/cases/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );
}

#[actix_web::test]
async fn purging_audit_records_older_than_five_years_keeps_audit_verify_intact() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    requester.submit_valid_request().await;
    let before = app.audit().len();
    assert!(before > 5);
    let head_before: i64 = app.audit().iter().map(|r| r.id).max().unwrap();

    // The append-only rule holds outside the retention transaction.
    {
        let mut c = app.pool.get().unwrap();
        assert!(
            diesel::delete(audit_records::table.filter(audit_records::id.eq(1)))
                .execute(&mut c)
                .is_err()
        );
        assert!(
            diesel::update(audit_records::table.filter(audit_records::id.eq(2)))
                .set(audit_records::details.eq(Some("x")))
                .execute(&mut c)
                .is_err()
        );
    }

    // Even the purge's own path refuses records newer than its cutoff (the trigger checks the
    // record's time, not only the permit), and leaves no permit behind.
    {
        let mut c = app.pool.get().unwrap();
        let old_cutoff = now() - Duration::days(10);
        assert!(
            frdesk::audit::anchor::AuditAnchor::delete_prefix(&mut c, head_before, old_cutoff)
                .is_err()
        );
        assert!(
            diesel::delete(audit_records::table.filter(audit_records::id.eq(1)))
                .execute(&mut c)
                .is_err()
        );
    }
    assert_eq!(app.audit().len(), before);

    // Run the pass "six years from now" (injected clock) with only the audit rule on.
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
    let report = {
        let mut c = app.pool.get().unwrap();
        frdesk::retention::daily::run(
            &mut c,
            &ctx,
            &frdesk::audit::Actor::cli("test"),
            later,
            false,
        )
        .unwrap()
    };
    let purged = report.audit_purge.expect("audit purge");
    assert_eq!(purged.through_id, head_before);
    assert_eq!(purged.records as usize, before);

    let left = app.audit();
    assert_eq!(left.len(), 1, "only the purge's own record remains");
    assert_eq!(left[0].action, "retention.audit_purge");
    assert_eq!(left[0].id, head_before + 1);

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
    // New records continue the chain and it still verifies.
    let _ = app.login("requester.b@test.example").await;
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
    // Tampering after the anchor is still found.
    {
        let mut c = app.pool.get().unwrap();
        assert!(
            diesel::delete(audit_records::table)
                .execute(&mut c)
                .is_err(),
            "delete outside the retention transaction must be refused"
        );
    }
}

#[actix_web::test]
async fn an_agency_without_an_fr_policy_cannot_submit_and_sees_why() {
    let app = spawn_app().await;
    let c = app.login("requester.c@test.example").await;
    // Told before filling anything in…
    let (_, blank) = c.get_text("/cases/new").await;
    assert!(
        blank.contains("no facial recognition policy on file"),
        "{blank}"
    );
    // …and refused at submission, with the message beside the form.
    let (csrf, key) = c.new_form().await;
    let fields = fields_with(&[("signature_name", "Cy Nopolicy")]);
    let r = c
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("no facial recognition policy on file"),
        "{body}"
    );
    assert!(body.contains(r#"id="agency""#), "message beside the form");
    let mut conn = app.pool.get().unwrap();
    let submitted: i64 = cases::table
        .filter(cases::submitted_at.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(submitted, 0);
}

#[actix_web::test]
async fn the_quarterly_access_review_stores_each_decision_and_revoke_deactivates() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    drop(requester);
    let admin = app.login("admin.a@test.example").await;
    let (status, page) = admin.get_text("/admin/access-review").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Dana Reyes") && page.contains("Alex Admin"));
    assert!(!page.contains("Bo Chen"), "another agency's user listed");
    let ids: Vec<(String, i64)> = {
        let mut c = app.pool.get().unwrap();
        users::table
            .select((users::email, users::id))
            .load(&mut c)
            .unwrap()
    };
    let id_of = |e: &str| ids.iter().find(|(m, _)| m == e).unwrap().1;
    let csrf = csrf_of(&page);
    let (dana, alex) = (
        format!("decision-{}", id_of("requester.a@test.example")),
        format!("decision-{}", id_of("admin.a@test.example")),
    );
    // A missing decision is refused.
    let r = admin
        .post_form(
            "/admin/access-review",
            &[("csrf_token", &csrf), (&alex, "confirm")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(is_active(&app, "requester.a@test.example"));
    let r = admin
        .post_form(
            "/admin/access-review",
            &[("csrf_token", &csrf), (&alex, "confirm"), (&dana, "revoke")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(!is_active(&app, "requester.a@test.example"));
    assert!(is_active(&app, "admin.a@test.example"));
    let audit = app.audit();
    assert!(audit.iter().any(|r| r.action == "access_review.submit"));
    assert!(audit.iter().any(|r| r.action == "user.revoke_access"));
    let mut c = app.pool.get().unwrap();
    let agency: i64 = users::table
        .filter(users::email.eq("admin.a@test.example"))
        .select(users::agency_id)
        .first(&mut c)
        .unwrap();
    let reviews = frdesk::retention::store::AccessReview::for_agency(
        &mut c,
        frdesk::domain::AgencyId(agency),
    )
    .unwrap();
    assert_eq!(reviews.len(), 1);
    let items = frdesk::retention::store::AccessReview::items(&mut c, reviews[0].id).unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i.decision == "revoke"));
}

#[actix_web::test]
async fn deactivating_a_user_who_left_is_audited_and_emails_the_administrator() {
    let app = spawn_app().await;
    let out = app
        .frdesk()
        .args([
            "user",
            "deactivate",
            "--email",
            "requester.a@test.example",
            "--reason",
            "transferred out of the agency",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!is_active(&app, "requester.a@test.example"));
    let mut c = app.pool.get().unwrap();
    let (to, body): (String, String) = outbox_messages::table
        .filter(outbox_messages::kind.eq("account_notice"))
        .select((outbox_messages::to_addr, outbox_messages::body_text))
        .first(&mut c)
        .unwrap();
    assert_eq!(to, "admin.a@test.example");
    assert!(body.contains("transferred out of the agency"));
    let r: Option<String> = users::table
        .filter(users::email.eq("requester.a@test.example"))
        .select(users::deactivated_reason)
        .first(&mut c)
        .unwrap();
    assert_eq!(r.as_deref(), Some("transferred out of the agency"));
}
