//! Photo decoding with limits.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use super::FaceError;

/// Largest photo accepted, in pixels (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Decodes a JPEG, PNG or WebP photo from memory and applies its EXIF orientation.
///
/// Errors: [`FaceError::Unreadable`] for bytes that are not a decodable photo,
/// [`FaceError::TooLarge`] above [`MAX_PIXELS`] (checked from the header, before
/// any pixel is decoded).
pub fn decode_image(bytes: &[u8]) -> Result<DynamicImage, FaceError> {
    let unreadable = |e: &dyn std::fmt::Display| FaceError::Unreadable(e.to_string());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unreadable(&e))?;
    if reader.format().is_none() {
        return Err(FaceError::Unreadable("not a JPEG, PNG or WebP file".into()));
    }
    if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        // The JPEG decoder fills a truncated file with grey instead of failing.
        return Err(FaceError::Unreadable(
            "truncated JPEG (no end-of-image marker)".into(),
        ));
    }
    let mut decoder = reader.into_decoder().map_err(|e| unreadable(&e))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(FaceError::TooLarge {
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    if width == 0 || height == 0 {
        return Err(FaceError::Unreadable("empty photo".into()));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_PIXELS * 8);
    decoder.set_limits(limits).map_err(|e| unreadable(&e))?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| unreadable(&e))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Walks the JPEG marker segments (skipping APPn segments, which may hold a
/// thumbnail with its own markers, by their length, and entropy-coded data up to
/// the next real marker) and reports whether the end-of-image marker is reached.
fn jpeg_is_complete(b: &[u8]) -> bool {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return false;
    }
    let mut i = 2;
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            return false;
        }
        let m = b[i + 1];
        match m {
            0xD9 => return true,
            0xFF => i += 1, // fill byte
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                if i + 3 >= b.len() {
                    return false;
                }
                let len = usize::from(b[i + 2]) << 8 | usize::from(b[i + 3]);
                i += 2 + len;
                if m == 0xDA {
                    // Entropy-coded data: stop at FF followed by neither 00 nor RSTn.
                    while i + 1 < b.len() {
                        if b[i] == 0xFF && b[i + 1] != 0x00 && !(0xD0..=0xD7).contains(&b[i + 1]) {
                            break;
                        }
                        i += 1;
                    }
                }
            }
        }
    }
    false
}

/// Reads and decodes a photo file; see [`decode_image`].
pub fn decode_image_file(path: &Path) -> Result<DynamicImage, FaceError> {
    let bytes = std::fs::read(path).map_err(|source| FaceError::Io {
        path: path.display().to_string(),
        source,
    })?;
    decode_image(&bytes)
}
