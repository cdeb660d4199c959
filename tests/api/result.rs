//! The result of a case: the signed lead packet issued when the examination concludes, emailed
//! through a real SMTP server with the packet attached, checked with poppler's `pdfsig` and
//! `pdftotext` and with `frdesk packet verify`; re-issue and withdrawal make earlier packets
//! not current.

use std::process::Command;
use std::time::Duration;

use frdesk::domain::CaseId;
use frdesk::result::store::PacketRecord;

use crate::helpers::*;
use crate::mail::{free_port, start_smtp};
use crate::search::{enroll_gallery, review, searched_case};

fn packets(app: &TestApp, case_id: i64) -> Vec<PacketRecord> {
    let mut c = app.pool.get().unwrap();
    PacketRecord::for_case(&mut c, CaseId(case_id)).unwrap()
}

async fn wait_for_packets(app: &TestApp, case_id: i64, n: usize) -> Vec<PacketRecord> {
    for _ in 0..600 {
        let p = packets(app, case_id);
        if p.len() >= n {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("packet {n} of case {case_id} was not issued");
}

fn case_status(app: &TestApp, case_id: i64) -> String {
    let mut c = app.pool.get().unwrap();
    frdesk::cases::store::Case::find(&mut c, CaseId(case_id))
        .unwrap()
        .unwrap()
        .status
        .to_string()
}

fn pdfsig(path: &std::path::Path) -> String {
    let out = Command::new("pdfsig")
        .arg(path)
        .output()
        .expect("pdfsig (poppler-utils) must be installed");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn pdftotext(path: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `frdesk packet verify FILE --json`; returns (exit code, report).
fn verify(app: &TestApp, path: &std::path::Path) -> (i32, serde_json::Value) {
    let out = app
        .frdesk()
        .args(["packet", "verify", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout} / {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

#[actix_web::test]
async fn a_concluded_examination_issues_a_signed_packet_by_email() {
    let port = free_port();
    let smtp = start_smtp(port).await;
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(&[
        ("FRDESK_MAIL__TRANSPORT", "smtp"),
        ("FRDESK_MAIL__SMTP_URL", &url),
    ])
    .await;
    let _photos = enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let mate = ps
        .candidates()
        .iter()
        .find(|c| c.subject_key == "Colin_Powell")
        .map(|c| c.rank)
        .expect("the mate is in the candidate list");
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &[mate], "first").await.status(),
        303
    );
    // One review is not a result: nothing is issued before the blind second review.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(packets(&app, case_id).is_empty());
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &[mate], "second").await.status(),
        303
    );

    let issued = wait_for_packets(&app, case_id, 1).await;
    let p1 = &issued[0];
    assert_eq!(p1.result, "possible_lead");
    assert!(p1.is_current());
    assert_eq!(case_status(&app, case_id), "concluded");
    let file = app.data_dir.path().join("packets").join(p1.file_name());
    let sig = pdfsig(&file);
    assert!(sig.contains("Signature is Valid"), "{sig}");
    let overlaps = overlapping_words(&file);
    assert!(
        overlaps.is_empty(),
        "words printed over each other: {overlaps:?}"
    );
    let text = pdftotext(&file);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(!pages.is_empty());
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains("INVESTIGATIVE LEAD ONLY"),
            "page {} lacks the banner",
            i + 1
        );
    }
    let case_number = p1.packet_id.trim_end_matches("-P1").to_string();
    assert!(text.contains(&case_number));
    assert!(text.contains("Colin_Powell"), "the lead's subject id");
    assert!(text.contains("Examiner One") || text.contains("first examiner"));
    assert!(text.contains(&ps.image_sha256), "the probe's SHA-256");

    // The requester receives it by email, through the real SMTP server, with the PDF attached.
    let mut mail = None;
    for _ in 0..200 {
        mail = smtp
            .messages()
            .into_iter()
            .find(|m| m.contains("Face search result"));
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = mail.expect("the result email arrives");
    assert!(mail.contains("To: requester.a@test.example"));
    let attached = attachments_of(&mail);
    assert_eq!(attached.len(), 1, "{mail}");
    assert_eq!(attached[0].0, p1.file_name());
    assert_eq!(
        attached[0].1,
        std::fs::read(&file).unwrap(),
        "the attachment is the issued file"
    );

    // The requester's agency can download it; another agency cannot; downloads are audited.
    let requester = app.login("requester.a@test.example").await;
    let dl = format!("/cases/{case_id}/packets/{}", p1.file_name());
    let r = requester.get(&dl).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        std::fs::read(&file).unwrap()
    );
    let other = app.login("requester.b@test.example").await;
    assert_eq!(other.get(&dl).await.status(), 404);
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "packet.download" && a.object_id == p1.packet_id)
    );
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Result issued"), "status in view");
    assert!(page.contains(&p1.packet_id));

    // `frdesk packet verify`: valid, ours, current.
    let (code, v) = verify(&app, &file);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["signature_valid"], true);
    assert_eq!(v["issued_by_this_server"], true);
    assert_eq!(v["current"], true);
    assert_eq!(v["case"], case_number.as_str());

    // One changed byte inside the signed range: not valid.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x01;
    let tampered = app.data_dir.path().join("tampered.pdf");
    std::fs::write(&tampered, &bytes).unwrap();
    let (code, v) = verify(&app, &tampered);
    assert_eq!(code, 1);
    assert_eq!(v["signature_valid"], false);
    assert_eq!(v["issued_by_this_server"], false);
    assert!(!pdfsig(&tampered).contains("Signature is Valid"));

    // A supervisor re-issues the result: a new packet, the first one no longer current. A
    // reviewer may not.
    let reviewer = app.login("reviewer@test.example").await;
    let (_, rpage) = reviewer.get_text(&format!("/cases/{case_id}")).await;
    assert!(
        !rpage.contains("/result/reissue"),
        "no re-issue form for a reviewer"
    );
    let r = reviewer
        .post_form(
            &format!("/cases/{case_id}/result/reissue"),
            &[
                ("csrf_token", &csrf_of(&rpage)),
                ("reason", "Reviewers may not change a result"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403, "only a supervisor re-issues");
    let supervisor = app.login("supervisor@test.example").await;
    let (_, page) = supervisor.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("/result/reissue"), "{page}");
    let csrf = csrf_of(&page);
    let r = supervisor
        .post_form(
            &format!("/cases/{case_id}/result/reissue"),
            &[("csrf_token", &csrf), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status(), 400, "a reason is required");
    let (_, own_page) = requester.get_text(&format!("/cases/{case_id}")).await;
    let r = requester
        .post_form(
            &format!("/cases/{case_id}/result/reissue"),
            &[
                ("csrf_token", &csrf_of(&own_page)),
                ("reason", "Requester may not do this"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403, "requesters cannot change a result");
    let r = supervisor
        .post_form(
            &format!("/cases/{case_id}/result/reissue"),
            &[
                ("csrf_token", &csrf),
                ("reason", "Corrected the requester's unit name"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let issued = wait_for_packets(&app, case_id, 2).await;
    assert!(!issued[0].is_current());
    assert!(issued[1].is_current());
    assert_eq!(issued[1].version, 2);
    let file2 = app
        .data_dir
        .path()
        .join("packets")
        .join(issued[1].file_name());
    let (_, v) = verify(&app, &file);
    assert_eq!(v["issued_by_this_server"], true);
    assert_eq!(v["current"], false, "the first packet was superseded");
    let (code, v) = verify(&app, &file2);
    assert_eq!((code, v["current"].clone()), (0, serde_json::json!(true)));
    let corrected = smtp.wait_for_one("Corrected face search result", 60).await;
    assert!(
        corrected
            .iter()
            .any(|m| m.contains("Corrected face search result")),
        "the requester is told of the correction"
    );

    // Withdrawal: no packet is current any more; the case says so.
    let r = supervisor
        .post_form(
            &format!("/cases/{case_id}/result/withdraw"),
            &[
                ("csrf_token", &csrf),
                (
                    "reason",
                    "The probe image was found to be of another incident",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(case_status(&app, case_id), "result_withdrawn");
    let (code, v) = verify(&app, &file2);
    assert_eq!((code, v["current"].clone()), (1, serde_json::json!(false)));
    let all = smtp.wait_for_one("WITHDRAWN", 60).await;
    assert!(all.iter().any(|m| m.contains("WITHDRAWN")));
    let actions: Vec<String> = app.audit().into_iter().map(|a| a.action).collect();
    for a in [
        "packet.issue",
        "packet.reissue",
        "packet.withdraw",
        "packet.verify",
    ] {
        assert!(actions.iter().any(|x| x == a), "audit lacks {a}");
    }
}

#[actix_web::test]
async fn an_adjudicated_no_lead_gets_a_no_lead_packet_with_all_three_views() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 3)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(review(&e1, &url, &ranks, &[1], "lead").await.status(), 303);
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(review(&e2, &url, &ranks, &[], "none").await.status(), 303);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(packets(&app, case_id).is_empty(), "disputed: no result yet");
    let supervisor = app.login("supervisor@test.example").await;
    let (_, page) = supervisor.get_text(&url).await;
    let r = supervisor
        .post_form(
            &format!("/cases/{case_id}/probes/{}/adjudicate", ps.id),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("lead", "none"),
                ("f", "eyes"),
                ("comment", "Probe too poor to support a lead."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let issued = wait_for_packets(&app, case_id, 1).await;
    assert_eq!(issued[0].result, "no_lead");
    let file = app
        .data_dir
        .path()
        .join("packets")
        .join(issued[0].file_name());
    assert!(pdfsig(&file).contains("Signature is Valid"));
    let text = pdftotext(&file);
    assert!(text.contains("NO LEAD"));
    assert!(text.contains("first examiner"));
    assert!(text.contains("second examiner"));
    assert!(text.contains("supervisor"));
    assert!(text.contains("Probe too poor to support a lead."));
    // The file transport carries the same attachment.
    let mut found = false;
    for _ in 0..100 {
        if app.outbox_files().iter().any(|m| {
            attachments_of(m)
                .iter()
                .any(|(n, _)| *n == issued[0].file_name())
        }) {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        found,
        "the packet email with its attachment is in the outbox"
    );
}

/// A photo as a phone or a camera gives it: `photo` scaled up to `w` × `h` pixels and saved as
/// a JPEG of quality 92 (a realistic 2–3 MP file, where LFW's are 250 px).
fn large_photo(person: &str, n: u32, w: u32, h: u32) -> (String, Vec<u8>) {
    let (name, bytes) = photo(person, n);
    let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let big = image::imageops::resize(&img, w, h, image::imageops::FilterType::CatmullRom);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&big)
        .unwrap();
    (name, out)
}

/// `pdfimages -list`: (page, width, height, encoding, x-ppi, y-ppi) of every embedded image.
fn pdf_images(path: &std::path::Path) -> Vec<(u32, u32, u32, String, u32, u32)> {
    let out = Command::new("pdfimages")
        .arg("-list")
        .arg(path)
        .output()
        .expect("pdfimages (poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            let n = |i: usize| c[i].parse::<u32>().unwrap();
            (n(0), n(3), n(4), c[8].to_string(), n(12), n(13))
        })
        .collect()
}

/// The body lines of each page of `pdftotext -layout` output: without the frame every page
/// carries (marking, banner, header and footer lines) and blank lines.
fn body_lines(text: &str, case_number: &str) -> Vec<Vec<String>> {
    let header = format!("Case {case_number}");
    let footer = regex::Regex::new(r"Page \d+ of \d+").unwrap();
    text.split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(|page| {
            page.lines()
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty()
                        && !l.contains(frdesk::result::packet::MARKING)
                        && !l.contains(frdesk::result::packet::BANNER)
                        && !footer.is_match(l)
                        // The header: issuer on the left, case number on the right.
                        && !l.ends_with(&header)
                })
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Whether a body line is a heading or a block title (which must not end a page).
fn is_heading(line: &str) -> bool {
    let examiner_title = regex::Regex::new(r"^\d+\. .+ — ").unwrap();
    [
        "Request",
        "Probe image",
        "Probe images",
        "Result",
        "Sign-off",
        "Examiner review",
        "Issue and verification",
        "POSSIBLE INVESTIGATIVE LEAD",
        "POSSIBLE INVESTIGATIVE LEADS",
    ]
    .contains(&line)
        || line.starts_with("Candidate at rank")
        || examiner_title.is_match(line)
}

/// Issue 15, "The packet": for a realistic case (a 1,600-px probe, a 1,400×1,750 booking photo
/// and a group photo's second face reported as leads), the signed packet is issued (the group
/// face's photo is checked against the file's hash, not its `:<n>` key) and is under 1 MB; every image in it is a JPEG (DCT) at no less than
/// 150 dpi; the lead shows the probe's and the candidate's aligned face crops side by side at
/// equal size, with the whole probe and booking photos; a sign-off block names the approving
/// reviewer and both examiners with dates; no words overprint, no heading ends a page, the
/// last page is not near-empty, and `pdfsig` verifies the signature.
#[actix_web::test]
async fn the_lead_packet_is_small_jpeg_side_by_side_and_signed_off() {
    let app = spawn_app().await;
    let gallery = tempfile::tempdir().unwrap();
    for p in ["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"] {
        let d = gallery.path().join(p);
        std::fs::create_dir_all(&d).unwrap();
        let (name, bytes) = if p == "Colin_Powell" {
            large_photo(p, 1, 1400, 1750)
        } else {
            photo(p, 1)
        };
        std::fs::write(d.join(name), bytes).unwrap();
    }
    // A group photo (two people side by side), every face its own subject: the gallery keeps
    // the faces after the first under `<sha256>:<n>`.
    let group = tempfile::tempdir().unwrap();
    let left = image::load_from_memory(&photo("Tony_Blair", 1).1)
        .unwrap()
        .to_rgb8();
    let right = image::load_from_memory(&photo("Colin_Powell", 3).1)
        .unwrap()
        .to_rgb8();
    let mut both = image::RgbImage::new(left.width() + right.width(), left.height());
    image::imageops::replace(&mut both, &left, 0, 0);
    image::imageops::replace(&mut both, &right, i64::from(left.width()), 0);
    let d = group.path().join("Group_Photo");
    std::fs::create_dir_all(&d).unwrap();
    both.save(d.join("Group_Photo_0001.jpg")).unwrap();
    for (dir, every_face) in [(gallery.path(), false), (group.path(), true)] {
        let mut cmd = app.frdesk();
        cmd.args(["gallery", "enroll", "--source", "test booking system"])
            .arg(dir);
        if every_face {
            cmd.arg("--every-face");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (case_id, ps) = searched_case(&app, large_photo("Colin_Powell", 2, 1600, 1600)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let mate = ps
        .candidates()
        .iter()
        .find(|c| c.subject_key == "Colin_Powell")
        .map(|c| c.rank)
        .expect("the mate is in the candidate list");
    // A face of the group photo after the first (stored as `<sha256>:<n>`) is reported too.
    let group_face = ps
        .candidates()
        .iter()
        .find(|c| c.subject_key.starts_with("Group_Photo-") && c.photo_sha256.contains(':'))
        .map(|c| c.rank)
        .expect("a second face of the group photo is in the candidate list");
    let leads = [mate, group_face];
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &leads, "first").await.status(),
        303
    );
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &leads, "second").await.status(),
        303
    );
    let issued = wait_for_packets(&app, case_id, 1).await;
    assert_eq!(issued[0].result, "possible_lead");
    let file = app
        .data_dir
        .path()
        .join("packets")
        .join(issued[0].file_name());

    let sig = pdfsig(&file);
    assert!(sig.contains("Signature is Valid"), "{sig}");
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size < 1_000_000, "the packet is {size} bytes");

    // Every image is a JPEG at 150 dpi or more: the whole probe photo, and for each of the
    // two leads the two crops and the booking photo.
    let images = pdf_images(&file);
    assert_eq!(images.len(), 1 + 2 * 3, "{images:?}");
    for (page, w, h, enc, xppi, yppi) in &images {
        assert_eq!(enc, "jpeg", "image {w}x{h} on page {page} is not DCT");
        assert!(
            *xppi >= 150 && *yppi >= 150,
            "image {w}x{h} on page {page} at {xppi}x{yppi} ppi"
        );
        assert!(
            *xppi <= 260,
            "a {w}x{h} image at {xppi} ppi was not scaled down"
        );
    }
    // Side by side: for each lead, two square crops of equal pixels and equal printed size on
    // one page (150 pt at 180 dpi).
    let crop_px = (frdesk::result::layout::CROP_PT / 72.0
        * frdesk::platform::pdf::embed::TARGET_PPI)
        .round() as u32;
    let crops: Vec<_> = images
        .iter()
        .filter(|i| i.1 == crop_px && i.2 == crop_px)
        .collect();
    assert_eq!(crops.len(), 2 * 2, "{images:?}");
    for pair in crops.chunks(2) {
        let (a, b) = (pair[0], pair[1]);
        assert_eq!(
            (a.0, a.4, a.5),
            (b.0, b.4, b.5),
            "crops differ: {a:?} {b:?}"
        );
    }

    let text = pdftotext(&file);
    assert!(text.contains("aligned face crop"), "{text}");
    // The sign-off block: role, name and date on one row each.
    let date = regex::Regex::new(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").unwrap();
    for (role, name) in [
        ("Approved the search (reviewer)", "Sam Ortega"),
        ("First examiner", "Lee Park"),
        ("Second examiner", "Kim Alvarez"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(role) && l.contains(name) && date.is_match(l)),
            "no sign-off row for {role} {name}:\n{text}"
        );
    }
    let overlaps = overlapping_words(&file);
    assert!(
        overlaps.is_empty(),
        "words printed over each other: {overlaps:?}"
    );

    let case_number = issued[0].packet_id.trim_end_matches("-P1").to_string();
    let pages = body_lines(&text, &case_number);
    for (i, lines) in pages.iter().enumerate() {
        let last = lines.last().map(String::as_str).unwrap_or("");
        assert!(
            !is_heading(last),
            "page {} ends with the heading {last:?}",
            i + 1
        );
    }
    let n = pages.len();
    let last_has_image = images.iter().any(|i| i.0 as usize == n);
    assert!(
        n == 1 || pages[n - 1].len() > 5 || last_has_image,
        "the last page is near-empty: {:?}",
        pages[n - 1]
    );
}
