//! Undoing disguised wording before the flag rules run again: digits and symbols in place of
//! letters ("pr0test") and letters written one by one ("r a c e").

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::reason::pattern::compile;

/// A token that may hide letters behind digits or symbols.
pub(super) static LEET_TOKEN: LazyLock<Regex> = LazyLock::new(|| compile(r"[\p{L}0-9@$!|]+"));
/// Tokens left alone by [`unleet`]: ordinals/decades ("3rd", "90s") and
/// anything with a run of three digits (reference numbers, plates).
pub(super) static LEET_KEEP: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^\d+(?:st|nd|rd|th|s)$|\d{3}"));
/// Three or more letters written one by one.
pub(super) static SPACED_LETTERS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b\p{L}(?:[ .\-_*·]+\p{L}\b){2,}"));

/// Undo digit/symbol substitution in tokens that mix letters with digits or
/// symbols ("pr0test" → "protest"). Pure numbers are left alone.
pub(super) fn unleet(lower: &str) -> String {
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
pub(super) fn unspace(lower: &str) -> String {
    SPACED_LETTERS
        .replace_all(lower, |c: &regex::Captures<'_>| {
            c[0].chars()
                .filter(|ch| ch.is_alphabetic())
                .collect::<String>()
        })
        .into_owned()
}
