//! The messages of a case (issue 16): `GET /cases/{id}/messages` (the thread and the form),
//! `POST /cases/{id}/messages` (multipart: the text and optional images) and
//! `GET /cases/{id}/messages/images/{sha}` (an attachment, access-checked and audited like a
//! probe image). Who may read and post: `domain::message::access`; an examiner or supervisor
//! while the examination is open gets 403, audited. A refused attachment is named beside the
//! image field and the typed text comes back.

use actix_multipart::form::{MultipartForm, tempfile::TempFile, text::Text};
use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Entry, Outcome};
use crate::cases::access::Viewer;
use crate::cases::images::{self, CheckedImage};
use crate::cases::messages::{self, MessageError, MessageView};
use crate::cases::store::Case;
use crate::domain::CaseId;
use crate::domain::message::{Access, MAX_ATTACHMENTS, MAX_CHARS};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "cases/messages.html")]
pub struct MessagesPage {
    pub layout: Layout,
    pub case: Case,
    pub thread: Vec<MessageView>,
    /// The side the user writes as ("Requesting agency", "Service"); `None`: read only.
    pub writes_as: Option<&'static str>,
    /// What was typed (kept when the message is refused).
    pub typed: String,
    pub body_error: Option<String>,
    pub image_errors: Vec<String>,
    pub notice: Option<String>,
    pub max_chars: usize,
    pub max_attachments: usize,
}

#[derive(Deserialize)]
pub struct Flags {
    pub sent: Option<String>,
}

#[derive(MultipartForm)]
pub struct MessageUpload {
    pub csrf_token: Option<Text<String>>,
    pub body: Option<Text<String>>,
    #[multipart(limit = "32MB")]
    pub images: Vec<TempFile>,
}

/// The case for the user and their access to its thread; 404 when the case is not theirs to
/// see, 403 (audited) when they may not read the thread.
async fn load(
    user: &CurrentUser,
    state: &AppState,
    id: CaseId,
    what: &'static str,
) -> Result<(Case, Access, Vec<MessageView>), AppError> {
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let actor = user.actor_as(user.primary_role());
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let case = crate::cases::access::live_case_for(c, &Viewer::new(&su, &sa), id)?
            .ok_or(AppError::NotFound)?;
        let access = messages::access_of(&su, &sa, &case);
        let refusal = match access {
            Access::BlindExamination => Some(MessageError::BlindExamination),
            Access::None => Some(MessageError::NotAParty),
            Access::Read if what == "post" => Some(MessageError::NotAParty),
            _ => None,
        };
        if let Some(e) = refusal {
            messages::record_refusal(c, &actor, &case, what, &e)?;
            return Err(AppError::Forbidden(e.to_string()));
        }
        let thread = messages::Message::thread(c, id)?;
        Ok((case, access, thread))
    })
    .await
}

fn page_for(
    user: &CurrentUser,
    state: &AppState,
    case: Case,
    access: Access,
    thread: Vec<MessageView>,
) -> MessagesPage {
    MessagesPage {
        layout: Layout::new(user, &state.settings.service.name),
        case,
        thread,
        writes_as: access.side().map(|s| s.label()),
        typed: String::new(),
        body_error: None,
        image_errors: Vec::new(),
        notice: None,
        max_chars: MAX_CHARS,
        max_attachments: MAX_ATTACHMENTS,
    }
}

/// `GET /cases/{id}/messages`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let (case, access, thread) = load(&user, &state, id, "read").await?;
    let actor = user.actor_as(user.primary_role());
    let (reason, n) = (case.search_reason.clone(), thread.len());
    crate::platform::db::run(&state.pool, move |c| -> Result<(), AppError> {
        audit::record(
            c,
            &actor,
            Entry::new("case.message_view", "case", id.0)
                .reason(reason)
                .details(format!("{n} message(s)")),
        )?;
        Ok(())
    })
    .await?;
    let mut page = page_for(&user, &state, case, access, thread);
    if flags.sent.is_some() {
        page.notice = Some("Message sent; the other side is told by email.".into());
    }
    crate::web::respond::html(&page)
}

/// Reads and checks every attached file (on a blocking thread: decoding is CPU work).
fn check_uploads(files: Vec<TempFile>) -> (Vec<(String, CheckedImage)>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let real: Vec<TempFile> = files
        .into_iter()
        .filter(|f| f.file_name.as_deref().is_some_and(|n| !n.is_empty()) || f.size > 0)
        .collect();
    if real.len() > MAX_ATTACHMENTS {
        bad.push(MessageError::TooManyAttachments.to_string());
        return (good, bad);
    }
    for f in real {
        let name = f.file_name.clone().unwrap_or_else(|| "image".into());
        if f.size as u64 > images::MAX_BYTES {
            bad.push(images::ImageError::TooLarge(name).to_string());
            continue;
        }
        match std::fs::read(f.file.path()) {
            Ok(bytes) => match images::check(&name, bytes) {
                Ok(img) => good.push((name, img)),
                Err(e) => bad.push(e.to_string()),
            },
            Err(_) => bad.push(images::ImageError::Corrupt(name).to_string()),
        }
    }
    (good, bad)
}

/// `POST /cases/{id}/messages`.
pub async fn post(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    MultipartForm(upload): MultipartForm<MessageUpload>,
) -> Result<HttpResponse, AppError> {
    auth::verify_csrf(
        &session,
        &upload
            .csrf_token
            .as_ref()
            .map(|t| t.0.clone())
            .unwrap_or_default(),
    )?;
    let id = CaseId(path.into_inner());
    let (case, access, thread) = load(&user, &state, id, "post").await?;
    let typed = crate::domain::text::multi_line(
        &upload
            .body
            .as_ref()
            .map(|t| t.0.clone())
            .unwrap_or_default(),
    );
    let files = upload.images;
    let (checked, image_errors) = web::block(move || check_uploads(files))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Upload check failed: {e}")))?;
    let body_error = crate::domain::message::clean_body(&typed)
        .err()
        .map(|e| e.to_string());
    if body_error.is_some() || !image_errors.is_empty() {
        let mut page = page_for(&user, &state, case, access, thread);
        page.typed = typed;
        page.body_error = body_error;
        page.image_errors = image_errors;
        return crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let (u, st, typed2) = (user.clone(), state.clone(), typed.clone());
    let case2 = case.clone();
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let ctx = messages::Ctx {
            user: &u.user,
            agency: &u.agency,
            actor: u.actor_as(u.primary_role()),
            images: &st.images,
            service_name: &st.settings.service.name,
            base_url: &st.settings.service.base_url,
        };
        match messages::post(c, &ctx, &case2, &typed2, &checked) {
            Ok(done) => Ok(Ok(done)),
            Err(e) if e.is_form_error() => Ok(Err(e.to_string())),
            Err(e @ (MessageError::BlindExamination | MessageError::NotAParty)) => {
                messages::record_refusal(c, &ctx.actor, &case2, "post", &e)?;
                Err(AppError::Forbidden(e.to_string()))
            }
            Err(MessageError::StorageFull) => {
                Err(AppError::StorageFull(MessageError::StorageFull.to_string()))
            }
            Err(MessageError::Db(e)) => Err(e.into()),
            Err(e) => Err(AppError::Internal(anyhow::anyhow!("{e}"))),
        }
    })
    .await?;
    match result {
        Ok((message_id, effects)) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}/messages?sent=1#message-{message_id}",
                id.0
            )))
        }
        Err(msg) => {
            let mut page = page_for(&user, &state, case, access, thread);
            page.typed = typed;
            page.body_error = Some(msg);
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// `GET /cases/{id}/messages/images/{sha}`: an attachment, to those who may read the thread;
/// every view and refusal is an audit record (`image.view`, object `message_image`).
pub async fn image(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, sha) = path.into_inner();
    let id = CaseId(id);
    let actor = user.actor_as(user.primary_role());
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let st = state.clone();
    let (att, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let viewer = Viewer::new(&su, &sa);
        let case = crate::cases::access::case_with_files_for(c, &viewer, id)?;
        let allowed = case
            .as_ref()
            .is_some_and(|k| messages::access_of(&su, &sa, k).may_read());
        let att = match &case {
            Some(k) if allowed => messages::MessageAttachment::in_case(c, k.case_id(), &sha)?,
            _ => None,
        };
        let Some(att) = att else {
            audit::record(
                c,
                &actor,
                Entry::new("image.view", "message_image", &sha)
                    .outcome(Outcome::Denied)
                    .details(format!("case {}", id.0)),
            )?;
            return Err(if case.is_some() && !allowed {
                AppError::Forbidden("You may not read this case's messages.".into())
            } else {
                AppError::NotFound
            });
        };
        let bytes = st.images.get(&att.sha256, &att.content_type)?;
        audit::record(
            c,
            &actor,
            Entry::new("image.view", "message_image", &att.sha256)
                .reason(case.map(|k| k.search_reason).unwrap_or_default())
                .details(format!("case {}; message {}", id.0, att.message_id)),
        )?;
        Ok((att, bytes))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(att.content_type.as_str())
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Disposition", "inline"))
        .body(bytes))
}
