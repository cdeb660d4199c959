//! The agency page (`GET /admin/agency` → `/admin/agencies/{id}`): the agency's FR policy on
//! file with its history, the upload form, clearing, the terms of use and their acceptance,
//! and (for the service's system administrator) suspension. Also `GET /terms`.
//!
//! Who: the agency's local administrator, or the service's system administrator; anyone else
//! gets 404 (another agency's page does not exist for them). Only a local administrator of the
//! agency accepts the terms for it; only a system administrator suspends or reinstates.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::accounts::store::Agency;
use crate::agencies::policy::{self, PolicyDocument};
use crate::agencies::terms::{self, Acceptance};
use crate::domain::{AgencyId, Role};
use crate::platform::time::{fmt_time, now};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// Problems to show beside the fields, and what was typed.
#[derive(Default)]
pub struct AgencyForms {
    pub file_error: Option<String>,
    pub date_error: Option<String>,
    pub effective: String,
    pub suspend_error: Option<String>,
    pub reason: String,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/agency.html")]
pub struct AgencyPage {
    pub layout: Layout,
    pub agency: Agency,
    pub suspension: Option<String>,
    pub document: Option<PolicyDocument>,
    pub effective: Option<NaiveDate>,
    /// On file, but its effective date is after today.
    pub not_yet: bool,
    pub history: Vec<PolicyDocument>,
    pub terms_version: &'static str,
    pub accepted: Option<Acceptance>,
    pub acceptances: Vec<Acceptance>,
    pub can_accept: bool,
    pub can_suspend: bool,
    pub forms: AgencyForms,
}

impl AgencyPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

/// Whether `user` manages agency `id`: its local administrator, or a system administrator.
pub fn may_manage(user: &CurrentUser, id: AgencyId) -> bool {
    user.has(Role::SystemAdmin) || (user.has(Role::LocalAdmin) && user.agency_id() == id)
}

/// The actor for a change to agency `id` (as local administrator when it is their own).
pub fn actor_for(user: &CurrentUser, id: AgencyId) -> crate::audit::Actor {
    if user.has(Role::LocalAdmin) && user.agency_id() == id {
        user.actor(Role::LocalAdmin)
    } else {
        user.actor(Role::SystemAdmin)
    }
}

/// Renders the page of agency `id` for `user` with `forms` and `status`.
///
/// Errors: 404 when the user does not manage the agency or it does not exist.
pub async fn render(
    user: &CurrentUser,
    state: &AppState,
    id: AgencyId,
    forms: AgencyForms,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    if !may_manage(user, id) {
        return Err(AppError::NotFound);
    }
    let (agency, current, history, accepted, acceptances) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let agency = Agency::find(c, id).map_err(|_| AppError::NotFound)?;
            let current = policy::current(c, &agency)?;
            let history = policy::history(c, id)?;
            let accepted = terms::accepted_current(c, id)?;
            let acceptances = terms::history(c, id)?;
            Ok((agency, current, history, accepted, acceptances))
        })
        .await?;
    let today = chrono::Utc::now().date_naive();
    let page = AgencyPage {
        layout: Layout::new(user, &state.settings.service.name),
        suspension: agency.suspension_notice(&state.settings.service.name),
        document: current.document().cloned(),
        effective: current.effective_date(),
        not_yet: current.effective_date().is_some_and(|d| d > today),
        history,
        terms_version: terms::current_version(),
        accepted,
        acceptances,
        can_accept: user.has(Role::LocalAdmin) && user.agency_id() == id,
        can_suspend: user.has(Role::SystemAdmin) && !agency.is_service,
        agency,
        forms,
    };
    crate::web::respond::html_status(status, &page)
}

/// `GET /admin/agency`: the user's own agency page.
pub async fn own(user: CurrentUser) -> Result<HttpResponse, AppError> {
    if !may_manage(&user, user.agency_id()) {
        return Err(AppError::NotFound);
    }
    Ok(crate::web::respond::redirect(&format!(
        "/admin/agencies/{}",
        user.agency.id
    )))
}

#[derive(Deserialize)]
pub struct Saved {
    #[serde(default)]
    pub done: String,
}

/// `GET /admin/agencies/{id}`; `?done=` names what just happened (`policy`, `cleared`,
/// `terms`, `suspended`, `reinstated`) for a confirmation line.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<Saved>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.done.as_str() {
        "policy" => Some("The policy document was filed.".to_string()),
        "cleared" => Some("The policy was cleared: the agency has no FR policy on file.".into()),
        "terms" => Some("The terms of use were accepted for the agency.".into()),
        "suspended" => Some("The agency is suspended.".into()),
        "reinstated" => Some("The agency is reinstated.".into()),
        _ => None,
    };
    let forms = AgencyForms {
        notice,
        ..AgencyForms::default()
    };
    render(
        &user,
        &state,
        AgencyId(path.into_inner()),
        forms,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct PlainForm {
    pub csrf_token: String,
}

crate::web::csrf::csrf_forms!(PlainForm);

/// `POST /admin/agencies/{id}/policy/clear`: the policy is no longer on file (audited).
pub async fn clear(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _form: CsrfForm<PlainForm>,
) -> Result<HttpResponse, AppError> {
    let id = AgencyId(path.into_inner());
    if !may_manage(&user, id) {
        return Err(AppError::NotFound);
    }
    let actor = actor_for(&user, id);
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let agency = Agency::find(c, id).map_err(|_| AppError::NotFound)?;
        match policy::clear(c, &actor, &agency, now()) {
            Ok(()) => Ok(None),
            Err(policy::PolicyError::NothingToClear) => {
                Ok(Some(policy::PolicyError::NothingToClear.to_string()))
            }
            Err(e) => Err(AppError::Internal(anyhow::Error::new(e))),
        }
    })
    .await?;
    match result {
        None => Ok(crate::web::respond::redirect(&format!(
            "/admin/agencies/{}?done=cleared",
            id.0
        ))),
        Some(msg) => {
            let forms = AgencyForms {
                file_error: Some(msg),
                ..AgencyForms::default()
            };
            render(&user, &state, id, forms, StatusCode::CONFLICT).await
        }
    }
}

/// `POST /admin/agencies/{id}/terms`: the agency's local administrator accepts the current
/// terms of use for it (version, who, when; audited `agency.accept_terms`). Anyone else: 404.
pub async fn accept_terms(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _form: CsrfForm<PlainForm>,
) -> Result<HttpResponse, AppError> {
    let id = AgencyId(path.into_inner());
    if !(user.has(Role::LocalAdmin) && user.agency_id() == id) {
        return Err(AppError::NotFound);
    }
    let actor = user.actor(Role::LocalAdmin);
    let agency = user.agency.clone();
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        terms::accept(c, &actor, &agency, now())?;
        Ok(())
    })
    .await?;
    Ok(crate::web::respond::redirect(&format!(
        "/admin/agencies/{}?done=terms",
        id.0
    )))
}

#[derive(Template)]
#[template(path = "admin/terms.html")]
pub struct TermsPage {
    pub layout: Layout,
    pub version: &'static str,
    pub paragraphs: Vec<String>,
}

/// `GET /terms`: the current terms of use, for every logged-in user.
pub async fn terms_page(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    crate::web::respond::html(&TermsPage {
        layout: Layout::new(&user, &state.settings.service.name),
        version: terms::current_version(),
        paragraphs: terms::paragraphs(),
    })
}
