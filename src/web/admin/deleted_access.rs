//! `GET /admin/deleted-access`: requests to open logically deleted cases that await a second
//! person, for the service's system administrators and supervisors, with
//! `POST /admin/deleted-access/{id}/approve` and `…/refuse` (LAPD ALPR order: the CO of ITB
//! approves before a logically deleted record is searched). Nobody decides their own request.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::store::User;
use crate::audit::{self, Entry};
use crate::cases::store::Case;
use crate::domain::deleted_access::may_decide_deleted_access;
use crate::domain::{CaseId, Role, UserId};
use crate::platform::time::fmt_time;
use crate::retention::access_requests::AccessRequest;
use crate::retention::deleted_access::decide;
use crate::retention::error::RetentionError;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One pending request as listed.
pub struct Row {
    pub request: AccessRequest,
    pub case_number: String,
    pub requester: String,
    pub criterion: String,
    pub requested: String,
    /// The viewer's own request: shown, not decidable.
    pub own: bool,
}

#[derive(Template)]
#[template(path = "admin/deleted_access.html")]
pub struct AccessRequestsPage {
    pub layout: Layout,
    pub rows: Vec<Row>,
    pub notice: Option<String>,
    /// `(request id, message)` of a refused decision, shown beside that request's form.
    pub error: Option<(i64, String)>,
}

#[derive(Deserialize)]
pub struct DecisionForm {
    pub csrf_token: String,
    #[serde(default)]
    pub note: String,
}

crate::web::csrf::csrf_forms!(DecisionForm; multi_line: ["note"]);

#[derive(Deserialize)]
pub struct Flags {
    pub decided: Option<String>,
}

fn require_approver(user: &CurrentUser) -> Result<(), AppError> {
    if may_decide_deleted_access(&user.roles, user.agency.is_service) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            RetentionError::NotAllowedToDecide.to_string(),
        ))
    }
}

fn rows(c: &mut crate::platform::db::DbConnection, me: i64) -> Result<Vec<Row>, AppError> {
    let mut out = Vec::new();
    for r in AccessRequest::pending(c)? {
        let case_number = Case::find_any(c, CaseId(r.case_id))?
            .map(|k| k.display_number())
            .unwrap_or_default();
        let requester = User::find(c, UserId(r.requester_id))
            .map(|u| format!("{} ({})", u.name, u.email))
            .unwrap_or_default();
        out.push(Row {
            case_number,
            requester,
            criterion: r.criterion_label(),
            requested: fmt_time(&r.requested_at),
            own: r.requester_id == me,
            request: r,
        });
    }
    Ok(out)
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    notice: Option<String>,
    error: Option<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let me = user.user.id;
    let actor = user.actor_as(user.primary_role());
    let rows = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let rows = rows(c, me)?;
        audit::record(
            c,
            &actor,
            Entry::new("retention.list_access_requests", "case", "list").details(format!(
                "{} pending deleted-case access request(s) listed",
                rows.len()
            )),
        )?;
        Ok(rows)
    })
    .await?;
    let failed = error.is_some();
    let page = AccessRequestsPage {
        layout: Layout::new(user, &state.settings.service.name),
        rows,
        notice,
        error,
    };
    if failed {
        crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        crate::web::respond::html(&page)
    }
}

/// `GET /admin/deleted-access`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    require_approver(&user)?;
    let notice = flags
        .decided
        .as_deref()
        .map(|d| format!("Decision recorded: {d}."));
    render(&user, &state, notice, None).await
}

async fn decide_handler(
    user: CurrentUser,
    state: web::Data<AppState>,
    id: i64,
    form: CsrfForm<DecisionForm>,
    approve: bool,
) -> Result<HttpResponse, AppError> {
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor_as(if user.has(Role::SystemAdmin) {
        Role::SystemAdmin.as_str()
    } else {
        user.primary_role()
    });
    let note = form.note.clone();
    let outcome = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        match decide(c, &u, &a, &actor, id, approve, &note) {
            Ok(_) => Ok(Ok(())),
            Err(RetentionError::Invalid(errs)) => Ok(Err(errs
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join(" "))),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(crate::web::respond::redirect(&format!(
            "/admin/deleted-access?decided={}",
            if approve { "approved" } else { "refused" }
        ))),
        Err(msg) => render(&user, &state, None, Some((id, msg))).await,
    }
}

/// `POST /admin/deleted-access/{id}/approve`.
pub async fn approve(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    decide_handler(user, state, path.into_inner(), form, true).await
}

/// `POST /admin/deleted-access/{id}/refuse`.
pub async fn refuse(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    decide_handler(user, state, path.into_inner(), form, false).await
}
