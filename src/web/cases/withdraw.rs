//! The requester withdraws a request (issue 16): `GET /cases/{id}/withdraw` asks for the reason
//! and a confirmation, `POST /cases/{id}/withdraw` withdraws (`cases::withdrawal::withdraw`).
//! A missing reason comes back beside the field with what was typed.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::cases::access::Viewer;
use crate::cases::store::Case;
use crate::cases::withdrawal::{self, MIN_REASON_CHARS, WithdrawError};
use crate::domain::{CaseId, Role};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "cases/withdraw.html")]
pub struct WithdrawPage {
    pub layout: Layout,
    pub case: Case,
    pub reason: String,
    pub error: Option<String>,
    pub min_chars: usize,
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    pub csrf_token: String,
    pub reason: String,
}

crate::web::csrf::csrf_forms!(WithdrawForm; multi_line: ["reason"]);

async fn load(user: &CurrentUser, state: &AppState, id: CaseId) -> Result<Case, AppError> {
    user.require(Role::Requester)?;
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let case = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        crate::cases::access::live_case_for(c, &Viewer::new(&su, &sa), id)?
            .ok_or(AppError::NotFound)
    })
    .await?;
    if case.agency_id != user.agency.id {
        return Err(AppError::NotFound);
    }
    Ok(case)
}

/// `GET /cases/{id}/withdraw`: the confirmation step.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let case = load(&user, &state, CaseId(path.into_inner())).await?;
    if !case.status().may_withdraw() {
        return Err(AppError::Conflict(
            WithdrawError::TooLate(case.status().label()).to_string(),
        ));
    }
    crate::web::respond::html(&WithdrawPage {
        layout: Layout::new(&user, &state.settings.service.name),
        case,
        reason: String::new(),
        error: None,
        min_chars: MIN_REASON_CHARS,
    })
}

/// `POST /cases/{id}/withdraw`.
pub async fn submit(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<WithdrawForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let case = load(&user, &state, id).await?;
    let (u, reason) = (user.clone(), form.reason.clone());
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let actor = u.actor(Role::Requester);
        match withdrawal::withdraw(c, &u.user, &u.agency, &actor, id, &reason) {
            Ok((_, effects)) => Ok(Ok(effects)),
            Err(WithdrawError::NoReason) => Ok(Err(WithdrawError::NoReason.to_string())),
            Err(e @ WithdrawError::NotRequester) => Err(AppError::Forbidden(e.to_string())),
            Err(e @ WithdrawError::TooLate(_)) => Err(AppError::Conflict(e.to_string())),
            Err(WithdrawError::NotFound) => Err(AppError::NotFound),
            Err(WithdrawError::Db(e)) => Err(e.into()),
        }
    })
    .await?;
    match result {
        Ok(effects) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}?request_withdrawn=1",
                id.0
            )))
        }
        Err(msg) => crate::web::respond::html_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &WithdrawPage {
                layout: Layout::new(&user, &state.settings.service.name),
                case,
                reason: form.reason.clone(),
                error: Some(msg),
                min_chars: MIN_REASON_CHARS,
            },
        ),
    }
}
