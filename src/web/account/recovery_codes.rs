//! `POST /account/recovery-codes`: ten new recovery codes in place of the old ones, after a
//! current authenticator code ([`crate::accounts::account::renew_recovery_codes`]). Fields:
//! `csrf_token`, `code`. The new codes are shown once, on the answer page (no-store).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::account::{self as wf, AccountError, NoticeContext};
use crate::platform::time::now;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

use crate::web::account::show::render;

#[derive(Deserialize)]
pub struct CodeForm {
    pub csrf_token: String,
    #[serde(default)]
    pub code: String,
}

crate::web::csrf::csrf_forms!(CodeForm);

pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let code = form.into_inner().code;
    if code.trim().is_empty() {
        let errors = vec![(
            "code",
            "Type the 6-digit code your authenticator app shows now.".to_string(),
        )];
        return render(&user, &state, errors, None, Vec::new()).await;
    }
    if let Err(wait) = state.limits.second_factor(user.user.id) {
        return Ok(crate::web::respond::too_many_requests(wait));
    }
    let ctx = NoticeContext {
        service_name: state.settings.service.name.clone(),
        base_url: state.settings.service.base_url.clone(),
    };
    let key = state.mfa_key.clone();
    let actor = user.actor_as(user.primary_role());
    let u = user.user.clone();
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>(wf::renew_recovery_codes(
            c,
            &ctx,
            &key,
            &actor,
            &u,
            &code,
            now(),
        ))
    })
    .await?;
    match r {
        Ok((codes, effects)) => {
            state.after_commit(&effects);
            render(
                &user,
                &state,
                Vec::new(),
                Some("Ten new recovery codes were made; the old ones no longer work.".into()),
                codes,
            )
            .await
        }
        Err(AccountError::WrongCode { locked: true, .. }) => {
            auth::log_out(&session);
            Ok(crate::web::respond::redirect("/login"))
        }
        Err(AccountError::WrongCode { message, .. }) => {
            render(&user, &state, vec![("code", message)], None, Vec::new()).await
        }
        Err(e) => Err(e.into()),
    }
}
