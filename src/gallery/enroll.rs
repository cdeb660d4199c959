//! Bulk enrollment of a photo folder (`frdesk gallery enroll`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::face::{FaceAnalysis, FaceEngine, FaceError, decode_image, primary_face};
use crate::gallery::log::GalleryChange;
use crate::gallery::{BookingRecord, EnrollOutcome, Gallery, GalleryError};

/// One photo to enroll with its record.
#[derive(Debug, Clone)]
pub struct EnrollItem {
    pub path: PathBuf,
    pub record: BookingRecord,
}

/// Which faces of a photo become templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceChoice {
    /// Booking photos: the primary face only (largest, weighted to the centre).
    Primary,
    /// Demo gallery: every face found is its own subject, keyed
    /// `<subject id>-<n>` (n = 1.., by detector score).
    EveryFace,
}

/// Counts of an enrollment run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EnrollSummary {
    /// Photos read.
    pub photos: usize,
    /// Photos newly enrolled.
    pub enrolled: usize,
    /// Templates written.
    pub templates: usize,
    /// Photos already in the gallery (same SHA-256), skipped.
    pub skipped: usize,
    pub no_face: usize,
    /// Unreadable, too large or missing files.
    pub unreadable: usize,
    /// Other failures (listed in `errors`).
    pub failed: usize,
    /// `path: reason` of every failed or unreadable photo (first 100).
    pub errors: Vec<String>,
}

const PHOTO_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "JPG"];

fn is_photo(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PHOTO_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Photos of a folder. With `csv`, the records come from the CSV (header
/// `file,subject_id,booking_number,booking_date,name`; `file` relative to
/// `dir`); without it, each photo's parent folder name is its subject id and
/// name, and photos directly in `dir` use their file stem. `source` is the system the photos
/// came from (a CSV's `source` column, where present and filled, overrides it for its row).
///
/// Errors: an unreadable folder or CSV, a bad booking date, a photo with no declared source
/// (neither `source` nor a CSV `source` cell), a DMV/Cal-Photo source (never enrolled).
pub fn items_from_dir(
    dir: &Path,
    csv: Option<&Path>,
    source: Option<&str>,
) -> anyhow::Result<Vec<EnrollItem>> {
    let source = source.map(str::trim).filter(|s| !s.is_empty());
    if let Some(why) = source.and_then(crate::gallery::log::forbidden_source) {
        anyhow::bail!("{why}");
    }
    if let Some(csv) = csv {
        return items_from_csv(dir, csv, source);
    }
    let Some(source) = source else {
        anyhow::bail!(
            "declare the photos' source system (--source, e.g. \"LASD booking system\"): the gallery log keeps it with every enrollment"
        );
    };
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    Ok(files
        .into_iter()
        .map(|path| {
            let key = if path.parent() == Some(dir) {
                path.file_stem()
            } else {
                path.parent().and_then(|p| p.file_name())
            }
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
            EnrollItem {
                record: BookingRecord {
                    name: key.replace('_', " "),
                    subject_key: key,
                    booking_number: String::new(),
                    booking_date: None,
                    source: source.to_string(),
                },
                path,
            }
        })
        .collect())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for e in std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if is_photo(&p) {
            out.push(p);
        }
    }
    Ok(())
}

fn items_from_csv(
    dir: &Path,
    csv_path: &Path,
    source: Option<&str>,
) -> anyhow::Result<Vec<EnrollItem>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(csv_path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", csv_path.display()))?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(f), Some(s)) = (col("file"), col("subject_id")) else {
        anyhow::bail!(
            "{}: needs columns file,subject_id[,booking_number,booking_date,name]",
            csv_path.display()
        );
    };
    let (b, d, n) = (col("booking_number"), col("booking_date"), col("name"));
    let src = col("source");
    let mut items = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").to_string();
        let date = get(d);
        if !date.is_empty() && chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_err() {
            anyhow::bail!(
                "{} line {}: booking_date `{date}` is not YYYY-MM-DD",
                csv_path.display(),
                line + 2
            );
        }
        let row_source = Some(get(src))
            .filter(|s| !s.is_empty())
            .or_else(|| source.map(str::to_string));
        let Some(row_source) = row_source else {
            anyhow::bail!(
                "{} line {}: no source system (fill the `source` column or give --source)",
                csv_path.display(),
                line + 2
            );
        };
        if let Some(why) = crate::gallery::log::forbidden_source(&row_source) {
            anyhow::bail!("{} line {}: {why}", csv_path.display(), line + 2);
        }
        items.push(EnrollItem {
            path: dir.join(get(Some(f))),
            record: BookingRecord {
                subject_key: get(Some(s)),
                name: get(n),
                booking_number: get(b),
                booking_date: (!date.is_empty()).then_some(date),
                source: row_source,
            },
        });
    }
    Ok(items)
}

enum Prepared {
    Skip,
    Faces {
        sha: String,
        faces: Vec<FaceAnalysis>,
        /// The file's bytes, for a copy in the desk's store ([`Gallery::keep_photos_in`]).
        bytes: Vec<u8>,
    },
    Error(FaceError),
}

fn prepare(
    engine: &FaceEngine,
    item: &EnrollItem,
    known: &HashSet<String>,
    choice: FaceChoice,
) -> Prepared {
    let bytes = match std::fs::read(&item.path) {
        Ok(b) => b,
        Err(source) => {
            return Prepared::Error(FaceError::Io {
                path: item.path.display().to_string(),
                source,
            });
        }
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    if known.contains(&sha) {
        return Prepared::Skip;
    }
    let img = match decode_image(&bytes) {
        Ok(i) => i.to_rgb8(),
        Err(e) => return Prepared::Error(e),
    };
    let faces = match choice {
        FaceChoice::Primary => engine.analyze_one(&img, primary_face).map(|f| vec![f]),
        FaceChoice::EveryFace => engine.analyze_all(&img),
    };
    match faces {
        Ok(f) if f.is_empty() => Prepared::Error(FaceError::NoFace),
        Ok(faces) => Prepared::Faces { sha, faces, bytes },
        Err(e) => Prepared::Error(e),
    }
}

/// Enrolls `items` on all cores (the engine's session pairs run in parallel;
/// database writes are sequential). Resumable: photos whose SHA-256 is already
/// in the gallery are skipped. One bad file never stops the run: it is counted
/// and listed in the summary.
pub fn enroll_items(
    gallery: &Gallery,
    engine: &FaceEngine,
    items: &[EnrollItem],
    choice: FaceChoice,
    by: &GalleryChange,
    progress: Option<&ProgressBar>,
) -> Result<EnrollSummary, GalleryError> {
    let mut known = gallery.enrolled_sha256()?;
    let already = known.clone();
    let mut summary = EnrollSummary::default();
    let chunk = 32;
    // Two stages overlap: a producer thread runs detection and templates for the next batch
    // on every core (rayon) while this thread writes the previous batch to the database, so
    // the cores never wait for the writes. The bounded channel keeps at most two batches of
    // templates in memory. Photos enrolled earlier in this run are caught by the gallery's
    // own SHA-256 check (`AlreadyEnrolled`).
    std::thread::scope(|scope| -> Result<(), GalleryError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(1);
        let already = &already;
        scope.spawn(move || {
            for batch in items.chunks(chunk) {
                let prepared: Vec<Prepared> = batch
                    .par_iter()
                    .map(|item| prepare(engine, item, already, choice))
                    .collect();
                if tx.send(prepared).is_err() {
                    return; // the writer stopped (database error): stop preparing
                }
            }
        });
        for (batch, prepared) in items.chunks(chunk).zip(rx.iter()) {
            write_batch(
                gallery,
                (batch, prepared),
                (choice, by),
                &mut known,
                &mut summary,
                progress,
            )?;
        }
        Ok(())
    })?;
    Ok(summary)
}

/// Writes one prepared batch to the gallery, counting outcomes; errors only on a database
/// failure (one bad photo is counted, never fatal).
fn write_batch(
    gallery: &Gallery,
    (batch, prepared): (&[EnrollItem], Vec<Prepared>),
    (choice, by): (FaceChoice, &GalleryChange),
    known: &mut HashSet<String>,
    summary: &mut EnrollSummary,
    progress: Option<&ProgressBar>,
) -> Result<(), GalleryError> {
    {
        for (item, p) in batch.iter().zip(prepared) {
            summary.photos += 1;
            let fail = |summary: &mut EnrollSummary, msg: String| {
                if summary.errors.len() < 100 {
                    summary
                        .errors
                        .push(format!("{}: {msg}", item.path.display()));
                }
            };
            match p {
                Prepared::Skip => summary.skipped += 1,
                Prepared::Error(FaceError::NoFace) => summary.no_face += 1,
                Prepared::Error(
                    e @ (FaceError::Unreadable(_)
                    | FaceError::TooLarge { .. }
                    | FaceError::Io { .. }),
                ) => {
                    summary.unreadable += 1;
                    fail(summary, e.to_string());
                }
                Prepared::Error(e) => {
                    summary.failed += 1;
                    fail(summary, e.to_string());
                }
                Prepared::Faces { sha, faces, bytes } => {
                    let path = match gallery.photo_store() {
                        None => item.path.display().to_string(),
                        Some(store) => {
                            let ext = item
                                .path
                                .extension()
                                .map(|e| e.to_string_lossy().into_owned())
                                .unwrap_or_default();
                            let name = crate::gallery::Photo::store_name(&sha, &ext);
                            if let Err(e) = store.put(&name, &bytes) {
                                summary.failed += 1;
                                fail(summary, format!("{e:#}"));
                                continue;
                            }
                            name
                        }
                    };
                    let result = match choice {
                        FaceChoice::Primary => {
                            gallery.enroll(&item.record, &sha, &path, &faces, by)
                        }
                        FaceChoice::EveryFace => {
                            enroll_every_face(gallery, item, &sha, &path, &faces, by)
                        }
                    };
                    match result {
                        Ok(EnrollOutcome::Enrolled(ids)) => {
                            summary.enrolled += 1;
                            summary.templates += ids.len();
                            known.insert(sha);
                        }
                        Ok(EnrollOutcome::AlreadyEnrolled) => summary.skipped += 1,
                        Err(
                            e @ (GalleryError::Invalid(_) | GalleryError::ModelMismatch { .. }),
                        ) => {
                            summary.failed += 1;
                            fail(summary, e.to_string());
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            if let Some(pb) = progress {
                pb.inc(1);
            }
        }
    }
    Ok(())
}

/// Every face of one photo as its own subject `<key>-<n>`. The photo row is
/// shared (one SHA-256), so each face is stored under a per-face pseudo-hash
/// `sha256:n` for faces after the first.
fn enroll_every_face(
    gallery: &Gallery,
    item: &EnrollItem,
    sha: &str,
    path: &str,
    faces: &[FaceAnalysis],
    by: &GalleryChange,
) -> Result<EnrollOutcome, GalleryError> {
    let mut all = Vec::new();
    for (n, face) in faces.iter().enumerate() {
        let record = BookingRecord {
            subject_key: format!("{}-{}", item.record.subject_key, n + 1),
            name: format!("{} (face {})", item.record.name, n + 1),
            booking_number: item.record.booking_number.clone(),
            booking_date: item.record.booking_date.clone(),
            source: item.record.source.clone(),
        };
        let key = if n == 0 {
            sha.to_string()
        } else {
            format!("{sha}:{}", n + 1)
        };
        if let EnrollOutcome::Enrolled(ids) =
            gallery.enroll(&record, &key, path, std::slice::from_ref(face), by)?
        {
            all.extend(ids);
        }
    }
    if all.is_empty() {
        Ok(EnrollOutcome::AlreadyEnrolled)
    } else {
        Ok(EnrollOutcome::Enrolled(all))
    }
}
