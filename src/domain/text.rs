//! The one place user text is cleaned before it is stored: every field a person types (web
//! forms, the request form, the command line) passes through [`single_line`] or
//! [`multi_line`] at the boundary where it enters the desk.
//!
//! Removed, because they are invisible or change how *other* text displays (a name that reads
//! backwards in an email, a NUL that cuts a field short in another program):
//! - C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F). A tab becomes a space. In a
//!   multi-line field `\r\n` and a lone `\r` become `\n` and `\n` is kept; in a single-line
//!   field every line break becomes a space. U+2028/U+2029 are line breaks too.
//! - Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates
//!   (U+2066–U+2069) and the marks U+200E, U+200F and U+061C.
//! - Other invisible format characters: zero-width space U+200B, word joiner U+2060, the
//!   invisible operators U+2061–U+2064, the byte-order mark U+FEFF, and interlinear
//!   annotation U+FFF9–U+FFFB.
//! - Zero-width non-joiner U+200C and joiner U+200D, *except* between two characters of a
//!   script that needs them to spell a word (Arabic script — Persian `می‌خواهم` —, Syriac,
//!   N'Ko, the Indic scripts Devanagari to Sinhala, Tibetan, Myanmar, Khmer). A joiner between
//!   Latin letters, at a word's edge or doubled is removed.
//!
//! Kept: everything else, including letters of every script, combining marks, emoji (a ZWJ
//! emoji sequence shows as its parts) and ordinary spaces (runs of spaces are the parser's
//! business, not this module's).
//!
//! Source: Unicode TR #9 (bidi controls), TR #31 §2.3 (where ZWJ/ZWNJ are needed), the
//! Trojan Source paper (CVE-2021-42574).

/// Cleans a single-line field (a name, a number, an email address, a one-line reason): see
/// the module documentation for what is removed. Line breaks and tabs become spaces; nothing
/// is trimmed.
pub fn single_line(s: &str) -> String {
    clean(s, false)
}

/// Cleans a multi-line field (a comment, notes, findings): as [`single_line`], but line breaks
/// are kept, each as `\n` (`\r\n`, `\r`, U+2028 and U+2029 included).
pub fn multi_line(s: &str) -> String {
    clean(s, true)
}

/// Whether `s` is unchanged by [`multi_line`], i.e. holds nothing this module removes.
pub fn is_clean(s: &str) -> bool {
    multi_line(s) == s
}

fn clean(s: &str, keep_newlines: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\r' | '\n' | '\u{2028}' | '\u{2029}' | '\u{0B}' | '\u{0C}' | '\u{85}' => {
                // `\r\n` is one line break.
                if c == '\r' && chars.get(i + 1) == Some(&'\n') {
                    i += 1;
                }
                out.push(if keep_newlines { '\n' } else { ' ' });
            }
            '\t' => out.push(' '),
            '\u{200C}' | '\u{200D}' => {
                let before = out.chars().next_back();
                let after = chars.get(i + 1).copied();
                if before.is_some_and(needs_joiners) && after.is_some_and(needs_joiners) {
                    out.push(c);
                }
            }
            c if is_removed(c) => {}
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Control, bidi and invisible format characters that are always removed.
fn is_removed(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// A character (letter, sign or mark) of a script whose spelling uses ZWJ/ZWNJ.
fn needs_joiners(c: char) -> bool {
    !c.is_whitespace()
        && matches!(
            c,
            '\u{0600}'..='\u{06FF}'   // Arabic (Persian, Urdu, Pashto)
                | '\u{0700}'..='\u{074F}' // Syriac
                | '\u{0750}'..='\u{077F}' // Arabic Supplement
                | '\u{07C0}'..='\u{07FF}' // N'Ko
                | '\u{0870}'..='\u{08FF}' // Arabic Extended-B and -A
                | '\u{0900}'..='\u{0DFF}' // Devanagari … Sinhala
                | '\u{0F00}'..='\u{0FFF}' // Tibetan
                | '\u{1000}'..='\u{109F}' // Myanmar
                | '\u{1780}'..='\u{17FF}' // Khmer
                | '\u{A8E0}'..='\u{A8FF}' // Devanagari Extended
                | '\u{FB50}'..='\u{FDFF}' // Arabic Presentation Forms-A
                | '\u{FE70}'..='\u{FEFE}' // Arabic Presentation Forms-B
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_zwnj_survives() {
        let s = "می\u{200C}خواهم";
        assert_eq!(single_line(s), s);
        assert_eq!(multi_line(s), s);
        assert!(is_clean(s));
    }

    #[test]
    fn devanagari_zwj_and_zwnj_survive() {
        // क्‍ष (half form with ZWJ) and क्‌ष (explicit virama with ZWNJ).
        let zwj = "\u{0915}\u{094D}\u{200D}\u{0937}";
        let zwnj = "\u{0915}\u{094D}\u{200C}\u{0937}";
        assert_eq!(single_line(zwj), zwj);
        assert_eq!(single_line(zwnj), zwnj);
        let name = "राम\u{200D}कुमार";
        assert_eq!(single_line(name), name);
    }

    #[test]
    fn joiners_outside_those_scripts_are_removed() {
        assert_eq!(single_line("Jo\u{200D}hn"), "John");
        assert_eq!(single_line("Jo\u{200C}hn"), "John");
        // At a word's edge, between a Persian and a Latin letter, or doubled.
        assert_eq!(single_line("\u{200C}می"), "می");
        assert_eq!(single_line("می\u{200C} x"), "می x");
        assert_eq!(single_line("ی\u{200C}a"), "یa");
        assert_eq!(single_line("ی\u{200C}\u{200C}خ"), "ی\u{200C}خ");
    }

    #[test]
    fn bidi_controls_are_removed() {
        assert_eq!(single_line("abc\u{202E}fed"), "abcfed");
        assert_eq!(single_line("\u{2066}x\u{2069}y"), "xy");
        assert_eq!(multi_line("a\u{202A}\u{202B}\u{202C}\u{202D}b"), "ab");
        assert_eq!(single_line("a\u{200E}\u{200F}\u{061C}b"), "ab");
        assert!(!is_clean("a\u{202E}b"));
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(single_line("Ro\u{0}bbery\u{7}"), "Robbery");
        assert_eq!(multi_line("a\u{1B}[31mb\u{9B}c\u{7F}"), "a[31mbc");
        assert_eq!(single_line("a\u{200B}b\u{FEFF}c\u{2060}d"), "abcd");
    }

    #[test]
    fn line_breaks_and_tabs() {
        assert_eq!(
            multi_line("one\r\ntwo\rthree\nfour"),
            "one\ntwo\nthree\nfour"
        );
        assert_eq!(multi_line("a\u{2028}b"), "a\nb");
        assert_eq!(single_line("one\r\ntwo\nthree"), "one two three");
        assert_eq!(single_line("a\tb"), "a b");
        assert_eq!(multi_line("a\tb"), "a b");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        for s in [
            "Robbery at 5th & Main, suspect \"J. Doe\" — 2026-03-01",
            "Ünïcödé, 日本語, Ελληνικά, עברית, العربية",
            "👩\u{200D}💻",
        ] {
            let once = single_line(s);
            assert_eq!(single_line(&once), once, "idempotent");
        }
        assert_eq!(
            single_line("Robbery at 5th & Main"),
            "Robbery at 5th & Main"
        );
        assert_eq!(single_line("עברית, العربية"), "עברית, العربية");
    }
}
