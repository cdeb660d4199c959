//! The audit calendar, its reminders, corrective actions and restricted access (issue 14;
//! LACRIS FR Policy "Audits" and "Accountability and Enforcement"). Time is moved by writing an
//! older agency creation date and by running the reminder step with a later `now` (injected
//! clock), never by sleeping.

use chrono::{Datelike, Duration, NaiveDateTime};
use diesel::prelude::*;
use frdesk::platform::db::schema::{agencies, audit_reports, outbox_messages, users};

use crate::helpers::*;
use crate::search::{approve, enroll_gallery, start_search_as, wait_until_analysed};

fn now() -> NaiveDateTime {
    frdesk::platform::time::now()
}

fn agency_id(app: &TestApp, ori: &str) -> i64 {
    let mut c = app.pool.get().unwrap();
    agencies::table
        .filter(agencies::ori.eq(ori))
        .select(agencies::id)
        .first(&mut c)
        .unwrap()
}

pub(crate) fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut c = app.pool.get().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut c)
        .unwrap()
}

/// Makes the agency `days` old: it owes every monthly audit and access review since then.
fn age_agency(app: &TestApp, ori: &str, days: i64) {
    let mut c = app.pool.get().unwrap();
    diesel::update(agencies::table.filter(agencies::ori.eq(ori)))
        .set(agencies::created_at.eq(now() - Duration::days(days)))
        .execute(&mut c)
        .unwrap();
}

/// A system administrator of the service (also its local administrator, so it signs off the
/// service's own monthly audit).
fn add_sysadmin(app: &TestApp) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        SERVICE,
        "Sasha Admin",
        "sysadmin@test.example",
        "(213) 555-0143",
        "system_admin,local_admin",
        None,
        PASSWORD,
    )
    .unwrap();
    app.enrol_directly(&mut c, "sysadmin@test.example");
}

/// The agency's calendar line today.
fn line_of(app: &TestApp, ori: &str) -> frdesk::audit::calendar::AgencyDue {
    let mut c = app.pool.get().unwrap();
    let agency = frdesk::accounts::store::Agency::by_ori(&mut c, ori)
        .unwrap()
        .unwrap();
    frdesk::audit::calendar::for_agency(
        &mut c,
        &frdesk::domain::audit_calendar::CalendarRules::default(),
        &agency,
        now().date(),
    )
    .unwrap()
}

fn reminder_ctx() -> frdesk::audit::calendar::ReminderContext {
    frdesk::audit::calendar::ReminderContext {
        rules: frdesk::domain::audit_calendar::CalendarRules::default(),
        rereview_percent: 10,
        service_name: "Test desk".into(),
        base_url: "http://localhost".into(),
    }
}

fn send_reminders(app: &TestApp, at: NaiveDateTime) -> Vec<frdesk::audit::calendar::SentReminder> {
    let mut c = app.pool.get().unwrap();
    frdesk::audit::calendar::send_reminders(
        &mut c,
        &reminder_ctx(),
        &frdesk::audit::Actor::cli("test"),
        at,
    )
    .unwrap()
}

/// Outbox rows of the audit reminder: (to, subject, text).
fn reminder_mail(app: &TestApp) -> Vec<(String, String, String)> {
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::kind.eq("audit_reminder"))
        .order(outbox_messages::id.asc())
        .select((
            outbox_messages::to_addr,
            outbox_messages::subject,
            outbox_messages::body_text,
        ))
        .load(&mut c)
        .unwrap()
}

fn previous_month() -> String {
    let d = now().date();
    let (y, m) = if d.month() == 1 {
        (d.year() - 1, 12)
    } else {
        (d.year(), d.month() - 1)
    };
    format!("{y:04}-{m:02}")
}

/// Signs off the previous month's audit of the admin's agency through the page; returns the
/// report id.
pub(crate) async fn sign_off(app: &TestApp, admin: &Client, ori: &str) -> i64 {
    sign_off_month(app, admin, ori, &previous_month()).await
}

async fn sign_off_month(app: &TestApp, admin: &Client, ori: &str, month: &str) -> i64 {
    let month = month.to_string();
    let (status, page) = admin
        .get_text(&format!("/audits/monthly?month={month}"))
        .await;
    assert_eq!(status, 200, "{page}");
    let r = admin
        .post_form(
            "/audits/monthly/signoff",
            &[
                ("csrf_token", &csrf_of(&page)),
                ("month", &month),
                (
                    "findings",
                    "One search reason did not name a case; see corrective action.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let agency = agency_id(app, ori);
    let mut c = app.pool.get().unwrap();
    audit_reports::table
        .filter(audit_reports::agency_id.eq(agency))
        .filter(audit_reports::month.eq(&month))
        .select(audit_reports::id)
        .first(&mut c)
        .unwrap()
}

pub(crate) async fn record_action(
    admin: &Client,
    report: i64,
    user: i64,
    kind: &str,
    description: &str,
) -> reqwest::Response {
    let (_, page) = admin.get_text("/account").await;
    let follow = (now().date() + Duration::days(14)).to_string();
    admin
        .post_form(
            "/audits/corrective",
            &[
                ("csrf_token", &csrf_of(&page)),
                ("audit_report_id", &report.to_string()),
                ("user_id", &user.to_string()),
                ("kind", kind),
                ("description", description),
                ("follow_up_on", &follow),
            ],
        )
        .await
}

/// The open corrective action ids against `user`.
pub(crate) fn open_actions(app: &TestApp, user: i64) -> Vec<i64> {
    use frdesk::platform::db::schema::corrective_actions as ca;
    let mut c = app.pool.get().unwrap();
    ca::table
        .filter(ca::user_id.eq(user))
        .filter(ca::completed_at.is_null())
        .select(ca::id)
        .load(&mut c)
        .unwrap()
}

async fn complete(admin: &Client, id: i64, note: &str) -> reqwest::Response {
    let (_, page) = admin.get_text("/account").await;
    admin
        .post_form(
            &format!("/audits/corrective/{id}/complete"),
            &[("csrf_token", &csrf_of(&page)), ("note", note)],
        )
        .await
}

fn denied(app: &TestApp, action: &str) -> usize {
    app.audit()
        .iter()
        .filter(|a| {
            a.action == action
                && a.outcome == "denied"
                && a.details.as_deref().unwrap_or("").contains("restricted")
        })
        .count()
}

#[actix_web::test]
async fn the_calendar_lists_overdue_agencies_first_and_each_admin_sees_their_own() {
    let app = spawn_app().await;
    add_sysadmin(&app);
    // Bravo is 100 days old and has signed off nothing: its oldest monthly audit is overdue.
    age_agency(&app, AGENCY_B, 100);

    // Who may see the whole calendar: the service's supervisors, reviewers, system admins.
    let requester = app.login("requester.a@test.example").await;
    assert_eq!(
        requester.get("/audit/calendar").await.status().as_u16(),
        403
    );
    let admin_a = app.login("admin.a@test.example").await;
    assert_eq!(admin_a.get("/audit/calendar").await.status().as_u16(), 403);
    for who in ["supervisor@test.example", "sysadmin@test.example"] {
        let (status, page) = app.login(who).await.get_text("/audit/calendar").await;
        assert_eq!(status, 200, "{page}");
        let bravo = page.find("Bravo Sheriff").expect("Bravo listed");
        let alpha = page.find("Alpha Police").expect("Alpha listed");
        assert!(bravo < alpha, "overdue first: {page}");
        assert!(page.contains("overdue"), "{page}");
        assert!(
            !page.contains("Regional Identification System ("),
            "the service is not listed"
        );
    }
    // The rule itself: Bravo's oldest owed month is due on the 15th of the month after.
    let mut c = app.pool.get().unwrap();
    let cal = frdesk::audit::calendar::calendar(
        &mut c,
        &frdesk::domain::audit_calendar::CalendarRules::default(),
        now().date(),
    )
    .unwrap();
    drop(c);
    assert_eq!(cal[0].ori, AGENCY_B);
    let m = cal[0].monthly.as_ref().unwrap();
    assert!(m.overdue && m.owed >= 3, "{m:?}");
    assert_eq!(m.due.day(), 15);
    let alpha = cal.iter().find(|l| l.ori == AGENCY_A).unwrap();
    let am = alpha.monthly.as_ref().unwrap();
    assert!(
        !am.overdue,
        "a new agency owes only this month's audit: {am:?}"
    );
    assert_eq!(
        am.period,
        format!("{:04}-{:02}", now().year(), now().month())
    );

    // Alpha's local administrator sees Alpha's own due dates on the monthly audit page.
    let (status, page) = admin_a.get_text("/audits/monthly").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"audit-due\""), "{page}");
    assert!(page.contains(&format!("due {}", am.due)), "{page}");

    // Signing off a month takes it off the calendar.
    let admin_b_email = "admin.b@test.example";
    {
        let mut c = app.pool.get().unwrap();
        frdesk::cli::admin::create_user(
            &mut c,
            &frdesk::audit::Actor::cli("test"),
            AGENCY_B,
            "Blake Admin",
            admin_b_email,
            "(213) 555-0144",
            "local_admin",
            None,
            PASSWORD,
        )
        .unwrap();
        app.enrol_directly(&mut c, admin_b_email);
    }
    let oldest = m.period.clone();
    let admin_b = app.login(admin_b_email).await;
    let (_, page) = admin_b
        .get_text(&format!("/audits/monthly?month={oldest}"))
        .await;
    let r = admin_b
        .post_form(
            "/audits/monthly/signoff",
            &[
                ("csrf_token", &csrf_of(&page)),
                ("month", &oldest),
                (
                    "findings",
                    "Nothing unlawful found in the month's activity.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let line = line_of(&app, AGENCY_B);
    let after = line.monthly.unwrap();
    assert_ne!(after.period, oldest);
    assert_eq!(after.owed, m.owed - 1);
}

#[actix_web::test]
async fn reminders_are_sent_once_per_stage_and_week_and_cannot_be_switched_off() {
    let app = spawn_app().await;
    add_sysadmin(&app);
    age_agency(&app, AGENCY_B, 100);

    let first = send_reminders(&app, now());
    let bravo: Vec<_> = first
        .iter()
        .filter(|r| r.agency_id == agency_id(&app, AGENCY_B))
        .collect();
    let monthly = bravo
        .iter()
        .find(|r| r.kind == "monthly_audit")
        .expect("Bravo's overdue monthly audit is reminded");
    assert!(monthly.stage.starts_with("overdue_w"), "{monthly:?}");
    // Bravo has no local administrator: its contact address; overdue: copied to the service.
    assert!(monthly.to.contains(&"contact@test.example".to_string()));
    assert!(monthly.to.contains(&"sysadmin@test.example".to_string()));
    let mail = reminder_mail(&app);
    assert!(!mail.is_empty());
    let (_, subject, text) = mail
        .iter()
        .find(|(to, _, _)| to == "sysadmin@test.example")
        .unwrap();
    assert!(subject.contains("OVERDUE"), "{subject}");
    assert!(text.contains("cannot be switched off"), "{text}");
    assert!(
        app.audit().iter().any(|a| a.action == "audit.reminder"),
        "each reminder is an audit record"
    );

    // The same day again (a restart, a second pass): nothing is sent twice.
    let n = mail.len();
    assert!(send_reminders(&app, now()).is_empty());
    assert_eq!(reminder_mail(&app).len(), n);

    // A week later: the next weekly overdue notice, once.
    let week = now() + Duration::days(7);
    let later = send_reminders(&app, week);
    assert!(
        later
            .iter()
            .any(|r| r.kind == "monthly_audit" && r.stage != monthly.stage),
        "{later:?}"
    );
    assert!(send_reminders(&app, week).is_empty());

    // Alpha (not overdue) gets "due soon" to its local administrator only, once, near the due
    // date of this month's audit.
    let due = line_of(&app, AGENCY_A).monthly.unwrap().due;
    let soon = due.and_hms_opt(9, 0, 0).unwrap() - Duration::days(3);
    let sent = send_reminders(&app, soon);
    let alpha = sent
        .iter()
        .find(|r| r.agency_id == agency_id(&app, AGENCY_A) && r.kind == "monthly_audit")
        .expect("due soon");
    assert_eq!(alpha.stage, "due_soon");
    assert_eq!(alpha.to, vec!["admin.a@test.example".to_string()]);
    assert!(
        !send_reminders(&app, soon)
            .iter()
            .any(|r| r.agency_id == agency_id(&app, AGENCY_A)),
        "once per stage"
    );

    // There is no setting to switch them off: an unknown [audit] key is refused at start-up.
    let out = app
        .frdesk()
        .env("FRDESK_AUDIT__REMINDERS_ENABLED", "false")
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reminders_enabled"), "{err}");
}

#[actix_web::test]
async fn restricted_access_refuses_submit_search_review_adjudicate_and_download_until_lifted() {
    let app = spawn_app().await;
    add_sysadmin(&app);
    let _gallery = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let admin_a = app.login("admin.a@test.example").await;
    let sysadmin = app.login("sysadmin@test.example").await;
    let report_a = sign_off(&app, &admin_a, AGENCY_A).await;
    let report_s = sign_off(&app, &sysadmin, SERVICE).await;

    let requester_id = user_id(&app, "requester.a@test.example");
    let examiner_id = user_id(&app, "examiner@test.example");
    let supervisor_id = user_id(&app, "supervisor@test.example");

    let (status, page) = admin_a
        .get_text(&format!("/audits/corrective/new?report={report_a}"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Dana Reyes") && !page.contains("Alex Admin &lt;"),
        "{page}"
    );
    // A refused form keeps what was typed and says why beside the field.
    let r = record_action(
        &admin_a,
        report_a,
        requester_id,
        "restricted_access",
        "short",
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("description-error") && page.contains(">short<"),
        "{page}"
    );
    // A local administrator acts only on their own agency's audits and users.
    let r = record_action(
        &admin_a,
        report_s,
        examiner_id,
        "retraining",
        "Not theirs to record.",
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    let r = record_action(
        &admin_a,
        report_a,
        examiner_id,
        "retraining",
        "Examiner is not of this agency.",
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);

    // The restriction of the requester (Alpha's local administrator) and of the examiner and
    // supervisor (the service's system administrator).
    let finding = "Search reason named no case number on three requests.";
    let r = record_action(
        &admin_a,
        report_a,
        requester_id,
        "restricted_access",
        finding,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    for u in [examiner_id, supervisor_id] {
        let r = record_action(&sysadmin, report_s, u, "restricted_access", finding).await;
        assert_eq!(r.status().as_u16(), 303);
    }
    let audit = app.audit();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "corrective_action.record")
            .count(),
        3
    );
    assert_eq!(
        audit.iter().filter(|a| a.action == "user.restrict").count(),
        3
    );

    // Every page says so, and why; reading still works.
    let requester = app.login("requester.a@test.example").await;
    let (status, page) = requester.get_text("/cases").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"access-restricted\"") && page.contains(finding),
        "{page}"
    );

    // Submit: refused (403) and audited; a draft may still be saved.
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[photo("Colin_Powell", 2)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(denied(&app, "request.submit"), 1);

    // Download: refused before anything is looked up, audited.
    let r = requester.get("/cases/1/packets/anything.pdf").await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(denied(&app, "packet.download"), 1);

    // A case from Bravo's (unrestricted) requester, approved and analysed.
    let bravo = app.login("requester.b@test.example").await;
    let case_id = bravo.submit_valid_request().await;
    approve(&app, case_id).await;
    let probes = wait_until_analysed(&app, case_id).await;
    let ps = probes[0].id;

    // Start search: refused and audited (the page and the workflow function both refuse).
    let examiner = app.login("examiner@test.example").await;
    let url = format!("/cases/{case_id}/assessment");
    let (status, _) = examiner.get_text(&url).await;
    assert_eq!(status, 403);
    let (_, page) = examiner.get_text("/account").await;
    let before = denied(&app, "search.assess") + denied(&app, "search.start");
    let r = examiner
        .post_form(
            &url,
            &[
                ("csrf_token", &csrf_of(&page)),
                (&format!("search_{ps}"), "on"),
                (&format!("face_{ps}"), "0"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        denied(&app, "search.assess") + denied(&app, "search.start"),
        before + 1
    );
    // Review a candidate list: refused and audited.
    let review_url = format!("/cases/{case_id}/probes/{ps}/review");
    let r = examiner
        .post_form(
            &review_url,
            &[("csrf_token", &csrf_of(&page)), ("d_1", "excluded")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(denied(&app, "examine.review"), 1);
    // Adjudicate: refused and audited.
    let supervisor = app.login("supervisor@test.example").await;
    let (_, spage) = supervisor.get_text("/account").await;
    let r = supervisor
        .post_form(
            &format!("/cases/{case_id}/probes/{ps}/adjudicate"),
            &[
                ("csrf_token", &csrf_of(&spage)),
                ("lead", "none"),
                ("comment", "restricted supervisor"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(denied(&app, "examine.adjudicate"), 1);

    // Follow-up: the same administrator may complete it; a short note is refused beside it.
    let open = open_actions(&app, requester_id);
    assert_eq!(open.len(), 1);
    let r = complete(&admin_a, open[0], "ok").await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("note-{}-error", open[0]))
    );
    // The service's system administrator may follow up any agency's action.
    let r = complete(&sysadmin, open[0], "Sysadmin may act for any agency.").await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(open_actions(&app, requester_id).is_empty());
    let r = complete(&admin_a, open[0], "Completed twice should be refused.").await;
    assert_eq!(r.status().as_u16(), 409);
    for u in [examiner_id, supervisor_id] {
        let id = open_actions(&app, u)[0];
        let r = complete(
            &sysadmin,
            id,
            "Re-trained on search reasons; restriction lifted.",
        )
        .await;
        assert_eq!(r.status().as_u16(), 303);
    }
    assert_eq!(
        app.audit()
            .iter()
            .filter(|a| a.action == "user.restriction_lift")
            .count(),
        3
    );
    let (_, list) = admin_a.get_text("/audits/corrective").await;
    assert!(
        list.contains("Followed up") && list.contains(finding),
        "{list}"
    );

    // Lifted: no banner, and each action works again.
    let (_, page) = requester.get_text("/cases").await;
    assert!(!page.contains("access-restricted"));
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[photo("Colin_Powell", 2)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = requester.get("/cases/1/packets/anything.pdf").await;
    assert_eq!(r.status().as_u16(), 404);
    start_search_as(&examiner, &app, case_id).await;
}

#[actix_web::test]
async fn revocation_deactivates_and_retraining_is_recorded_for_follow_up() {
    let app = spawn_app().await;
    let admin_a = app.login("admin.a@test.example").await;
    let report = sign_off(&app, &admin_a, AGENCY_A).await;
    let requester_id = user_id(&app, "requester.a@test.example");

    let r = record_action(
        &admin_a,
        report,
        requester_id,
        "retraining",
        "Re-take the LACRIS search-reason training.",
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(open_actions(&app, requester_id).len(), 1);
    // Re-training leaves the account able to work.
    let requester = app.login("requester.a@test.example").await;
    let (_, page) = requester.get_text("/cases").await;
    assert!(!page.contains("access-restricted"));

    let r = record_action(
        &admin_a,
        report,
        requester_id,
        "revocation",
        "Searched for a personal matter: access revoked.",
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let mut c = app.pool.get().unwrap();
    let active: bool = users::table
        .filter(users::id.eq(requester_id))
        .select(users::active)
        .first(&mut c)
        .unwrap();
    drop(c);
    assert!(!active, "revocation deactivates the account");
    assert!(app.audit().iter().any(|a| a.action == "user.revoke_access"));
    // The live session ended with the account.
    assert_ne!(requester.get("/cases").await.status().as_u16(), 200);
    // An administrator cannot act against their own account.
    let own = user_id(&app, "admin.a@test.example");
    let r = record_action(
        &admin_a,
        report,
        own,
        "retraining",
        "Own account not allowed.",
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
}

#[actix_web::test]
async fn the_public_audit_outcomes_show_counts_with_small_cells_suppressed() {
    let app = spawn_app().await;
    // Six member agencies, all old enough to owe the audit of two months ago (whose due date,
    // the 15th of last month, has passed).
    {
        let mut c = app.pool.get().unwrap();
        for (i, ori) in ["CA0190011", "CA0190012", "CA0190013"].iter().enumerate() {
            frdesk::accounts::store::Agency::insert(
                &mut c,
                &frdesk::accounts::store::NewAgency {
                    name: format!("Extra Agency {i}"),
                    ori: ori.to_string(),
                    contact_name: "Contact".into(),
                    contact_email: "contact@test.example".into(),
                    contact_phone: "(213) 555-0100".into(),
                    fr_policy_date: None,
                    is_service: false,
                    active: true,
                    created_at: now(),
                },
            )
            .unwrap();
        }
        diesel::update(agencies::table)
            .set(agencies::created_at.eq(now() - Duration::days(80)))
            .execute(&mut c)
            .unwrap();
    }
    let d = now().date() - chrono::Months::new(2);
    let month = format!("{:04}-{:02}", d.year(), d.month());
    let admin_a = app.login("admin.a@test.example").await;
    let report = sign_off_month(&app, &admin_a, AGENCY_A, &month).await;
    let r = record_action(
        &admin_a,
        report,
        user_id(&app, "requester.a@test.example"),
        "retraining",
        "Re-take the LACRIS search-reason training.",
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);

    // No login needed.
    let public = app.client();
    let (status, page) = public
        .get_text(&format!("/transparency/audits?from={month}&to={month}"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Monthly audits due") && page.contains("&#60;5"),
        "{page}"
    );
    assert!(!page.contains("Alpha Police"), "no agency is named: {page}");
    let csv = public
        .get(&format!("/transparency/audits.csv?from={month}&to={month}"))
        .await
        .text()
        .await
        .unwrap();
    // due 6, signed off 1 (suppressed), overdue 5, one audit acted on and one re-training
    // (suppressed), no restriction or revocation.
    assert!(
        csv.lines()
            .any(|l| l == format!("{month},6,<5,5,<5,<5,0,0,0,0,0")),
        "{csv}"
    );
    // A lone suppressed cell cannot be recovered from the total.
    assert!(
        csv.lines()
            .any(|l| l == "All months,6,<5,5,<5,<5,0,0,0,0,0"),
        "{csv}"
    );
    // The main report links to it.
    let (_, main) = public.get_text("/transparency").await;
    assert!(main.contains("/transparency/audits"));
    // A bad period is refused beside its field.
    let (status, _) = public.get_text("/transparency/audits?from=2025-13").await;
    assert_eq!(status, 422);
}

#[actix_web::test]
async fn the_monthly_re_review_sample_is_drawn_once_and_re_reviewed_by_an_uninvolved_supervisor() {
    use frdesk::platform::db::schema::{packets, rereview_draws, rereviews};
    let app = spawn_app().await;
    let _gallery = enroll_gallery(
        &app,
        &[
            "Colin_Powell",
            "George_W_Bush",
            "Tony_Blair",
            "Donald_Rumsfeld",
        ],
    );
    // A concluded examination: two examiners agree, the packet is issued.
    let (case_id, ps) = crate::search::searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    for who in ["examiner@test.example", "examiner2@test.example"] {
        let e = app.login(who).await;
        let r = crate::search::review(&e, &url, &ranks, &[1], "compared").await;
        assert_eq!(r.status().as_u16(), 303);
    }
    let mut issued = 0;
    for _ in 0..600 {
        let mut c = app.pool.get().unwrap();
        issued = packets::table
            .filter(packets::case_id.eq(case_id))
            .count()
            .get_result::<i64>(&mut c)
            .unwrap();
        if issued > 0 {
            break;
        }
        drop(c);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(issued, 1, "the packet is issued");
    // It was concluded last month (time moved by rewriting the issue date).
    let last_month = now() - chrono::Months::new(1);
    {
        let mut c = app.pool.get().unwrap();
        diesel::update(packets::table.filter(packets::case_id.eq(case_id)))
            .set(packets::issued_at.eq(last_month))
            .execute(&mut c)
            .unwrap();
    }

    let draw = |at: NaiveDateTime| {
        let mut c = app.pool.get().unwrap();
        frdesk::audit::rereview::draw_monthly(&mut c, 10, &frdesk::audit::Actor::cli("test"), at)
            .unwrap()
    };
    let d = draw(now()).expect("this month's draw");
    assert_eq!((d.population, d.sample_size), (1, 1), "10 %, at least one");
    assert_eq!(d.cases, vec![case_id]);
    // Drawn once a month: again (a restart, a second pass) changes nothing.
    assert!(draw(now()).is_none());
    let mut c = app.pool.get().unwrap();
    let n_draws: i64 = rereview_draws::table.count().get_result(&mut c).unwrap();
    let n_items: i64 = rereviews::table.count().get_result(&mut c).unwrap();
    drop(c);
    assert_eq!((n_draws, n_items), (1, 1));
    // The stored seed and population reproduce the sample.
    let seed = hex::decode(&d.seed).unwrap();
    assert_eq!(seed.len(), 32);
    assert_eq!(
        frdesk::domain::rereview::draw(&seed, &[case_id], 1),
        d.cases
    );
    let rec = app
        .audit()
        .into_iter()
        .find(|a| a.action == "rereview.draw")
        .expect("the draw is audited");
    assert!(rec.details.unwrap().contains(&d.seed));

    // The examiners cannot see the queue; the supervisor (who took no part) records it.
    let examiner = app.login("examiner@test.example").await;
    assert_eq!(
        examiner.get("/audit/rereviews").await.status().as_u16(),
        403
    );
    let supervisor = app.login("supervisor@test.example").await;
    let (status, page) = supervisor.get_text("/audit/rereviews").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&d.seed) && page.contains("Record the re-review"),
        "{page}"
    );
    let id = {
        let mut c = app.pool.get().unwrap();
        rereviews::table
            .select(rereviews::id)
            .first::<i64>(&mut c)
            .unwrap()
    };
    let csrf = csrf_of(&page);
    let post = |outcome: &'static str, note: &'static str| {
        let (s, csrf) = (&supervisor, csrf.clone());
        async move {
            s.post_form(
                &format!("/audit/rereviews/{id}"),
                &[("csrf_token", &csrf), ("outcome", outcome), ("note", note)],
            )
            .await
        }
    };
    let r = post("concerns", "").await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("note-{id}-error"))
    );
    let r = post("consistent", "").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(post("consistent", "").await.status().as_u16(), 409);
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "rereview.record" && a.outcome == "success")
    );
    let (_, case_page) = supervisor.get_text(&format!("/cases/{case_id}")).await;
    assert!(case_page.contains("Random re-review"), "on the timeline");

    // Published: the month examined shows one re-review (suppressed: 1 is below 5).
    let lm = format!("{:04}-{:02}", last_month.year(), last_month.month());
    let csv = app
        .client()
        .get(&format!("/transparency/audits.csv?from={lm}&to={lm}"))
        .await
        .text()
        .await
        .unwrap();
    let row = csv.lines().find(|l| l.starts_with(&lm)).unwrap();
    assert!(row.ends_with(",<5,<5,0"), "{csv}");
}
