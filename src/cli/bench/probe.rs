//! `frdesk bench probe`: probe latency (decode, detection, template) and photo quality.

use std::path::Path;
use std::time::Instant;

use serde_json::json;

use crate::cli::bench::dataset::first_photos;
use crate::cli::bench::measure::{load_average, percentile, process_cpu_seconds};
use crate::face::FaceEngine;

/// Probe latency: decode + detect + align + template, one photo at a time.
pub fn probe_bench(
    engine: &FaceEngine,
    dataset: &Path,
    photos: usize,
) -> anyhow::Result<serde_json::Value> {
    let paths = first_photos(dataset, photos)?;
    let (mut lat, mut detect_lat, mut letterbox_lat) = (Vec::new(), Vec::new(), Vec::new());
    let mut no_face = 0;
    let mut qualities = Vec::new();
    let mut cpu = 0.0;
    let load_before = load_average();
    for p in &paths {
        let bytes = std::fs::read(p)?;
        let c0 = process_cpu_seconds();
        let t = Instant::now();
        let r = engine.probe_bytes(&bytes);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if let (Some(a), Some(b)) = (c0, process_cpu_seconds()) {
            cpu += b - a;
        }
        match r {
            Ok(a) => qualities.push(a.quality),
            Err(_) => no_face += 1,
        }
        let img = crate::face::decode_image(&bytes)?;
        let rgb = img.to_rgb8();
        let t = Instant::now();
        let _ = engine.detect_rgb(&rgb)?;
        detect_lat.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let _ = crate::face::letterbox_for_bench(&rgb, &engine.manifest().detector);
        letterbox_lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    detect_lat.sort_by(f64::total_cmp);
    letterbox_lat.sort_by(f64::total_cmp);
    let dist = |f: &dyn Fn(&crate::face::Quality) -> f32| {
        let mut v: Vec<f64> = qualities.iter().map(|q| f64::from(f(q))).collect();
        v.sort_by(f64::total_cmp);
        json!({"p5": percentile(&v, 0.05), "p50": percentile(&v, 0.5), "p95": percentile(&v, 0.95)})
    };
    let flagged = qualities.iter().filter(|q| q.is_low()).count();
    Ok(json!({
        "photos": paths.len(),
        "no_face": no_face,
        "quality": {
            "detector_score": dist(&|q| q.detector_score),
            "inter_eye_px": dist(&|q| q.inter_eye_px),
            "sharpness": dist(&|q| q.sharpness),
            "abs_yaw_deg": dist(&|q| q.yaw_deg.abs()),
            "flagged_low": flagged,
            "flagged_multi_face": qualities.iter().filter(|q| q.face_count > 1).count(),
            "flagged_sharpness": qualities.iter().filter(|q| q.sharpness < 40.0).count(),
            "flagged_yaw": qualities.iter().filter(|q| q.yaw_deg.abs() > 30.0).count(),
        },
        "probe_ms_p50": percentile(&lat, 0.5),
        "probe_cpu_ms_mean": cpu * 1000.0 / paths.len().max(1) as f64,
        "load_average_1min": [load_before, load_average()],
        "probe_ms_p95": percentile(&lat, 0.95),
        "detect_ms_p50": percentile(&detect_lat, 0.5),
        "letterbox_ms_p50": percentile(&letterbox_lat, 0.5),
        "engine": "1 session pair x 2 intra-op threads",
    }))
}
