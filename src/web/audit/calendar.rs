//! The audit calendar and corrective actions (LACRIS FR Policy "Audits", "Accountability and
//! Enforcement"; docs/POLICIES.md, issue 14):
//!
//! - `GET /audit/calendar`: the service (system administrators, supervisors, reviewers) sees
//!   every member agency's next due monthly audit and access review, overdue first, and every
//!   corrective action.
//! - `GET /audits/corrective`: a local administrator's agency's corrective actions (the
//!   service: every agency's), each open one with its follow-up form.
//! - `GET /audits/corrective/new?report=ID` and `POST /audits/corrective`: record a corrective
//!   action linked to a signed-off monthly audit (fields `csrf_token`, `audit_report_id`,
//!   `user_id`, `kind`, `description`, `follow_up_on`).
//! - `POST /audits/corrective/{id}/complete` (fields `csrf_token`, `note`): follow it up.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::store::{Agency, User};
use crate::audit::calendar::AgencyDue;
use crate::audit::corrective::{self, ActionView, CorrectiveError, NewAction};
use crate::audit::monthly_report::AuditReportRecord;
use crate::audit::{self as trail, Entry};
use crate::domain::corrective::CorrectiveKind;
use crate::domain::{AgencyId, Role};
use crate::platform::time::{fmt_time, now};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::{Layout, sees_calendar};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

fn acting_role(u: &CurrentUser) -> Role {
    [
        Role::SystemAdmin,
        Role::LocalAdmin,
        Role::Supervisor,
        Role::Reviewer,
    ]
    .into_iter()
    .find(|r| u.has(*r))
    .unwrap_or(Role::Auditor)
}

#[derive(Template)]
#[template(path = "audit/calendar.html")]
pub struct CalendarPage {
    pub layout: Layout,
    pub today: String,
    pub lines: Vec<AgencyDue>,
    pub overdue: usize,
    pub actions: Vec<ActionView>,
    pub open_actions: usize,
}

/// `GET /audit/calendar`.
pub async fn page(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !sees_calendar(&user) {
        return Err(AppError::Forbidden(
            "The audit calendar is for the service's system administrators, supervisors and reviewers; local administrators see their own on the monthly audit page.".into(),
        ));
    }
    let rules = state.settings.audit.calendar();
    let actor = user.actor(acting_role(&user));
    let today = now().date();
    let (lines, actions) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let lines = crate::audit::calendar::calendar(c, &rules, today)?;
        let actions = corrective::list(c, None)?;
        trail::record(
            c,
            &actor,
            Entry::new("audit_calendar.view", "audit", "calendar"),
        )?;
        Ok((lines, actions))
    })
    .await?;
    let page = CalendarPage {
        layout: Layout::new(&user, &state.settings.service.name),
        today: today.to_string(),
        overdue: lines.iter().filter(|l| l.overdue()).count(),
        lines,
        open_actions: actions.iter().filter(|a| a.is_open()).count(),
        actions,
    };
    crate::web::respond::html_status(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "audit/corrective.html")]
pub struct CorrectivePage {
    pub layout: Layout,
    pub actions: Vec<ActionView>,
    pub can_act: bool,
    pub error: Option<(i64, String)>,
    pub done: bool,
}

impl CorrectivePage {
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

/// Whose corrective actions the user may see: `Some(agency)`, or `None` for every agency.
fn scope(u: &CurrentUser) -> Result<Option<i64>, AppError> {
    if sees_calendar(u) {
        Ok(None)
    } else if u.has(Role::LocalAdmin) || u.has(Role::Auditor) {
        Ok(Some(u.agency_id().0))
    } else {
        Err(AppError::Forbidden(
            "Corrective actions are for local administrators, auditors and the service.".into(),
        ))
    }
}

async fn render_list(
    user: &CurrentUser,
    state: &AppState,
    error: Option<(i64, String)>,
    done: bool,
) -> Result<HttpResponse, AppError> {
    let scope = scope(user)?;
    let actor = user.actor(acting_role(user));
    let actions = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let actions = corrective::list(c, scope)?;
        trail::record(
            c,
            &actor,
            Entry::new(
                "corrective_action.list",
                "agency",
                scope.map_or("all".to_string(), |a| a.to_string()),
            ),
        )?;
        Ok(actions)
    })
    .await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = CorrectivePage {
        layout: Layout::new(user, &state.settings.service.name),
        can_act: user.has(Role::LocalAdmin) || user.has(Role::SystemAdmin),
        actions,
        error,
        done,
    };
    crate::web::respond::html_status(status, &page)
}

#[derive(Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// `GET /audits/corrective`.
pub async fn list(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    render_list(&user, &state, None, q.done.is_some()).await
}

#[derive(Template)]
#[template(path = "audit/corrective_new.html")]
pub struct NewPage {
    pub layout: Layout,
    pub report_id: i64,
    pub month: String,
    pub agency_name: String,
    pub findings: String,
    pub users: Vec<(i64, String)>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub form: NewForm,
    pub error: Option<(&'static str, String)>,
}

impl NewPage {
    pub fn error_of(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn general_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f.is_empty())
            .map(|(_, m)| m.as_str())
    }
    pub fn selected_user(&self, id: &i64) -> bool {
        self.form.user_id == id.to_string()
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub audit_report_id: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub follow_up_on: String,
}

crate::web::csrf::csrf_forms!(NewForm; multi_line: ["description"]);

#[derive(Deserialize)]
pub struct NewQuery {
    pub report: i64,
}

async fn render_new(
    user: &CurrentUser,
    state: &AppState,
    report_id: i64,
    form: NewForm,
    error: Option<(&'static str, String)>,
) -> Result<HttpResponse, AppError> {
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let (report, agency, users) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let report = AuditReportRecord::find(c, report_id)?.ok_or(AppError::NotFound)?;
            if !corrective::may_act(&su, &sa, report.agency_id) {
                return Err(AppError::Forbidden(CorrectiveError::NotAllowed.to_string()));
            }
            let agency = Agency::find(c, AgencyId(report.agency_id))?;
            let users: Vec<(i64, String)> = User::for_agency(c, agency.agency_id())?
                .into_iter()
                .filter(|u| u.id != su.id)
                .map(|u| (u.id, format!("{} <{}>", u.name, u.email)))
                .collect();
            Ok((report, agency, users))
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = NewPage {
        layout: Layout::new(user, &state.settings.service.name),
        report_id,
        month: report.month,
        agency_name: agency.name,
        findings: report.findings,
        users,
        kinds: CorrectiveKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        form,
        error,
    };
    crate::web::respond::html_status(status, &page)
}

/// `GET /audits/corrective/new?report=ID`.
pub async fn new(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = NewForm {
        follow_up_on: (now().date() + chrono::Duration::days(30)).to_string(),
        ..NewForm::default()
    };
    render_new(&user, &state, q.report, form, None).await
}

/// `POST /audits/corrective`.
pub async fn record(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<NewForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let report_id: i64 = form
        .audit_report_id
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("Missing audit report.".into()))?;
    let input = NewAction {
        audit_report_id: report_id,
        user_id: form.user_id.trim().parse().unwrap_or(0),
        kind: form.kind.clone(),
        description: form.description.clone(),
        follow_up_on: form.follow_up_on.clone(),
    };
    let actor = user.actor(acting_role(&user));
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let notice = crate::accounts::account::NoticeContext {
        service_name: state.settings.service.name.clone(),
        base_url: state.settings.service.base_url.clone(),
    };
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(corrective::record(
            c,
            &notice,
            &actor,
            (&su, &sa),
            &input,
            now(),
        ))
    })
    .await?;
    match result {
        Ok(_) => {
            state.after_commit(&crate::platform::jobs::effects::AfterCommit::mail());
            Ok(crate::web::respond::redirect("/audits/corrective?done=1"))
        }
        Err(CorrectiveError::NotAllowed) => {
            Err(AppError::Forbidden(CorrectiveError::NotAllowed.to_string()))
        }
        Err(e) if e.is_user_error() => {
            let field = e.field().unwrap_or("");
            render_new(&user, &state, report_id, form, Some((field, e.to_string()))).await
        }
        Err(CorrectiveError::Db(d)) => Err(d.into()),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!("{e}"))),
    }
}

#[derive(Deserialize)]
pub struct CompleteForm {
    pub csrf_token: String,
    pub note: String,
}

crate::web::csrf::csrf_forms!(CompleteForm; multi_line: ["note"]);

/// `POST /audits/corrective/{id}/complete`.
pub async fn complete(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<CompleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let note = form.into_inner().note;
    let actor = user.actor(acting_role(&user));
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(corrective::complete(
            c,
            &actor,
            (&su, &sa),
            id,
            &note,
            now(),
        ))
    })
    .await?;
    match result {
        Ok(()) => Ok(crate::web::respond::redirect("/audits/corrective?done=1")),
        Err(e @ CorrectiveError::NotAllowed) => Err(AppError::Forbidden(e.to_string())),
        Err(CorrectiveError::NotFound) => Err(AppError::NotFound),
        Err(e @ CorrectiveError::AlreadyCompleted) => Err(AppError::Conflict(e.to_string())),
        Err(e) if e.is_user_error() => {
            render_list(&user, &state, Some((id, e.to_string())), false).await
        }
        Err(CorrectiveError::Db(d)) => Err(d.into()),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!("{e}"))),
    }
}
