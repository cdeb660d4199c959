//! `POST /examine/claim` ("Claim and start" / "Continue" on the examiners' queue),
//! `POST /examine/release` (the holder or a supervisor) and `POST /examine/reassign` (a
//! supervisor, to an examiner who may take the work) — [`crate::examination::claiming`].

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::Role;
use crate::examination::claiming::{self, Ctx};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Deserialize)]
pub struct ClaimForm {
    pub csrf_token: String,
    /// The item's claim key (`first_review:12`, `assessment:7` …).
    #[serde(default)]
    pub item: String,
    /// `reassign`: the examiner who takes the work.
    #[serde(default)]
    pub to: String,
}

crate::web::csrf::csrf_forms!(ClaimForm);

fn ctx<'a>(u: &'a CurrentUser, state: &AppState, role: Role) -> Ctx<'a> {
    Ctx {
        user: &u.user,
        agency: &u.agency,
        actor: u.actor(role),
        now: crate::platform::time::now(),
        idle_minutes: state.settings.examination.claim_idle_minutes,
        single_examiner_allowed: state.settings.face.single_examiner_allowed,
        approver_may_examine: state.settings.face.approver_may_examine,
    }
}

fn require_staff(user: &CurrentUser) -> Result<(), AppError> {
    if user.has(Role::Examiner) || user.has(Role::Supervisor) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "The examiners' queue is for examiners and supervisors of the service.".into(),
        ))
    }
}

/// Claims the item (or continues one's own claim) and opens the work.
pub async fn claim(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<ClaimForm>,
) -> Result<HttpResponse, AppError> {
    require_staff(&user)?;
    let key = form.into_inner().item;
    let (u, st) = (user.clone(), state.clone());
    let role = if key.starts_with("adjudication:") {
        Role::Supervisor
    } else {
        Role::Examiner
    };
    let href = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(claiming::claim(c, &ctx(&u, &st, role), &key)?)
    })
    .await?;
    Ok(crate::web::respond::redirect(&href))
}

/// Releases a claim and goes back to the queue.
pub async fn release(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<ClaimForm>,
) -> Result<HttpResponse, AppError> {
    require_staff(&user)?;
    let key = form.into_inner().item;
    let (u, st) = (user.clone(), state.clone());
    let role = if user.has(Role::Supervisor) {
        Role::Supervisor
    } else {
        Role::Examiner
    };
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(claiming::release(c, &ctx(&u, &st, role), &key)?)
    })
    .await?;
    Ok(crate::web::respond::redirect("/examine#claims"))
}

/// A supervisor reassigns a claim.
pub async fn reassign(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<ClaimForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Supervisor)?;
    let form = form.into_inner();
    let to: i64 = form
        .to
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("Choose the examiner who takes the work.".into()))?;
    let (u, st) = (user.clone(), state.clone());
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(claiming::reassign(
            c,
            &ctx(&u, &st, Role::Supervisor),
            &form.item,
            to,
        )?)
    })
    .await?;
    Ok(crate::web::respond::redirect("/examine#claims"))
}
