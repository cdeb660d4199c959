//! A logically deleted case (retention) is hidden from everyone; a local administrator (of the
//! case's agency, or of the service) may open it after stating a reason.
//! `POST /cases/{id}/retained` records the reason (`case.view_retained` audit record) and grants
//! this session 15 minutes of read access to that one case (page, images, packets).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::cases::store::Case;
use crate::domain::CaseId;
use crate::retention::deleted_access::view_deleted;
use crate::retention::error::RetentionError;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

const GRANT_KEY: &str = "retained_view";
const GRANT_SECONDS: i64 = 15 * 60;

/// The page asking an administrator why they open a logically deleted case.
#[derive(Template)]
#[template(path = "retention/reason.html")]
pub struct ReasonPage {
    pub layout: Layout,
    pub case: Case,
    pub reason: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct ReasonForm {
    pub csrf_token: String,
    pub reason: String,
}

crate::web::csrf::csrf_forms!(ReasonForm; multi_line: ["reason"]);

/// Whether this session stated a reason for `case_id` in the last 15 minutes.
pub fn has_grant(session: &Session, case_id: i64) -> bool {
    match session.get::<(i64, i64)>(GRANT_KEY) {
        Ok(Some((id, until))) => id == case_id && chrono::Utc::now().timestamp() < until,
        _ => false,
    }
}

fn grant(session: &Session, case_id: i64) -> Result<(), AppError> {
    session
        .insert(
            GRANT_KEY,
            (case_id, chrono::Utc::now().timestamp() + GRANT_SECONDS),
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session insert failed: {e}")))
}

/// Renders the reason form (status 200 on first view, 422 with an error).
pub fn reason_page(
    user: &CurrentUser,
    state: &AppState,
    case: Case,
    reason: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = ReasonPage {
        layout: Layout::new(user, &state.settings.service.name),
        case,
        reason,
        error: error.clone(),
    };
    if error.is_some() {
        crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        crate::web::respond::html(&page)
    }
}

/// `POST /cases/{id}/retained`.
pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor_as(user.primary_role());
    let reason = form.reason.clone();
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        match view_deleted(c, &u, &a, &actor, id, &reason) {
            Ok(_) => Ok(Ok(())),
            Err(RetentionError::Invalid(errs)) => {
                let case = crate::retention::deleted_access::deleted_case_for(c, &u, &a, id)
                    .map_err(AppError::from)?
                    .ok_or(AppError::NotFound)?;
                let msg = errs
                    .into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join(" ");
                Ok(Err((case, msg)))
            }
            Err(RetentionError::NotAllowedToView) => Err(AppError::NotFound),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    match result {
        Ok(()) => {
            grant(&session, id.0)?;
            Ok(crate::web::respond::redirect(&format!("/cases/{}", id.0)))
        }
        Err((case, msg)) => reason_page(&user, &state, case, form.reason.clone(), Some(msg)),
    }
}
