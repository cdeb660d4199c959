//! Issue 13, "Hostile-input fixes": control characters and bidi overrides never reach what
//! people read (pages, email, packet); joiners that Persian and Indic names need survive; every
//! CSV neutralises formulas; a JPEG cut short and closed with an end-of-image marker is
//! refused; a refused upload leaves no draft behind.

use std::time::Duration;

use crate::helpers::*;
use crate::review::decide;
use crate::search::{approve_and_start, enroll_gallery, review, wait_until_finished};

const NUL: char = '\u{0}';
const BEL: char = '\u{7}';
const RLO: char = '\u{202E}';
const LRI: char = '\u{2066}';

/// The request form with control characters and bidi controls in its text fields; each cleans
/// to the value of [`valid_fields`].
fn hostile_fields() -> Vec<(&'static str, String)> {
    fields_with(&[
        (
            "search_reason",
            "Robbery suspect\u{202E}, Case# 123-89765-0123-41X,\u{0} 211 PC\u{7}\u{2066}",
        ),
        ("case_file_number", "123-89765\u{7}-0123-41X"),
        (
            "video_recording",
            "Store camera 3,\u{202E} 2026-11-20 21:14, cam3.mp4\u{0}",
        ),
        ("signature_name", "Dana Reyes\u{202E}"),
    ])
}

fn assert_clean(what: &str, text: &str) {
    for (c, name) in [(NUL, "NUL"), (BEL, "BEL"), (RLO, "U+202E"), (LRI, "U+2066")] {
        assert!(!text.contains(c), "{what} contains {name}");
    }
}

/// Every text part and header of an email, decoded (quoted-printable, base64, RFC 2047).
fn decoded_email(eml: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            r#"
import sys, email, email.policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
for k, v in m.items():
    print(k + ": " + str(v))
for p in m.walk():
    if p.get_content_maintype() == "text":
        print(p.get_content())
"#,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(eml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn pdftotext(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Submits the form with `fields` and one real photo; returns the case id.
async fn submit(c: &Client, fields: &[(&str, String)]) -> i64 {
    let (csrf, key) = c.new_form().await;
    let r = c
        .post_request(&csrf, &key, "submit", fields, &[photo("Colin_Powell", 2)])
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
    case_id_from_location(&r)
}

#[actix_web::test]
async fn hostile_nul_and_bel_never_reach_the_case_and_review_pages() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = submit(&requester, &hostile_fields()).await;

    let (status, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(status, 200);
    assert_clean("the case page", &page);
    assert!(page.contains("Dana Reyes"), "the name is kept");
    assert!(page.contains("Robbery suspect, Case# 123-89765-0123-41X, 211 PC"));
    assert!(page.contains("123-89765-0123-41X"));

    let reviewer = app.login("reviewer@test.example").await;
    let (status, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    assert_eq!(status, 200);
    assert_clean("the review page", &page);
    assert!(page.contains("Store camera 3, 2026-11-20 21:14, cam3.mp4"));

    // The reviewer's comment (multi-line) loses its controls and keeps its line break.
    let r = decide(
        &reviewer,
        case_id,
        "return",
        "Add the\u{0} incident\u{7} date.\r\nThen \u{202E}resubmit.",
        true,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert_clean("the returned case page", &page);
    assert!(page.contains("Add the incident date."), "{page}");
    let returned = app
        .audit()
        .into_iter()
        .filter(|a| a.object_id == case_id.to_string())
        .map(|a| format!("{:?} {:?}", a.details, a.search_reason))
        .collect::<String>();
    assert_clean("the audit records", &returned);
}

#[actix_web::test]
async fn hostile_bidi_overrides_never_reach_the_acknowledgement_email() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    submit(&requester, &hostile_fields()).await;
    let mails = app.wait_for_mail_to("requester.a@test.example", 1).await;
    assert_eq!(mails.len(), 1);
    let text = decoded_email(&mails[0]);
    assert!(
        text.contains("Robbery suspect, Case# 123-89765-0123-41X, 211 PC"),
        "{text}"
    );
    assert_clean("the acknowledgement", &text);
    assert!(!mails[0].to_ascii_uppercase().contains("=E2=80=AE"));
}

#[actix_web::test]
async fn hostile_bidi_overrides_never_reach_the_packet() {
    let app = spawn_app().await;
    let _gallery = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let requester = app.login("requester.a@test.example").await;
    let case_id = submit(&requester, &hostile_fields()).await;
    approve_and_start(&app, case_id).await;
    let ps = wait_until_finished(&app, case_id).await[0].clone();
    assert_eq!(ps.status.as_str(), "searched");
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &[], "first\u{202E}\u{0}")
            .await
            .status(),
        303
    );
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &[], "second\u{2066}\u{7}")
            .await
            .status(),
        303
    );
    let mut packet = None;
    for _ in 0..600 {
        let mut c = app.pool.get().unwrap();
        let p =
            frdesk::result::store::PacketRecord::for_case(&mut c, frdesk::domain::CaseId(case_id))
                .unwrap();
        if let Some(p) = p.into_iter().next() {
            packet = Some(p);
            break;
        }
        drop(c);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let packet = packet.expect("the packet is issued");
    let file = app.data_dir.path().join("packets").join(packet.file_name());
    let text = pdftotext(&file);
    assert!(text.contains("Robbery suspect"), "{text}");
    assert_clean("the packet", &text);
}

#[actix_web::test]
async fn hostile_text_keeps_the_joiners_persian_and_hindi_names_need() {
    let app = spawn_app().await;
    // Persian with ZWNJ (می‌خواهم, علی‌رضا), Hindi with ZWJ (क्‍ष); a ZWJ inside a Latin
    // name is removed. The requester's name is the account's (cleaned when the account is
    // made); the signature typed with the same joiners matches it.
    let persian = "علی\u{200C}رضا می\u{200C}خواهم";
    let hindi = "राम क\u{094D}\u{200D}ष";
    let name = format!("{persian} {hindi} Jo\u{200D}hn");
    {
        let mut c = app.pool.get().unwrap();
        frdesk::cli::admin::create_user(
            &mut c,
            &frdesk::audit::Actor::cli("test"),
            AGENCY_A,
            &name,
            "persian@test.example",
            "(213) 555-0101",
            "requester",
            Some((
                frdesk::domain::training::TrainingProvider::Lacris,
                chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
            )),
            PASSWORD,
        )
        .unwrap();
        app.enrol_directly(&mut c, "persian@test.example");
    }
    let requester = app.login("persian@test.example").await;
    let video = format!("camera of {persian}");
    let fields = fields_with(&[
        ("signature_name", name.as_str()),
        ("video_recording", video.as_str()),
    ]);
    let case_id = submit(&requester, &fields).await;
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains(persian), "Persian ZWNJ lost");
    assert!(page.contains(hindi), "Devanagari ZWJ lost");
    assert!(
        page.contains(&format!("{hindi} John")),
        "the Latin ZWJ was kept"
    );
    assert!(!page.contains("Jo\u{200D}hn"));
}

#[actix_web::test]
async fn hostile_formula_reason_is_neutralised_in_the_monthly_audit_csv() {
    let app = spawn_app().await;
    let month = frdesk::audit::monthly_report::Month::of(frdesk::platform::time::now()).to_string();
    let requester = app.login("requester.a@test.example").await;
    let reason = "=HYPERLINK(\"http://evil.example/x\",\"Robbery suspect, Case# 123-89765-0123-41X, 211 PC\")";
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &fields_with(&[("search_reason", reason)]),
            &[photo("Colin_Powell", 2)],
        )
        .await;
    assert!([303, 422].contains(&r.status().as_u16()));
    assert!(
        app.audit()
            .iter()
            .any(|a| a.search_reason.as_deref() == Some(reason)),
        "the reason is in the audit trail as typed"
    );

    let admin = app.login("admin.a@test.example").await;
    let r = admin
        .get(&format!("/audits/monthly/export.csv?month={month}"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap();
    let mut rd = csv::Reader::from_reader(&bytes[..]);
    let mut seen = false;
    for row in rd.records() {
        let row = row.unwrap();
        for cell in row.iter() {
            let formula = matches!(cell.chars().next(), Some('=' | '+' | '@' | '\t' | '\r'))
                || (cell.starts_with('-') && cell.len() > 1 && cell.parse::<f64>().is_err());
            assert!(!formula, "a formula cell: {cell}");
            seen |= cell == format!("'{reason}");
        }
    }
    assert!(seen, "the reason is written with a leading quote");
}

/// A real photo cut in the middle of its scan, with the end-of-image marker appended.
fn cut_jpeg() -> Vec<u8> {
    let (_, jpeg) = photo("Aaron_Eckhart", 1);
    let mut cut = jpeg[..jpeg.len() * 6 / 10].to_vec();
    // The cut must not leave half a marker behind.
    while cut.last() == Some(&0xFF) {
        cut.pop();
    }
    cut.extend_from_slice(&[0xFF, 0xD9]);
    cut
}

/// The scan check refuses no real photo: the first 300 LFW photos (by folder name) pass
/// intake, and each cut in its scan with `FF D9` appended is refused.
#[test]
fn hostile_jpeg_scan_check_accepts_real_photos_and_refuses_each_cut() {
    let mut people: Vec<_> = std::fs::read_dir(lfw_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    people.sort();
    let mut n = 0;
    for dir in people {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        let Some(file) = files.into_iter().next() else {
            continue;
        };
        let bytes = std::fs::read(&file).unwrap();
        let name = file.display().to_string();
        assert!(
            frdesk::cases::images::check(&name, bytes.clone()).is_ok(),
            "{name} refused"
        );
        let mut cut = bytes[..bytes.len() * 7 / 10].to_vec();
        while cut.last() == Some(&0xFF) {
            cut.pop();
        }
        cut.extend_from_slice(&[0xFF, 0xD9]);
        assert!(
            frdesk::cases::images::check(&name, cut).is_err(),
            "{name} cut short accepted"
        );
        n += 1;
        if n == 300 {
            break;
        }
    }
    assert_eq!(n, 300);
}

#[actix_web::test]
async fn hostile_jpeg_cut_short_with_an_end_marker_is_refused() {
    let cut = cut_jpeg();
    assert!(
        frdesk::cases::images::jpeg_is_complete(&cut),
        "the marker walk alone passes it"
    );
    assert!(
        image::load_from_memory(&cut).is_ok(),
        "the decoder alone accepts it"
    );
    assert!(matches!(
        frdesk::cases::images::check("cut.jpg", cut.clone()),
        Err(frdesk::cases::images::ImageError::Corrupt(_))
    ));
    let (_, whole) = photo("Aaron_Eckhart", 1);
    assert!(frdesk::cases::images::check("whole.jpg", whole).is_ok());

    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (csrf, key) = c.new_form().await;
    let r = c
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[("cut.jpg".into(), cut)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"images-error\""), "{page}");
    assert!(page.contains("“cut.jpg” is corrupt or truncated"), "{page}");
    assert_eq!(app.stored_image_files(), 0);
    assert_eq!(app.count_cases(), 0);
}

#[actix_web::test]
async fn hostile_refused_upload_leaves_no_draft_behind() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let mut before = app.count_cases();
    // Save and submit, with a refused image beside a good one: nothing is created, the typed
    // answers come back.
    for (action, person) in [("save", "Aaron_Eckhart"), ("submit", "Colin_Powell")] {
        let files = app.stored_image_files();
        let (csrf, key) = c.new_form().await;
        let r = c
            .post_request(
                &csrf,
                &key,
                action,
                &hostile_fields(),
                &[
                    photo(person, 1),
                    ("notes.jpg".into(), b"not an image".to_vec()),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 422, "{action}");
        let page = r.text().await.unwrap();
        assert!(page.contains("notes.jpg"), "{page}");
        assert!(page.contains("Nothing was saved"), "{page}");
        assert!(
            page.contains("value=\"Dana Reyes\""),
            "typed name kept: {page}"
        );
        assert!(page.contains("123-89765-0123-41X"));
        assert!(page.contains("Robbery suspect, Case# 123-89765-0123-41X, 211 PC"));
        assert_clean("the re-shown form", &page);
        assert_eq!(app.count_cases(), before, "{action} left a case behind");
        assert_eq!(app.stored_image_files(), files, "{action} stored an image");
        // The same form sent again with good images goes through.
        let r = c
            .post_request(
                &csrf,
                &key,
                action,
                &valid_fields(),
                &[photo("Aaron_Eckhart", 1)],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "{action}");
        assert_eq!(app.count_cases(), before + 1);
        before += 1;
    }

    // A refused upload to an existing draft leaves the draft as it was.
    let (csrf, key) = c.new_form().await;
    let r = c
        .post_request(&csrf, &key, "save", &valid_fields(), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let draft = case_id_from_location(&r);
    let r = c
        .post_request(
            &csrf,
            &key,
            "save",
            &fields_with(&[("case_file_number", "999-SOMEONE-ELSE")]),
            &[("empty.jpg".into(), vec![])],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text().await.unwrap().contains("999-SOMEONE-ELSE"),
        "typed input kept"
    );
    assert_eq!(app.count_cases(), before + 1);
    let (_, page) = c.get_text(&format!("/cases/{draft}")).await;
    assert!(!page.contains("999-SOMEONE-ELSE"), "the draft is unchanged");
}

#[actix_web::test]
async fn hostile_controls_never_reach_a_legal_hold_or_its_audit_record() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let admin = app.login("admin.a@test.example").await;
    let (status, page) = admin.get_text(&format!("/cases/{case_id}/holds")).await;
    assert_eq!(status, 200, "{page}");
    let r = admin
        .post_form(
            &format!("/cases/{case_id}/holds"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("reference", "DR\u{0} 24-0117\u{202E}"),
                (
                    "reason",
                    "Pending prosecution,\u{7} DA request\r\nof 2026-11-01\u{2066}",
                ),
                ("investigator_name", "Det.\u{0} Ana\u{202E} Ruiz"),
                ("investigator_contact", "a.ruiz@lapd.example"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let (_, page) = admin.get_text(&format!("/cases/{case_id}/holds")).await;
    assert_clean("the holds page", &page);
    assert!(page.contains("DR 24-0117"), "{page}");
    assert!(page.contains("Pending prosecution, DA request"), "{page}");
    let (_, page) = admin.get_text(&format!("/cases/{case_id}")).await;
    assert_clean("the case page", &page);
    let records = app
        .audit()
        .into_iter()
        .filter(|a| a.action.starts_with("retention."))
        .map(|a| format!("{:?} {:?}", a.details, a.search_reason))
        .collect::<String>();
    assert!(records.contains("DR 24-0117"), "{records}");
    assert_clean("the hold's audit record", &records);
}
