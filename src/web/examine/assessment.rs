//! The probe assessment (`GET/POST /cases/{id}/assessment`): a trained examiner looks at the
//! faces found in each probe image with their quality measures, chooses the face to search where
//! there are several, selects the probes to search and starts the search — one action per case
//! ([`crate::search::assessment`]). A refused start keeps what the examiner chose.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;

use crate::audit::{self, Entry};
use crate::cases::store::{Case, CaseImage};
use crate::domain::{CaseId, CaseStatus, Role};
use crate::search::assessment::{self, AssessmentError, Ctx, ProbeChoice};
use crate::search::{ProbeFace, ProbeSearch, ProbeSearchState};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

/// One probe image as the examiner assesses it.
pub struct ProbeRow {
    /// 1-based position in the request.
    pub n: usize,
    pub probe: ProbeSearch,
    pub faces: Vec<ProbeFace>,
    /// The box is ticked (selected to search).
    pub search: bool,
    /// The face radio that is checked.
    pub face: Option<usize>,
    /// The probe photo's size in pixels (the face map's coordinate space).
    pub width: i32,
    pub height: i32,
    /// The numbered boxes drawn on the face map, one per face.
    pub boxes: Vec<FaceBox>,
}

/// One face's numbered box on the probe photo, in photo pixels (SVG attributes: the page's
/// Content-Security-Policy allows no inline styles).
pub struct FaceBox {
    /// 1-based face number, as on the face list.
    pub n: usize,
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    /// Where the number is written (above the box, or inside it at the photo's top edge).
    pub label_y: i32,
    pub font: i32,
}

impl FaceBox {
    fn of(f: &ProbeFace, photo_height: i32) -> FaceBox {
        let [x, y, w, h] = f.bbox.map(|v| v.round() as i32);
        let font = (photo_height / 28).max(12);
        FaceBox {
            n: f.index + 1,
            x,
            y,
            w,
            h,
            label_y: if y > font { y - font / 4 } else { y + font },
            font,
        }
    }
}

#[derive(Template)]
#[template(path = "examine/assessment.html")]
pub struct AssessmentPage {
    pub layout: Layout,
    pub case: Case,
    pub rows: Vec<ProbeRow>,
    /// Some probe is still being analysed.
    pub analysing: bool,
    /// The searches were started (by whom, shown in the timeline).
    pub started: bool,
    pub note: String,
    pub error: Option<String>,
    /// Another examiner holds a live claim on this assessment: who, and until when.
    pub claimed: Option<String>,
}

impl AssessmentPage {
    pub fn fmt1(&self, v: &f32) -> String {
        format!("{v:.1}")
    }
    pub fn fmt2(&self, v: &f32) -> String {
        format!("{v:.2}")
    }
    /// Whether face `index` is the checked radio of `row`.
    pub fn is_chosen(&self, row: &ProbeRow, index: &usize) -> bool {
        row.face == Some(*index)
    }
    pub fn awaiting(&self, p: &ProbeSearch) -> bool {
        p.status == ProbeSearchState::AwaitingAssessment
    }
}

fn ctx(u: &CurrentUser, approver_may_examine: bool) -> Ctx<'_> {
    Ctx {
        user: &u.user,
        agency: &u.agency,
        actor: u.actor(Role::Examiner),
        today: chrono::Utc::now().date_naive(),
        approver_may_examine,
    }
}

/// Loads the page's data after checking the examiner (refusals are audited, 403) and the case
/// (404 when not visible or not approved).
async fn load(
    user: &CurrentUser,
    state: &AppState,
    case_id: i64,
) -> Result<(Case, Vec<ProbeSearch>, Vec<CaseImage>), AppError> {
    let (u, ame) = (user.clone(), state.settings.face.approver_may_examine);
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let case = crate::cases::access::live_case_for(
            c,
            &crate::cases::access::Viewer::new(&u.user, &u.agency),
            CaseId(case_id),
        )?
        .ok_or(AppError::NotFound)?;
        let cx = ctx(&u, ame);
        if let Err(e) = assessment::may_assess(c, &cx, &case)? {
            audit::record(
                c,
                &cx.actor,
                crate::examination::access::refusal_entry(
                    "search.assess",
                    "case",
                    case_id,
                    &e.to_string(),
                ),
            )?;
            return Err(AppError::Forbidden(e.to_string()));
        }
        let probes = assessment::probes_of(c, &case)?;
        let images = CaseImage::for_version(c, case.case_id(), case.current_version)?;
        Ok((case, probes, images))
    })
    .await
}

fn page_of(
    user: &CurrentUser,
    state: &AppState,
    case: Case,
    probes: Vec<ProbeSearch>,
    images: &[CaseImage],
    choices: Option<&[ProbeChoice]>,
) -> AssessmentPage {
    let analysing = probes
        .iter()
        .any(|p| p.status == ProbeSearchState::Analysing);
    let started = probes.iter().any(|p| p.started_by.is_some());
    let rows = probes
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let faces = p.faces();
            let chosen = choices.and_then(|cs| cs.iter().find(|c| c.probe_search_id == p.id));
            let (width, height) = images
                .iter()
                .find(|i| i.sha256 == p.image_sha256)
                .map_or((0, 0), |i| (i.width, i.height));
            ProbeRow {
                width,
                height,
                boxes: faces.iter().map(|f| FaceBox::of(f, height)).collect(),
                n: i + 1,
                search: chosen.map_or(!faces.is_empty(), |c| c.search),
                face: chosen
                    .and_then(|c| c.face)
                    .and_then(|f| usize::try_from(f).ok())
                    .or_else(|| (faces.len() == 1).then_some(0))
                    .or_else(|| p.chosen_face.and_then(|f| usize::try_from(f).ok())),
                faces,
                probe: p,
            }
        })
        .collect();
    AssessmentPage {
        layout: Layout::new(user, &state.settings.service.name),
        case,
        rows,
        analysing,
        started,
        note: String::new(),
        error: None,
        claimed: None,
    }
}

/// `GET /cases/{id}/assessment`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let case_id = path.into_inner();
    let (case, probes, images) = load(&user, &state, case_id).await?;
    if case.status() != CaseStatus::Approved && !probes.iter().any(|p| p.started_by.is_some()) {
        return Err(AppError::NotFound);
    }
    let actor = user.actor(Role::Examiner);
    let reason = case.search_reason.clone();
    let uid = user.user.id;
    let held = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        audit::record(
            c,
            &actor,
            Entry::new("search.assess", "case", case_id)
                .reason(&reason)
                .details("probe assessment viewed"),
        )?;
        // Opening the work is activity on one's own claim; someone else's claim is shown.
        let item = crate::examination::claims::WorkItem::assessment(case_id);
        let now = crate::platform::time::now();
        crate::examination::claims::touch(c, &item, uid, now)?;
        Ok(crate::examination::claims::held_by_other(
            c, &item, uid, now,
        )?)
    })
    .await?;
    let mut page = page_of(&user, &state, case, probes, &images, None);
    page.claimed = held.map(|h| h.to_string());
    crate::web::respond::html(&page)
}

/// Reads `search_<ps>` (checkbox) and `face_<ps>` (radio) for every probe, plus `note`.
fn parse(fields: &[(String, String)], probes: &[ProbeSearch]) -> (Vec<ProbeChoice>, String) {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let choices = probes
        .iter()
        .map(|p| ProbeChoice {
            probe_search_id: p.id,
            search: get(&format!("search_{}", p.id)) == Some("on"),
            face: get(&format!("face_{}", p.id)).and_then(|v| v.parse().ok()),
        })
        .collect();
    (choices, get("note").unwrap_or_default().to_string())
}

/// `POST /cases/{id}/assessment`: starts the search.
pub async fn start(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let case_id = path.into_inner();
    let form = crate::web::csrf::clean_pairs(form.into_inner(), |k| k == "note");
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    auth::verify_csrf(&session, &csrf)?;
    let (case, probes, images) = load(&user, &state, case_id).await?;
    let (choices, note) = parse(&form, &probes);
    let (u, cs, nt) = (user.clone(), choices.clone(), note.clone());
    let ame = state.settings.face.approver_may_examine;
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(assessment::start(
            c,
            &ctx(&u, ame),
            CaseId(case_id),
            &cs,
            &nt,
        ))
    })
    .await?;
    match result {
        Ok(effects) => {
            state.after_commit(&effects);
            // Back to the examiners' queue with a confirmation and the next item.
            crate::web::flash::redirect(
                &session,
                crate::web::flash::Done::SearchStarted,
                case_id,
                "/examine",
            )
        }
        Err(
            e @ (AssessmentError::NothingSelected
            | AssessmentError::NoFaceChosen(_)
            | AssessmentError::NoSuchFace(_)
            | AssessmentError::NotReady),
        ) => {
            let mut page = page_of(&user, &state, case, probes, &images, Some(&choices));
            page.note = note;
            page.error = Some(e.to_string());
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(AssessmentError::AlreadyStarted(by)) => Err(AppError::Conflict(format!(
            "The search of this case was already started by {by}."
        ))),
        Err(AssessmentError::Refused(r)) => Err(AppError::Forbidden(r.to_string())),
        Err(AssessmentError::Restricted(r)) => Err(AppError::Forbidden(r.to_string())),
        Err(AssessmentError::Duty(d)) => Err(AppError::Forbidden(d.to_string())),
        Err(AssessmentError::CaseClosed) => Err(AppError::NotFound),
        Err(AssessmentError::Claimed(h)) => Err(AppError::Conflict(h.to_string())),
        Err(AssessmentError::Db(d)) => Err(d.into()),
        Err(AssessmentError::Internal(i)) => Err(AppError::Internal(i)),
    }
}
