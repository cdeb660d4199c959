//! How a typed word of the history search is matched: exactly, with typos, or as a prefix.
//! Pure rules, no I/O; [`crate::history::query`] applies them.
//!
//! - A word holding a digit is an identifier — a case number (`FR-2026-000123`), a booking
//!   number (`BK#4412345`), a case/file number, a penal code section — and is matched exactly,
//!   never with typos and never as a prefix: a case number one digit off is another case.
//! - A word ending in `*` (`ident*`, at least 2 letters) matches every word it begins.
//! - Other words tolerate typos (Damerau–Levenshtein: a transposition counts as one edit):
//!   words of 1–3 letters none, 4–7 letters 1 edit, 8 letters or more 2 edits.
//! - Typos and prefixes apply in the text fields (agency, requester, search reason, timeline
//!   and decisions, examiner notes), never in the case-number or case/file-number field; a
//!   word under `-` (exclusion) and words in `"phrases"` or `field:` stay exact.

use crate::history::schema::Fields;
use tantivy::schema::Field;

/// Shortest word matched with one typo.
pub const ONE_EDIT_FROM: usize = 4;
/// Shortest word matched with two typos.
pub const TWO_EDITS_FROM: usize = 8;
/// Shortest prefix (letters before the `*`).
pub const PREFIX_FROM: usize = 2;

/// How one word is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordMatch {
    Exact,
    /// Up to this many edits.
    Fuzzy(u8),
    Prefix,
}

/// Whether `word` is an identifier (holds a digit): matched exactly.
pub fn is_identifier(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
}

/// The rule for `word` (without its trailing `*`); `prefix` when the user typed a `*`.
pub fn rule(word: &str, prefix: bool) -> WordMatch {
    if is_identifier(word) {
        return WordMatch::Exact;
    }
    let n = word.chars().filter(|c| c.is_alphanumeric()).count();
    if prefix {
        return if n >= PREFIX_FROM {
            WordMatch::Prefix
        } else {
            WordMatch::Exact
        };
    }
    if n >= TWO_EDITS_FROM {
        WordMatch::Fuzzy(2)
    } else if n >= ONE_EDIT_FROM {
        WordMatch::Fuzzy(1)
    } else {
        WordMatch::Exact
    }
}

/// Whether typos and prefixes apply in `field` (text fields; never the numbers).
pub fn tolerant_field(f: &Fields, field: Field) -> bool {
    field != f.case_number && field != f.file_number
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_stay_exact() {
        for w in ["FR-2026-000123", "BK#4412345", "123-89765-0123-41X", "211"] {
            assert_eq!(rule(w, false), WordMatch::Exact, "{w}");
            assert_eq!(rule(w, true), WordMatch::Exact, "{w}");
        }
    }

    #[test]
    fn longer_words_tolerate_more_typos() {
        assert_eq!(rule("rob", false), WordMatch::Exact);
        assert_eq!(rule("fraud", false), WordMatch::Fuzzy(1));
        assert_eq!(rule("robbery", false), WordMatch::Fuzzy(1));
        assert_eq!(rule("Quillfeather", false), WordMatch::Fuzzy(2));
        assert_eq!(rule("ident", true), WordMatch::Prefix);
        assert_eq!(rule("i", true), WordMatch::Exact);
    }
}
