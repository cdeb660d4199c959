//! Stable finding codes and their severities.

use crate::domain::reason::severity::Severity;

/// Blocking: nothing left after removing whitespace/invisible characters.
pub const EMPTY: &str = "empty";
/// Blocking: longer than
/// [`MAX_REASON_CHARS`](crate::domain::reason::assessment::MAX_REASON_CHARS).
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
