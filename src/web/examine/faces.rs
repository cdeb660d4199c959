//! Probe faces for the trained examiner: `GET /cases/{id}/probes/{ps}/faces/{n}.jpg` serves one
//! face found in a probe image, cropped with a margin (shown on the probe assessment);
//! `…/faces/{n}/aligned.jpg` the same face as a 320×320 crop aligned on its five landmarks (the
//! comparison view, beside each candidate's crop aligned the same way); `POST …/rerun` queues a
//! failed analysis or search again.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::audit::{self, Entry, Outcome};
use crate::cases::store::{Case, CaseImage};
use crate::domain::examination::{may_adjudicate, may_examine};
use crate::domain::{CaseId, Role};
use crate::search::ProbeSearch;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// Checks the role and training — a trained examiner, or a trained supervisor who compares the
/// searched face at adjudication (refusals are audited) — and loads the probe search.
async fn load(
    user: &CurrentUser,
    state: &AppState,
    case_id: i64,
    ps_id: i64,
) -> Result<(Case, ProbeSearch), AppError> {
    let today = chrono::Utc::now().date_naive();
    let allowed = may_examine(&user.roles, &user.training, today)
        .or_else(|_| may_adjudicate(&user.roles, &user.training, today));
    let actor = user.actor_as(user.primary_role());
    let id = CaseId(case_id);
    let (vu, va) = (user.user.clone(), user.agency.clone());
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        if let Err(refusal) = &allowed {
            audit::record(
                c,
                &actor,
                Entry::new("examine.faces", "case", case_id)
                    .outcome(Outcome::Denied)
                    .details(refusal.to_string()),
            )?;
            return Err(AppError::Forbidden(refusal.to_string()));
        }
        let case = crate::cases::access::live_case_for(
            c,
            &crate::cases::access::Viewer::new(&vu, &va),
            id,
        )?
        .ok_or(AppError::NotFound)?;
        let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
        if ps.case_id != case.id {
            return Err(AppError::NotFound);
        }
        Ok((case, ps))
    })
    .await
}

/// Face `index` of probe search `ps_id` and the bytes of its probe photo, after [`load`]'s
/// checks; then `render` makes the JPEG (on the database thread pool, as it decodes a photo).
///
/// Errors: those of [`load`]; `NotFound` for an unknown face or image; `render`'s errors.
async fn probe_face_jpeg(
    user: &CurrentUser,
    state: &web::Data<AppState>,
    (case_id, ps_id, index): (i64, i64, usize),
    render: fn(&[u8], &crate::search::ProbeFace) -> Result<Vec<u8>, AppError>,
) -> Result<HttpResponse, AppError> {
    let (_case, probe) = load(user, state, case_id, ps_id).await?;
    let face = probe
        .faces()
        .into_iter()
        .find(|f| f.index == index)
        .ok_or(AppError::NotFound)?;
    let st = state.clone();
    let sha = probe.image_sha256.clone();
    let bytes = crate::platform::db::run(&state.pool, move |c| -> Result<Vec<u8>, AppError> {
        let img = CaseImage::in_case(c, CaseId(case_id), &sha)?.ok_or(AppError::NotFound)?;
        let raw = st.images.get(&img.sha256, &img.content_type)?;
        render(&raw, &face)
    })
    .await?;
    Ok(private_jpeg(bytes))
}

/// `GET /cases/{id}/probes/{ps}/faces/{n}.jpg`: one face, cropped with a margin, as JPEG.
pub async fn crop(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, usize)>,
) -> Result<HttpResponse, AppError> {
    probe_face_jpeg(&user, &state, path.into_inner(), margin_jpeg).await
}

/// The face's box with a quarter of its side as margin, cut from the photo `raw`, as JPEG.
fn margin_jpeg(raw: &[u8], face: &crate::search::ProbeFace) -> Result<Vec<u8>, AppError> {
    let photo =
        crate::face::decode_image(raw).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let [x, y, w, h] = face.bbox;
    let m = 0.25 * w.max(h);
    let x0 = (x - m).max(0.0) as u32;
    let y0 = (y - m).max(0.0) as u32;
    let x1 = ((x + w + m) as u32).min(photo.width());
    let y1 = ((y + h + m) as u32).min(photo.height());
    let cropped = photo.crop_imm(
        x0,
        y0,
        x1.saturating_sub(x0).max(1),
        y1.saturating_sub(y0).max(1),
    );
    let mut out = Vec::new();
    cropped
        .to_rgb8()
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Failed to encode the crop: {e}")))?;
    Ok(out)
}

/// Side of the comparison crops in pixels (probe and candidate alike).
pub const COMPARISON_SIZE: u32 = 320;
/// JPEG quality of the comparison crops.
const COMPARISON_QUALITY: u8 = 90;

/// A [`COMPARISON_SIZE`]-square JPEG of the face at `bbox` / `landmarks` in the photo `raw`:
/// aligned on the five landmarks (`crate::face::align::comparison_crop`) or, for a face stored
/// without them, centred on its box.
///
/// Errors: a photo that does not decode or a crop that does not encode.
pub fn aligned_jpeg(
    raw: &[u8],
    bbox: [f32; 4],
    landmarks: Option<[[f32; 2]; 5]>,
) -> Result<Vec<u8>, AppError> {
    let photo = crate::face::decode_image(raw)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
        .to_rgb8();
    let crop = landmarks
        .and_then(|l| crate::face::align::comparison_crop(&photo, &l, COMPARISON_SIZE))
        .unwrap_or_else(|| crate::face::align::box_crop(&photo, bbox, COMPARISON_SIZE));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, COMPARISON_QUALITY)
        .encode_image(&crop)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Failed to encode the crop: {e}")))?;
    Ok(out)
}

/// An image response that no shared cache keeps (a face of a case or of the gallery).
pub fn private_jpeg(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes)
}

/// `GET /cases/{id}/probes/{ps}/faces/{n}/aligned.jpg`: one probe face as a 320×320 crop
/// aligned like the candidates' crops; same access as [`crop`].
pub async fn aligned(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, usize)>,
) -> Result<HttpResponse, AppError> {
    probe_face_jpeg(&user, &state, path.into_inner(), |raw, face| {
        aligned_jpeg(raw, face.bbox, face.landmarks)
    })
    .await
}

#[derive(Deserialize)]
pub struct RerunForm {
    pub csrf_token: String,
}

crate::web::csrf::csrf_forms!(RerunForm);

/// `POST /cases/{id}/probes/{ps}/rerun`: a trained examiner runs a failed search again (after
/// reading its error on the case page). A search that is not failed answers 409.
pub async fn rerun(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<RerunForm>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let (_case, probe) = load(&user, &state, case_id, ps_id).await?;
    let actor = user.actor(Role::Examiner);
    let u = user.user.clone();
    let effects = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        crate::search::actions::rerun(c, &u, &actor, case_id, &probe)?.ok_or_else(|| {
            AppError::Conflict("This search has not failed, or it was already queued again.".into())
        })
    })
    .await?;
    state.after_commit(&effects);
    Ok(crate::web::respond::redirect(&format!("/cases/{case_id}")))
}
