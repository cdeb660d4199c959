//! Face-recognition core: detection, alignment, templates and probe quality.
//!
//! Pipeline (see `docs/FACE.md`):
//! 1. decode the photo with size limits ([`decode_image`]),
//! 2. detect faces with **YuNet 2023mar** (OpenCV Zoo, MIT) on a 640×640
//!    letterboxed BGR copy ([`FaceEngine::detect`]),
//! 3. align each face onto the 112×112 five-point template with a
//!    least-squares similarity transform ([`align::align_face`]),
//! 4. embed the crop with **SFace 2021dec** (OpenCV Zoo, Apache-2.0) into 128
//!    f32, L2-normalised ([`FaceEngine::template`]); similarity = cosine.
//!
//! Both models run in ONNX Runtime through the `ort` crate; which files to load
//! and how to feed them is read from `models/manifest.toml` ([`ModelManifest`]).
//! A similarity score is an investigative lead, never an identification.

pub mod align;
pub mod detect;
pub mod engine;
pub mod image_io;
pub mod manifest;
pub mod quality;
pub mod types;

pub use engine::{EngineOptions, FaceEngine};

pub use detect::letterbox_for_bench;
pub use image_io::{MAX_PIXELS, decode_image, decode_image_file};
pub use manifest::{ModelManifest, ModelSpec};
pub use quality::QualityThresholds;
pub use types::*;
