//! `GET /admin/users/{id}`: a local administrator's page for one account of their agency — its
//! roles, training records and background check — with three forms, each audited
//! (`accounts::people`):
//! - `POST /admin/users/{id}/training`: `kind` (`fr_system` | `facial_comparison`), `provider`
//!   (`FBI` | `LACRIS` | `other`), `completed` (YYYY-MM-DD); a renewal is a new record;
//! - `POST /admin/users/{id}/background-check`: `date` (YYYY-MM-DD);
//! - `POST /admin/users/{id}/roles`: one checkbox per role, named after it (`examiner=on`).
//!
//! An account of another agency is "not found". Errors are shown beside their field (422).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::accounts::people::{self, PeopleError};
use crate::accounts::store::{Agency, User};
use crate::accounts::training::TrainingRecord;
use crate::domain::training::{Training, TrainingKind, TrainingProvider};
use crate::domain::{Role, UserId};
use crate::platform::time::{fmt_time, now};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One role's checkbox.
pub struct RoleBox {
    pub name: &'static str,
    pub label: &'static str,
    pub checked: bool,
    /// Service roles exist only in the service agency.
    pub service_only: bool,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub layout: Layout,
    pub subject: User,
    pub records: Vec<TrainingRecord>,
    /// e.g. "may use the FR system; may examine", or the refusal.
    pub standing: String,
    pub roles: Vec<RoleBox>,
    pub is_service_agency: bool,
    pub notice: Option<String>,
    /// Errors by field: `kind`, `provider`, `completed`, `date`, `roles`.
    pub errors: Vec<(&'static str, String)>,
    /// The training form as sent (re-shown after an error).
    pub kind: String,
    pub provider: String,
    pub completed: String,
    pub date: String,
}

impl UserPage {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
    pub fn kind_label(&self, kind: &str) -> &'static str {
        kind.parse::<TrainingKind>()
            .map(TrainingKind::label)
            .unwrap_or("unknown kind")
    }
}

/// What a re-shown page carries besides the stored data.
#[derive(Default)]
struct Again {
    notice: Option<String>,
    errors: Vec<(&'static str, String)>,
    kind: String,
    provider: String,
    completed: String,
    date: String,
    roles: Option<Vec<String>>,
}

/// Loads the account if it belongs to the administrator's agency.
fn subject_of(
    c: &mut crate::platform::db::DbConnection,
    agency: i64,
    id: i64,
) -> Result<User, AppError> {
    let u = User::find(c, UserId(id)).map_err(|_| AppError::NotFound)?;
    if u.agency_id != agency {
        return Err(AppError::NotFound);
    }
    Ok(u)
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    id: i64,
    again: Again,
) -> Result<HttpResponse, AppError> {
    user.require(Role::LocalAdmin)?;
    let agency = user.agency.id;
    let (subject, records) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let subject = subject_of(c, agency, id)?;
            let records = crate::accounts::training::stored_of(c, subject.user_id())?;
            Ok((subject, records))
        })
        .await?;
    let today = now().date();
    let rules: Vec<Training> = records.iter().filter_map(|r| r.training()).collect();
    let access = crate::domain::training::grants_fr_access(&rules, today);
    let examine =
        crate::domain::examination::may_examine(&subject.roles_in(&user.agency), &rules, today);
    let standing = match (access, examine) {
        (Ok(()), Ok(())) => "May use the FR system; may examine.".to_string(),
        (Ok(()), Err(crate::domain::examination::ExaminerRefusal::NotExaminer)) => {
            "May use the FR system.".to_string()
        }
        (Ok(()), Err(e)) => format!("May use the FR system; may not examine: {e}"),
        (Err(e), _) => format!("May not use the FR system: {e}"),
    };
    let held = subject.stored_roles();
    // Service roles exist only in the service agency: other agencies are not offered them.
    let service = user.agency.is_service;
    let roles = Role::ALL
        .iter()
        .filter(|r| service || !r.is_service_role())
        .map(|r| RoleBox {
            name: r.as_str(),
            label: r.label(),
            checked: match &again.roles {
                Some(sent) => sent.iter().any(|s| s == r.as_str()),
                None => held.has(*r),
            },
            service_only: r.is_service_role(),
        })
        .collect();
    let status = if again.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    crate::web::respond::html_status(
        status,
        &UserPage {
            layout: Layout::new(user, &state.settings.service.name),
            subject,
            records,
            standing,
            roles,
            is_service_agency: user.agency.is_service,
            notice: again.notice,
            errors: again.errors,
            kind: again.kind,
            provider: again.provider,
            completed: again.completed,
            date: again.date,
        },
    )
}

#[derive(Deserialize)]
pub struct Flags {
    pub done: Option<String>,
}

/// `GET /admin/users/{id}`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    let notice = flags.done.as_deref().map(|d| {
        match d {
            "training" => "Training recorded.",
            "background" => "Background check recorded.",
            _ => "Roles changed.",
        }
        .to_string()
    });
    render(
        &user,
        &state,
        path.into_inner(),
        Again {
            notice,
            ..Again::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct TrainingForm {
    pub csrf_token: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub completed: String,
}

#[derive(Deserialize)]
pub struct BackgroundForm {
    pub csrf_token: String,
    #[serde(default)]
    pub date: String,
}

/// One optional field per role: present (`on`) when its box is ticked.
#[derive(Deserialize)]
pub struct RolesForm {
    pub csrf_token: String,
    pub requester: Option<String>,
    pub reviewer: Option<String>,
    pub examiner: Option<String>,
    pub supervisor: Option<String>,
    pub system_admin: Option<String>,
    pub local_admin: Option<String>,
    pub auditor: Option<String>,
}

crate::web::csrf::csrf_forms!(TrainingForm, BackgroundForm, RolesForm);

impl RolesForm {
    fn ticked(&self) -> Vec<String> {
        [
            ("requester", &self.requester),
            ("reviewer", &self.reviewer),
            ("examiner", &self.examiner),
            ("supervisor", &self.supervisor),
            ("system_admin", &self.system_admin),
            ("local_admin", &self.local_admin),
            ("auditor", &self.auditor),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| n.to_string())
        .collect()
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Runs one change for the account `id` of the administrator's agency; `Ok(Err(..))` is a
/// refusal to show beside its field.
async fn change<T: Send + 'static>(
    user: &CurrentUser,
    state: &AppState,
    id: i64,
    f: impl FnOnce(&mut crate::platform::db::DbConnection, &User, &Agency) -> Result<T, PeopleError>
    + Send
    + 'static,
) -> Result<Result<T, PeopleError>, AppError> {
    user.require(Role::LocalAdmin)?;
    let agency = user.agency.clone();
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let subject = subject_of(c, agency.id, id)?;
        match f(c, &subject, &agency) {
            Err(PeopleError::Db(e)) => Err(e.into()),
            other => Ok(other),
        }
    })
    .await
}

/// `POST /admin/users/{id}/training`.
pub async fn training(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<TrainingForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let mut errors = Vec::new();
    let kind = form.kind.parse::<TrainingKind>();
    let provider = form.provider.parse::<TrainingProvider>();
    let completed = parse_date(&form.completed);
    if kind.is_err() {
        errors.push((
            "kind",
            "Choose FR-system training or facial-comparison training.".to_string(),
        ));
    }
    if provider.is_err() {
        errors.push(("provider", "Choose FBI, LACRIS or other.".to_string()));
    }
    if completed.is_none() {
        errors.push((
            "completed",
            "Enter the completion date as YYYY-MM-DD.".to_string(),
        ));
    }
    let again = |errors| Again {
        errors,
        kind: form.kind.clone(),
        provider: form.provider.clone(),
        completed: form.completed.clone(),
        ..Again::default()
    };
    let (Ok(kind), Ok(provider), Some(completed_on), true) =
        (kind, provider, completed, errors.is_empty())
    else {
        return render(&user, &state, id, again(errors)).await;
    };
    let t = Training {
        kind,
        provider,
        completed_on,
    };
    let actor = user.actor(Role::LocalAdmin);
    let r = change(&user, &state, id, move |c, subject, _| {
        let at = now();
        people::record_training(c, &actor, subject, &t, at.date(), at)
    })
    .await?;
    match r {
        Ok(_) => Ok(crate::web::respond::redirect(&format!(
            "/admin/users/{id}?done=training"
        ))),
        Err(e) => render(&user, &state, id, again(vec![(e.field(), e.to_string())])).await,
    }
}

/// `POST /admin/users/{id}/background-check`.
pub async fn background_check(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<BackgroundForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let again = |m: String| Again {
        errors: vec![("date", m)],
        date: form.date.clone(),
        ..Again::default()
    };
    let Some(on) = parse_date(&form.date) else {
        return render(
            &user,
            &state,
            id,
            again("Enter the date of the background check as YYYY-MM-DD.".into()),
        )
        .await;
    };
    let actor = user.actor(Role::LocalAdmin);
    let r = change(&user, &state, id, move |c, subject, _| {
        people::set_background_check(c, &actor, subject, on, now().date())
    })
    .await?;
    match r {
        Ok(()) => Ok(crate::web::respond::redirect(&format!(
            "/admin/users/{id}?done=background"
        ))),
        Err(e) => render(&user, &state, id, again(e.to_string())).await,
    }
}

/// `POST /admin/users/{id}/roles`.
pub async fn roles(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<RolesForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let ticked = form.into_inner().ticked();
    let actor = user.actor(Role::LocalAdmin);
    let me = user.user.id;
    let wanted = ticked.join(",");
    let r = change(&user, &state, id, move |c, subject, agency| {
        if subject.id == me && !wanted.split(',').any(|r| r == Role::LocalAdmin.as_str()) {
            return Err(PeopleError::Invalid {
                field: "roles",
                message: "You cannot remove your own local administrator role; ask another local administrator.".into(),
            });
        }
        people::change_roles(c, &actor, subject, agency, &wanted)
    })
    .await?;
    match r {
        Ok(_) => Ok(crate::web::respond::redirect(&format!(
            "/admin/users/{id}?done=roles"
        ))),
        Err(e) => {
            let again = Again {
                errors: vec![("roles", e.to_string())],
                roles: Some(ticked),
                ..Again::default()
            };
            render(&user, &state, id, again).await
        }
    }
}
