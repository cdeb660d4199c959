//! Access to a logically deleted case (LAPD ALPR order, "Retention and Deletion of ALPR Data"):
//! only the service's system administrators ask, naming one of the order's criteria, a
//! reference that documents it and a statement; a second person (another system administrator
//! or a service supervisor, never the requester) approves or refuses; an approved request opens
//! that one case to its requester, read-only, for [`ACCESS_HOURS`] hours. Each step is one
//! transaction with its audit record (`case.deleted_access_request`, `…_approve`,
//! `…_refuse`); views are audited where they happen (`case.view`, `image.view`,
//! `packet.download`). A logically deleted case's timeline is frozen, so these steps add no
//! timeline event; the audit trail is their record.

use chrono::Duration;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::Case;
use crate::domain::CaseId;
use crate::domain::deleted_access::{
    ACCESS_HOURS, DeletedAccessRequest, is_second_person, may_decide_deleted_access,
};
use crate::domain::retention::StatedReason;
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::time::now;
use crate::retention::access::may_view_deleted;
use crate::retention::access_requests::{
    APPROVED, AccessRequest, NewAccessRequest, PENDING, REFUSED,
};

use crate::retention::error::RetentionError;

/// A logically deleted case `user` may ask to open (a system administrator of the service).
///
/// Errors: the database query failed.
pub fn deleted_case_for(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    id: CaseId,
) -> Result<Option<Case>, RetentionError> {
    let Some(case) = Case::find_any(conn, id)? else {
        return Ok(None);
    };
    if case.hidden_at.is_none() || !may_view_deleted(&user.roles_in(agency), agency) {
        return Ok(None);
    }
    Ok(Some(case))
}

/// A system administrator asks to open a logically deleted case, for one of the seed's
/// criteria, with a reference and a statement. Stored as pending; audited
/// (`case.deleted_access_request`, the statement as the record's stated purpose). Returns the
/// request id.
///
/// Errors: not permitted or not a logically deleted case (audited as denied; `NotAllowedToView`),
/// invalid fields (`Invalid`, `(field, message)` for `criterion`, `reference`, `statement`).
#[allow(clippy::too_many_arguments)]
pub fn request_access(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    criterion: &str,
    reference: &str,
    statement: &str,
) -> Result<i64, RetentionError> {
    // A refusal is audited in its own write (a failed transaction would roll it back).
    if deleted_case_for(conn, user, agency, id)?.is_none() {
        audit::record(
            conn,
            actor,
            Entry::new("case.deleted_access_request", "case", id.0).outcome(Outcome::Denied),
        )?;
        return Err(RetentionError::NotAllowedToView);
    }
    write_tx(conn, |c| {
        let case = deleted_case_for(c, user, agency, id)?.ok_or(RetentionError::NotFound)?;
        let req = DeletedAccessRequest::parse(criterion, reference, statement)
            .map_err(RetentionError::Invalid)?;
        let rid = AccessRequest::insert(
            c,
            &NewAccessRequest {
                case_id: case.id,
                requester_id: user.id,
                criterion: req.criterion.as_str().into(),
                reference: req.reference.clone(),
                statement: req.statement.as_str().into(),
                requested_at: now(),
                status: PENDING.into(),
            },
        )?;
        audit::record(
            c,
            actor,
            Entry::new("case.deleted_access_request", "case", case.id)
                .reason(req.statement.as_str())
                .details(format!(
                    "request {rid} to open logically deleted case {}; criterion {}; reference {}",
                    case.display_number(),
                    req.criterion.as_str(),
                    req.reference
                )),
        )?;
        Ok(rid)
    })
}

/// A second person approves (`approve`) or refuses a pending request. Approval opens the case
/// to the requester for [`ACCESS_HOURS`] hours from now; a refusal needs a note (10–1000
/// characters), an approval's note is optional. Audited (`case.deleted_access_approve` /
/// `case.deleted_access_refuse`).
///
/// Errors: not an approver (`NotAllowedToDecide`) or the requester themself (`OwnRequest`),
/// both audited as denied; unknown request (`NotFound`); already decided (`AlreadyDecided`);
/// a refusal without a note (`Invalid`, field `note`).
pub fn decide(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    request_id: i64,
    approve: bool,
    note: &str,
) -> Result<AccessRequest, RetentionError> {
    let action = if approve {
        "case.deleted_access_approve"
    } else {
        "case.deleted_access_refuse"
    };
    // A refusal is audited in its own write (a failed transaction would roll it back).
    let req = AccessRequest::find(conn, request_id)?.ok_or(RetentionError::NotFound)?;
    let refusal = if !may_decide_deleted_access(&user.roles_in(agency), agency.is_service) {
        Some(RetentionError::NotAllowedToDecide)
    } else if !is_second_person(req.requester_id, user.id) {
        Some(RetentionError::OwnRequest)
    } else {
        None
    };
    if let Some(e) = refusal {
        audit::record(
            conn,
            actor,
            Entry::new(action, "case", req.case_id)
                .outcome(Outcome::Denied)
                .details(format!("request {request_id}: {e}")),
        )?;
        return Err(e);
    }
    write_tx(conn, |c| {
        let note = note.trim();
        let note = if note.is_empty() && approve {
            None
        } else {
            Some(
                StatedReason::parse(note)
                    .map_err(|m| RetentionError::Invalid(vec![("note", m)]))?,
            )
        };
        let at = now();
        let expires = approve.then(|| at + Duration::hours(ACCESS_HOURS));
        if !AccessRequest::decide(
            c,
            request_id,
            if approve { APPROVED } else { REFUSED },
            user.id,
            at,
            note.as_ref().map(StatedReason::as_str),
            expires,
        )? {
            return Err(RetentionError::AlreadyDecided);
        }
        let case = Case::find_any(c, CaseId(req.case_id))?.ok_or(RetentionError::NotFound)?;
        let entry = Entry::new(action, "case", req.case_id)
            .reason(req.statement.clone())
            .details(format!(
                "request {request_id} by user {} for case {} ({}; reference {}){}{}",
                req.requester_id,
                case.display_number(),
                req.criterion,
                req.reference,
                expires
                    .map(|e| format!("; open until {}", crate::platform::time::fmt_time(&e)))
                    .unwrap_or_default(),
                note.as_ref()
                    .map(|n| format!("; note: {}", n.as_str()))
                    .unwrap_or_default()
            ));
        audit::record(c, actor, entry)?;
        AccessRequest::find(c, request_id)?.ok_or(RetentionError::NotFound)
    })
}
