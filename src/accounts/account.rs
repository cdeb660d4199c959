//! A user's own account: changing the password and renewing the recovery codes (CJIS 5.9.5
//! IA-5: authenticators can be changed by their owner; OWASP ASVS V2.1.5/V2.1.6 — the current
//! password is required; V2.2.3 — the user is told of the change; V2.5.7 — recovery codes
//! can be replaced). Each success is one transaction: the new secret, the end of the user's
//! other sessions, the audit record and the notice email commit together or not at all. A wrong
//! current password or authenticator code is a failed logon (5 in 15 minutes lock the account).

use chrono::NaiveDateTime;

use crate::accounts::second_factor::{self as mfa, MfaError, MfaKey};
use crate::accounts::store::User;
use crate::accounts::{password, session as server_session};
use crate::audit::{self, Actor, Entry};
use crate::domain::account::{FieldErrors, PasswordChange};
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::time::fmt_time;

/// Why an account change was refused; `Display` is the user's message, details are logged.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Field errors for the form: `(field, message)`.
    #[error("Please correct the form.")]
    Invalid(FieldErrors),
    /// The current password did not match; `locked` when that failure locked the account.
    #[error("That is not your current password.")]
    WrongPassword { locked: bool },
    /// The authenticator code was wrong or used before; `locked` as above.
    #[error("{message}")]
    WrongCode { message: String, locked: bool },
    #[error("Your account has no authenticator set up.")]
    NotEnrolled,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<MfaError> for AccountError {
    fn from(e: MfaError) -> Self {
        match e {
            MfaError::NotEnrolled => AccountError::NotEnrolled,
            MfaError::Db(d) => AccountError::Db(d),
            other => AccountError::Internal(other.into()),
        }
    }
}

/// Where the notice email points and what it is signed with.
pub struct NoticeContext {
    pub service_name: String,
    pub base_url: String,
}

fn notify_user(
    c: &mut DbConnection,
    ctx: &NoticeContext,
    user: &User,
    actor: &Actor,
    event_label: &str,
    what_now: String,
    at: NaiveDateTime,
) -> anyhow::Result<()> {
    let mail = crate::platform::mail::templates::SecurityNotice {
        service_name: ctx.service_name.clone(),
        base_url: ctx.base_url.clone(),
        user_name: user.name.clone(),
        event_label: event_label.to_string(),
        at: fmt_time(&at),
        ip: actor.ip.clone(),
        what_now,
    }
    .render(&user.email)?;
    crate::platform::mail::enqueue(c, &mail)?;
    Ok(())
}

/// Changes `user`'s password after checking `change.current` against the stored hash. The
/// user's other sessions end (`keep_token` is the session making the change); the audit
/// record `user.password_change` and a notice email to the user commit with it. Returns how
/// many other sessions ended. Errors: [`AccountError::WrongPassword`] (audited as a failed
/// logon), database and hashing errors (nothing changed).
pub fn change_password(
    c: &mut DbConnection,
    ctx: &NoticeContext,
    actor: &Actor,
    user: &User,
    keep_token: &str,
    change: &PasswordChange,
    at: NaiveDateTime,
) -> Result<(usize, AfterCommit), AccountError> {
    if !password::verify(&change.current, &user.password_hash) {
        let locked = crate::accounts::lockout::note_failed_logon(
            c,
            actor,
            user,
            "wrong current password when changing the password",
        )?;
        return Err(AccountError::WrongPassword { locked });
    }
    let hash = password::hash(&change.new)?;
    write_tx(c, |c| -> Result<(usize, AfterCommit), AccountError> {
        User::set_password_hash(c, user.user_id(), &hash)?;
        let ended = server_session::end_others(c, user.id, keep_token, "password changed")?;
        audit::record(
            c,
            actor,
            Entry::new("user.password_change", "user", user.id).details(format!(
                "changed by the user; {ended} other session{} ended",
                if ended == 1 { "" } else { "s" }
            )),
        )?;
        notify_user(
            c,
            ctx,
            user,
            actor,
            "Your password was changed",
            if ended == 0 {
                "Use the new password from now on.".to_string()
            } else {
                format!(
                    "Use the new password from now on. {ended} other session{} of yours ended and must log in again.",
                    if ended == 1 { "" } else { "s" }
                )
            },
            at,
        )?;
        tracing::info!(
            user_id = user.id,
            sessions_ended = ended,
            "Password changed"
        );
        // The security notice is in the outbox.
        Ok((ended, AfterCommit::mail()))
    })
}

/// Replaces `user`'s recovery codes by ten new ones after a current authenticator code
/// ([`mfa::renew_recovery_codes`]); the old ones stop working. Audited as
/// `user.recovery_codes`, with a notice email to the user. Returns the new codes, to be shown
/// once. Errors: [`AccountError::WrongCode`] (audited as a failed logon),
/// [`AccountError::NotEnrolled`].
pub fn renew_recovery_codes(
    c: &mut DbConnection,
    ctx: &NoticeContext,
    key: &MfaKey,
    actor: &Actor,
    user: &User,
    code: &str,
    at: NaiveDateTime,
) -> Result<(Vec<String>, AfterCommit), AccountError> {
    let r = write_tx(c, |c| -> Result<(Vec<String>, AfterCommit), AccountError> {
        let codes = match mfa::renew_recovery_codes(c, key, user.id, code, at) {
            Ok(codes) => codes,
            Err(MfaError::WrongCode) => {
                return Err(AccountError::WrongCode {
                    message: "That is not the code your authenticator app shows now. Type its current 6-digit code (a recovery code does not work here).".into(),
                    locked: false,
                });
            }
            Err(e @ MfaError::Replayed) => {
                return Err(AccountError::WrongCode {
                    message: e.to_string(),
                    locked: false,
                });
            }
            Err(e) => return Err(e.into()),
        };
        audit::record(
            c,
            actor,
            Entry::new("user.recovery_codes", "user", user.id)
                .details("ten new recovery codes made by the user; the old ones no longer work"),
        )?;
        notify_user(
            c,
            ctx,
            user,
            actor,
            "New recovery codes were made for your account",
            "The recovery codes you had before no longer work; only the ten new ones do.".into(),
            at,
        )?;
        tracing::info!(user_id = user.id, "Recovery codes renewed");
        // The security notice is in the outbox.
        Ok((codes, AfterCommit::mail()))
    });
    match r {
        // Counted outside the (rolled back) transaction, so the failure is recorded.
        Err(AccountError::WrongCode { message, .. }) => {
            let locked = crate::accounts::lockout::note_failed_logon(
                c,
                actor,
                user,
                "wrong authenticator code when renewing recovery codes",
            )?;
            Err(AccountError::WrongCode { message, locked })
        }
        other => other,
    }
}
