//! Fuzz target `image_intake`: the probe-image intake `frdesk::cases::images::check(name, bytes)` and
//! the face engine's decoder `frdesk::face::decode_image(bytes)`, on the same bytes.
//!
//! Invariants (from `src/images.rs` and `src/face/image_io.rs`):
//!
//! * no panic, no runaway allocation (run with `-rss_limit_mb`/`-malloc_limit_mb`);
//! * `check` accepts only non-empty JPEG, PNG or WebP (sniffed) up to `MAX_BYTES`, returns the
//!   bytes unchanged with their SHA-256, dimensions within `MAX_PIXELS` and the decoder limits
//!   (at most 20,000 pixels a side), never an animated WebP, never a JPEG without its
//!   end-of-image marker after the last scan;
//! * `decode_image` returns a non-empty image of at most `MAX_PIXELS` pixels, and refuses above
//!   the limit with `TooLarge` (whose figures are above the limit);
//! * an upload that `check` accepts is one the search worker can decode: `decode_image`
//!   succeeds on it, with the same dimensions (or swapped, after an EXIF rotation). The intake
//!   stores what `check` accepts and `search::worker` later calls `decode_image` on it.
//!
//! Findings I1 and I2 of docs/FUZZING.md are fixed; `FRDESK_FUZZ_SKIP_KNOWN` no longer changes
//! what this target checks.
#![no_main]

use frdesk::face::{FaceError, MAX_PIXELS as FACE_MAX_PIXELS, decode_image};
use frdesk::cases::images::{self, ImageError, MAX_BYTES, MAX_PIXELS};
use image::ImageFormat;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

const NAME: &str = "probe.jpg";

/// Runs `f` with a quiet panic hook. frdesk turns a panic inside an image decoder into an error
/// (`images::without_panic`, finding I2), but libfuzzer-sys's own hook aborts at the panic
/// itself, before frdesk's `catch_unwind` can run; with the quiet hook in place only a panic
/// that escapes frdesk reaches the `catch_unwind` here, and that one aborts, so libFuzzer
/// records it.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    match result {
        Ok(v) => Some(v),
        Err(p) => {
            let msg = frdesk::cases::images::panic_message(p.as_ref());
            eprintln!("a panic escaped frdesk: {msg}");
            std::process::abort();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // decode_image first: when both would panic, the backtrace shows the face engine's path.
    let Some(decoded) = guarded(|| decode_image(data)) else {
        return;
    };
    let Some(checked) = guarded(|| images::check(NAME, data.to_vec())) else {
        return;
    };

    if let Ok(img) = &decoded {
        let (w, h) = (u64::from(img.width()), u64::from(img.height()));
        assert!(
            w > 0 && h > 0,
            "decode_image returned an empty {w}x{h} image"
        );
        assert!(w * h <= FACE_MAX_PIXELS, "decode_image returned {w}x{h}");
    }
    if let Err(FaceError::TooLarge {
        width,
        height,
        limit,
    }) = &decoded
    {
        assert_eq!(*limit, FACE_MAX_PIXELS);
        assert!(u64::from(*width) * u64::from(*height) > *limit);
    }

    match checked {
        Ok(c) => {
            assert!(!data.is_empty() && data.len() as u64 <= MAX_BYTES);
            assert!(
                matches!(
                    c.format,
                    ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
                ),
                "format {:?}",
                c.format
            );
            assert_eq!(image::guess_format(data).ok(), Some(c.format));
            assert_eq!(c.bytes, data, "check changed the bytes");
            assert_eq!(c.sha256, hex::encode(Sha256::digest(data)));
            let (w, h) = (u64::from(c.width), u64::from(c.height));
            assert!(w * h <= MAX_PIXELS, "check accepted {w}x{h}");
            assert!(w <= 20_000 && h <= 20_000, "check accepted {w}x{h}");
            if c.format == ImageFormat::WebP {
                assert!(!images::webp_is_animated(data), "animated WebP accepted");
            }
            if c.format == ImageFormat::Jpeg {
                assert!(images::jpeg_is_complete(data), "incomplete JPEG accepted");
            }
            match &decoded {
                Ok(img) => {
                    let d = (img.width(), img.height());
                    assert!(
                        d == (c.width, c.height) || d == (c.height, c.width),
                        "check says {}x{}, decode_image gives {}x{}",
                        c.width,
                        c.height,
                        d.0,
                        d.1
                    );
                }
                Err(e) => panic!(
                    "check accepted a {:?} {}x{} upload that decode_image refuses: {e}",
                    c.format, c.width, c.height
                ),
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(NAME), "error does not name the file: {msg}");
            match e {
                ImageError::Empty(_) => assert!(data.is_empty()),
                ImageError::TooLarge(_) => assert!(data.len() as u64 > MAX_BYTES),
                _ => assert!(!data.is_empty()),
            }
        }
    }
});
