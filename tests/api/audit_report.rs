//! The monthly audit report (LACRIS "Audits"): exactly the agency's activity of the month, with
//! highlights; a signed PDF `pdfsig` accepts and a CSV; the local administrator's sign-off once;
//! service review; the CLI; and who may see what.

use std::collections::BTreeSet;
use std::process::Command;

use chrono::Timelike;
use frdesk::audit::monthly_report::Month;

use crate::helpers::*;
use crate::review::decide;
use crate::search::{enroll_gallery, start_search, wait_until_finished};

fn pdfsig(path: &std::path::Path) -> String {
    let out = Command::new("pdfsig").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdftotext(path: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).replace('\n', " ")
}

#[actix_web::test]
async fn a_months_audit_lists_exactly_the_agencys_activity_and_is_signed_off_once() {
    // Business hours chosen so that now is outside them: every action is "after hours".
    let hour = chrono::Utc::now().hour();
    let (start, end) = if hour < 12 { ("13", "24") } else { ("0", "1") };
    let app = spawn_app_with(&[
        ("FRDESK_SERVICE__TIME_ZONE", "UTC"),
        ("FRDESK_AUDIT__BUSINESS_START_HOUR", start),
        ("FRDESK_AUDIT__BUSINESS_END_HOUR", end),
        ("FRDESK_AUDIT__VOLUME_FLOOR", "3"),
    ])
    .await;
    let _gallery = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let month = Month::of(frdesk::platform::time::now()).to_string();

    // Seeded activity: a failed login, a login, a flagged search reason, six case views.
    let requester = app.client();
    assert_eq!(
        requester
            .login("requester.a@test.example", "wrong password 123")
            .await
            .status()
            .as_u16(),
        401
    );
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let fields = fields_with(&[(
        "search_reason",
        "Identify protesters at city hall rally, Incident #567",
    )]);
    let r = requester
        .post_request(&csrf, &key, "submit", &fields, &[photo("Colin_Powell", 2)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let case_id = case_id_from_location(&r);
    for _ in 0..6 {
        assert_eq!(
            requester.get(&format!("/cases/{case_id}")).await.status(),
            200
        );
    }
    let reviewer = app.login("reviewer@test.example").await;
    let r = decide(
        &reviewer,
        case_id,
        "approve",
        "Reviewed the flag; lawful.",
        true,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    start_search(&app, case_id).await;
    wait_until_finished(&app, case_id).await;
    // Another agency's activity must not appear.
    let other = app.login("requester.b@test.example").await;
    let _ = other.get("/cases").await;

    // Who may open it.
    assert_eq!(requester.get("/audits/monthly").await.status(), 403);
    let admin = app.login("admin.a@test.example").await;
    let (status, page) = admin
        .get_text(&format!("/audits/monthly?month={month}"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Dana Reyes"));
    assert!(page.contains("failed login"), "failed login highlighted");
    assert!(page.contains("after hours"), "after-hours highlighted");
    assert!(page.contains("unusual volume"), "volume highlighted");
    assert!(
        page.contains("protesters at city hall"),
        "the flagged reason"
    );
    assert!(page.contains("needs_review"));
    assert!(
        !page.contains("requester.b@test.example"),
        "another agency's user"
    );
    assert!(page.contains("Not signed off yet"));
    assert_eq!(
        admin.get("/audits/monthly?month=2026-13").await.status(),
        400,
        "a bad month is a clear error"
    );

    // The CSV lists exactly the agency's audit records of the month.
    let r = admin
        .get(&format!("/audits/monthly/export.csv?month={month}"))
        .await;
    assert_eq!(r.status(), 200);
    let csv_bytes = r.bytes().await.unwrap();
    let mut rd = csv::Reader::from_reader(&csv_bytes[..]);
    let ids: BTreeSet<i64> = rd
        .records()
        .map(|r| r.unwrap()[0].parse::<i64>().unwrap())
        .collect();
    let agency_a = {
        let mut c = app.pool.get().unwrap();
        frdesk::accounts::store::Agency::by_ori(&mut c, AGENCY_A)
            .unwrap()
            .unwrap()
            .id
    };
    let m = Month::parse(&month).unwrap();
    let expected: BTreeSet<i64> = app
        .audit()
        .iter()
        .filter(|a| a.agency_id == Some(agency_a) && a.at >= m.start() && a.at < m.end())
        .filter(|a| ids.contains(&a.id) || a.action != "audit_report.generate")
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, expected, "the CSV holds exactly the agency's records");
    let csv_text = String::from_utf8_lossy(&csv_bytes);
    assert!(!csv_text.contains("requester.b@test.example"));
    assert!(csv_text.contains("failed login"));

    // Sign-off: findings required; then once.
    let csrf = csrf_of(&page);
    let r = admin
        .post_form(
            "/audits/monthly/signoff",
            &[("csrf_token", &csrf), ("month", &month), ("findings", "ok")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("Write your findings"));
    let findings = "Checked every highlight; the flagged protest reason was reviewed and approved.";
    let r = admin
        .post_form(
            "/audits/monthly/signoff",
            &[
                ("csrf_token", &csrf),
                ("month", &month),
                ("findings", findings),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = admin
        .post_form(
            "/audits/monthly/signoff",
            &[
                ("csrf_token", &csrf),
                ("month", &month),
                ("findings", findings),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409, "signed off once");
    let stored = {
        let mut c = app.pool.get().unwrap();
        frdesk::audit::monthly_report::AuditReportRecord::for_month(&mut c, agency_a, m)
            .unwrap()
            .expect("the sign-off is stored")
    };
    let pdf = app.data_dir.path().join(&stored.pdf_path);
    let sig = pdfsig(&pdf);
    assert!(sig.contains("Signature is Valid"), "{sig}");
    let text = pdftotext(&pdf);
    assert!(text.contains("Monthly audit"));
    assert!(text.contains("Alpha Police Department"));
    assert!(
        text.contains("Checked every highlight"),
        "findings in the signed PDF"
    );
    assert!(text.contains("LAW ENFORCEMENT SENSITIVE"));
    assert!(text.contains("protesters at city hall"));
    assert!(!text.contains("requester.b@test.example"));
    let r = admin
        .get(&format!("/audits/monthly/{}.pdf", stored.id))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        std::fs::read(&pdf).unwrap()
    );
    assert_eq!(
        requester
            .get(&format!("/audits/monthly/{}.pdf", stored.id))
            .await
            .status(),
        403
    );
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "audit_report.signoff" && a.outcome == "success")
    );

    // The service reviews the sign-offs of all agencies.
    let (status, overview) = reviewer
        .get_text(&format!("/audits/monthly?month={month}"))
        .await;
    assert_eq!(status, 200);
    assert!(overview.contains("Alpha Police Department"));
    assert!(overview.contains("Bravo Sheriff"));
    assert!(
        overview.contains("Not signed off"),
        "Bravo has not signed off"
    );
    let r = reviewer
        .post_form(
            &format!("/audits/monthly/{}/reviewed", stored.id),
            &[
                ("csrf_token", &csrf_of(&overview)),
                ("note", "Findings adequate."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, overview) = reviewer
        .get_text(&format!("/audits/monthly?month={month}"))
        .await;
    assert!(overview.contains("Findings adequate."));
    let r = admin
        .post_form(
            &format!("/audits/monthly/{}/reviewed", stored.id),
            &[("csrf_token", &csrf), ("note", "self-review")],
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        403,
        "an agency cannot review its own audit"
    );

    // The command line writes the same report.
    let out_dir = tempfile::tempdir().unwrap();
    let out = app
        .frdesk()
        .args([
            "audit", "report", "--agency", AGENCY_A, "--month", &month, "--out",
        ])
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = out_dir.path().join(format!("audit-{AGENCY_A}-{month}.pdf"));
    assert!(pdfsig(&pdf).contains("Signature is Valid"));
    let csv = std::fs::read_to_string(out_dir.path().join(format!("audit-{AGENCY_A}-{month}.csv")))
        .unwrap();
    assert!(csv.starts_with("record_id,at_utc,user"));
}

/// Signed-off reports are kept as long as audit records (five years), then purged with their
/// files by the retention pass, which records the purge.
#[actix_web::test]
async fn audit_reports_older_than_five_years_are_purged_with_their_files() {
    use diesel::prelude::*;
    let app = spawn_app().await;
    let admin = app.login("admin.a@test.example").await;
    let month = Month::of(frdesk::platform::time::now()).to_string();
    let (_, page) = admin
        .get_text(&format!("/audits/monthly?month={month}"))
        .await;
    let r = admin
        .post_form(
            "/audits/monthly/signoff",
            &[
                ("csrf_token", &csrf_of(&page)),
                ("month", &month),
                (
                    "findings",
                    "Nothing unusual this month; all access was work-related.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let mut c = app.pool.get().unwrap();
    use frdesk::platform::db::schema::audit_reports::dsl as ar;
    let (id, pdf_path): (i64, String) = ar::audit_reports
        .select((ar::id, ar::pdf_path))
        .first(&mut c)
        .unwrap();
    let pdf = app.data_dir.path().join(&pdf_path);
    assert!(pdf.exists());

    // Four years old: kept.
    let four = frdesk::platform::time::now() - chrono::Duration::days(4 * 365);
    diesel::update(ar::audit_reports.find(id))
        .set(ar::signed_off_at.eq(four))
        .execute(&mut c)
        .unwrap();
    let out = app.frdesk().args(["retention", "run"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(pdf.exists(), "a four-year-old report is kept");

    // Six years old: purged, files and row, and the purge is on record.
    let six = frdesk::platform::time::now() - chrono::Duration::days(6 * 365);
    diesel::update(ar::audit_reports.find(id))
        .set(ar::signed_off_at.eq(six))
        .execute(&mut c)
        .unwrap();
    let out = app
        .frdesk()
        .args(["retention", "run", "--dry-run"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{AGENCY_A} {month}")));
    assert!(pdf.exists(), "a dry run changes nothing");
    let out = app.frdesk().args(["retention", "run"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!pdf.exists(), "the signed PDF is removed");
    let left: i64 = ar::audit_reports.count().get_result(&mut c).unwrap();
    assert_eq!(left, 0);
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "retention.audit_report_purge")
    );
}
