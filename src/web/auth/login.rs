//! `GET /login`, `POST /login`: the system-use notice, then email and password (the first
//! factor). The second factor follows at `/login/verify` or, the first time, `/login/enrol`
//! ([`crate::web::auth::second_factor`]).

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::password;
use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::{self as auth, RequestMeta};
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub service_name: String,
    pub csrf_token: String,
    pub email: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub csrf_token: String,
    pub email: String,
    pub password: String,
}

crate::web::csrf::csrf_forms!(LoginForm);

pub async fn form(session: Session, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let csrf_token = auth::csrf_token(&session)?;
    crate::web::respond::html(&LoginPage {
        service_name: state.settings.service.name.clone(),
        csrf_token,
        email: String::new(),
        error: None,
    })
}

pub async fn submit(
    session: Session,
    state: web::Data<AppState>,
    meta: RequestMeta,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let email = form.email.trim().to_lowercase();
    if let Err(wait) = state.limits.login(&meta.ip, &email) {
        let actor = Actor {
            user_id: None,
            email: email.clone(),
            role: "anonymous".into(),
            agency_id: None,
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
        };
        crate::platform::db::run(&state.pool, move |c| -> Result<(), AppError> {
            audit::record(
                c,
                &actor,
                Entry::new("auth.login", "user", &actor.email)
                    .outcome(Outcome::Denied)
                    .details("too many login attempts: rate limited"),
            )?;
            Ok(())
        })
        .await?;
        return Ok(crate::web::respond::too_many_requests(wait));
    }
    let password = form.password;
    let meta2 = meta.clone();
    let email2 = email.clone();
    // Some((user, enrolled)) when the password was right and the account may log in.
    let user = crate::platform::db::run(
        &state.pool,
        move |c| -> Result<Option<(User, bool)>, AppError> {
            let found = User::by_email(c, &email2)?;
            let ok = match &found {
                Some(u) => password::verify(&password, &u.password_hash),
                None => {
                    password::dummy_verify(&password);
                    false
                }
            };
            let agency = match &found {
                Some(u) => Some(Agency::find(c, u.agency())?),
                None => None,
            };
            let active = found.as_ref().is_some_and(|u| u.active)
                && agency.as_ref().is_some_and(|a| a.active);
            let actor = Actor {
                user_id: found.as_ref().map(|u| u.id),
                email: email2.clone(),
                role: "anonymous".into(),
                agency_id: found.as_ref().map(|u| u.agency_id),
                ip: meta2.ip.clone(),
                user_agent: meta2.user_agent.clone(),
            };
            match (found, agency) {
                (Some(u), _) if u.locked_at.is_some() => {
                    audit::record(
                        c,
                        &actor,
                        Entry::new("auth.login", "user", u.id)
                            .outcome(Outcome::Denied)
                            .details("account locked after repeated failed logons"),
                    )?;
                    Ok(None)
                }
                (Some(u), Some(_)) if ok && active => {
                    // The password is the first factor only: the login completes at
                    // /login/verify (or /login/enrol the first time).
                    let enrolled = crate::accounts::second_factor::is_enrolled(c, u.id)
                        .map_err(|e| AppError::Internal(e.into()))?;
                    audit::record(
                        c,
                        &actor,
                        Entry::new("auth.password", "user", u.id).details(if enrolled {
                            "password accepted; second factor required"
                        } else {
                            "password accepted; authenticator enrolment required"
                        }),
                    )?;
                    Ok(Some((u, enrolled)))
                }
                (Some(u), _) if ok => {
                    audit::record(
                        c,
                        &actor,
                        Entry::new("auth.login", "user", u.id)
                            .outcome(Outcome::Denied)
                            .details("account or agency inactive"),
                    )?;
                    Ok(None)
                }
                (Some(u), _) => {
                    crate::accounts::lockout::note_failed_logon(
                        c,
                        &actor,
                        &u,
                        "wrong email or password",
                    )?;
                    Ok(None)
                }
                (None, _) => {
                    audit::record(
                        c,
                        &actor,
                        Entry::new("auth.login", "user", &email2)
                            .outcome(Outcome::Failed)
                            .details("wrong email or password"),
                    )?;
                    Ok(None)
                }
            }
        },
    )
    .await?;
    match user {
        Some((u, enrolled)) => {
            auth::begin_second_factor(&session, u.user_id())?;
            tracing::info!(user_id = u.id, "Password accepted; second factor owed");
            Ok(crate::web::respond::redirect(if enrolled {
                "/login/verify"
            } else {
                "/login/enrol"
            }))
        }
        None => {
            let csrf_token = auth::csrf_token(&session)?;
            crate::web::respond::html_status(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    service_name: state.settings.service.name.clone(),
                    csrf_token,
                    email,
                    error: Some("Wrong email or password, or the account is disabled or locked. After 5 failed attempts in 15 minutes an account is locked until an administrator releases it.".into()),
                },
            )
        }
    }
}
