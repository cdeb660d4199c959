//! Rule 6: what is left once the reference and dates are removed must say why the search is
//! needed.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::reason::pattern::compile;

/// A run of letters.
pub(super) static WORD_RE: LazyLock<Regex> = LazyLock::new(|| compile(r"\p{L}+"));

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

/// Rule 6: the words of `residue` (the text with code sections, dates and references blanked
/// out) that state a purpose: three or more letters and not [`FILLER`].
pub(super) fn purpose_words(residue: &str) -> Vec<String> {
    WORD_RE
        .find_iter(residue)
        .map(|m| m.as_str())
        .filter(|w| w.chars().count() >= 3 && !FILLER.contains(w))
        .map(str::to_owned)
        .collect()
}
