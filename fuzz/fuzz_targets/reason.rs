//! Fuzz target `reason`: `frdesk::domain::reason::assess` on arbitrary UTF-8.
//!
//! The whole input (invalid UTF-8 is skipped) is the search reason. Besides "no panic", the
//! invariants checked are the ones the module documentation of `src/domain/reason/mod.rs` promises:
//!
//! * every finding code is one of `codes::ALL`;
//! * verdict precedence: `NonCompliant` iff some finding is `Blocking`, else `NeedsReview` iff
//!   some finding is `Review`, else `Compliant`;
//! * rule 2: a reason that is empty after trimming is `NonCompliant` with `empty`, and nothing
//!   else is checked (only the informational normalisation findings may accompany it);
//! * rule 3: `too_long` is reported iff the trimmed reason has more than `MAX_REASON_CHARS`
//!   Unicode scalar values (unless it was `empty`);
//! * rule 5: a returned reference has an upper-case ASCII number of at least three letters or
//!   digits, at least two of them digits and not all zeros; no reference iff
//!   `missing_reference_number`; `penal_code_only` implies `missing_reference_number`;
//! * a `Compliant` reason has a labelled reference (a bare "#number" needs review);
//! * determinism: assessing the same text twice gives the same result;
//! * rule 1, "runs of whitespace are collapsed" and rule 3, "leading/trailing whitespace
//!   ignored": for a reason that is not over-long, trimming it or padding it with whitespace
//!   on both sides gives the same verdict, findings and reference (the padding length and
//!   character come from the first input bytes; see H1 in docs/FUZZING.md for the one
//!   informational code trimming may rightly drop);
//! * rule 1, "matching is case-insensitive": ASCII upper- and lower-casing the reason gives the
//!   same verdict, finding codes and reference.
//!
//! Finding R1 of docs/FUZZING.md (whitespace padding that pushed the reason out of the
//! `MAX_SCAN_CHARS` scan window) is fixed; every check is on.
#![no_main]

use frdesk::domain::reason::{
    MAX_REASON_CHARS, MAX_SCAN_CHARS, ReasonAssessment, ReferenceKind, Severity, Verdict, assess,
    codes,
};
use libfuzzer_sys::fuzz_target;

fn codes_of(a: &ReasonAssessment) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.code).collect()
}

fn check_one(text: &str, a: &ReasonAssessment) {
    for f in &a.findings {
        assert!(codes::ALL.contains(&f.code), "unknown code {:?}", f.code);
        assert!(!f.message.is_empty(), "empty message for {}", f.code);
    }

    // Verdict precedence.
    let worst = a.findings.iter().map(|f| f.severity()).max();
    let expected = match worst {
        Some(Severity::Blocking) => Verdict::NonCompliant,
        Some(Severity::Review) => Verdict::NeedsReview,
        _ => Verdict::Compliant,
    };
    assert_eq!(a.verdict, expected, "verdict vs findings {:?}", codes_of(a));

    let trimmed_chars = text.trim().chars().count();

    // Rule 2: empty.
    if text.trim().is_empty() {
        assert_eq!(a.verdict, Verdict::NonCompliant);
        assert!(
            a.has(codes::EMPTY),
            "blank input without `empty`: {:?}",
            codes_of(a)
        );
    }
    if a.has(codes::EMPTY) {
        assert_eq!(a.verdict, Verdict::NonCompliant);
        assert!(a.reference.is_none());
        for c in codes_of(a) {
            assert!(
                matches!(
                    c,
                    codes::EMPTY
                        | codes::CONTROL_CHARACTERS_REMOVED
                        | codes::CONFUSABLE_CHARACTERS_FOLDED
                ),
                "`empty` with other findings: {:?}",
                codes_of(a)
            );
        }
        return;
    }

    // Rule 3: too long.
    assert_eq!(
        a.has(codes::TOO_LONG),
        trimmed_chars > MAX_REASON_CHARS,
        "too_long vs {trimmed_chars} trimmed chars"
    );

    // Rule 5: reference number.
    assert_eq!(
        a.reference.is_none(),
        a.has(codes::MISSING_REFERENCE_NUMBER),
        "reference {:?} vs findings {:?}",
        a.reference,
        codes_of(a)
    );
    assert_eq!(a.reference.is_some(), a.has(codes::REFERENCE_NUMBER_FOUND));
    if a.has(codes::PENAL_CODE_ONLY) {
        assert!(a.has(codes::MISSING_REFERENCE_NUMBER));
    }
    if let Some(r) = &a.reference {
        let n = &r.number;
        assert!(
            n.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || "-./".contains(c)),
            "reference number not upper-case ASCII: {n:?}"
        );
        let alnum = n.chars().filter(char::is_ascii_alphanumeric).count();
        let digits: Vec<char> = n.chars().filter(char::is_ascii_digit).collect();
        assert!(
            alnum >= 3 && digits.len() >= 2,
            "short reference number {n:?}"
        );
        assert!(
            digits.iter().any(|d| *d != '0'),
            "placeholder accepted: {n:?}"
        );
        if r.kind == ReferenceKind::Other {
            assert!(a.has(codes::REFERENCE_KIND_UNSPECIFIED));
        }
    }
    if a.verdict == Verdict::Compliant {
        let r = a.reference.as_ref().expect("compliant without a reference");
        assert_ne!(
            r.kind,
            ReferenceKind::Other,
            "compliant with a bare #number"
        );
        assert!(trimmed_chars <= MAX_REASON_CHARS);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let a = assess(text);
    check_one(text, &a);

    // Determinism.
    assert_eq!(assess(text), a, "assess is not deterministic");

    let trimmed_chars = text.trim().chars().count();
    let total_chars = text.chars().count();

    // Leading/trailing whitespace is ignored (for reasons that are not over-long, which are
    // examined in full): the input itself against its trimmed form...
    if trimmed_chars <= MAX_REASON_CHARS && text.trim() != text {
        let b = assess(text.trim());
        // Whitespace with a compatibility decomposition (U+00A0, U+2000..U+200A, U+202F,
        // U+205F, U+3000) is folded to a space by NFKC and so, rightly, reported as
        // `confusable_characters_folded` when it is there; trimming it away drops that note.
        let trimmed_away_folds = text
            .chars()
            .take_while(|c| c.is_whitespace())
            .chain(text.chars().rev().take_while(|c| c.is_whitespace()))
            .any(|c| !c.is_ascii() && c != '\u{85}' && c != '\u{2028}' && c != '\u{2029}');
        let comparable = |x: &ReasonAssessment| -> Vec<&'static str> {
            codes_of(x)
                .into_iter()
                .filter(|c| !(trimmed_away_folds && *c == codes::CONFUSABLE_CHARACTERS_FOLDED))
                .collect()
        };
        assert_eq!(
            (b.verdict, comparable(&b), &b.reference),
            (a.verdict, comparable(&a), &a.reference),
            "leading/trailing whitespace changed the assessment ({total_chars} chars, \
             {trimmed_chars} trimmed)"
        );
    }
    // ...and against extra padding, whose length and character come from the first bytes. The
    // padding may push the text past MAX_SCAN_CHARS characters on purpose.
    let lead = data.get(0..2).map_or(0, |b| {
        usize::from(u16::from_le_bytes([b[0], b[1]])) % (MAX_SCAN_CHARS + 2048)
    });
    let trail = data.get(2).map_or(0, |b| usize::from(b >> 2));
    if trimmed_chars <= MAX_REASON_CHARS && data.len() >= 3 {
        // Plain whitespace only: U+3000 or U+00A0 would (rightly) add `confusable_characters_folded`.
        let pad = [' ', '\n', '\t', '\r'][usize::from(data[2] & 3)];
        let mut padded = String::with_capacity(text.len() + (lead + trail) * 3);
        padded.extend(std::iter::repeat_n(pad, lead));
        padded.push_str(text);
        padded.extend(std::iter::repeat_n(pad, trail));
        let b = assess(&padded);
        check_one(&padded, &b);
        assert_eq!(
            (b.verdict, codes_of(&b), &b.reference),
            (a.verdict, codes_of(&a), &a.reference),
            "{lead} leading and {trail} trailing {pad:?} changed the assessment \
             ({total_chars} chars, {trimmed_chars} trimmed)"
        );
    }

    // ASCII case does not matter.
    if total_chars <= MAX_SCAN_CHARS {
        for variant in [text.to_ascii_uppercase(), text.to_ascii_lowercase()] {
            if variant == text {
                continue;
            }
            let b = assess(&variant);
            assert_eq!(
                (b.verdict, codes_of(&b), &b.reference),
                (a.verdict, codes_of(&a), &a.reference),
                "ASCII case changed the assessment: {variant:?}"
            );
        }
    }
});
