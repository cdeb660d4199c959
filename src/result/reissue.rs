//! Changing an issued result: a supervisor re-issues a corrected packet or withdraws the
//! result. Both are audited and put on the case timeline; the requester is told by email.

use anyhow::Context;

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry};
use crate::cases::store::Case;
use crate::domain::{CaseAction, CaseId, CaseStatus, UserId};
use crate::platform::db::DbConnection;
use crate::platform::jobs;
use crate::platform::time::now;
use crate::result::context::ServiceInfo;
use crate::result::job::{JOB_KIND, JobPayload};
use crate::result::store::PacketRecord;

/// Why a re-issue or withdrawal was refused; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum ResultError {
    /// The user is not a service supervisor.
    #[error("Only a supervisor of the service may re-issue or withdraw an issued result.")]
    NotSupervisor,
    /// The case has no current packet (or is not concluded).
    #[error("This case has no issued result.")]
    NoResult,
    /// The reason is missing or shorter than 10 characters.
    #[error("Give the reason (at least 10 characters); it is sent to the requester.")]
    NoReason,
    /// A re-issue job for the next version is already queued.
    #[error("A re-issue of this result is already queued.")]
    AlreadyQueued,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// Anything else (e.g. the email could not be rendered).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The service's supervisors only (docs/POLICIES.md, "Roles"); `roles` are the effective roles
/// ([`User::roles_in`]), so a supervisor role stored outside the service agency does not count. A
/// requesting agency's local administrator may not change the service's result — not even for
/// the agency's own cases, and never for another agency's.
fn may_change_result(roles: &crate::domain::Roles) -> Result<(), ResultError> {
    if roles.has(crate::domain::Role::Supervisor) {
        Ok(())
    } else {
        Err(ResultError::NotSupervisor)
    }
}

fn clean_reason(reason: &str) -> Result<String, ResultError> {
    let r = crate::domain::request::clean(reason);
    if r.chars().count() < 10 {
        return Err(ResultError::NoReason);
    }
    Ok(r)
}

/// Queues a corrected packet for a concluded case (e.g. a wrong name or date in the packet, or a
/// result amended after a further review). The earlier packet stays on record and is marked
/// superseded when the new one is issued. Audited. Returns the version queued. Errors: see
/// [`ResultError`].
pub fn request_reissue(
    conn: &mut DbConnection,
    user: &User,
    roles: &crate::domain::Roles,
    actor: &Actor,
    case: CaseId,
    reason: &str,
) -> Result<(i32, crate::platform::jobs::effects::AfterCommit), ResultError> {
    may_change_result(roles)?;
    let reason = clean_reason(reason)?;
    crate::platform::db::write_tx(
        conn,
        |conn| -> Result<(i32, crate::platform::jobs::effects::AfterCommit), ResultError> {
            let c = Case::find(conn, case)?.ok_or(ResultError::NoResult)?;
            if c.status() != CaseStatus::Concluded || PacketRecord::current(conn, case)?.is_none() {
                return Err(ResultError::NoResult);
            }
            let version = PacketRecord::next_version(conn, case)?;
            let payload = serde_json::to_string(&JobPayload {
                case_id: c.id,
                reason: reason.clone(),
                issued_by: Some(user.id),
            })
            .map_err(anyhow::Error::from)?;
            if !jobs::enqueue(
                conn,
                JOB_KIND,
                Some(c.id),
                &format!("packet:{}:{version}", c.id),
                &payload,
            )? {
                return Err(ResultError::AlreadyQueued);
            }
            crate::cases::timeline::timeline(
                conn,
                c.id,
                Some((user, "supervisor")),
                "result_reissue",
                format!("Re-issue of the result packet requested (version {version})"),
                Some(reason.clone()),
            )?;
            audit::record(
                conn,
                actor,
                Entry::new("packet.reissue", "case", c.id)
                    .reason(&c.search_reason)
                    .details(format!(
                        "case {}; version {version}; {reason}",
                        c.display_number()
                    )),
            )?;
            // The packet job is queued; the history index catches up.
            Ok((
                version,
                crate::platform::jobs::effects::AfterCommit::none()
                    .and_packet()
                    .and_history(case.0),
            ))
        },
    )
}

/// Withdraws a concluded case's result: every packet stops being current, the case becomes
/// `result_withdrawn` (apart from a request the requester withdrew, `withdrawn`), and the requester is told (without attachment). Audited. Errors: see
/// [`ResultError`].
pub fn withdraw(
    conn: &mut DbConnection,
    user: &User,
    roles: &crate::domain::Roles,
    actor: &Actor,
    service: &ServiceInfo,
    case: CaseId,
    reason: &str,
) -> Result<crate::platform::jobs::effects::AfterCommit, ResultError> {
    may_change_result(roles)?;
    let reason = clean_reason(reason)?;
    crate::platform::db::write_tx(
        conn,
        |conn| -> Result<crate::platform::jobs::effects::AfterCommit, ResultError> {
            let c = Case::find(conn, case)?.ok_or(ResultError::NoResult)?;
            let to = c
                .status()
                .apply(CaseAction::WithdrawResult)
                .map_err(|_| ResultError::NoResult)?;
            let at = now();
            let withdrawn =
                PacketRecord::supersede_all(conn, case, at, &format!("withdrawn: {reason}"))?;
            let Some(last) = withdrawn.iter().max_by_key(|p| p.version) else {
                return Err(ResultError::NoResult);
            };
            if !Case::transition(conn, case, c.status(), to, at)? {
                return Err(ResultError::NoResult);
            }
            crate::cases::timeline::timeline(
                conn,
                c.id,
                Some((user, "supervisor")),
                "result_withdrawn",
                format!(
                    "Result withdrawn; packet {} is no longer current",
                    last.packet_id
                ),
                Some(reason.clone()),
            )?;
            audit::record(
                conn,
                actor,
                Entry::new("packet.withdraw", "case", c.id)
                    .reason(&c.search_reason)
                    .details(format!(
                        "case {}; packet {}; {reason}",
                        c.display_number(),
                        last.packet_id
                    )),
            )?;
            let requester = User::find(conn, UserId(c.requester_id))?;
            let email = crate::platform::mail::templates::ResultNotice {
                service_name: service.name.clone(),
                base_url: service.base_url.clone(),
                case_id: c.id,
                case_number: c.display_number(),
                requester_name: requester.name.clone(),
                event: "withdrawn".into(),
                result_label: last.result_label().into(),
                packet_id: last.packet_id.clone(),
                previous_packet_id: last.packet_id.clone(),
                reason: reason.clone(),
                issued_at: crate::platform::time::fmt_time(&at),
                signer_fingerprint: last.signer_fingerprint.clone(),
            }
            .render(&requester.email, None)
            .context("Failed to render the withdrawal email")?;
            crate::platform::mail::enqueue(conn, &email)?;
            // The requester's notice is in the outbox.
            Ok(crate::platform::jobs::effects::AfterCommit::mail().and_history(case.0))
        },
    )
}
