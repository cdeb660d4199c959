//! `POST /account/notifications`: the user chooses, per kind of staff notification of their
//! roles, email at once, a daily digest or off
//! ([`crate::notifications::preferences::save`]). Fields: `csrf_token` and `pref_<kind>` =
//! `immediate` | `digest` | `off`. Compliance reminders are fixed: anything but `immediate`
//! for them is refused beside the field (422), nothing is saved, and the refusal is audited.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::notifications::preferences::{self, PreferencesError};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

use crate::web::account::show::render;

/// The submitted form: the token and one `pref_<kind>` field per kind shown.
#[derive(Deserialize)]
pub struct PreferencesForm {
    pub csrf_token: String,
    #[serde(flatten)]
    pub fields: BTreeMap<String, String>,
}

crate::web::csrf::csrf_forms!(PreferencesForm);

pub async fn submit(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<PreferencesForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let actor = user.actor_as(user.primary_role());
    let (u, roles) = (user.user.clone(), user.roles.clone());
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>(preferences::save(c, &actor, &u, &roles, &form.fields))
    })
    .await?;
    match r {
        Ok(_) => Ok(crate::web::respond::redirect(
            "/account?changed=notifications#notifications-title",
        )),
        Err(PreferencesError::Invalid(errors)) => {
            render(&user, &state, errors, None, Vec::new()).await
        }
        Err(PreferencesError::Db(e)) => Err(e.into()),
    }
}
