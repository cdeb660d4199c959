//! Disclosure packages for court on the case page (issue 17; NY MPTC §VI.E legal review).
//! `GET /cases/{id}/disclosures` lists the case's packages with the forms that fit the user;
//! `POST /cases/{id}/disclosures` prepares one (legal basis, redaction, protective order);
//! `POST /cases/{id}/disclosures/{disclosure}/{approve,reject,release}` takes the next step
//! (approve and reject by a second person); `GET /cases/{id}/disclosures/{disclosure}/{file}`
//! downloads a released package's signed PDF report (`report.pdf`) or ZIP (`package.zip`),
//! checked against its recorded SHA-256. Only the service's supervisors and system
//! administrators see any of it (others get 403); refusals are audited as denied.

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::audit::{self, Actor, Entry};
use crate::cases::store::Case;
use crate::disclosure::export::{
    self as wf, Discloser, DisclosureError, ExportContext, package_of, record_denial,
};
use crate::disclosure::facts::FactsContext;
use crate::disclosure::store::{Disclosure, DisclosureState};
use crate::domain::disclosure::{DisclosureTerms, may_disclose};
use crate::domain::{CaseId, Role};
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::time::fmt_time;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One package with what the viewing user may do with it.
pub struct PackageRow {
    pub d: Disclosure,
    pub state: &'static str,
    /// Approve or reject: prepared, and the viewer did not prepare it.
    pub can_decide: bool,
    /// The viewer prepared it and it awaits a second person.
    pub own_request: bool,
    pub can_release: bool,
    pub released: bool,
}

#[derive(Template)]
#[template(path = "cases/disclosures.html")]
pub struct DisclosuresPage {
    pub layout: Layout,
    pub case: Case,
    pub packages: Vec<PackageRow>,
    /// What was typed into the refused preparation form.
    pub basis: String,
    pub unredacted: bool,
    pub order: String,
    pub protective_order: bool,
    /// `(field, message)`: `basis`, `order` (preparation) or `reject_reason` (of `error_package`).
    pub errors: Vec<(&'static str, String)>,
    pub error_package: Option<i64>,
    pub typed_reason: String,
    pub notice: Option<String>,
    /// Why an action was refused (shown at the top).
    pub alert: Option<String>,
}

impl DisclosuresPage {
    pub fn ot(&self, at: &Option<NaiveDateTime>) -> String {
        at.as_ref().map(fmt_time).unwrap_or_default()
    }
    pub fn t(&self, at: &NaiveDateTime) -> String {
        fmt_time(at)
    }
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    /// The rejection error of package `id`.
    pub fn reject_err(&self, id: &i64) -> Option<&str> {
        if self.error_package == Some(*id) {
            self.err("reject_reason")
        } else {
            None
        }
    }
    /// What was typed into package `id`'s refused rejection form.
    pub fn typed_for(&self, id: &i64) -> &str {
        if self.error_package == Some(*id) {
            &self.typed_reason
        } else {
            ""
        }
    }
}

#[derive(Deserialize)]
pub struct PrepareForm {
    pub csrf_token: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub unredacted: Option<String>,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub protective_order: Option<String>,
}

#[derive(Deserialize)]
pub struct ActionForm {
    pub csrf_token: String,
    #[serde(default)]
    pub reject_reason: String,
}

crate::web::csrf::csrf_forms!(PrepareForm);
crate::web::csrf::csrf_forms!(ActionForm; multi_line: ["reject_reason"]);

#[derive(Deserialize)]
pub struct Flags {
    pub done: Option<String>,
}

/// The role the user acts in (for the audit record).
fn actor_role(user: &CurrentUser) -> Role {
    if user.has(Role::Supervisor) {
        Role::Supervisor
    } else {
        Role::SystemAdmin
    }
}

/// 403 for anyone but the service's supervisors and system administrators (audited).
async fn check(user: &CurrentUser, state: &AppState, id: CaseId) -> Result<(), AppError> {
    if may_disclose(&user.roles, user.agency.is_service) {
        return Ok(());
    }
    let actor = user.actor_as(user.primary_role());
    let why = DisclosureError::NotAllowed.to_string();
    crate::platform::db::run(&state.pool, move |c| {
        record_denial(c, &actor, "disclosure.access", id.0, &why).map_err(AppError::from)
    })
    .await?;
    Err(AppError::Forbidden(DisclosureError::NotAllowed.to_string()))
}

/// What the page shows besides the packages.
#[derive(Default)]
struct View {
    form: (String, bool, String, bool),
    errors: Vec<(&'static str, String)>,
    error_package: Option<i64>,
    typed_reason: String,
    notice: Option<String>,
    alert: Option<String>,
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    id: CaseId,
    status: StatusCode,
    view: View,
) -> Result<HttpResponse, AppError> {
    let me = user.user.id;
    let (case, packages) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let case = Case::find(c, id)?.ok_or(AppError::NotFound)?;
        let rows = Disclosure::for_case(c, case.id)?
            .into_iter()
            .map(|d| {
                let st = d.state();
                let own = d.prepared_by_id == Some(me);
                PackageRow {
                    state: st.label(),
                    can_decide: st == DisclosureState::Prepared && !own,
                    own_request: st == DisclosureState::Prepared && own,
                    can_release: st == DisclosureState::Approved,
                    released: st == DisclosureState::Released,
                    d,
                }
            })
            .collect::<Vec<_>>();
        Ok((case, rows))
    })
    .await?;
    crate::web::respond::html_status(
        status,
        &DisclosuresPage {
            layout: Layout::new(user, &state.settings.service.name),
            case,
            packages,
            basis: view.form.0,
            unredacted: view.form.1,
            order: view.form.2,
            protective_order: view.form.3,
            errors: view.errors,
            error_package: view.error_package,
            typed_reason: view.typed_reason,
            notice: view.notice,
            alert: view.alert,
        },
    )
}

/// `GET /cases/{id}/disclosures`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    check(&user, &state, id).await?;
    let notice = flags.done.as_deref().and_then(|d| {
        Some(
            match d {
                "prepare" => "Package prepared. A second supervisor or system administrator approves its release.",
                "approve" => "Release approved. The package is made when it is released.",
                "reject" => "Release refused. Nothing was made or sent.",
                "release" => "Package released: the signed report and ZIP are below, the release is in the dissemination log and the requesting agency has been told.",
                _ => return None,
            }
            .to_string(),
        )
    });
    render(
        &user,
        &state,
        id,
        StatusCode::OK,
        View {
            notice,
            ..View::default()
        },
    )
    .await
}

/// A refused step: the page with the reason (403 role or second person, 409 state, 404 for
/// an unknown case or package); denials are audited.
async fn refused(
    user: &CurrentUser,
    state: &AppState,
    id: CaseId,
    action: &'static str,
    e: DisclosureError,
    mut view: View,
) -> Result<HttpResponse, AppError> {
    let status = match &e {
        DisclosureError::NoCase(_) | DisclosureError::NoPackage(_) => {
            return Err(AppError::NotFound);
        }
        DisclosureError::Terms(errors) => {
            view.errors = errors.clone();
            return render(user, state, id, StatusCode::UNPROCESSABLE_ENTITY, view).await;
        }
        DisclosureError::RejectReason(m) => {
            view.errors = vec![("reject_reason", m.clone())];
            return render(user, state, id, StatusCode::UNPROCESSABLE_ENTITY, view).await;
        }
        DisclosureError::NotAllowed | DisclosureError::SecondPersonRequired(_) => {
            StatusCode::FORBIDDEN
        }
        DisclosureError::State { .. } | DisclosureError::Purged(_) => StatusCode::CONFLICT,
        DisclosureError::Db(_) | DisclosureError::Other(_) => {
            return Err(AppError::Internal(anyhow::anyhow!(e)));
        }
    };
    if status == StatusCode::FORBIDDEN {
        let actor = user.actor(actor_role(user));
        let why = e.to_string();
        crate::platform::db::run(&state.pool, move |c| {
            record_denial(c, &actor, action, id.0, &why).map_err(AppError::from)
        })
        .await?;
    }
    view.alert = Some(e.to_string());
    render(user, state, id, status, view).await
}

/// `POST /cases/{id}/disclosures`: prepares a package.
pub async fn prepare(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<PrepareForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    check(&user, &state, id).await?;
    let f = form.into_inner();
    let typed = (
        f.basis.clone(),
        f.unredacted.is_some(),
        f.order.clone(),
        f.protective_order.is_some(),
    );
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor(actor_role(&user));
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>((|| {
            let terms = DisclosureTerms::parse(
                &f.basis,
                f.unredacted.is_some(),
                Some(f.order.as_str()),
                f.protective_order.is_some(),
            )
            .map_err(DisclosureError::Terms)?;
            let case = Case::find(c, id)?.ok_or(DisclosureError::NoCase(id.0.to_string()))?;
            let who = Discloser {
                actor: &actor,
                user: Some((&u, &a)),
            };
            wf::prepare(c, &who, &case, &terms)
        })())
    })
    .await?;
    match r {
        Ok(_) => {
            state.after_commit(&AfterCommit::none().and_history(id.0));
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}/disclosures?done=prepare",
                id.0
            )))
        }
        Err(e) => {
            let view = View {
                form: typed,
                ..View::default()
            };
            refused(&user, &state, id, "disclosure.prepare", e, view).await
        }
    }
}

/// `POST /cases/{id}/disclosures/{disclosure}/{action}` with action `approve`, `reject` or
/// `release`.
pub async fn act(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String, String)>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (id, disclosure_id, action) = path.into_inner();
    let id = CaseId(id);
    let kind: &'static str = match action.as_str() {
        "approve" => "approve",
        "reject" => "reject",
        "release" => "release",
        _ => return Err(AppError::NotFound),
    };
    check(&user, &state, id).await?;
    let f = form.into_inner();
    let typed_reason = f.reject_reason.clone();
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor(actor_role(&user));
    let ctx = export_context(&state);
    let did = disclosure_id.clone();
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>((|| {
            let case = Case::find(c, id)?.ok_or(DisclosureError::NoCase(id.0.to_string()))?;
            let who = Discloser {
                actor: &actor,
                user: Some((&u, &a)),
            };
            match kind {
                "approve" => wf::approve(c, &who, &case, &did).map(|_| false),
                "reject" => wf::reject(c, &who, &case, &did, &f.reject_reason).map(|_| false),
                _ => wf::release(&ctx, c, &who, &case, &did).map(|_| true),
            }
        })())
    })
    .await?;
    match r {
        Ok(mailed) => {
            let effects = AfterCommit::none().and_history(id.0);
            state.after_commit(&if mailed { effects.and_mail() } else { effects });
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}/disclosures?done={kind}#package-{}",
                id.0, disclosure_id
            )))
        }
        Err(e) => {
            let error_package = crate::platform::db::run(&state.pool, {
                let did = disclosure_id.clone();
                move |c| Disclosure::by_disclosure_id(c, &did).map_err(AppError::from)
            })
            .await?
            .map(|d| d.id);
            let view = View {
                error_package,
                typed_reason,
                ..View::default()
            };
            refused(&user, &state, id, action_name(kind), e, view).await
        }
    }
}

fn action_name(kind: &str) -> &'static str {
    match kind {
        "approve" => "disclosure.approve",
        "reject" => "disclosure.reject",
        _ => "disclosure.release",
    }
}

/// What a release needs, from the server's settings and signing key.
fn export_context(state: &AppState) -> ExportContext {
    let s = &state.settings;
    ExportContext {
        facts: FactsContext {
            images: state.images.clone(),
            models_dir: s.face.models_dir.clone(),
            candidates: s.face.candidates,
            single_examiner_allowed: s.face.single_examiner_allowed,
            service_name: s.service.name.clone(),
        },
        signer: state.signer.clone(),
        base_url: s.service.base_url.clone(),
    }
}

/// `GET /cases/{id}/disclosures/{disclosure}/{file}` with file `report.pdf` or `package.zip`:
/// a released package's file, checked against its recorded SHA-256; audited
/// (`disclosure.download`).
pub async fn download(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, disclosure_id, file) = path.into_inner();
    let id = CaseId(id);
    let zip = match file.as_str() {
        "report.pdf" => false,
        "package.zip" => true,
        _ => return Err(AppError::NotFound),
    };
    check(&user, &state, id).await?;
    let actor: Actor = user.actor(actor_role(&user));
    let files = state.storage().clone();
    let (name, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let case = Case::find(c, id)?.ok_or(AppError::NotFound)?;
        let d = package_of(c, &case, &disclosure_id).map_err(|_| AppError::NotFound)?;
        let bytes = wf::read_file(&files, &d, zip)?.ok_or(AppError::NotFound)?;
        let name = if zip { d.zip_name() } else { d.pdf_name() };
        audit::record(
            c,
            &actor,
            Entry::new("disclosure.download", "case", case.id).details(format!(
                "package {}; {name}; sha256 {}",
                d.disclosure_id,
                crate::disclosure::package::sha256_hex(&bytes)
            )),
        )?;
        Ok((name, bytes))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(if zip {
            "application/zip"
        } else {
            "application/pdf"
        })
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .body(bytes))
}
