//! `GET /login`, `POST /login`: the system-use notice, then email and password.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Actor, Entry, Outcome};
use crate::auth::{self, RequestMeta, password};
use crate::db::models::{Agency, AuditRecord, User, now};
use crate::errors::AppError;
use crate::startup::AppState;

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

pub async fn form(session: Session, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let csrf_token = auth::csrf_token(&session)?;
    super::super::html(&LoginPage {
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
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    auth::verify_csrf(&session, &form.csrf_token)?;
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
        crate::db::run(&state.pool, move |c| -> Result<(), AppError> {
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
        return Ok(crate::routes::too_many_requests(wait));
    }
    let password = form.password;
    let meta2 = meta.clone();
    let email2 = email.clone();
    let user = crate::db::run(
        &state.pool,
        move |c| -> Result<Option<(User, Agency, String)>, AppError> {
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
                (Some(u), Some(a)) if ok && active => {
                    User::touch_login(c, u.user_id(), now())?;
                    let token = auth::server_session::start(c, u.id, &meta2.ip)?;
                    audit::record(
                        c,
                        &Actor {
                            role: u.roles().to_db(),
                            ..actor
                        },
                        Entry::new("auth.login", "user", u.id),
                    )?;
                    Ok(Some((u, a, token)))
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
                (found, _) => {
                    audit::record(
                        c,
                        &actor,
                        Entry::new("auth.login", "user", &email2)
                            .outcome(Outcome::Failed)
                            .details("wrong email or password"),
                    )?;
                    if let Some(u) = found {
                        let since = now() - chrono::Duration::minutes(auth::LOCKOUT_WINDOW_MINUTES);
                        let failures = AuditRecord::failed_logins_since(c, u.user_id(), since)?;
                        if failures >= auth::LOCKOUT_FAILURES {
                            User::set_locked(c, u.user_id(), Some(now()))?;
                            audit::record(
                                c,
                                &actor,
                                Entry::new("auth.lockout", "user", u.id).outcome(Outcome::Denied).details(format!(
                                    "{failures} failed logons within {} minutes; locked until an administrator releases it",
                                    auth::LOCKOUT_WINDOW_MINUTES
                                )),
                            )?;
                            tracing::warn!(user_id = u.id, "Account locked after repeated failed logons");
                        }
                    }
                    Ok(None)
                }
            }
        },
    )
    .await?;
    match user {
        Some((u, _, token)) => {
            auth::log_in(&session, u.user_id(), &token)?;
            tracing::info!(user_id = u.id, "User logged in");
            Ok(super::super::redirect("/cases"))
        }
        None => {
            let csrf_token = auth::csrf_token(&session)?;
            super::super::html_status(
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
