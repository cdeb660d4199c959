//! `POST /admin/second-factor/reset`: a local administrator removes the authenticator of a user
//! of their agency ([`crate::accounts::lifecycle::reset_second_factor`]); the user enrols again at the next
//! login. Fields: `csrf_token`, `user_id`, `reason` (at least 10 characters).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::store::User;
use crate::domain::{Role, UserId};
use crate::platform::time::now;
use crate::retention::daily::RetentionContext;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

use crate::web::admin::access_review::{ResetForm, render_with};

#[derive(Deserialize)]
pub struct Form {
    pub csrf_token: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub reason: String,
}

crate::web::csrf::csrf_forms!(Form);

pub async fn reset(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<Form>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::LocalAdmin)?;
    let form = form.into_inner();
    let reason = crate::domain::request::clean(&form.reason);
    let target: Option<i64> = form.user_id.trim().parse().ok();
    let again = |error: &str| ResetForm {
        error: Some(error.to_string()),
        user: target.unwrap_or(0),
        reason: reason.clone(),
    };
    let Some(target) = target else {
        return render_with(
            &user,
            &state,
            Vec::new(),
            Vec::new(),
            None,
            again("Choose the user whose second factor to reset."),
        )
        .await;
    };
    if reason.chars().count() < 10 {
        return render_with(
            &user,
            &state,
            Vec::new(),
            Vec::new(),
            None,
            again("Give the reason in at least 10 characters."),
        )
        .await;
    }
    let agency = user.agency_id();
    let actor = user.actor(Role::LocalAdmin);
    let ctx = RetentionContext::from_settings(&state.settings, state.storage().clone());
    let r = reason.clone();
    let effects = crate::platform::db::run(
        &state.pool,
        move |c| -> Result<crate::platform::jobs::effects::AfterCommit, AppError> {
            // Only a user of the administrator's own agency; another agency's id is "not found".
            let u = User::find(c, UserId(target)).map_err(|_| AppError::NotFound)?;
            if u.agency() != agency {
                return Err(AppError::NotFound);
            }
            let (_, effects) = crate::accounts::lifecycle::reset_second_factor(
                c,
                &ctx.notice(),
                &actor,
                &u,
                &r,
                now(),
            )?;
            Ok(effects)
        },
    )
    .await?;
    state.after_commit(&effects);
    Ok(crate::web::respond::redirect(
        "/admin/access-review?reset=1",
    ))
}
