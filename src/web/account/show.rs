//! `GET /account`: the user's account — name, agency, roles, training, last login, second
//! factor and recovery codes left — with the forms to change the password, renew the
//! recovery codes and choose how staff notifications arrive. Also renders those forms again
//! with their errors.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::second_factor as mfa;
use crate::domain::account::FieldErrors;
use crate::platform::time::fmt_time;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "account/show.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub email: String,
    pub training: String,
    pub last_login: String,
    pub created: String,
    /// When the authenticator was set up, or `None`.
    pub second_factor_since: Option<String>,
    pub recovery_codes_left: i64,
    /// `(field, message)` of the password form: `current_password`, `new_password`,
    /// `confirm_password`; and `code` of the recovery-code form.
    pub errors: FieldErrors,
    pub notice: Option<String>,
    /// New recovery codes, shown once right after they were made.
    pub new_codes: Vec<String>,
    /// The staff notifications of the user's roles with their current choice (empty for a
    /// role that gets none); errors of this form use the fields `pref_<kind>`.
    pub notifications: Vec<crate::notifications::preferences::Choice>,
}

impl AccountPage {
    /// Whether any notification kind shown can be changed (compliance reminders cannot): the
    /// form's button is shown only then.
    pub fn notifications_choosable(&self) -> bool {
        self.notifications.iter().any(|n| !n.compliance())
    }
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub struct Flags {
    pub changed: Option<String>,
}

/// The page, with `errors` (422 when there are any), a `notice` and `new_codes`.
pub async fn render(
    user: &CurrentUser,
    state: &AppState,
    errors: FieldErrors,
    notice: Option<String>,
    new_codes: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let uid = user.user.id;
    let roles = user.roles.clone();
    let (since, left, records, notifications) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let since = mfa::enrolled_at(c, uid).map_err(|e| AppError::Internal(e.into()))?;
            let left =
                mfa::recovery_codes_left(c, uid).map_err(|e| AppError::Internal(e.into()))?;
            let records = crate::accounts::training::records_of(c, crate::domain::UserId(uid))?;
            let notifications = crate::notifications::preferences::choices(c, uid, &roles)?;
            Ok((since, left, records, notifications))
        })
        .await?;
    let u = &user.user;
    let today = chrono::Utc::now().date_naive();
    let access = crate::domain::training::grants_fr_access(&records, today);
    let training = format!(
        "{}{}",
        crate::domain::training::summary(&records),
        match (access, u.stored_roles().has(crate::domain::Role::Examiner)) {
            (Err(r), _) => format!(" — not current: {r}"),
            (Ok(()), true) => match crate::domain::training::makes_examiner(&records, today) {
                Ok(()) => " (current; you may examine)".to_string(),
                Err(r) => format!(" — examiner rights suspended: {r}"),
            },
            (Ok(()), false) => " (current)".to_string(),
        }
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    crate::web::respond::html_status(
        status,
        &AccountPage {
            layout: Layout::new(user, &state.settings.service.name),
            email: u.email.clone(),
            training,
            last_login: u
                .last_login
                .as_ref()
                .map(fmt_time)
                .unwrap_or_else(|| "never".into()),
            created: fmt_time(&u.created_at),
            second_factor_since: since.as_ref().map(fmt_time),
            recovery_codes_left: left,
            errors,
            notice,
            new_codes,
            notifications,
        },
    )
}

/// `GET /account`.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    let notice = flags
        .changed
        .as_deref()
        .and_then(|c| match c {
            "password" => Some(
                "Your password was changed. Your other sessions ended; a notice went to your email address.",
            ),
            "notifications" => Some("Your notification choices were saved."),
            _ => None,
        })
        .map(str::to_string);
    render(&user, &state, Vec::new(), notice, Vec::new()).await
}
