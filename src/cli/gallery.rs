//! `frdesk gallery …`: enroll, remove, stats, demo, search.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use crate::audit::{self, Actor, Entry, Outcome};
use crate::face::{EngineOptions, FaceEngine};
use crate::gallery::Gallery;
use crate::gallery::enroll::{FaceChoice, enroll_items, items_from_dir};
use crate::gallery::log::GalleryChange;

#[derive(Debug, clap::Subcommand)]
pub enum GalleryCommand {
    /// Enroll a folder of booking photos (resumable: photos already enrolled,
    /// by SHA-256, are skipped).
    Enroll {
        dir: PathBuf,
        /// CSV with header file,subject_id,booking_number,booking_date,name
        /// (file relative to DIR). Without it the folder name is the subject.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Enroll every face found as its own subject (<subject>-<n>) instead
        /// of the primary face.
        #[arg(long)]
        every_face: bool,
        /// The system the photos came from, kept in the gallery log with every enrollment
        /// (e.g. "LASD booking system"); a CSV's `source` column overrides it per row.
        /// DMV/Cal-Photo images are refused.
        #[arg(long, value_parser = crate::cli::args::text)]
        source: Option<String>,
        /// Why these photos are enrolled, kept in the gallery log.
        #[arg(long, value_parser = crate::cli::args::text, default_value = "booking photo enrollment")]
        reason: String,
    },
    /// Logically remove a subject: no longer searchable, kept for audit.
    Remove {
        #[arg(long)]
        subject: String,
        /// Why (e.g. "record sealed by court order 2026-CR-123"); kept in the audit record.
        #[arg(long, value_parser = crate::cli::args::text)]
        reason: String,
    },
    /// Gallery counts.
    Stats,
    /// Enroll the demo gallery from <models>/demo (every face its own subject;
    /// obama2.jpg is held back as the demo probe).
    Demo,
}

/// Runs a gallery command against the configured database with the models in `models_dir`.
pub fn run(cmd: GalleryCommand, settings: &crate::config::Settings) -> anyhow::Result<()> {
    let models_dir = &settings.face.models_dir;
    let pool = settings.database.connect()?;
    let storage = settings.file_store(&pool)?;
    // Enrollment only: a 1:N search runs only for an approved request, started by a trained
    // examiner (docs/POLICIES.md, "Searching"); there is no search from the command line.
    let options = EngineOptions::batch();
    let engine = FaceEngine::from_models_dir(models_dir, options)?;
    let gallery = Gallery::open(pool, &engine)?;
    if storage.kind() == crate::platform::storage::StorageKind::Database {
        gallery.keep_photos_in(storage);
    }
    match cmd {
        GalleryCommand::Enroll {
            dir,
            manifest,
            every_face,
            source,
            reason,
        } => {
            let items = items_from_dir(&dir, manifest.as_deref(), source.as_deref())?;
            let by = GalleryChange::new("command line (frdesk gallery enroll)", reason.trim());
            let pb = ProgressBar::new(items.len() as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "enrolling {bar:40} {pos}/{len} [{elapsed_precise} / ~{eta}] {per_sec}",
            ) {
                pb.set_style(style);
            }
            let choice = if every_face {
                FaceChoice::EveryFace
            } else {
                FaceChoice::Primary
            };
            let s = enroll_items(&gallery, &engine, &items, choice, &by, Some(&pb))?;
            pb.finish_and_clear();
            println!(
                "photos {}: enrolled {} ({} templates), already enrolled {}, no face {}, unreadable {}, failed {}",
                s.photos, s.enrolled, s.templates, s.skipped, s.no_face, s.unreadable, s.failed
            );
            for e in &s.errors {
                eprintln!("  {e}");
            }
            let mut conn = gallery.pool().get()?;
            audit::record(
                &mut conn,
                &Actor::cli("gallery enroll"),
                Entry::new("gallery.enroll", "folder", dir.display()).details(format!(
                    "photos {}, enrolled {}, templates {}, skipped {}, no face {}, unreadable {}, failed {}",
                    s.photos, s.enrolled, s.templates, s.skipped, s.no_face, s.unreadable, s.failed
                )),
            )?;
        }
        GalleryCommand::Remove { subject, reason } => {
            if reason.trim().len() < 5 {
                anyhow::bail!("--reason must say why the subject is removed (sealed, expunged, …)");
            }
            let by = GalleryChange::new("command line (frdesk gallery remove)", reason.trim());
            let removed = gallery.remove_subject(&subject, &by)?;
            let mut conn = gallery.pool().get()?;
            audit::record(
                &mut conn,
                &Actor::cli("gallery remove"),
                Entry::new("gallery.remove", "subject", &subject)
                    .outcome(if removed {
                        Outcome::Success
                    } else {
                        Outcome::Failed
                    })
                    .details(reason.trim().to_string()),
            )?;
            if removed {
                println!("subject {subject} removed from search (kept for audit)");
            } else {
                anyhow::bail!("no active subject {subject}");
            }
        }
        GalleryCommand::Stats => {
            println!("{}", serde_json::to_string_pretty(&gallery.stats()?)?);
        }
        GalleryCommand::Demo => {
            let s = crate::gallery::demo::enroll_demo_into(
                &gallery,
                &engine,
                &models_dir.join("demo"),
            )?;
            println!(
                "demo: {} photos, {} enrolled ({} faces), {} already enrolled, {} without a face; gallery holds {} templates; probe: {}",
                s.enrollment.photos,
                s.enrollment.enrolled,
                s.enrollment.templates,
                s.enrollment.skipped,
                s.enrollment.no_face,
                s.gallery_templates,
                s.probe.display()
            );
        }
    }
    Ok(())
}
