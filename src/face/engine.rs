//! The face engine: ONNX Runtime sessions of the detector and the embedder.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use image::{DynamicImage, RgbImage};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;
use sha2::{Digest, Sha256};

use crate::face::detect::{self, StrideOutput};
use crate::face::manifest::{ColourOrder, ModelManifest, ModelSpec};
use crate::face::quality::{self, QualityThresholds};
use crate::face::types::{DetectedFace, FaceAnalysis, FaceError, Template, primary_face};

/// File name of the ONNX Runtime library under `<models>/lib/`.
pub const ORT_LIB_FILE: &str = "libonnxruntime.so.1.31.1";

/// How many model sessions to keep and how many threads each may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// Independent (detector, embedder) session pairs; callers on different
    /// threads use different pairs in parallel.
    pub workers: usize,
    /// ONNX Runtime intra-op threads per session.
    pub intra_threads: usize,
    /// Check each model file's SHA-256 against the manifest at load time.
    pub verify_checksums: bool,
}

impl EngineOptions {
    /// One probe at a time as fast as possible: 1 session pair × 2 threads.
    pub fn interactive() -> Self {
        Self {
            workers: 1,
            intra_threads: 2,
            verify_checksums: true,
        }
    }
    /// Throughput on this 2-core machine: 2 session pairs × 1 thread.
    pub fn batch() -> Self {
        Self {
            workers: 2,
            intra_threads: 1,
            verify_checksums: true,
        }
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self::batch()
    }
}

struct Worker {
    detector: Session,
    embedder: Session,
}

/// Face detector + embedder, usable from several threads (`Send + Sync`).
///
/// Construct with [`FaceEngine::load`] (models directory holding
/// `manifest.toml` and the model files, plus the ONNX Runtime library path) or
/// [`FaceEngine::from_models_dir`] (library at `<models>/lib/libonnxruntime.so.1.31.1`
/// unless `ORT_DYLIB_PATH` is set).
pub struct FaceEngine {
    manifest: ModelManifest,
    workers: Vec<Mutex<Worker>>,
    next: AtomicUsize,
    thresholds: QualityThresholds,
    embedder_template: [[f32; 2]; 5],
    output_name: String,
    output_dim: usize,
}

static ENV: OnceLock<Mutex<Option<Environment>>> = OnceLock::new();

fn environment(lib: &Path) -> Result<Environment, FaceError> {
    let err = |message: String| FaceError::ModelLoad {
        model: "onnxruntime".into(),
        message,
    };
    let cell = ENV.get_or_init(|| Mutex::new(None));
    let mut guard = cell
        .lock()
        .map_err(|_| err("environment lock poisoned".into()))?;
    if let Some(env) = guard.as_ref() {
        return Ok(env.clone());
    }
    if !lib.exists() {
        return Err(err(format!(
            "ONNX Runtime library not found at {} (run script/models)",
            lib.display()
        )));
    }
    let env = ort::init_from(lib)
        .map_err(|e| err(e.to_string()))?
        .with_name("frdesk")
        .build()
        .map_err(|e| err(e.to_string()))?;
    *guard = Some(env.clone());
    Ok(env)
}

fn sha256_file(path: &Path) -> Result<String, FaceError> {
    let bytes = std::fs::read(path).map_err(|source| FaceError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn session(
    env: &Environment,
    manifest: &ModelManifest,
    spec: &ModelSpec,
    threads: usize,
) -> Result<Session, FaceError> {
    let path = manifest.model_path(spec);
    let err = |message: String| FaceError::ModelLoad {
        model: format!("{}/{}", spec.id, spec.version),
        message,
    };
    if !path.exists() {
        return Err(err(format!(
            "{} not found (run script/models)",
            path.display()
        )));
    }
    Session::builder(env)
        .map_err(|e| err(e.to_string()))?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(|e| err(e.to_string()))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| err(e.to_string()))?
        // Idle intra-op threads sleep instead of spinning: the 2 cores are
        // shared with the web server and the other session pair.
        .with_intra_op_spinning(false)
        .map_err(|e| err(e.to_string()))?
        .commit_from_file(&path)
        .map_err(|e| err(format!("{}: {e}", path.display())))
}

impl FaceEngine {
    /// The ONNX Runtime library to use for a models directory: `ORT_DYLIB_PATH`
    /// if set, else `<models_dir>/lib/libonnxruntime.so.1.31.1`.
    pub fn ort_lib_path(models_dir: &Path) -> PathBuf {
        match std::env::var_os("ORT_DYLIB_PATH") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => models_dir.join("lib").join(ORT_LIB_FILE),
        }
    }

    /// Loads the engine from `models_dir` with the library of [`Self::ort_lib_path`].
    pub fn from_models_dir(models_dir: &Path, options: EngineOptions) -> Result<Self, FaceError> {
        Self::load(models_dir, &Self::ort_lib_path(models_dir), options)
    }

    /// Reads `<models_dir>/manifest.toml`, checks the model files' SHA-256
    /// (unless disabled) and opens `options.workers` session pairs.
    ///
    /// Errors: [`FaceError::Manifest`], [`FaceError::ModelLoad`] (missing file,
    /// checksum mismatch, runtime library not loadable, model rejected).
    /// Takes 0.3–1 s (SFace is 38.7 MB).
    pub fn load(
        models_dir: &Path,
        ort_lib: &Path,
        options: EngineOptions,
    ) -> Result<Self, FaceError> {
        let manifest = ModelManifest::load(models_dir)?;
        if options.verify_checksums {
            for spec in [&manifest.detector, &manifest.embedder] {
                if let Some(expected) = &spec.sha256 {
                    let path = manifest.model_path(spec);
                    if !path.exists() {
                        return Err(FaceError::ModelLoad {
                            model: format!("{}/{}", spec.id, spec.version),
                            message: format!("{} not found (run script/models)", path.display()),
                        });
                    }
                    let got = sha256_file(&path)?;
                    if &got != expected {
                        return Err(FaceError::ModelLoad {
                            model: format!("{}/{}", spec.id, spec.version),
                            message: format!(
                                "{}: SHA-256 {got} does not match the manifest's {expected}",
                                path.display()
                            ),
                        });
                    }
                }
            }
        }
        let env = environment(ort_lib)?;
        let mut workers = Vec::new();
        for _ in 0..options.workers.max(1) {
            workers.push(Mutex::new(Worker {
                detector: session(&env, &manifest, &manifest.detector, options.intra_threads)?,
                embedder: session(&env, &manifest, &manifest.embedder, options.intra_threads)?,
            }));
        }
        let embedder_template = manifest
            .embedder
            .align_template
            .ok_or_else(|| FaceError::Manifest("embedder without align_template".into()))?;
        let output_name = manifest
            .embedder
            .output_name
            .clone()
            .ok_or_else(|| FaceError::Manifest("embedder without output_name".into()))?;
        let output_dim = manifest
            .embedder
            .output_dim
            .ok_or_else(|| FaceError::Manifest("embedder without output_dim".into()))?;
        Ok(Self {
            manifest,
            workers,
            next: AtomicUsize::new(0),
            thresholds: QualityThresholds::default(),
            embedder_template,
            output_name,
            output_dim,
        })
    }

    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// Embedder model id (e.g. `sface`).
    pub fn model_id(&self) -> &str {
        &self.manifest.embedder.id
    }

    /// Embedder model version (e.g. `2021dec`).
    pub fn model_version(&self) -> &str {
        &self.manifest.embedder.version
    }

    /// Template length (128 for SFace).
    pub fn template_dim(&self) -> usize {
        self.output_dim
    }

    pub fn quality_thresholds(&self) -> &QualityThresholds {
        &self.thresholds
    }

    fn with_worker<R>(
        &self,
        f: impl FnOnce(&mut Worker) -> Result<R, FaceError>,
    ) -> Result<R, FaceError> {
        for w in &self.workers {
            if let Ok(mut g) = w.try_lock() {
                return f(&mut g);
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        let mut g = self.workers[i].lock().map_err(|_| FaceError::ModelRun {
            model: "engine".into(),
            message: "session lock poisoned".into(),
        })?;
        f(&mut g)
    }

    /// Detects every face in the photo (YuNet 2023mar, OpenCV Zoo).
    ///
    /// Returns faces sorted by detector score (highest first), boxes and
    /// landmarks in pixels of `img`; an empty list when there is none.
    /// Errors: [`FaceError::ModelRun`].
    pub fn detect(&self, img: &DynamicImage) -> Result<Vec<DetectedFace>, FaceError> {
        self.detect_rgb(&img.to_rgb8())
    }

    /// [`Self::detect`] on an RGB8 image.
    pub fn detect_rgb(&self, img: &RgbImage) -> Result<Vec<DetectedFace>, FaceError> {
        let spec = &self.manifest.detector;
        let settings = &self.manifest.detector_settings;
        let lb = detect::letterbox(img, spec);
        let model = format!("{}/{}", spec.id, spec.version);
        let run_err = |e: &dyn std::fmt::Display| FaceError::ModelRun {
            model: model.clone(),
            message: e.to_string(),
        };
        let shape = [1usize, 3, lb.height as usize, lb.width as usize];
        self.with_worker(|w| {
            let input =
                TensorRef::from_array_view((shape, lb.data.as_slice())).map_err(|e| run_err(&e))?;
            let outputs = w
                .detector
                .run(ort::inputs![spec.input_name.as_str() => input])
                .map_err(|e| run_err(&e))?;
            let mut per_stride = Vec::new();
            for &stride in &spec.strides {
                let get = |name: &str| -> Result<&[f32], FaceError> {
                    let key = format!("{name}_{stride}");
                    let v = outputs
                        .get(&key)
                        .ok_or_else(|| run_err(&format!("no output `{key}`")))?;
                    let (_, data) = v.try_extract_tensor::<f32>().map_err(|e| run_err(&e))?;
                    Ok(data)
                };
                per_stride.push(StrideOutput {
                    stride,
                    cls: get("cls")?,
                    obj: get("obj")?,
                    bbox: get("bbox")?,
                    kps: get("kps")?,
                });
            }
            Ok(detect::decode(
                &per_stride,
                (lb.width, lb.height),
                lb.scale,
                settings.score_threshold,
                settings.nms_iou,
                img.width(),
                img.height(),
            ))
        })
    }

    /// Aligns a face into the embedder's input crop (112×112 RGB for SFace) by a
    /// least-squares similarity transform of the five landmarks onto the
    /// manifest's `align_template`, bilinear.
    ///
    /// Errors: [`FaceError::NoFace`] when the landmarks are degenerate.
    pub fn align(&self, img: &RgbImage, face: &DetectedFace) -> Result<RgbImage, FaceError> {
        let spec = &self.manifest.embedder;
        crate::face::align::align_face(
            img,
            &face.landmarks,
            &self.embedder_template,
            spec.input_width,
            spec.input_height,
        )
        .ok_or(FaceError::NoFace)
    }

    /// Template of an aligned crop (as returned by [`Self::align`]).
    ///
    /// Returns `output_dim` f32 (128 for SFace 2021dec, OpenCV Zoo),
    /// L2-normalised, tagged with the embedder's id and version.
    /// Errors: [`FaceError::ModelRun`].
    pub fn embed_aligned(&self, crop: &RgbImage) -> Result<Template, FaceError> {
        let spec = &self.manifest.embedder;
        let (w, h) = (spec.input_width as usize, spec.input_height as usize);
        let model = format!("{}/{}", spec.id, spec.version);
        let run_err = |e: &dyn std::fmt::Display| FaceError::ModelRun {
            model: model.clone(),
            message: e.to_string(),
        };
        if crop.width() as usize != w || crop.height() as usize != h {
            return Err(run_err(&format!(
                "crop is {}x{}, model wants {w}x{h}",
                crop.width(),
                crop.height()
            )));
        }
        let order: [usize; 3] = match spec.colour_order {
            ColourOrder::Rgb => [0, 1, 2],
            ColourOrder::Bgr => [2, 1, 0],
        };
        let plane = w * h;
        let mut data = vec![0.0f32; 3 * plane];
        for (i, p) in crop.pixels().enumerate() {
            for (c, &src) in order.iter().enumerate() {
                data[c * plane + i] = (f32::from(p[src]) - spec.mean[c]) / spec.std[c];
            }
        }
        let shape = [1usize, 3, h, w];
        let mut vector = self.with_worker(|wk| {
            let input =
                TensorRef::from_array_view((shape, data.as_slice())).map_err(|e| run_err(&e))?;
            let outputs = wk
                .embedder
                .run(ort::inputs![spec.input_name.as_str() => input])
                .map_err(|e| run_err(&e))?;
            let v = outputs
                .get(&self.output_name)
                .ok_or_else(|| run_err(&format!("no output `{}`", self.output_name)))?;
            let (_, out) = v.try_extract_tensor::<f32>().map_err(|e| run_err(&e))?;
            Ok(out.to_vec())
        })?;
        if vector.len() != self.output_dim {
            return Err(run_err(&format!(
                "output has {} values, manifest says {}",
                vector.len(),
                self.output_dim
            )));
        }
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= f32::EPSILON {
            return Err(run_err(&"zero or non-finite template"));
        }
        for x in &mut vector {
            *x /= norm;
        }
        Ok(Template {
            model_id: spec.id.clone(),
            model_version: spec.version.clone(),
            vector,
        })
    }

    /// Template of one detected face: align + embed (SFace 2021dec, OpenCV Zoo).
    ///
    /// Returns 128 f32, L2-normalised. Errors: [`FaceError::ModelRun`],
    /// [`FaceError::NoFace`] for degenerate landmarks.
    pub fn template(&self, img: &DynamicImage, face: &DetectedFace) -> Result<Template, FaceError> {
        self.template_rgb(&img.to_rgb8(), face)
    }

    /// [`Self::template`] on an RGB8 image.
    pub fn template_rgb(&self, img: &RgbImage, face: &DetectedFace) -> Result<Template, FaceError> {
        let crop = self.align(img, face)?;
        self.embed_aligned(&crop)
    }

    fn analyze_face(
        &self,
        img: &RgbImage,
        face: &DetectedFace,
        face_count: usize,
    ) -> Result<FaceAnalysis, FaceError> {
        let crop = self.align(img, face)?;
        let template = self.embed_aligned(&crop)?;
        let quality = quality::assess(face, &crop, face_count, &self.thresholds);
        Ok(FaceAnalysis {
            face: face.clone(),
            template,
            quality,
        })
    }

    /// Every face in the photo with its template and quality, highest detector
    /// score first; empty when there is none.
    pub fn analyze_all(&self, img: &RgbImage) -> Result<Vec<FaceAnalysis>, FaceError> {
        let faces = self.detect_rgb(img)?;
        let n = faces.len();
        faces.iter().map(|f| self.analyze_face(img, f, n)).collect()
    }

    /// The face chosen by `choose` (given the faces and the photo's size), with
    /// template and quality. Errors: [`FaceError::NoFace`].
    pub fn analyze_one(
        &self,
        img: &RgbImage,
        choose: fn(&[DetectedFace], u32, u32) -> Option<usize>,
    ) -> Result<FaceAnalysis, FaceError> {
        let faces = self.detect_rgb(img)?;
        let i = choose(&faces, img.width(), img.height()).ok_or(FaceError::NoFace)?;
        self.analyze_face(img, &faces[i], faces.len())
    }

    /// A search probe: the primary face of the photo ([`primary_face`]: largest,
    /// weighted to the centre), its template and its quality. Nothing is stored.
    ///
    /// Errors: [`FaceError::NoFace`], [`FaceError::ModelRun`].
    pub fn probe(&self, img: &DynamicImage) -> Result<FaceAnalysis, FaceError> {
        self.analyze_one(&img.to_rgb8(), primary_face)
    }

    /// [`Self::probe`] from encoded photo bytes (JPEG, PNG, WebP).
    ///
    /// Errors: also [`FaceError::Unreadable`] and [`FaceError::TooLarge`].
    pub fn probe_bytes(&self, bytes: &[u8]) -> Result<FaceAnalysis, FaceError> {
        let img = crate::face::image_io::decode_image(bytes)?;
        self.probe(&img)
    }
}
