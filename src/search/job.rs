//! The background search worker: claims `search` jobs, runs the probe through the face engine and
//! the gallery, and stores the result and the job's completion in one transaction.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;

use crate::audit::{self, Actor, Entry};
use crate::cases::images::ImageStore;
use crate::cases::store::{Case, CaseImage};
use crate::domain::{CaseAction, CaseId, CaseStatus};
use crate::face::{EngineOptions, FaceEngine};
use crate::gallery::Gallery;
use crate::platform::db::schema::probe_searches;
use crate::platform::db::{DbConnection, DbPool};
use crate::platform::jobs::{self, Job};
use crate::platform::time::now;
use crate::search::{
    JOB_KIND, JobPayload, ProbeFace, ProbeSearch, ProbeSearchState, StoredCandidate,
};

/// The face engine and the gallery index, loaded once on first use.
pub struct Engines {
    pub engine: FaceEngine,
    pub gallery: Gallery,
}

/// What the worker needs.
#[derive(Clone)]
pub struct SearchContext {
    pub pool: DbPool,
    pub images: ImageStore,
    pub models_dir: PathBuf,
    /// Candidate-list length (2–50).
    pub candidates: usize,
    engines: Arc<Mutex<Option<Arc<Engines>>>>,
}

impl SearchContext {
    pub fn new(pool: DbPool, images: ImageStore, models_dir: PathBuf, candidates: usize) -> Self {
        SearchContext {
            pool,
            images,
            models_dir,
            candidates,
            engines: Arc::new(Mutex::new(None)),
        }
    }

    /// The loaded engines; loads them (models, calibration, gallery index) on first use.
    pub fn engines(&self) -> anyhow::Result<Arc<Engines>> {
        let mut guard = self
            .engines
            .lock()
            .map_err(|_| anyhow::anyhow!("engine lock poisoned"))?;
        if let Some(e) = guard.as_ref() {
            return Ok(e.clone());
        }
        let engine = FaceEngine::from_models_dir(&self.models_dir, EngineOptions::interactive())
            .with_context(|| {
                format!(
                    "Face models unavailable in {} (run script/setup)",
                    self.models_dir.display()
                )
            })?;
        let gallery =
            Gallery::open(self.pool.clone(), &engine).context("Failed to open the gallery")?;
        tracing::info!(templates = gallery.len(), model = %gallery.model_key(), "Face engine and gallery loaded");
        let e = Arc::new(Engines { engine, gallery });
        *guard = Some(e.clone());
        Ok(e)
    }
}

/// The search worker: claims search jobs one at a time.
pub struct SearchWorker {
    ctx: SearchContext,
    worker_id: String,
}

impl SearchWorker {
    pub fn new(ctx: SearchContext) -> SearchWorker {
        SearchWorker {
            ctx,
            worker_id: format!("search-{}", uuid::Uuid::new_v4().simple()),
        }
    }
}

impl crate::platform::jobs::runner::Worker for SearchWorker {
    fn name(&self) -> &'static str {
        "search"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(2)
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let (c, w) = (self.ctx.clone(), self.worker_id.clone());
        crate::platform::jobs::runner::blocking(move || run_one(&c, &w)).await
    }
}

/// Claims and runs one job; returns whether there was one.
pub fn run_one(ctx: &SearchContext, worker_id: &str) -> anyhow::Result<bool> {
    let mut conn = ctx
        .pool
        .get()
        .context("Failed to get a database connection")?;
    let Some(job) = jobs::claim(&mut conn, &[JOB_KIND], worker_id)? else {
        return Ok(false);
    };
    // Crash tests hold a claimed job here and `kill -9` the process.
    fail::fail_point!("search.after_claim");
    match process(ctx, &mut conn, &job, worker_id) {
        Ok(()) => {}
        Err(e) => {
            let msg = format!("{e:#}");
            tracing::warn!(job_id = job.id, error = %msg, "Search job failed");
            let gave_up = jobs::fail(&mut conn, &job, worker_id, &msg)?;
            if gave_up {
                record_failure(&mut conn, &job, &msg)?;
            }
        }
    }
    Ok(true)
}

enum Outcome {
    NoFace,
    NeedsChoice(Vec<ProbeFace>),
    Searched {
        faces: Vec<ProbeFace>,
        chosen: usize,
        candidates: Vec<StoredCandidate>,
        model_key: String,
    },
}

fn process(
    ctx: &SearchContext,
    conn: &mut DbConnection,
    job: &Job,
    worker_id: &str,
) -> anyhow::Result<()> {
    let payload: JobPayload =
        serde_json::from_str(&job.payload).context("Bad search job payload")?;
    let ps = ProbeSearch::find(conn, payload.probe_search_id).context("Probe search not found")?;
    let img = CaseImage::in_case(conn, CaseId(ps.case_id), &ps.image_sha256)?
        .context("Probe image row not found")?;
    let bytes = ctx.images.get(&img.sha256, &img.content_type)?;
    let engines = ctx.engines()?;
    let photo = crate::face::decode_image(&bytes).context("Failed to decode the probe image")?;
    let rgb = photo.to_rgb8();
    let analyses = engines
        .engine
        .analyze_all(&rgb)
        .context("Face detection failed")?;
    let faces: Vec<ProbeFace> = analyses
        .iter()
        .enumerate()
        .map(|(i, a)| ProbeFace {
            index: i,
            bbox: a.quality.bbox,
            detector_score: a.quality.detector_score,
            inter_eye_px: a.quality.inter_eye_px,
            sharpness: a.quality.sharpness,
            yaw_deg: a.quality.yaw_deg,
            warnings: a.quality.warnings.clone(),
        })
        .collect();
    let outcome = if analyses.is_empty() {
        Outcome::NoFace
    } else if analyses.len() > 1 && ps.chosen_face.is_none() {
        Outcome::NeedsChoice(faces)
    } else {
        let chosen = usize::try_from(ps.chosen_face.unwrap_or(0)).unwrap_or(0);
        let a = analyses
            .get(chosen)
            .context("The chosen face is not in the photo")?;
        let list = engines
            .gallery
            .search(&a.template, ctx.candidates)
            .context("Gallery search failed")?;
        let candidates = list
            .into_iter()
            .map(|c| StoredCandidate {
                rank: c.rank,
                score: c.score,
                fmr_rate: c.fmr.rate,
                fmr_upper_bound: c.fmr.upper_bound,
                fmr_text: c.fmr.describe(),
                subject_id: c.subject_id,
                subject_key: c.subject_key,
                name: c.name,
                booking_number: c.booking_number,
                booking_date: c.booking_date,
                photo_id: c.photo_id,
                photo_sha256: c.photo_sha256,
                model_id: c.model_id,
                model_version: c.model_version,
            })
            .collect();
        Outcome::Searched {
            faces,
            chosen,
            candidates,
            model_key: engines.gallery.model_key(),
        }
    };
    store(conn, job, worker_id, &ps, outcome)
}

fn store(
    conn: &mut DbConnection,
    job: &Job,
    worker_id: &str,
    ps: &ProbeSearch,
    outcome: Outcome,
) -> anyhow::Result<()> {
    let at = now();
    crate::platform::db::write_tx(conn, |conn| -> anyhow::Result<()> {
        let (summary, st) = match &outcome {
            Outcome::NoFace => {
                diesel::update(probe_searches::table.find(ps.id))
                    .set((
                        probe_searches::status.eq(ProbeSearchState::NoFace.as_str()),
                        probe_searches::faces_json.eq(Some("[]")),
                        probe_searches::searched_at.eq(Some(at)),
                    ))
                    .execute(conn)?;
                (
                    format!("No face found in probe image {}", short(&ps.image_sha256)),
                    ProbeSearchState::NoFace,
                )
            }
            Outcome::NeedsChoice(faces) => {
                diesel::update(probe_searches::table.find(ps.id))
                    .set((
                        probe_searches::status.eq(ProbeSearchState::NeedsFaceChoice.as_str()),
                        probe_searches::faces_json.eq(Some(serde_json::to_string(faces)?)),
                    ))
                    .execute(conn)?;
                (
                    format!(
                        "{} faces in probe image {}: an examiner must choose the face to search",
                        faces.len(),
                        short(&ps.image_sha256)
                    ),
                    ProbeSearchState::NeedsFaceChoice,
                )
            }
            Outcome::Searched {
                faces,
                chosen,
                candidates,
                model_key,
            } => {
                let quality = faces.get(*chosen).map(serde_json::to_string).transpose()?;
                diesel::update(probe_searches::table.find(ps.id))
                    .set((
                        probe_searches::status.eq(ProbeSearchState::Searched.as_str()),
                        probe_searches::faces_json.eq(Some(serde_json::to_string(faces)?)),
                        probe_searches::chosen_face.eq(Some(i32::try_from(*chosen).unwrap_or(0))),
                        probe_searches::quality_json.eq(quality),
                        probe_searches::candidates_json
                            .eq(Some(serde_json::to_string(candidates)?)),
                        probe_searches::candidate_count
                            .eq(Some(i32::try_from(candidates.len()).unwrap_or(0))),
                        probe_searches::model_key.eq(Some(model_key.clone())),
                        probe_searches::searched_at.eq(Some(at)),
                    ))
                    .execute(conn)?;
                (
                    format!(
                        "Probe image {} searched ({model_key}): {} candidate(s)",
                        short(&ps.image_sha256),
                        candidates.len()
                    ),
                    ProbeSearchState::Searched,
                )
            }
        };
        if !jobs::complete(conn, job.id, worker_id, st.as_str())? {
            anyhow::bail!("job {} was completed or re-claimed elsewhere", job.id);
        }
        let case = Case::find(conn, CaseId(ps.case_id))?.context("Case not found")?;
        crate::cases::timeline::timeline(conn, case.id, None, "search", summary.clone(), None)?;
        // LAPD's order on records of access: when, the data used to query (probe hash, case
        // number), on whose behalf, and the stated purpose (the search reason).
        // (A failed lookup fails the transaction: on PostgreSQL it is aborted by then anyway.)
        let requester =
            crate::accounts::store::User::find(conn, crate::domain::UserId(case.requester_id))
                .context("Failed to load the case's requester")?
                .email;
        audit::record(
            conn,
            &Actor::system("search worker"),
            Entry::new("search.run", "image", &ps.image_sha256)
                .reason(&case.search_reason)
                .details(format!(
                    "case {}; requested by {requester}; {summary}",
                    case.display_number()
                )),
        )?;
        maybe_complete_case(conn, &case)?;
        Ok(())
    })
}

/// Moves an approved case to `searched` once every probe search is finished; when no probe of
/// the current version held a face, queues the no-lead result (there is nothing to examine).
fn maybe_complete_case(conn: &mut DbConnection, case: &Case) -> anyhow::Result<()> {
    let all = ProbeSearch::for_case(conn, case.case_id())?;
    if all.is_empty() || !all.iter().all(|p| p.status.is_finished()) {
        return Ok(());
    }
    let any_face = all
        .iter()
        .filter(|p| p.version == case.current_version)
        .any(|p| p.status != ProbeSearchState::NoFace);
    if case.status() == CaseStatus::Approved {
        let to = CaseStatus::Approved.apply(CaseAction::CompleteSearch)?;
        if Case::transition(conn, case.case_id(), CaseStatus::Approved, to, now())? {
            crate::cases::timeline::timeline(
                conn,
                case.id,
                None,
                "searched",
                if any_face {
                    "Every probe image searched: awaiting examiner review"
                } else {
                    "No face found in any probe image: no search possible; a no-lead result \
                     will be issued"
                },
                None,
            )?;
        }
    }
    // With no face in any probe there is nothing to examine: the result (a no-lead packet
    // saying why) is queued now — also when a re-run of a failed search found no face. No
    // review exists, so the single-examiner setting cannot matter; `queue_if_concluded` checks
    // the case is `searched` and queues at most once.
    if !any_face {
        crate::result::job::queue_if_concluded(conn, case.id, false)?;
    }
    Ok(())
}

fn record_failure(conn: &mut DbConnection, job: &Job, msg: &str) -> anyhow::Result<()> {
    let payload: JobPayload = serde_json::from_str(&job.payload)?;
    crate::platform::db::write_tx(conn, |conn| -> anyhow::Result<()> {
        diesel::update(probe_searches::table.find(payload.probe_search_id))
            .set((
                probe_searches::status.eq(ProbeSearchState::Failed.as_str()),
                probe_searches::error.eq(Some(msg)),
            ))
            .execute(conn)?;
        let ps = ProbeSearch::find(conn, payload.probe_search_id)?;
        crate::cases::timeline::timeline(
            conn,
            ps.case_id,
            None,
            "search_failed",
            format!(
                "Search of probe image {} failed: {msg}",
                short(&ps.image_sha256)
            ),
            None,
        )?;
        audit::record(
            conn,
            &Actor::system("search worker"),
            Entry::new("search.run", "image", &ps.image_sha256)
                .outcome(audit::Outcome::Failed)
                .details(msg.to_string()),
        )?;
        Ok(())
    })
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
