//! Rule 1: text normalisation before any matching (line breaks, invisible characters, NFKC,
//! diacritics, look-alike letters, whitespace).

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::domain::reason::confusables::fold_confusable;
use crate::domain::reason::pattern::compile;

/// A reason after rule 1, and what the normalisation did to it.
pub(super) struct Normalised {
    /// Case preserved, whitespace collapsed, trimmed.
    pub(super) text: String,
    /// How many invisible or control characters were removed.
    pub(super) removed_invisible: usize,
    /// Compatibility (NFKC) or look-alike characters were folded.
    pub(super) folded: bool,
    /// Bidi override/embedding/isolate controls were present: the text may
    /// *display* in a different order than it is stored.
    pub(super) had_bidi: bool,
}

/// Line breaks and tabs, which become spaces.
pub(super) static LINE_BREAKS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"[\t\n\r\x0B\x0C\u{85}\u{2028}\u{2029}]"));

/// Control (Cc), format (Cf: zero-width, bidi, soft hyphen, tags), private use,
/// unassigned, variation selectors, Hangul fillers and the braille blank.
pub(super) static INVISIBLE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"[\p{Cc}\p{Cf}\p{Co}\p{Cn}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}\u{115F}\u{1160}\u{3164}\u{FFA0}\u{2800}\u{034F}]",
    )
});

/// Rule 1: normalise a reason before any matching (see [`crate::domain::reason`]).
pub(super) fn normalise(input: &str) -> Normalised {
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
