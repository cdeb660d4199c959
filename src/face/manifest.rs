//! `models/manifest.toml`: which models to load and how to feed them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::face::types::FaceError;

/// Colour order a model expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ColourOrder {
    #[serde(rename = "RGB")]
    Rgb,
    #[serde(rename = "BGR")]
    Bgr,
}

/// One model of the manifest (`[models.<key>]`).
#[derive(Debug, Clone, Deserialize)]
pub struct ModelSpec {
    pub id: String,
    pub version: String,
    /// `detector` or `embedder`.
    pub kind: String,
    /// File name relative to the models directory.
    pub file: String,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub licence: Option<String>,
    #[serde(default)]
    pub origin: Option<String>,
    /// Key of the `[sources.<key>]` package the file was taken from.
    #[serde(default)]
    pub source: Option<String>,
    /// Path of the file inside that package.
    #[serde(default)]
    pub source_path: Option<String>,
    pub input_name: String,
    /// Input size in pixels; with `input_multiple`, the largest input.
    pub input_width: u32,
    pub input_height: u32,
    /// Detector only: the model takes any height and width that are multiples of this (a fully
    /// convolutional detector converted with symbolic dims); the photo is then fed at its own
    /// size, never upscaled, rounded up to the multiple. Absent: always the fixed input size.
    #[serde(default)]
    pub input_multiple: Option<u32>,
    /// Detector with `input_multiple` only: photos whose longer side is shorter than this are
    /// scaled up to it (small faces in small photos stay detectable).
    #[serde(default)]
    pub input_min_side: Option<u32>,
    pub colour_order: ColourOrder,
    /// Per-channel mean subtracted from 0..255 pixel values (in the model's colour order).
    pub mean: [f32; 3],
    /// Per-channel divisor applied after the mean.
    pub std: [f32; 3],
    /// Detector only: feature-map strides (YuNet: 8, 16, 32).
    #[serde(default)]
    pub strides: Vec<u32>,
    /// Embedder only: output tensor name and length.
    #[serde(default)]
    pub output_name: Option<String>,
    #[serde(default)]
    pub output_dim: Option<usize>,
    /// Embedder only: five (x, y) landmark positions in the input crop.
    #[serde(default)]
    pub align_template: Option<[[f32; 2]; 5]>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DetectorSettings {
    pub model: String,
    pub score_threshold: f32,
    pub nms_iou: f32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmbedderSettings {
    pub model: String,
    /// Calibration file relative to the models directory.
    pub calibration: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RawManifest {
    detector: DetectorSettings,
    embedder: EmbedderSettings,
    models: BTreeMap<String, ModelSpec>,
}

/// The parsed manifest plus the directory it was read from.
#[derive(Debug, Clone)]
pub struct ModelManifest {
    pub dir: PathBuf,
    pub detector_settings: DetectorSettings,
    pub embedder_settings: EmbedderSettings,
    pub detector: ModelSpec,
    pub embedder: ModelSpec,
}

impl ModelManifest {
    /// Reads `<dir>/manifest.toml`.
    ///
    /// Errors: [`FaceError::Manifest`] when the file is missing or does not name
    /// a detector and an embedder with the fields each needs.
    pub fn load(dir: &Path) -> Result<Self, FaceError> {
        let path = dir.join("manifest.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| FaceError::Manifest(format!("{}: {e}", path.display())))?;
        Self::parse(dir, &text)
    }

    pub fn parse(dir: &Path, text: &str) -> Result<Self, FaceError> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| FaceError::Manifest(e.to_string()))?;
        let get = |key: &str, kind: &str| -> Result<ModelSpec, FaceError> {
            let spec = raw.models.get(key).cloned().ok_or_else(|| {
                FaceError::Manifest(format!("model `{key}` is not described in [models]"))
            })?;
            if spec.kind != kind {
                return Err(FaceError::Manifest(format!(
                    "model `{key}` is a {}, expected a {kind}",
                    spec.kind
                )));
            }
            Ok(spec)
        };
        let detector = get(&raw.detector.model, "detector")?;
        let embedder = get(&raw.embedder.model, "embedder")?;
        if detector.strides.is_empty() {
            return Err(FaceError::Manifest("detector needs `strides`".into()));
        }
        if embedder.output_name.is_none()
            || embedder.output_dim.is_none()
            || embedder.align_template.is_none()
        {
            return Err(FaceError::Manifest(
                "embedder needs `output_name`, `output_dim` and `align_template`".into(),
            ));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            detector_settings: raw.detector,
            embedder_settings: raw.embedder,
            detector,
            embedder,
        })
    }

    pub fn model_path(&self, spec: &ModelSpec) -> PathBuf {
        self.dir.join(&spec.file)
    }

    pub fn calibration_path(&self) -> PathBuf {
        self.dir.join(&self.embedder_settings.calibration)
    }
}
