//! Lockout after repeated failed logons (CJIS 5.9.5 AC-7).

use crate::accounts::store::User;
use crate::audit::Actor;

/// Failed logons within [`LOCKOUT_WINDOW_MINUTES`] that lock an account (CJIS 5.9.5 AC-7).
pub const LOCKOUT_FAILURES: i64 = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

/// Records a failed logon of `user` (wrong password or wrong second factor) and locks the
/// account when it is the [`LOCKOUT_FAILURES`]th within [`LOCKOUT_WINDOW_MINUTES`] (CJIS 5.9.5
/// AC-7); a lock also ends the user's live sessions. Returns whether the account is now locked.
pub fn note_failed_logon(
    c: &mut crate::platform::db::DbConnection,
    actor: &Actor,
    user: &User,
    details: &str,
) -> diesel::QueryResult<bool> {
    use crate::audit::store::AuditRecord;
    use crate::audit::{Entry, Outcome};
    use crate::platform::time::now;
    crate::audit::record(
        c,
        actor,
        Entry::new("auth.login", "user", user.id)
            .outcome(Outcome::Failed)
            .details(details),
    )?;
    let since = now() - chrono::Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let failures = AuditRecord::failed_logins_since(c, user.user_id(), since)?;
    if failures >= LOCKOUT_FAILURES && user.locked_at.is_none() {
        User::set_locked(c, user.user_id(), Some(now()))?;
        crate::accounts::session::end_all_for_user(c, user.id, "account locked")?;
        crate::audit::record(
            c,
            actor,
            Entry::new("auth.lockout", "user", user.id)
                .outcome(Outcome::Denied)
                .details(format!(
                    "{failures} failed logons within {LOCKOUT_WINDOW_MINUTES} minutes; locked until an administrator releases it"
                )),
        )?;
        tracing::warn!(
            user_id = user.id,
            "Account locked after repeated failed logons"
        );
        return Ok(true);
    }
    Ok(false)
}
