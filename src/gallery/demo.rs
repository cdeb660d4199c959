//! Demo gallery from the photos `script/models` puts in `models/demo/`.
//!
//! Every face found in every demo photo becomes its own demo subject
//! (`DEMO-<photo>-<n>`), except the held-back probe photo ([`DEMO_PROBE`]),
//! which is never enrolled: searching it should find the same person
//! (`DEMO-obama-1` or `DEMO-obama3-1`) at rank 1 among the other faces.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::face::FaceEngine;
use crate::gallery::enroll::{EnrollItem, EnrollSummary, FaceChoice, enroll_items};
use crate::gallery::{BookingRecord, Gallery};
use crate::platform::db::DbPool;

/// Demo photo held back as the search probe.
pub const DEMO_PROBE: &str = "obama2.jpg";

/// The source system the gallery log records for demo photos: they are sample photos shipped
/// with the face models, not booking photos.
pub const DEMO_SOURCE: &str = "demo photos shipped with the face models (not booking photos)";

/// Result of [`enroll_demo`].
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub enrollment: EnrollSummary,
    /// Searchable templates after enrollment (whole gallery).
    pub gallery_templates: usize,
    /// The held-back probe photo (not enrolled).
    pub probe: PathBuf,
}

/// Demo photos of `demo_dir`, sorted, without the probe.
pub fn demo_items(demo_dir: &Path) -> anyhow::Result<Vec<EnrollItem>> {
    let mut items = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(demo_dir)
        .map_err(|e| anyhow::anyhow!("{}: {e} (run script/models)", demo_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("png"))
        })
        .collect();
    paths.sort();
    for path in paths {
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if name == DEMO_PROBE {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("photo")
            .to_string();
        items.push(EnrollItem {
            record: BookingRecord {
                subject_key: format!("DEMO-{stem}"),
                name: format!("Demo subject from {name}"),
                booking_number: format!("DEMO-{stem}"),
                booking_date: None,
                source: DEMO_SOURCE.to_string(),
            },
            path,
        });
    }
    if items.is_empty() {
        anyhow::bail!(
            "no demo photos in {} (run script/models)",
            demo_dir.display()
        );
    }
    Ok(items)
}

/// Enrolls the demo gallery into an open [`Gallery`] (idempotent: photos
/// already enrolled are skipped).
pub fn enroll_demo_into(
    gallery: &Gallery,
    engine: &FaceEngine,
    demo_dir: &Path,
) -> anyhow::Result<DemoSummary> {
    let items = demo_items(demo_dir)?;
    let by = crate::gallery::log::GalleryChange::new(
        "demo gallery set-up",
        "demo gallery (not booking photos)",
    );
    let enrollment = enroll_items(gallery, engine, &items, FaceChoice::EveryFace, &by, None)?;
    Ok(DemoSummary {
        enrollment,
        gallery_templates: gallery.len(),
        probe: demo_dir.join(DEMO_PROBE),
    })
}

/// Enrolls the demo gallery through the database (idempotent). A [`Gallery`]
/// opened before this call must be [`Gallery::reload`]ed to see the new subjects.
pub fn enroll_demo(
    pool: &DbPool,
    engine: &FaceEngine,
    demo_dir: &Path,
) -> anyhow::Result<DemoSummary> {
    let gallery = Gallery::open(pool.clone(), engine)?;
    enroll_demo_into(&gallery, engine, demo_dir)
}
