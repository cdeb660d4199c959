//! Legal holds (LAPD ALPR order, "Retaining ALPR Data Beyond the Two-Year Logical Deletion
//! Period"): requested by one person with the DR/case number, the specific reason and the
//! investigator's name and contact; approved (or rejected) by a different person; reviewed
//! every two years; released only when a release requested by one person is approved by
//! another. A pending request already holds the case: nothing is logically deleted or purged
//! while a hold is being decided. A hold never ends by lapse.
//!
//! Each action is one transaction with its audit record (`retention.hold_request`,
//! `retention.hold_approve`, `retention.hold_reject`, `retention.hold_review`,
//! `retention.hold_release_request`, `retention.hold_release`) and, while the case is not
//! logically deleted, a timeline event (`legal_hold`).

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::Case;
use crate::cases::timeline::timeline;
use crate::domain::CaseId;
use crate::domain::retention::{LegalHoldRequest, StatedReason, hold_review_due};
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::time::{fmt_time, now};
use crate::retention::access::{may_approve_hold, may_hold};
use crate::retention::error::RetentionError;
use crate::retention::store::{HoldState, LegalHold, NewLegalHold};

/// Who acts on a hold: the person, their agency and the audit actor.
pub struct HoldActor<'a> {
    pub user: &'a User,
    pub agency: &'a Agency,
    pub actor: &'a Actor,
}

/// What one action changed: the audit details and the timeline text.
struct Done {
    details: String,
    timeline: String,
}

/// Runs one hold action in a transaction: finds the case, checks the role (`approver`: the
/// approvers' rule, else the requesters' rule), runs `f`, writes the audit record and the
/// timeline event. A refusal (role, or the requester approving) rolls the action back and is
/// then audited as denied in its own transaction.
fn act<T>(
    conn: &mut DbConnection,
    who: &HoldActor<'_>,
    id: CaseId,
    action: &str,
    approver: bool,
    f: impl FnOnce(&mut DbConnection, &Case) -> Result<(T, Done), RetentionError>,
) -> Result<(T, AfterCommit), RetentionError> {
    let r = write_tx(conn, |c| {
        let case = Case::find_any(c, id)?.ok_or(RetentionError::NotFound)?;
        let roles = who.user.roles_in(who.agency);
        if !may_hold(&roles, who.agency, &case) {
            return Err(RetentionError::NotAllowedToHold);
        }
        if approver && !may_approve_hold(&roles, who.agency, &case) {
            return Err(RetentionError::NotAllowedToApprove);
        }
        let (out, done) = f(c, &case)?;
        if case.hidden_at.is_none() {
            timeline(
                c,
                case.id,
                Some((who.user, who.actor.role.as_str())),
                "legal_hold",
                done.timeline,
                None,
            )?;
        }
        audit::record(
            c,
            who.actor,
            Entry::new(action, "case", case.id).details(done.details),
        )?;
        Ok((out, AfterCommit::none().and_history(case.id)))
    });
    if let Err(
        e @ (RetentionError::NotAllowedToHold
        | RetentionError::NotAllowedToApprove
        | RetentionError::SecondPersonRequired),
    ) = &r
    {
        let why = e.to_string();
        write_tx(conn, |c| {
            audit::record(
                c,
                who.actor,
                Entry::new(action, "case", id.0)
                    .outcome(Outcome::Denied)
                    .details(why),
            )
        })?;
    }
    r
}

/// The hold `hold_id` of `case`; a hold of another case is "not found".
fn hold_of(c: &mut DbConnection, case: &Case, hold_id: i64) -> Result<LegalHold, RetentionError> {
    LegalHold::find(c, case.case_id(), hold_id)?.ok_or(RetentionError::NotFound)
}

/// Refuses an approval by the person who made the request (a second person must decide).
fn second_person(who: &HoldActor<'_>, requested_by: Option<i64>) -> Result<(), RetentionError> {
    if requested_by == Some(who.user.id) {
        return Err(RetentionError::SecondPersonRequired);
    }
    Ok(())
}

/// Requests a legal hold on a case (LAPD ALPR order: DR or case number, specific reason,
/// investigator's name and phone or email). The request holds the case at once — it is
/// neither logically deleted nor purged, and its audit records are kept — while a second
/// person decides it. Audited `retention.hold_request`. Returns the hold id.
///
/// Errors: not permitted (audited as denied), case not found, invalid fields.
pub fn request_hold(
    conn: &mut DbConnection,
    who: &HoldActor<'_>,
    id: CaseId,
    req: (&str, &str, &str, &str),
) -> Result<(i64, AfterCommit), RetentionError> {
    let (reference, reason, name, contact) = req;
    act(conn, who, id, "retention.hold_request", false, |c, case| {
        let req = LegalHoldRequest::parse(reference, reason, name, contact)
            .map_err(RetentionError::Invalid)?;
        let hold = LegalHold::insert(
            c,
            &NewLegalHold {
                case_id: case.id,
                reference: req.reference.clone(),
                reason: req.reason.as_str().to_string(),
                investigator_name: req.investigator_name.clone(),
                investigator_contact: req.investigator_contact.clone(),
                placed_by: who.user.id,
                placed_at: now(),
            },
        )?;
        Ok((
            hold,
            Done {
                details: format!(
                    "hold {hold} requested (pending approval; holds the case meanwhile); reference {}; investigator {} ({}); reason: {}",
                    req.reference,
                    req.investigator_name,
                    req.investigator_contact,
                    req.reason.as_str()
                ),
                timeline: format!(
                    "Legal hold requested ({}); awaiting a second person's approval",
                    req.reference
                ),
            },
        ))
    })
}

/// Approves a pending hold request; the first review is due two years later. The approver is
/// a local administrator of the case's agency or the service's supervisor or system
/// administrator, never the requester. Audited `retention.hold_approve`.
///
/// Errors: not permitted, the requester approving (both audited as denied), not found, not
/// pending.
pub fn approve_hold(
    conn: &mut DbConnection,
    who: &HoldActor<'_>,
    id: CaseId,
    hold_id: i64,
) -> Result<AfterCommit, RetentionError> {
    act(conn, who, id, "retention.hold_approve", true, |c, case| {
        let hold = hold_of(c, case, hold_id)?;
        if hold.state() != HoldState::Pending {
            return Err(RetentionError::HoldState(
                "That legal hold is not awaiting approval.",
            ));
        }
        second_person(who, Some(hold.placed_by))?;
        let at = now();
        let due = hold_review_due(at);
        if !LegalHold::approve(c, hold_id, who.user.user_id(), at, due)? {
            return Err(RetentionError::HoldState(
                "That legal hold is not awaiting approval.",
            ));
        }
        Ok((
            (),
            Done {
                details: format!(
                    "hold {hold_id} approved (requested by user {}); reference {}; review due {}",
                    hold.placed_by,
                    hold.reference,
                    fmt_time(&due)
                ),
                timeline: format!("Legal hold approved ({})", hold.reference),
            },
        ))
    })
    .map(|((), effects)| effects)
}

/// Rejects a pending hold request with a reason; the case follows the retention policy
/// again. Same approvers as [`approve_hold`]. Audited `retention.hold_reject`.
///
/// Errors: not permitted, the requester rejecting, not found, not pending, reason too short.
pub fn reject_hold(
    conn: &mut DbConnection,
    who: &HoldActor<'_>,
    id: CaseId,
    hold_id: i64,
    reason: &str,
) -> Result<AfterCommit, RetentionError> {
    act(conn, who, id, "retention.hold_reject", true, |c, case| {
        let reason = StatedReason::parse(reason)
            .map_err(|m| RetentionError::Invalid(vec![("reject_reason", m)]))?;
        let hold = hold_of(c, case, hold_id)?;
        if hold.state() != HoldState::Pending {
            return Err(RetentionError::HoldState(
                "That legal hold is not awaiting approval.",
            ));
        }
        second_person(who, Some(hold.placed_by))?;
        if !LegalHold::reject(c, hold_id, who.user.user_id(), reason.as_str(), now())? {
            return Err(RetentionError::HoldState(
                "That legal hold is not awaiting approval.",
            ));
        }
        Ok((
            (),
            Done {
                details: format!(
                    "hold {hold_id} rejected; reference {}; reason: {}",
                    hold.reference,
                    reason.as_str()
                ),
                timeline: format!("Legal hold request rejected ({})", hold.reference),
            },
        ))
    })
    .map(|((), effects)| effects)
}

/// Records the two-yearly review of an approved hold (LAPD ALPR order: "Every two years, ITB
/// shall verify with the investigating officer if the information is eligible for
/// deletion"): the investigator confirmed it is still needed, with a note. The next review is
/// due two years from now. Audited `retention.hold_review`.
///
/// Errors: not permitted, not found, not approved and standing, note too short.
pub fn review_hold(
    conn: &mut DbConnection,
    who: &HoldActor<'_>,
    id: CaseId,
    hold_id: i64,
    note: &str,
) -> Result<AfterCommit, RetentionError> {
    act(conn, who, id, "retention.hold_review", false, |c, case| {
        let note = StatedReason::parse(note)
            .map_err(|m| RetentionError::Invalid(vec![("review_note", m)]))?;
        let hold = hold_of(c, case, hold_id)?;
        let at = now();
        let due = hold_review_due(at);
        if !LegalHold::record_review(c, hold_id, who.user.user_id(), note.as_str(), at, due)? {
            return Err(RetentionError::HoldState(
                "Only an approved, standing legal hold is reviewed.",
            ));
        }
        Ok((
            (),
            Done {
                details: format!(
                    "hold {hold_id} reviewed: the investigator confirmed it is still needed; reference {}; review was due {}; next due {}; note: {}",
                    hold.reference,
                    hold.review_due_at.as_ref().map(fmt_time).unwrap_or_default(),
                    fmt_time(&due),
                    note.as_str()
                ),
                timeline: format!("Legal hold reviewed: still needed ({})", hold.reference),
            },
        ))
    })
    .map(|((), effects)| effects)
}

/// Requests the release of an approved hold with a reason. The hold stands until a different
/// authorised person approves the release ([`approve_release`]). Audited
/// `retention.hold_release_request`.
///
/// Errors: not permitted, not found, not approved or a release already requested, reason
/// too short.
pub fn request_release(
    conn: &mut DbConnection,
    who: &HoldActor<'_>,
    id: CaseId,
    hold_id: i64,
    reason: &str,
) -> Result<AfterCommit, RetentionError> {
    act(
        conn,
        who,
        id,
        "retention.hold_release_request",
        false,
        |c, case| {
            let reason = StatedReason::parse(reason)
                .map_err(|m| RetentionError::Invalid(vec![("lift_reason", m)]))?;
            let hold = hold_of(c, case, hold_id)?;
            if !hold.is_standing() {
                return Err(RetentionError::AlreadyLifted);
            }
            if !LegalHold::request_release(c, hold_id, who.user.user_id(), reason.as_str(), now())?
            {
                return Err(RetentionError::HoldState(
                    "Only an approved hold without a pending release request can be released; a pending request is rejected instead.",
                ));
            }
            Ok((
                (),
                Done {
                    details: format!(
                        "release of hold {hold_id} requested (the hold stands until a second person approves); reference {}; reason: {}",
                        hold.reference,
                        reason.as_str()
                    ),
                    timeline: format!(
                        "Release of the legal hold requested ({}); awaiting a second person's approval",
                        hold.reference
                    ),
                },
            ))
        },
    )
    .map(|((), effects)| effects)
}

/// Approves a requested release: the hold ends and the case follows the retention policy
/// again. Same approvers as [`approve_hold`], never the person who requested the release.
/// Audited `retention.hold_release`.
///
/// Errors: not permitted, the release's requester approving, not found, no release pending.
pub fn approve_release(
    conn: &mut DbConnection,
    who: &HoldActor<'_>,
    id: CaseId,
    hold_id: i64,
) -> Result<AfterCommit, RetentionError> {
    act(conn, who, id, "retention.hold_release", true, |c, case| {
        let hold = hold_of(c, case, hold_id)?;
        if hold.state() != HoldState::ReleaseRequested {
            return Err(RetentionError::HoldState(
                "No release of that legal hold is awaiting approval.",
            ));
        }
        second_person(who, hold.release_requested_by)?;
        if !LegalHold::approve_release(c, hold_id, who.user.user_id(), now())? {
            return Err(RetentionError::HoldState(
                "No release of that legal hold is awaiting approval.",
            ));
        }
        Ok((
            (),
            Done {
                details: format!(
                    "hold {hold_id} released (release requested by user {}); reference {}; reason: {}",
                    hold.release_requested_by.unwrap_or_default(),
                    hold.reference,
                    hold.lift_reason.as_deref().unwrap_or_default()
                ),
                timeline: format!("Legal hold released ({})", hold.reference),
            },
        ))
    })
    .map(|((), effects)| effects)
}
