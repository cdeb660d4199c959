//! Probe-image intake: decode to prove the upload is a real image within limits, then store it
//! content-addressed by SHA-256 under `<data_dir>/images/ab/cd/<sha256>.<ext>`.
//!
//! Limits: at most [`MAX_BYTES`] per file and [`MAX_PIXELS`] decoded pixels; JPEG, PNG and WebP
//! only (sniffed from the bytes, not the file name). A stored file is written to a temporary
//! file in the same folder, synced, then renamed, so a crash never leaves a half-written image.
//! Probe images are case evidence: nothing here enrols them in any gallery.

use crate::platform::storage::{Storage, StorageKind};

use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Largest accepted upload, in bytes (10 MB).
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Largest accepted image, in pixels (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;

/// `ENOSPC` on Linux: no space left on device.
const ENOSPC: i32 = 28;
/// `EDQUOT` on Linux: disk quota exceeded.
const EDQUOT: i32 = 122;

fn is_storage_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(ENOSPC | EDQUOT))
        || e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
}

/// The disk (or quota) of the image store is full; nothing was stored.
#[derive(Debug, thiserror::Error)]
#[error("The image store's disk is full")]
pub struct StorageFull;

/// Why an upload was refused; the message is for the requester.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("“{0}” is empty.")]
    Empty(String),
    #[error("“{0}” is larger than 10 MB.")]
    TooLarge(String),
    #[error("“{0}” is not a JPEG, PNG or WebP image.")]
    NotAnImage(String),
    #[error("“{0}” is corrupt or truncated and could not be read.")]
    Corrupt(String),
    #[error("“{0}” is an animated image; send the single frame (a still) to be searched.")]
    Animated(String),
    #[error("“{name}” is {width}×{height} pixels; the limit is 50 megapixels.")]
    TooManyPixels {
        name: String,
        width: u32,
        height: u32,
    },
}

/// An upload that decoded cleanly.
#[derive(Debug, Clone)]
pub struct CheckedImage {
    pub sha256: String,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

impl CheckedImage {
    pub fn content_type(&self) -> &'static str {
        content_type(self.format)
    }
    pub fn extension(&self) -> &'static str {
        extension(self.format)
    }
}

pub fn content_type(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Png => "image/png",
        ImageFormat::WebP => "image/webp",
        _ => "image/jpeg",
    }
}

pub fn extension(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        _ => "jpg",
    }
}

/// Decoder limits used for every probe image.
pub fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(20_000);
    l.max_image_height = Some(20_000);
    // RGBA8 of the largest accepted image, plus headroom for the decoder.
    l.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    l
}

/// Checks an upload: size, format sniffed from the bytes, dimensions, and a full decode.
pub fn check(name: &str, bytes: Vec<u8>) -> Result<CheckedImage, ImageError> {
    let name = name.to_string();
    if bytes.is_empty() {
        return Err(ImageError::Empty(name));
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(ImageError::TooLarge(name));
    }
    let format = match image::guess_format(&bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        _ => return Err(ImageError::NotAnImage(name)),
    };
    if format == ImageFormat::WebP && webp_is_animated(&bytes) {
        // Which frame was searched would be ambiguous in the evidence: a still is required.
        return Err(ImageError::Animated(name));
    }
    // Header only: no pixel buffer is allocated to read the dimensions.
    let (width, height) = without_panic("image header", || {
        ImageReader::with_format(std::io::Cursor::new(&bytes), format).into_dimensions()
    })
    .and_then(Result::ok)
    .ok_or_else(|| ImageError::Corrupt(name.clone()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels {
            name,
            width,
            height,
        });
    }
    let Some(decoded) = without_panic("image decode", || decode(&bytes, format)) else {
        return Err(ImageError::Corrupt(name));
    };
    let pixels = match decoded {
        Ok(img) => img,
        Err(image::ImageError::Limits(_)) => {
            return Err(ImageError::TooManyPixels {
                name,
                width,
                height,
            });
        }
        Err(_) => return Err(ImageError::Corrupt(name)),
    };
    if format == ImageFormat::Jpeg && !jpeg_scan_is_complete(&bytes, pixels.as_bytes()) {
        // Decoders fill a cut-off scan with grey rather than failing; we refuse it.
        return Err(ImageError::Corrupt(name));
    }
    drop(pixels);
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(CheckedImage {
        sha256,
        format,
        width,
        height,
        bytes,
    })
}

/// Decodes the whole image within [`limits`].
fn decode(bytes: &[u8], format: ImageFormat) -> image::ImageResult<image::DynamicImage> {
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits());
    reader.decode()
}

/// Bytes placed before the end-of-image marker by [`jpeg_scan_is_complete`]: Huffman data
/// that decodes to something other than the zeros a decoder pads a short scan with.
const SCAN_FILLER: [u8; 64] = [0x5A; 64];

/// Whether the decoder consumed whole scans: the JPEG must end with its end-of-image marker
/// ([`jpeg_is_complete`]) *and* its decoded pixels (`decoded`, as [`decode`] gave them) must not
/// depend on what lies between the last scan and that marker. A file cut short in a scan and
/// given an `FF D9` passes the marker walk, and the decoder pads the missing entropy-coded data
/// with zeros (the bottom rows come out grey) without an error. So the file is decoded a second
/// time with [`SCAN_FILLER`] inserted before the end-of-image marker: a complete file never
/// reads those bytes and decodes to the same pixels; a cut-off scan decodes them instead of
/// the zeros, and its pixels differ. A decoder panic or error on the second decode is `false`.
pub fn jpeg_scan_is_complete(bytes: &[u8], decoded: &[u8]) -> bool {
    let Some(end) = jpeg_end(bytes) else {
        return false;
    };
    let mut probe = Vec::with_capacity(bytes.len() + SCAN_FILLER.len());
    probe.extend_from_slice(&bytes[..end]);
    probe.extend_from_slice(&SCAN_FILLER);
    probe.extend_from_slice(&bytes[end..]);
    // The first decode already kept within its caller's limits (intake's or the face
    // engine's); this one only bounds the allocation.
    let mut l = limits();
    l.max_image_width = None;
    l.max_image_height = None;
    let again = without_panic("image decode (scan check)", || {
        let mut reader = ImageReader::with_format(std::io::Cursor::new(&probe), ImageFormat::Jpeg);
        reader.limits(l);
        reader.decode()
    });
    match again {
        Some(Ok(again)) => again.as_bytes() == decoded,
        _ => false,
    }
}

/// Whether a WebP file is animated: an extended (`VP8X`) header with the animation flag, or any
/// `ANIM`/`ANMF` chunk.
pub fn webp_is_animated(bytes: &[u8]) -> bool {
    if bytes.len() < 21 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return false;
    }
    if &bytes[12..16] == b"VP8X" && bytes[20] & 0x02 != 0 {
        return true;
    }
    let mut i = 12;
    while i + 8 <= bytes.len() {
        let tag = &bytes[i..i + 4];
        if tag == b"ANIM" || tag == b"ANMF" {
            return true;
        }
        let len = u32::from_le_bytes([bytes[i + 4], bytes[i + 5], bytes[i + 6], bytes[i + 7]]);
        let Ok(len) = usize::try_from(len) else {
            return false;
        };
        i = i
            .saturating_add(8)
            .saturating_add(len)
            .saturating_add(len & 1);
    }
    false
}

/// Whether a JPEG is complete: walks the marker segments from SOI (skipping each segment by its
/// length, so an EXIF thumbnail with markers of its own inside APP1 is passed over, and each
/// scan's entropy-coded data up to the next real marker) and reports whether the end-of-image
/// marker `FF D9` is reached. Extraneous bytes between segments are skipped up to the next
/// `FF`, as libjpeg does ("N extraneous bytes before marker"). Decoders fill a cut-off scan with
/// grey instead of failing, so intake and the face engine both refuse a JPEG without its end.
/// One function for both (fuzzing found the two earlier checks disagreeing: a stray byte
/// passed intake and then failed every search).
pub fn jpeg_is_complete(b: &[u8]) -> bool {
    jpeg_end(b).is_some()
}

/// Where the end-of-image marker that [`jpeg_is_complete`] reaches begins (the index of its
/// `FF`), or `None` when the walk does not reach one.
pub fn jpeg_end(b: &[u8]) -> Option<usize> {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return None;
    }
    let mut i = 2;
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            i += 1;
            continue;
        }
        let m = b[i + 1];
        match m {
            0xD9 => return Some(i),
            0xFF => i += 1, // fill byte
            0x00 | 0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                if i + 3 >= b.len() {
                    return None;
                }
                let len = usize::from(b[i + 2]) << 8 | usize::from(b[i + 3]);
                if len < 2 {
                    return None;
                }
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
    None
}

/// Runs a decoder step, turning a panic inside the decoder into `None`. Fuzzing found
/// zune-jpeg 0.5.15 (through `image`) panicking on a crafted progressive JPEG (an `assert!` in
/// its AVX2 upsampler); an upload must get a clear error, never take the worker down.
pub fn without_panic<T>(what: &str, f: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(p) => {
            let msg = panic_message(p.as_ref());
            tracing::warn!(what, panic = %msg, "Image decoder panicked; the image is refused");
            None
        }
    }
}

/// The message a panic carried (`panic!("…")` with a literal or a formatted string); empty for
/// any other payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Content-addressed image store: `images/ab/cd/<sha256>.<ext>` in the desk's [`Storage`].
#[derive(Debug, Clone)]
pub struct ImageStore {
    storage: Storage,
}

/// How long an unreferenced image in the database back-end is left alone by the sweep, so an
/// upload another instance is committing is never taken for an orphan.
const DATABASE_ORPHAN_AGE: chrono::Duration = chrono::Duration::hours(1);

impl ImageStore {
    pub fn new(storage: Storage) -> Self {
        ImageStore { storage }
    }

    /// The store the images are kept in (for the other files of a context that has images).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Name of a stored image; `sha256` must be 64 lowercase hex characters.
    pub fn path_for(&self, sha256: &str, ext: &str) -> Option<String> {
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return None;
        }
        Some(format!(
            "images/{}/{}/{sha256}.{ext}",
            &sha256[0..2],
            &sha256[2..4]
        ))
    }

    /// Stores the image (idempotent: an existing file with the same hash is kept). Written
    /// atomically (a temporary file, synced, renamed; or one database transaction): a failure
    /// or a crash never leaves a partial file under the final name.
    ///
    /// Errors: [`StorageFull`] (inside the `anyhow::Error`) when the disk or quota is full
    /// (ENOSPC, EDQUOT) — nothing is left behind; other errors with the step that failed.
    pub fn put(&self, img: &CheckedImage) -> anyhow::Result<String> {
        use anyhow::Context;
        let rel = self
            .path_for(&img.sha256, img.extension())
            .context("Failed to build the image path")?;
        if self.storage.exists(&rel)? {
            return Ok(rel);
        }
        self.storage
            .put_with(&rel, crate::platform::files::Access::Default, |f| {
                let half = img.bytes.len() / 2;
                f.write_all(&img.bytes[..half])?;
                // Fault tests: the disk fills up halfway through the file.
                fail::fail_point!("images.disk_full", |_| Err(
                    std::io::Error::from_raw_os_error(ENOSPC)
                ));
                f.write_all(&img.bytes[half..])
            })
            .map_err(|e| {
                if is_storage_full(&e) {
                    tracing::error!(file = %self.storage.describe(&rel), "Image store: disk full");
                    anyhow::Error::new(StorageFull)
                } else {
                    anyhow::Error::new(e).context("Failed to store the image")
                }
            })?;
        Ok(rel)
    }

    /// Removes what an interrupted upload can leave in the store: temporary files (a crash while
    /// writing) and complete files that no case refers to (a crash after the file was written
    /// but before its transaction committed). `referenced` says whether a hash belongs to a
    /// case image. Run at start-up, before the server accepts uploads. On the filesystem (one
    /// server per `data_dir`) every orphan goes; in the database (several instances) only
    /// orphans older than an hour, so another instance's upload in flight is left alone.
    /// Returns (temporary files, orphans) removed.
    pub fn sweep(
        &self,
        mut referenced: impl FnMut(&str) -> anyhow::Result<bool>,
    ) -> anyhow::Result<(usize, usize)> {
        use anyhow::Context;
        let (mut temps, mut orphans) = (0, 0);
        if self.storage.kind() == StorageKind::Filesystem {
            // Temporary files of an interrupted atomic write (hidden, so `list` leaves them out).
            let mut stack = vec![self.storage.data_dir().join("images")];
            while let Some(dir) = stack.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(e).with_context(|| format!("Failed to list {}", dir.display()));
                    }
                };
                for entry in entries {
                    let entry =
                        entry.with_context(|| format!("Failed to list {}", dir.display()))?;
                    let path = entry.path();
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push(path);
                    } else if entry.file_name().to_string_lossy().starts_with(".tmp") {
                        temps += 1;
                        std::fs::remove_file(&path)
                            .with_context(|| format!("Failed to remove {}", path.display()))?;
                        tracing::warn!(file = %path.display(), "Removed a file left by an interrupted upload");
                    }
                }
            }
        }
        let cutoff = crate::platform::time::now() - DATABASE_ORPHAN_AGE;
        for entry in self.storage.list("images")? {
            let name = entry.path.rsplit('/').next().unwrap_or("");
            let stem = name.split('.').next().unwrap_or("");
            if stem.len() != 64 || !stem.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            if entry.stored_at.is_some_and(|at| at > cutoff) || referenced(stem)? {
                continue;
            }
            orphans += 1;
            self.storage.remove(&entry.path)?;
            tracing::warn!(file = %self.storage.describe(&entry.path), "Removed a file left by an interrupted upload");
        }
        Ok((temps, orphans))
    }

    /// File extension of a stored image of `content_type` (as [`ImageStore::put`] names it).
    pub fn ext_for(content_type: &str) -> &'static str {
        match content_type {
            "image/png" => "png",
            "image/webp" => "webp",
            _ => "jpg",
        }
    }

    /// Deletes a stored image (retention purge). Returns whether a file was removed; a missing
    /// file is not an error.
    pub fn remove(&self, sha256: &str, content_type: &str) -> anyhow::Result<bool> {
        use anyhow::Context;
        let rel = self
            .path_for(sha256, Self::ext_for(content_type))
            .context("Bad image hash")?;
        self.storage.remove(&rel)
    }

    /// Reads a stored image and checks its hash (chain of custody).
    ///
    /// Errors: a malformed hash, a missing file, a read error, or content that does not match
    /// its hash.
    pub fn get(&self, sha256: &str, content_type: &str) -> anyhow::Result<Vec<u8>> {
        use anyhow::{Context, bail};
        let ext = Self::ext_for(content_type);
        let rel = self.path_for(sha256, ext).context("Bad image hash")?;
        let bytes = self
            .storage
            .get(&rel)?
            .with_context(|| format!("{} is missing", self.storage.describe(&rel)))?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            bail!("Stored image {sha256} does not match its hash");
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::new(w, h);
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    /// A 128×96 JPEG of pseudo-random colours (several KB of scan data).
    fn jpeg(progressive: bool, restart: u16, color: jpeg_encoder::ColorType) -> Vec<u8> {
        let channels = if color == jpeg_encoder::ColorType::Luma {
            1
        } else {
            3
        };
        let mut x: u32 = 12345;
        let data: Vec<u8> = (0..128 * 96 * channels)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((x >> 16) as u8 / 2).wrapping_add((i % 97) as u8)
            })
            .collect();
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
        enc.set_progressive(progressive);
        enc.set_restart_interval(restart);
        enc.encode(&data, 128, 96, color).unwrap();
        out
    }

    /// `b` cut at `num/den` of its length, with the end-of-image marker appended.
    fn cut_with_eoi(b: &[u8], num: usize, den: usize) -> Vec<u8> {
        let mut c = b[..b.len() * num / den].to_vec();
        while c.last() == Some(&0xFF) {
            c.pop();
        }
        c.extend_from_slice(&[0xFF, 0xD9]);
        c
    }

    #[test]
    fn a_scan_cut_short_and_closed_with_an_end_marker_is_refused() {
        use jpeg_encoder::ColorType::{Luma, Rgb};
        for (progressive, restart, color) in [
            (false, 0, Rgb),
            (false, 4, Rgb),
            (false, 0, Luma),
            (true, 0, Rgb),
            (true, 3, Rgb),
        ] {
            let what = format!("progressive {progressive}, restart {restart}, {color:?}");
            let whole = jpeg(progressive, restart, color);
            assert!(check("w.jpg", whole.clone()).is_ok(), "{what}: whole");
            assert!(crate::face::decode_image(&whole).is_ok(), "{what}: whole");
            for (num, den) in [(1, 2), (6, 10), (9, 10), (99, 100)] {
                let cut = cut_with_eoi(&whole, num, den);
                assert!(jpeg_is_complete(&cut), "{what}: the walk alone passes it");
                assert!(
                    matches!(check("c.jpg", cut.clone()), Err(ImageError::Corrupt(_))),
                    "{what}: cut at {num}/{den} accepted"
                );
                assert!(crate::face::decode_image(&cut).is_err(), "{what}: engine");
            }
        }
    }

    #[test]
    fn accepts_a_real_png() {
        let c = check("a.png", png(8, 8)).unwrap();
        assert_eq!((c.width, c.height), (8, 8));
        assert_eq!(c.sha256.len(), 64);
    }

    #[test]
    fn refuses_bad_inputs() {
        assert!(matches!(check("e.jpg", vec![]), Err(ImageError::Empty(_))));
        assert!(matches!(
            check("t.txt", b"hello world".to_vec()),
            Err(ImageError::NotAnImage(_))
        ));
        let mut p = png(64, 64);
        p.truncate(p.len() / 2);
        assert!(matches!(check("t.png", p), Err(ImageError::Corrupt(_))));
    }

    fn regression(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fuzz/regressions/image_intake/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn intake_and_the_face_engine_agree_on_a_jpeg_with_a_stray_byte() {
        // Fuzzing finding I1: intake accepted it, the face engine called it truncated.
        for f in ["i1-stray-byte-before-sos.jpg", "i1-minimized-crash.jpg"] {
            let b = regression(f);
            let intake = check(f, b.clone()).is_ok();
            let engine = crate::face::decode_image(&b).is_ok();
            assert_eq!(intake, engine, "{f}: intake {intake}, engine {engine}");
        }
        assert!(check("s.jpg", regression("i1-stray-byte-before-sos.jpg")).is_ok());
    }

    #[test]
    fn a_decoder_panic_is_a_clear_error() {
        // Fuzzing finding I2: zune-jpeg's AVX2 upsampler asserts on this file.
        for f in [
            "i2-zune-upsampler-panic-in-check.jpg",
            "i2-zune-upsampler-panic-in-decode-image.jpg",
        ] {
            let b = regression(f);
            assert!(
                matches!(check(f, b.clone()), Err(ImageError::Corrupt(_))),
                "{f}"
            );
            assert!(crate::face::decode_image(&b).is_err(), "{f}");
        }
    }

    #[test]
    fn a_truncated_main_image_behind_a_complete_thumbnail_is_refused() {
        // SOI, APP1 holding a whole thumbnail JPEG (with its own SOS and EOI), then the main
        // image cut off before its scan: the end marker of the thumbnail must not count.
        let thumb = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9];
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE1];
        let len = u16::try_from(thumb.len() + 2).unwrap();
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&thumb);
        b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x05, 0x08, 0x00]);
        assert!(!jpeg_is_complete(&b));
        assert!(jpeg_is_complete(&thumb));
    }

    #[test]
    fn store_is_content_addressed() {
        let dir = tempfile::tempdir().unwrap();
        let s = ImageStore::new(Storage::filesystem(dir.path()));
        let c = check("a.png", png(4, 4)).unwrap();
        let p1 = s.put(&c).unwrap();
        let p2 = s.put(&c).unwrap();
        assert_eq!(p1, p2);
        assert_eq!(s.get(&c.sha256, "image/png").unwrap(), c.bytes);
        assert!(s.path_for("../../etc/passwd", "png").is_none());
    }
}
