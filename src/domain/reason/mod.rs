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
//!
//! # Files
//!
//! * [`assessment`]: [`assess`], the length limits and the verdict precedence;
//! * [`verdict`]: [`Verdict`], [`Finding`] and [`ReasonAssessment`];
//! * [`severity`] and [`codes`]: finding codes and how much each weighs;
//! * [`normalise`] and [`confusables`]: rule 1, text normalisation and look-alike letters;
//! * [`references`]: rules 4 and 5, code sections, dates and reference numbers;
//! * [`purpose`]: rule 6, words that state a purpose;
//! * [`rules`], [`obfuscation`] and [`flags`]: rule 7, the reviewer-flag patterns, undoing
//!   disguised wording and the flag findings;
//! * [`pattern`]: compiling the built-in regular expressions.

pub mod assessment;
pub mod codes;
pub mod confusables;
pub mod flags;
pub mod normalise;
pub mod obfuscation;
pub mod pattern;
pub mod purpose;
pub mod references;
pub mod rules;
pub mod severity;
pub mod verdict;

pub use assessment::{MAX_REASON_CHARS, MAX_SCAN_CHARS, assess};
pub use references::{Reference, ReferenceKind};
pub use severity::Severity;
pub use verdict::{Finding, ReasonAssessment, Verdict};

#[cfg(test)]
mod tests;
