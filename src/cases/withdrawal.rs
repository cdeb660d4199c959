//! The requester withdraws a request before a result is issued (issue 16).
//!
//! Allowed from draft, submitted, returned, approved and searched (`CaseStatus::apply` with
//! `CaseAction::Withdraw`), to a requester of the case's own agency, with a reason. In one
//! transaction: the state (`withdrawn`, written with the optimistic `UPDATE … WHERE status =
//! <expected>`), the case's open search and packet jobs cancelled (a worker still running one
//! cannot complete it, so no candidate list or packet is recorded), every work claim released,
//! every examiner's draft discarded, a timeline event with the reason and the audit record
//! `case.withdraw`. A refusal is audited too. `withdrawn` is final, so every turnaround clock
//! stops. A supervisor's withdrawal of an issued result is another state
//! (`result_withdrawn`, `src/result/reissue.rs`).

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::Case;
use crate::domain::{CaseAction, CaseId, Role};
use crate::platform::db::DbConnection;
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::time::now;

/// Shortest reason accepted, in characters.
pub const MIN_REASON_CHARS: usize = 10;

/// Why a withdrawal was refused; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum WithdrawError {
    /// Not a requester of the case's agency.
    #[error("Only a requester of the requesting agency may withdraw this request.")]
    NotRequester,
    /// The reason is missing or too short (shown beside the field).
    #[error("Give the reason for withdrawing (at least {MIN_REASON_CHARS} characters).")]
    NoReason,
    /// A result was issued, or the case is already closed.
    #[error("This request can no longer be withdrawn: it is {0}.")]
    TooLate(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// What a withdrawal did, for the log and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withdrawn {
    pub jobs_cancelled: usize,
    pub claims_released: usize,
    pub drafts_discarded: usize,
}

/// Withdraws `case` for `user` (of `agency`) with `reason`. Errors: [`WithdrawError`]; every
/// refusal but a database error is audited (`case.withdraw`, denied or failed).
pub fn withdraw(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    case: CaseId,
    reason: &str,
) -> Result<(Withdrawn, AfterCommit), WithdrawError> {
    let result = crate::platform::db::write_tx(conn, |conn| {
        withdraw_in_tx(conn, user, agency, actor, case, reason)
    });
    if let Err(e) = &result
        && !matches!(e, WithdrawError::Db(_))
    {
        audit::record(
            conn,
            actor,
            Entry::new("case.withdraw", "case", case.0)
                .outcome(if matches!(e, WithdrawError::NoReason) {
                    Outcome::Failed
                } else {
                    Outcome::Denied
                })
                .details(e.to_string()),
        )?;
    }
    result
}

fn withdraw_in_tx(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    reason: &str,
) -> Result<(Withdrawn, AfterCommit), WithdrawError> {
    let case = Case::find(conn, id)?.ok_or(WithdrawError::NotFound)?;
    if case.agency_id != agency.id || !user.roles_in(agency).has(Role::Requester) {
        return Err(WithdrawError::NotRequester);
    }
    let from = case.status();
    let to = from
        .apply(CaseAction::Withdraw)
        .map_err(|_| WithdrawError::TooLate(from.label()))?;
    let reason = crate::domain::request::clean(reason);
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(WithdrawError::NoReason);
    }
    let at = now();
    if !Case::transition(conn, id, from, to, at)? {
        // Someone (a worker, a reviewer) moved the case meanwhile: read it again to say so.
        let now_status = Case::find(conn, id)?.map_or(from, |c| c.status());
        return Err(WithdrawError::TooLate(now_status.label()));
    }
    let done = Withdrawn {
        jobs_cancelled: crate::platform::jobs::cancel_for_case(
            conn,
            case.id,
            &[crate::search::JOB_KIND, crate::result::job::JOB_KIND],
            "cancelled: the requester withdrew the request",
        )?,
        claims_released: crate::examination::claims::discard_case(conn, case.id)?,
        drafts_discarded: crate::examination::drafts::discard_case(conn, case.id)?,
    };
    crate::cases::timeline::timeline(
        conn,
        case.id,
        Some((user, "requester")),
        "withdrawn",
        "Request withdrawn by the requester",
        Some(reason.clone()),
    )?;
    audit::record(
        conn,
        actor,
        Entry::new("case.withdraw", "case", case.id)
            .reason(&case.search_reason)
            .details(format!(
                "case {}; was {}; {} job(s) cancelled, {} claim(s) released, {} draft(s) discarded; reason: {reason}",
                case.display_number(),
                from.as_str(),
                done.jobs_cancelled,
                done.claims_released,
                done.drafts_discarded
            )),
    )?;
    tracing::info!(
        case_id = case.id,
        from = from.as_str(),
        jobs_cancelled = done.jobs_cancelled,
        claims_released = done.claims_released,
        drafts_discarded = done.drafts_discarded,
        "Request withdrawn"
    );
    Ok((done, AfterCommit::none().and_history(case.id)))
}
