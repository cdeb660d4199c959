//! `GET /admin/access-review`: the quarterly access review (LACRIS; CJIS AC-2) of the local
//! administrator's agency — every active user with roles, training status and last login, one
//! confirm / revoke choice each, and the earlier reviews. `POST` stores the review; a revoke
//! deactivates the account at once (audited, administrators emailed).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::accounts::store::User;
use crate::domain::Role;
use crate::platform::time::fmt_time;
use crate::retention::access_review as wf;
use crate::retention::daily::RetentionContext;
use crate::retention::error::RetentionError;
use crate::retention::store::{AccessReview, AccessReviewItem};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

/// One user's row on the page.
pub struct Row {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub roles: String,
    /// `current (FR system: …; facial comparison: …)` or `none (…)`.
    pub training: String,
    /// Date of the last background check, or "none on record".
    pub background_check: String,
    pub last_login: String,
    /// The choice in a re-shown form.
    pub choice: String,
    /// Whether an authenticator app is set up.
    pub second_factor: bool,
}

#[derive(Template)]
#[template(path = "admin/access_review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub quarter: String,
    pub rows: Vec<Row>,
    pub past: Vec<(AccessReview, String, Vec<AccessReviewItem>)>,
    pub errors: Vec<String>,
    pub notice: Option<String>,
    /// The second-factor reset form's error, beside its fields.
    pub reset_error: Option<String>,
    pub reset_user: i64,
    pub reset_reason: String,
}

impl ReviewPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

#[derive(serde::Deserialize)]
pub struct Flags {
    pub saved: Option<String>,
    /// Set after a second-factor reset.
    pub reset: Option<String>,
}

/// The second-factor reset form as it was sent back with an error.
#[derive(Default)]
pub struct ResetForm {
    pub error: Option<String>,
    pub user: i64,
    pub reason: String,
}

async fn render(
    user: &CurrentUser,
    state: &AppState,
    choices: Vec<(i64, String)>,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    render_with(user, state, choices, errors, notice, ResetForm::default()).await
}

/// The page, with the reset form re-shown as sent.
pub async fn render_with(
    user: &CurrentUser,
    state: &AppState,
    choices: Vec<(i64, String)>,
    errors: Vec<String>,
    notice: Option<String>,
    reset: ResetForm,
) -> Result<HttpResponse, AppError> {
    user.require(Role::LocalAdmin)?;
    let admin = user.user.clone();
    let (subjects, records, past) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let subjects = wf::review_subjects(c, &admin)?
                .into_iter()
                .map(|u| crate::accounts::second_factor::is_enrolled(c, u.id).map(|m| (u, m)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AppError::Internal(e.into()))?;
            let ids: Vec<i64> = subjects.iter().map(|(u, _)| u.id).collect();
            let records = crate::accounts::training::records_by_user(c, &ids)?;
            let mut past = Vec::new();
            for r in AccessReview::for_agency(c, admin.agency())?
                .into_iter()
                .take(8)
            {
                let who = User::find(c, crate::domain::UserId(r.reviewer_id))
                    .map(|u| u.name)
                    .unwrap_or_default();
                let items = AccessReview::items(c, r.id)?;
                past.push((r, who, items));
            }
            Ok((subjects, records, past))
        })
        .await?;
    let today = chrono::Utc::now().date_naive();
    let rows = subjects
        .into_iter()
        .map(|(u, second_factor)| Row {
            id: u.id,
            second_factor,
            training: wf::training_line(
                records.get(&u.id).map(Vec::as_slice).unwrap_or(&[]),
                today,
            ),
            background_check: u
                .background_check_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "none on record".into()),
            last_login: u
                .last_login
                .as_ref()
                .map(fmt_time)
                .unwrap_or_else(|| "never".into()),
            roles: u.stored_roles().labels(),
            choice: choices
                .iter()
                .find(|(id, _)| *id == u.id)
                .map(|(_, c)| c.clone())
                .unwrap_or_default(),
            name: u.name,
            email: u.email,
        })
        .collect();
    let page = ReviewPage {
        layout: Layout::new(user, &state.settings.service.name),
        quarter: wf::quarter_of(today),
        rows,
        past,
        errors: errors.clone(),
        notice,
        reset_error: reset.error.clone(),
        reset_user: reset.user,
        reset_reason: reset.reason,
    };
    if reset.error.is_some() {
        crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else if errors.is_empty() {
        crate::web::respond::html(&page)
    } else {
        crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

/// `GET /admin/access-review`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    let notice = if flags.reset.is_some() {
        Some("Second factor reset. The user sets up a new authenticator app at their next login; their open sessions were ended.".to_string())
    } else {
        flags.saved.as_ref().map(|_| {
            "Access review stored. Revoked accounts are disabled and their administrators emailed."
                .to_string()
        })
    };
    render(&user, &state, Vec::new(), Vec::new(), notice).await
}

/// `POST /admin/access-review`: fields `csrf_token` and `decision-<user id>` = `confirm` |
/// `revoke`.
pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    auth::verify_csrf(&session, &csrf)?;
    user.require(Role::LocalAdmin)?;
    let choices: Vec<(i64, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("decision-")
                .and_then(|id| id.parse::<i64>().ok())
                .map(|id| (id, v.clone()))
        })
        .collect();
    let admin = user.user.clone();
    let actor = user.actor(Role::LocalAdmin);
    let ctx = RetentionContext::from_settings(&state.settings, state.storage().clone());
    let ch = choices.clone();
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>(wf::submit_access_review(c, &ctx, &admin, &actor, &ch))
    })
    .await?;
    match r {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(
                "/admin/access-review?saved=1",
            ))
        }
        Err(RetentionError::Invalid(errs)) => {
            let msgs = errs.into_iter().map(|(_, m)| m).collect();
            render(&user, &state, choices, msgs, None).await
        }
        Err(e) => Err(e.into()),
    }
}
