//! Page layout: a small flow engine over printpdf's operation lists.
//!
//! Text is set in the PDF built-in fonts (Helvetica, Helvetica-Bold, Courier), which need no
//! font files and use WinAnsi encoding: characters outside it are printed as "?" and a note
//! says so. Lines are wrapped greedily by measured width (metrics of printpdf's bundled
//! Helvetica-compatible faces, with a small safety margin) and pages break line by line.
//! Images float on the left with text beside them.

use std::collections::HashMap;
use std::io::Cursor;

use image::{ImageReader, Limits};
use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, RawImage, RawImageData, RawImageFormat, Rect,
    Rgb, TextItem, XObjectId, XObjectTransform,
};

use crate::platform::pdf::PacketError;
use crate::result::packet::{
    BANNER, CAVEAT, CAVEAT_SOURCE, CandidateInfo, LeadPacket, MAX_EMBED_PIXELS,
    MAX_PACKET_ID_CHARS, NO_LEAD_TEXT, PacketResult,
};

// US Letter, in points.
const PAGE_W: f32 = 612.0;
const PAGE_H: f32 = 792.0;
const MARGIN_X: f32 = 54.0;
const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const BODY_TOP: f32 = 722.0;
const BODY_BOTTOM: f32 = 76.0;
/// Measured widths are multiplied by this before comparing with the line width, so a viewer
/// substituting a slightly wider Helvetica never pushes text past the margin.
const WIDTH_SAFETY: f32 = 1.04;

/// Render `p` as an unsigned PDF (US Letter pages).
///
/// Returns the complete file. Errors: [`PacketError::Invalid`] when the packet breaks a rule
/// (empty case number or packet id, packet id longer than [`MAX_PACKET_ID_CHARS`] or with
/// control characters, no probe, no examiner, a single examiner without
/// `single_examiner_note`), [`PacketError::Image`] when an image does not decode,
/// [`PacketError::Pdf`] when the PDF library fails.
pub fn render(p: &LeadPacket) -> Result<Vec<u8>, PacketError> {
    check(p)?;
    let mut doc = PdfDocument::new(&format!("Lead packet {}", p.packet_id));
    let fonts = Fonts::load();
    let mut flow = Flow::new(&fonts);

    body(&mut flow, &mut doc, p)?;

    let total = flow.pages.len();
    let pages: Vec<PdfPage> = std::mem::take(&mut flow.pages)
        .into_iter()
        .enumerate()
        .map(|(i, body_ops)| {
            let mut ops = page_frame(&fonts, p, i + 1, total);
            ops.extend(body_ops);
            PdfPage::new(Pt(PAGE_W).into(), Pt(PAGE_H).into(), ops)
        })
        .collect();
    doc.with_pages(pages);

    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    let errors: Vec<String> = warnings
        .iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg.clone())
        .collect();
    if !errors.is_empty() {
        return Err(PacketError::Pdf(errors.join("; ")));
    }

    // Our own Info dictionary: printpdf's carries epoch dates and PDF/X keys.
    let now = chrono::Utc::now()
        .format("D:%Y%m%d%H%M%S+00'00'")
        .to_string();
    let info = Dictionary::from_iter(vec![
        (
            "Title",
            lopdf::text_string(&format!("Investigative lead packet {}", p.packet_id)),
        ),
        (
            "Subject",
            lopdf::text_string(&format!(
                "Face search result for case {} - investigative lead only, not a positive identification",
                p.case_number
            )),
        ),
        ("Author", lopdf::text_string(&p.issuer)),
        ("Creator", lopdf::text_string("frdesk")),
        (
            "Producer",
            lopdf::text_string("frdesk packet module (printpdf)"),
        ),
        (
            "CreationDate",
            Object::String(now.clone().into_bytes(), StringFormat::Literal),
        ),
        (
            "ModDate",
            Object::String(now.into_bytes(), StringFormat::Literal),
        ),
        ("FrdeskPacketId", hex_text(&p.packet_id)),
        ("FrdeskCase", hex_text(&p.case_number)),
    ]);
    let info_id = lo.add_object(Object::Dictionary(info));
    lo.trailer.set("Info", Object::Reference(info_id));
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| PacketError::Pdf(e.to_string()))?;
    Ok(out)
}

/// A PDF text string as a hex string: PDFDocEncoding for ASCII, UTF-16BE with BOM otherwise.
fn hex_text(s: &str) -> Object {
    let bytes = if s.is_ascii() {
        s.as_bytes().to_vec()
    } else {
        let mut b = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        b
    };
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn check(p: &LeadPacket) -> Result<(), PacketError> {
    let invalid = |m: &str| Err(PacketError::Invalid(m.to_string()));
    if p.case_number.trim().is_empty() {
        return invalid("the case number is empty");
    }
    if p.packet_id.trim().is_empty() {
        return invalid("the packet id is empty");
    }
    if p.packet_id.chars().count() > MAX_PACKET_ID_CHARS {
        return invalid("the packet id is longer than 64 characters");
    }
    if p.packet_id.chars().any(char::is_control) {
        return invalid("the packet id contains control characters");
    }
    if p.probes.is_empty() {
        return invalid("there is no probe image");
    }
    if matches!(&p.result, PacketResult::PossibleLead(cs) if cs.is_empty()) {
        return invalid("a possible-lead result names no candidate");
    }
    if matches!(p.result, PacketResult::NoSearchableFace) {
        // Nothing was searched, so nobody can have examined anything.
        if !p.examiners.is_empty() {
            return invalid("a no-search result lists an examiner's review");
        }
        return Ok(());
    }
    if p.examiners.is_empty() {
        return invalid("no examiner's review is recorded");
    }
    if p.examiners.len() < 2
        && p.single_examiner_note
            .as_deref()
            .is_none_or(|n| n.trim().is_empty())
    {
        return invalid(
            "only one examiner reviewed the result and no single-examiner note says why policy allowed it",
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fonts and text

#[derive(Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
    Mono,
}

impl Face {
    fn builtin(self) -> BuiltinFont {
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

struct Fonts {
    regular: Metrics,
    bold: Metrics,
    mono: Metrics,
}

impl Fonts {
    fn load() -> Fonts {
        Fonts {
            // Fallbacks: a wide-ish Helvetica glyph, so an unknown width never overflows.
            regular: Metrics::builtin(BuiltinFont::Helvetica, 0.667),
            bold: Metrics::builtin(BuiltinFont::HelveticaBold, 0.722),
            mono: Metrics::fixed(0.6),
        }
    }

    fn width(&self, face: Face, size: f32, s: &str) -> f32 {
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
fn printable(s: &str) -> (String, bool) {
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

// ---------------------------------------------------------------------------------------------
// The flow

#[derive(Clone, Copy)]
struct Style {
    face: Face,
    size: f32,
    leading: f32,
    color: (f32, f32, f32),
}

const BODY: Style = Style {
    face: Face::Regular,
    size: 10.0,
    leading: 13.5,
    color: (0.0, 0.0, 0.0),
};
const BODY_BOLD: Style = Style {
    face: Face::Bold,
    ..BODY
};
const SMALL: Style = Style {
    face: Face::Regular,
    size: 8.5,
    leading: 11.0,
    color: (0.2, 0.2, 0.2),
};
const MONO: Style = Style {
    face: Face::Mono,
    size: 8.0,
    leading: 11.0,
    color: (0.0, 0.0, 0.0),
};
const HEADING: Style = Style {
    face: Face::Bold,
    size: 12.5,
    leading: 17.0,
    color: (0.0, 0.0, 0.0),
};
const TITLE: Style = Style {
    face: Face::Bold,
    size: 16.0,
    leading: 21.0,
    color: (0.0, 0.0, 0.0),
};
const DARK_RED: (f32, f32, f32) = (0.6, 0.0, 0.0);

/// An image on the left with text beside it: lines whose top is above `bottom` start at
/// `indent` points from the margin.
#[derive(Clone, Copy)]
struct Float {
    indent: f32,
    bottom: f32,
}

struct Flow<'a> {
    fonts: &'a Fonts,
    /// Body operations of each page; never empty.
    pages: Vec<Vec<Op>>,
    /// Top of the next line, in points from the bottom of the page.
    y: f32,
    float: Option<Float>,
    /// Whether any character had to be printed as "?".
    replaced: bool,
}

impl<'a> Flow<'a> {
    fn new(fonts: &'a Fonts) -> Flow<'a> {
        Flow {
            fonts,
            pages: vec![Vec::new()],
            y: BODY_TOP,
            float: None,
            replaced: false,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = BODY_TOP;
        self.float = None;
    }

    /// Start a new page unless `h` points fit below the cursor.
    fn ensure(&mut self, h: f32) {
        if self.y - h < BODY_BOTTOM && self.y < BODY_TOP {
            self.new_page();
        }
    }

    fn space(&mut self, h: f32) {
        self.y -= h;
    }

    /// Left edge and width available for a line starting at the cursor.
    fn column(&self) -> (f32, f32) {
        match self.float {
            Some(f) if self.y > f.bottom + 1.0 => (MARGIN_X + f.indent, BODY_W - f.indent),
            _ => (MARGIN_X, BODY_W),
        }
    }

    /// Move below a floating image.
    fn clear_float(&mut self) {
        if let Some(f) = self.float.take() {
            self.y = self.y.min(f.bottom);
        }
    }

    fn text_at(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        let (r, g, b) = style.color;
        let font = PdfFontHandle::Builtin(style.face.builtin());
        let ops = self.ops();
        ops.extend(text_ops(x, baseline, style.size, font, (r, g, b), text));
    }

    /// A wrapped paragraph; `\n` starts a new line, an empty line leaves a blank line.
    fn paragraph(&mut self, text: &str, style: Style) {
        self.paragraph_indented(text, style, 0.0);
    }

    fn paragraph_indented(&mut self, text: &str, style: Style, indent: f32) {
        let (text, replaced) = printable(text);
        self.replaced |= replaced;
        for para in text.split('\n') {
            let mut words: Vec<String> = para.split_whitespace().map(str::to_string).collect();
            if words.is_empty() {
                self.ensure(style.leading);
                self.y -= style.leading;
                continue;
            }
            words.reverse(); // pop from the end = next word
            while !words.is_empty() {
                self.ensure(style.leading);
                let (x, w) = self.column();
                let x = x + indent;
                let w = w - indent;
                let line = self.take_line(&mut words, style, w);
                let baseline = self.y - style.size * 0.85;
                self.text_at(x, baseline, style, &line);
                self.y -= style.leading;
            }
        }
    }

    /// Take as many words as fit in `width`; a word wider than a line is split.
    fn take_line(&self, words: &mut Vec<String>, style: Style, width: f32) -> String {
        let mut line = String::new();
        while let Some(word) = words.pop() {
            let candidate = if line.is_empty() {
                word.clone()
            } else {
                format!("{line} {word}")
            };
            if self.fonts.width(style.face, style.size, &candidate) <= width {
                line = candidate;
                continue;
            }
            if line.is_empty() {
                // One word wider than the line: cut it where it stops fitting (at least one char).
                let mut head = String::new();
                let mut rest = word.chars().peekable();
                while let Some(&c) = rest.peek() {
                    let mut try_head = head.clone();
                    try_head.push(c);
                    if !head.is_empty()
                        && self.fonts.width(style.face, style.size, &try_head) > width
                    {
                        break;
                    }
                    head = try_head;
                    rest.next();
                }
                let tail: String = rest.collect();
                if !tail.is_empty() {
                    words.push(tail);
                }
                return head;
            }
            words.push(word);
            break;
        }
        line
    }

    /// A label in bold with its value wrapped beside it.
    fn field(&mut self, label: &str, value: &str, label_w: f32) {
        let value = if value.trim().is_empty() {
            "(not recorded)"
        } else {
            value
        };
        let (value, replaced) = printable(value);
        self.replaced |= replaced;
        let mut first = true;
        for para in value.split('\n') {
            let mut words: Vec<String> = para.split_whitespace().map(str::to_string).collect();
            words.reverse();
            if words.is_empty() {
                self.y -= BODY.leading;
                continue;
            }
            while !words.is_empty() {
                self.ensure(BODY.leading);
                let (x, w) = self.column();
                let baseline = self.y - BODY.size * 0.85;
                if first {
                    let (l, r) = printable(label);
                    self.replaced |= r;
                    self.text_at(x, baseline, BODY_BOLD, &l);
                    first = false;
                }
                let line = self.take_line(&mut words, BODY, w - label_w);
                self.text_at(x + label_w, baseline, BODY, &line);
                self.y -= BODY.leading;
            }
        }
    }

    fn heading(&mut self, text: &str) {
        self.clear_float();
        // Keep a heading with at least three lines of what follows.
        self.ensure(HEADING.leading + 8.0 + 3.0 * BODY.leading);
        self.space(6.0);
        let baseline = self.y - HEADING.size * 0.85;
        self.text_at(MARGIN_X, baseline, HEADING, text);
        self.y -= HEADING.leading;
        let y = self.y + 2.0;
        self.ops()
            .extend(rule(MARGIN_X, MARGIN_X + BODY_W, y, 0.6, (0.4, 0.4, 0.4)));
        self.space(5.0);
    }

    /// Place an image at the left margin, scaled to fit `max_w` × `max_h` points, with a thin
    /// frame; following text flows beside it until [`Flow::clear_float`].
    fn float_image(&mut self, img: &Embedded, max_w: f32, max_h: f32) {
        let (w, h) = img.fit(max_w, max_h);
        self.ensure(h + 4.0);
        let bottom = self.y - h;
        let scale = w / img.width as f32;
        self.ops().push(Op::UseXobject {
            id: img.id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(MARGIN_X)),
                translate_y: Some(Pt(bottom)),
                scale_x: Some(scale),
                scale_y: Some(scale),
                dpi: Some(72.0),
                ..Default::default()
            },
        });
        self.ops()
            .extend(frame(MARGIN_X, bottom, w, h, 0.5, (0.3, 0.3, 0.3)));
        self.float = Some(Float {
            indent: w + 14.0,
            bottom: bottom - 6.0,
        });
    }
}

fn text_ops(
    x: f32,
    baseline: f32,
    size: f32,
    font: PdfFontHandle,
    (r, g, b): (f32, f32, f32),
    text: &str,
) -> Vec<Op> {
    vec![
        Op::StartTextSection,
        Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r,
                g,
                b,
                icc_profile: None,
            }),
        },
        Op::SetFont {
            font,
            size: Pt(size),
        },
        Op::SetTextCursor {
            pos: Point {
                x: Pt(x),
                y: Pt(baseline),
            },
        },
        Op::ShowText {
            items: vec![TextItem::Text(text.to_string())],
        },
        Op::EndTextSection,
    ]
}

fn stroke_color((r, g, b): (f32, f32, f32)) -> Op {
    Op::SetOutlineColor {
        col: Color::Rgb(Rgb {
            r,
            g,
            b,
            icc_profile: None,
        }),
    }
}

fn rule(x0: f32, x1: f32, y: f32, thickness: f32, color: (f32, f32, f32)) -> Vec<Op> {
    vec![
        Op::SaveGraphicsState,
        stroke_color(color),
        Op::SetOutlineThickness { pt: Pt(thickness) },
        Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: Point {
                            x: Pt(x0),
                            y: Pt(y),
                        },
                        bezier: false,
                    },
                    LinePoint {
                        p: Point {
                            x: Pt(x1),
                            y: Pt(y),
                        },
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        },
        Op::RestoreGraphicsState,
    ]
}

fn frame(x: f32, y: f32, w: f32, h: f32, thickness: f32, color: (f32, f32, f32)) -> Vec<Op> {
    let mut rect = Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h));
    rect.mode = Some(PaintMode::Stroke);
    vec![
        Op::SaveGraphicsState,
        stroke_color(color),
        Op::SetOutlineThickness { pt: Pt(thickness) },
        Op::DrawRectangle { rectangle: rect },
        Op::RestoreGraphicsState,
    ]
}

/// Header and footer of page `n` of `total`.
/// A plain text document (e.g. a monthly audit report) in the packets' page layout: a banner
/// on every page, header and footer lines, "Page x of y". Rendered by [`render_document`].
#[derive(Debug, Clone)]
pub struct PlainDocument {
    /// PDF title (document information dictionary).
    pub title: String,
    /// Top and bottom line of every page, e.g. "LAW ENFORCEMENT SENSITIVE — AUDIT RECORD".
    pub banner: String,
    pub header_left: String,
    pub header_right: String,
    pub footer_left: String,
    pub author: String,
    pub blocks: Vec<Block>,
}

/// One element of a [`PlainDocument`], laid out top to bottom (wrapped, page-broken).
#[derive(Debug, Clone)]
pub enum Block {
    Title(String),
    Heading(String),
    Paragraph(String),
    /// Bold paragraph (e.g. a flagged item).
    Strong(String),
    /// Label and value in two columns.
    Field(String, String),
    /// Small print.
    Small(String),
    Space,
}

/// Renders `d` as an unsigned PDF (US Letter). Errors: [`PacketError::Pdf`] when the PDF
/// library fails.
pub fn render_document(d: &PlainDocument) -> Result<Vec<u8>, PacketError> {
    let mut doc = PdfDocument::new(&d.title);
    let fonts = Fonts::load();
    let mut flow = Flow::new(&fonts);
    for b in &d.blocks {
        match b {
            Block::Title(t) => flow.paragraph(t, TITLE),
            Block::Heading(t) => flow.heading(t),
            Block::Paragraph(t) => flow.paragraph(t, BODY),
            Block::Strong(t) => flow.paragraph(t, BODY_BOLD),
            Block::Field(l, v) => flow.field(l, v, 150.0),
            Block::Small(t) => flow.paragraph(t, SMALL),
            Block::Space => flow.space(6.0),
        }
    }
    let total = flow.pages.len();
    let pages: Vec<PdfPage> = std::mem::take(&mut flow.pages)
        .into_iter()
        .enumerate()
        .map(|(i, body_ops)| {
            let mut ops = frame_ops(
                &fonts,
                &d.banner,
                &d.header_left,
                &d.header_right,
                &d.footer_left,
                i + 1,
                total,
            );
            ops.extend(body_ops);
            PdfPage::new(Pt(PAGE_W).into(), Pt(PAGE_H).into(), ops)
        })
        .collect();
    doc.with_pages(pages);
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    let errors: Vec<String> = warnings
        .iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg.clone())
        .collect();
    if !errors.is_empty() {
        return Err(PacketError::Pdf(errors.join("; ")));
    }
    let now = chrono::Utc::now()
        .format("D:%Y%m%d%H%M%S+00'00'")
        .to_string();
    let info = Dictionary::from_iter(vec![
        ("Title", lopdf::text_string(&d.title)),
        ("Author", lopdf::text_string(&d.author)),
        ("Creator", lopdf::text_string("frdesk")),
        (
            "CreationDate",
            Object::String(now.clone().into_bytes(), StringFormat::Literal),
        ),
        (
            "ModDate",
            Object::String(now.into_bytes(), StringFormat::Literal),
        ),
    ]);
    let info_id = lo.add_object(Object::Dictionary(info));
    lo.trailer.set("Info", Object::Reference(info_id));
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| PacketError::Pdf(e.to_string()))?;
    Ok(out)
}

fn page_frame(fonts: &Fonts, p: &LeadPacket, n: usize, total: usize) -> Vec<Op> {
    let (case, _) = printable(&p.case_number);
    let (packet_id, _) = printable(&p.packet_id);
    frame_ops(
        fonts,
        BANNER,
        &p.issuer,
        &format!("Case {case}"),
        &format!("Packet {packet_id}"),
        n,
        total,
    )
}

/// Header and footer of every page: `banner` in dark red at top and bottom, `left` and `right`
/// in small type under the top banner, `footer_left` and "Page n of total" at the bottom.
fn frame_ops(
    fonts: &Fonts,
    banner: &str,
    left: &str,
    right: &str,
    footer_left: &str,
    n: usize,
    total: usize,
) -> Vec<Op> {
    let mut ops = Vec::new();
    let banner_w = fonts.width(Face::Bold, 11.0, banner) / WIDTH_SAFETY;
    let banner_x = (PAGE_W - banner_w) / 2.0;
    let font = |f: Face| PdfFontHandle::Builtin(f.builtin());

    // Header: banner, then the two header texts in small type, then a rule.
    ops.extend(text_ops(
        banner_x,
        758.0,
        11.0,
        font(Face::Bold),
        DARK_RED,
        banner,
    ));
    let (left, _) = printable(left);
    let (right, _) = printable(right);
    let left = fit(fonts, Face::Regular, 8.0, &left, BODY_W * 0.45);
    let right = fit(fonts, Face::Regular, 8.0, &right, BODY_W * 0.5);
    ops.extend(text_ops(
        MARGIN_X,
        744.0,
        8.0,
        font(Face::Regular),
        SMALL.color,
        &left,
    ));
    let rw = fonts.width(Face::Regular, 8.0, &right) / WIDTH_SAFETY;
    ops.extend(text_ops(
        MARGIN_X + BODY_W - rw,
        744.0,
        8.0,
        font(Face::Regular),
        SMALL.color,
        &right,
    ));
    ops.extend(rule(MARGIN_X, MARGIN_X + BODY_W, 737.0, 1.0, DARK_RED));

    // Footer: rule, banner, then the footer text and the page number.
    ops.extend(rule(MARGIN_X, MARGIN_X + BODY_W, 62.0, 1.0, DARK_RED));
    let fb_w = fonts.width(Face::Bold, 9.0, banner) / WIDTH_SAFETY;
    ops.extend(text_ops(
        (PAGE_W - fb_w) / 2.0,
        50.0,
        9.0,
        font(Face::Bold),
        DARK_RED,
        banner,
    ));
    let (footer_left, _) = printable(footer_left);
    let footer_left = fit(fonts, Face::Regular, 8.0, &footer_left, BODY_W * 0.7);
    ops.extend(text_ops(
        MARGIN_X,
        36.0,
        8.0,
        font(Face::Regular),
        SMALL.color,
        &footer_left,
    ));
    let page = format!("Page {n} of {total}");
    let pw = fonts.width(Face::Regular, 8.0, &page) / WIDTH_SAFETY;
    ops.extend(text_ops(
        MARGIN_X + BODY_W - pw,
        36.0,
        8.0,
        font(Face::Regular),
        SMALL.color,
        &page,
    ));
    ops
}

/// `s` cut with "..." so that it fits `width` (header lines only; the body wraps instead).
fn fit(fonts: &Fonts, face: Face, size: f32, s: &str, width: f32) -> String {
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

// ---------------------------------------------------------------------------------------------
// Images

/// An image registered with the document.
struct Embedded {
    id: XObjectId,
    width: u32,
    height: u32,
}

impl Embedded {
    /// Size in points when scaled (down or up) to fit `max_w` × `max_h`.
    fn fit(&self, max_w: f32, max_h: f32) -> (f32, f32) {
        let w = self.width.max(1) as f32;
        let h = self.height.max(1) as f32;
        let s = (max_w / w).min(max_h / h);
        (w * s, h * s)
    }
}

/// Decode `bytes` (JPEG, PNG or WebP), flatten transparency onto white, scale down to
/// [`MAX_EMBED_PIXELS`] and register the RGB pixels with the document (Flate, lossless).
fn embed(doc: &mut PdfDocument, label: &str, bytes: &[u8]) -> Result<Embedded, PacketError> {
    let err = |reason: String| PacketError::Image {
        label: label.to_string(),
        reason,
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| err(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| err(e.to_string()))?;
    let img = if img.width().max(img.height()) > MAX_EMBED_PIXELS {
        img.resize(
            MAX_EMBED_PIXELS,
            MAX_EMBED_PIXELS,
            image::imageops::FilterType::Triangle,
        )
    } else {
        img
    };
    let rgba = img.to_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
    for px in rgba.pixels() {
        let [r, g, b, a] = px.0;
        let a = u16::from(a);
        for c in [r, g, b] {
            // Composite onto white: c·a + 255·(1 − a), in 0..=255.
            let v = (u16::from(c) * a + 255 * (255 - a) + 127) / 255;
            rgb.push(u8::try_from(v).unwrap_or(u8::MAX));
        }
    }
    let raw = RawImage {
        pixels: RawImageData::U8(rgb),
        width: width as usize,
        height: height as usize,
        data_format: RawImageFormat::RGB8,
        tag: Vec::new(),
    };
    let id = doc.add_image(&raw);
    Ok(Embedded { id, width, height })
}

// ---------------------------------------------------------------------------------------------
// Content

fn body(flow: &mut Flow<'_>, doc: &mut PdfDocument, p: &LeadPacket) -> Result<(), PacketError> {
    let lead = matches!(p.result, PacketResult::PossibleLead(_));
    flow.paragraph(
        if lead {
            "Facial Recognition Search — Investigative Lead Packet"
        } else {
            "Facial Recognition Search — Result Packet: No Lead"
        },
        TITLE,
    );
    flow.paragraph(
        &format!(
            "Packet {} · issued {} by {}",
            p.packet_id, p.issued_at, p.issuer
        ),
        SMALL,
    );
    flow.space(8.0);
    caveat_box(flow, lead);

    flow.heading("Request");
    let lw = 130.0;
    flow.field("Case number", &p.case_number, lw);
    flow.field("Requesting agency", &p.requesting_agency, lw);
    flow.field("Requester", &p.requester, lw);
    flow.field("Case/file number", &p.case_file_number, lw);
    flow.field("Reason for search", &p.search_reason, lw);
    flow.field("Request date", &p.request_date, lw);
    flow.field("Approval date", &p.approval_date, lw);
    flow.field("Search date", &p.search_date, lw);
    flow.field("Result date", &p.result_date, lw);

    flow.heading(if p.probes.len() == 1 {
        "Probe image"
    } else {
        "Probe images"
    });
    for (i, probe) in p.probes.iter().enumerate() {
        let label = if probe.label.trim().is_empty() {
            format!("Probe {}", i + 1)
        } else {
            probe.label.clone()
        };
        let img = embed(doc, &label, &probe.image)?;
        let (_, h) = img.fit(150.0, 170.0);
        flow.ensure(BODY_BOLD.leading + h + 4.0);
        flow.paragraph(&label, BODY_BOLD);
        flow.space(2.0);
        flow.float_image(&img, 150.0, 170.0);
        flow.paragraph("SHA-256 of the file as received:", SMALL);
        flow.paragraph(&probe.sha256, MONO);
        flow.space(4.0);
        flow.paragraph("Quality:", SMALL);
        flow.paragraph(
            if probe.quality.trim().is_empty() {
                "(not recorded)"
            } else {
                &probe.quality
            },
            BODY,
        );
        flow.clear_float();
        flow.space(10.0);
    }
    flow.paragraph(
        "Images are shown as decoded from the files received (scaled for display); the \
         SHA-256 identifies the original file held by the desk.",
        SMALL,
    );

    flow.heading("Result");
    match &p.result {
        PacketResult::PossibleLead(cs) => {
            flow.paragraph(
                if cs.len() == 1 {
                    "POSSIBLE INVESTIGATIVE LEAD"
                } else {
                    "POSSIBLE INVESTIGATIVE LEADS"
                },
                TITLE,
            );
            flow.paragraph(
                "The examiners reported the candidate(s) below as a possible investigative lead. \
                 This is not an identification: a candidate may not be the person in the probe \
                 image.",
                BODY,
            );
            flow.space(6.0);
            for c in cs {
                candidate(flow, doc, c)?;
            }
        }
        PacketResult::NoSearchableFace => {
            flow.paragraph("NO LEAD — NO SEARCH POSSIBLE", TITLE);
            flow.paragraph(NO_LEAD_TEXT, BODY_BOLD);
            flow.space(4.0);
            flow.paragraph(
                "No face could be found in any probe image submitted with this request, so no \
                 search of the gallery was run and there was no candidate list for an examiner \
                 to review. A clearer, more frontal image of the face may be submitted with a \
                 new request.",
                BODY,
            );
        }
        PacketResult::NoLead => {
            flow.paragraph("NO LEAD", TITLE);
            flow.paragraph(NO_LEAD_TEXT, BODY_BOLD);
            flow.space(4.0);
            flow.paragraph(
                "The examiners did not report any candidate from the gallery as an \
                 investigative lead for this request. A gallery holds only the booking photos \
                 enrolled at the time of the search, and image quality, pose, age and \
                 appearance changes can keep a person from being found.",
                BODY,
            );
        }
    }

    flow.heading("Examiner review");
    if p.examiners.is_empty() {
        flow.paragraph(
            "None: there was no candidate list to review (no face was found to search).",
            BODY,
        );
    }
    for (i, e) in p.examiners.iter().enumerate() {
        let title = format!(
            "{}. {} — {}",
            i + 1,
            if e.name.trim().is_empty() {
                "(name not recorded)"
            } else {
                e.name.as_str()
            },
            e.role
        );
        flow.ensure(BODY_BOLD.leading + 2.0 * BODY.leading);
        flow.paragraph(&title, BODY_BOLD);
        flow.field("Disposition", &e.disposition, 90.0);
        if !e.notes.trim().is_empty() {
            flow.field("Notes", &e.notes, 90.0);
        }
        flow.space(6.0);
    }
    if let Some(note) = p
        .single_examiner_note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        flow.field("Single examiner", note, 90.0);
    }

    flow.heading("Issue and verification");
    let lw = 130.0;
    flow.field("Packet id", &p.packet_id, lw);
    flow.field("Issued at", &p.issued_at, lw);
    flow.field("Issued by", &p.issuer, lw);
    flow.space(4.0);
    flow.paragraph(
        "This packet is digitally signed. A copy whose signature does not verify, or that \
         was changed after signing, must not be relied on; ask the issuing desk for the \
         original.",
        SMALL,
    );
    if flow.replaced {
        flow.space(4.0);
        flow.paragraph(
            "Note: some characters in this packet cannot be printed in the PDF's built-in \
             font and appear as \"?\". The case record at the issuing desk holds the exact text.",
            SMALL,
        );
    }
    flow.clear_float();
    Ok(())
}

fn caveat_box(flow: &mut Flow<'_>, lead: bool) {
    let pad = 10.0;
    let inner = BODY_W - 2.0 * pad;
    let heading = "READ FIRST: AN INVESTIGATIVE LEAD IS NOT AN IDENTIFICATION";
    let mut lines: Vec<(String, Style)> = vec![(heading.to_string(), BODY_BOLD)];
    let mut texts: Vec<(&str, Style)> = Vec::new();
    if !lead {
        texts.push((NO_LEAD_TEXT, BODY_BOLD));
    }
    texts.push((CAVEAT, BODY));
    texts.push((CAVEAT_SOURCE, SMALL));
    for (t, style) in texts {
        let mut words: Vec<String> = t.split_whitespace().map(str::to_string).collect();
        words.reverse();
        while !words.is_empty() {
            let line = flow.take_line(&mut words, style, inner);
            lines.push((line, style));
        }
    }
    let h: f32 = lines.iter().map(|(_, s)| s.leading).sum::<f32>() + 2.0 * pad;
    flow.ensure(h);
    let top = flow.y;
    let mut y = top - pad;
    for (line, style) in &lines {
        let baseline = y - style.size * 0.85;
        flow.text_at(MARGIN_X + pad, baseline, *style, line);
        y -= style.leading;
    }
    flow.ops()
        .extend(frame(MARGIN_X, top - h, BODY_W, h, 1.5, DARK_RED));
    flow.y = top - h - 6.0;
}

fn candidate(
    flow: &mut Flow<'_>,
    doc: &mut PdfDocument,
    c: &CandidateInfo,
) -> Result<(), PacketError> {
    let img = embed(doc, "booking photo", &c.booking_photo)?;
    let (_, h) = img.fit(150.0, 190.0);
    flow.ensure(BODY_BOLD.leading + h + 4.0);
    flow.paragraph(
        &format!("Candidate at rank {} for {}", c.rank, c.probe_label),
        BODY_BOLD,
    );
    flow.space(2.0);
    flow.float_image(&img, 150.0, 190.0);
    let lw = 120.0;
    flow.field("Booking number", &c.booking_number, lw);
    flow.field("Subject id", &c.subject_id, lw);
    flow.field("Rank", &format!("{} in the candidate list", c.rank), lw);
    flow.field("Similarity", &format_similarity(c.similarity), lw);
    flow.field("False-match rate", &format_fmr(c.false_match_rate), lw);
    flow.field("Model", &c.model, lw);
    flow.space(4.0);
    flow.paragraph(
        "Similarity and false-match rate describe the algorithm's comparison only; they are not \
         the probability that the candidate is the person in the probe image.",
        SMALL,
    );
    flow.clear_float();
    flow.space(10.0);
    Ok(())
}

fn format_similarity(s: f32) -> String {
    if s.is_finite() {
        format!("{s:.3} (model score)")
    } else {
        "not available".to_string()
    }
}

/// "1.0e-4 (about 1 in 10,000 …)" for a calibrated false-match rate.
fn format_fmr(r: f64) -> String {
    if !r.is_finite() || !(0.0..=1.0).contains(&r) {
        return "not available".to_string();
    }
    if r == 0.0 {
        return "below the resolution of the calibration (no comparison between different \
                people scored this high)"
            .to_string();
    }
    let one_in = (1.0 / r).round();
    format!(
        "{r:.1e} (calibrated: about 1 in {} comparisons between different people scores this \
         high or higher)",
        group_thousands(one_in as u64)
    )
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
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
    fn long_words_are_split_and_lines_fit() {
        let fonts = Fonts::load();
        let flow = Flow::new(&fonts);
        let mut words = vec!["x".repeat(400)];
        let line = flow.take_line(&mut words, BODY, 200.0);
        assert!(!line.is_empty());
        assert!(fonts.width(Face::Regular, 10.0, &line) <= 200.0);
        assert_eq!(words.len(), 1);
        assert_eq!(line.len() + words[0].len(), 400);
    }

    #[test]
    fn metrics_come_from_the_bundled_fonts() {
        let fonts = Fonts::load();
        // Helvetica: "i" is much narrower than "W"; Courier is fixed.
        assert!(fonts.width(Face::Regular, 10.0, "i") < fonts.width(Face::Regular, 10.0, "W"));
        assert!(!fonts.regular.widths.is_empty());
        assert!(!fonts.bold.widths.is_empty());
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(group_thousands(10000), "10,000");
        assert_eq!(group_thousands(999), "999");
        assert!(format_fmr(1e-4).contains("1 in 10,000"));
        assert_eq!(format_fmr(f64::NAN), "not available");
        assert_eq!(format_similarity(0.61234), "0.612 (model score)");
    }
}
