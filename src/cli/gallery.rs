//! `frdesk gallery …`: enroll, remove, stats, demo, search.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::audit::{self, Actor, Entry, Outcome};
use crate::face::{EngineOptions, FaceEngine, decode_image_file};
use crate::gallery::enroll::{FaceChoice, enroll_items, items_from_dir};
use crate::gallery::{DEFAULT_CANDIDATES, Gallery};

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
    /// Search the gallery with a probe photo (read-only: the probe is never stored).
    Search {
        photo: PathBuf,
        /// The search reason (LACRIS: a reference number with the purpose); audited with the
        /// probe's SHA-256. Non-compliant reasons are refused.
        #[arg(long, value_parser = crate::cli::args::text)]
        reason: String,
        #[arg(long, default_value_t = DEFAULT_CANDIDATES)]
        candidates: usize,
        #[arg(long)]
        json: bool,
    },
}

/// Runs a gallery command against the database at `database_url` (SQLite path
/// or postgres:// URL) with the models in `models_dir`.
pub fn run(cmd: GalleryCommand, database_url: &str, models_dir: &Path) -> anyhow::Result<()> {
    let pool = crate::platform::db::connect(database_url)?;
    let options = match cmd {
        GalleryCommand::Search { .. } => EngineOptions::interactive(),
        _ => EngineOptions::batch(),
    };
    let engine = FaceEngine::from_models_dir(models_dir, options)?;
    let gallery = Gallery::open(pool, &engine)?;
    match cmd {
        GalleryCommand::Enroll {
            dir,
            manifest,
            every_face,
        } => {
            let items = items_from_dir(&dir, manifest.as_deref())?;
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
            let s = enroll_items(&gallery, &engine, &items, choice, Some(&pb))?;
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
            let removed = gallery.remove_subject(&subject)?;
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
        GalleryCommand::Search {
            photo,
            reason,
            candidates,
            json,
        } => {
            let verdict = crate::domain::reason::assess(&reason);
            if verdict.verdict == crate::domain::reason::Verdict::NonCompliant {
                anyhow::bail!(
                    "the search reason is not compliant: {}",
                    verdict
                        .findings
                        .iter()
                        .map(|f| f.message.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            let bytes = std::fs::read(&photo)?;
            let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
            let img = decode_image_file(&photo)?;
            let probe = engine.probe(&img)?;
            let list = gallery.search(&probe.template, candidates)?;
            let mut conn = gallery.pool().get()?;
            audit::record(
                &mut conn,
                &Actor::cli("gallery search"),
                Entry::new("search.run", "image", &sha)
                    .reason(reason.trim())
                    .details(format!("command-line search; {} candidates", list.len())),
            )?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "quality": probe.quality, "candidates": list })
                );
            } else {
                if probe.quality.is_low() {
                    println!("LOW-QUALITY PROBE: {}", probe.quality.warnings.join("; "));
                }
                println!("rank  score   FMR               subject             booking       photo");
                for c in &list {
                    println!(
                        "{:>4}  {:.3}  {:<16}  {:<18}  {:<12}  {}",
                        c.rank,
                        c.score,
                        c.fmr.describe(),
                        c.subject_key,
                        c.booking_number,
                        c.photo_path
                    );
                }
                println!("A candidate list is an investigative lead, not an identification.");
            }
        }
    }
    Ok(())
}
