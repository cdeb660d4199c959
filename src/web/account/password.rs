//! `POST /account/password`: the user changes their own password
//! ([`crate::accounts::account::change_password`]). Fields: `csrf_token`, `current_password`,
//! `new_password`, `confirm_password`. Errors appear beside their field (422); a wrong current
//! password is a failed logon, and the one that locks the account also ends this session.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use crate::accounts::account::{self as wf, AccountError, NoticeContext};
use crate::domain::account::{PasswordChange, PasswordForm};
use crate::platform::time::now;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

use crate::web::account::show::render;

pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let change = match PasswordChange::parse(&form, &[&user.user.name, &user.user.email]) {
        Ok(c) => c,
        Err(errors) => return render(&user, &state, errors, None, Vec::new()).await,
    };
    let token = auth::session_token(&session).unwrap_or_default();
    let ctx = NoticeContext {
        service_name: state.settings.service.name.clone(),
        base_url: state.settings.service.base_url.clone(),
    };
    let actor = user.actor_as(user.primary_role());
    let u = user.user.clone();
    let r = crate::platform::db::run(&state.pool, move |c| {
        Ok::<_, AppError>(wf::change_password(
            c,
            &ctx,
            &actor,
            &u,
            &token,
            &change,
            now(),
        ))
    })
    .await?;
    match r {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect("/account?changed=password"))
        }
        Err(AccountError::WrongPassword { locked: true }) => {
            auth::log_out(&session);
            Ok(crate::web::respond::redirect("/login"))
        }
        Err(e @ AccountError::WrongPassword { .. }) => {
            render(
                &user,
                &state,
                vec![("current_password", e.to_string())],
                None,
                Vec::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

crate::web::csrf::csrf_forms!(crate::domain::account::PasswordForm);
