//! `POST /admin/agencies/{id}/policy` (multipart: `csrf_token`, `file` — a PDF of at most 20 MB —
//! and `effective_date`, YYYY-MM-DD): files or replaces the agency's FR policy; a refused upload
//! re-renders the agency page (422) with the message beside its field and the typed date kept.
//! `GET /agencies/{id}/policies/{policy}`: the document, for the service's staff and the
//! agency's own users (anyone else: 404).

use actix_multipart::form::{MultipartForm, tempfile::TempFile, text::Text};
use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use chrono::NaiveDate;

use crate::accounts::store::Agency;
use crate::agencies::policy::{self, PolicyError, PolicyStore};
use crate::domain::AgencyId;
use crate::platform::time::now;
use crate::web::admin::agency::{AgencyForms, actor_for, may_manage, render};
use crate::web::error::AppError;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

#[derive(MultipartForm)]
pub struct PolicyUpload {
    pub csrf_token: Option<Text<String>>,
    pub effective_date: Option<Text<String>>,
    #[multipart(limit = "25MB")]
    pub file: Option<TempFile>,
}

/// The policy store of the running application.
pub fn store(state: &AppState) -> PolicyStore {
    PolicyStore::new(state.storage().clone(), "policies")
}

pub async fn upload(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    MultipartForm(form): MultipartForm<PolicyUpload>,
) -> Result<HttpResponse, AppError> {
    let token = form
        .csrf_token
        .as_ref()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    auth::verify_csrf(&session, &token)?;
    let id = AgencyId(path.into_inner());
    if !may_manage(&user, id) {
        return Err(AppError::NotFound);
    }
    let typed = form
        .effective_date
        .as_ref()
        .map(|t| t.0.trim().to_string())
        .unwrap_or_default();
    let mut forms = AgencyForms {
        effective: typed.clone(),
        ..AgencyForms::default()
    };
    let effective = NaiveDate::parse_from_str(&typed, "%Y-%m-%d").ok();
    if effective.is_none() {
        forms.date_error = Some(PolicyError::NoDate.to_string());
    }
    let checked = match form.file {
        Some(f) if f.size > 0 => {
            let name = f.file_name.clone().unwrap_or_default();
            if f.size > policy::MAX_BYTES {
                Err(PolicyError::TooLarge(name))
            } else {
                web::block(move || {
                    std::fs::read(f.file.path())
                        .map_err(|e| PolicyError::Storage(anyhow::Error::new(e)))
                        .and_then(|bytes| policy::check(&name, bytes))
                })
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("Upload check failed: {e}")))?
            }
        }
        _ => Err(PolicyError::Empty),
    };
    let doc = match checked {
        Ok(d) => Some(d),
        Err(PolicyError::Storage(e)) => return Err(AppError::Internal(e)),
        Err(e) => {
            forms.file_error = Some(e.to_string());
            None
        }
    };
    let (Some(doc), Some(effective)) = (doc, effective) else {
        return render(&user, &state, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let actor = actor_for(&user, id);
    let store = store(&state);
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let agency = Agency::find(c, id).map_err(|_| AppError::NotFound)?;
        policy::upload(c, &store, &actor, &agency, &doc, effective, now())
            .map_err(|e| AppError::Internal(anyhow::Error::new(e)))
    })
    .await?;
    Ok(crate::web::respond::redirect(&format!(
        "/admin/agencies/{}?done=policy",
        id.0
    )))
}

/// `GET /agencies/{id}/policies/{policy}`: the PDF as an attachment.
///
/// Errors: 404 unless the user is service staff or belongs to the agency, and the document is
/// the agency's.
pub async fn download(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (agency, pid) = path.into_inner();
    let id = AgencyId(agency);
    if !(user.agency.is_service || user.agency_id() == id) {
        return Err(AppError::NotFound);
    }
    let store = store(&state);
    let actor = user.actor_as(user.primary_role());
    let (doc, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let doc = policy::find(c, id, pid)?.ok_or(AppError::NotFound)?;
        let bytes = store.get(&doc.sha256)?;
        crate::audit::record(
            c,
            &actor,
            crate::audit::Entry::new("agency.policy_download", "agency", id.0)
                .details(format!("policy {} (sha256 {})", doc.id, doc.sha256)),
        )?;
        Ok((doc, bytes))
    })
    .await?;
    let safe: String = doc
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let safe = if safe.is_empty() {
        "policy.pdf".into()
    } else {
        safe
    };
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{safe}\""),
        ))
        .body(bytes))
}
