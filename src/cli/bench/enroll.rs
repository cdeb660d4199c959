//! `frdesk bench enroll`: enrollment throughput into a temporary SQLite gallery.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use crate::cli::bench::dataset::first_photos;
use crate::cli::bench::measure::{load_average, process_cpu_seconds, tempfile_dir};
use crate::face::FaceEngine;
use crate::gallery::Gallery;
use crate::gallery::enroll::{FaceChoice, enroll_items, items_from_dir};

/// Enrollment throughput into a temporary SQLite gallery.
pub fn enroll_bench(
    engine: &FaceEngine,
    dataset: &Path,
    photos: usize,
) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile_dir()?;
    let db = dir.join("bench.sqlite");
    let pool = crate::platform::db::connect(&db.display().to_string())?;
    let gallery = Gallery::open(pool, engine)?;
    let wanted: std::collections::HashSet<PathBuf> =
        first_photos(dataset, photos)?.into_iter().collect();
    let items: Vec<_> = items_from_dir(
        dataset,
        None,
        Some("benchmark data set (not booking photos)"),
    )?
    .into_iter()
    .filter(|i| wanted.contains(&i.path))
    .collect();
    let by = crate::gallery::log::GalleryChange::new("frdesk bench enroll", "benchmark");
    let load_before = load_average();
    let c0 = process_cpu_seconds();
    let t = Instant::now();
    let summary = enroll_items(&gallery, engine, &items, FaceChoice::Primary, &by, None)?;
    let secs = t.elapsed().as_secs_f64();
    let cpu = match (c0, process_cpu_seconds()) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let t2 = Instant::now();
    let resumed = enroll_items(&gallery, engine, &items, FaceChoice::Primary, &by, None)?;
    let resume_secs = t2.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "photos": summary.photos,
        "enrolled": summary.enrolled,
        "no_face": summary.no_face,
        "unreadable": summary.unreadable,
        "seconds": secs,
        "photos_per_second": summary.photos as f64 / secs,
        "cpu_seconds_per_photo": cpu / summary.photos.max(1) as f64,
        "load_average_1min": [load_before, load_average()],
        "resume_skipped": resumed.skipped,
        "resume_seconds": resume_secs,
        "threads": rayon::current_num_threads(),
    }))
}
