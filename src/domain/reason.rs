//! Search-reason compliance rules.
//!
//! Every face search must carry a *valid search reason*. This module decides,
//! for one free-text reason, whether it is [`Verdict::Compliant`],
//! [`Verdict::NonCompliant`] or [`Verdict::NeedsReview`], and explains why with
//! stable [`Finding`] codes (see [`codes`]). It is pure: no I/O, no clock, no
//! global state beyond compiled regular expressions.
//!
//! # Policy sources
//!
//! * **LACRIS FR Policy, "Audits"**: users must include a valid search reason.
//!   Compliant examples name a specific reference number *and* a purpose
//!   ("John Smith housing, BK#1234567", "Case# 123-89765-0123-41X, 211 PC",
//!   "Wristband Verification, BK#7654321", "Release Citation, #ABC-123",
//!   "Incident / Tag #567"). Non-compliant examples ("Investigation",
//!   "Positive ID", "Housing", "211 PC", "Verify") have no reference number.
//! * **LACRIS FR Policy, "Face Search Requests"**: results are investigative
//!   leads only and never a positive identification.
//! * **NY MPTC Facial Recognition Model Policy §IV.B**: the permissible uses
//!   (identify a person tied to a criminal offence, definable criminal conduct,
//!   a missing person/victim/witness, a deceased or incapacitated person, an
//!   arrestee without valid identification; assess safety threats).
//! * **NY MPTC §V.A**: no personal or other non-official use.
//! * **NY MPTC §V.B**: no search based solely on (1) religious, political or
//!   social views or activities, (2) participation in a non-criminal
//!   organisation or lawful event, or (3) race, creed, color, national origin,
//!   sex, marital status, sexual orientation, gender identity or expression,
//!   disability, or another protected characteristic.
//!
//! # Rules, in the order they are applied
//!
//! 1. **Normalisation** (before any matching): line breaks and tabs become
//!    spaces; control, format (zero-width, bidi override, soft hyphen),
//!    private-use, unassigned, variation-selector and invisible filler
//!    characters are removed ([`codes::CONTROL_CHARACTERS_REMOVED`]); the text
//!    is NFKC-normalised (full-width digits, ligatures, "№" → "No"),
//!    diacritics are stripped, Cyrillic/Greek/Armenian/small-capital look-alike
//!    letters are folded to Latin ([`codes::CONFUSABLE_CHARACTERS_FOLDED`]) and
//!    runs of whitespace are collapsed. Matching is case-insensitive.
//! 2. **Empty** after normalisation → [`codes::EMPTY`] (non-compliant; nothing
//!    else is checked).
//! 3. **Too long**: more than [`MAX_REASON_CHARS`] characters (Unicode scalar
//!    values of the submitted text, leading/trailing whitespace ignored) →
//!    [`codes::TOO_LONG`]. The other rules still run so the requester and the
//!    reviewer see every problem at once (at most [`MAX_SCAN_CHARS`] characters
//!    are examined).
//! 4. **Code sections are not reference numbers**: penal/vehicle/health and
//!    safety/welfare and institutions/business and professions code citations
//!    ("211 PC", "PC 459", "§ 187(a)", "459 PC / 487 PC", "VC 10851",
//!    "HS 11350") and calendar dates are masked before looking for a reference.
//! 5. **Reference number**: a reference label (case, booking/BK, citation/cite,
//!    incident, tag, warrant, report/rpt, DR, file, ref) followed by an
//!    optional marker ("#", "No.", "Number", ":") and a number with at least
//!    three letters/digits of which at least two are digits; or a bare
//!    "#number" (kind [`ReferenceKind::Other`]). None found →
//!    [`codes::MISSING_REFERENCE_NUMBER`], plus [`codes::PENAL_CODE_ONLY`] when
//!    the reason is nothing but code sections. A number made only of zeros is
//!    a placeholder ([`codes::PLACEHOLDER_REFERENCE_NUMBER`]). A bare
//!    "#number" with no label is accepted as a reference but flagged
//!    ([`codes::REFERENCE_KIND_UNSPECIFIED`]) so a reviewer confirms what it is.
//! 6. **Purpose**: once the reference (label + number) and dates are removed,
//!    something must remain that says why: a word of three or more letters
//!    that is not filler ("search", "request", "see attached", month names...)
//!    or a code-section citation (the offence). Otherwise
//!    [`codes::MISSING_PURPOSE`]. A reference label that is *not* attached to
//!    the number counts as purpose, which is how LACRIS's own compliant
//!    example "Incident / Tag #567" reads (identification for a documented
//!    incident, tag #567).
//! 7. **Reviewer flags** (never silently passed):
//!    [`codes::FIRST_AMENDMENT_ACTIVITY`] (protests, rallies, demonstrations,
//!    marches, vigils, pickets, riots, strikes, union organising, places and acts of
//!    worship, political meetings/campaigns/elections, petitions, the press,
//!    crowds and attendees of lawful events),
//!    [`codes::PROTECTED_CHARACTERISTIC`] (race, color, ethnicity, national
//!    origin, immigration status, religion/creed, sex, gender identity or
//!    expression, sexual orientation, marital status, disability),
//!    [`codes::NON_OFFICIAL_PURPOSE`] (personal use, curiosity, tests, training
//!    or demo searches), [`codes::POSITIVE_IDENTIFICATION_LANGUAGE`] ("positive
//!    ID": results are leads only) and [`codes::OBFUSCATED_WORDING`] (a
//!    flagged word was only found after undoing digit/symbol substitution
//!    such as "pr0test", letter spacing such as "r a c e", or a right-to-left
//!    override that makes stored "tsetorp" display as "protest").
//!
//! # Verdict precedence
//!
//! Each finding code has a [`Severity`]. The verdict is:
//!
//! 1. [`Verdict::NonCompliant`] if any finding is [`Severity::Blocking`]
//!    (empty, too long, missing reference number, penal code only, placeholder
//!    number, missing purpose). Reviewer-flag findings are still reported
//!    alongside, so a reviewer sees them even though the reason must be fixed.
//! 2. otherwise [`Verdict::NeedsReview`] if any finding is
//!    [`Severity::Review`];
//! 3. otherwise [`Verdict::Compliant`] (informational findings such as
//!    [`codes::REFERENCE_NUMBER_FOUND`] may be present).
//!
//! # False-positive choices (documented judgement calls)
//!
//! * Whole-word matching only: "race" does not fire inside "trace",
//!   "bracelet" or "embrace"; "protest" does not fire inside "Protestant"
//!   (which is flagged as a religion instead).
//! * "race" after street/drag/car/foot/horse/speed/illegal/exhibition (street
//!   racing is a crime) and "racing"/"racer" are not flagged.
//! * "March" is treated as the month, not flagged, when it is next to a day or
//!   year ("March 3, 2026", "3 March", "March 2026") or follows a time
//!   preposition and is not followed by a movement word ("in March,", "since
//!   March" — but "march on city hall", "during the march", "protest march"
//!   and bare "march" are flagged). "marched", "marchers", "marching" are
//!   always flagged.
//! * "color"/"colored" is not flagged when it describes an object ("red colored
//!   vehicle", "dark-colored hoodie", "color photo", "color of the car");
//!   "skin color", "complexion", "people of color" and any other use of
//!   "color" are flagged.
//! * "black"/"white"/"brown" are flagged only next to a person word ("black
//!   male", "white female", "brown man"), never for vehicles or clothing;
//!   descriptor codes such as "M/B", "F/H" are flagged.
//! * Plain "male"/"female"/"man"/"woman" are not flagged (they appear in most
//!   suspect descriptions); "sex" is not flagged in "sex offender", "sex
//!   crime", "sex trafficking" and similar offence terms; "sexual assault" is
//!   not flagged, "sexual orientation" is.
//! * "temple", "church", "chapel" followed by a street/city word ("Temple St",
//!   "Temple City", "Church Ave") are treated as place names.
//! * "Rally's" (the restaurant) is not flagged; "disabled vehicle" is not
//!   flagged; "good faith" is not flagged; "gathering evidence/information" is
//!   not flagged; "demonstration purposes" is a non-official purpose, not a
//!   First-Amendment flag.
//! * Demonyms and group names ("Armenian", "Mexican", "Korean"...) are flagged
//!   even in business names ("Korean market"): a reviewer decides. The list is
//!   not exhaustive.
//! * Non-Latin scripts are never flagged by themselves (a name written in
//!   Cyrillic is not suspicious); look-alike letters are only folded for
//!   matching and reported as an informational finding.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest accepted reason, in Unicode scalar values (after trimming).
pub const MAX_REASON_CHARS: usize = 500;

/// At most this many characters of an over-long reason are examined.
pub const MAX_SCAN_CHARS: usize = 10_000;

/// Outcome of assessing one search reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Has a reference number and a purpose, and raised no reviewer flag.
    Compliant,
    /// Must be fixed by the requester (see the blocking findings).
    NonCompliant,
    /// Formally complete, but a reviewer must look before the search runs.
    NeedsReview,
}

impl Verdict {
    /// Stable machine string: `compliant`, `non_compliant`, `needs_review`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Compliant => "compliant",
            Verdict::NonCompliant => "non_compliant",
            Verdict::NeedsReview => "needs_review",
        }
    }

    /// Human label: "Compliant", "Non-compliant", "Needs review".
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Compliant => "Compliant",
            Verdict::NonCompliant => "Non-compliant",
            Verdict::NeedsReview => "Needs review",
        }
    }
}

/// How much a finding weighs in the verdict (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational only.
    Info,
    /// A reviewer must look (verdict at least `needs_review`).
    Review,
    /// The reason is non-compliant until fixed.
    Blocking,
}

/// One explained observation about a reason. `code` is one of [`codes`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub message: String,
}

impl Finding {
    /// Severity of this finding's code.
    pub fn severity(&self) -> Severity {
        codes::severity(self.code)
    }
}

/// Kind of reference number found in a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    Case,
    Booking,
    Citation,
    Incident,
    Tag,
    Warrant,
    Report,
    /// LAPD Division of Records number.
    Dr,
    File,
    /// A bare "#number" or a generic "Ref" label.
    Other,
}

impl ReferenceKind {
    /// Stable machine string (same as the serde form).
    pub fn as_str(&self) -> &'static str {
        match self {
            ReferenceKind::Case => "case",
            ReferenceKind::Booking => "booking",
            ReferenceKind::Citation => "citation",
            ReferenceKind::Incident => "incident",
            ReferenceKind::Tag => "tag",
            ReferenceKind::Warrant => "warrant",
            ReferenceKind::Report => "report",
            ReferenceKind::Dr => "dr",
            ReferenceKind::File => "file",
            ReferenceKind::Other => "other",
        }
    }

    /// Human label, e.g. "booking number".
    pub fn label(&self) -> &'static str {
        match self {
            ReferenceKind::Case => "case number",
            ReferenceKind::Booking => "booking number",
            ReferenceKind::Citation => "citation number",
            ReferenceKind::Incident => "incident number",
            ReferenceKind::Tag => "tag number",
            ReferenceKind::Warrant => "warrant number",
            ReferenceKind::Report => "report number",
            ReferenceKind::Dr => "DR number",
            ReferenceKind::File => "file number",
            ReferenceKind::Other => "unlabelled reference number",
        }
    }
}

/// A reference number found in the reason. `number` is upper-cased ASCII
/// after normalisation (e.g. "123-89765-0123-41X").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub number: String,
}

/// Result of [`assess`]. `reference` is the first reference number found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReasonAssessment {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    pub reference: Option<Reference>,
}

impl ReasonAssessment {
    /// True if a finding with this code is present.
    pub fn has(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// Stable finding codes and their severities.
pub mod codes {
    use super::Severity;

    /// Blocking: nothing left after removing whitespace/invisible characters.
    pub const EMPTY: &str = "empty";
    /// Blocking: longer than [`super::MAX_REASON_CHARS`].
    pub const TOO_LONG: &str = "too_long";
    /// Blocking: no case/booking/citation/incident/tag/warrant/report/DR/file number.
    pub const MISSING_REFERENCE_NUMBER: &str = "missing_reference_number";
    /// Blocking: the reason is only code-section citations ("211 PC").
    pub const PENAL_CODE_ONLY: &str = "penal_code_only";
    /// Blocking: a reference number made only of zeros.
    pub const PLACEHOLDER_REFERENCE_NUMBER: &str = "placeholder_reference_number";
    /// Blocking: a number but nothing saying why the search is needed.
    pub const MISSING_PURPOSE: &str = "missing_purpose";
    /// Review: mentions First-Amendment activity (NY MPTC §V.B.1–2).
    pub const FIRST_AMENDMENT_ACTIVITY: &str = "first_amendment_activity";
    /// Review: mentions a protected characteristic (NY MPTC §V.B.3).
    pub const PROTECTED_CHARACTERISTIC: &str = "protected_characteristic";
    /// Review: suggests personal/test/training use (NY MPTC §V.A).
    pub const NON_OFFICIAL_PURPOSE: &str = "non_official_purpose";
    /// Review: asks for a "positive ID" (results are leads only).
    pub const POSITIVE_IDENTIFICATION_LANGUAGE: &str = "positive_identification_language";
    /// Review: a flagged word was disguised with digits, symbols or spacing.
    pub const OBFUSCATED_WORDING: &str = "obfuscated_wording";
    /// Review: a bare "#number" with no label saying what it is.
    pub const REFERENCE_KIND_UNSPECIFIED: &str = "reference_kind_unspecified";
    /// Info: which reference number(s) were found.
    pub const REFERENCE_NUMBER_FOUND: &str = "reference_number_found";
    /// Info: invisible/control characters were removed before checking.
    pub const CONTROL_CHARACTERS_REMOVED: &str = "control_characters_removed";
    /// Info: look-alike or compatibility characters were folded before checking.
    pub const CONFUSABLE_CHARACTERS_FOLDED: &str = "confusable_characters_folded";

    /// Every code, for documentation and exhaustive tests.
    pub const ALL: &[&str] = &[
        EMPTY,
        TOO_LONG,
        MISSING_REFERENCE_NUMBER,
        PENAL_CODE_ONLY,
        PLACEHOLDER_REFERENCE_NUMBER,
        MISSING_PURPOSE,
        FIRST_AMENDMENT_ACTIVITY,
        PROTECTED_CHARACTERISTIC,
        NON_OFFICIAL_PURPOSE,
        POSITIVE_IDENTIFICATION_LANGUAGE,
        OBFUSCATED_WORDING,
        REFERENCE_KIND_UNSPECIFIED,
        REFERENCE_NUMBER_FOUND,
        CONTROL_CHARACTERS_REMOVED,
        CONFUSABLE_CHARACTERS_FOLDED,
    ];

    /// Severity of a code; unknown codes are treated as [`Severity::Review`]
    /// (the safe side).
    pub fn severity(code: &str) -> Severity {
        match code {
            EMPTY
            | TOO_LONG
            | MISSING_REFERENCE_NUMBER
            | PENAL_CODE_ONLY
            | PLACEHOLDER_REFERENCE_NUMBER
            | MISSING_PURPOSE => Severity::Blocking,
            REFERENCE_NUMBER_FOUND | CONTROL_CHARACTERS_REMOVED | CONFUSABLE_CHARACTERS_FOLDED => {
                Severity::Info
            }
            _ => Severity::Review,
        }
    }
}

const FIX_EXAMPLE: &str = "e.g. 'Case# 123-89765, 211 PC' or 'Wristband Verification, BK#7654321'";

/// Assess one search reason. See the module documentation for the rules and
/// the verdict precedence.
pub fn assess(text: &str) -> ReasonAssessment {
    let mut findings = Vec::new();
    let trimmed_chars = text.trim().chars().count();
    // The scan window starts after leading whitespace, as the length does: padding must not
    // push the reason out of the window (found by fuzzing: 10,000 spaces made a compliant
    // reason "empty").
    let scanned: String = text.trim_start().chars().take(MAX_SCAN_CHARS).collect();
    let norm = normalise(&scanned);

    if norm.removed_invisible > 0 {
        findings.push(Finding {
            code: codes::CONTROL_CHARACTERS_REMOVED,
            message: format!(
                "{} invisible or control character(s) (e.g. zero-width spaces, direction \
                 overrides) were removed before checking. Retype the reason as plain text.",
                norm.removed_invisible
            ),
        });
    }
    if norm.folded {
        findings.push(Finding {
            code: codes::CONFUSABLE_CHARACTERS_FOLDED,
            message: "Look-alike, full-width or other special characters were converted to \
                      plain letters and digits before checking (e.g. Cyrillic 'С' to 'C', \
                      '１' to '1'). Retype the reason in plain characters."
                .to_string(),
        });
    }
    if norm.text.is_empty() {
        findings.push(Finding {
            code: codes::EMPTY,
            message: format!("The search reason is empty. State the purpose and the case, booking, citation, incident or warrant number, {FIX_EXAMPLE}."),
        });
        return finish(findings, None);
    }
    if trimmed_chars > MAX_REASON_CHARS {
        findings.push(Finding {
            code: codes::TOO_LONG,
            message: format!(
                "The search reason is {trimmed_chars} characters long; the limit is \
                 {MAX_REASON_CHARS}. Give a short purpose and the reference number, {FIX_EXAMPLE}, \
                 and keep case narrative in the case file."
            ),
        });
    }

    let lower = norm.text.to_lowercase();

    // Rule 4: mask code sections and dates so they are never read as references.
    let penal = find_spans(&PENAL_RE, &lower, "c");
    let dates = find_spans(&DATE_RE, &lower, "d");
    let mut masked = lower.clone();
    for r in penal.iter().chain(dates.iter()) {
        masked.replace_range(r.clone(), &"~".repeat(r.len()));
    }

    // Rule 5: reference numbers.
    let scan = find_references(&masked);
    let refs = &scan.refs;
    if refs.is_empty() {
        if scan.placeholder {
            findings.push(Finding {
                code: codes::PLACEHOLDER_REFERENCE_NUMBER,
                message: "The reference number is only zeros, which looks like a placeholder. \
                          Enter the real case, booking, citation, incident or warrant number."
                    .to_string(),
            });
        }
        let penal_note = if penal.is_empty() {
            ""
        } else {
            " A penal or vehicle code section (such as '211 PC') names the offence, not the \
             case, so it does not count as a reference number."
        };
        findings.push(Finding {
            code: codes::MISSING_REFERENCE_NUMBER,
            message: format!(
                "No reference number found. Add the case, booking, citation, incident or \
                 warrant number, {FIX_EXAMPLE}.{penal_note}"
            ),
        });
    }

    // Rule 6: purpose.
    let mut residue = masked.clone();
    for r in refs.iter().map(|r| &r.span) {
        residue.replace_range(r.clone(), &" ".repeat(r.len()));
    }
    let purpose_words = purpose_words(&residue);
    if refs.is_empty() && !penal.is_empty() && purpose_words.is_empty() {
        findings.push(Finding {
            code: codes::PENAL_CODE_ONLY,
            message: "The reason is only a code section (e.g. '211 PC'). That states the \
                      offence but not which case: add the case, booking, citation, incident or \
                      warrant number, e.g. 'Case# 123-89765, 211 PC'."
                .to_string(),
        });
    } else if purpose_words.is_empty() && penal.is_empty() {
        findings.push(Finding {
            code: codes::MISSING_PURPOSE,
            message: "The reason does not say why the search is needed. Add the purpose next \
                      to the number, e.g. the offence ('211 PC') or the task ('Wristband \
                      Verification', 'Release Citation', 'John Smith housing')."
                .to_string(),
        });
    }

    // Rule 7: reviewer flags.
    findings.extend(flag_findings(&lower, norm.had_bidi));

    if refs.iter().any(|r| r.kind == ReferenceKind::Other) {
        findings.push(Finding {
            code: codes::REFERENCE_KIND_UNSPECIFIED,
            message: "A number was given without saying what it is. Reviewer: confirm it is a \
                      case, booking, citation, incident or warrant number. Requester: label \
                      it, e.g. 'Case# 123-456' instead of '#123-456'."
                .to_string(),
        });
    }
    if !refs.is_empty() {
        let list: Vec<String> = refs
            .iter()
            .map(|r| format!("{} {}", r.kind.label(), r.number))
            .collect();
        findings.push(Finding {
            code: codes::REFERENCE_NUMBER_FOUND,
            message: format!("Reference found: {}.", list.join("; ")),
        });
    }

    let reference = refs.first().map(|r| Reference {
        kind: r.kind,
        number: r.number.clone(),
    });
    finish(findings, reference)
}

fn finish(findings: Vec<Finding>, reference: Option<Reference>) -> ReasonAssessment {
    let worst = findings.iter().map(Finding::severity).max();
    let verdict = match worst {
        Some(Severity::Blocking) => Verdict::NonCompliant,
        Some(Severity::Review) => Verdict::NeedsReview,
        _ => Verdict::Compliant,
    };
    ReasonAssessment {
        verdict,
        findings,
        reference,
    }
}

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

struct Normalised {
    /// Case preserved, whitespace collapsed, trimmed.
    text: String,
    removed_invisible: usize,
    folded: bool,
    /// Bidi override/embedding/isolate controls were present: the text may
    /// *display* in a different order than it is stored.
    had_bidi: bool,
}

fn compile(pattern: &str) -> Regex {
    // Patterns are compile-time constants; `all_patterns_compile` tests them.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern {pattern:?}: {e}"))
}

static LINE_BREAKS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"[\t\n\r\x0B\x0C\u{85}\u{2028}\u{2029}]"));

/// Control (Cc), format (Cf: zero-width, bidi, soft hyphen, tags), private use,
/// unassigned, variation selectors, Hangul fillers and the braille blank.
static INVISIBLE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"[\p{Cc}\p{Cf}\p{Co}\p{Cn}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}\u{115F}\u{1160}\u{3164}\u{FFA0}\u{2800}\u{034F}]",
    )
});

fn normalise(input: &str) -> Normalised {
    let spaced = LINE_BREAKS.replace_all(input, " ");
    let removed_invisible = INVISIBLE.find_iter(&spaced).count();
    let had_bidi = spaced
        .chars()
        .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'));
    let visible = INVISIBLE.replace_all(&spaced, "");

    let nfc: String = visible.nfc().collect();
    let nfkc: String = visible.nfkc().collect();
    let mut folded = nfc != nfkc;

    let mut out = String::with_capacity(nfkc.len());
    for c in nfkc.nfd().filter(|c| !is_combining_mark(*c)).nfc() {
        match fold_confusable(c) {
            Some(f) => {
                folded = true;
                out.push(f);
            }
            None => out.push(c),
        }
    }
    let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    Normalised {
        text,
        removed_invisible,
        folded,
        had_bidi,
    }
}

/// Fold a look-alike letter to its Latin twin (Cyrillic, Greek, Armenian,
/// Latin small capitals and a few others). Returns `None` for other chars.
fn fold_confusable(c: char) -> Option<char> {
    let f = match c {
        // Cyrillic upper case
        'А' => 'A',
        'В' => 'B',
        'С' => 'C',
        'Е' | 'Ё' => 'E',
        'Н' => 'H',
        'І' | 'Ӏ' => 'I',
        'Ј' => 'J',
        'К' => 'K',
        'М' => 'M',
        'О' => 'O',
        'Р' => 'P',
        'Ѕ' => 'S',
        'Т' => 'T',
        'У' | 'Ү' => 'Y',
        'Х' => 'X',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        // Cyrillic lower case
        'а' => 'a',
        'в' | 'ь' => 'b',
        'с' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' => 'e',
        'һ' | 'н' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'п' => 'n',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' => 't',
        'у' | 'ү' => 'y',
        'ԝ' => 'w',
        'х' => 'x',
        // Greek
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        'α' => 'a',
        'ε' => 'e',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'γ' => 'y',
        // Armenian
        'օ' => 'o',
        'ս' => 'u',
        'հ' => 'h',
        'ո' => 'n',
        'ց' => 'g',
        // Latin look-alikes and small capitals
        'ı' => 'i',
        'ɑ' => 'a',
        'ɡ' => 'g',
        'ᴀ' => 'a',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ꜰ' => 'f',
        'ɢ' => 'g',
        'ʜ' => 'h',
        'ɪ' => 'i',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ʟ' => 'l',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ʀ' => 'r',
        'ꜱ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        // Punctuation look-alikes that matter for numbers
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
        '⁄' | '∕' => '/',
        _ => return None,
    };
    Some(f)
}

// ---------------------------------------------------------------------------
// Code sections, dates, references
// ---------------------------------------------------------------------------

/// A code-section citation. Group `c` is the citation itself.
static PENAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    let core = r"(?:penal\s+code|vehicle\s+code|health\s+(?:and|&)\s+safety\s+code|welfare\s+(?:and|&)\s+institutions?\s+code|business\s+(?:and|&)\s+professions?\s+code|municipal\s+code|p\.?\s?c|v\.?\s?c|cvc|cpc|lamc|h\s?&\s?s(?:\s?c)?|h\.?\s?s\.?(?:\s?c)?|hsc|w\s?&\s?i(?:\s?c)?|w\.?\s?i\.?(?:\s?c)?|wic|b\s?&\s?p(?:\s?c)?|b\.?\s?p\.?(?:\s?c)?|bpc|u\.?\s?s\.?\s?c)";
    let code = format!(r"{core}\b\.?");
    let code_nb = format!(r"{core}\.?");
    let sec = r"\d{1,6}(?:\.\d{1,3})*(?:\s?\([a-z0-9]{1,4}\))*";
    let list = format!(r"{sec}(?:\s*(?:/|&|\band\b|\bor\b)\s*{sec})*");
    compile(&format!(
        r"(?:^|[^\w\-/.#])(?P<c>{list}\s*(?:of\s+the\s+)?{code}|\b{code_nb}\s*(?:§+|\bsec(?:tion)?s?\b\.?)?\s*{list}|§+\s*{list}(?:\s*{code})?)"
    ))
});

/// Calendar dates (numeric). Group `d` is the date.
static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:^|[^\w\-/.#])(?P<d>\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4})\b",
    )
});

/// A labelled reference number.
static LABELLED_REF_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:^|[^\w])(?P<kind>case|booking|bkg|bk|citation|cite|incident|tag|warrant|wrnt|report|rpt|d\.r\.?|dr|file|reference|ref)(?P<sep>(?:[ ]*,?[ ]*(?:#|no\b\.?|nbr\b\.?|num\b\.?|number\b|:|-|=))*[ ]*)(?P<num>[0-9a-z]+(?:[\-.][0-9a-z]+|/[0-9][0-9a-z]*)*)",
    )
});

/// An unlabelled "#number".
static BARE_REF_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?:^|[^\w&])#[ ]*(?P<num>[0-9a-z]+(?:[\-.][0-9a-z]+|/[0-9][0-9a-z]*)*)")
});

fn find_spans(re: &Regex, text: &str, group: &str) -> Vec<Range<usize>> {
    re.captures_iter(text)
        .filter_map(|c| c.name(group).map(|m| m.range()))
        .collect()
}

struct FoundRef {
    kind: ReferenceKind,
    number: String,
    span: Range<usize>,
}

struct RefScan {
    refs: Vec<FoundRef>,
    placeholder: bool,
}

enum NumberCheck {
    Valid,
    Placeholder,
    Invalid,
}

fn check_number(num: &str) -> NumberCheck {
    let alnum = num.chars().filter(char::is_ascii_alphanumeric).count();
    let digits: Vec<char> = num.chars().filter(char::is_ascii_digit).collect();
    if alnum < 3 || digits.len() < 2 {
        NumberCheck::Invalid
    } else if digits.iter().all(|d| *d == '0') {
        NumberCheck::Placeholder
    } else {
        NumberCheck::Valid
    }
}

fn kind_of(label: &str) -> ReferenceKind {
    match label {
        "case" => ReferenceKind::Case,
        "booking" | "bkg" | "bk" => ReferenceKind::Booking,
        "citation" | "cite" => ReferenceKind::Citation,
        "incident" => ReferenceKind::Incident,
        "tag" => ReferenceKind::Tag,
        "warrant" | "wrnt" => ReferenceKind::Warrant,
        "report" | "rpt" => ReferenceKind::Report,
        "dr" | "d.r" | "d.r." => ReferenceKind::Dr,
        "file" => ReferenceKind::File,
        _ => ReferenceKind::Other,
    }
}

fn find_references(masked: &str) -> RefScan {
    let mut refs: Vec<FoundRef> = Vec::new();
    let mut placeholder = false;
    for caps in LABELLED_REF_RE.captures_iter(masked) {
        let (Some(kind), Some(sep), Some(num)) =
            (caps.name("kind"), caps.name("sep"), caps.name("num"))
        else {
            continue;
        };
        // "casey", "tagalog": a label glued to letters is not a label.
        if sep.as_str().is_empty() && !num.as_str().starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        match check_number(num.as_str()) {
            NumberCheck::Valid => refs.push(FoundRef {
                kind: kind_of(kind.as_str()),
                number: num.as_str().to_ascii_uppercase(),
                span: kind.start()..num.end(),
            }),
            NumberCheck::Placeholder => placeholder = true,
            NumberCheck::Invalid => {}
        }
    }
    for caps in BARE_REF_RE.captures_iter(masked) {
        let Some(num) = caps.name("num") else {
            continue;
        };
        let hash_start = masked[..num.start()].rfind('#').unwrap_or(num.start());
        if refs
            .iter()
            .any(|r| r.span.start <= hash_start && num.end() <= r.span.end)
        {
            continue;
        }
        match check_number(num.as_str()) {
            NumberCheck::Valid => refs.push(FoundRef {
                kind: ReferenceKind::Other,
                number: num.as_str().to_ascii_uppercase(),
                span: hash_start..num.end(),
            }),
            NumberCheck::Placeholder => placeholder = true,
            NumberCheck::Invalid => {}
        }
    }
    refs.sort_by_key(|r| r.span.start);
    RefScan { refs, placeholder }
}

static WORD_RE: LazyLock<Regex> = LazyLock::new(|| compile(r"\p{L}+"));

/// Words that do not state a purpose on their own.
const FILLER: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "from",
    "per",
    "via",
    "regarding",
    "search",
    "searches",
    "request",
    "requested",
    "reason",
    "facial",
    "face",
    "recognition",
    "number",
    "num",
    "nbr",
    "see",
    "attached",
    "none",
    "unknown",
    "pending",
    "tbd",
    "misc",
    "other",
    "etc",
    "lacris",
    "dms",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn purpose_words(residue: &str) -> Vec<String> {
    WORD_RE
        .find_iter(residue)
        .map(|m| m.as_str())
        .filter(|w| w.chars().count() >= 3 && !FILLER.contains(w))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------
// Reviewer flags
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    FirstAmendment,
    Protected,
    NonOfficial,
    PositiveId,
}

struct RuleSpec {
    category: Category,
    pattern: &'static str,
    /// Skip the match if the text just before it matches (anchored with `$`).
    not_before: Option<&'static str>,
    /// Skip the match if the text just after it matches (anchored with `^`).
    not_after: Option<&'static str>,
    /// Skip the match when it reads as the month of March (see [`is_month`]).
    month_check: bool,
}

const fn rule(category: Category, pattern: &'static str) -> RuleSpec {
    RuleSpec {
        category,
        pattern,
        not_before: None,
        not_after: None,
        month_check: false,
    }
}

const fn rule_x(
    category: Category,
    pattern: &'static str,
    not_before: Option<&'static str>,
    not_after: Option<&'static str>,
) -> RuleSpec {
    RuleSpec {
        category,
        pattern,
        not_before,
        not_after,
        month_check: false,
    }
}

use Category::{FirstAmendment as FA, NonOfficial as NO, PositiveId as PI, Protected as PC};

const PLACE_SUFFIX: &str = r"^\s+(?:st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane|way|pl|place|city|hill|park|ct|court)\b";

const RULES: &[RuleSpec] = &[
    // --- First-Amendment activity (NY MPTC §V.B.1-2) ---
    rule(FA, r"\b(?:counter-?)?protest(?:s|ed|er|ers|ing|or|ors)?\b"),
    rule_x(FA, r"\brall(?:y|ies|ied|ying)\b", None, Some(r"^['’]s\b")),
    rule_x(
        FA,
        r"\bdemonstrat(?:ion|ions|or|ors|ing|ed|e|es)\b",
        None,
        Some(r"^\s+(?:purposes?|only|search|exercise|run)\b"),
    ),
    // "march" the month (see `is_month`), otherwise the activity.
    RuleSpec {
        category: FA,
        pattern: r"\bmarch\b",
        not_before: None,
        not_after: None,
        month_check: true,
    },
    rule(FA, r"\bmarch(?:es|ed|ers?|ing)\b"),
    rule(FA, r"\bpicket(?:s|ed|ing|ers?)?\b"),
    rule(FA, r"\briot(?:s|ers?|ing)?\b"),
    rule(FA, r"\bvigils?\b"),
    rule(FA, r"\bsit-?ins?\b"),
    rule(FA, r"\bboycott\w*"),
    rule(
        FA,
        r"\bstrikers\b|\bon\s+strike\b|\b(?:labor|labour|union|general|workers?|teachers|hunger)\s+strikes?\b|\bwalk-?outs?\b",
    ),
    rule(
        FA,
        r"\bunions?\s+(?:organi[sz]\w*|meetings?|members?|membership|activit\w*|rall\w*|leaders?|drives?|reps?|representatives?|halls?|actions?)\b",
    ),
    rule(
        FA,
        r"\b(?:labor|labour|trade|workers['’]?)\s+unions?\b|\bunioni[sz]\w*|\b(?:labor|labour|community|union|political)\s+organi[sz]\w*",
    ),
    rule_x(
        FA,
        r"\b(?:mosques?|masjids?|churches|church|synagogues?|shuls?|temples?|cathedrals?|chapels?|gurdwaras?|parish(?:es)?)\b",
        None,
        Some(PLACE_SUFFIX),
    ),
    rule(
        FA,
        r"\b(?:congregations?|congregants?|worship\w*|prayers?|praying|sermons?|clergy|imams?|rabbis?|priests?|pastors?)\b",
    ),
    rule(
        FA,
        r"\b(?:religious|sunday|sabbath|shabbat|friday|jumu['’]?ah|easter|christmas|worship)\s+(?:services?|mass|gatherings?|meetings?|ceremon\w*|events?)\b",
    ),
    rule(
        FA,
        r"\b(?:catholic|midnight|sunday|attend(?:ing|ed|s)?)\s+mass\b",
    ),
    rule(
        FA,
        r"\bpolitic(?:s|al|ally|ians?)\b|\bcampaign(?:s|ing|ers?)?\b|\belections?\b|\bvot(?:e|es|er|ers|ing)\b|\bballots?\b|\bpolling\s+(?:places?|stations?|locations?)\b",
    ),
    rule(
        FA,
        r"\bactivis(?:t|ts|m)\b|\badvocacy\b|\bpetition(?:s|ed|ing|ers?)?\b",
    ),
    rule(
        FA,
        r"\b(?:town\s+hall|city\s+council|school\s+board|board\s+of\s+supervisors|neighbou?rhood\s+council|community|public|political)\s+meetings?\b|\bpublic\s+comment\b",
    ),
    rule(
        FA,
        r"\bpress\s+conferences?\b|\b(?:journalists?|photojournalists?|reporters|news\s+crews?|press\s+credentials?)\b",
    ),
    rule(
        FA,
        r"\bfree\s+speech\b|\b(?:first|1st)\s+amendment\b|\bassembl(?:y|ies)\b|\blawful\s+(?:events?|gatherings?|activit(?:y|ies))\b",
    ),
    rule_x(
        FA,
        r"\bgatherings?\b",
        Some(r"\b(?:evidence|information|intel\w*|data|info)\s+$"),
        Some(r"^\s+(?:of\s+)?(?:evidence|information|intel\w*|data|info)\b"),
    ),
    rule(
        FA,
        r"\b(?:attendees?|participants?|audience|spectators?|crowds?|parades?)\b",
    ),
    rule(
        FA,
        r"\bblack\s+lives\s+matter\b|\bblm\b|\bantifa\b|\bmaga\b|\boccupy\b|\bpro-?(?:life|choice|palestin\w*|israel\w*)\b|\bpride\s+(?:parade|march|event|festival)s?\b",
    ),
    rule(
        FA,
        r"\b(?:political|religious|social)\s+(?:views?|beliefs?|opinions?|affiliations?|activit(?:y|ies)|groups?|organi[sz]ations?)\b|\bideolog\w*",
    ),
    rule(
        FA,
        r"\bmembers?\s+of\s+(?:an?\s+|the\s+)?(?:church|mosque|synagogue|temple|union|party|club|congregation|movement|association)\b",
    ),
    // --- Protected characteristics (NY MPTC §V.B.3) ---
    rule_x(
        PC,
        r"\brac(?:e|es|ial|ially)\b",
        Some(
            r"\b(?:street|drag|car|foot|horse|bike|speed|illegal|exhibition|motorcycle|boat|relay)[\s-]*$",
        ),
        Some(r"^[\s-]*(?:track|way|car|horse|course)"),
    ),
    rule(PC, r"\bracis(?:m|t|ts)\b|\bethnic(?:ity|ities|ally)?\b"),
    rule(
        PC,
        r"\bskin\s+(?:colou?r\w*|tone|complexion)\b|\bcomplexions?\b|\b(?:people|persons?|man|woman|men|women|individuals?|communit(?:y|ies)|folks?|youths?|kids?)\s+of\s+colou?r\b",
    ),
    rule_x(
        PC,
        r"\bcolou?r(?:ed|s)?\b",
        Some(
            r"\b(?:red|blue|green|yellow|orange|purple|pink|brown|black|white|gr[ae]y|silver|gold|tan|beige|maroon|navy|dark|light|bright|pale|multi|two|solid|same|different|what|which|paint|vehicle|car|truck|hair|eye|eyes|shirt|clothing)[\s-]*$",
        ),
        Some(
            r"^[\s-]+(?:of\s+(?:the\s+|his\s+|her\s+|their\s+|a\s+)?)?(?:vehicles?|cars?|trucks?|vans?|sedans?|suvs?|motorcycles?|bikes?|bicycles?|shirts?|hoodies?|jackets?|pants|hats?|caps?|clothing|clothes|shoes|backpacks?|bags?|photos?|photographs?|images?|pictures?|prints?|cop(?:y|ies)|scheme|paint|hair|eyes?|tattoos?|ink)\b",
        ),
    ),
    rule(
        PC,
        r"\b(?:black|white|brown)\s+(?:males?|females?|m|f|men|man|women|woman|persons?|people|individuals?|subjects?|suspects?|juveniles?|teens?|teenagers?|adults?|guys?|boys?|girls?|kids?|youths?|folks?|communit(?:y|ies)|neighbou?rhoods?|famil(?:y|ies)|couples?)\b|\b(?:blacks|whites)\b",
    ),
    rule(
        PC,
        r"\b(?:males?|females?)\s*,?\s*(?:black|white|brown)\b|\b[mf]\s*/\s*[bwha]\b|\b[bwha]\s*/\s*[mf]\b",
    ),
    rule(
        PC,
        r"\b(?:hispanics?|latin[oa]s?|latinx|latine|chican[oa]s?|asians?|caucasians?|african[\s-]americans?|africans?|afro-\w+|native\s+americans?|american\s+indians?|indigenous|pacific\s+islanders?|arabs?|middle[\s-]eastern(?:ers?)?)\b",
    ),
    rule(
        PC,
        r"\b(?:mexicans?|salvadorans?|guatemalans?|hondurans?|nicaraguans?|central\s+americans?|south\s+americans?|cubans?|puerto\s+ricans?|dominicans?|haitians?|jamaicans?|nigerians?|ethiopians?|eritreans?|somalis?|armenians?|iranians?|persians?|russians?|ukrainians?|chinese|koreans?|japanese|vietnamese|filipin[oa]s?|cambodians?|thai|indians?|pakistanis?|bangladeshis?|afghans?|syrians?|iraqis?|lebanese|palestinians?|israelis?|romani|gypsy|gypsies|gringos?)\b",
    ),
    rule(
        PC,
        r"\b(?:foreigners?|foreign\s+nationals?|nationalit(?:y|ies)|national\s+origins?|country\s+of\s+origin|ancestry|descent|immigrants?|immigration|immigrat\w*|migrants?|undocumented|illegal\s+aliens?|illegals|aliens?|deport\w*|refugees?|asylum|citizenship|non-?citizens?|green\s+cards?|visa\s+status|legal\s+status|border\s+patrol)\b|\bice\s+(?:detain\w*|holds?|agents?|raids?|requests?|enforcement|custody|officers?)\b|\bimmigration\s+and\s+customs\b|\b(?:spanish|arabic|chinese|korean|armenian|farsi|russian|non-english)[\s-]speak\w*|\baccents?\b",
    ),
    rule_x(
        PC,
        r"\b(?:religio(?:n|ns|us)|creeds?|muslims?|moslems?|islam(?:ic)?|jews?|jewish|judaism|christians?|christianity|catholics?|protestants?|evangelicals?|mormons?|hindus?|hinduism|sikhs?|sikhism|buddhists?|buddhism|atheists?|agnostics?|jehovah['’]?s?\s+witness(?:es)?|scientologists?|hijabs?|niqabs?|burqas?|burkas?|turbans?|yarmulkes?|kippahs?|kippot|headscarf|headscarves|faith)\b",
        Some(r"\b(?:good|bad)\s+$"),
        None,
    ),
    rule_x(
        PC,
        r"\bsex\b",
        Some(r"\b(?:unlawful|oral|forced|child)\s+$"),
        Some(
            r"^[\s-]*(?:offen\w*|crimes?|traffick\w*|work\w*|acts?|abuse\w*|assaults?|battery|registr\w*|predators?|tapes?|videos?|solicitation)",
        ),
    ),
    rule(
        PC,
        r"\bgenders?\b|\bsexual\s+orientation\b|\b(?:transgender\w*|transsexual\w*|trans\s+(?:wom[ae]n|m[ae]n|persons?|people|individuals?)|nonbinary|non-binary|genderqueer|gender[\s-]?fluid|intersex|cross-?dress\w*|drag\s+(?:queens?|kings?|shows?|performers?)|gay|gays|lesbians?|bisexual\w*|queer|homosexual\w*|heterosexual\w*|lgbt\w*)\b",
    ),
    rule(
        PC,
        r"\bmarital\b|\b(?:married|unmarried|divorced|divorcees?|widow(?:s|ed|er|ers)?|single\s+(?:mothers?|fathers?|parents?))\b",
    ),
    rule_x(
        PC,
        r"\b(?:disabilit(?:y|ies)|disabled|handicap\w*|wheelchairs?|blind|deaf|hard\s+of\s+hearing|mute|autis\w*|down\s+syndrome|mentally\s+(?:ill|disabled|challenged|retarded)|mental\s+(?:illness|health|disabilit\w*|disorders?)|psychiatric|schizophreni\w*|bipolar|dementia|alzheimer\w*|amputees?|paraplegic|quadriplegic|special\s+needs)\b",
        None,
        Some(r"^\s+(?:vehicles?|cars?|trucks?|alarms?|cameras?|accounts?|spots?)\b"),
    ),
    // --- Non-official purpose (NY MPTC §V.A) ---
    rule(
        NO,
        r"\bpersonal\s+(?:use|reasons?|matters?|interest|curiosity|business)\b|\bcuriosity\b|\bcurious\b|\bjust\s+(?:checking|looking|wondering)\b|\bfor\s+fun\b",
    ),
    rule(
        NO,
        r"\btest(?:ing)?\s+(?:search|query|run|only|the\s+system)\b|^\s*test(?:ing)?\b|\b(?:training|demo|demonstration|practice)\s+(?:searche?s?|purposes?|exercise|run|only)\b",
    ),
    rule(
        NO,
        r"\bex-?(?:girlfriend|boyfriend|wife|husband|partner)\b|\bmy\s+(?:neighbou?r|friend|girlfriend|boyfriend|wife|husband|ex|date|family|relative|cousin)\b|\bdating\b|\btinder\b",
    ),
    // --- Positive identification (LACRIS "Face Search Requests"; NY MPTC §IV.E.3) ---
    rule(
        PI,
        r"\bpositive(?:ly)?\s+(?:id|i\.d\b|ident\w*|match(?:es)?)\b|\b(?:definite|certain|conclusive|100\s?%)\s+(?:id|ident\w*|match)\b",
    ),
];

struct CompiledRule {
    category: Category,
    re: Regex,
    not_before: Option<Regex>,
    not_after: Option<Regex>,
    month_check: bool,
}

static COMPILED_RULES: LazyLock<Vec<CompiledRule>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|r| CompiledRule {
            category: r.category,
            re: compile(r.pattern),
            not_before: r.not_before.map(compile),
            not_after: r.not_after.map(compile),
            month_check: r.month_check,
        })
        .collect()
});

/// Context window (bytes) examined around a match for exclusions.
const CONTEXT: usize = 48;

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

/// All flagged terms in one view of the text, per category.
fn scan_flags(view: &str) -> Vec<(Category, String)> {
    let mut out = Vec::new();
    for rule in COMPILED_RULES.iter() {
        for m in rule.re.find_iter(view) {
            let before = &view[floor_boundary(view, m.start().saturating_sub(CONTEXT))..m.start()];
            let after = &view[m.end()..ceil_boundary(view, m.end() + CONTEXT)];
            if rule.not_before.as_ref().is_some_and(|x| x.is_match(before)) {
                continue;
            }
            if rule.not_after.as_ref().is_some_and(|x| x.is_match(after)) {
                continue;
            }
            if rule.month_check && is_month(before, after) {
                continue;
            }
            out.push((rule.category, m.as_str().to_owned()));
        }
    }
    out
}

/// A day number right before it ("3 March", "3rd of March").
static MONTH_DAY_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?[\s,-]*$"));
/// A day or year right after it ("March 3", "March, 2026", "March-2026").
static MONTH_NUMBER_AFTER: LazyLock<Regex> = LazyLock::new(|| compile(r"^[\s,.-]*\d"));
/// A time preposition right before it ("in March", "since March").
static MONTH_PREP_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:in|since|until|till|during|through|thru|early|late|mid|last|next|this|end\s+of|beginning\s+of|start\s+of|month\s+of|of)[\s-]+$",
    )
});
/// End of the phrase right after it ("in March,", "since March.").
static MONTH_PHRASE_END: LazyLock<Regex> = LazyLock::new(|| compile(r"^\s*(?:[,.;:)/]|$)"));

/// Does this "march" read as the month? Yes when it is next to a day or a
/// year, or when it follows a time preposition and ends the phrase. "march
/// on city hall", "during the march", "protest march" are not the month.
fn is_month(before: &str, after: &str) -> bool {
    MONTH_NUMBER_AFTER.is_match(after)
        || MONTH_DAY_BEFORE.is_match(before)
        || (MONTH_PREP_BEFORE.is_match(before) && MONTH_PHRASE_END.is_match(after))
}

static LEET_TOKEN: LazyLock<Regex> = LazyLock::new(|| compile(r"[\p{L}0-9@$!|]+"));
/// Tokens left alone by [`unleet`]: ordinals/decades ("3rd", "90s") and
/// anything with a run of three digits (reference numbers, plates).
static LEET_KEEP: LazyLock<Regex> = LazyLock::new(|| compile(r"^\d+(?:st|nd|rd|th|s)$|\d{3}"));
static SPACED_LETTERS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b\p{L}(?:[ .\-_*·]+\p{L}\b){2,}"));

/// Undo digit/symbol substitution in tokens that mix letters with digits or
/// symbols ("pr0test" → "protest"). Pure numbers are left alone.
fn unleet(lower: &str) -> String {
    LEET_TOKEN
        .replace_all(lower, |c: &regex::Captures<'_>| {
            let t = &c[0];
            let has_letter = t.chars().any(char::is_alphabetic);
            let has_sub = t.chars().any(|ch| "013457@$!|".contains(ch));
            if !(has_letter && has_sub) || LEET_KEEP.is_match(t) {
                return t.to_owned();
            }
            t.chars()
                .map(|ch| match ch {
                    '0' => 'o',
                    '1' | '!' => 'i',
                    '3' => 'e',
                    '4' | '@' => 'a',
                    '5' | '$' => 's',
                    '7' => 't',
                    '|' => 'l',
                    other => other,
                })
                .collect()
        })
        .into_owned()
}

/// Join letters written one by one ("r a c e", "p.r.o.t.e.s.t").
fn unspace(lower: &str) -> String {
    SPACED_LETTERS
        .replace_all(lower, |c: &regex::Captures<'_>| {
            c[0].chars()
                .filter(|ch| ch.is_alphabetic())
                .collect::<String>()
        })
        .into_owned()
}

fn flag_findings(lower: &str, had_bidi: bool) -> Vec<Finding> {
    let direct: BTreeSet<(Category, String)> = scan_flags(lower).into_iter().collect();
    let mut disguised: BTreeSet<(Category, String)> = BTreeSet::new();
    let mut views = vec![unleet(lower), unspace(lower), unspace(&unleet(lower))];
    if had_bidi {
        // A direction override can make "tsetorp" display as "protest".
        views.push(lower.chars().rev().collect());
    }
    for view in views {
        if view == lower {
            continue;
        }
        for hit in scan_flags(&view) {
            if !direct.contains(&hit) {
                disguised.insert(hit);
            }
        }
    }
    let all: BTreeSet<(Category, String)> = direct.union(&disguised).cloned().collect();
    let terms = |cat: Category| -> Vec<String> {
        let mut v: Vec<String> = all
            .iter()
            .filter(|(c, _)| *c == cat)
            .map(|(_, t)| format!("'{t}'"))
            .collect();
        v.dedup();
        v
    };

    let mut out = Vec::new();
    let fa = terms(FA);
    if !fa.is_empty() {
        out.push(Finding {
            code: codes::FIRST_AMENDMENT_ACTIVITY,
            message: format!(
                "Mentions {}, which may point at First-Amendment activity (protest, assembly, \
                 worship, political or union activity, the press, a lawful event). A search \
                 may not be based on religious, political or social views or activities or on \
                 taking part in a lawful event (NY MPTC §V.B.1–2). Reviewer: confirm the search \
                 is tied to specific criminal conduct by an individual before it runs.",
                fa.join(", ")
            ),
        });
    }
    let pc = terms(PC);
    if !pc.is_empty() {
        out.push(Finding {
            code: codes::PROTECTED_CHARACTERISTIC,
            message: format!(
                "Mentions {}, a protected characteristic (race, color, ethnicity, national \
                 origin, immigration status, religion or creed, sex, gender identity or \
                 expression, sexual orientation, marital status, disability). A search may not \
                 be based on these (NY MPTC §V.B.3). Reviewer: confirm the reason rests on \
                 criminal conduct or another permitted use (NY MPTC §IV.B), not on the \
                 characteristic.",
                pc.join(", ")
            ),
        });
    }
    let no = terms(NO);
    if !no.is_empty() {
        out.push(Finding {
            code: codes::NON_OFFICIAL_PURPOSE,
            message: format!(
                "Mentions {}, which suggests a personal, test or training search. Face search \
                 is for official law-enforcement purposes only (NY MPTC §V.A; LACRIS \
                 'Prohibited Uses'). Reviewer: confirm the official purpose.",
                no.join(", ")
            ),
        });
    }
    let pi = terms(PI);
    if !pi.is_empty() {
        out.push(Finding {
            code: codes::POSITIVE_IDENTIFICATION_LANGUAGE,
            message: format!(
                "Mentions {}. Face search results are investigative leads only and are never a \
                 positive identification (LACRIS 'Face Search Requests'; NY MPTC §IV.E.3). \
                 Reviewer: make sure the requester knows the result needs corroboration; \
                 requester: describe the purpose instead, e.g. 'Identify robbery suspect'.",
                pi.join(", ")
            ),
        });
    }
    if !disguised.is_empty() {
        let list: Vec<String> = disguised.iter().map(|(_, t)| format!("'{t}'")).collect();
        out.push(Finding {
            code: codes::OBFUSCATED_WORDING,
            message: format!(
                "Some words were written with digits, symbols or spacing in place of letters and \
                 were read as {}. Reviewer: check whether this was done to avoid review.",
                list.join(", ")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
