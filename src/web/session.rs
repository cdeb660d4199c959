//! Authentication: argon2 password hashes, the session (actix-session, encrypted cookie,
//! HttpOnly, SameSite=Strict), the synchronizer CSRF token kept in the session, and the
//! [`CurrentUser`] extractor that every protected handler takes.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::accounts::store::{Agency, User};
use crate::audit::Actor;
use crate::domain::{AgencyId, Role, Roles, UserId};
use crate::web::error::AppError;
use crate::web::state::AppState;

const SESSION_USER: &str = "uid";
const SESSION_CSRF: &str = "csrf";
const SESSION_SEEN: &str = "seen";
const SESSION_STARTED: &str = "started";
const SESSION_TOKEN: &str = "sid";
/// The user whose password was accepted and who still owes the second factor, and when.
const SESSION_PENDING_UID: &str = "mfa_uid";
const SESSION_PENDING_AT: &str = "mfa_at";

/// Longest a session lives, however active (seconds).
pub const MAX_SESSION_SECONDS: i64 = 12 * 3600;

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Ends the session if it was idle longer than `idle` seconds or is older than
/// [`MAX_SESSION_SECONDS`]; otherwise records this request as activity. The times live inside
/// the encrypted session cookie, so a replayed old cookie is expired too.
fn check_fresh(session: &Session, idle: u64) -> Result<(), AppError> {
    let now = unix_now();
    let seen = session.get::<i64>(SESSION_SEEN).ok().flatten().unwrap_or(0);
    let started = session
        .get::<i64>(SESSION_STARTED)
        .ok()
        .flatten()
        .unwrap_or(0);
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    if now - seen > idle || now - started > MAX_SESSION_SECONDS {
        session.purge();
        return Err(AppError::NotLoggedIn);
    }
    // Activity is recorded at most every minute (a quarter of the idle limit when that is
    // shorter): the cookie is then re-sealed once a minute, not on every request.
    if now - seen >= (idle / 4).clamp(0, 60) {
        session.insert(SESSION_SEEN, now).map_err(|e| {
            AppError::Internal(anyhow::anyhow!("Failed to update the session: {e}"))
        })?;
    }
    Ok(())
}

/// The client's address and user agent, for audit records.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
    /// The request's path (no query): the navigation marks the page the user is on.
    pub path: String,
}

/// The client address of `req`: the socket peer, not `X-Forwarded-For` (headers are
/// client-controlled); `unknown` when there is none. Audit records and rate limits use it.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl RequestMeta {
    pub fn of(req: &HttpRequest) -> RequestMeta {
        RequestMeta {
            ip: client_ip(req),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            path: req.path().to_string(),
        }
    }
}

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(RequestMeta::of(req)))
    }
}

/// The logged-in, active user of this request, with their agency and the request's metadata.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub agency: Agency,
    pub roles: Roles,
    /// The user's training records (`accounts::training::records_of`), loaded with the user;
    /// pass to `domain::examination::may_examine`.
    pub training: Vec<crate::domain::training::Training>,
    /// The banner of the account's restriction after an audit finding
    /// (`accounts::restriction::Restriction::notice`), loaded with the user; `None` when the
    /// account is not restricted.
    pub restriction: Option<String>,
    pub meta: RequestMeta,
    pub csrf_token: String,
}

impl CurrentUser {
    pub fn id(&self) -> UserId {
        self.user.user_id()
    }
    pub fn agency_id(&self) -> AgencyId {
        self.agency.agency_id()
    }
    pub fn has(&self, role: Role) -> bool {
        self.roles.has(role)
    }
    /// Refuses unless the user holds `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "This page needs the {} role.",
                role.label().to_lowercase()
            )))
        }
    }
    /// Which cases the user may see.
    pub fn case_scope(&self) -> crate::cases::store::CaseScope {
        crate::cases::access::scope_of(&self.roles, &self.agency)
    }
    /// The audit actor, acting under `role`.
    pub fn actor(&self, role: Role) -> Actor {
        self.actor_as(role.as_str())
    }
    pub fn actor_as(&self, role: &str) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            email: self.user.email.clone(),
            role: role.to_string(),
            agency_id: Some(self.agency.id),
            ip: self.meta.ip.clone(),
            user_agent: self.meta.user_agent.clone(),
        }
    }
    /// The most relevant role for a neutral action (viewing): the first held.
    pub fn primary_role(&self) -> &'static str {
        self.roles.iter().next().map(Role::as_str).unwrap_or("none")
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let meta = RequestMeta::of(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("App state missing")))?;
            let uid = session
                .get::<i64>(SESSION_USER)
                .map_err(|_| AppError::NotLoggedIn)?
                .ok_or(AppError::NotLoggedIn)?;
            check_fresh(&session, state.settings.http.idle_timeout_seconds)?;
            let token = session
                .get::<String>(SESSION_TOKEN)
                .ok()
                .flatten()
                .unwrap_or_default();
            let csrf_token = csrf_token(&session)?;
            let loaded = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
                // The session must still be live on the server (not logged out or ended).
                if token.is_empty() {
                    return Err(AppError::NotLoggedIn);
                }
                let (user, agency) = crate::accounts::session::live_user(c, &token, uid)?
                    .ok_or(AppError::NotLoggedIn)?;
                let training = crate::accounts::training::records_of(c, user.user_id())?;
                let restriction =
                    crate::accounts::restriction::active(c, user.id)?.map(|r| r.notice());
                Ok((user, agency, training, restriction))
            })
            .await;
            let (user, agency, training, restriction) = match loaded {
                Ok(v) => v,
                Err(AppError::NotLoggedIn) => {
                    session.purge();
                    return Err(AppError::NotLoggedIn);
                }
                // The database is unreachable (e.g. restarting): the request fails, the login
                // stands — a hiccup must not log everyone out.
                Err(e) => return Err(e),
            };
            if !user.active || !agency.active {
                session.purge();
                return Err(AppError::NotLoggedIn);
            }
            // Service roles work only in the service agency (docs/POLICIES.md, "Roles").
            let roles = user.roles_in(&agency);
            Ok(CurrentUser {
                user,
                agency,
                roles,
                training,
                restriction,
                meta,
                csrf_token,
            })
        })
    }
}

/// The session's CSRF token, created on first use (256 random bits, hex).
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(t)) = session.get::<String>(SESSION_CSRF) {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let t = hex::encode(bytes);
    session
        .insert(SESSION_CSRF, &t)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Failed to store the CSRF token: {e}")))?;
    Ok(t)
}

/// Checks a submitted CSRF token against the session's, in constant time.
pub fn verify_csrf(session: &Session, submitted: &str) -> Result<(), AppError> {
    let expected = session
        .get::<String>(SESSION_CSRF)
        .ok()
        .flatten()
        .ok_or(AppError::Csrf)?;
    if expected.len() == submitted.len()
        && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
    {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// Starts a session for `user` with the server-side session `token`
/// ([`server_session::start`]): the session id is renewed (no fixation) and a new CSRF token
/// issued.
pub fn log_in(session: &Session, user: UserId, token: &str) -> Result<(), AppError> {
    session.renew();
    session.remove(SESSION_CSRF);
    session.remove(SESSION_PENDING_UID);
    session.remove(SESSION_PENDING_AT);
    let now = unix_now();
    session
        .insert(SESSION_USER, user.0)
        .and_then(|_| session.insert(SESSION_TOKEN, token))
        .and_then(|_| session.insert(SESSION_SEEN, now))
        .and_then(|_| session.insert(SESSION_STARTED, now))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Failed to start the session: {e}")))?;
    csrf_token(session)?;
    Ok(())
}

/// The server-side session token of this cookie session, if any.
pub fn session_token(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_TOKEN).ok().flatten()
}

/// Forgets the cookie session (the caller ends the server-side session first).
pub fn log_out(session: &Session) {
    session.purge();
}

/// Remembers that `user`'s password was accepted and the second factor is owed (for
/// [`mfa::PENDING_SECONDS`]). The session id is renewed and nobody is logged in yet.
pub fn begin_second_factor(session: &Session, user: UserId) -> Result<(), AppError> {
    session.renew();
    session.remove(SESSION_USER);
    session.remove(SESSION_TOKEN);
    session.remove(SESSION_CSRF);
    session
        .insert(SESSION_PENDING_UID, user.0)
        .and_then(|_| session.insert(SESSION_PENDING_AT, unix_now()))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Failed to update the session: {e}")))?;
    csrf_token(session)?;
    Ok(())
}

/// The user who owes the second factor, while the password step is fresh.
pub fn pending_second_factor(session: &Session) -> Option<UserId> {
    let uid = session.get::<i64>(SESSION_PENDING_UID).ok().flatten()?;
    let at = session.get::<i64>(SESSION_PENDING_AT).ok().flatten()?;
    (unix_now() - at <= crate::accounts::second_factor::PENDING_SECONDS).then_some(UserId(uid))
}

/// Forgets a pending second-factor step (after too many wrong codes, or a lockout).
pub fn clear_pending(session: &Session) {
    session.remove(SESSION_PENDING_UID);
    session.remove(SESSION_PENDING_AT);
}
