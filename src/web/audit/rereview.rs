//! The random re-review queue (NY MPTC §VI.C; `crate::audit::rereview`):
//!
//! - `GET /audit/rereviews`: each month's draw (seed, population, sample size) and the sampled
//!   cases; a service supervisor who took no part in a case records its re-review here. The
//!   service's system administrators and reviewers read it.
//! - `POST /audit/rereviews/{id}` (fields `csrf_token`, `outcome` = `consistent` | `concerns`,
//!   `note`): records the re-review.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::rereview::{self, Item, ReReviewError};
use crate::audit::{self as trail, Entry};
use crate::domain::Role;
use crate::platform::time::{fmt_time, now};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "audit/rereviews.html")]
pub struct ReReviewPage {
    pub layout: Layout,
    pub items: Vec<Item>,
    pub draws: Vec<rereview::DrawRow>,
    pub error: Option<(i64, String)>,
    pub typed: String,
    pub done: bool,
}

impl ReReviewPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
    pub fn error_for(&self, id: &i64) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(i, _)| i == id)
            .map(|(_, m)| m.as_str())
    }
}

fn allowed(u: &CurrentUser) -> Result<(), AppError> {
    if crate::web::layout::sees_calendar(u) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "The random re-reviews are for the service's supervisors, reviewers and system administrators.".into(),
        ))
    }
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    error: Option<(i64, String)>,
    typed: String,
    done: bool,
) -> Result<HttpResponse, AppError> {
    allowed(user)?;
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let actor = user.actor_as(user.primary_role());
    let (items, draws) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let items = rereview::list(c, &su, &sa)?;
        let draws = rereview::draws(c)?;
        trail::record(c, &actor, Entry::new("rereview.list", "audit", "rereviews"))?;
        Ok((items, draws))
    })
    .await?;
    let page = ReReviewPage {
        layout: Layout::new(user, &state.settings.service.name),
        items,
        draws,
        error,
        typed,
        done,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    crate::web::respond::html_status(status, &page)
}

#[derive(Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// `GET /audit/rereviews`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    render(&user, &state, None, String::new(), q.done.is_some()).await
}

#[derive(Deserialize)]
pub struct ReReviewForm {
    pub csrf_token: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

crate::web::csrf::csrf_forms!(ReReviewForm; multi_line: ["note"]);

/// `POST /audit/rereviews/{id}`.
pub async fn record(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<ReReviewForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let actor = user.actor(Role::Supervisor);
    let (outcome, note) = (form.outcome.clone(), form.note.clone());
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(rereview::record(
            c,
            &actor,
            (&su, &sa),
            id,
            &outcome,
            &note,
            now(),
        ))
    })
    .await?;
    match result {
        Ok(()) => Ok(crate::web::respond::redirect("/audit/rereviews?done=1")),
        Err(e @ (ReReviewError::NotSupervisor | ReReviewError::TookPart)) => {
            Err(AppError::Forbidden(e.to_string()))
        }
        Err(ReReviewError::NotFound) => Err(AppError::NotFound),
        Err(e @ ReReviewError::AlreadyDone) => Err(AppError::Conflict(e.to_string())),
        Err(e @ (ReReviewError::BadOutcome | ReReviewError::NoNote)) => {
            render(&user, &state, Some((id, e.to_string())), form.note, false).await
        }
        Err(ReReviewError::Db(d)) => Err(d.into()),
    }
}
