//! The background search worker: claims `search` jobs and, by the probe search's state, either
//! analyses the probe (faces and quality, for the examiner's assessment) or searches the gallery
//! with the face the examiner chose; stores the result and the job's completion in one
//! transaction. The job is held under a lease renewed while it runs ([`jobs::keep_lease`]);
//! the completion is refused when the lease lapsed and another instance took the job over, and
//! then the whole transaction — candidate list, timeline, audit record — rolls back.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;

use crate::audit::{self, Actor, Entry};
use crate::cases::images::ImageStore;
use crate::cases::store::{Case, CaseImage};
use crate::domain::CaseId;
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
    /// Where the gallery index is saved (`None`: rebuilt from the database at every start).
    pub gallery_index_dir: Option<PathBuf>,
    engines: Arc<Mutex<Option<Arc<Engines>>>>,
    /// Staff notifications of searches awaiting examiners (`crate::notifications`); `None`
    /// notifies nobody (the CLI walk-through).
    pub notify: Option<crate::notifications::NotifyContext>,
    /// Where gallery search latency is recorded (`metrics.bind` set).
    pub metrics: Option<Arc<crate::platform::metrics::Metrics>>,
    /// Lease under which a claimed job is held (`jobs.lease_seconds`; default 30 s).
    pub job_lease: Duration,
}

impl SearchContext {
    pub fn new(pool: DbPool, images: ImageStore, models_dir: PathBuf, candidates: usize) -> Self {
        SearchContext {
            pool,
            images,
            models_dir,
            candidates,
            gallery_index_dir: None,
            engines: Arc::new(Mutex::new(None)),
            notify: None,
            metrics: None,
            job_lease: crate::platform::jobs::lease::DEFAULT_LEASE,
        }
    }

    /// The same context, holding claimed jobs under leases of `lease` (`jobs.lease_seconds`).
    pub fn with_job_lease(mut self, lease: Duration) -> Self {
        self.job_lease = lease;
        self
    }

    /// The same context, telling examiners of searches awaiting them.
    pub fn with_notify(mut self, notify: crate::notifications::NotifyContext) -> Self {
        self.notify = Some(notify);
        self
    }

    /// The same context, recording each gallery search's latency in `metrics`.
    pub fn with_metrics(mut self, metrics: Option<Arc<crate::platform::metrics::Metrics>>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Saves the gallery index in `dir` (`<data_dir>/gallery-index`) for a fast start.
    pub fn with_gallery_index_dir(mut self, dir: PathBuf) -> Self {
        self.gallery_index_dir = Some(dir);
        self
    }

    /// The engines if they are loaded; `None` before the first load finished (and while it
    /// runs). Never waits and never loads.
    pub fn loaded(&self) -> Option<Arc<Engines>> {
        self.engines.try_lock().ok().and_then(|g| g.clone())
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
        let gallery = Gallery::open_in(
            self.pool.clone(),
            &engine,
            self.gallery_index_dir.as_deref(),
        )
        .context("Failed to open the gallery")?;
        if self.images.storage().kind() == crate::platform::storage::StorageKind::Database {
            // Several instances: a booking photo enrolled here must be visible on every one.
            gallery.keep_photos_in(self.images.storage().clone());
        }
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

/// Claims and runs one job as `worker_id` (recorded as the job's `claimed_by`), renewing its
/// lease while it runs; returns whether there was one. A failed job is recorded (retried, or
/// given up with the probe search marked failed) and still counts as one.
///
/// Errors: the database's.
pub fn run_one(ctx: &SearchContext, worker_id: &str) -> anyhow::Result<bool> {
    let mut conn = ctx
        .pool
        .get()
        .context("Failed to get a database connection")?;
    let Some(job) = jobs::claim(&mut conn, &[JOB_KIND], worker_id, ctx.job_lease)? else {
        return Ok(false);
    };
    // Renewed until dropped at the end of this function, after the job's outcome committed.
    let _lease = jobs::keep_lease(&ctx.pool, &job, ctx.job_lease);
    // Crash tests hold a claimed job here and `kill -9` the process.
    fail::fail_point!("search.after_claim");
    match process(ctx, &mut conn, &job) {
        Ok(()) => {}
        Err(e) => {
            let msg = format!("{e:#}");
            tracing::warn!(job_id = job.id, lease_epoch = job.lease_epoch, error = %msg, "Search job failed");
            let gave_up = jobs::fail(&mut conn, &job, &msg)?;
            if gave_up {
                record_failure(&mut conn, &job, &msg)?;
            }
        }
    }
    Ok(true)
}

enum Outcome {
    NoFace,
    /// Analysed: the faces found, for the examiner's probe assessment.
    Analysed(Vec<ProbeFace>),
    /// The job's probe search is no longer waiting for this work (e.g. a job left over from a
    /// crash after the work was recorded): complete the job, change nothing.
    Stale,
    Searched {
        faces: Vec<ProbeFace>,
        chosen: usize,
        candidates: Vec<StoredCandidate>,
        model_key: String,
        /// The newest gallery-log id the index had followed when the search started.
        gallery_version: i64,
    },
}

fn process(ctx: &SearchContext, conn: &mut DbConnection, job: &Job) -> anyhow::Result<()> {
    let payload: JobPayload =
        serde_json::from_str(&job.payload).context("Bad search job payload")?;
    let ps = ProbeSearch::find(conn, payload.probe_search_id).context("Probe search not found")?;
    if !matches!(
        ps.status,
        ProbeSearchState::Analysing | ProbeSearchState::Queued
    ) {
        return store(conn, job, &ps, Outcome::Stale, None);
    }
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
            landmarks: Some(a.face.landmarks),
        })
        .collect();
    let outcome = if analyses.is_empty() {
        Outcome::NoFace
    } else if ps.status == ProbeSearchState::Analysing {
        Outcome::Analysed(faces)
    } else {
        // The examiner chose the face at the assessment (the only face when there is one).
        let chosen = usize::try_from(ps.chosen_face.unwrap_or(0)).unwrap_or(0);
        let a = analyses
            .get(chosen)
            .context("The chosen face is not in the photo")?;
        let started = std::time::Instant::now();
        // Every enrollment and removal committed anywhere before the search starts is in the
        // index (issue 18); the version it reached is recorded with the candidate list.
        engines
            .gallery
            .follow()
            .context("Failed to follow the gallery log")?;
        let gallery_version = engines.gallery.version();
        let list = engines
            .gallery
            .search(&a.template, ctx.candidates)
            .context("Gallery search failed")?;
        if let Some(m) = &ctx.metrics {
            m.observe_search(started.elapsed().as_secs_f64());
        }
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
            gallery_version,
        }
    };
    store(conn, job, &ps, outcome, ctx.notify.as_ref())
}

fn store(
    conn: &mut DbConnection,
    job: &Job,
    ps: &ProbeSearch,
    outcome: Outcome,
    notify: Option<&crate::notifications::NotifyContext>,
) -> anyhow::Result<()> {
    let at = now();
    crate::platform::db::write_tx(conn, |conn| -> anyhow::Result<()> {
        // A case withdrawn (or otherwise closed) while the job ran gets nothing recorded: its
        // job was cancelled in the withdrawal's transaction, so it cannot complete either.
        let closed = Case::find(conn, CaseId(ps.case_id))?
            .context("Case not found")?
            .status()
            .is_final();
        if closed {
            jobs::complete(conn, job, "case closed")?;
            tracing::info!(
                job_id = job.id,
                case_id = ps.case_id,
                "Search job's case is closed: nothing recorded"
            );
            return Ok(());
        }
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
            Outcome::Stale => {
                if !jobs::complete(conn, job, "stale")? {
                    anyhow::bail!("job {} was completed or re-claimed elsewhere", job.id);
                }
                return Ok(());
            }
            Outcome::Analysed(faces) => {
                diesel::update(probe_searches::table.find(ps.id))
                    .set((
                        probe_searches::status.eq(ProbeSearchState::AwaitingAssessment.as_str()),
                        probe_searches::faces_json.eq(Some(serde_json::to_string(faces)?)),
                    ))
                    .execute(conn)?;
                (
                    format!(
                        "{} face(s) found in probe image {}: awaiting an examiner's probe assessment",
                        faces.len(),
                        short(&ps.image_sha256)
                    ),
                    ProbeSearchState::AwaitingAssessment,
                )
            }
            Outcome::Searched {
                faces,
                chosen,
                candidates,
                model_key,
                gallery_version,
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
                        probe_searches::gallery_version.eq(Some(*gallery_version)),
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
        if !jobs::complete(conn, job, st.as_str())? {
            anyhow::bail!("job {} was completed or re-claimed elsewhere", job.id);
        }
        let case = Case::find(conn, CaseId(ps.case_id))?.context("Case not found")?;
        let summary = match (st, ps.started_by) {
            (ProbeSearchState::Searched | ProbeSearchState::NoFace, Some(id)) => {
                let u = crate::accounts::store::User::find(conn, crate::domain::UserId(id))
                    .context("Failed to load the examiner who started the search")?;
                format!("{summary} — search started by examiner {}", u.name)
            }
            _ => summary,
        };
        crate::cases::timeline::timeline(conn, case.id, None, "search", summary.clone(), None)?;
        // LAPD's order on records of access: when, the data used to query (probe hash, case
        // number), on whose behalf, and the stated purpose (the search reason).
        // (A failed lookup fails the transaction: on PostgreSQL it is aborted by then anyway.)
        let requester =
            crate::accounts::store::User::find(conn, crate::domain::UserId(case.requester_id))
                .context("Failed to load the case's requester")?
                .email;
        // The run names the examiner who started it at the probe assessment.
        let started_by = match ps.started_by {
            Some(id) => {
                let u = crate::accounts::store::User::find(conn, crate::domain::UserId(id))
                    .context("Failed to load the examiner who started the search")?;
                format!("; started by examiner {} <{}>", u.name, u.email)
            }
            None => String::new(),
        };
        audit::record(
            conn,
            &Actor::system("search worker"),
            Entry::new(
                if st == ProbeSearchState::AwaitingAssessment {
                    "probe.analyse"
                } else {
                    "search.run"
                },
                "image",
                &ps.image_sha256,
            )
            .reason(&case.search_reason)
            .details(format!(
                "case {}; requested by {requester}{started_by}; {summary}",
                case.display_number()
            )),
        )?;
        let to_examine = crate::search::completion::complete_if_finished(conn, &case)?;
        if let Some(n) = notify {
            notify_examiners(conn, n, &case, ps, st, to_examine)?;
        }
        Ok(())
    })
}

/// Tells the examiners, in the job's transaction, when this job left the case's probes
/// awaiting the probe assessment (the last analysis of the version finished and some probe has
/// a face), or its candidate lists awaiting their first review (`to_examine`).
fn notify_examiners(
    conn: &mut DbConnection,
    notify: &crate::notifications::NotifyContext,
    case: &Case,
    ps: &ProbeSearch,
    st: ProbeSearchState,
    to_examine: bool,
) -> anyhow::Result<()> {
    let today = now().date();
    if to_examine {
        return crate::notifications::events::first_review_awaiting(conn, notify, case, today);
    }
    let analysed = ps.status == ProbeSearchState::Analysing
        && matches!(
            st,
            ProbeSearchState::AwaitingAssessment | ProbeSearchState::NoFace
        );
    if !analysed {
        return Ok(());
    }
    let current: Vec<ProbeSearch> = ProbeSearch::for_case(conn, case.case_id())?
        .into_iter()
        .filter(|p| p.version == case.current_version)
        .collect();
    if current
        .iter()
        .all(|p| p.status != ProbeSearchState::Analysing)
        && current
            .iter()
            .any(|p| p.status == ProbeSearchState::AwaitingAssessment)
    {
        crate::notifications::events::assessment_awaiting(conn, notify, case, today)?;
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
