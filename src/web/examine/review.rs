//! Examiner review of a probe's candidate list: `GET/POST /cases/{id}/probes/{ps}/review`;
//! candidate photos at `…/candidates/{rank}.jpg` (each opening is a "subject viewed" audit
//! record); supervisors adjudicate at `POST …/adjudicate`.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;

use crate::accounts::store::User;
use crate::audit::{self, Entry};
use crate::cases::store::Case;
use crate::domain::adjudication::AdjudicationForm;
use crate::domain::examination::{
    AssessmentForm, CandidateSight, Consensus, Disposition, Feature, ReviewErrors, check_candidate,
};
use crate::domain::{CaseId, Role, UserId};
use crate::examination::access::{CandidateAccess, candidate_access, refusal_entry};
use crate::examination::claims::{QueueTask, WorkItem};
use crate::examination::review::{self as examine, Ctx, ExamineError};
use crate::examination::standing::{Examination, Standing};
use crate::search::{ProbeSearch, StoredCandidate};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

/// One examination as shown once it may be seen (after conclusion, or to the adjudicator).
pub struct ExamView {
    pub round: String,
    pub examiner: String,
    pub lines: Vec<String>,
    pub comment: String,
}

/// A photo drawn as SVG with one face boxed (the page's Content-Security-Policy allows no
/// inline styles, so the box is SVG attributes, as on the probe assessment).
pub struct PhotoMap {
    /// Where the photo is served.
    pub src: String,
    pub width: u32,
    pub height: u32,
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl PhotoMap {
    fn new(src: String, (width, height): (u32, u32), bbox: [f32; 4]) -> PhotoMap {
        let [x, y, w, h] = bbox.map(|v| v.round() as i32);
        PhotoMap {
            src,
            width,
            height,
            x,
            y,
            w,
            h,
        }
    }
}

/// One line of the overview of all candidates.
pub struct OverviewRow {
    pub rank: u32,
    pub score: String,
    pub fmr_text: String,
    pub removed: bool,
    /// The disposition entered so far (the examiner's draft), or what the record says.
    pub entered: String,
    /// What the candidate still needs before the review can be recorded; `None` when done.
    pub needs: Option<String>,
}

/// One candidate in the adjudication table: each examiner's disposition side by side.
pub struct AdjudicationRow {
    pub rank: u32,
    pub subject_key: String,
    pub first: String,
    pub second: String,
    /// The examiners' dispositions differ.
    pub disagree: bool,
}

#[derive(Template)]
#[template(path = "examine/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    /// Someone else's live claim on this work ("Claimed by … until …"), if any.
    pub claimed: Option<String>,
    pub case: Case,
    pub probe: ProbeSearch,
    pub candidates: Vec<StoredCandidate>,
    pub dispositions: Vec<(&'static str, &'static str)>,
    pub features: Vec<(&'static str, &'static str)>,
    pub standing_label: String,
    /// The case's status as seen from this candidate list (never "awaiting examiner review"
    /// once this probe's examination concluded).
    pub status_label: String,
    pub can_review: bool,
    pub can_adjudicate: bool,
    pub views: Vec<ExamView>,
    pub errors: ReviewErrors,
    pub error: Option<String>,
    /// Ranks whose subject was removed from the gallery since the search (sealed, expunged):
    /// no photo, no disposition; recorded as not available.
    pub removed: Vec<u32>,
    /// What the examiner entered (a refused post, or their saved draft), shown again.
    pub entered: Vec<AssessmentForm>,
    /// When the examiner's draft shown in the form was saved.
    pub draft_saved_at: Option<String>,
    /// The candidate on screen (`?rank=`; the first by default).
    pub current: Option<StoredCandidate>,
    /// Its place in the list (1-based).
    pub position: usize,
    pub prev_rank: Option<u32>,
    pub next_rank: Option<u32>,
    /// The searched probe face (index), for its aligned crop.
    pub probe_face: Option<usize>,
    /// The whole probe photo with the searched face boxed.
    pub probe_map: Option<PhotoMap>,
    /// The whole booking photo of the candidate on screen with its face boxed.
    pub candidate_map: Option<PhotoMap>,
    pub overview: Vec<OverviewRow>,
    /// Candidates that still need something before the review can be recorded.
    pub outstanding: usize,
    /// The candidate just saved (`?saved=`), for the confirmation.
    pub saved_rank: Option<u32>,
    /// The examiners' dispositions per candidate (the adjudicator, or once concluded).
    pub adjudication_rows: Vec<AdjudicationRow>,
}

impl ReviewPage {
    pub fn err(&self, rank: &u32) -> Option<&str> {
        self.errors.for_rank(*rank)
    }
    pub fn is_removed(&self, rank: &u32) -> bool {
        self.removed.contains(rank)
    }
    fn entered_for(&self, rank: u32) -> Option<&AssessmentForm> {
        self.entered.iter().find(|f| f.rank == rank)
    }
    /// Whether disposition `d` was chosen for `rank`.
    pub fn chose(&self, rank: &u32, d: &str) -> bool {
        self.entered_for(*rank).is_some_and(|f| f.disposition == d)
    }
    /// Whether feature `f` was ticked for `rank`.
    pub fn ticked(&self, rank: &u32, f: &str) -> bool {
        self.entered_for(*rank)
            .is_some_and(|e| e.features.iter().any(|x| x == f))
    }
    /// The notes entered for `rank`.
    pub fn notes(&self, rank: &u32) -> &str {
        self.entered_for(*rank).map_or("", |f| f.notes.as_str())
    }
    pub fn score(&self, c: &StoredCandidate) -> String {
        format!("{:.3}", c.score)
    }
    /// Whether `rank` is the candidate on screen.
    pub fn is_current(&self, rank: &u32) -> bool {
        self.current.as_ref().is_some_and(|c| c.rank == *rank)
    }
    /// The review page showing candidate `rank`.
    pub fn rank_url(&self, rank: &u32) -> String {
        format!(
            "/cases/{}/probes/{}/review?rank={rank}#candidate",
            self.case.id, self.probe.id
        )
    }
}

/// The page's query: the candidate to show, and the candidate just saved.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReviewQuery {
    pub rank: Option<u32>,
    pub saved: Option<u32>,
}

fn standing_label(s: &Standing) -> String {
    match s {
        Standing::AwaitingFirst => "Awaiting the first examiner's review".into(),
        Standing::AwaitingSecond { .. } => {
            "Awaiting the blind second review by another examiner".into()
        }
        Standing::NeedsAdjudication => {
            "Examiners disagree: awaiting a supervisor's adjudication".into()
        }
        Standing::Concluded(Consensus::PossibleLead {
            ranks,
            single_examiner,
        }) => format!(
            "Concluded: possible investigative lead (rank {}){}",
            ranks
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if *single_examiner {
                " — single examiner"
            } else {
                ""
            }
        ),
        Standing::Concluded(Consensus::NoLead { single_examiner }) => format!(
            "Concluded: no lead{}",
            if *single_examiner {
                " — single examiner"
            } else {
                ""
            }
        ),
        Standing::Concluded(Consensus::AwaitingSecondReview | Consensus::NeedsAdjudication) => {
            String::new()
        }
    }
}

async fn build(
    user: &CurrentUser,
    state: &AppState,
    case_id: i64,
    ps_id: i64,
    rank: Option<u32>,
) -> Result<ReviewPage, AppError> {
    let single = state.settings.face.single_examiner_allowed;
    let approver_may_examine = state.settings.face.approver_may_examine;
    let uid = user.user.id;
    let (vu, va, roles) = (user.user.clone(), user.agency.clone(), user.roles.clone());
    let actor = user.actor_as(user.primary_role());
    let (case, probe, exams, names, access, removed, draft, sights, maps) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            // Who the person is decides first (an untrained user learns nothing about ids).
            if let Err(why) = crate::examination::access::trained_for_candidates(
                c,
                &vu,
                &roles,
                chrono::Utc::now().date_naive(),
            )? {
                audit::record(
                    c,
                    &actor,
                    refusal_entry("examine.view_candidates", "probe_search", ps_id, &why),
                )?;
                return Err(AppError::Forbidden(why));
            }
            let case = crate::cases::access::live_case_for(
                c,
                &crate::cases::access::Viewer::new(&vu, &va),
                CaseId(case_id),
            )?
            .ok_or(AppError::NotFound)?;
            let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
            if ps.case_id != case.id {
                return Err(AppError::NotFound);
            }
            let access = match candidate_access(
                c,
                &vu,
                &roles,
                &case,
                chrono::Utc::now().date_naive(),
                approver_may_examine,
            )? {
                Ok(a) => a,
                Err(why) => {
                    audit::record(
                        c,
                        &actor,
                        refusal_entry("examine.view_candidates", "probe_search", ps_id, &why),
                    )?;
                    return Err(AppError::Forbidden(why));
                }
            };
            let ids: Vec<i64> = ps.candidates().iter().map(|x| x.subject_id).collect();
            let gone = crate::gallery::Subject::removed_among(c, &ids)?;
            let removed: Vec<u32> = ps
                .candidates()
                .iter()
                .filter(|x| gone.contains(&x.subject_id))
                .map(|x| x.rank)
                .collect();
            let exams = Examination::for_probe(c, ps_id)?;
            let mut names = Vec::new();
            for e in &exams {
                names.push(
                    User::find(c, UserId(e.examiner_id))
                        .map(|u| u.name)
                        .unwrap_or_default(),
                );
            }
            let draft = crate::examination::drafts::of(c, ps_id, uid)?;
            let sights = crate::examination::access::candidate_sights(c, uid, &ps)?;
            let maps = photo_maps(c, &case, &ps, rank, &removed)?;
            Ok((case, ps, exams, names, access, removed, draft, sights, maps))
        })
        .await?;
    let is_examiner = access == CandidateAccess::Examiner;
    let is_supervisor = access == CandidateAccess::Supervisor;
    let st = crate::examination::standing::standing(&exams, single);
    let concluded = matches!(st, Standing::Concluded(_));
    let took_part = exams.iter().any(|e| e.examiner_id == uid);
    let can_adjudicate = st == Standing::NeedsAdjudication
        && (is_supervisor || user.has(Role::Supervisor))
        && !took_part;
    let can_review = is_examiner
        && match &st {
            Standing::AwaitingFirst => true,
            Standing::AwaitingSecond { first_examiner } => *first_examiner != uid,
            _ => false,
        };
    // Blind: reviews are shown only once concluded, or to the adjudicating supervisor.
    let views = if concluded || can_adjudicate {
        exams
            .iter()
            .zip(names)
            .map(|(e, name)| ExamView {
                round: e.round.to_string(),
                examiner: name,
                lines: match e.review() {
                    Some(r)
                        if e.round
                            != crate::examination::standing::ExaminationRound::Adjudication =>
                    {
                        r.assessments
                            .iter()
                            .map(|a| {
                                format!(
                                    "rank {}: {} — features: {} — {}",
                                    a.rank,
                                    a.disposition.label(),
                                    a.features
                                        .iter()
                                        .map(|f| f.label())
                                        .collect::<Vec<_>>()
                                        .join(", "),
                                    a.notes
                                )
                            })
                            .collect()
                    }
                    _ => match e.adjudication() {
                        Some(a) => vec![match a.lead_rank {
                            Some(r) => format!("possible lead at rank {r}"),
                            None => "no lead".into(),
                        }],
                        None => vec![],
                    },
                },
                comment: e.comment.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let status_label = match case.status() {
        crate::domain::CaseStatus::Searched if concluded => {
            "Examination of this probe concluded — the result is issued once every probe of the case is examined".into()
        }
        crate::domain::CaseStatus::Searched => standing_label(&st),
        other => other.label().into(),
    };
    let candidates = probe.candidates();
    let entered = match draft.as_ref() {
        Some((forms, _)) if can_review => forms.clone(),
        _ => Vec::new(),
    };
    let pos = rank
        .and_then(|r| candidates.iter().position(|c| c.rank == r))
        .unwrap_or(0);
    let current = candidates.get(pos).cloned();
    let overview: Vec<OverviewRow> = candidates
        .iter()
        .map(|c| {
            let form = entered.iter().find(|f| f.rank == c.rank);
            // The page shows every candidate's face, so a candidate not yet shown counts as
            // seen here; the recorded review still checks what was served.
            let sight = match sights.iter().find(|(r, _)| *r == c.rank) {
                Some((_, CandidateSight::Removed)) => CandidateSight::Removed,
                _ => CandidateSight::Seen,
            };
            let checked = check_candidate(c.rank, sight, form);
            OverviewRow {
                rank: c.rank,
                score: format!("{:.3}", c.score),
                fmr_text: c.fmr_text.clone(),
                removed: sight == CandidateSight::Removed,
                entered: match &checked {
                    Ok(a) => a.disposition.label().to_string(),
                    Err(_) => form
                        .and_then(|f| Disposition::parse(&f.disposition))
                        .map_or_else(|| "—".to_string(), |d| d.label().to_string()),
                },
                needs: checked.err(),
            }
        })
        .collect();
    let adjudication_rows = if concluded || can_adjudicate {
        adjudication_rows(&exams, &candidates)
    } else {
        Vec::new()
    };
    let (probe_map, candidate_map) = maps;
    Ok(ReviewPage {
        layout: Layout::new(user, &state.settings.service.name),
        claimed: None,
        outstanding: overview.iter().filter(|o| o.needs.is_some()).count(),
        overview,
        prev_rank: pos
            .checked_sub(1)
            .and_then(|i| candidates.get(i))
            .map(|c| c.rank),
        next_rank: candidates.get(pos + 1).map(|c| c.rank),
        position: pos + 1,
        current,
        probe_face: probe.chosen_face.and_then(|f| usize::try_from(f).ok()),
        probe_map,
        candidate_map,
        saved_rank: None,
        adjudication_rows,
        candidates,
        case,
        probe,
        dispositions: Disposition::ALL
            .iter()
            .map(|d| (d.as_str(), d.label()))
            .collect(),
        features: Feature::ALL
            .iter()
            .map(|f| (f.as_str(), f.label()))
            .collect(),
        status_label,
        standing_label: standing_label(&st),
        can_review,
        can_adjudicate,
        views,
        errors: ReviewErrors::default(),
        error: None,
        removed,
        draft_saved_at: draft
            .as_ref()
            .filter(|_| can_review)
            .map(|(_, at)| crate::platform::time::fmt_time(at)),
        entered,
    })
}

/// Each examiner's disposition per candidate (first and blind second review), disagreements
/// marked.
fn adjudication_rows(
    exams: &[Examination],
    candidates: &[StoredCandidate],
) -> Vec<AdjudicationRow> {
    use crate::examination::standing::ExaminationRound;
    let of = |round: ExaminationRound| {
        exams
            .iter()
            .find(|e| e.round == round)
            .and_then(Examination::review)
    };
    let (Some(first), Some(second)) = (of(ExaminationRound::First), of(ExaminationRound::Second))
    else {
        return Vec::new();
    };
    let disposition = |r: &crate::domain::examination::Review, rank: u32| {
        r.assessments
            .iter()
            .find(|a| a.rank == rank)
            .map(|a| a.disposition)
    };
    candidates
        .iter()
        .map(|c| {
            let (a, b) = (disposition(&first, c.rank), disposition(&second, c.rank));
            let label = |d: Option<Disposition>| d.map_or("—", Disposition::label).to_string();
            AdjudicationRow {
                rank: c.rank,
                subject_key: c.subject_key.clone(),
                first: label(a),
                second: label(b),
                disagree: a != b,
            }
        })
        .collect()
}

/// The whole probe photo with the searched face boxed, and the booking photo of candidate
/// `rank` (the first by default) with its face boxed — `None` where there is nothing to draw
/// (no face chosen, a removed candidate, a photo that does not decode).
fn photo_maps(
    c: &mut crate::platform::db::DbConnection,
    case: &Case,
    ps: &ProbeSearch,
    rank: Option<u32>,
    removed: &[u32],
) -> Result<(Option<PhotoMap>, Option<PhotoMap>), AppError> {
    let probe = match (
        ps.chosen_face
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| ps.faces().into_iter().find(|f| f.index == i)),
        crate::cases::store::CaseImage::in_case(c, CaseId(case.id), &ps.image_sha256)?,
    ) {
        (Some(face), Some(img)) => Some(PhotoMap::new(
            format!("/cases/{}/images/{}", case.id, ps.image_sha256),
            (
                u32::try_from(img.width).unwrap_or(0),
                u32::try_from(img.height).unwrap_or(0),
            ),
            face.bbox,
        )),
        _ => None,
    };
    let cands = ps.candidates();
    let cand = rank
        .and_then(|r| cands.iter().find(|x| x.rank == r))
        .or_else(|| cands.first());
    let candidate = match cand {
        Some(cand) if !removed.contains(&cand.rank) => {
            let photo = crate::gallery::Photo::by_sha256(c, &cand.photo_sha256)?;
            let face = crate::gallery::TemplateRow::of_photo(
                c,
                cand.photo_id,
                &cand.model_id,
                &cand.model_version,
            )?
            .and_then(|t| t.face());
            match (photo, face) {
                (Some(photo), Some((bbox, _))) => {
                    match crate::face::decode_image_file(std::path::Path::new(&photo.file_path)) {
                        Ok(img) => Some(PhotoMap::new(
                            format!(
                                "/cases/{}/probes/{}/candidates/{}.jpg",
                                case.id, ps.id, cand.rank
                            ),
                            (img.width(), img.height()),
                            bbox,
                        )),
                        Err(e) => {
                            tracing::warn!(photo = %photo.file_path, error = %e, "booking photo does not decode");
                            None
                        }
                    }
                }
                _ => None,
            }
        }
        _ => None,
    };
    Ok((probe, candidate))
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let mut page = build(&user, &state, case_id, ps_id, query.rank).await?;
    page.saved_rank = query.saved.filter(|_| page.can_review);
    let actor = user.actor_as(user.primary_role());
    let reason = page.case.search_reason.clone();
    // The work this person may do here: opening it is activity on their own claim, and
    // someone else's live claim is shown before they start typing.
    let tasks: Vec<QueueTask> = if page.can_review {
        vec![QueueTask::FirstReview, QueueTask::SecondReview]
    } else if page.can_adjudicate {
        vec![QueueTask::Adjudication]
    } else {
        Vec::new()
    };
    let uid = user.user.id;
    page.claimed = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        audit::record(
            c,
            &actor,
            Entry::new("examine.view_candidates", "probe_search", ps_id)
                .reason(&reason)
                .details(format!("case {case_id}")),
        )?;
        let now = crate::platform::time::now();
        let mut held = None;
        for task in tasks {
            let item = WorkItem::on_probe(case_id, ps_id, task);
            crate::examination::claims::touch(c, &item, uid, now)?;
            if held.is_none() {
                held = crate::examination::claims::held_by_other(c, &item, uid, now)?;
            }
        }
        Ok(held.map(|h| h.to_string()))
    })
    .await?;
    crate::web::respond::html(&page)
}

/// The booking photo of one candidate; every opening is a "subject viewed" audit record.
pub async fn candidate_photo(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, u32)>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id, rank) = path.into_inner();
    let bytes =
        serve_candidate(&user, &state, case_id, ps_id, rank, |_, _, photo| Ok(photo)).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

/// `GET …/candidates/{rank}/aligned.jpg`: the candidate's face (the face of the booking photo
/// that was enrolled, so the right one of a group photo) as a 320×320 crop aligned on its five
/// landmarks like the probe's. Served as the photo is: the same checks, the same
/// `subject.view` record, so it counts as the candidate shown.
pub async fn candidate_aligned(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, u32)>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id, rank) = path.into_inner();
    let bytes = serve_candidate(&user, &state, case_id, ps_id, rank, |c, cand, photo| {
        let (bbox, landmarks) = candidate_face(c, cand)?;
        crate::web::examine::faces::aligned_jpeg(&photo, bbox, Some(landmarks))
    })
    .await?;
    Ok(crate::web::examine::faces::private_jpeg(bytes))
}

/// Where the candidate's face is on its booking photo: the box and landmarks of the template
/// the search matched (photo and model of the stored candidate).
fn candidate_face(
    c: &mut crate::platform::db::DbConnection,
    cand: &StoredCandidate,
) -> Result<([f32; 4], [[f32; 2]; 5]), AppError> {
    crate::gallery::TemplateRow::of_photo(c, cand.photo_id, &cand.model_id, &cand.model_version)?
        .and_then(|t| t.face())
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "No face template for booking photo {} of candidate {}",
                cand.photo_id,
                cand.rank
            ))
        })
}

/// The access checks of a candidate image route, then `render` of the candidate's booking
/// photo, then the `subject.view` audit record (written only once the image is made). A
/// candidate removed from the gallery since the search is never served.
async fn serve_candidate<F>(
    user: &CurrentUser,
    state: &AppState,
    case_id: i64,
    ps_id: i64,
    rank: u32,
    render: F,
) -> Result<Vec<u8>, AppError>
where
    F: FnOnce(
            &mut crate::platform::db::DbConnection,
            &StoredCandidate,
            Vec<u8>,
        ) -> Result<Vec<u8>, AppError>
        + Send
        + 'static,
{
    let actor = user.actor_as(user.primary_role());
    let (vu, va, roles) = (user.user.clone(), user.agency.clone(), user.roles.clone());
    let approver_may_examine = state.settings.face.approver_may_examine;
    let files = state.storage().clone();
    crate::platform::db::run(&state.pool, move |c| -> Result<Vec<u8>, AppError> {
        let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
        if ps.case_id != case_id {
            return Err(AppError::NotFound);
        }
        let case = crate::cases::access::live_case_for(
            c,
            &crate::cases::access::Viewer::new(&vu, &va),
            CaseId(case_id),
        )?
        .ok_or(AppError::NotFound)?;
        if let Err(why) = candidate_access(
            c,
            &vu,
            &roles,
            &case,
            chrono::Utc::now().date_naive(),
            approver_may_examine,
        )? {
            audit::record(
                c,
                &actor,
                refusal_entry("subject.view", "probe_search", ps_id, &why),
            )?;
            return Err(AppError::Forbidden(why));
        }
        let cand = ps
            .candidates()
            .into_iter()
            .find(|x| x.rank == rank)
            .ok_or(AppError::NotFound)?;
        if !crate::gallery::Subject::removed_among(c, &[cand.subject_id])?.is_empty() {
            audit::record(
                c,
                &actor,
                Entry::new("subject.view", "subject", &cand.subject_key)
                    .outcome(audit::Outcome::Denied)
                    .details("removed from the gallery since the search"),
            )?;
            return Err(AppError::NotFound);
        }
        let bytes = booking_photo(c, &files, &cand)?;
        let out = render(c, &cand, bytes)?;
        audit::record(
            c,
            &actor,
            Entry::new("subject.view", "subject", &cand.subject_key)
                .reason(&case.search_reason)
                .details(crate::examination::access::subject_view_details(
                    &case.display_number(),
                    ps_id,
                    rank,
                    &cand.booking_number,
                )),
        )?;
        Ok(out)
    })
    .await
}

/// The bytes of a candidate's booking photo file, checked against the hash it was enrolled
/// with.
fn booking_photo(
    c: &mut crate::platform::db::DbConnection,
    files: &crate::platform::storage::Storage,
    cand: &StoredCandidate,
) -> Result<Vec<u8>, AppError> {
    let photo =
        crate::gallery::Photo::by_sha256(c, &cand.photo_sha256)?.ok_or(AppError::NotFound)?;
    let bytes = photo.read(files)?;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    // A group photo's second and later faces are enrolled as `<sha256>:<n>`: the file's
    // hash is the part before the colon.
    let file_sha = cand
        .photo_sha256
        .split_once(':')
        .map_or(cand.photo_sha256.as_str(), |(h, _)| h);
    if sha != file_sha {
        return Err(AppError::Internal(anyhow::anyhow!(
            "Booking photo {} no longer matches its hash",
            photo.file_path
        )));
    }
    Ok(bytes)
}

/// Reads the review form: `d_<rank>` (disposition), `f_<rank>` (features, repeated),
/// `n_<rank>` (notes), and `rank` (repeated: the candidates the form shows — a candidate listed
/// with nothing chosen is posted as cleared). Returns the CSRF token and one entry per candidate
/// the form carries; candidates not in the form are left as saved.
fn parse_forms(fields: &[(String, String)], ranks: &[u32]) -> (String, Vec<AssessmentForm>) {
    let mut csrf = String::new();
    let mut forms: Vec<AssessmentForm> = Vec::new();
    fn entry(forms: &mut Vec<AssessmentForm>, rank: u32) -> &mut AssessmentForm {
        if let Some(i) = forms.iter().position(|f| f.rank == rank) {
            &mut forms[i]
        } else {
            forms.push(AssessmentForm {
                rank,
                ..Default::default()
            });
            let last = forms.len() - 1;
            &mut forms[last]
        }
    }
    for (k, v) in fields {
        if k == "csrf_token" {
            csrf = v.clone();
            continue;
        }
        if k == "rank" {
            if let Ok(rank) = v.parse::<u32>()
                && ranks.contains(&rank)
            {
                entry(&mut forms, rank);
            }
            continue;
        }
        let Some((kind, rank)) = k.split_once('_') else {
            continue;
        };
        let Ok(rank) = rank.parse::<u32>() else {
            continue;
        };
        if !ranks.contains(&rank) {
            continue;
        }
        match kind {
            "d" => entry(&mut forms, rank).disposition = v.clone(),
            "f" => entry(&mut forms, rank).features.push(v.clone()),
            "n" => entry(&mut forms, rank).notes = v.clone(),
            _ => {}
        }
    }
    forms.sort_by_key(|f| f.rank);
    (csrf, forms)
}

pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let ranks: Vec<u32> = {
        let st = state.clone();
        crate::platform::db::run(&st.pool, move |c| -> Result<_, AppError> {
            let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
            // The probe search must belong to the case in the URL.
            if ps.case_id != case_id {
                return Err(AppError::NotFound);
            }
            Ok(ps.candidates().iter().map(|x| x.rank).collect())
        })
        .await?
    };
    // Notes (`n_<rank>`) are multi-line; features and dispositions single-line.
    let form = crate::web::csrf::clean_pairs(form.into_inner(), |k| k.starts_with("n_"));
    let (csrf, forms) = parse_forms(&form, &ranks);
    auth::verify_csrf(&session, &csrf)?;
    // "Save and next" of one candidate (`save`), or the whole draft (`draft`): both merge.
    let save_only = form
        .iter()
        .any(|(k, v)| k == "action" && (v == "draft" || v == "save"));
    let shown: Option<u32> = form
        .iter()
        .find(|(k, _)| k == "rank")
        .and_then(|(_, v)| v.parse().ok());
    let u = user.clone();
    let st = state.clone();
    let single = state.settings.face.single_examiner_allowed;
    let result = crate::platform::db::run(
        &state.pool,
        move |c| -> Result<
            Result<(Standing, crate::platform::jobs::effects::AfterCommit), ExamineError>,
            AppError,
        > {
            let notify = crate::notifications::NotifyContext::from_settings(&st.settings);
            let ctx = Ctx {
                user: &u.user,
                agency: &u.agency,
                actor: u.actor(Role::Examiner),
                today: chrono::Utc::now().date_naive(),
                single_examiner_allowed: single,
                approver_may_examine: st.settings.face.approver_may_examine,
                notify: &notify,
            };
            if save_only {
                return Ok(examine::save_draft(c, &ctx, ps_id, &forms)
                    .map(|()| (Standing::AwaitingFirst, Default::default())));
            }
            Ok(examine::submit_review(c, &ctx, ps_id, &forms))
        },
    )
    .await?;
    if save_only {
        let (_, effects) = result.map_err(AppError::from)?;
        state.after_commit(&effects);
        // On to the next candidate (the last one stays on screen).
        let next = shown.map(|r| {
            ranks
                .iter()
                .position(|x| *x == r)
                .and_then(|i| ranks.get(i + 1))
                .copied()
                .unwrap_or(r)
        });
        return Ok(crate::web::respond::redirect(&match (shown, next) {
            (Some(saved), Some(next)) => format!(
                "/cases/{case_id}/probes/{ps_id}/review?rank={next}&saved={saved}#candidate"
            ),
            _ => format!("/cases/{case_id}/probes/{ps_id}/review?draft=saved"),
        }));
    }
    match result {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            crate::web::flash::redirect(
                &session,
                crate::web::flash::Done::ReviewRecorded,
                case_id,
                "/examine",
            )
        }
        Err(ExamineError::Invalid(errors)) => {
            // Everything entered is now the examiner's draft; show the first candidate with a
            // problem.
            let first = errors.0.first().map(|(r, _)| *r);
            let mut page = build(&user, &state, case_id, ps_id, first).await?;
            page.error = Some(format!(
                "Nothing was recorded yet: {} candidate(s) still need something (listed below). Everything you entered is saved as your draft.",
                errors.0.len()
            ));
            page.errors = errors;
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The adjudication form: `lead` ("none" or a rank), `f` (features compared, repeated),
/// `comment` (the supervisor's notes), `full_comparison` ("on" when the supervisor compared the
/// reported candidate in full).
pub async fn adjudicate(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let form = crate::web::csrf::clean_pairs(form.into_inner(), |k| k == "comment");
    let field = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    auth::verify_csrf(&session, &field("csrf_token"))?;
    let lead = match field("lead").as_str() {
        "none" => None,
        r => Some(
            r.parse::<u32>()
                .map_err(|_| AppError::BadRequest("Choose a candidate or no lead.".into()))?,
        ),
    };
    let adjudication = AdjudicationForm {
        lead_rank: lead,
        features: form
            .iter()
            .filter(|(k, _)| k == "f")
            .map(|(_, v)| v.clone())
            .collect(),
        notes: field("comment"),
        full_comparison: field("full_comparison") == "on",
    };
    let u = user.clone();
    let st = state.clone();
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let notify = crate::notifications::NotifyContext::from_settings(&st.settings);
        let ctx = Ctx {
            user: &u.user,
            agency: &u.agency,
            actor: u.actor(Role::Supervisor),
            today: chrono::Utc::now().date_naive(),
            single_examiner_allowed: st.settings.face.single_examiner_allowed,
            approver_may_examine: st.settings.face.approver_may_examine,
            notify: &notify,
        };
        Ok(examine::adjudicate(c, &ctx, case_id, ps_id, &adjudication))
    })
    .await?;
    match result {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            crate::web::flash::redirect(
                &session,
                crate::web::flash::Done::Adjudicated,
                case_id,
                "/examine",
            )
        }
        Err(ExamineError::BadAdjudication(e)) => {
            let mut page = build(&user, &state, case_id, ps_id, None).await?;
            page.error = Some(e.to_string());
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
