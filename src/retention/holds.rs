//! Legal holds: placing and lifting one (LAPD ALPR order). While a hold stands the case is
//! neither logically deleted nor purged. Each is one transaction with its audit record and
//! timeline event.

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::Case;
use crate::cases::timeline::timeline;
use crate::domain::CaseId;
use crate::domain::retention::{LegalHoldRequest, StatedReason};
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::time::now;
use crate::retention::access::may_hold;
use crate::retention::store::{LegalHold, NewLegalHold};

use crate::retention::error::RetentionError;

/// A case (live or logically deleted) that `user` may place a hold on.
fn case_for_hold(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    id: CaseId,
) -> Result<Case, RetentionError> {
    let case = Case::find_any(conn, id)?.ok_or(RetentionError::NotFound)?;
    if !may_hold(&user.roles_in(agency), agency, &case) {
        return Err(RetentionError::NotAllowedToHold);
    }
    Ok(case)
}

/// Places a legal hold on a case (LAPD ALPR order: case or DR number and reason). The case is
/// then neither logically deleted nor purged until the hold is lifted. Audited
/// (`retention.hold`) with a timeline event. Returns the hold id.
///
/// Errors: not permitted (audited as denied), case not found, invalid reference or reason.
pub fn place_hold(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    reference: &str,
    reason: &str,
) -> Result<(i64, crate::platform::jobs::effects::AfterCommit), RetentionError> {
    write_tx(conn, |c| {
        let case = match case_for_hold(c, user, agency, id) {
            Ok(case) => case,
            Err(e @ RetentionError::NotAllowedToHold) => {
                audit::record(
                    c,
                    actor,
                    Entry::new("retention.hold", "case", id.0).outcome(Outcome::Denied),
                )?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let req = LegalHoldRequest::parse(reference, reason).map_err(RetentionError::Invalid)?;
        let hold = LegalHold::insert(
            c,
            &NewLegalHold {
                case_id: case.id,
                reference: req.reference.clone(),
                reason: req.reason.as_str().to_string(),
                placed_by: user.id,
                placed_at: now(),
            },
        )?;
        if case.hidden_at.is_none() {
            timeline(
                c,
                case.id,
                Some((user, actor.role.as_str())),
                "legal_hold",
                format!("Legal hold placed ({})", req.reference),
                None,
            )?;
        }
        audit::record(
            c,
            actor,
            Entry::new("retention.hold", "case", case.id).details(format!(
                "hold {hold} placed; reference {}; reason: {}",
                req.reference,
                req.reason.as_str()
            )),
        )?;
        Ok((
            hold,
            crate::platform::jobs::effects::AfterCommit::none().and_history(case.id),
        ))
    })
}

/// Lifts a standing legal hold with a reason. Audited (`retention.hold_lift`).
///
/// Errors: not permitted, not found, already lifted, reason too short.
pub fn lift_hold(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    hold_id: i64,
    reason: &str,
) -> Result<crate::platform::jobs::effects::AfterCommit, RetentionError> {
    write_tx(conn, |c| {
        let case = match case_for_hold(c, user, agency, id) {
            Ok(case) => case,
            Err(e @ RetentionError::NotAllowedToHold) => {
                audit::record(
                    c,
                    actor,
                    Entry::new("retention.hold_lift", "case", id.0).outcome(Outcome::Denied),
                )?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let reason = StatedReason::parse(reason)
            .map_err(|m| RetentionError::Invalid(vec![("lift_reason", m)]))?;
        // A hold of another case is "not found", not "already lifted".
        if !LegalHold::for_case(c, case.case_id())?
            .iter()
            .any(|h| h.id == hold_id)
        {
            return Err(RetentionError::NotFound);
        }
        if !LegalHold::lift(
            c,
            case.case_id(),
            hold_id,
            user.user_id(),
            reason.as_str(),
            now(),
        )? {
            return Err(RetentionError::AlreadyLifted);
        }
        if case.hidden_at.is_none() {
            timeline(
                c,
                case.id,
                Some((user, actor.role.as_str())),
                "legal_hold",
                "Legal hold lifted",
                None,
            )?;
        }
        audit::record(
            c,
            actor,
            Entry::new("retention.hold_lift", "case", case.id).details(format!(
                "hold {hold_id} lifted; reason: {}",
                reason.as_str()
            )),
        )?;
        Ok(crate::platform::jobs::effects::AfterCommit::none().and_history(case.id))
    })
}
