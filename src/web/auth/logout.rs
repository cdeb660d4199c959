//! `POST /logout`.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::audit::{self, Entry};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

#[derive(Deserialize)]
pub struct LogoutForm {
    pub csrf_token: String,
}

crate::web::csrf::csrf_forms!(LogoutForm);

pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    _form: CsrfForm<LogoutForm>,
) -> Result<HttpResponse, AppError> {
    let actor = user.actor_as(user.primary_role());
    let id = user.user.id;
    let token = auth::session_token(&session).unwrap_or_default();
    crate::platform::db::run(&state.pool, move |c| -> Result<(), AppError> {
        crate::platform::db::write_tx(c, |c| -> Result<(), AppError> {
            // Ended on the server: the cookie, even if copied, no longer logs anyone in.
            crate::accounts::session::end(c, &token, "logout")?;
            audit::record(c, &actor, Entry::new("auth.logout", "user", id))?;
            Ok(())
        })
    })
    .await?;
    auth::log_out(&session);
    Ok(crate::web::respond::redirect("/login"))
}
