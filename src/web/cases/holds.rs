//! Legal holds of a case: `GET /cases/{id}/holds` lists them with the forms, `POST` places one
//! (case or DR number and reason), `POST /cases/{id}/holds/{hold}/lift` lifts one with a reason.
//! For local administrators of the case's agency (or of the service) and service reviewers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::cases::store::Case;
use crate::domain::{CaseId, Role};
use crate::platform::time::fmt_time;
use crate::retention::error::RetentionError;
use crate::retention::holds as wf;
use crate::retention::store::LegalHold;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "retention/holds.html")]
pub struct HoldsPage {
    pub layout: Layout,
    pub case: Case,
    pub holds: Vec<LegalHold>,
    pub reference: String,
    pub reason: String,
    /// `(field, message)`: `reference`, `reason`, `lift_reason`.
    pub errors: Vec<(&'static str, String)>,
    pub notice: Option<String>,
}

impl HoldsPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub struct PlaceForm {
    pub csrf_token: String,
    pub reference: String,
    pub reason: String,
}

crate::web::csrf::csrf_forms!(PlaceForm; multi_line: ["reason"]);

#[derive(Deserialize)]
pub struct LiftForm {
    pub csrf_token: String,
    pub lift_reason: String,
}

crate::web::csrf::csrf_forms!(LiftForm; multi_line: ["lift_reason"]);

#[derive(Deserialize)]
pub struct Flags {
    pub placed: Option<String>,
    pub lifted: Option<String>,
}

fn actor_role(user: &CurrentUser) -> Role {
    if user.has(Role::LocalAdmin) {
        Role::LocalAdmin
    } else {
        Role::Reviewer
    }
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    id: CaseId,
    form: (String, String),
    errors: Vec<(&'static str, String)>,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (u, a) = (user.user.clone(), user.agency.clone());
    let (case, holds) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let case = Case::find_any(c, id)?.ok_or(AppError::NotFound)?;
        if !crate::retention::access::may_hold(&u.roles_in(&a), &a, &case) {
            return Err(AppError::NotFound);
        }
        Ok((case, LegalHold::for_case(c, id)?))
    })
    .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    crate::web::respond::html_status(
        status,
        &HoldsPage {
            layout: Layout::new(user, &state.settings.service.name),
            case,
            holds,
            reference: form.0,
            reason: form.1,
            errors,
            notice,
        },
    )
}

/// `GET /cases/{id}/holds`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    let notice = if flags.placed.is_some() {
        Some(
            "Legal hold placed: the case will not be logically deleted or purged while it stands."
                .to_string(),
        )
    } else if flags.lifted.is_some() {
        Some("Legal hold lifted.".to_string())
    } else {
        None
    };
    render(
        &user,
        &state,
        CaseId(path.into_inner()),
        (String::new(), String::new()),
        Vec::new(),
        notice,
    )
    .await
}

/// `POST /cases/{id}/holds`.
pub async fn place(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<PlaceForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor(actor_role(&user));
    let (reference, reason) = (form.reference.clone(), form.reason.clone());
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>(wf::place_hold(c, &u, &a, &actor, id, &reference, &reason))
    })
    .await?;
    match r {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}/holds?placed=1",
                id.0
            )))
        }
        Err(RetentionError::Invalid(errors)) => {
            render(
                &user,
                &state,
                id,
                (form.reference.clone(), form.reason.clone()),
                errors,
                None,
            )
            .await
        }
        Err(RetentionError::NotAllowedToHold) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `POST /cases/{id}/holds/{hold}/lift`.
pub async fn lift(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: CsrfForm<LiftForm>,
) -> Result<HttpResponse, AppError> {
    let (id, hold) = path.into_inner();
    let id = CaseId(id);
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor(actor_role(&user));
    let reason = form.lift_reason.clone();
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>(wf::lift_hold(c, &u, &a, &actor, id, hold, &reason))
    })
    .await?;
    match r {
        Ok(effects) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}/holds?lifted=1",
                id.0
            )))
        }
        Err(RetentionError::Invalid(errors)) => {
            render(
                &user,
                &state,
                id,
                (String::new(), String::new()),
                errors,
                None,
            )
            .await
        }
        Err(RetentionError::NotAllowedToHold) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
