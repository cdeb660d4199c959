//! The face engine's values: a detected face and its box, a template, an analysis, and errors.

/// Errors of the face engine.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// No face was found in the photo (at the detector threshold of the manifest).
    #[error("no face found in the photo")]
    NoFace,
    /// The bytes are not a photo we can decode (corrupt, truncated, or an unsupported format).
    #[error("unreadable photo: {0}")]
    Unreadable(String),
    /// The photo is larger than [`MAX_PIXELS`] pixels.
    #[error("photo too large: {width}x{height} pixels (limit {limit} pixels)")]
    TooLarge { width: u32, height: u32, limit: u64 },
    /// The model manifest is missing or invalid.
    #[error("model manifest: {0}")]
    Manifest(String),
    /// A model file is missing, has the wrong checksum, or fails to load.
    #[error("model {model}: {message}")]
    ModelLoad { model: String, message: String },
    /// ONNX Runtime failed while running a model.
    #[error("model {model} inference failed: {message}")]
    ModelRun { model: String, message: String },
    /// A template of another model (or dimension) was given where this engine's is required.
    #[error("template model mismatch: expected {expected}, got {got}")]
    ModelMismatch { expected: String, got: String },
    #[error("i/o error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Axis-aligned face box in pixels of the original photo (x, y = top-left corner).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl FaceBox {
    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }
    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }
    /// Intersection over union with another box (0..=1).
    pub fn iou(&self, o: &FaceBox) -> f32 {
        let x1 = self.x.max(o.x);
        let y1 = self.y.max(o.y);
        let x2 = (self.x + self.width).min(o.x + o.width);
        let y2 = (self.y + self.height).min(o.y + o.height);
        let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
        let union = self.area() + o.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// One detected face.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectedFace {
    /// Box in pixels of the original photo.
    pub bbox: FaceBox,
    /// Detector confidence, 0..=1 (YuNet: √(class score × objectness)).
    pub score: f32,
    /// Five landmarks (x, y) in pixels of the original photo, in this order:
    /// right eye (on the image's left), left eye, nose tip, right mouth corner,
    /// left mouth corner.
    pub landmarks: [[f32; 2]; 5],
}

impl DetectedFace {
    /// Distance between the two eye landmarks, in pixels of the original photo.
    pub fn inter_eye_px(&self) -> f32 {
        let [a, b] = [self.landmarks[0], self.landmarks[1]];
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
    }
}

/// A face template (embedding).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Embedder model id, e.g. `sface`.
    pub model_id: String,
    /// Embedder model version, e.g. `2021dec`.
    pub model_version: String,
    /// `output_dim` f32 (128 for SFace), L2-normalised: the dot product of two
    /// templates is their cosine similarity in -1..=1.
    pub vector: Vec<f32>,
}

impl Template {
    /// Cosine similarity (-1..=1) with another template of the same model.
    ///
    /// Errors with [`FaceError::ModelMismatch`] when the models or dimensions differ.
    pub fn similarity(&self, other: &Template) -> Result<f32, FaceError> {
        if self.model_id != other.model_id
            || self.model_version != other.model_version
            || self.vector.len() != other.vector.len()
        {
            return Err(FaceError::ModelMismatch {
                expected: self.model_key(),
                got: other.model_key(),
            });
        }
        Ok(dot(&self.vector, &other.vector))
    }

    /// `id/version`, e.g. `sface/2021dec`.
    pub fn model_key(&self) -> String {
        format!("{}/{}", self.model_id, self.model_version)
    }

    /// The vector as little-endian f32 bytes (the gallery's storage format).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        vector_to_le_bytes(&self.vector)
    }
}

/// f32 slice → little-endian bytes.
pub fn vector_to_le_bytes(v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 4);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// Little-endian bytes → f32, appended to `out`. Returns false when the length
/// is not a multiple of 4.
pub fn vector_from_le_bytes(bytes: &[u8], out: &mut Vec<f32>) -> bool {
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    out.extend(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
    );
    true
}

/// Dot product written so that the compiler vectorises it (8 independent lanes).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// A face found in a photo with its template and quality measures.
#[derive(Debug, Clone)]
pub struct FaceAnalysis {
    pub face: DetectedFace,
    pub template: Template,
    pub quality: Quality,
}

/// Index of the face to use when a photo holds several: the largest face,
/// weighted towards the centre of the photo (area / (1 + 4·d²), d = distance of
/// the box centre from the photo centre divided by the photo diagonal).
/// Booking photos: this picks the subject, not a bystander on a poster.
pub fn primary_face(faces: &[DetectedFace], width: u32, height: u32) -> Option<usize> {
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let diag = ((width as f32).powi(2) + (height as f32).powi(2))
        .sqrt()
        .max(1.0);
    faces
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (fx, fy) = f.bbox.centre();
            let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt() / diag;
            (i, f.bbox.area() / (1.0 + 4.0 * d * d))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Index of the face whose box centre is nearest the photo centre (used by the
/// LFW benchmark, whose photos are centred on the labelled person).
pub fn nearest_centre_face(faces: &[DetectedFace], width: u32, height: u32) -> Option<usize> {
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    faces
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (fx, fy) = f.bbox.centre();
            (i, (fx - cx).powi(2) + (fy - cy).powi(2))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Quality measures of one face.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Quality {
    /// Detector confidence, 0..=1.
    pub detector_score: f32,
    /// Face box in photo pixels: x, y, width, height.
    pub bbox: [f32; 4],
    /// Distance between the eye landmarks, in photo pixels.
    pub inter_eye_px: f32,
    /// Variance of the 4-neighbour Laplacian of the grey 112×112 aligned crop
    /// (higher = sharper; blur and heavy compression lower it).
    pub sharpness: f32,
    /// Rough head yaw in degrees estimated from the landmarks (0 = frontal,
    /// sign = direction of the nose's offset from the eye midpoint); see [`yaw_deg`].
    pub yaw_deg: f32,
    /// Number of faces the detector found in the photo.
    pub face_count: usize,
    /// Human-readable reasons this face is below the thresholds (empty = acceptable).
    pub warnings: Vec<String>,
}

impl Quality {
    pub fn is_low(&self) -> bool {
        !self.warnings.is_empty()
    }
}
