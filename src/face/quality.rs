//! Probe quality measures and the thresholds below which a probe is flagged.
//!
//! These are warnings for the examiner, not gates: a low-quality probe may still
//! be searched, but its candidate list deserves extra caution.

use image::RgbImage;
use serde::Serialize;

use crate::face::types::{DetectedFace, Quality};

/// Thresholds below which a probe is flagged as low quality.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualityThresholds {
    /// Minimum detector score (default 0.75).
    pub min_detector_score: f32,
    /// Minimum inter-eye distance in pixels (default 30; ISO/IEC 19794-5 asks
    /// for 60+ for enrolment, 90 preferred).
    pub min_inter_eye_px: f32,
    /// Minimum Laplacian variance of the aligned crop (default 40: the 5th
    /// percentile on 200 LFW photos, see docs/BENCHMARKS.md).
    pub min_sharpness: f32,
    /// Maximum absolute yaw in degrees (default 30).
    pub max_abs_yaw_deg: f32,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        Self {
            min_detector_score: 0.75,
            min_inter_eye_px: 30.0,
            min_sharpness: 40.0,
            max_abs_yaw_deg: 30.0,
        }
    }
}

/// Variance of the 4-neighbour Laplacian of the grey version of `crop`.
pub fn sharpness(crop: &RgbImage) -> f32 {
    let (w, h) = (crop.width() as usize, crop.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let grey: Vec<f32> = crop
        .pixels()
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect();
    let (mut sum, mut sum2, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let c = grey[y * w + x];
            let l = grey[y * w + x - 1]
                + grey[y * w + x + 1]
                + grey[(y - 1) * w + x]
                + grey[(y + 1) * w + x]
                - 4.0 * c;
            let l = f64::from(l);
            sum += l;
            sum2 += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sum2 / n - mean * mean) as f32
}

/// Rough yaw from the landmarks, in degrees. With the eyes at ±d₀/2 and the
/// nose tip a depth h ≈ 0.55·d₀ in front of the eye plane, a head turned by θ
/// shows the nose offset from the eye midpoint (measured along the eye axis,
/// so in-plane roll does not count) by r = (2h/d₀)·tan θ half inter-eye
/// distances; hence θ = atan(r / 1.1). Coarse: face shape and landmark noise
/// move it by ±10° or more.
pub fn yaw_deg(face: &DetectedFace) -> f32 {
    let [re, le, nose, _, _] = face.landmarks;
    let (ex, ey) = (le[0] - re[0], le[1] - re[1]);
    let d = (ex * ex + ey * ey).sqrt();
    if d <= f32::EPSILON {
        return 90.0;
    }
    let (ux, uy) = (ex / d, ey / d);
    let (mx, my) = ((re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0);
    let off = (nose[0] - mx) * ux + (nose[1] - my) * uy;
    let r = off / (d / 2.0);
    (r / 1.1).atan().to_degrees()
}

/// Measures one face. `crop` is its aligned crop.
pub fn assess(
    face: &DetectedFace,
    crop: &RgbImage,
    face_count: usize,
    t: &QualityThresholds,
) -> Quality {
    let inter_eye_px = face.inter_eye_px();
    let sharp = sharpness(crop);
    let yaw = yaw_deg(face);
    let mut warnings = Vec::new();
    if face.score < t.min_detector_score {
        warnings.push(format!(
            "detector score {:.2} below {:.2}",
            face.score, t.min_detector_score
        ));
    }
    if inter_eye_px < t.min_inter_eye_px {
        warnings.push(format!(
            "inter-eye distance {inter_eye_px:.0} px below {:.0} px",
            t.min_inter_eye_px
        ));
    }
    if sharp < t.min_sharpness {
        warnings.push(format!(
            "sharpness {sharp:.0} below {:.0} (blurred?)",
            t.min_sharpness
        ));
    }
    if yaw.abs() > t.max_abs_yaw_deg {
        warnings.push(format!(
            "head turned about {:.0}° (limit {:.0}°)",
            yaw.abs(),
            t.max_abs_yaw_deg
        ));
    }
    if face_count > 1 {
        warnings.push(format!(
            "{face_count} faces in the photo: check the right one was used"
        ));
    }
    Quality {
        detector_score: face.score,
        bbox: [face.bbox.x, face.bbox.y, face.bbox.width, face.bbox.height],
        inter_eye_px,
        sharpness: sharp,
        yaw_deg: yaw,
        face_count,
        warnings,
    }
}
