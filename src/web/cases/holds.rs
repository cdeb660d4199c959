//! Legal holds of a case (LAPD ALPR order, "Retaining ALPR Data Beyond the Two-Year Logical
//! Deletion Period"). `GET /cases/{id}/holds` lists them with the forms that fit the user;
//! `POST /cases/{id}/holds` requests one (DR/case number, reason, investigator's name and
//! contact); `POST /cases/{id}/holds/{hold}/{approve,reject,review,lift,release}` approves or
//! rejects a request, records the two-yearly review, requests a release (`lift`) and approves
//! a release. Requesters: local administrators of the case's agency and service staff;
//! approvers: local administrators of the case's agency and the service's supervisors and
//! system administrators, never the person who made the request. `GET /holds` lists pending
//! requests and due or overdue reviews.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::accounts::store::{Agency, User};
use crate::cases::store::Case;
use crate::domain::{AgencyId, CaseId, Role, UserId};
use crate::platform::time::fmt_time;
use crate::retention::access::{may_approve_hold, may_hold, may_list_holds};
use crate::retention::error::RetentionError;
use crate::retention::holds::{self as wf, HoldActor};
use crate::retention::store::{HoldState, LegalHold};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One hold with what the viewing user may do with it.
pub struct HoldRow {
    pub h: LegalHold,
    pub requested_by: String,
    pub approved_by: String,
    pub release_requested_by: String,
    pub overdue: bool,
    /// Approve or reject the request.
    pub can_decide: bool,
    /// Record the review, request the release.
    pub can_review: bool,
    pub can_request_release: bool,
    pub can_approve_release: bool,
    /// The requester (or release requester) looking at their own request.
    pub own_request: bool,
}

#[derive(Template)]
#[template(path = "retention/holds.html")]
pub struct HoldsPage {
    pub layout: Layout,
    pub case: Case,
    pub holds: Vec<HoldRow>,
    pub reference: String,
    pub reason: String,
    pub investigator_name: String,
    pub investigator_contact: String,
    /// `(field, message)`: `reference`, `reason`, `investigator_name`, `investigator_contact`
    /// (the request form) or `reject_reason`, `review_note`, `lift_reason` (of `error_hold`).
    pub errors: Vec<(&'static str, String)>,
    pub error_hold: Option<i64>,
    /// What was typed into the refused form of `error_hold`.
    pub typed: String,
    pub notice: Option<String>,
    /// Why an action was refused (shown at the top, with the status).
    pub alert: Option<String>,
}

impl HoldsPage {
    pub fn t(&self, at: &NaiveDateTime) -> String {
        fmt_time(at)
    }
    pub fn ot(&self, at: &Option<NaiveDateTime>) -> String {
        at.as_ref().map(fmt_time).unwrap_or_default()
    }
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    /// The error of a per-hold form field.
    pub fn herr(&self, hold: &i64, field: &str) -> Option<&str> {
        if self.error_hold == Some(*hold) {
            self.err(field)
        } else {
            None
        }
    }
    /// What was typed into a refused per-hold form field.
    pub fn typed_for(&self, hold: &i64, field: &str) -> &str {
        if self.error_hold == Some(*hold) && self.err(field).is_some() {
            &self.typed
        } else {
            ""
        }
    }
}

#[derive(Deserialize)]
pub struct RequestForm {
    pub csrf_token: String,
    pub reference: String,
    pub reason: String,
    #[serde(default)]
    pub investigator_name: String,
    #[serde(default)]
    pub investigator_contact: String,
}

crate::web::csrf::csrf_forms!(RequestForm; multi_line: ["reason"]);

/// The form of a per-hold action: a token and, for some actions, a text.
#[derive(Deserialize)]
pub struct ActionForm {
    pub csrf_token: String,
    #[serde(default)]
    pub reject_reason: String,
    #[serde(default)]
    pub review_note: String,
    #[serde(default)]
    pub lift_reason: String,
}

crate::web::csrf::csrf_forms!(ActionForm; multi_line: ["reject_reason", "review_note", "lift_reason"]);

#[derive(Deserialize)]
pub struct Flags {
    pub done: Option<String>,
}

/// The role the user acts in on holds (for the audit record).
fn actor_role(user: &CurrentUser) -> Role {
    [
        Role::LocalAdmin,
        Role::SystemAdmin,
        Role::Supervisor,
        Role::Reviewer,
    ]
    .into_iter()
    .find(|r| user.has(*r))
    .unwrap_or(Role::Reviewer)
}

fn names(c: &mut crate::platform::db::DbConnection, holds: &[LegalHold]) -> HashMap<i64, String> {
    let mut out = HashMap::new();
    for h in holds {
        for id in [Some(h.placed_by), h.approved_by, h.release_requested_by]
            .into_iter()
            .flatten()
        {
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id)
                && let Ok(u) = User::find(c, UserId(id))
            {
                e.insert(u.name);
            }
        }
    }
    out
}

/// What the page shows besides the holds.
struct View {
    form: (String, String, String, String),
    errors: Vec<(&'static str, String)>,
    error_hold: Option<i64>,
    typed: String,
    notice: Option<String>,
    alert: Option<String>,
}

impl View {
    fn plain(notice: Option<String>) -> View {
        View {
            form: Default::default(),
            errors: Vec::new(),
            error_hold: None,
            typed: String::new(),
            notice,
            alert: None,
        }
    }
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    id: CaseId,
    status: StatusCode,
    view: View,
) -> Result<HttpResponse, AppError> {
    let (u, a) = (user.user.clone(), user.agency.clone());
    let now = crate::platform::time::now();
    let (case, holds) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let case = Case::find_any(c, id)?.ok_or(AppError::NotFound)?;
        let roles = u.roles_in(&a);
        if !may_hold(&roles, &a, &case) {
            return Err(AppError::NotFound);
        }
        let approver = may_approve_hold(&roles, &a, &case);
        let holds = LegalHold::for_case(c, id)?;
        let who = names(c, &holds);
        let name = |id: Option<i64>| {
            id.and_then(|i| who.get(&i).cloned())
                .unwrap_or_else(|| id.map(|i| format!("user {i}")).unwrap_or_default())
        };
        let rows = holds
            .into_iter()
            .map(|h| {
                let state = h.state();
                let own = match state {
                    HoldState::Pending => h.placed_by == u.id,
                    HoldState::ReleaseRequested => h.release_requested_by == Some(u.id),
                    _ => false,
                };
                HoldRow {
                    requested_by: name(Some(h.placed_by)),
                    approved_by: name(h.approved_by),
                    release_requested_by: name(h.release_requested_by),
                    overdue: h.review_overdue(now),
                    can_decide: state == HoldState::Pending && approver && !own,
                    can_review: matches!(state, HoldState::Approved | HoldState::ReleaseRequested),
                    can_request_release: state == HoldState::Approved,
                    can_approve_release: state == HoldState::ReleaseRequested && approver && !own,
                    own_request: own,
                    h,
                }
            })
            .collect::<Vec<_>>();
        Ok((case, rows))
    })
    .await?;
    crate::web::respond::html_status(
        status,
        &HoldsPage {
            layout: Layout::new(user, &state.settings.service.name),
            case,
            holds,
            reference: view.form.0,
            reason: view.form.1,
            investigator_name: view.form.2,
            investigator_contact: view.form.3,
            errors: view.errors,
            error_hold: view.error_hold,
            typed: view.typed,
            notice: view.notice,
            alert: view.alert,
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
    let notice = flags.done.as_deref().and_then(|d| {
        Some(match d {
            "request" => "Legal hold requested. It holds the case now — nothing is logically deleted or purged — and awaits approval by a second person.",
            "approve" => "Legal hold approved. Its review is due in two years.",
            "reject" => "Legal hold request rejected.",
            "review" => "Review recorded. The next review is due in two years.",
            "lift" => "Release requested. The hold stands until a second person approves the release.",
            "release" => "Release approved: the legal hold has ended and the case follows the retention policy again.",
            _ => return None,
        }
        .to_string())
    });
    render(
        &user,
        &state,
        CaseId(path.into_inner()),
        StatusCode::OK,
        View::plain(notice),
    )
    .await
}

/// `POST /cases/{id}/holds`: requests a hold.
pub async fn place(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<RequestForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor(actor_role(&user));
    let f = form.into_inner();
    let typed = (
        f.reference.clone(),
        f.reason.clone(),
        f.investigator_name.clone(),
        f.investigator_contact.clone(),
    );
    let r = crate::platform::db::run(&state.pool, move |c| {
        let who = HoldActor {
            user: &u,
            agency: &a,
            actor: &actor,
        };
        Ok::<_, AppError>(wf::request_hold(
            c,
            &who,
            id,
            (
                &f.reference,
                &f.reason,
                &f.investigator_name,
                &f.investigator_contact,
            ),
        ))
    })
    .await?;
    match r {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}/holds?done=request",
                id.0
            )))
        }
        Err(RetentionError::Invalid(errors)) => {
            let mut view = View::plain(None);
            view.form = typed;
            view.errors = errors;
            render(&user, &state, id, StatusCode::UNPROCESSABLE_ENTITY, view).await
        }
        Err(e) => refused(&user, &state, id, e).await,
    }
}

/// A refused action: another agency's case is 404; a role or second-person refusal (403)
/// and a wrong state (409) show the page with the reason.
async fn refused(
    user: &CurrentUser,
    state: &AppState,
    id: CaseId,
    e: RetentionError,
) -> Result<HttpResponse, AppError> {
    let status = match e {
        RetentionError::NotAllowedToHold | RetentionError::NotFound => {
            return Err(AppError::NotFound);
        }
        RetentionError::NotAllowedToApprove | RetentionError::SecondPersonRequired => {
            StatusCode::FORBIDDEN
        }
        RetentionError::HoldState(_) | RetentionError::AlreadyLifted => StatusCode::CONFLICT,
        other => return Err(other.into()),
    };
    let mut view = View::plain(None);
    view.alert = Some(e.to_string());
    render(user, state, id, status, view).await
}

/// `POST /cases/{id}/holds/{hold}/{action}` with action `approve`, `reject`, `review`, `lift`
/// (request the release) or `release` (approve the release).
pub async fn act(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, String)>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (id, hold, action) = path.into_inner();
    let id = CaseId(id);
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor(actor_role(&user));
    let f = form.into_inner();
    let (kind, typed) = match action.as_str() {
        "approve" => ("approve", String::new()),
        "reject" => ("reject", f.reject_reason),
        "review" => ("review", f.review_note),
        "lift" => ("lift", f.lift_reason),
        "release" => ("release", String::new()),
        _ => return Err(AppError::NotFound),
    };
    let text = typed.clone();
    let r = crate::platform::db::run(&state.pool, move |c| {
        let who = HoldActor {
            user: &u,
            agency: &a,
            actor: &actor,
        };
        Ok::<_, AppError>(match kind {
            "approve" => wf::approve_hold(c, &who, id, hold),
            "reject" => wf::reject_hold(c, &who, id, hold, &text),
            "review" => wf::review_hold(c, &who, id, hold, &text),
            "lift" => wf::request_release(c, &who, id, hold, &text),
            _ => wf::approve_release(c, &who, id, hold),
        })
    })
    .await?;
    match r {
        Ok(effects) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{}/holds?done={kind}",
                id.0
            )))
        }
        Err(RetentionError::Invalid(errors)) => {
            let mut view = View::plain(None);
            view.errors = errors;
            view.error_hold = Some(hold);
            view.typed = typed;
            render(&user, &state, id, StatusCode::UNPROCESSABLE_ENTITY, view).await
        }
        Err(e) => refused(&user, &state, id, e).await,
    }
}

/// One line of the holds list.
pub struct ListRow {
    pub hold_id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub agency_name: String,
    pub reference: String,
    pub investigator: String,
    pub requested_at: NaiveDateTime,
    pub review_due: Option<NaiveDateTime>,
    pub state: &'static str,
}

/// One section of the holds list.
pub struct ListSection {
    pub id: &'static str,
    pub title: &'static str,
    pub empty: &'static str,
    pub rows: Vec<ListRow>,
}

#[derive(Template)]
#[template(path = "retention/holds_list.html")]
pub struct HoldsListPage {
    pub layout: Layout,
    /// Awaiting a second person (hold and release requests, oldest first); review overdue
    /// (most overdue first); review due within 30 days (soonest first); other standing holds.
    pub sections: Vec<ListSection>,
}

impl HoldsListPage {
    pub fn ot(&self, at: &Option<NaiveDateTime>) -> String {
        at.as_ref().map(fmt_time).unwrap_or_else(|| "—".into())
    }
}

/// `GET /holds`: the legal holds awaiting a decision or a review, for the service's system
/// administrators, supervisors and reviewers (every agency) and local administrators (their
/// agency's cases; the service's, every agency).
pub async fn list(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !may_list_holds(&user.roles, &user.agency) {
        return Err(AppError::Forbidden(
            "Only administrators and the service's reviewers and supervisors see the legal holds."
                .into(),
        ));
    }
    let agency = user.agency.clone();
    let now = crate::platform::time::now();
    let rows = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let mut agencies: HashMap<i64, Agency> = HashMap::new();
        let mut rows = Vec::new();
        for h in LegalHold::all_standing(c)? {
            let Some(case) = Case::find_any(c, CaseId(h.case_id))? else {
                continue;
            };
            if !agency.is_service && case.agency_id != agency.id {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = agencies.entry(case.agency_id) {
                e.insert(Agency::find(c, AgencyId(case.agency_id))?);
            }
            let agency_name = agencies
                .get(&case.agency_id)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            rows.push((
                h.state(),
                ListRow {
                    hold_id: h.id,
                    case_id: case.id,
                    case_number: case.display_number(),
                    agency_name,
                    reference: h.reference.clone(),
                    investigator: format!("{}, {}", h.investigator_name, h.investigator_contact),
                    requested_at: h.placed_at,
                    review_due: h.review_due_at,
                    state: h.state_label(),
                },
            ));
        }
        Ok(rows)
    })
    .await?;
    let soon = now + chrono::Duration::days(crate::domain::retention::HOLD_REMINDER_DAYS);
    let (mut pending, mut overdue, mut due_soon, mut standing) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (st, r) in rows {
        if matches!(st, HoldState::Pending | HoldState::ReleaseRequested) {
            pending.push(r);
        } else if r.review_due.is_some_and(|d| d <= now) {
            overdue.push(r);
        } else if r.review_due.is_some_and(|d| d <= soon) {
            due_soon.push(r);
        } else {
            standing.push(r);
        }
    }
    overdue.sort_by_key(|r| r.review_due);
    due_soon.sort_by_key(|r| r.review_due);
    standing.sort_by_key(|r| r.review_due);
    crate::web::respond::html(&HoldsListPage {
        layout: Layout::new(&user, &state.settings.service.name),
        sections: vec![
            ListSection {
                id: "pending",
                title: "Awaiting a second person",
                empty: "No hold or release request is awaiting approval.",
                rows: pending,
            },
            ListSection {
                id: "overdue",
                title: "Review overdue",
                empty: "No review is overdue.",
                rows: overdue,
            },
            ListSection {
                id: "due-soon",
                title: "Review due within 30 days",
                empty: "No review is due within 30 days.",
                rows: due_soon,
            },
            ListSection {
                id: "standing",
                title: "Other standing holds",
                empty: "None.",
                rows: standing,
            },
        ],
    })
}
