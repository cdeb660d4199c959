//! Page layout: a small flow engine over printpdf's operation lists, and the generic flowing
//! document ([`PlainDocument`], rendered by [`render_document`]) used for the monthly audit
//! report and the transparency report. The signed lead packet
//! ([`crate::result::layout::render`]) uses the same engine with its own content.
//!
//! Pages are US Letter; all positions and sizes are in points (1/72 inch) from the bottom-left
//! corner. Text is set in the PDF built-in fonts ([`crate::platform::pdf::text`]). Lines are
//! wrapped greedily by measured width and pages break line by line. Images float on the left
//! with text beside them. Every page gets a frame ([`frame_ops`]): a banner at the top and
//! bottom, header and footer lines and "Page x of y".

use printpdf::{Op, PdfDocument, PdfFontHandle, PdfPage, Pt, XObjectTransform};

use crate::platform::pdf::draw::{Rgb3, frame, rule, text_ops};
use crate::platform::pdf::embed::Embedded;
use crate::platform::pdf::error::PacketError;
use crate::platform::pdf::save::{DocInfo, save};
use crate::platform::pdf::text::{Face, Fonts, WIDTH_SAFETY, fit, printable};

/// Page width (US Letter), in points.
pub const PAGE_W: f32 = 612.0;
/// Page height (US Letter), in points.
pub const PAGE_H: f32 = 792.0;
/// Left and right margin, in points.
pub const MARGIN_X: f32 = 54.0;
/// Width of the text column, in points.
pub const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;
/// Top of the first body line on every page, in points from the bottom.
pub const BODY_TOP: f32 = 722.0;
/// Space between a field's label column and its value, in points.
pub const LABEL_GAP: f32 = 8.0;
/// Lowest point body text may reach, in points from the bottom (the footer is below).
pub const BODY_BOTTOM: f32 = 76.0;

/// How a run of text is set: face, size and line distance in points, fill colour.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// The built-in font.
    pub face: Face,
    /// Font size, in points.
    pub size: f32,
    /// Distance from one line's top to the next one's, in points.
    pub leading: f32,
    /// Text colour.
    pub color: Rgb3,
}

/// Body text: Helvetica 10/13.5, black.
pub const BODY: Style = Style {
    face: Face::Regular,
    size: 10.0,
    leading: 13.5,
    color: (0.0, 0.0, 0.0),
};
/// Body text in bold.
pub const BODY_BOLD: Style = Style {
    face: Face::Bold,
    ..BODY
};
/// Small print: Helvetica 8.5/11, dark grey.
pub const SMALL: Style = Style {
    face: Face::Regular,
    size: 8.5,
    leading: 11.0,
    color: (0.2, 0.2, 0.2),
};
/// Fixed-width text (hashes): Courier 8/11, black.
pub const MONO: Style = Style {
    face: Face::Mono,
    size: 8.0,
    leading: 11.0,
    color: (0.0, 0.0, 0.0),
};
/// Section headings: Helvetica-Bold 12.5/17.
pub const HEADING: Style = Style {
    face: Face::Bold,
    size: 12.5,
    leading: 17.0,
    color: (0.0, 0.0, 0.0),
};
/// Document titles: Helvetica-Bold 16/21.
pub const TITLE: Style = Style {
    face: Face::Bold,
    size: 16.0,
    leading: 21.0,
    color: (0.0, 0.0, 0.0),
};
/// The banner and warning colour.
pub const DARK_RED: Rgb3 = (0.6, 0.0, 0.0);

/// An image on the left with text beside it: lines whose top is above `bottom` start at
/// `indent` points from the margin.
#[derive(Clone, Copy)]
struct Float {
    indent: f32,
    bottom: f32,
}

/// The body of a document being laid out, page by page, top to bottom.
pub struct Flow<'a> {
    fonts: &'a Fonts,
    /// Body operations of each page; never empty.
    pub pages: Vec<Vec<Op>>,
    /// Top of the next line, in points from the bottom of the page.
    pub y: f32,
    float: Option<Float>,
    /// Whether any character had to be printed as "?".
    pub replaced: bool,
}

impl<'a> Flow<'a> {
    /// An empty flow: one empty page, the cursor at [`BODY_TOP`].
    pub fn new(fonts: &'a Fonts) -> Flow<'a> {
        Flow {
            fonts,
            pages: vec![Vec::new()],
            y: BODY_TOP,
            float: None,
            replaced: false,
        }
    }

    /// The operations of the current (last) page.
    pub fn ops(&mut self) -> &mut Vec<Op> {
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
    pub fn ensure(&mut self, h: f32) {
        if self.y - h < BODY_BOTTOM && self.y < BODY_TOP {
            self.new_page();
        }
    }

    /// Move the cursor down `h` points.
    pub fn space(&mut self, h: f32) {
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
    pub fn clear_float(&mut self) {
        if let Some(f) = self.float.take() {
            self.y = self.y.min(f.bottom);
        }
    }

    /// Show `text` (already printable) in `style` with its baseline at (`x`, `baseline`) on
    /// the current page; the cursor does not move.
    pub fn text_at(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        let (r, g, b) = style.color;
        let font = PdfFontHandle::Builtin(style.face.builtin());
        let ops = self.ops();
        ops.extend(text_ops(x, baseline, style.size, font, (r, g, b), text));
    }

    /// A wrapped paragraph; `\n` starts a new line, an empty line leaves a blank line.
    pub fn paragraph(&mut self, text: &str, style: Style) {
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

    /// Take as many words as fit in `width` points; a word wider than a line is split.
    /// `words` is in reverse order (the next word last); what is left stays in it.
    pub fn take_line(&self, words: &mut Vec<String>, style: Style, width: f32) -> String {
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

    /// A label in bold with its value wrapped beside it, `label_w` points to the right.
    pub fn field(&mut self, label: &str, value: &str, label_w: f32) {
        let value = if value.trim().is_empty() {
            "(not recorded)"
        } else {
            value
        };
        let (value, replaced) = printable(value);
        self.replaced |= replaced;
        let (label, replaced) = printable(label);
        self.replaced |= replaced;
        // A label longer than its column wraps inside it (never under the value).
        let label_col = label_w - LABEL_GAP;
        let mut label_words: Vec<String> = label.split_whitespace().map(str::to_string).collect();
        label_words.reverse();
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
                if !label_words.is_empty() {
                    let l = self.take_line(&mut label_words, BODY_BOLD, label_col);
                    self.text_at(x, baseline, BODY_BOLD, &l);
                }
                let line = self.take_line(&mut words, BODY, w - label_w);
                self.text_at(x + label_w, baseline, BODY, &line);
                self.y -= BODY.leading;
            }
        }
        while !label_words.is_empty() {
            self.ensure(BODY.leading);
            let (x, _) = self.column();
            let baseline = self.y - BODY.size * 0.85;
            let l = self.take_line(&mut label_words, BODY_BOLD, label_col);
            self.text_at(x, baseline, BODY_BOLD, &l);
            self.y -= BODY.leading;
        }
    }

    /// A section heading with a rule under it, kept with at least three lines of what follows.
    pub fn heading(&mut self, text: &str) {
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
    pub fn float_image(&mut self, img: &Embedded, max_w: f32, max_h: f32) {
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

    /// The laid-out pages, each with the operations `frame(n, total)` returns for page `n`
    /// (from 1) of `total` drawn first, under the body.
    pub fn into_pages(self, mut frame: impl FnMut(usize, usize) -> Vec<Op>) -> Vec<PdfPage> {
        let total = self.pages.len();
        self.pages
            .into_iter()
            .enumerate()
            .map(|(i, body_ops)| {
                let mut ops = frame(i + 1, total);
                ops.extend(body_ops);
                PdfPage::new(Pt(PAGE_W).into(), Pt(PAGE_H).into(), ops)
            })
            .collect()
    }
}

/// A plain text document (e.g. a monthly audit report) in the packets' page layout: a banner
/// on every page, header and footer lines, "Page x of y". Rendered by [`render_document`].
#[derive(Debug, Clone)]
pub struct PlainDocument {
    /// PDF title (document information dictionary).
    pub title: String,
    /// Top and bottom line of every page, e.g. "LAW ENFORCEMENT SENSITIVE — AUDIT RECORD".
    pub banner: String,
    /// Small type at the top left of every page (cut with "..." when too long).
    pub header_left: String,
    /// Small type at the top right of every page (cut with "..." when too long).
    pub header_right: String,
    /// Small type at the bottom left of every page (cut with "..." when too long).
    pub footer_left: String,
    /// PDF author (document information dictionary).
    pub author: String,
    /// The content, top to bottom.
    pub blocks: Vec<Block>,
}

/// One element of a [`PlainDocument`], laid out top to bottom (wrapped, page-broken).
#[derive(Debug, Clone)]
pub enum Block {
    /// A document title ([`TITLE`]).
    Title(String),
    /// A section heading with a rule under it.
    Heading(String),
    /// Body text; `\n` starts a new line.
    Paragraph(String),
    /// Bold paragraph (e.g. a flagged item).
    Strong(String),
    /// Label and value in two columns.
    Field(String, String),
    /// Small print.
    Small(String),
    /// A gap of 6 points.
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
    let pages = flow.into_pages(|n, total| {
        frame_ops(
            &fonts,
            &d.banner,
            &d.header_left,
            &d.header_right,
            &d.footer_left,
            n,
            total,
        )
    });
    doc.with_pages(pages);
    save(
        &doc,
        &DocInfo {
            title: d.title.clone(),
            author: d.author.clone(),
            ..DocInfo::default()
        },
    )
}

/// A protective marking (e.g. "LAW ENFORCEMENT SENSITIVE") centred in bold dark red above the
/// header banner (baseline 772 pt) and below the footer line (baseline 24 pt) of a page drawn by
/// [`frame_ops`]; clear of the banner, header and footer texts.
pub fn marking_ops(fonts: &Fonts, marking: &str) -> Vec<Op> {
    let (marking, _) = printable(marking);
    let font = PdfFontHandle::Builtin(Face::Bold.builtin());
    let mut ops = Vec::new();
    for (baseline, size) in [(772.0, 9.0), (24.0, 8.0)] {
        let w = fonts.width(Face::Bold, size, &marking) / WIDTH_SAFETY;
        ops.extend(text_ops(
            (PAGE_W - w) / 2.0,
            baseline,
            size,
            font.clone(),
            DARK_RED,
            &marking,
        ));
    }
    ops
}

/// Header and footer of every page: `banner` in dark red at top and bottom, `left` and `right`
/// in small type under the top banner, `footer_left` and "Page n of total" at the bottom.
pub fn frame_ops(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
