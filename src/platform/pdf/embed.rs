//! Images embedded in a generated PDF: decoded, flattened onto white, scaled down and stored
//! losslessly as RGB pixels.

use std::io::Cursor;

use image::{ImageReader, Limits};
use printpdf::{PdfDocument, RawImage, RawImageData, RawImageFormat, XObjectId};

use crate::platform::pdf::error::PacketError;

/// An image registered with a document (see [`embed`]).
pub struct Embedded {
    /// The image's XObject in the document.
    pub id: XObjectId,
    /// Width in pixels as embedded (after any scaling down).
    pub width: u32,
    /// Height in pixels as embedded (after any scaling down).
    pub height: u32,
}

impl Embedded {
    /// Size (width, height) in points when scaled (down or up) to fit `max_w` × `max_h` points,
    /// keeping the aspect ratio.
    pub fn fit(&self, max_w: f32, max_h: f32) -> (f32, f32) {
        let w = self.width.max(1) as f32;
        let h = self.height.max(1) as f32;
        let s = (max_w / w).min(max_h / h);
        (w * s, h * s)
    }
}

/// Decode `bytes` (JPEG, PNG or WebP), flatten transparency onto white, scale down so neither
/// side exceeds `max_pixels` and register the RGB pixels with `doc` (Flate, lossless).
///
/// Errors: [`PacketError::Image`] (naming the image by `label`) when the bytes do not decode
/// or exceed the decoder limits (20,000 pixels a side, 512 MiB).
pub fn embed(
    doc: &mut PdfDocument,
    label: &str,
    bytes: &[u8],
    max_pixels: u32,
) -> Result<Embedded, PacketError> {
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
    let img = if img.width().max(img.height()) > max_pixels {
        img.resize(
            max_pixels,
            max_pixels,
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
