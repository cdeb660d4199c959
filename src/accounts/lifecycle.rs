//! An account's life after creation: deactivation (a leaver, an idle account, an access-review
//! revoke) and the administrator's reset of a second factor. Each change is audited and the
//! agency's administrators are told.

use chrono::NaiveDateTime;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry};
use crate::domain::AgencyId;
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::time::fmt_time;

use crate::accounts::account::NoticeContext;

/// An account change to record and tell the administrators about.
#[derive(Debug, Clone, Copy)]
pub struct AccountEvent<'a> {
    /// Audit action, e.g. `user.deactivate`, `user.disable_idle`, `user.revoke_access`.
    pub action: &'a str,
    /// Shown in the email, e.g. `Deactivated`.
    pub label: &'a str,
    pub reason: &'a str,
    /// What the administrator can do about it (email).
    pub advice: &'a str,
}

/// Deactivates an account at once (a user who left, an idle account, an access-review
/// revoke): the account is disabled with the reason, an audit record `event.action` is written
/// and the agency's local administrators are emailed, all in one transaction. Returns whether
/// the account was active (a disabled account is left alone and nothing is recorded).
///
/// Errors: database errors; an email template that fails to render.
pub fn deactivate_user(
    conn: &mut DbConnection,
    ctx: &NoticeContext,
    actor: &Actor,
    user: &User,
    event: AccountEvent<'_>,
    now: NaiveDateTime,
) -> anyhow::Result<bool> {
    write_tx(conn, |c| -> anyhow::Result<bool> {
        if !User::deactivate(c, user.user_id(), event.reason)? {
            return Ok(false);
        }
        // Any open session ends now, on the server.
        crate::accounts::session::end_all_for_user(c, user.id, event.action)?;
        audit::record(
            c,
            actor,
            Entry::new(event.action, "user", user.id)
                .details(format!("{}: {}", user.email, event.reason)),
        )?;
        notify_admins(c, ctx, user, event.label, event.reason, event.advice, now)?;
        tracing::info!(
            user_id = user.id,
            action = event.action,
            "Account deactivated"
        );
        Ok(true)
    })
}

/// Removes `user`'s authenticator and recovery codes (a lost phone, a suspected compromise):
/// they enrol a new one at their next login. Their live sessions end, an audit record
/// `user.mfa_reset` with the reason is written and the agency's local administrators are
/// emailed, in one transaction. Returns whether an authenticator was set up.
///
/// Errors: database errors; an email template that fails to render.
pub fn reset_second_factor(
    conn: &mut DbConnection,
    ctx: &NoticeContext,
    actor: &Actor,
    user: &User,
    reason: &str,
    now: NaiveDateTime,
) -> anyhow::Result<(bool, crate::platform::jobs::effects::AfterCommit)> {
    write_tx(
        conn,
        |c| -> anyhow::Result<(bool, crate::platform::jobs::effects::AfterCommit)> {
            let had = crate::accounts::second_factor::reset(c, user.id)?;
            crate::accounts::session::end_all_for_user(c, user.id, "second factor reset")?;
            audit::record(
                c,
                actor,
                Entry::new("user.mfa_reset", "user", user.id).details(format!(
                    "{}: {reason}{}",
                    user.email,
                    if had {
                        ""
                    } else {
                        " (no authenticator was set up)"
                    }
                )),
            )?;
            notify_admins(
                c,
                ctx,
                user,
                "Second factor reset",
                reason,
                "The user sets up a new authenticator app at their next login. If you did not expect this, check the audit trail and tell the service.",
                now,
            )?;
            tracing::info!(user_id = user.id, "Second factor reset");
            // The administrators' notice is in the outbox.
            Ok((had, crate::platform::jobs::effects::AfterCommit::mail()))
        },
    )
}

/// Queues an [`crate::platform::mail::templates::AccountNotice`] to each active local administrator of
/// the user's agency (other than the user), or to the agency's contact address if it has none.
pub fn notify_admins(
    conn: &mut DbConnection,
    ctx: &NoticeContext,
    user: &User,
    event_label: &str,
    reason: &str,
    advice: &str,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let agency = Agency::find(conn, AgencyId(user.agency_id))?;
    let admins: Vec<(String, String)> = User::local_admins_of(conn, agency.agency_id())?
        .into_iter()
        .filter(|a| a.id != user.id)
        .map(|a| (a.name, a.email))
        .collect();
    let admins = if admins.is_empty() {
        vec![(agency.contact_name.clone(), agency.contact_email.clone())]
    } else {
        admins
    };
    for (name, email) in admins {
        let mail = crate::platform::mail::templates::AccountNotice {
            service_name: ctx.service_name.clone(),
            base_url: ctx.base_url.clone(),
            admin_name: name,
            agency_name: agency.name.clone(),
            user_name: user.name.clone(),
            user_email: user.email.clone(),
            event_label: event_label.to_string(),
            reason: reason.to_string(),
            advice: advice.to_string(),
            at: fmt_time(&now),
        }
        .render(&email)?;
        crate::platform::mail::enqueue(conn, &mail)?;
    }
    Ok(())
}
