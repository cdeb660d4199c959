//! Lead packets end to end with real tools: render, sign, then check with poppler's `pdfsig`
//! and `pdftotext` (poppler-utils), and with our own `verify`.
//!
//! Photos: `$FRDESK_LFW_DIR` (default `../shared/faces/lfw` next to the crate); without it the
//! tests draw their own JPEG. `FRDESK_KEEP_PACKETS=<dir>` keeps the signed PDFs for a look.

// A test binary: a failed unwrap in a helper is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use frdesk::platform::pdf as packet;
use frdesk::platform::pdf::{PacketError, Signer};
use frdesk::result::layout::render;
use frdesk::result::packet::{
    CandidateInfo, ExaminerView, FaceRegion, LeadPacket, PacketResult, ProbeInfo,
};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Run a poppler tool; a missing tool fails the test with a clear message.
fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "`{tool}` could not be run ({e}). These tests need poppler-utils: \
             apt-get install poppler-utils"
        )
    });
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    s
}

fn pdfsig(pdf: &Path) -> String {
    run("pdfsig", &[pdf.to_str().unwrap()])
}

/// Text of each page (pdftotext separates pages with form feeds), white space collapsed.
fn pages_text(pdf: &Path) -> Vec<String> {
    let out = run("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    assert!(
        !out.contains("Syntax Error") && !out.contains("Error:"),
        "pdftotext complained:\n{out}"
    );
    let mut pages: Vec<String> = out.split('\x0c').map(collapse).collect();
    while pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    pages
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn lfw_dir() -> PathBuf {
    std::env::var_os("FRDESK_LFW_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/faces/lfw"))
}

/// A real photo from LFW, or a drawn JPEG when LFW is not on this machine.
fn photo(name: &str, n: u32) -> Vec<u8> {
    let path = lfw_dir().join(name).join(format!("{name}_{n:04}.jpg"));
    match std::fs::read(&path) {
        Ok(b) => b,
        Err(_) => {
            eprintln!("{} not found; drawing a JPEG instead", path.display());
            let img = image::RgbImage::from_fn(200, 240, |x, y| {
                image::Rgb([(x + n * 40) as u8, (y / 2) as u8, ((x ^ y) & 0xFF) as u8])
            });
            let mut out = Vec::new();
            image::DynamicImage::ImageRgb8(img)
                .write_to(
                    &mut std::io::Cursor::new(&mut out),
                    image::ImageFormat::Jpeg,
                )
                .unwrap();
            out
        }
    }
}

/// A PNG with transparency, so the flattening path runs too.
fn png_probe() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(120, 160, |x, y| {
        image::Rgba([
            200,
            (x * 2) as u8,
            (y + 40) as u8,
            if x < 20 { 0 } else { 255 },
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

const CASE: &str = "LACRIS-2026-000417";
const BOOKING: &str = "BK-5512093";

fn lead_packet() -> LeadPacket {
    let probe1 = photo("Colin_Powell", 1);
    let probe2 = png_probe();
    let reason = "Armed robbery of a convenience store at 1200 W. Example Blvd on 2026-11-02 \
                  at about 23:40; the suspect displayed a handgun and took cash from the \
                  register. The probe images are stills from the store's interior camera, \
                  provided by the owner; the detective has exhausted the usual leads (no \
                  fingerprints, no witnesses who knew the suspect).\n\
                  Second paragraph: the requester confirms the images were not altered and \
                  that the search is for an investigative lead only, under LACRIS policy."
        .repeat(3);
    let examiners = vec![
        ExaminerView {
            name: "Dana Whitfield".into(),
            role: "first examiner".into(),
            disposition: "Possible lead: candidate 2".into(),
            notes: "Consistent ear shape, eyebrow line and a scar on the left cheek; \
                    hairline differs (booking photo is 6 years older)."
                .into(),
            date: "2026-11-04 10:02".into(),
        },
        ExaminerView {
            name: "Miguel Ortega".into(),
            role: "second examiner (blind)".into(),
            disposition: "Possible lead: candidate 2".into(),
            notes: "Independent review agrees with the first examiner.".into(),
            date: "2026-11-04 14:47".into(),
        },
        ExaminerView {
            name: "Sgt. Pat O'Neil".into(),
            role: "supervisor".into(),
            disposition: "Approved release as an investigative lead".into(),
            notes: String::new(),
            date: "2026-11-04 15:20".into(),
        },
    ];
    LeadPacket {
        case_number: CASE.into(),
        requesting_agency: "Pasadena Police Department".into(),
        requester: "Det. Alex Kim, Robbery Section".into(),
        search_reason: reason,
        case_file_number: "PPD-26-118833".into(),
        request_date: "2026-11-03 09:12".into(),
        approval_date: "2026-11-03 10:40".into(),
        search_date: "2026-11-03 11:02".into(),
        result_date: "2026-11-04 15:30".into(),
        approved_by: "Lt. Robin Hale".into(),
        probes: vec![
            ProbeInfo {
                label: "Probe 1 — still from interior camera".into(),
                sha256: sha256(&probe1),
                image: probe1,
                quality: "Face 104×128 px, near frontal, slight motion blur; usable".into(),
                face: Some(FaceRegion {
                    bbox: [70.0, 60.0, 110.0, 130.0],
                    landmarks: None,
                }),
            },
            ProbeInfo {
                label: "Probe 2 — cropped still".into(),
                sha256: sha256(&probe2),
                image: probe2,
                quality: "Low resolution; partial occlusion".into(),
                face: None,
            },
        ],
        result: PacketResult::PossibleLead(vec![CandidateInfo {
            probe_label: "Probe 1".into(),
            probe_index: 0,
            booking_photo: photo("Colin_Powell", 2),
            face: None,
            booking_number: BOOKING.into(),
            subject_id: "SUBJ-00981234".into(),
            rank: 2,
            similarity: 0.6123,
            false_match_rate: 1.0e-4,
            model: "YuNet 2023mar + SFace 2021dec (int8 dequantized)".into(),
        }]),
        examiners,
        single_examiner_note: None,
        issued_at: "2026-11-04 15:45 PST".into(),
        issuer: "LACRIS Facial Recognition Unit".into(),
        packet_id: "PKT-2026-000417-01".into(),
    }
}

fn no_lead_packet() -> LeadPacket {
    LeadPacket {
        result: PacketResult::NoLead,
        examiners: vec![ExaminerView {
            name: "Dana Whitfield".into(),
            role: "first examiner".into(),
            disposition: "No lead".into(),
            notes: "No candidate in the top 20 is consistent with the probe.".into(),
            date: "2026-11-04 10:02".into(),
        }],
        single_examiner_note: Some(
            "No-lead result by a single examiner, as the unit's procedure allows.".into(),
        ),
        packet_id: "PKT-2026-000418-01".into(),
        case_number: "LACRIS-2026-000418".into(),
        search_reason: "Identify a deceased person found on 2026-11-01 (coroner's case).".into(),
        ..lead_packet()
    }
}

/// One signer for the whole binary (RSA 3072 key generation takes a moment).
fn signer() -> &'static (tempfile::TempDir, Signer) {
    static S: OnceLock<(tempfile::TempDir, Signer)> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let s = Signer::load_or_generate_named(dir.path(), None, "LACRIS").unwrap();
        (dir, s)
    })
}

fn signed(p: &LeadPacket) -> Vec<u8> {
    let pdf = render(p).unwrap();
    let when = Utc.with_ymd_and_hms(2026, 11, 4, 23, 45, 0).unwrap();
    packet::sign(&pdf, &signer().1, "Lead packet issued", when).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    if let Some(keep) = std::env::var_os("FRDESK_KEEP_PACKETS") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::write(keep.join(name), bytes).unwrap();
    }
    path
}

// ---------------------------------------------------------------------------------------------
// Tests

/// A signed possible-lead packet: pdfsig says the signature is valid, our verify agrees and
/// names our certificate, packet id and case number.
#[test]
fn lead_packet_signature_is_valid_for_pdfsig_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let p = lead_packet();
    let pdf = signed(&p);
    let path = write(dir.path(), "lead.pdf", &pdf);

    let sig = pdfsig(&path);
    assert!(sig.contains("Signature is Valid"), "pdfsig said:\n{sig}");
    assert!(sig.contains("adbe.pkcs7.detached"), "pdfsig said:\n{sig}");
    assert!(sig.contains("LACRIS packet signing"), "pdfsig said:\n{sig}");

    let v = packet::verify(&pdf);
    assert!(v.signature_valid, "{}", v.detail);
    assert!(v.is_valid_for(&signer().1.fingerprint_sha256()));
    assert_eq!(v.packet_id.as_deref(), Some(p.packet_id.as_str()));
    assert_eq!(v.case_number.as_deref(), Some(CASE));
}

/// Every page carries the banner (top and bottom), "Page x of y" and the packet id; the
/// content (case, booking number, hashes, examiners, caveat) is in the text.
#[test]
fn lead_packet_text_on_every_page_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let p = lead_packet();
    let path = write(dir.path(), "lead-text.pdf", &signed(&p));
    let pages = pages_text(&path);
    let n = pages.len();
    assert!(n >= 2, "the long reason should need a second page; got {n}");
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.matches("INVESTIGATIVE LEAD ONLY — NOT A POSITIVE IDENTIFICATION")
                .count()
                >= 2,
            "page {} lacks the banner twice:\n{page}",
            i + 1
        );
        // Issue 14 (NY MPTC §IV.G): the protective marking above the banner and below the footer.
        assert!(
            page.matches(frdesk::result::packet::MARKING).count() >= 2,
            "page {} lacks LAW ENFORCEMENT SENSITIVE twice:\n{page}",
            i + 1
        );
        assert!(
            page.contains(&format!("Page {} of {n}", i + 1)),
            "page {}:\n{page}",
            i + 1
        );
        assert!(
            page.contains(&p.packet_id),
            "page {} lacks the packet id",
            i + 1
        );
    }
    let all = pages.join(" ");
    for needle in [
        CASE,
        BOOKING,
        "SUBJ-00981234",
        "PPD-26-118833",
        "Pasadena Police Department",
        "Det. Alex Kim, Robbery Section",
        "2026-11-03 09:12",
        "2026-11-03 10:40",
        "2026-11-03 11:02",
        "2026-11-04 15:30",
        &p.probes[0].sha256,
        &p.probes[1].sha256,
        "slight motion blur",
        "POSSIBLE INVESTIGATIVE LEAD",
        "0.612",
        "1.0e-4",
        "1 in 10,000",
        "YuNet 2023mar + SFace 2021dec",
        "Dana Whitfield",
        "Miguel Ortega",
        "Sgt. Pat O'Neil",
        "Approved release as an investigative lead",
        "convenience store",
        "under LACRIS policy",
        // The caveat.
        "investigative lead only",
        "NOT a positive identification",
        "does NOT establish probable cause to arrest",
        "corroborated by further investigation",
        "may not be the sole basis for an arrest, a detention or a warrant application",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

/// A no-lead packet says so in the words of the policy, and is signed like any other.
#[test]
fn no_lead_packet_says_no_lead() {
    let dir = tempfile::tempdir().unwrap();
    let p = no_lead_packet();
    let pdf = signed(&p);
    let path = write(dir.path(), "no-lead.pdf", &pdf);
    let sig = pdfsig(&path);
    assert!(sig.contains("Signature is Valid"), "pdfsig said:\n{sig}");
    let pages = pages_text(&path);
    let n = pages.len();
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains("INVESTIGATIVE LEAD ONLY"), "page {}", i + 1);
        assert!(
            page.contains(&format!("Page {} of {n}", i + 1)),
            "page {}",
            i + 1
        );
    }
    let all = pages.join(" ");
    assert!(all.contains(frdesk::result::packet::NO_LEAD_TEXT), "{all}");
    assert!(all.contains("No-lead result by a single examiner"), "{all}");
    assert!(
        !all.contains(BOOKING),
        "a no-lead packet names no candidate"
    );
    let v = packet::verify(&pdf);
    assert!(v.signature_valid, "{}", v.detail);
    assert_eq!(v.case_number.as_deref(), Some("LACRIS-2026-000418"));
}

/// Body lines of each page (`pdftotext -layout`), without the frame every page carries
/// (marking, banner, header and footer) and blank lines; and the pages holding an image.
fn body_lines(pdf: &Path, case: &str) -> (Vec<Vec<String>>, Vec<usize>) {
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let header = format!("Case {case}");
    let footer = regex::Regex::new(r"Page \d+ of \d+").unwrap();
    let pages = text
        .split('\x0c')
        .filter(|p| !p.trim().is_empty())
        .map(|page| {
            page.lines()
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty()
                        && !l.contains(frdesk::result::packet::MARKING)
                        && !l.contains(frdesk::result::packet::BANNER)
                        && !footer.is_match(l)
                        && !l.ends_with(&header)
                })
                .map(str::to_string)
                .collect()
        })
        .collect();
    let images = run("pdfimages", &["-list", pdf.to_str().unwrap()]);
    let with_image = images
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    (pages, with_image)
}

/// Whether a body line is a heading or a block title, which must not end a page.
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

/// Issue 15: wherever the page breaks fall (the reason for search grown a line at a time over
/// a page and a half), no heading or block title is the last line of a page, the last page is
/// never near-empty (more than 5 body lines, or an image), and no words overprint.
#[test]
fn headings_keep_with_what_follows_and_the_last_page_is_never_near_empty() {
    let dir = tempfile::tempdir().unwrap();
    let base = lead_packet();
    for n in (0..70).step_by(3) {
        let mut p = base.clone();
        p.search_reason = "Armed robbery at a store on Example Blvd; stills provided. "
            .repeat(n)
            .trim()
            .to_string();
        if n % 2 == 1 {
            p.result = PacketResult::NoLead;
        }
        let path = write(dir.path(), &format!("sweep-{n}.pdf"), &signed(&p));
        let (pages, with_image) = body_lines(&path, CASE);
        for (i, lines) in pages.iter().enumerate() {
            let last = lines.last().map(String::as_str).unwrap_or("");
            assert!(
                !is_heading(last),
                "reason of {n} sentences: page {} ends with {last:?}",
                i + 1
            );
        }
        let k = pages.len();
        assert!(
            k == 1 || pages[k - 1].len() > 5 || with_image.contains(&k),
            "reason of {n} sentences: the last page ({k}) is near-empty: {:?}",
            pages[k - 1]
        );
    }
}

/// The sign-off block names the approving reviewer and every examiner with their dates; the
/// lead shows two square face crops of equal size beside the booking photo, all JPEG.
#[test]
fn lead_packet_has_signoff_block_and_side_by_side_jpeg_crops() {
    let dir = tempfile::tempdir().unwrap();
    let p = lead_packet();
    let path = write(dir.path(), "signoff.pdf", &signed(&p));
    let text = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    for (role, name, date) in [
        (
            "Approved the search (reviewer)",
            "Lt. Robin Hale",
            "2026-11-03 10:40",
        ),
        ("First examiner", "Dana Whitfield", "2026-11-04 10:02"),
        (
            "Second examiner (blind)",
            "Miguel Ortega",
            "2026-11-04 14:47",
        ),
        ("Supervisor", "Sgt. Pat O'Neil", "2026-11-04 15:20"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(role) && l.contains(name) && l.contains(date)),
            "no sign-off row {role} / {name} / {date}:\n{text}"
        );
    }
    let list = run("pdfimages", &["-list", path.to_str().unwrap()]);
    let rows: Vec<Vec<String>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect();
    // Two probe photos, two crops and the booking photo.
    assert_eq!(rows.len(), 5, "{list}");
    for r in &rows {
        assert_eq!(r[8], "jpeg", "{list}");
        assert!(r[12].parse::<u32>().unwrap() >= 150, "{list}");
    }
    // The crops: square, 375 px (150 pt at 180 dpi); LFW's 250-px photos are square too.
    let squares: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[3] == r[4] && r[3].parse::<u32>().unwrap() >= 300)
        .collect();
    assert!(squares.len() >= 2, "{list}");
    assert_eq!(
        (&squares[0][0], &squares[0][3], &squares[0][12]),
        (&squares[1][0], &squares[1][3], &squares[1][12]),
        "{list}"
    );
}

/// One changed byte inside the signed range (the case number in the Info dictionary):
/// pdfsig reports a digest mismatch and verify says invalid.
#[test]
fn changed_byte_is_detected_by_pdfsig_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut pdf = signed(&lead_packet());
    let needle = hex::encode_upper(CASE.as_bytes());
    let at = find(&pdf, needle.as_bytes()).expect("case number in the Info dictionary");
    // "…000417" → "…000418": the last digit '7' is hex 37; make it 38.
    let last = at + needle.len() - 1;
    assert_eq!(pdf[last], b'7');
    pdf[last] = b'8';
    let path = write(dir.path(), "tampered.pdf", &pdf);

    let sig = pdfsig(&path);
    assert!(!sig.contains("Signature is Valid"), "pdfsig said:\n{sig}");
    assert!(sig.contains("Digest Mismatch"), "pdfsig said:\n{sig}");
    let v = packet::verify(&pdf);
    assert!(!v.signature_valid);
    assert!(v.detail.contains("digest does not match"), "{}", v.detail);
    // The forged value is still reported, so a caller can show what the file claims.
    assert_eq!(v.case_number.as_deref(), Some("LACRIS-2026-000418"));
}

/// A byte appended after signing: the signature no longer covers the file.
#[test]
fn appended_byte_is_detected() {
    let mut pdf = signed(&lead_packet());
    pdf.push(b'\n');
    let v = packet::verify(&pdf);
    assert!(!v.signature_valid);
    assert!(
        v.detail.contains("does not cover the whole file"),
        "{}",
        v.detail
    );
}

/// A changed signature blob, a signature replaced by a different key, a truncated file and
/// garbage: all invalid, no panic.
#[test]
fn forged_truncated_and_garbage_files_are_invalid() {
    let pdf = signed(&lead_packet());
    let at = find(&pdf, b"/Contents <").unwrap() + b"/Contents <".len();

    // Change a hex digit in the RSA signature value, the last element of the DER.
    let header = std::str::from_utf8(&pdf[at..at + 8]).unwrap();
    assert!(header.starts_with("3082"), "{header}");
    let der_len = usize::from_str_radix(&header[4..], 16).unwrap() + 4;
    let mut sig_changed = pdf.clone();
    let i = at + 2 * der_len - 10;
    sig_changed[i] = if sig_changed[i] == b'A' { b'B' } else { b'A' };
    let v = packet::verify(&sig_changed);
    assert!(!v.signature_valid, "{}", v.detail);
    assert_eq!(v.signer_fingerprint, Some(signer().1.fingerprint_sha256()));

    let mut not_hex = pdf.clone();
    not_hex[at + 5000] = b')';
    let v = packet::verify(&not_hex);
    assert!(!v.signature_valid);
    assert!(v.detail.contains("hex"), "{}", v.detail);

    for cut in [1, 100, pdf.len() / 2, pdf.len() - 1] {
        assert!(!packet::verify(&pdf[..cut]).signature_valid);
    }

    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut garbage = Vec::with_capacity(64 * 1024);
    for _ in 0..64 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        garbage.push((x >> 24) as u8);
    }
    let v = packet::verify(&garbage);
    assert!(!v.signature_valid);
    assert_eq!(v.signer_fingerprint, None);
    let mut pdfish = b"%PDF-1.7\n".to_vec();
    pdfish.extend_from_slice(&garbage);
    pdfish.extend_from_slice(b"/ByteRange [0 10 20 30] /Contents <00> trailer << /Info 9 0 R");
    assert!(!packet::verify(&pdfish).signature_valid);
}

/// Signed by someone else's key: the signature itself is valid, but not for our fingerprint.
#[test]
fn other_signer_is_told_apart_by_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let other = Signer::load_or_generate(dir.path(), None).unwrap();
    let pdf = render(&lead_packet()).unwrap();
    let pdf = packet::sign(&pdf, &other, "forged", Utc::now()).unwrap();
    let v = packet::verify(&pdf);
    assert!(v.signature_valid, "{}", v.detail);
    assert!(!v.is_valid_for(&signer().1.fingerprint_sha256()));
    assert!(v.is_valid_for(&other.fingerprint_sha256()));
    assert!(v.detail.contains("frdesk packet signing"), "{}", v.detail);
}

/// A packet is signed once: signing a signed file is refused, and an unsigned render has no
/// signature.
#[test]
fn signing_twice_is_refused_and_unsigned_is_invalid() {
    let pdf = render(&no_lead_packet()).unwrap();
    let v = packet::verify(&pdf);
    assert!(!v.signature_valid);
    assert_eq!(v.packet_id.as_deref(), Some("PKT-2026-000418-01"));
    let once = packet::sign(&pdf, &signer().1, "first", Utc::now()).unwrap();
    assert!(
        once.starts_with(&pdf),
        "an incremental update keeps the original bytes"
    );
    let twice = packet::sign(&once, &signer().1, "again", Utc::now());
    assert!(
        matches!(twice, Err(PacketError::NotSignable(_))),
        "{twice:?}"
    );
    assert!(matches!(
        packet::sign(b"not a pdf", &signer().1, "x", Utc::now()),
        Err(PacketError::NotSignable(_))
    ));
}

/// Incomplete packets and broken images are refused with a reason.
#[test]
fn incomplete_packets_are_refused() {
    let mut p = lead_packet();
    p.case_number = "  ".into();
    assert!(matches!(render(&p), Err(PacketError::Invalid(_))));

    let mut p = lead_packet();
    p.examiners.truncate(1);
    let e = render(&p).unwrap_err();
    assert!(e.to_string().contains("single-examiner"), "{e}");

    let mut p = lead_packet();
    p.probes.clear();
    assert!(matches!(render(&p), Err(PacketError::Invalid(_))));

    let mut p = lead_packet();
    p.packet_id = "x".repeat(65);
    assert!(matches!(render(&p), Err(PacketError::Invalid(_))));

    let mut p = lead_packet();
    p.probes[0].image = b"\xFF\xD8\xFF\xE0 truncated jpeg".to_vec();
    let e = render(&p).unwrap_err();
    assert!(matches!(e, PacketError::Image { .. }), "{e}");
}

/// The generated key is kept: same fingerprint on the next start, key file 0600 in a 0700
/// directory, public certificate next to it; a key readable by others is refused.
#[test]
fn generated_signer_is_stable_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let a = Signer::load_or_generate_named(dir.path(), None, "LACRIS").unwrap();
    let b = Signer::load_or_generate_named(dir.path(), None, "LACRIS").unwrap();
    assert_eq!(a.fingerprint_sha256(), b.fingerprint_sha256());
    assert_eq!(a.fingerprint_sha256().len(), 64);
    assert_eq!(a.subject(), "CN=LACRIS packet signing, O=LACRIS");

    let signing = dir.path().join("signing");
    let key = signing.join("packet-signing-key.pem");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&signing), 0o700);
    let cert = std::fs::read_to_string(signing.join("packet-signing-cert.pem")).unwrap();
    assert_eq!(cert, a.certificate_pem());
    assert!(!cert.contains("PRIVATE KEY"));

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = Signer::load_or_generate(dir.path(), None).unwrap_err();
    assert!(e.to_string().contains("readable by others"), "{e}");
}

/// A configured PKCS#12 file is used instead of the generated key; a wrong password is an
/// error that says so.
#[test]
fn pkcs12_signer_is_used() {
    use openssl::{
        asn1::Asn1Time, hash::MessageDigest, nid::Nid, pkcs12::Pkcs12, pkey::PKey, rsa::Rsa,
        x509::X509, x509::X509NameBuilder,
    };
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, "County CA issued signing")
        .unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(Asn1Time::days_from_now(0).unwrap().as_ref())
        .unwrap();
    b.set_not_after(Asn1Time::days_from_now(30).unwrap().as_ref())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let p12 = Pkcs12::builder()
        .name("signing")
        .pkey(&key)
        .cert(&cert)
        .build2("s3cret")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.p12");
    std::fs::write(&path, p12.to_der().unwrap()).unwrap();

    let s = Signer::load_or_generate(dir.path(), Some((&path, "s3cret"))).unwrap();
    let expected = hex::encode(cert.digest(MessageDigest::sha256()).unwrap());
    assert_eq!(s.fingerprint_sha256(), expected);
    assert!(!dir.path().join("signing").exists(), "no key generated");
    let pdf = packet::sign(&render(&no_lead_packet()).unwrap(), &s, "p12", Utc::now()).unwrap();
    assert!(packet::verify(&pdf).is_valid_for(&expected));

    let e = Signer::load_or_generate(dir.path(), Some((&path, "wrong"))).unwrap_err();
    assert!(e.to_string().contains("password"), "{e}");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
