//! Images embedded in a generated PDF: decoded, flattened onto white, sized for print and
//! stored as JPEG (DCTDecode) image XObjects.
//!
//! Resolution rule: an image is printed at no less than [`MIN_PPI`] pixels per inch of its
//! printed size (a small image prints smaller rather than blown up); one with more than
//! [`MAX_PPI`] is scaled down to [`TARGET_PPI`] before it is encoded, so a 2,000-pixel photo
//! shown 2 inches wide does not carry 1,600 pixels nobody can see. JPEG at quality
//! [`JPEG_QUALITY`] keeps a photo's detail at a tenth of the size of lossless pixels.

use std::collections::BTreeMap;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageReader, Limits, RgbImage};
use printpdf::{DictItem, ExternalStream, ExternalXObject, PdfDocument, Px, XObjectId};

use crate::platform::pdf::error::PacketError;

/// Least resolution, in pixels per inch of the printed size, of an embedded image.
pub const MIN_PPI: f32 = 150.0;
/// Most resolution kept: an image with more pixels per printed inch is scaled down.
pub const MAX_PPI: f32 = 200.0;
/// The resolution an image above [`MAX_PPI`] is scaled down to.
pub const TARGET_PPI: f32 = 180.0;
/// JPEG quality (1–100) of embedded images.
pub const JPEG_QUALITY: u8 = 90;

/// An image registered with a document (see [`Jpeg::add_to`]).
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

/// Decode `bytes` (JPEG, PNG or WebP) and flatten transparency onto white.
///
/// Errors: [`PacketError::Image`] (naming the image by `label`) when the bytes do not decode
/// or exceed the decoder limits (20,000 pixels a side, 512 MiB).
pub fn decode(label: &str, bytes: &[u8]) -> Result<RgbImage, PacketError> {
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
    let rgba = img.to_rgba8();
    let (width, height) = rgba.dimensions();
    Ok(RgbImage::from_fn(width, height, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = u16::from(a);
        // Composite onto white: c·a + 255·(1 − a), in 0..=255.
        let over_white = |c: u8| {
            let v = (u16::from(c) * a + 255 * (255 - a) + 127) / 255;
            u8::try_from(v).unwrap_or(u8::MAX)
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    }))
}

/// The printed size, in points, of a `width` × `height`-pixel image in a `max_w` × `max_h`
/// box: as large as fits, but no larger than [`MIN_PPI`] allows (never blown up).
pub fn print_size(width: u32, height: u32, max_w: f32, max_h: f32) -> (f32, f32) {
    let w = width.max(1) as f32;
    let h = height.max(1) as f32;
    // Points per pixel; 72 / MIN_PPI at most. A hair under it, so that a reader computing the
    // resolution back from the page never gets 149.99.
    let s = (max_w / w).min(max_h / h).min(72.0 / (MIN_PPI + 0.5));
    (w * s, h * s)
}

/// `img` as it should be embedded when printed `print_w` points wide: scaled down to
/// [`TARGET_PPI`] when it has more than [`MAX_PPI`] at that width, otherwise unchanged (never
/// scaled up).
pub fn scale_for_print(img: &RgbImage, print_w: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let inches = (print_w / 72.0).max(0.01);
    if w as f32 / inches <= MAX_PPI {
        return img.clone();
    }
    let nw = ((inches * TARGET_PPI).round() as u32).clamp(1, w);
    let nh = ((h as f32 * nw as f32 / w as f32).round() as u32).max(1);
    image::imageops::resize(img, nw, nh, image::imageops::FilterType::Lanczos3)
}

/// A JPEG-encoded image, ready to be added to any number of documents (a layout tried twice
/// encodes once).
#[derive(Clone)]
pub struct Jpeg {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    bytes: Vec<u8>,
}

impl Jpeg {
    /// Encodes `img` at [`JPEG_QUALITY`].
    ///
    /// Errors: [`PacketError::Image`] (naming the image by `label`) when encoding fails (e.g.
    /// an empty image).
    pub fn encode(label: &str, img: &RgbImage) -> Result<Jpeg, PacketError> {
        let (width, height) = img.dimensions();
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .encode_image(img)
            .map_err(|e| PacketError::Image {
                label: label.to_string(),
                reason: format!("JPEG encoding failed: {e}"),
            })?;
        Ok(Jpeg {
            width,
            height,
            bytes,
        })
    }

    /// Registers the image with `doc` as a DCTDecode image XObject (printpdf's external
    /// XObject: the JPEG bytes are the stream as they are, never recompressed).
    pub fn add_to(&self, doc: &mut PdfDocument) -> Embedded {
        let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
        let dict = BTreeMap::from([
            ("Type".to_string(), name("XObject")),
            ("Subtype".to_string(), name("Image")),
            ("Width".to_string(), DictItem::Int(i64::from(self.width))),
            ("Height".to_string(), DictItem::Int(i64::from(self.height))),
            ("ColorSpace".to_string(), name("DeviceRGB")),
            ("BitsPerComponent".to_string(), DictItem::Int(8)),
            ("Filter".to_string(), name("DCTDecode")),
        ]);
        let id = doc.add_xobject(&ExternalXObject {
            stream: ExternalStream {
                dict,
                content: self.bytes.clone(),
                compress: false,
            },
            width: Some(Px(self.width as usize)),
            height: Some(Px(self.height as usize)),
            dpi: None,
        });
        Embedded {
            id,
            width: self.width,
            height: self.height,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_size_never_goes_below_150_ppi() {
        // 300 px in a 4-inch box: 2 inches at most.
        let (w, _) = print_size(300, 300, 288.0, 288.0);
        assert!(300.0 / (w / 72.0) >= MIN_PPI, "{w}");
        // A big image fills the box.
        let (w, h) = print_size(2000, 1000, 144.0, 144.0);
        assert_eq!((w, h), (144.0, 72.0));
    }
}
