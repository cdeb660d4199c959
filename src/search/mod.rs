//! Searching approved requests (docs/POLICIES.md, "Searching"; NY MPTC §IV.A): a trained
//! examiner starts each search.
//!
//! 1. Approval queues an *analysis* of every probe image of the approved version (`analysing`):
//!    the background worker ([`job::SearchWorker`]) finds the faces and measures their quality,
//!    without touching the gallery. A probe with no face is recorded as such (`no_face`), never
//!    silently dropped; the others wait for the examiner (`awaiting_assessment`).
//! 2. A trained examiner opens the probe assessment ([`assessment`]): quality measures, the face
//!    to search where there are several, the probes to search. One action per case starts the
//!    searches (`queued`) or records why a probe is not searched (`not_selected`); the run, its
//!    audit record and the timeline name that examiner.
//! 3. The worker searches the gallery with the chosen face; the candidate list is stored exactly
//!    as the gallery returned it (`searched`). When every probe is finished the case moves to
//!    `searched` (awaiting examiner review).

pub mod actions;
pub mod assessment;
pub mod completion;
pub mod follow;
pub mod job;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cases::store::CaseImage;
use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::probe_searches;
use crate::platform::time::now;

/// Where the search of one probe image stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeSearchState {
    /// Approved: waiting for the worker to find the faces and measure their quality.
    Analysing,
    /// Analysed: waiting for a trained examiner's probe assessment (face, selection, start).
    AwaitingAssessment,
    /// Started by an examiner: waiting for the search worker.
    Queued,
    /// No face was found in the image.
    NoFace,
    /// The examiner's assessment left this probe out (unsuitable, duplicate…): not searched.
    NotSelected,
    /// Searched: the candidate list is stored.
    Searched,
    /// The search failed for good (see the row's error).
    Failed,
}

crate::text_state!(ProbeSearchState, "probe search", {
    Analysing => "analysing",
    AwaitingAssessment => "awaiting_assessment",
    Queued => "queued",
    NoFace => "no_face",
    NotSelected => "not_selected",
    Searched => "searched",
    Failed => "failed",
});

impl ProbeSearchState {
    /// States in which nothing more happens without a person acting.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            ProbeSearchState::NoFace
                | ProbeSearchState::NotSelected
                | ProbeSearchState::Searched
                | ProbeSearchState::Failed
        )
    }
}

/// Job kind of a probe search.
pub const JOB_KIND: &str = "search";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = probe_searches)]
pub struct ProbeSearch {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    pub image_sha256: String,
    /// An unknown stored state fails the load.
    #[diesel(deserialize_as = String)]
    pub status: ProbeSearchState,
    pub faces_json: Option<String>,
    pub chosen_face: Option<i32>,
    pub chosen_by: Option<i64>,
    pub model_key: Option<String>,
    pub quality_json: Option<String>,
    pub candidates_json: Option<String>,
    pub candidate_count: Option<i32>,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub searched_at: Option<NaiveDateTime>,
    /// The examiner who started the search at the probe assessment (`None` before).
    pub started_by: Option<i64>,
    pub started_at: Option<NaiveDateTime>,
    /// The gallery version the search ran against: the newest gallery-log id the searching
    /// instance's index had followed when it started (`None` before it was recorded).
    pub gallery_version: Option<i64>,
}

/// A face found in a probe, as stored for the examiner's choice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeFace {
    /// Position in the detector's output (highest score first).
    pub index: usize,
    /// x, y, width, height in photo pixels.
    pub bbox: [f32; 4],
    pub detector_score: f32,
    pub inter_eye_px: f32,
    pub sharpness: f32,
    pub yaw_deg: f32,
    pub warnings: Vec<String>,
    /// The five landmarks (eyes, nose tip, mouth corners) in photo pixels, for aligned
    /// comparison crops; `None` for probes analysed before landmarks were kept.
    #[serde(default)]
    pub landmarks: Option<[[f32; 2]; 5]>,
}

/// One stored candidate (the gallery's `Candidate`, as returned).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCandidate {
    pub rank: u32,
    pub score: f32,
    pub fmr_rate: f64,
    pub fmr_upper_bound: bool,
    pub fmr_text: String,
    pub subject_id: i64,
    pub subject_key: String,
    pub name: String,
    pub booking_number: String,
    pub booking_date: Option<String>,
    pub photo_id: i64,
    pub photo_sha256: String,
    pub model_id: String,
    pub model_version: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct JobPayload {
    pub probe_search_id: i64,
}

impl ProbeSearch {
    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<ProbeSearch> {
        probe_searches::table
            .find(id)
            .select(ProbeSearch::as_select())
            .first(conn)
    }
    pub fn for_case(conn: &mut DbConnection, case: CaseId) -> QueryResult<Vec<ProbeSearch>> {
        probe_searches::table
            .filter(probe_searches::case_id.eq(case.0))
            .order(probe_searches::id.asc())
            .select(ProbeSearch::as_select())
            .load(conn)
    }
    pub fn faces(&self) -> Vec<ProbeFace> {
        self.faces_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
    pub fn candidates(&self) -> Vec<StoredCandidate> {
        self.candidates_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
    pub fn status_label(&self) -> &'static str {
        match self.status {
            ProbeSearchState::Analysing => "Finding faces and measuring quality",
            ProbeSearchState::AwaitingAssessment => "Awaiting an examiner's probe assessment",
            ProbeSearchState::Queued => "Search queued",
            ProbeSearchState::NoFace => "No face found in this image",
            ProbeSearchState::NotSelected => "Not searched (examiner's assessment)",
            ProbeSearchState::Searched => "Searched",
            ProbeSearchState::Failed => "Search failed",
        }
    }
}

/// Queues the analysis (faces and quality, no gallery search) of every image of the approved
/// version: a `probe_searches` row (`analysing`) and a job each. Call inside the approval
/// transaction. Returns how many were queued. The search itself waits for an examiner's
/// [`assessment::start`].
pub fn queue_analysis(conn: &mut DbConnection, case: CaseId, version: i32) -> QueryResult<usize> {
    let mut n = 0;
    for img in CaseImage::for_version(conn, case, version)? {
        let exists = probe_searches::table
            .filter(probe_searches::case_id.eq(case.0))
            .filter(probe_searches::version.eq(version))
            .filter(probe_searches::image_sha256.eq(&img.sha256))
            .count()
            .get_result::<i64>(conn)?;
        if exists > 0 {
            continue;
        }
        diesel::insert_into(probe_searches::table)
            .values((
                probe_searches::case_id.eq(case.0),
                probe_searches::version.eq(version),
                probe_searches::image_sha256.eq(&img.sha256),
                probe_searches::status.eq(ProbeSearchState::Analysing.as_str()),
                probe_searches::created_at.eq(now()),
            ))
            .execute(conn)?;
        let id: i64 = probe_searches::table
            .filter(probe_searches::case_id.eq(case.0))
            .filter(probe_searches::version.eq(version))
            .filter(probe_searches::image_sha256.eq(&img.sha256))
            .select(probe_searches::id)
            .first(conn)?;
        let payload = serde_json::to_string(&JobPayload {
            probe_search_id: id,
        })
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        crate::platform::jobs::enqueue(
            conn,
            JOB_KIND,
            Some(case.0),
            &format!("search:{id}:analyse"),
            &payload,
        )?;
        n += 1;
    }
    Ok(n)
}

/// Queues a failed probe search to run again (an examiner's decision after looking at the
/// error). Returns `false` when the search is not (or no longer) `failed` — a double submit
/// queues it once. The new job's dedupe key counts the re-runs of this probe.
pub fn rerun_failed(conn: &mut DbConnection, probe_search_id: i64) -> QueryResult<bool> {
    // A search an examiner started runs again as a search; a failed analysis is analysed again.
    let again = match ProbeSearch::find(conn, probe_search_id)?.started_by {
        Some(_) => ProbeSearchState::Queued,
        None => ProbeSearchState::Analysing,
    };
    let n = diesel::update(
        probe_searches::table
            .filter(probe_searches::id.eq(probe_search_id))
            .filter(probe_searches::status.eq(ProbeSearchState::Failed.as_str())),
    )
    .set((
        probe_searches::status.eq(again.as_str()),
        probe_searches::error.eq(None::<String>),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(false);
    }
    let ps = ProbeSearch::find(conn, probe_search_id)?;
    let reruns = crate::platform::db::schema::jobs::table
        .filter(
            crate::platform::db::schema::jobs::dedupe_key
                .like(format!("search:{probe_search_id}:rerun%")),
        )
        .count()
        .get_result::<i64>(conn)?;
    let payload = serde_json::to_string(&JobPayload { probe_search_id })
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    crate::platform::jobs::enqueue(
        conn,
        JOB_KIND,
        Some(ps.case_id),
        &format!("search:{probe_search_id}:rerun{}", reruns + 1),
        &payload,
    )
}
