//! Drawing operations on a page: a line of text, a horizontal rule, a rectangle frame.
//!
//! Coordinates and sizes are in points (1/72 inch) from the bottom-left corner of the page;
//! colours are RGB components in `0.0..=1.0`.

use printpdf::{
    Color, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem,
};

/// An RGB colour, each component in `0.0..=1.0`.
pub type Rgb3 = (f32, f32, f32);

/// Operations that show `text` (already [`crate::platform::pdf::text::printable`]) with its
/// baseline starting at (`x`, `baseline`), in `font` at `size` points, filled in `color`.
pub fn text_ops(
    x: f32,
    baseline: f32,
    size: f32,
    font: PdfFontHandle,
    (r, g, b): Rgb3,
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

fn stroke_color((r, g, b): Rgb3) -> Op {
    Op::SetOutlineColor {
        col: Color::Rgb(Rgb {
            r,
            g,
            b,
            icc_profile: None,
        }),
    }
}

/// A horizontal line from `x0` to `x1` at height `y`, `thickness` points wide, in `color`.
pub fn rule(x0: f32, x1: f32, y: f32, thickness: f32, color: Rgb3) -> Vec<Op> {
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

/// The outline of the `w` × `h` rectangle whose bottom-left corner is (`x`, `y`), `thickness`
/// points wide, in `color`.
pub fn frame(x: f32, y: f32, w: f32, h: f32, thickness: f32, color: Rgb3) -> Vec<Op> {
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
