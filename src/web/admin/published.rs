//! The service's system administrators publish documents on the public transparency page
//! ([`crate::published::documents`]):
//! - `GET /admin/published`: every published document with its versions, the form to publish
//!   a new one, and per document the forms to replace (a new version) and to withdraw;
//! - `POST /admin/published` (multipart: `csrf_token`, `kind`, `title`, `provider`,
//!   `effective_date` YYYY-MM-DD, `file` — a PDF of at most 20 MB);
//! - `POST /admin/published/{id}/replace` (multipart: the same without `kind`);
//! - `POST /admin/published/{id}/withdraw` (`csrf_token`, `reason` ≥ 10 characters).
//!
//! Who: a system administrator of the service's own agency. Anyone else gets 403 and the refusal
//! is an audit record (`published.manage`, outcome denied). A refused form comes back (422) with
//! each message beside its field and what was typed kept.

use actix_multipart::form::{MultipartForm, tempfile::TempFile, text::Text};
use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::agencies::policy::{self, CheckedPolicy, PolicyError, PolicyStore};
use crate::audit::{Entry, Outcome};
use crate::domain::Role;
use crate::platform::time::{fmt_time, now};
use crate::published::documents::{
    self, DetailErrors, Details, DocumentKind, PublishError, PublishedDocument,
};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

/// The content-addressed store of published documents (`<data_dir>/published`), the same
/// store as agency policies use, in its own folder.
pub fn store(state: &AppState) -> PolicyStore {
    PolicyStore::new(state.storage().clone(), "published")
}

/// Which form a refusal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    #[default]
    New,
    Replace(i64),
    Withdraw(i64),
}

/// The typed values and the messages beside the fields of the form in error.
#[derive(Default)]
pub struct Forms {
    pub target: Target,
    pub kind: String,
    pub details: Details,
    pub reason: String,
    pub errors: DetailErrors,
    pub file_error: Option<String>,
    pub kind_error: Option<String>,
    pub reason_error: Option<String>,
    pub notice: Option<String>,
}

impl Forms {
    /// Whether the errors shown belong to the form `t`.
    pub fn is(&self, t: &Target) -> bool {
        self.target == *t
    }
}

#[derive(Template)]
#[template(path = "admin/published.html")]
pub struct PublishedPage {
    pub layout: Layout,
    pub documents: Vec<PublishedDocument>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub forms: Forms,
}

impl PublishedPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
    /// The errors shown belong to the form publishing a new document.
    pub fn on_new(&self) -> bool {
        self.forms.is(&Target::New)
    }
    /// The errors shown belong to the replace form of document `id`.
    pub fn on_replace(&self, id: &i64) -> bool {
        self.forms.is(&Target::Replace(*id))
    }
    /// The errors shown belong to the withdraw form of document `id`.
    pub fn on_withdraw(&self, id: &i64) -> bool {
        self.forms.is(&Target::Withdraw(*id))
    }
}

/// Refuses (403, audited as `published.manage` denied) unless `user` is a system administrator
/// of the service's own agency.
async fn require_service_admin(
    user: &CurrentUser,
    state: &AppState,
    what: &str,
) -> Result<(), AppError> {
    if user.has(Role::SystemAdmin) && user.agency.is_service {
        return Ok(());
    }
    let actor = user.actor_as(user.primary_role());
    let what = what.to_string();
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        crate::platform::db::write_tx(c, |c| {
            crate::audit::record(
                c,
                &actor,
                Entry::new("published.manage", "published_document", "")
                    .outcome(Outcome::Denied)
                    .details(what),
            )
        })?;
        Ok(())
    })
    .await?;
    Err(AppError::Forbidden(
        "Only the service's system administrators manage the published documents.".into(),
    ))
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    forms: Forms,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let docs = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(documents::list(c)?)
    })
    .await?;
    crate::web::respond::html_status(
        status,
        &PublishedPage {
            layout: Layout::new(user, &state.settings.service.name),
            documents: docs,
            kinds: DocumentKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect(),
            forms,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// `GET /admin/published`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    require_service_admin(&user, &state, "view the published documents").await?;
    let notice = match q.done.as_deref() {
        Some("published") => Some("Published: the document is on the transparency page."),
        Some("replaced") => Some("Replaced: the new version is current; earlier ones stay listed."),
        Some("withdrawn") => Some("Withdrawn: the document stays listed as withdrawn."),
        _ => None,
    };
    let forms = Forms {
        notice: notice.map(str::to_string),
        ..Forms::default()
    };
    render(&user, &state, forms, StatusCode::OK).await
}

#[derive(MultipartForm)]
pub struct Upload {
    pub csrf_token: Option<Text<String>>,
    pub kind: Option<Text<String>>,
    pub title: Option<Text<String>>,
    pub provider: Option<Text<String>>,
    pub effective_date: Option<Text<String>>,
    #[multipart(limit = "25MB")]
    pub file: Option<TempFile>,
}

fn text(t: &Option<Text<String>>) -> String {
    t.as_ref().map(|t| t.0.clone()).unwrap_or_default()
}

/// Reads and checks the uploaded file ([`policy::check`]): the checked PDF, or the message for
/// the file field.
async fn check_file(file: Option<TempFile>) -> Result<Result<CheckedPolicy, String>, AppError> {
    let checked = match file {
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
    match checked {
        Ok(d) => Ok(Ok(d)),
        Err(PolicyError::Storage(e)) => Err(AppError::Internal(e)),
        Err(PolicyError::Empty) => Ok(Err("Choose the document (a PDF file).".into())),
        Err(PolicyError::NotPdf(n)) => Ok(Err(format!(
            "{n} is not a PDF file: upload the document as a PDF."
        ))),
        Err(e) => Ok(Err(e.to_string())),
    }
}

fn internal(e: PublishError) -> AppError {
    match e {
        PublishError::Db(e) => e.into(),
        PublishError::NotFound => AppError::NotFound,
        other => AppError::Internal(anyhow::Error::new(other)),
    }
}

/// `POST /admin/published` and `POST /admin/published/{id}/replace` (`id` given).
async fn upload(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    id: Option<i64>,
    form: Upload,
) -> Result<HttpResponse, AppError> {
    auth::verify_csrf(&session, &text(&form.csrf_token))?;
    require_service_admin(
        &user,
        &state,
        if id.is_some() {
            "replace a published document"
        } else {
            "publish a document"
        },
    )
    .await?;
    let existing = match id {
        Some(id) => Some(
            crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
                documents::find(c, id)?.ok_or(AppError::NotFound)
            })
            .await?,
        ),
        None => None,
    };
    let typed_kind = match &existing {
        Some(d) => d.row.kind.clone(),
        None => text(&form.kind),
    };
    let mut forms = Forms {
        target: id.map(Target::Replace).unwrap_or(Target::New),
        kind: typed_kind.clone(),
        details: Details {
            title: text(&form.title),
            provider: text(&form.provider),
            effective_date: text(&form.effective_date),
        },
        ..Forms::default()
    };
    let kind = DocumentKind::parse(&typed_kind);
    if kind.is_none() {
        forms.kind_error = Some("Choose what kind of document this is.".into());
    }
    let details = documents::check_details(kind.unwrap_or(DocumentKind::Other), &forms.details)
        .map_err(|e| forms.errors = e)
        .ok();
    let file = check_file(form.file)
        .await?
        .map_err(|m| forms.file_error = Some(m))
        .ok();
    let (Some(kind), Some(details), Some(file)) = (kind, details, file) else {
        return render(&user, &state, forms, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let actor = user.actor(Role::SystemAdmin);
    let store = store(&state);
    let done = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        match id {
            None => documents::publish(c, &store, &actor, kind, &details, &file, now())
                .map(|_| Ok("published")),
            Some(id) => match documents::replace(c, &store, &actor, id, &details, &file, now()) {
                Ok(_) => Ok(Ok("replaced")),
                Err(PublishError::Withdrawn) => Ok(Err(PublishError::Withdrawn.to_string())),
                Err(e) => Err(e),
            },
        }
        .map_err(internal)
    })
    .await?;
    match done {
        Ok(done) => Ok(crate::web::respond::redirect(&format!(
            "/admin/published?done={done}"
        ))),
        Err(msg) => {
            forms.file_error = Some(msg);
            render(&user, &state, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// `POST /admin/published`.
pub async fn publish(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    MultipartForm(form): MultipartForm<Upload>,
) -> Result<HttpResponse, AppError> {
    upload(session, user, state, None, form).await
}

/// `POST /admin/published/{id}/replace`.
pub async fn replace(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    MultipartForm(form): MultipartForm<Upload>,
) -> Result<HttpResponse, AppError> {
    upload(session, user, state, Some(path.into_inner()), form).await
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    pub csrf_token: String,
    #[serde(default)]
    pub reason: String,
}

crate::web::csrf::csrf_forms!(WithdrawForm);

/// `POST /admin/published/{id}/withdraw`.
pub async fn withdraw(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<WithdrawForm>,
) -> Result<HttpResponse, AppError> {
    require_service_admin(&user, &state, "withdraw a published document").await?;
    let id = path.into_inner();
    let reason = form.into_inner().reason;
    let actor = user.actor(Role::SystemAdmin);
    let r = reason.clone();
    let refused = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        match documents::withdraw(c, &actor, id, &r, now()) {
            Ok(()) => Ok(None),
            Err(e @ (PublishError::ReasonTooShort | PublishError::Withdrawn)) => {
                Ok(Some(e.to_string()))
            }
            Err(e) => Err(internal(e)),
        }
    })
    .await?;
    match refused {
        None => Ok(crate::web::respond::redirect(
            "/admin/published?done=withdrawn",
        )),
        Some(msg) => {
            let forms = Forms {
                target: Target::Withdraw(id),
                reason,
                reason_error: Some(msg),
                ..Forms::default()
            };
            render(&user, &state, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
