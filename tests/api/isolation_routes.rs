//! Agency isolation, route by route: every route of the route table that takes an id is tried
//! by each agency-scoped role of another agency (requester, local administrator, auditor) with
//! agency A's ids — case, draft, image, probe search, face crop, candidate photo, packet, legal
//! hold, monthly audit report, user — and must answer 403 or 404 and change nothing. Ids are
//! also mixed (agency B's own case with agency A's probe search). The route list is read from
//! `src/web/mod.rs`, so a new route with an id fails this test until it is added here.

use std::collections::BTreeSet;
use std::time::Duration;

use diesel::prelude::*;
use frdesk::domain::CaseId;

use crate::agencies::{policy_form, policy_pdf, post_multipart};
use crate::helpers::*;
use crate::search::{enroll_gallery, review, searched_case};

/// Every path pattern with a `{…}` parameter in the route table.
fn routes_with_ids() -> BTreeSet<String> {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs")).unwrap();
    let re = regex::Regex::new(r#""(/[^"]*\{[^"]*)""#).unwrap();
    re.captures_iter(&src).map(|c| c[1].to_string()).collect()
}

fn new_user(app: &TestApp, ori: &str, email: &str, roles: &str) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        ori,
        "Bravo Staff",
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

/// A POST to try: the route pattern, the path, the form fields (besides the CSRF token).
type Post = (&'static str, String, Vec<(&'static str, String)>);

/// A snapshot of agency A's case that no refused request may change.
fn state_of(app: &TestApp, case_id: i64) -> String {
    use frdesk::platform::db::schema::{audit_reports, legal_holds, packets};
    let mut c = app.pool.get().unwrap();
    let case = frdesk::cases::store::Case::find(&mut c, CaseId(case_id))
        .unwrap()
        .unwrap();
    type HoldDates = (
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    );
    let holds: Vec<HoldDates> = legal_holds::table
        .filter(legal_holds::case_id.eq(case_id))
        .select((
            legal_holds::lifted_at,
            legal_holds::approved_at,
            legal_holds::rejected_at,
            legal_holds::reviewed_at,
            legal_holds::release_requested_at,
        ))
        .load(&mut c)
        .unwrap();
    let packets: i64 = packets::table
        .filter(packets::case_id.eq(case_id))
        .count()
        .get_result(&mut c)
        .unwrap();
    let reviewed: Vec<Option<chrono::NaiveDateTime>> = audit_reports::table
        .select(audit_reports::reviewed_at)
        .load(&mut c)
        .unwrap();
    let searches = crate::search::searches(app, case_id)
        .iter()
        .map(|s| format!("{}:{}", s.id, s.status))
        .collect::<Vec<_>>();
    let disclosures = frdesk::disclosure::store::Disclosure::for_case(&mut c, case_id)
        .unwrap()
        .iter()
        .map(|d| format!("{}:{}", d.disclosure_id, d.status))
        .collect::<Vec<_>>();
    format!(
        "{} {} {:?} {packets} {reviewed:?} {searches:?} {disclosures:?}",
        case.status, case.current_version, holds
    )
}

#[actix_web::test]
async fn every_route_refuses_another_agencys_ids_for_every_agency_role() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    // Agency A: a concluded case with a packet, a legal hold, a signed-off monthly audit, and
    // a draft.
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    for (email, note) in [
        ("examiner@test.example", "first"),
        ("examiner2@test.example", "second"),
    ] {
        let e = app.login(email).await;
        assert_eq!(
            review(&e, &url, &ranks, &[ranks[0]], note).await.status(),
            303
        );
    }
    let packet = {
        let mut found = None;
        for _ in 0..600 {
            let mut c = app.pool.get().unwrap();
            let p = frdesk::result::store::PacketRecord::for_case(&mut c, CaseId(case_id)).unwrap();
            if let Some(p) = p.into_iter().next() {
                found = Some(p);
                break;
            }
            drop(c);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        found.expect("packet issued")
    };
    let requester_a = app.login("requester.a@test.example").await;
    let (_, page) = requester_a.get_text(&format!("/cases/{case_id}")).await;
    let sha = regex::Regex::new(r"/images/([0-9a-f]{64})")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_string();
    let (csrf_a, draft_key) = requester_a.new_form().await;
    let r = requester_a
        .post_request(&csrf_a, &draft_key, "save", &valid_fields(), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let draft_id = case_id_from_location(&r);
    let admin_a = app.login("admin.a@test.example").await;
    // A corrective action of agency A (issue 14), on its signed-off monthly audit.
    let requester_a_id = crate::audit_calendar::user_id(&app, "requester.a@test.example");
    let report_a = crate::audit_calendar::sign_off(&app, &admin_a, AGENCY_A).await;
    let r = crate::audit_calendar::record_action(
        &admin_a,
        report_a,
        requester_a_id,
        "retraining",
        "Re-training on stating search reasons.",
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let action_a = crate::audit_calendar::open_actions(&app, requester_a_id)[0];
    let (_, page) = admin_a.get_text(&format!("/cases/{case_id}/holds")).await;
    let r = admin_a
        .post_form(
            &format!("/cases/{case_id}/holds"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("reference", "DR# 24-123456"),
                ("reason", "Pending litigation: preserve every record"),
                ("investigator_name", "Det. Ana Ruiz"),
                ("investigator_contact", "(213) 555-0199"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // A disclosure package of agency A's case, prepared by the service's supervisor.
    let disclosure_id = {
        let sup = app.login("supervisor@test.example").await;
        let (_, page) = sup.get_text(&format!("/cases/{case_id}/disclosures")).await;
        let r = sup
            .post_form(
                &format!("/cases/{case_id}/disclosures"),
                &[
                    ("csrf_token", &csrf_of(&page)),
                    (
                        "basis",
                        "Subpoena, Superior Court, docket 26-CR-7, 2026-12-01, defence",
                    ),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        format!("{}-D1", case_number(&app, case_id))
    };
    let month = frdesk::audit::monthly_report::Month::of(frdesk::platform::time::now()).to_string();
    let (_, page) = admin_a
        .get_text(&format!("/audits/monthly?month={month}"))
        .await;
    let r = admin_a
        .post_form(
            "/audits/monthly/signoff",
            &[
                ("csrf_token", &csrf_of(&page)),
                ("month", &month),
                ("findings", "Checked every highlight of the month."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (hold_id, report_id, agency_a, admin_a_id) = {
        use frdesk::platform::db::schema::{agencies, audit_reports, legal_holds};
        let mut c = app.pool.get().unwrap();
        let hold: i64 = legal_holds::table
            .select(legal_holds::id)
            .first(&mut c)
            .unwrap();
        let report: i64 = audit_reports::table
            .select(audit_reports::id)
            .first(&mut c)
            .unwrap();
        let agency: i64 = agencies::table
            .filter(agencies::ori.eq(AGENCY_A))
            .select(agencies::id)
            .first(&mut c)
            .unwrap();
        let admin = frdesk::accounts::store::User::by_email(&mut c, "admin.a@test.example")
            .unwrap()
            .unwrap()
            .id;
        (hold, report, agency, admin)
    };

    // Agency A's FR policy document.
    let policy_id = {
        let r = admin_a
            .get_text(&format!("/admin/agencies/{agency_a}"))
            .await;
        let up = post_multipart(
            &admin_a,
            &format!("/admin/agencies/{agency_a}/policy"),
            policy_form(&csrf_of(&r.1), "2024-01-01", "alpha.pdf", &policy_pdf("a")),
        )
        .await;
        assert_eq!(up.status().as_u16(), 303);
        use frdesk::platform::db::schema::agency_policies;
        let mut c = app.pool.get().unwrap();
        agency_policies::table
            .select(agency_policies::id)
            .first::<i64>(&mut c)
            .unwrap()
    };

    // Agency B: its own case (for mixed ids) and one user of each agency-scoped role.
    new_user(&app, AGENCY_B, "admin.b@test.example", "local_admin");
    new_user(&app, AGENCY_B, "auditor.b@test.example", "auditor");
    // An ordinary agency's account holding service roles (made before the rule, or by a direct
    // database edit: the CLI refuses it, see tests/api/duties.rs): they grant nothing.
    new_user(
        &app,
        SERVICE,
        "staff.b@test.example",
        "requester,reviewer,examiner,supervisor,system_admin",
    );
    {
        use frdesk::platform::db::schema::{agencies, users};
        let mut c = app.pool.get().unwrap();
        let b: i64 = agencies::table
            .filter(agencies::ori.eq(AGENCY_B))
            .select(agencies::id)
            .first(&mut c)
            .unwrap();
        diesel::update(users::table.filter(users::email.eq("staff.b@test.example")))
            .set(users::agency_id.eq(b))
            .execute(&mut c)
            .unwrap();
        let misplaced =
            frdesk::accounts::store::User::with_misplaced_service_roles(&mut c).unwrap();
        assert_eq!(misplaced.len(), 1, "named at start-up");
        assert_eq!(misplaced[0].0.email, "staff.b@test.example");
    }
    let requester_b = app.login("requester.b@test.example").await;
    let own_case = requester_b.submit_valid_request().await;

    let p = ps.id;
    let n = ps.candidates().len();
    let gets: Vec<(&str, String)> = vec![
        ("/cases/{id}", format!("/cases/{case_id}")),
        ("/cases/{id}", format!("/cases/{draft_id}")),
        ("/cases/{id}/edit", format!("/cases/{draft_id}/edit")),
        ("/cases/{id}/holds", format!("/cases/{case_id}/holds")),
        (
            "/cases/{id}/disclosures",
            format!("/cases/{case_id}/disclosures"),
        ),
        (
            "/cases/{id}/disclosures/{disclosure}/{file}",
            format!("/cases/{case_id}/disclosures/{disclosure_id}/report.pdf"),
        ),
        (
            "/cases/{id}/disclosures/{disclosure}/{file}",
            format!("/cases/{case_id}/disclosures/{disclosure_id}/package.zip"),
        ),
        (
            "/cases/{id}/images/{sha}",
            format!("/cases/{case_id}/images/{sha}"),
        ),
        (
            "/cases/{id}/images/{sha}",
            format!("/cases/{own_case}/images/{sha}"),
        ),
        (
            "/cases/{id}/packets/{file}",
            format!("/cases/{case_id}/packets/{}", packet.file_name()),
        ),
        ("/cases/{id}/messages", format!("/cases/{case_id}/messages")),
        (
            "/cases/{id}/messages",
            format!("/cases/{draft_id}/messages"),
        ),
        (
            "/cases/{id}/messages/images/{sha}",
            format!("/cases/{case_id}/messages/images/{sha}"),
        ),
        (
            "/cases/{id}/messages/images/{sha}",
            format!("/cases/{own_case}/messages/images/{sha}"),
        ),
        ("/cases/{id}/withdraw", format!("/cases/{case_id}/withdraw")),
        (
            "/cases/{id}/withdraw",
            format!("/cases/{draft_id}/withdraw"),
        ),
        (
            "/cases/{id}/packets/{file}",
            format!("/cases/{own_case}/packets/{}", packet.file_name()),
        ),
        (
            "/cases/{id}/assessment",
            format!("/cases/{case_id}/assessment"),
        ),
        (
            "/cases/{id}/probes/{ps}/faces/{n}.jpg",
            format!("/cases/{case_id}/probes/{p}/faces/0.jpg"),
        ),
        (
            "/cases/{id}/probes/{ps}/faces/{n}/aligned.jpg",
            format!("/cases/{case_id}/probes/{p}/faces/0/aligned.jpg"),
        ),
        (
            "/cases/{id}/probes/{ps}/review",
            format!("/cases/{case_id}/probes/{p}/review"),
        ),
        (
            "/cases/{id}/probes/{ps}/review",
            format!("/cases/{own_case}/probes/{p}/review"),
        ),
        (
            "/cases/{id}/probes/{ps}/candidates/{rank}.jpg",
            format!("/cases/{case_id}/probes/{p}/candidates/1.jpg"),
        ),
        (
            "/cases/{id}/probes/{ps}/candidates/{rank}.jpg",
            format!("/cases/{own_case}/probes/{p}/candidates/{n}.jpg"),
        ),
        (
            "/cases/{id}/probes/{ps}/candidates/{rank}/aligned.jpg",
            format!("/cases/{case_id}/probes/{p}/candidates/1/aligned.jpg"),
        ),
        (
            "/cases/{id}/probes/{ps}/candidates/{rank}/aligned.jpg",
            format!("/cases/{own_case}/probes/{p}/candidates/{n}/aligned.jpg"),
        ),
        ("/review/{id}", format!("/review/{case_id}")),
        (
            "/admin/agencies/{id}",
            format!("/admin/agencies/{agency_a}"),
        ),
        (
            "/agencies/{id}/policies/{policy}",
            format!("/agencies/{agency_a}/policies/{policy_id}"),
        ),
        (
            "/audits/monthly/{id}.{kind}",
            format!("/audits/monthly/{report_id}.pdf"),
        ),
        (
            "/audits/monthly/{id}.{kind}",
            format!("/audits/monthly/{report_id}.csv"),
        ),
        ("/admin/users/{id}", format!("/admin/users/{admin_a_id}")),
        (
            "/cases/{id}/disseminations.csv",
            format!("/cases/{case_id}/disseminations.csv"),
        ),
    ];
    // A pending request to open agency A's case (as a system administrator of the service
    // would have made it), for the approval routes.
    let access_request = {
        use frdesk::retention::access_requests::{AccessRequest, NewAccessRequest, PENDING};
        let mut c = app.pool.get().unwrap();
        AccessRequest::insert(
            &mut c,
            &NewAccessRequest {
                case_id,
                requester_id: admin_a_id,
                criterion: "court_order".into(),
                reference: "Court order 24-1187".into(),
                statement: "Disclosure ordered by the court".into(),
                requested_at: frdesk::platform::time::now(),
                status: PENDING.into(),
            },
        )
        .unwrap()
    };
    let posts: Vec<Post> = vec![
        (
            "/audits/corrective/{id}/complete",
            format!("/audits/corrective/{action_a}/complete"),
            vec![("note", "Completed by another agency".into())],
        ),
        // Service-only: a re-review and a published document are the service's, refused to
        // every agency role whatever the id.
        (
            "/audit/rereviews/{id}",
            "/audit/rereviews/1".into(),
            vec![
                ("outcome", "consistent".into()),
                ("note", "Re-reviewed by another agency".into()),
            ],
        ),
        (
            "/admin/published/{id}/withdraw",
            "/admin/published/1/withdraw".into(),
            vec![("reason", "Withdrawn by another agency".into())],
        ),
        (
            "/cases/{id}/retained",
            format!("/cases/{case_id}/retained"),
            vec![
                ("criterion", "court_order".into()),
                ("reference", "Court order 24-1187".into()),
                ("statement", "Need to look at it again".into()),
            ],
        ),
        (
            "/admin/deleted-access/{id}/approve",
            format!("/admin/deleted-access/{access_request}/approve"),
            vec![("note", "".into())],
        ),
        (
            "/admin/deleted-access/{id}/refuse",
            format!("/admin/deleted-access/{access_request}/refuse"),
            vec![("note", "Refused by another agency".into())],
        ),
        (
            "/cases/{id}/holds",
            format!("/cases/{case_id}/holds"),
            vec![
                ("reference", "DR# 1".into()),
                ("reason", "Another hold for no reason".into()),
                ("investigator_name", "Det. Bo Chen".into()),
                ("investigator_contact", "bo.chen@pd.example".into()),
            ],
        ),
        (
            "/cases/{id}/holds/{hold}/{action}",
            format!("/cases/{case_id}/holds/{hold_id}/approve"),
            vec![],
        ),
        (
            "/cases/{id}/disclosures",
            format!("/cases/{case_id}/disclosures"),
            vec![(
                "basis",
                "Subpoena from another agency, docket 1, 2026-12-01".into(),
            )],
        ),
        (
            "/cases/{id}/disclosures/{disclosure}/{action}",
            format!("/cases/{case_id}/disclosures/{disclosure_id}/approve"),
            vec![],
        ),
        (
            "/cases/{id}/disclosures/{disclosure}/{action}",
            format!("/cases/{case_id}/disclosures/{disclosure_id}/reject"),
            vec![("reject_reason", "Refused by another agency".into())],
        ),
        (
            "/cases/{id}/disclosures/{disclosure}/{action}",
            format!("/cases/{case_id}/disclosures/{disclosure_id}/release"),
            vec![],
        ),
        (
            "/cases/{id}/holds/{hold}/{action}",
            format!("/cases/{case_id}/holds/{hold_id}/reject"),
            vec![("reject_reason", "No case number on file".into())],
        ),
        (
            "/cases/{id}/holds/{hold}/{action}",
            format!("/cases/{case_id}/holds/{hold_id}/review"),
            vec![("review_note", "Officer confirmed by phone".into())],
        ),
        (
            "/cases/{id}/holds/{hold}/{action}",
            format!("/cases/{case_id}/holds/{hold_id}/lift"),
            vec![("lift_reason", "Litigation over, lift it".into())],
        ),
        (
            "/cases/{id}/holds/{hold}/{action}",
            format!("/cases/{case_id}/holds/{hold_id}/release"),
            vec![],
        ),
        (
            "/cases/{id}/holds/{hold}/{action}",
            format!("/cases/{own_case}/holds/{hold_id}/lift"),
            vec![("lift_reason", "Litigation over, lift it".into())],
        ),
        (
            "/cases/{id}/result/reissue",
            format!("/cases/{case_id}/result/reissue"),
            vec![("reason", "Correct the packet now".into())],
        ),
        (
            "/cases/{id}/result/withdraw",
            format!("/cases/{case_id}/result/withdraw"),
            vec![("reason", "Withdraw the result now".into())],
        ),
        (
            "/cases/{id}/withdraw",
            format!("/cases/{draft_id}/withdraw"),
            vec![("reason", "Withdrawn by another agency".into())],
        ),
        (
            "/cases/{id}/assessment",
            format!("/cases/{case_id}/assessment"),
            vec![("note", "Started from another agency".into())],
        ),
        (
            "/cases/{id}/probes/{ps}/rerun",
            format!("/cases/{case_id}/probes/{p}/rerun"),
            vec![],
        ),
        (
            "/cases/{id}/probes/{ps}/review",
            format!("/cases/{case_id}/probes/{p}/review"),
            vec![("d_1", "excluded".into())],
        ),
        (
            "/cases/{id}/probes/{ps}/adjudicate",
            format!("/cases/{case_id}/probes/{p}/adjudicate"),
            vec![
                ("lead", "none".into()),
                ("comment", "No lead after all".into()),
            ],
        ),
        (
            "/review/{id}",
            format!("/review/{draft_id}"),
            vec![
                ("decision", "reject".into()),
                ("comment", "Rejected by another agency".into()),
            ],
        ),
        (
            "/audits/monthly/{id}/reviewed",
            format!("/audits/monthly/{report_id}/reviewed"),
            vec![("note", "Reviewed by another agency".into())],
        ),
        (
            "/admin/users/{id}/training",
            format!("/admin/users/{admin_a_id}/training"),
            vec![
                ("kind", "facial_comparison".into()),
                ("provider", "FBI".into()),
                ("completed", "2025-03-01".into()),
            ],
        ),
        (
            "/admin/users/{id}/background-check",
            format!("/admin/users/{admin_a_id}/background-check"),
            vec![("date", "2025-03-01".into())],
        ),
        (
            "/admin/users/{id}/roles",
            format!("/admin/users/{admin_a_id}/roles"),
            vec![("auditor", "on".into())],
        ),
        (
            "/admin/agencies/{id}/policy/clear",
            format!("/admin/agencies/{agency_a}/policy/clear"),
            vec![],
        ),
        (
            "/admin/agencies/{id}/terms",
            format!("/admin/agencies/{agency_a}/terms"),
            vec![],
        ),
        (
            "/admin/agencies/{id}/suspend",
            format!("/admin/agencies/{agency_a}/suspend"),
            vec![("reason", "Suspended by another agency".into())],
        ),
        (
            "/admin/agencies/{id}/reinstate",
            format!("/admin/agencies/{agency_a}/reinstate"),
            vec![],
        ),
        (
            "/admin/second-factor/reset",
            "/admin/second-factor/reset".into(),
            vec![
                ("user_id", admin_a_id.to_string()),
                ("reason", "Reset by another agency".into()),
            ],
        ),
    ];

    // The table above covers every route with an id.
    let covered: BTreeSet<String> = gets
        .iter()
        .map(|g| g.0.to_string())
        .chain(posts.iter().map(|p| p.0.to_string()))
        .chain([
            // Public, aggregate only (tests/api/transparency.rs).
            "/transparency.{kind}".to_string(),
            // The agency comes from the session, not the URL; checked below.
            "/audits/monthly/export.{kind}".to_string(),
            // Multipart; tried below.
            "/admin/agencies/{id}/policy".to_string(),
            "/cases/{id}/messages".to_string(),
            "/admin/published/{id}/replace".to_string(),
            // Public by design: published documents and agencies' published policies
            // (tests/api/published.rs: only those files, by their own ids).
            "/transparency/documents/{id}/{version}.pdf".to_string(),
            "/transparency/agencies/{agency}/policies/{policy}.pdf".to_string(),
        ])
        .collect();
    let missing: Vec<_> = routes_with_ids().difference(&covered).cloned().collect();
    assert!(
        missing.is_empty(),
        "routes not tried for isolation: {missing:?}"
    );

    let before = state_of(&app, case_id);
    let draft_before = state_of(&app, draft_id);
    for email in [
        "requester.b@test.example",
        "admin.b@test.example",
        "auditor.b@test.example",
        "staff.b@test.example",
    ] {
        let c = app.login(email).await;
        // The whole audit trail is the service's: never another agency's records.
        let (s, body) = c.get_text("/audit").await;
        assert!(
            s == 403 || !body.contains("requester.a@test.example"),
            "{email} GET /audit shows agency A's records ({s})"
        );
        for (_, path) in &gets {
            let r = c.get(path).await;
            let s = r.status().as_u16();
            assert!(s == 403 || s == 404, "{email} GET {path} gave {s}");
        }
        let (_, page) = c.get_text("/cases").await;
        let csrf = csrf_of(&page);
        for (_, path, fields) in &posts {
            let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
            form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            let s = c.post_form(path, &form).await.status().as_u16();
            assert!(s == 403 || s == 404, "{email} POST {path} gave {s}");
        }
        // Filing a policy for agency A (multipart).
        let s = post_multipart(
            &c,
            &format!("/admin/agencies/{agency_a}/policy"),
            policy_form(&csrf, "2024-01-01", "evil.pdf", &policy_pdf("b")),
        )
        .await
        .status()
        .as_u16();
        assert!(s == 403 || s == 404, "{email} filing A's policy gave {s}");
        // Posting a message on agency A's case and draft (multipart).
        for id in [case_id, draft_id] {
            let form = reqwest::multipart::Form::new()
                .text("csrf_token", csrf.clone())
                .text("body", "A message from another agency");
            let s = post_multipart(&c, &format!("/cases/{id}/messages"), form)
                .await
                .status()
                .as_u16();
            assert!(s == 403 || s == 404, "{email} messaging A's case gave {s}");
        }
        // Replacing a published document (multipart): the service's system administrators only.
        let s = post_multipart(
            &c,
            "/admin/published/1/replace",
            policy_form(&csrf, "2024-01-01", "evil.pdf", &policy_pdf("b")),
        )
        .await
        .status()
        .as_u16();
        assert!(
            s == 403 || s == 404,
            "{email} replacing a document gave {s}"
        );
        // Saving into agency A's draft by its form key.
        let (csrf_b, _) = if email == "requester.b@test.example" {
            c.new_form().await
        } else {
            (csrf.clone(), String::new())
        };
        let s = c
            .post_request(&csrf_b, &draft_key, "save", &valid_fields(), &[])
            .await
            .status()
            .as_u16();
        assert!(s == 403 || s == 404, "{email} saving A's draft gave {s}");
        // The monthly audit and its export take the agency from the session, not the URL.
        for path in [
            format!("/audits/monthly?month={month}&agency={agency_a}"),
            format!("/audits/monthly/export.csv?month={month}&agency={agency_a}"),
        ] {
            let (s, body) = c.get_text(&path).await;
            assert!(
                s == 403
                    || !body.contains("Alpha Police Department")
                        && !body.contains("requester.a@test.example"),
                "{email} GET {path} shows agency A ({s})"
            );
        }
        // Case-history search finds nothing of agency A.
        let number = {
            let mut conn = app.pool.get().unwrap();
            frdesk::cases::store::Case::find(&mut conn, CaseId(case_id))
                .unwrap()
                .unwrap()
                .case_number
                .unwrap()
        };
        let (_, body) = c.get_text(&format!("/search?q={number}")).await;
        assert!(
            !body.contains(&format!("/cases/{case_id}\"")),
            "{email} found A's case by search"
        );
    }
    assert_eq!(
        state_of(&app, case_id),
        before,
        "a refused request changed agency A's case"
    );
    assert_eq!(state_of(&app, draft_id), draft_before);
    assert_eq!(
        crate::audit_calendar::open_actions(&app, requester_a_id),
        vec![action_a],
        "a refused request completed agency A's corrective action"
    );
    {
        let mut c = app.pool.get().unwrap();
        let r = frdesk::retention::access_requests::AccessRequest::find(&mut c, access_request)
            .unwrap()
            .unwrap();
        assert_eq!(
            r.status, "pending",
            "another agency decided an access request"
        );
    }
    // Agency A's policy, suspension and terms are as they were.
    {
        use frdesk::platform::db::schema::{agencies, agency_policies};
        let mut c = app.pool.get().unwrap();
        let rows: Vec<Option<chrono::NaiveDateTime>> = agency_policies::table
            .select(agency_policies::cleared_at)
            .load(&mut c)
            .unwrap();
        assert_eq!(rows, vec![None], "a refused request changed A's policy");
        let suspended: Option<chrono::NaiveDateTime> = agencies::table
            .find(agency_a)
            .select(agencies::suspended_at)
            .first(&mut c)
            .unwrap();
        assert!(suspended.is_none());
    }
}
