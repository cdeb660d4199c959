//! The "Published records" of the public transparency page (no login; issue 14 §3, seed 002):
//! - `GET /transparency/documents/{id}/{version}.pdf`: a version of a document the service
//!   published ([`crate::published::documents`]), current or earlier, withdrawn or not;
//! - `GET /transparency/agencies/{agency}/policies/{policy}.pdf`: a participating agency's FR
//!   policy document (current or earlier) — only rows of `agency_policies`, looked up by id, so
//!   nothing else under the data folder can be named;
//! - `GET /transparency/terms-of-use.md`: the terms of use agencies accept (current version;
//!   earlier versions are not kept — the text is compiled in);
//! - `GET /transparency/model-card` and `GET /transparency/model-card.pdf` (signed): the model
//!   card ([`crate::published::model_card`]).
//!
//! Views are logged, not audited (no user acts on case data), and held to the public rate
//! limit like the report.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::agencies::policy::PolicyStore;
use crate::domain::AgencyId;
use crate::platform::time::fmt_time;
use crate::published::agency_policies::{self, AgencyPolicyListing};
use crate::published::documents::{self, PublishedDocument};
use crate::published::model_card::ModelCard;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::transparency::limit::over_limit;

/// Everything the "Published records" section lists.
pub struct PublicRecords {
    pub documents: Vec<PublishedDocument>,
    pub agencies: Vec<AgencyPolicyListing>,
    pub terms_version: &'static str,
}

impl PublicRecords {
    /// Loads the lists. Errors: database errors.
    pub async fn load(state: &AppState) -> Result<PublicRecords, AppError> {
        let (documents, agencies) =
            crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
                Ok((documents::list(c)?, agency_policies::list(c)?))
            })
            .await?;
        Ok(PublicRecords {
            documents,
            agencies,
            terms_version: crate::agencies::terms::current_version(),
        })
    }

    /// UTC time as the pages show it.
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

/// A file name safe for `Content-Disposition` (ASCII letters, digits, `.`, `-`, `_`).
fn safe_name(name: &str, fallback: &str) -> String {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    if safe.is_empty() {
        fallback.into()
    } else {
        safe
    }
}

fn attachment(bytes: Vec<u8>, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// `GET /transparency/documents/{id}/{version}.pdf`. Errors: 404 when there is no such version.
pub async fn document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let (id, version) = path.into_inner();
    let store = crate::web::admin::published::store(&state);
    let (v, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let v = documents::find_version(c, id, version)?.ok_or(AppError::NotFound)?;
        let bytes = store.get(&v.sha256)?;
        Ok((v, bytes))
    })
    .await?;
    tracing::info!(document = id, version, "Published document downloaded");
    Ok(attachment(
        bytes,
        "application/pdf",
        &safe_name(&v.file_name, "document.pdf"),
    ))
}

/// `GET /transparency/agencies/{agency}/policies/{policy}.pdf`. Errors: 404 unless `policy` is
/// one of that participating agency's policy documents.
pub async fn agency_policy(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let (agency, pid) = path.into_inner();
    let store = PolicyStore::new(state.storage().clone(), "policies");
    let (doc, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let doc = agency_policies::public_document(c, AgencyId(agency), pid)?
            .ok_or(AppError::NotFound)?;
        let bytes = store.get(&doc.sha256)?;
        Ok((doc, bytes))
    })
    .await?;
    tracing::info!(
        agency,
        policy = pid,
        "Agency policy downloaded from the public page"
    );
    Ok(attachment(
        bytes,
        "application/pdf",
        &safe_name(&doc.file_name, "policy.pdf"),
    ))
}

/// `GET /transparency/terms-of-use.md`: the current terms of use as shipped (Markdown).
pub async fn terms(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(refused) = over_limit(&state, &req) {
        return refused;
    }
    attachment(
        crate::agencies::terms::TEXT.as_bytes().to_vec(),
        "text/markdown; charset=utf-8",
        &safe_name(
            &format!(
                "terms-of-use-{}.md",
                crate::agencies::terms::current_version()
            ),
            "terms-of-use.md",
        ),
    )
}

#[derive(Template)]
#[template(path = "transparency/model_card.html")]
pub struct ModelCardPage {
    pub service_name: String,
    pub card: ModelCard,
}

fn card(state: &AppState) -> Result<ModelCard, AppError> {
    ModelCard::load(&state.settings.face.models_dir).map_err(AppError::Internal)
}

/// `GET /transparency/model-card`.
pub async fn model_card(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    crate::web::respond::html(&ModelCardPage {
        service_name: state.settings.service.name.clone(),
        card: card(&state)?,
    })
}

/// `GET /transparency/model-card.pdf`: the card as a PDF signed with the desk's key.
pub async fn model_card_pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let card = card(&state)?;
    let service = state.settings.service.name.clone();
    let signer = state.signer.clone();
    let bytes = web::block(move || -> anyhow::Result<Vec<u8>> {
        let unsigned = crate::platform::pdf::flow::render_document(&card.to_document(&service))?;
        Ok(crate::platform::pdf::sign(
            &unsigned,
            &signer,
            &format!("{service}: face recognition model card"),
            chrono::Utc::now(),
        )?)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF task failed: {e}")))?
    .map_err(AppError::Internal)?;
    Ok(attachment(bytes, "application/pdf", "model-card.pdf"))
}
