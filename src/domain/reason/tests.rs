//! Tests of the search-reason rules (`domain::reason::tests::*`).

use crate::domain::reason::assessment::{MAX_REASON_CHARS, MAX_SCAN_CHARS, assess};
use crate::domain::reason::codes;
use crate::domain::reason::normalise::{INVISIBLE, LINE_BREAKS};
use crate::domain::reason::obfuscation::{LEET_KEEP, LEET_TOKEN, SPACED_LETTERS};
use crate::domain::reason::purpose::WORD_RE;
use crate::domain::reason::references::{
    BARE_REF_RE, DATE_RE, LABELLED_REF_RE, PENAL_RE, Reference, ReferenceKind,
};
use crate::domain::reason::rules::{
    COMPILED_RULES, MONTH_DAY_BEFORE, MONTH_NUMBER_AFTER, MONTH_PHRASE_END, MONTH_PREP_BEFORE,
    RULES,
};
use crate::domain::reason::severity::Severity;
use crate::domain::reason::verdict::{ReasonAssessment, Verdict};

fn codes_of(a: &ReasonAssessment) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.code).collect()
}

#[track_caller]
fn expect(text: &str, verdict: Verdict, must_have: &[&str], must_not: &[&str]) {
    let a = assess(text);
    assert_eq!(
        a.verdict, verdict,
        "verdict for {text:?}: {:#?}",
        a.findings
    );
    for c in must_have {
        assert!(a.has(c), "{text:?} should have {c}: {:?}", codes_of(&a));
    }
    for c in must_not {
        assert!(!a.has(c), "{text:?} should not have {c}: {:#?}", a.findings);
    }
}

#[test]
fn all_patterns_compile() {
    assert_eq!(COMPILED_RULES.len(), RULES.len());
    for re in [
        &*LINE_BREAKS,
        &*INVISIBLE,
        &*PENAL_RE,
        &*DATE_RE,
        &*LABELLED_REF_RE,
        &*BARE_REF_RE,
        &*WORD_RE,
        &*MONTH_DAY_BEFORE,
        &*MONTH_NUMBER_AFTER,
        &*MONTH_PREP_BEFORE,
        &*MONTH_PHRASE_END,
        &*LEET_TOKEN,
        &*SPACED_LETTERS,
        &*LEET_KEEP,
    ] {
        assert!(!re.as_str().is_empty());
    }
}

use Verdict::{Compliant as OK, NeedsReview as REVIEW, NonCompliant as BAD};

#[test]
fn lacris_compliant_examples() {
    let table: &[(&str, ReferenceKind, &str)] = &[
        (
            "John Smith housing, BK#1234567",
            ReferenceKind::Booking,
            "1234567",
        ),
        (
            "Case# 123-89765-0123-41X, 211 PC",
            ReferenceKind::Case,
            "123-89765-0123-41X",
        ),
        (
            "Wristband Verification, BK#7654321",
            ReferenceKind::Booking,
            "7654321",
        ),
        (
            "Release Citation, #ABC-123",
            ReferenceKind::Citation,
            "ABC-123",
        ),
        ("Incident / Tag #567", ReferenceKind::Tag, "567"),
    ];
    for (text, kind, number) in table {
        let a = assess(text);
        assert_eq!(a.verdict, OK, "{text:?}: {:#?}", a.findings);
        assert_eq!(
            a.reference,
            Some(Reference {
                kind: *kind,
                number: (*number).to_string()
            }),
            "{text:?}"
        );
        assert!(a.has(codes::REFERENCE_NUMBER_FOUND));
        assert!(
            a.findings.iter().all(|f| f.severity() == Severity::Info),
            "{text:?}"
        );
    }
}

#[test]
fn lacris_non_compliant_examples() {
    for text in [
        "Investigation",
        "Positive ID",
        "Housing",
        "211 PC",
        "Verify",
    ] {
        let a = assess(text);
        assert_eq!(a.verdict, BAD, "{text:?}");
        assert!(a.has(codes::MISSING_REFERENCE_NUMBER), "{text:?}");
        assert_eq!(a.reference, None);
    }
    expect(
        "211 PC",
        BAD,
        &[codes::PENAL_CODE_ONLY],
        &[codes::MISSING_PURPOSE],
    );
    expect(
        "Housing",
        BAD,
        &[],
        &[codes::PENAL_CODE_ONLY, codes::MISSING_PURPOSE],
    );
    // "Positive ID" also carries the leads-only reminder for the reviewer.
    expect(
        "Positive ID",
        BAD,
        &[codes::POSITIVE_IDENTIFICATION_LANGUAGE],
        &[],
    );
}

#[test]
fn penal_code_alone_in_many_styles_is_not_a_reference() {
    for text in [
        "211 PC",
        "PC 459",
        "PC459",
        "PC§459",
        "§ 187(a)",
        "§187",
        "459 PC / 487 PC",
        "459/487 PC",
        "VC 10851",
        "10851 VC",
        "HS 11350",
        "H&S 11350",
        "11350 H&S",
        "245(a)(1) PC",
        "273.5(a) P.C.",
        "Penal Code § 187",
        "Penal Code section 187(a)",
        "W&I 5150",
    ] {
        let a = assess(text);
        assert_eq!(a.verdict, BAD, "{text:?}: {:#?}", a.findings);
        assert!(
            a.has(codes::PENAL_CODE_ONLY),
            "{text:?}: {:?}",
            codes_of(&a)
        );
        assert!(a.has(codes::MISSING_REFERENCE_NUMBER), "{text:?}");
        assert_eq!(a.reference, None, "{text:?}");
    }
}

#[test]
fn penal_code_next_to_a_label_is_not_read_as_the_number() {
    expect("Case 211 PC", BAD, &[codes::MISSING_REFERENCE_NUMBER], &[]);
    expect(
        "Robbery suspect, 211 PC",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[codes::PENAL_CODE_ONLY],
    );
    let a = assess("Case# 123-456, 211 PC");
    assert_eq!(a.reference.map(|r| r.number), Some("123-456".to_string()));
}

#[test]
fn reference_number_styles() {
    let table: &[(&str, ReferenceKind, &str)] = &[
        (
            "Burglary suspect, DR# 23-0145678",
            ReferenceKind::Dr,
            "23-0145678",
        ),
        (
            "Identify robbery suspect, Report No. 2023-00451",
            ReferenceKind::Report,
            "2023-00451",
        ),
        ("Missing person, File 24-118", ReferenceKind::File, "24-118"),
        (
            "Confirm arrestee identity, Warrant #W123456",
            ReferenceKind::Warrant,
            "W123456",
        ),
        ("Release, Cite #ABC-123", ReferenceKind::Citation, "ABC-123"),
        (
            "Wristband Verification, Booking 7654321",
            ReferenceKind::Booking,
            "7654321",
        ),
        ("Housing BK1234567", ReferenceKind::Booking, "1234567"),
        (
            "Vandalism, Case No. 24-5512",
            ReferenceKind::Case,
            "24-5512",
        ),
        (
            "Vandalism, case number: 24-5512",
            ReferenceKind::Case,
            "24-5512",
        ),
        (
            "Shooting, Incident #2024-118",
            ReferenceKind::Incident,
            "2024-118",
        ),
        (
            "Deceased person identification, Tag 4471",
            ReferenceKind::Tag,
            "4471",
        ),
        ("Theft, Report № 5567", ReferenceKind::Report, "5567"),
    ];
    for (text, kind, number) in table {
        let a = assess(text);
        assert_eq!(a.verdict, OK, "{text:?}: {:#?}", a.findings);
        assert_eq!(
            a.reference,
            Some(Reference {
                kind: *kind,
                number: (*number).to_string()
            }),
            "{text:?}"
        );
    }
}

#[test]
fn number_without_purpose_is_non_compliant() {
    for text in [
        "BK#1234567",
        "#567",
        "Booking 7654321",
        "Case# 123-456",
        "DR# 23-0145678",
        "Incident #567, March 3, 2026",
    ] {
        let a = assess(text);
        assert_eq!(a.verdict, BAD, "{text:?}: {:#?}", a.findings);
        assert!(
            a.has(codes::MISSING_PURPOSE),
            "{text:?}: {:?}",
            codes_of(&a)
        );
        assert!(!a.has(codes::MISSING_REFERENCE_NUMBER), "{text:?}");
    }
    // The bare '#567' is also reported as unlabelled, for the reviewer.
    expect("#567", BAD, &[codes::REFERENCE_KIND_UNSPECIFIED], &[]);
    expect(
        "See attached, BK#1234567",
        BAD,
        &[codes::MISSING_PURPOSE],
        &[],
    );
}

#[test]
fn unlabelled_number_with_purpose_needs_review() {
    let a = assess("Robbery suspect, #2023-1234");
    assert_eq!(a.verdict, REVIEW);
    assert!(a.has(codes::REFERENCE_KIND_UNSPECIFIED));
    assert_eq!(a.reference.map(|r| r.kind), Some(ReferenceKind::Other));
}

#[test]
fn generic_reference_label_is_other() {
    for text in [
        "Fraud, Reference 24-1123",
        "Fraud, Ref# 24-1123",
        "Fraud, ref no. 24-1123",
    ] {
        let a = assess(text);
        assert_eq!(a.verdict, REVIEW, "{text:?}: {:#?}", a.findings);
        assert_eq!(
            a.reference,
            Some(Reference {
                kind: ReferenceKind::Other,
                number: "24-1123".to_string()
            }),
            "{text:?}"
        );
    }
}

#[test]
fn weak_numbers_are_not_references() {
    expect(
        "Robbery, Case# 7",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[],
    );
    expect(
        "Robbery, Case# TBD",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[],
    );
    expect(
        "Robbery, Case# 0000000",
        BAD,
        &[
            codes::PLACEHOLDER_REFERENCE_NUMBER,
            codes::MISSING_REFERENCE_NUMBER,
        ],
        &[],
    );
    expect(
        "Robbery on 03/04/2026",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[],
    );
    expect(
        "Incident 03/04/2026 robbery",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[],
    );
    expect(
        "Suitcase 12345 theft",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[],
    );
    expect(
        "Dr. Smith assault",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[],
    );
    expect(
        "Incident, 25 suspects",
        BAD,
        &[codes::MISSING_REFERENCE_NUMBER],
        &[],
    );
}

#[test]
fn first_amendment_activity_is_flagged() {
    for text in [
        "Identify protesters at city hall rally, Incident #567",
        "Protest at federal building, Case# 24-1123",
        "Demonstration downtown, DR# 23-0145678",
        "Protest march on Main St, Incident #567",
        "Persons who marched to city hall, Incident #567",
        "People at the march, Incident #567",
        "Identify marchers, Incident #567",
        "Attendees of Friday prayers at mosque, Report #4455",
        "Church service attendee, Case# 24-1123",
        "Person at synagogue, Case# 24-1123",
        "Temple gathering, Case# 24-1123",
        "Political meeting attendee, Case# 24-1123",
        "Campaign volunteer, Case# 24-1123",
        "Union organizing at warehouse, Case# 24-1123",
        "Petition signer, Case# 24-1123",
        "Candlelight vigil, Incident #567",
        "Picket line, Incident #567",
        "Journalist at scene, Incident #567",
        "Identify people in crowd, Incident #567",
        "Counter-protesters, Incident #567",
        "Unlawful assembly, Incident #567",
        "Looting during riot, Incident #567",
    ] {
        let a = assess(text);
        assert_eq!(a.verdict, REVIEW, "{text:?}: {:#?}", a.findings);
        assert!(a.has(codes::FIRST_AMENDMENT_ACTIVITY), "{text:?}");
        assert!(a.reference.is_some(), "{text:?}");
    }
}

#[test]
fn protected_characteristics_are_flagged() {
    for text in [
        "Race of suspect unknown, Case# 24-1123",
        "Hispanic male, Case# 24-1123",
        "Black male suspect, Case# 24-1123",
        "Suspect M/B 30s, Case# 24-1123",
        "Skin color dark, Case# 24-1123",
        "Person of color, Case# 24-1123",
        "Muslim woman, Case# 24-1123",
        "Wearing hijab, Case# 24-1123",
        "Jewish man, Case# 24-1123",
        "Religion check, Case# 24-1123",
        "Immigration status check, Case# 24-1123",
        "Undocumented worker, Case# 24-1123",
        "National origin verification, Case# 24-1123",
        "Ethnicity unknown, Case# 24-1123",
        "Transgender woman, Case# 24-1123",
        "Gay bar patron, Case# 24-1123",
        "Sexual orientation, Case# 24-1123",
        "Gender identity, Case# 24-1123",
        "Sex: female, Case# 24-1123",
        "Married couple, Case# 24-1123",
        "Marital status check, Case# 24-1123",
        "Disabled person, Case# 24-1123",
        "Wheelchair user, Case# 24-1123",
        "Armenian male, Case# 24-1123",
        "Creed check, Case# 24-1123",
        "Identify ICE detainee, BK#1234567",
        "Color unknown, Case# 24-1123",
    ] {
        let a = assess(text);
        assert_eq!(a.verdict, REVIEW, "{text:?}: {:#?}", a.findings);
        assert!(a.has(codes::PROTECTED_CHARACTERISTIC), "{text:?}");
    }
}

#[test]
fn flag_and_missing_number_is_non_compliant_but_keeps_the_flag() {
    let a = assess("Identify protesters at city hall rally");
    assert_eq!(a.verdict, BAD);
    assert!(a.has(codes::MISSING_REFERENCE_NUMBER));
    assert!(a.has(codes::FIRST_AMENDMENT_ACTIVITY));
    let a = assess("Muslim male");
    assert_eq!(a.verdict, BAD);
    assert!(a.has(codes::PROTECTED_CHARACTERISTIC));
    let f = a
        .findings
        .iter()
        .find(|f| f.code == codes::PROTECTED_CHARACTERISTIC);
    assert!(f.is_some_and(|f| f.message.contains("'muslim'")));
}

#[test]
fn false_positive_guards() {
    for text in [
        "Trace evidence, Case# 24-1123",
        "Stolen bracelet, Case# 24-1123",
        "Embrace hug assault, Case# 24-1123",
        "Burglary on March 3, 2026, Report #4455",
        "Burglary on March 3rd, Report #4455",
        "Burglary 3 March 2026, Report #4455",
        "Burglary in March, Report #4455",
        "Burglary since March. Report #4455",
        "Theft, March 2026, Case# 24-1123",
        "Red colored vehicle, Case# 24-1123",
        "Dark-colored hoodie, Case# 24-1123",
        "Color photo from ATM, Case# 24-1123",
        "Suspect in white van, Case# 24-1123",
        "Black Honda Civic, Case# 24-1123",
        "Street race, Case# 24-1123",
        "Street racing, Case# 24-1123",
        "Sex offender registration, Case# 24-1123",
        "Sexual assault suspect, Case# 24-1123",
        "Robbery at Rally's, Case# 24-1123",
        "Shooting on Temple St, Case# 24-1123",
        "Burglary in Temple City, Case# 24-1123",
        "Disabled vehicle hit and run, Case# 24-1123",
        "Gathering evidence for robbery, Case# 24-1123",
        "Male suspect, robbery, Case# 24-1123",
        "Candidate list review, robbery, Case# 24-1123",
        "Protestant... no",
    ]
    .iter()
    .filter(|t| !t.starts_with("Protestant"))
    {
        let a = assess(text);
        assert_eq!(a.verdict, OK, "{text:?}: {:#?}", a.findings);
    }
    // "Protestant" is a religion, not the word "protest".
    let a = assess("Protestant pastor, Case# 24-1123");
    assert!(a.has(codes::PROTECTED_CHARACTERISTIC));
    let fa = a
        .findings
        .iter()
        .find(|f| f.code == codes::FIRST_AMENDMENT_ACTIVITY);
    assert!(
        fa.is_some_and(|f| !f.message.contains("'protest")),
        "{fa:?}"
    );
}

#[test]
fn march_as_activity_is_flagged() {
    for text in [
        "March on city hall, Incident #567",
        "Identify people during the march, Incident #567",
        "In march to city hall, Incident #567",
        "Assault at march, Incident #567",
    ] {
        expect(text, REVIEW, &[codes::FIRST_AMENDMENT_ACTIVITY], &[]);
    }
    // A bare "March" is flagged (unsure: reviewer), but it is not a purpose.
    expect(
        "March, Incident #567",
        BAD,
        &[codes::FIRST_AMENDMENT_ACTIVITY, codes::MISSING_PURPOSE],
        &[],
    );
}

#[test]
fn non_official_and_positive_id_are_flagged() {
    expect(
        "Test search, Case# 24-1123",
        REVIEW,
        &[codes::NON_OFFICIAL_PURPOSE],
        &[],
    );
    expect(
        "Personal curiosity, Case# 24-1123",
        REVIEW,
        &[codes::NON_OFFICIAL_PURPOSE],
        &[],
    );
    expect(
        "Check my ex-girlfriend, Case# 24-1123",
        REVIEW,
        &[codes::NON_OFFICIAL_PURPOSE],
        &[],
    );
    expect(
        "Demonstration purposes, Case# 24-1123",
        REVIEW,
        &[codes::NON_OFFICIAL_PURPOSE],
        &[codes::FIRST_AMENDMENT_ACTIVITY],
    );
    expect(
        "Positive ID of arrestee, BK#1234567",
        REVIEW,
        &[codes::POSITIVE_IDENTIFICATION_LANGUAGE],
        &[],
    );
}

#[test]
fn leading_padding_does_not_push_the_reason_out_of_the_scan_window() {
    let reason = "Robbery suspect, Case# 123-89765-0123-41X, 211 PC";
    let padded = format!("{}{reason}", " ".repeat(MAX_SCAN_CHARS));
    let a = assess(&padded);
    assert_eq!(a.verdict, assess(reason).verdict, "{:#?}", a.findings);
    assert!(!a.has(codes::EMPTY));
    let padded = format!("{}{reason}", "\n".repeat(MAX_SCAN_CHARS + 1630));
    assert!(!assess(&padded).has(codes::EMPTY));
}

#[test]
fn confusables_and_full_width_are_folded() {
    // Cyrillic 'С' and 'а' in "Case".
    let a = assess("Robbery, \u{0421}\u{0430}se# 123-456");
    assert_eq!(a.verdict, OK, "{:#?}", a.findings);
    assert!(a.has(codes::CONFUSABLE_CHARACTERS_FOLDED));
    assert_eq!(a.reference.map(|r| r.kind), Some(ReferenceKind::Case));
    // Full-width digits and '#'.
    let a = assess("Wristband Verification, BK＃１２３４５６７");
    assert_eq!(a.verdict, OK, "{:#?}", a.findings);
    assert_eq!(a.reference.map(|r| r.number), Some("1234567".to_string()));
    // Cyrillic / Greek inside a flagged word must still be caught.
    expect(
        "Identify \u{0440}r\u{043E}testers, Incident #567",
        REVIEW,
        &[codes::FIRST_AMENDMENT_ACTIVITY],
        &[],
    );
    expect(
        "\u{039C}uslim man, Case# 24-1123",
        REVIEW,
        &[codes::PROTECTED_CHARACTERISTIC],
        &[],
    );
    // Mathematical bold letters (NFKC) and diacritics.
    expect(
        "𝐩𝐫𝐨𝐭𝐞𝐬𝐭 attendee, Incident #567",
        REVIEW,
        &[codes::FIRST_AMENDMENT_ACTIVITY],
        &[],
    );
    expect(
        "Prötest, Incident #567",
        REVIEW,
        &[codes::FIRST_AMENDMENT_ACTIVITY],
        &[],
    );
    // Small capitals.
    expect(
        "ʀᴀʟʟʏ, Incident #567",
        REVIEW,
        &[codes::FIRST_AMENDMENT_ACTIVITY],
        &[],
    );
    // A name in Cyrillic is not suspicious by itself.
    expect("Иван Петров housing, BK#1234567", OK, &[], &[]);
}

#[test]
fn control_and_zero_width_characters_are_stripped() {
    let a = assess("Pro\u{200B}test at city hall, Incident #567");
    assert_eq!(a.verdict, REVIEW);
    assert!(a.has(codes::CONTROL_CHARACTERS_REMOVED));
    assert!(a.has(codes::FIRST_AMENDMENT_ACTIVITY));
    expect(
        "Ra\u{00AD}ce \u{202E}unknown, Case# 24-1123",
        REVIEW,
        &[
            codes::PROTECTED_CHARACTERISTIC,
            codes::CONTROL_CHARACTERS_REMOVED,
        ],
        &[],
    );
    expect(
        "Housing,\u{0007} BK#12\u{FEFF}34567",
        OK,
        &[codes::CONTROL_CHARACTERS_REMOVED],
        &[],
    );
    // A right-to-left override makes "tsetorp" display as "protest".
    expect(
        "Robbery, Case#24-1123\u{202E} tsetorp",
        REVIEW,
        &[
            codes::CONTROL_CHARACTERS_REMOVED,
            codes::FIRST_AMENDMENT_ACTIVITY,
            codes::OBFUSCATED_WORDING,
        ],
        &[],
    );
    // Newlines and tabs are plain whitespace.
    expect(
        "Wristband\tVerification,\nBK#7654321",
        OK,
        &[],
        &[codes::CONTROL_CHARACTERS_REMOVED],
    );
}

#[test]
fn obfuscated_words_are_flagged() {
    expect(
        "Identify pr0testers, Incident #567",
        REVIEW,
        &[codes::FIRST_AMENDMENT_ACTIVITY, codes::OBFUSCATED_WORDING],
        &[],
    );
    expect(
        "r a c e check, Case# 24-1123",
        REVIEW,
        &[codes::PROTECTED_CHARACTERISTIC, codes::OBFUSCATED_WORDING],
        &[],
    );
    expect(
        "Suspect at R.A.L.L.Y, Incident #567",
        REVIEW,
        &[codes::FIRST_AMENDMENT_ACTIVITY, codes::OBFUSCATED_WORDING],
        &[],
    );
    // Ordinary case numbers are not read as words.
    expect(
        "Case# 123-89765-0123-41X, 211 PC",
        OK,
        &[],
        &[codes::OBFUSCATED_WORDING],
    );
}

#[test]
fn empty_and_length_limits() {
    for text in ["", "   ", "\u{200B}\u{200D}", "\n\t"] {
        let a = assess(text);
        assert_eq!(a.verdict, BAD, "{text:?}");
        assert!(a.has(codes::EMPTY), "{text:?}");
        assert_eq!(a.reference, None);
    }
    let base = "Wristband Verification, BK#7654321 ";
    let ok = format!("{base}{}", "x".repeat(MAX_REASON_CHARS - base.len()));
    assert_eq!(ok.chars().count(), MAX_REASON_CHARS);
    expect(&ok, OK, &[], &[codes::TOO_LONG]);
    let long = format!("{ok}y");
    let a = assess(&long);
    assert_eq!(a.verdict, BAD);
    assert!(a.has(codes::TOO_LONG));
    // Multi-byte characters count once each.
    let wide = format!("{base}{}", "é".repeat(MAX_REASON_CHARS - base.len()));
    expect(&wide, OK, &[], &[codes::TOO_LONG]);
    // A too-long reason still shows flags to the reviewer.
    let long_flag = format!("Protest, Incident #567 {}", "z".repeat(600));
    expect(
        &long_flag,
        BAD,
        &[codes::TOO_LONG, codes::FIRST_AMENDMENT_ACTIVITY],
        &[],
    );
    // Huge input is bounded and does not panic.
    let huge = "a\u{0301}".repeat(200_000);
    expect(&huge, BAD, &[codes::TOO_LONG], &[]);
}

#[test]
fn verdict_strings_and_serialisation() {
    assert_eq!(OK.as_str(), "compliant");
    assert_eq!(BAD.as_str(), "non_compliant");
    assert_eq!(REVIEW.as_str(), "needs_review");
    assert_eq!(OK.label(), "Compliant");
    assert_eq!(BAD.label(), "Non-compliant");
    assert_eq!(REVIEW.label(), "Needs review");
    for v in [OK, BAD, REVIEW] {
        assert_eq!(
            serde_json::to_value(v).ok(),
            Some(serde_json::Value::from(v.as_str()))
        );
    }
    let a = assess("John Smith housing, BK#1234567");
    let json = serde_json::to_value(&a).ok();
    let kind = json
        .as_ref()
        .and_then(|j| j.pointer("/reference/kind"))
        .and_then(|k| k.as_str());
    assert_eq!(kind, Some("booking"));
    let verdict = json
        .as_ref()
        .and_then(|j| j.pointer("/verdict"))
        .and_then(|k| k.as_str());
    assert_eq!(verdict, Some("compliant"));
}

#[test]
fn codes_are_snake_case_and_messages_are_plain() {
    for code in codes::ALL {
        assert!(
            code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{code}"
        );
    }
    let a = assess("Investigation");
    let msg = a
        .findings
        .iter()
        .find(|f| f.code == codes::MISSING_REFERENCE_NUMBER)
        .map(|f| f.message.clone())
        .unwrap_or_default();
    assert!(msg.contains("Case# 123-89765, 211 PC"), "{msg}");
    for f in &a.findings {
        assert!(codes::ALL.contains(&f.code));
    }
}

#[test]
fn fuzzish_inputs_never_panic() {
    let samples = [
        "#",
        "##",
        "# #",
        "BK#",
        "Case#",
        "§",
        "§§ ",
        "PC",
        "(",
        "\u{0}",
        "🇺🇸🇺🇸",
        "ـــ",
        "Ⅻ",
        "ﷺ",
        "ǅ",
        "İstanbul",
        "ß",
        "\u{10FFFF}",
        "a/b/c/1/2/3",
        "1-2-3-4-5-6",
        "BK#1234567/housing",
        "#ABC-123.",
        "Case#12-34-56-78-90-12-34-56-78-90",
    ];
    for s in samples {
        let a = assess(s);
        let _ = a.verdict.as_str();
    }
}
