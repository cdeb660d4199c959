//! The second factor of the login (CJIS 5.9.5 IA-2(1)/(2)), after the password was accepted:
//!
//! - `GET/POST /login/verify`: the 6-digit code from the authenticator app, or a recovery code.
//!   A wrong or replayed code counts as a failed logon (5 in 15 minutes lock the account).
//! - `GET/POST /login/enrol`: the first login sets up the authenticator: a QR code and the
//!   secret in text; the first correct code confirms it, completes the login and shows the
//!   recovery codes once.
//!
//! Both need the password step of the last [`crate::accounts::second_factor::PENDING_SECONDS`] seconds in
//! this session; without it they send the user back to `/login`.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::second_factor::{self as mfa, Factor, MfaError};
use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::domain::UserId;
use crate::platform::time::now;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::{self as auth, RequestMeta};
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "auth/verify.html")]
pub struct VerifyPage {
    pub service_name: String,
    pub csrf_token: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/enrol.html")]
pub struct EnrolPage {
    pub service_name: String,
    pub csrf_token: String,
    pub account: String,
    /// The secret in groups of four, for typing.
    pub secret_grouped: String,
    pub qr_png_base64: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub service_name: String,
    /// Shown once, after enrolment.
    pub codes: Vec<String>,
    /// After a login with a recovery code: how many are left.
    pub remaining: Option<i64>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    pub csrf_token: String,
    pub code: String,
}

crate::web::csrf::csrf_forms!(CodeForm);

fn actor_for(u: &User, meta: &RequestMeta, role: String) -> Actor {
    Actor {
        user_id: Some(u.id),
        email: u.email.clone(),
        role,
        agency_id: Some(u.agency_id),
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
    }
}

/// The pending user, if they may still log in (active, agency active, not locked).
fn load_pending(
    c: &mut crate::platform::db::DbConnection,
    uid: UserId,
) -> Result<Option<User>, AppError> {
    let u = User::find(c, uid)?;
    let agency = Agency::find(c, u.agency())?;
    Ok((u.active && agency.active && u.locked_at.is_none()).then_some(u))
}

fn back_to_login(session: &Session) -> HttpResponse {
    auth::clear_pending(session);
    crate::web::respond::redirect("/login")
}

/// `GET /login/verify`.
pub async fn verify_form(
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if auth::pending_second_factor(&session).is_none() {
        return Ok(back_to_login(&session));
    }
    crate::web::respond::html(&VerifyPage {
        service_name: state.settings.service.name.clone(),
        csrf_token: auth::csrf_token(&session)?,
        error: None,
    })
}

enum Verified {
    LoggedIn {
        token: String,
        factor: Factor,
        /// The person's start page ([`crate::web::home::landing`]).
        landing: &'static str,
    },
    Refused {
        message: String,
        locked: bool,
    },
    NotEnrolled,
    Gone,
}

/// `POST /login/verify`.
pub async fn verify_submit(
    session: Session,
    state: web::Data<AppState>,
    meta: RequestMeta,
    form: CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(uid) = auth::pending_second_factor(&session) else {
        return Ok(back_to_login(&session));
    };
    if let Err(wait) = state.limits.second_factor(uid.0) {
        return Ok(crate::web::respond::too_many_requests(wait));
    }
    let key = state.mfa_key.clone();
    let code = form.into_inner().code;
    let m = meta.clone();
    let outcome = crate::platform::db::run(&state.pool, move |c| -> Result<Verified, AppError> {
        let Some(u) = load_pending(c, uid)? else {
            return Ok(Verified::Gone);
        };
        let at = now();
        match mfa::verify(c, &key, u.id, &code, at) {
            Ok(factor) => crate::platform::db::write_tx(c, |c| -> Result<Verified, AppError> {
                User::touch_login(c, u.user_id(), at)?;
                let token = crate::accounts::session::start(c, u.id, &m.ip)?;
                let details = match factor {
                    Factor::Totp => "second factor: authenticator code".to_string(),
                    Factor::Recovery { remaining } => {
                        format!("second factor: recovery code ({remaining} left)")
                    }
                };
                audit::record(
                    c,
                    &actor_for(&u, &m, u.stored_roles().to_db()),
                    Entry::new("auth.login", "user", u.id).details(details),
                )?;
                let landing = crate::web::home::landing(&u.roles_in(&Agency::find(c, u.agency())?));
                Ok(Verified::LoggedIn {
                    token,
                    factor,
                    landing,
                })
            }),
            Err(e @ (MfaError::WrongCode | MfaError::Replayed)) => {
                let detail = match e {
                    MfaError::Replayed => "second-factor code used before (replay)",
                    _ => "wrong second-factor code",
                };
                let locked = crate::accounts::lockout::note_failed_logon(
                    c,
                    &actor_for(&u, &m, "anonymous".into()),
                    &u,
                    detail,
                )?;
                Ok(Verified::Refused {
                    message: e.to_string(),
                    locked,
                })
            }
            Err(MfaError::NotEnrolled) => Ok(Verified::NotEnrolled),
            Err(e) => Err(AppError::Internal(e.into())),
        }
    })
    .await?;
    let service_name = state.settings.service.name.clone();
    match outcome {
        Verified::LoggedIn {
            token,
            factor,
            landing,
        } => {
            auth::log_in(&session, uid, &token)?;
            tracing::info!(user_id = uid.0, "User logged in");
            match factor {
                Factor::Totp => Ok(crate::web::respond::redirect(landing)),
                Factor::Recovery { remaining } => crate::web::respond::html(&RecoveryCodesPage {
                    service_name,
                    codes: Vec::new(),
                    remaining: Some(remaining),
                }),
            }
        }
        Verified::Refused { locked: true, .. } | Verified::Gone => {
            auth::clear_pending(&session);
            crate::web::respond::html_status(
                StatusCode::UNAUTHORIZED,
                &crate::web::auth::login::LoginPage {
                    service_name,
                    csrf_token: auth::csrf_token(&session)?,
                    email: String::new(),
                    error: Some("The account is locked or disabled. After 5 failed attempts in 15 minutes an account is locked until an administrator releases it.".into()),
                },
            )
        }
        Verified::Refused { message, .. } => crate::web::respond::html_status(
            StatusCode::UNAUTHORIZED,
            &VerifyPage {
                service_name,
                csrf_token: auth::csrf_token(&session)?,
                error: Some(message),
            },
        ),
        Verified::NotEnrolled => Ok(crate::web::respond::redirect("/login/enrol")),
    }
}

fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn enrol_page(
    session: &Session,
    state: &AppState,
    uid: UserId,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let key = state.mfa_key.clone();
    let issuer = state.settings.service.name.clone();
    let found = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let Some(u) = load_pending(c, uid)? else {
            return Ok(None);
        };
        match mfa::begin_enrolment(c, &key, u.id, &u.email, &issuer, now()) {
            Ok(e) => Ok(Some(Ok((u.email, e)))),
            Err(MfaError::AlreadyEnrolled) => Ok(Some(Err(()))),
            Err(e) => Err(AppError::Internal(e.into())),
        }
    })
    .await?;
    match found {
        None => Ok(back_to_login(session)),
        Some(Err(())) => Ok(crate::web::respond::redirect("/login/verify")),
        Some(Ok((account, e))) => crate::web::respond::html_status(
            if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
            &EnrolPage {
                service_name: state.settings.service.name.clone(),
                csrf_token: auth::csrf_token(session)?,
                account,
                secret_grouped: grouped(&e.secret_base32),
                qr_png_base64: e.qr_png_base64,
                error,
            },
        ),
    }
}

/// `GET /login/enrol`.
pub async fn enrol_form(
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(uid) = auth::pending_second_factor(&session) else {
        return Ok(back_to_login(&session));
    };
    enrol_page(&session, &state, uid, None).await
}

/// `POST /login/enrol`.
pub async fn enrol_submit(
    session: Session,
    state: web::Data<AppState>,
    meta: RequestMeta,
    form: CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(uid) = auth::pending_second_factor(&session) else {
        return Ok(back_to_login(&session));
    };
    if let Err(wait) = state.limits.second_factor(uid.0) {
        return Ok(crate::web::respond::too_many_requests(wait));
    }
    let key = state.mfa_key.clone();
    let code = form.into_inner().code;
    let m = meta.clone();
    let outcome = crate::platform::db::run(&state.pool, move |c| -> Result<Enrolled, AppError> {
        let Some(u) = load_pending(c, uid)? else {
            return Ok(Enrolled::Gone);
        };
        let at = now();
        crate::platform::db::write_tx(c, |c| {
            match mfa::confirm_enrolment(c, &key, u.id, &code, at) {
                Ok(codes) => {
                    User::touch_login(c, u.user_id(), at)?;
                    let token = crate::accounts::session::start(c, u.id, &m.ip)?;
                    let actor = actor_for(&u, &m, u.stored_roles().to_db());
                    audit::record(
                        c,
                        &actor,
                        Entry::new("auth.mfa_enrol", "user", u.id).details(format!(
                            "authenticator app set up; {} recovery codes issued",
                            codes.len()
                        )),
                    )?;
                    audit::record(
                        c,
                        &actor,
                        Entry::new("auth.login", "user", u.id)
                            .details("second factor: authenticator code (enrolment)"),
                    )?;
                    Ok(Enrolled::Done { token, codes })
                }
                Err(e @ (MfaError::WrongCode | MfaError::NotEnrolled)) => {
                    audit::record(
                        c,
                        &actor_for(&u, &m, "anonymous".into()),
                        Entry::new("auth.mfa_enrol", "user", u.id)
                            .outcome(Outcome::Failed)
                            .details("wrong code while setting up the authenticator"),
                    )?;
                    Ok(Enrolled::Refused(e.to_string()))
                }
                Err(MfaError::AlreadyEnrolled) => Ok(Enrolled::Earlier),
                Err(e) => Err(AppError::Internal(e.into())),
            }
        })
    })
    .await?;
    match outcome {
        Enrolled::Gone => Ok(back_to_login(&session)),
        Enrolled::Done { token, codes } => {
            auth::log_in(&session, uid, &token)?;
            tracing::info!(user_id = uid.0, "Authenticator enrolled; user logged in");
            crate::web::respond::html(&RecoveryCodesPage {
                service_name: state.settings.service.name.clone(),
                codes,
                remaining: None,
            })
        }
        Enrolled::Earlier => Ok(crate::web::respond::redirect("/login/verify")),
        Enrolled::Refused(message) => enrol_page(&session, &state, uid, Some(message)).await,
    }
}

/// What a confirmation of enrolment came to.
enum Enrolled {
    /// Logged in; the recovery codes to show once.
    Done { token: String, codes: Vec<String> },
    /// Wrong code: the message for the page.
    Refused(String),
    /// Already set up (another tab confirmed it): go to the code page.
    Earlier,
    /// The pending user may no longer log in.
    Gone,
}
