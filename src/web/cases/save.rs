//! `POST /cases/save`: save a draft or submit the request (multipart: fields plus images).
//!
//! Bad uploads (empty, not an image, corrupt, too large) are named beside the image field and
//! nothing of the press is saved (no draft is created); everything the requester typed is
//! re-rendered, cleaned (`domain::text`), so only the images need attaching again.

use actix_multipart::form::{MultipartForm, MultipartFormConfig, tempfile::TempFile, text::Text};
use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};

use crate::cases::images::{self, CheckedImage};
use crate::cases::requests::{self, Ctx, SaveInput, SaveOutcome};
use crate::cases::store::CaseImage;
use crate::domain::{RequestForm, Role};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

use crate::web::cases::form::RequestFormPage;

/// Per-file cap accepted by the parser (above the 10 MB rule, so a 10–32 MB file gets a clear
/// message beside its field instead of a failed request) and the total cap of one request.
pub fn multipart_config() -> MultipartFormConfig {
    MultipartFormConfig::default()
        .total_limit(400 * 1024 * 1024)
        .memory_limit(2 * 1024 * 1024)
        .error_handler(|err, _req| {
            AppError::BadRequest(format!(
                "The upload could not be read ({err}). Images must be at most 10 MB each and 10 per request; go back and try again."
            ))
            .into()
        })
}

#[derive(MultipartForm)]
pub struct RequestUpload {
    pub csrf_token: Option<Text<String>>,
    pub form_key: Option<Text<String>>,
    pub action: Option<Text<String>>,
    pub request_date: Option<Text<String>>,
    pub search_reason: Option<Text<String>>,
    pub case_file_number: Option<Text<String>>,
    pub offense_code: Option<Text<String>>,
    pub authorized_purpose: Option<Text<String>>,
    pub image_source: Option<Text<String>>,
    pub image_source_other: Option<Text<String>>,
    pub from_video: Option<Text<String>>,
    pub video_recording: Option<Text<String>>,
    /// Ignored: the number of images is counted (old pages and scripts may still send it).
    pub images_declared: Option<Text<String>>,
    pub signature_name: Option<Text<String>>,
    pub attest_lead_only: Option<Text<String>>,
    pub attest_lawful: Option<Text<String>>,
    #[multipart(limit = "32MB")]
    pub images: Vec<TempFile>,
    pub remove_images: Vec<Text<String>>,
}

fn t(v: &Option<Text<String>>) -> String {
    v.as_ref().map(|t| t.0.clone()).unwrap_or_default()
}

impl RequestUpload {
    /// The typed fields; the requester's name, phone and email are not sent (they are the
    /// account's, filled in by `cases::requests`).
    fn form(&self) -> RequestForm {
        RequestForm {
            request_date: t(&self.request_date),
            search_reason: t(&self.search_reason),
            case_file_number: t(&self.case_file_number),
            offense_code: t(&self.offense_code),
            authorized_purpose: t(&self.authorized_purpose),
            image_source: t(&self.image_source),
            image_source_other: t(&self.image_source_other),
            from_video: t(&self.from_video),
            video_recording: t(&self.video_recording),
            // Counted from the attached images by `cases::requests::save`, never typed.
            images_declared: String::new(),
            signature_name: t(&self.signature_name),
            attest_lead_only: t(&self.attest_lead_only),
            attest_lawful: t(&self.attest_lawful),
            ..RequestForm::default()
        }
    }
}

/// Reads and checks every uploaded file (on a blocking thread: decoding is CPU work).
fn check_uploads(files: Vec<TempFile>) -> (Vec<(String, CheckedImage)>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let real: Vec<TempFile> = files
        .into_iter()
        .filter(|f| f.file_name.as_deref().is_some_and(|n| !n.is_empty()) || f.size > 0)
        .collect();
    if real.len() > crate::domain::request::MAX_IMAGES {
        bad.push(format!(
            "{} files were attached; at most {} images per request.",
            real.len(),
            crate::domain::request::MAX_IMAGES
        ));
        return (good, bad);
    }
    for f in real {
        let name = f.file_name.clone().unwrap_or_else(|| "image".into());
        if f.size as u64 > images::MAX_BYTES {
            bad.push(images::ImageError::TooLarge(name).to_string());
            continue;
        }
        let bytes = match std::fs::read(f.file.path()) {
            Ok(b) => b,
            Err(_) => {
                bad.push(images::ImageError::Corrupt(name).to_string());
                continue;
            }
        };
        match images::check(&name, bytes) {
            Ok(img) => good.push((name, img)),
            Err(e) => bad.push(e.to_string()),
        }
    }
    (good, bad)
}

pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    MultipartForm(upload): MultipartForm<RequestUpload>,
) -> Result<HttpResponse, AppError> {
    auth::verify_csrf(&session, &t(&upload.csrf_token))?;
    user.require(Role::Requester)?;
    let form = upload
        .form()
        .cleaned()
        .with_requester(&requests::requester_identity(&user.user));
    let form_key = t(&upload.form_key);
    let submit = t(&upload.action) == "submit";
    let remove_images: Vec<String> = upload.remove_images.iter().map(|t| t.0.clone()).collect();
    let files = upload.images;
    let (new_images, upload_errors) = web::block(move || check_uploads(files))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Upload check failed: {e}")))?;

    let st = state.clone();
    let u = user.clone();
    let form2 = form.clone();
    let key2 = form_key.clone();
    let upload_errors2 = upload_errors.clone();
    let outcome =
        crate::platform::db::run(&state.pool, move |c| -> Result<SaveOutcome, AppError> {
            let ctx = Ctx {
                user: &u.user,
                agency: &u.agency,
                actor: u.actor(Role::Requester),
                images: &st.images,
                service_name: &st.settings.service.name,
                base_url: &st.settings.service.base_url,
                today: chrono::Utc::now().date_naive(),
            };
            Ok(requests::save(
                c,
                &ctx,
                SaveInput {
                    form_key: key2,
                    form: form2,
                    submit,
                    new_images,
                    upload_errors: upload_errors2,
                    remove_images,
                },
            )?)
        })
        .await?;

    state.after_commit(&outcome.after_commit());
    let (case_id, errors, saved_note) = match outcome {
        SaveOutcome::ImagesRefused { case_id } => {
            return refused_page(&state, &user, case_id, form_key, form, upload_errors).await;
        }
        SaveOutcome::Submitted { case_id, .. } => {
            return Ok(crate::web::respond::redirect(&format!(
                "/cases/{case_id}?submitted=1"
            )));
        }
        SaveOutcome::AlreadySubmitted { case_id } => {
            return Ok(crate::web::respond::redirect(&format!("/cases/{case_id}")));
        }
        SaveOutcome::Empty { errors } => {
            let mut page = RequestFormPage::new(
                Layout::new(&user, &state.settings.service.name),
                None,
                form_key,
                form,
            );
            page.errors = errors;
            page.notice = Some(
                "Nothing was saved: the form is empty. Fill in the fields marked below and attach the images, then submit."
                    .into(),
            );
            return crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        SaveOutcome::Saved { case_id } => (case_id, Default::default(), true),
        SaveOutcome::Invalid { case_id, errors } => (case_id, errors, false),
    };
    if saved_note {
        return Ok(crate::web::respond::redirect(&format!(
            "/cases/{case_id}?saved=1"
        )));
    }
    let (vu, va) = (user.user.clone(), user.agency.clone());
    let (case, imgs) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let case = crate::cases::access::live_case_for(
            c,
            &crate::cases::access::Viewer::new(&vu, &va),
            case_id,
        )?
        .ok_or(AppError::NotFound)?;
        let imgs = CaseImage::for_version(c, case_id, case.current_version)?;
        Ok((case, imgs))
    })
    .await?;
    let mut page = RequestFormPage::new(
        Layout::new(&user, &state.settings.service.name),
        Some(case),
        form_key,
        form,
    );
    page.images = imgs;
    page.errors = errors;
    page.notice = Some(
        "The request was saved as a draft but not submitted: correct the fields marked below."
            .into(),
    );
    crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The form again after a refused upload: nothing was saved; the typed fields, the images of
/// an existing draft and the refusals beside the image field.
async fn refused_page(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    case_id: Option<crate::domain::CaseId>,
    form_key: String,
    form: RequestForm,
    upload_errors: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let (vu, va) = (user.user.clone(), user.agency.clone());
    let existing = match case_id {
        None => None,
        Some(case_id) => {
            crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
                let viewer = crate::cases::access::Viewer::new(&vu, &va);
                let Some(case) = crate::cases::access::live_case_for(c, &viewer, case_id)? else {
                    return Ok(None);
                };
                let imgs = CaseImage::for_version(c, case_id, case.current_version)?;
                Ok(Some((case, imgs)))
            })
            .await?
        }
    };
    let (case, imgs) = match existing {
        Some((case, imgs)) => (Some(case), imgs),
        None => (None, Vec::new()),
    };
    let mut page = RequestFormPage::new(
        Layout::new(user, &state.settings.service.name),
        case,
        form_key,
        form,
    );
    page.images = imgs;
    page.errors.add("images", upload_errors.join(" "));
    page.notice = Some(
        "Nothing was saved: an image was refused (see below). Your typed answers are kept here; attach the images again and send the form."
            .into(),
    );
    crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
