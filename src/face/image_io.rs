//! Photo decoding with limits.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::face::types::FaceError;

/// Largest photo accepted, in pixels (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Decodes a JPEG, PNG or WebP photo from memory and applies its EXIF orientation.
///
/// Errors: [`FaceError::Unreadable`] for bytes that are not a decodable photo (a JPEG must be
/// complete: `cases::images::jpeg_is_complete` and `jpeg_scan_is_complete`, as at intake),
/// [`FaceError::TooLarge`] above [`MAX_PIXELS`] (checked from the header, before
/// any pixel is decoded).
pub fn decode_image(bytes: &[u8]) -> Result<DynamicImage, FaceError> {
    let unreadable = |e: &dyn std::fmt::Display| FaceError::Unreadable(e.to_string());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unreadable(&e))?;
    let reader_format = reader.format();
    if reader_format.is_none() {
        return Err(FaceError::Unreadable("not a JPEG, PNG or WebP file".into()));
    }
    if reader.format() == Some(image::ImageFormat::Jpeg)
        && !crate::cases::images::jpeg_is_complete(bytes)
    {
        // The JPEG decoder fills a truncated file with grey instead of failing.
        return Err(FaceError::Unreadable(
            "truncated JPEG (no end-of-image marker)".into(),
        ));
    }
    let panicked = || FaceError::Unreadable("the decoder could not read this file".into());
    let mut decoder = crate::cases::images::without_panic("photo header", || reader.into_decoder())
        .ok_or_else(panicked)?
        .map_err(|e| unreadable(&e))?;
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
    let mut img =
        crate::cases::images::without_panic("photo decode", || DynamicImage::from_decoder(decoder))
            .ok_or_else(panicked)?
            .map_err(|e| unreadable(&e))?;
    if reader_format == Some(image::ImageFormat::Jpeg)
        && !crate::cases::images::jpeg_scan_is_complete(bytes, img.as_bytes())
    {
        // A scan cut short and closed with `FF D9`: padded with grey, not an error.
        return Err(FaceError::Unreadable(
            "truncated JPEG (a scan is cut short)".into(),
        ));
    }
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Reads and decodes a photo file; see [`decode_image`].
pub fn decode_image_file(path: &Path) -> Result<DynamicImage, FaceError> {
    let bytes = std::fs::read(path).map_err(|source| FaceError::Io {
        path: path.display().to_string(),
        source,
    })?;
    decode_image(&bytes)
}
