//! The service's system administrator: `GET /admin/agencies` (every agency with its policy,
//! terms and suspension state), `POST /admin/agencies/{id}/suspend` (fields `csrf_token`,
//! `reason`, at least 10 characters) and `POST /admin/agencies/{id}/reinstate` (`csrf_token`,
//! optional `reason`). Both are audited; anyone else gets 404.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::store::Agency;
use crate::agencies::suspension::{self, SuspensionError};
use crate::agencies::terms;
use crate::domain::{AgencyId, Role};
use crate::platform::time::now;
use crate::web::admin::agency::{AgencyForms, render};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One agency in the list, with whether it accepted the current terms.
pub struct Row {
    pub agency: Agency,
    pub terms_accepted: bool,
}

#[derive(Template)]
#[template(path = "admin/agencies.html")]
pub struct AgenciesPage {
    pub layout: Layout,
    pub rows: Vec<Row>,
    pub terms_version: &'static str,
}

fn require_system_admin(user: &CurrentUser) -> Result<(), AppError> {
    if user.has(Role::SystemAdmin) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn list(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    require_system_admin(&user)?;
    let rows = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let mut rows = Vec::new();
        for agency in Agency::all(c)? {
            let terms_accepted = terms::accepted_current(c, agency.agency_id())?.is_some();
            rows.push(Row {
                agency,
                terms_accepted,
            });
        }
        Ok(rows)
    })
    .await?;
    crate::web::respond::html(&AgenciesPage {
        layout: Layout::new(&user, &state.settings.service.name),
        rows,
        terms_version: terms::current_version(),
    })
}

#[derive(Deserialize)]
pub struct ReasonForm {
    pub csrf_token: String,
    #[serde(default)]
    pub reason: String,
}

crate::web::csrf::csrf_forms!(ReasonForm);

async fn change(
    user: CurrentUser,
    state: web::Data<AppState>,
    id: AgencyId,
    reason: String,
    suspend: bool,
) -> Result<HttpResponse, AppError> {
    require_system_admin(&user)?;
    let actor = user.actor(Role::SystemAdmin);
    let r = reason.clone();
    let outcome = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let agency = Agency::find(c, id).map_err(|_| AppError::NotFound)?;
        let result = if suspend {
            suspension::suspend(c, &actor, &agency, &r, now())
        } else {
            suspension::reinstate(c, &actor, &agency, &r)
        };
        match result {
            Ok(()) => Ok(None),
            Err(SuspensionError::Db(e)) => Err(e.into()),
            Err(e) => Ok(Some(e.to_string())),
        }
    })
    .await?;
    match outcome {
        None => Ok(crate::web::respond::redirect(&format!(
            "/admin/agencies/{}?done={}",
            id.0,
            if suspend { "suspended" } else { "reinstated" }
        ))),
        Some(msg) => {
            let forms = AgencyForms {
                suspend_error: Some(msg),
                reason,
                ..AgencyForms::default()
            };
            render(&user, &state, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn suspend(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    change(user, state, AgencyId(path.into_inner()), form.reason, true).await
}

pub async fn reinstate(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    change(user, state, AgencyId(path.into_inner()), form.reason, false).await
}
