//! Fuzz target `request_form`: `frdesk::domain::request::SearchRequest::parse`.
//!
//! The input is decoded with `arbitrary` into the number of attached images, the signing date
//! (2026-12-01 plus or minus up to 89 years) and, for each of the 16 `RequestForm` fields, one
//! of: a known value for that field (valid, or just past a limit), arbitrary text, or a known
//! value with arbitrary text before and after it. Known values get the fuzzer past the
//! "required" and "choose one" checks quickly so it can explore the rest of the parser.
//!
//! Invariants (from the docs and code of `src/domain/request.rs`):
//!
//! * no panic, and parsing the same form twice gives the same result;
//! * `Err` is never empty, names only fields of `FIELD_ORDER`, and every message is non-empty;
//!   a blank required field, a bad attestation, no attached image or a DMV source is named by
//!   its own field;
//! * `Ok(SearchRequest)`: every text field equals `clean()` of what was typed (no control
//!   characters, no leading, trailing or repeated whitespace); names, phone, email, case number
//!   and offense are 1..=`MAX_SHORT` characters; the source description and the recording are
//!   1..=`MAX_TEXT`; the search reason is non-empty, at most `MAX_REASON_CHARS` and not
//!   non-compliant; the phone has 7 to 20 digits from the allowed characters; the email has an
//!   `@` and at most 254 bytes; the date is within the last 30 days; the image source is lawful;
//!   the declared count equals the attached count and is 1..=`MAX_IMAGES`; an offense is given
//!   for a criminal purpose; the signature matches the requester name ignoring case; both
//!   attestations were ticked.
//!
//! `FRDESK_FUZZ_DEBUG=1` prints the decoded form and the parse result (for replaying one input;
//! far too slow while fuzzing).
#![no_main]

use arbitrary::Arbitrary;
use chrono::{Days, NaiveDate};
use frdesk::domain::reason::{self, MAX_REASON_CHARS, Verdict};
use frdesk::domain::request::{
    AuthorizedPurpose, FIELD_ORDER, ImageSource, MAX_IMAGES, MAX_SHORT, MAX_TEXT, RequestForm,
    SearchRequest, VideoOrigin, clean,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
enum FieldInput {
    /// One of the known values for the field (index taken modulo their number).
    Known(u8),
    /// Arbitrary text.
    Raw(String),
    /// A known value with arbitrary text before and after it.
    Decorated(u8, String, String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    images_attached: u8,
    today_offset: i16,
    fields: [FieldInput; 16],
}

const F_NAME: usize = 0;
const F_SIGNATURE: usize = 13;

fn known(field: usize, today: NaiveDate, requester_name: &str) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    match field {
        F_NAME => s(&[
            "Dana Reyes",
            "dana  reyes",
            "A",
            &"N".repeat(120),
            &"N".repeat(121),
        ]),
        1 => s(&[
            "(213) 555-0142",
            "+1 213 555 0142 ext 12",
            "555-0142",
            "1234567",
            "123456",
        ]),
        2 => s(&[
            "dreyes@pasadena.example.gov",
            "a@b.c",
            "x@.com",
            "x@com.",
            "no-at",
            "a <b@c.d>",
        ]),
        3 => [0i64, 1, 29, 30, 31, -1]
            .iter()
            .map(|d| {
                let date = if *d >= 0 {
                    today.checked_sub_days(Days::new(d.unsigned_abs()))
                } else {
                    today.checked_add_days(Days::new(d.unsigned_abs()))
                };
                date.map(|x| x.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            })
            .chain(s(&["2026-02-30", "2026-1-5", " 2026-11-30 ", ""]))
            .collect(),
        4 => s(&[
            "Robbery suspect, Case# 123-89765-0123-41X, 211 PC",
            "Wristband Verification, BK#7654321",
            "Release Citation, #ABC-123",
            "211 PC",
            "Protest march, Case# 123-456",
            "",
        ]),
        5 => s(&["123-89765-0123-41X", "BK#7654321", ""]),
        6 => s(&["211 PC", "459 PC / 487 PC", ""]),
        7 => AuthorizedPurpose::ALL
            .iter()
            .map(|p| p.as_str().to_string())
            .chain([String::new()])
            .collect(),
        8 => ImageSource::ALL
            .iter()
            .map(|p| p.as_str().to_string())
            .chain([String::new()])
            .collect(),
        9 => s(&["Found on a USB stick at the scene", ""]),
        10 => s(&["yes", "no", "maybe", ""]),
        11 => s(&["Store camera 3, 2026-11-20 21:14", &"r".repeat(501), ""]),
        12 => s(&["1", "2", "10", "11", "0", "-1", ""]),
        F_SIGNATURE => vec![
            requester_name.to_string(),
            requester_name.to_lowercase(),
            requester_name.to_uppercase(),
            "Someone Else".to_string(),
            String::new(),
        ],
        _ => s(&["on", "off", ""]),
    }
}

fn value(input: &FieldInput, field: usize, today: NaiveDate, requester_name: &str) -> String {
    let pick = |i: u8| {
        let k = known(field, today, requester_name);
        k[usize::from(i) % k.len()].clone()
    };
    match input {
        FieldInput::Known(i) => pick(*i),
        FieldInput::Raw(s) => s.clone(),
        FieldInput::Decorated(i, pre, post) => format!("{pre}{}{post}", pick(*i)),
    }
}

/// What `clean` promises: no control characters, single spaces between words, trimmed.
fn assert_clean(field: &str, v: &str) {
    assert!(
        !v.chars().any(char::is_control),
        "{field}: control character in {v:?}"
    );
    assert!(
        v.chars().all(|c| c == ' ' || !c.is_whitespace()),
        "{field}: whitespace other than ' ' in {v:?}"
    );
    assert!(
        !v.starts_with(' ') && !v.ends_with(' ') && !v.contains("  "),
        "{field}: {v:?}"
    );
    assert_eq!(clean(v), v, "{field}: clean is not idempotent");
}

fn assert_len(field: &str, v: &str, max: usize) {
    let n = v.chars().count();
    assert!(
        n >= 1 && n <= max,
        "{field}: {n} characters (limit {max}): {v:?}"
    );
}

fuzz_target!(|input: Input| {
    let base = NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date");
    let off = i64::from(input.today_offset);
    let today = if off >= 0 {
        base.checked_add_days(Days::new(off.unsigned_abs()))
    } else {
        base.checked_sub_days(Days::new(off.unsigned_abs()))
    }
    .expect("in range");
    let images_attached = usize::from(input.images_attached % 12);

    let requester_name = value(&input.fields[F_NAME], F_NAME, today, "");
    let mut v: Vec<String> = Vec::with_capacity(16);
    for (i, f) in input.fields.iter().enumerate() {
        v.push(value(f, i, today, &requester_name));
    }
    let form = RequestForm {
        requester_name: v[0].clone(),
        requester_phone: v[1].clone(),
        requester_email: v[2].clone(),
        request_date: v[3].clone(),
        search_reason: v[4].clone(),
        case_file_number: v[5].clone(),
        offense_code: v[6].clone(),
        authorized_purpose: v[7].clone(),
        image_source: v[8].clone(),
        image_source_other: v[9].clone(),
        from_video: v[10].clone(),
        video_recording: v[11].clone(),
        images_declared: v[12].clone(),
        signature_name: v[13].clone(),
        attest_lead_only: v[14].clone(),
        attest_lawful: v[15].clone(),
    };

    let result = SearchRequest::parse(&form, images_attached, today);
    static DEBUG: OnceLock<bool> = OnceLock::new();
    if *DEBUG.get_or_init(|| std::env::var_os("FRDESK_FUZZ_DEBUG").is_some()) {
        // Replaying one input: show what it decoded to and what the parser made of it.
        eprintln!("today {today}, {images_attached} image(s) attached\n{form:#?}\n{result:#?}");
    }
    assert_eq!(
        SearchRequest::parse(&form, images_attached, today),
        result,
        "parse is not deterministic"
    );

    match result {
        Err(errors) => {
            assert!(!errors.is_empty(), "Err without any error");
            for (field, message) in &errors.0 {
                assert!(FIELD_ORDER.contains(field), "unknown field {field:?}");
                assert!(!message.trim().is_empty(), "{field}: empty message");
            }
            assert_eq!(errors.iter().count(), errors.len());
            let named = |field: &str, why: &str| {
                assert!(
                    errors.get(field).is_some(),
                    "{why} but no error for {field}: {errors:?}"
                );
            };
            for (field, raw) in [
                ("requester_name", &form.requester_name),
                ("requester_phone", &form.requester_phone),
                ("requester_email", &form.requester_email),
                ("case_file_number", &form.case_file_number),
            ] {
                let c = clean(raw);
                if c.is_empty() || c.chars().count() > MAX_SHORT {
                    named(field, "blank or too long");
                }
            }
            if clean(&form.search_reason).is_empty()
                || reason::assess(&form.search_reason).verdict == Verdict::NonCompliant
            {
                named("search_reason", "blank or non-compliant reason");
            }
            if form.request_date.trim().is_empty() {
                named("request_date", "blank date");
            }
            if AuthorizedPurpose::parse(form.authorized_purpose.trim()).is_none() {
                named("authorized_purpose", "no purpose");
            }
            match ImageSource::parse(form.image_source.trim()) {
                None | Some(ImageSource::DmvCalPhoto) => named("image_source", "bad source"),
                _ => {}
            }
            if !matches!(form.from_video.trim(), "yes" | "no") {
                named("from_video", "no yes/no");
            }
            if images_attached == 0 {
                named("images", "no image attached");
            }
            if clean(&form.signature_name).is_empty() {
                named("signature_name", "no signature");
            }
            if form.attest_lead_only.trim() != "on" {
                named("attest_lead_only", "not attested");
            }
            if form.attest_lawful.trim() != "on" {
                named("attest_lawful", "not attested");
            }
        }
        Ok(r) => {
            for (field, parsed, raw) in [
                ("requester_name", &r.requester_name, &form.requester_name),
                ("requester_phone", &r.requester_phone, &form.requester_phone),
                ("requester_email", &r.requester_email, &form.requester_email),
                (
                    "case_file_number",
                    &r.case_file_number,
                    &form.case_file_number,
                ),
            ] {
                assert_clean(field, parsed);
                assert_len(field, parsed, MAX_SHORT);
                assert_eq!(parsed, &clean(raw), "{field}");
            }

            let digits = r
                .requester_phone
                .chars()
                .filter(char::is_ascii_digit)
                .count();
            assert!((7..=20).contains(&digits), "phone digits {digits}");
            assert!(
                r.requester_phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().xext".contains(c)),
                "phone characters {:?}",
                r.requester_phone
            );
            assert!(r.requester_email.contains('@') && r.requester_email.len() <= 254);

            assert!(r.request_date <= today, "future date {}", r.request_date);
            assert!(
                (today - r.request_date).num_days() <= 30,
                "stale date {}",
                r.request_date
            );

            assert_clean("search_reason", &r.search_reason);
            assert_len("search_reason", &r.search_reason, MAX_REASON_CHARS);
            assert_eq!(r.search_reason, clean(&form.search_reason));
            assert_ne!(r.reason.verdict, Verdict::NonCompliant);
            assert_eq!(r.reason, reason::assess(&form.search_reason));

            assert_eq!(
                Some(r.purpose),
                AuthorizedPurpose::parse(form.authorized_purpose.trim())
            );
            match &r.offense_code {
                Some(o) => {
                    assert_clean("offense_code", o);
                    assert_len("offense_code", o, MAX_SHORT);
                }
                None => assert!(
                    !r.purpose.needs_offense(),
                    "criminal purpose without offense"
                ),
            }

            assert!(r.image_source.is_lawful(), "unlawful image source accepted");
            assert_eq!(
                Some(r.image_source),
                ImageSource::parse(form.image_source.trim())
            );
            assert_eq!(
                r.image_source_other.is_some(),
                r.image_source == ImageSource::Other
            );
            if let Some(o) = &r.image_source_other {
                assert_clean("image_source_other", o);
                assert_len("image_source_other", o, MAX_TEXT);
            }

            match (&r.video, form.from_video.trim()) {
                (VideoOrigin::NotFromVideo, "no") => {}
                (VideoOrigin::ExtractedFromRecording { recording }, "yes") => {
                    assert_clean("video_recording", recording);
                    assert_len("video_recording", recording, MAX_TEXT);
                }
                (v, f) => panic!("video {v:?} from from_video {f:?}"),
            }

            assert_eq!(r.images_declared, images_attached);
            assert!((1..=MAX_IMAGES).contains(&r.images_declared));

            assert_clean("signature_name", &r.signature.full_name);
            assert!(!r.signature.full_name.is_empty());
            assert_eq!(
                r.signature.full_name.to_lowercase(),
                r.requester_name.to_lowercase()
            );
            assert_eq!(form.attest_lead_only.trim(), "on");
            assert_eq!(form.attest_lawful.trim(), "on");
        }
    }
});
