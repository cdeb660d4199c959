//! Text in the PDF built-in fonts (Helvetica, Helvetica-Bold, Courier): which face, how wide a
//! string is set, and which characters the fonts can show.
//!
//! The built-in fonts need no font files and use WinAnsi encoding: characters outside it are
//! printed as "?" ([`printable`] says when that happened). Widths come from the metrics of
//! printpdf's bundled Helvetica-compatible faces, with a small safety margin
//! ([`WIDTH_SAFETY`]).

use std::collections::HashMap;

use printpdf::BuiltinFont;

/// Measured widths are multiplied by this before comparing with the line width, so a viewer
/// substituting a slightly wider Helvetica never pushes text past the margin.
pub const WIDTH_SAFETY: f32 = 1.04;

/// One of the three built-in faces the documents use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
    /// Courier (fixed width), for hashes and identifiers.
    Mono,
}

impl Face {
    /// The PDF built-in font of this face.
    pub fn builtin(self) -> BuiltinFont {
        match self {
            Face::Regular => BuiltinFont::Helvetica,
            Face::Bold => BuiltinFont::HelveticaBold,
            Face::Mono => BuiltinFont::Courier,
        }
    }
}

/// Advance widths in em, per character.
struct Metrics {
    widths: HashMap<char, f32>,
    fallback: f32,
}

impl Metrics {
    fn builtin(font: BuiltinFont, fallback: f32) -> Metrics {
        let mut widths = HashMap::new();
        if let Some(parsed) = font.get_parsed_font() {
            let upem = f32::from(parsed.units_per_em.max(1));
            for c in (0x20u8..=0x7E)
                .map(char::from)
                .chain(WINANSI_HIGH.iter().copied())
            {
                if let Some(w) = parsed
                    .lookup_glyph_index(c as u32)
                    .and_then(|g| parsed.get_glyph_width(g))
                {
                    widths.insert(c, f32::from(w) / upem);
                }
            }
        }
        Metrics { widths, fallback }
    }

    fn fixed(width: f32) -> Metrics {
        Metrics {
            widths: HashMap::new(),
            fallback: width,
        }
    }

    fn em(&self, c: char) -> f32 {
        self.widths.get(&c).copied().unwrap_or(self.fallback)
    }
}

/// Width metrics of the three faces, loaded once per document.
pub struct Fonts {
    regular: Metrics,
    bold: Metrics,
    mono: Metrics,
}

impl Fonts {
    /// Reads the metrics of printpdf's bundled faces (Courier is fixed at 0.6 em).
    pub fn load() -> Fonts {
        Fonts {
            // Fallbacks: a wide-ish Helvetica glyph, so an unknown width never overflows.
            regular: Metrics::builtin(BuiltinFont::Helvetica, 0.667),
            bold: Metrics::builtin(BuiltinFont::HelveticaBold, 0.722),
            mono: Metrics::fixed(0.6),
        }
    }

    /// Width of `s` set in `face` at `size` points, in points, including [`WIDTH_SAFETY`].
    pub fn width(&self, face: Face, size: f32, s: &str) -> f32 {
        let m = match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
            Face::Mono => &self.mono,
        };
        s.chars().map(|c| m.em(c)).sum::<f32>() * size * WIDTH_SAFETY
    }
}

/// Characters WinAnsiEncoding has above ASCII (0x80–0x9F typographic ones and Latin-1).
const WINANSI_HIGH: &[char] = &[
    '€', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 'Ž', '‘', '’', '“', '”', '•', '–',
    '—', '˜', '™', 'š', '›', 'œ', 'ž', 'Ÿ', '\u{A0}', '¡', '¢', '£', '¤', '¥', '¦', '§', '¨', '©',
    'ª', '«', '¬', '\u{AD}', '®', '¯', '°', '±', '²', '³', '´', 'µ', '¶', '·', '¸', '¹', 'º', '»',
    '¼', '½', '¾', '¿', 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'Æ', 'Ç', 'È', 'É', 'Ê', 'Ë', 'Ì', 'Í', 'Î',
    'Ï', 'Ð', 'Ñ', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', '×', 'Ø', 'Ù', 'Ú', 'Û', 'Ü', 'Ý', 'Þ', 'ß', 'à', 'á',
    'â', 'ã', 'ä', 'å', 'æ', 'ç', 'è', 'é', 'ê', 'ë', 'ì', 'í', 'î', 'ï', 'ð', 'ñ', 'ò', 'ó', 'ô',
    'õ', 'ö', '÷', 'ø', 'ù', 'ú', 'û', 'ü', 'ý', 'þ', 'ÿ',
];

fn is_winansi(c: char) -> bool {
    (' '..='~').contains(&c) || WINANSI_HIGH.contains(&c)
}

/// Text the built-in fonts can show: tabs become spaces, other control characters (except
/// line breaks) are dropped, a few common characters get ASCII stand-ins, anything else
/// outside WinAnsi becomes "?". The flag says whether anything became "?".
pub fn printable(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len());
    let mut replaced = false;
    for c in s.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            '\r' => {}
            c if c.is_control() => {}
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2212}' => out.push('-'),
            '\u{2192}' => out.push_str("->"),
            '\u{2264}' => out.push_str("<="),
            '\u{2265}' => out.push_str(">="),
            '\u{2032}' => out.push('\''),
            '\u{2033}' => out.push('"'),
            '\u{200B}' | '\u{FEFF}' => {}
            c if is_winansi(c) => out.push(c),
            _ => {
                out.push('?');
                replaced = true;
            }
        }
    }
    (out, replaced)
}

/// `s` cut with "..." so that it fits `width` points in `face` at `size` points (header lines
/// only; the body wraps instead).
pub fn fit(fonts: &Fonts, face: Face, size: f32, s: &str, width: f32) -> String {
    if fonts.width(face, size, s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        let mut t = out.clone();
        t.push(c);
        t.push_str("...");
        if fonts.width(face, size, &t) > width {
            break;
        }
        out.push(c);
    }
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_keeps_winansi_and_flags_the_rest() {
        assert_eq!(
            printable("Café — “x”\tz"),
            ("Café — “x” z".to_string(), false)
        );
        let (s, r) = printable("Иван");
        assert_eq!(s, "????");
        assert!(r);
        assert_eq!(printable("a\u{2212}b\r\n").0, "a-b\n");
    }

    #[test]
    fn metrics_come_from_the_bundled_fonts() {
        let fonts = Fonts::load();
        // Helvetica: "i" is much narrower than "W"; Courier is fixed.
        assert!(fonts.width(Face::Regular, 10.0, "i") < fonts.width(Face::Regular, 10.0, "W"));
        assert!(!fonts.regular.widths.is_empty());
        assert!(!fonts.bold.widths.is_empty());
    }
}
