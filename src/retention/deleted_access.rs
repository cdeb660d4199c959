//! An administrator's audited view of a logically deleted case, for a stated reason.

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::Case;
use crate::domain::CaseId;
use crate::domain::retention::StatedReason;
use crate::platform::db::{DbConnection, write_tx};
use crate::retention::access::may_view_deleted;

use crate::retention::error::RetentionError;

/// A logically deleted case an administrator may open, if they state a reason.
pub fn deleted_case_for(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    id: CaseId,
) -> Result<Option<Case>, RetentionError> {
    let Some(case) = Case::find_any(conn, id)? else {
        return Ok(None);
    };
    if case.hidden_at.is_none() || !may_view_deleted(&user.roles_in(agency), agency, &case) {
        return Ok(None);
    }
    Ok(Some(case))
}

/// Records an administrator's stated reason to view a logically deleted case
/// (`case.view_retained`, with the reason as the record's stated purpose).
///
/// Errors: not permitted (audited as denied), reason too short.
pub fn view_deleted(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    reason: &str,
) -> Result<Case, RetentionError> {
    let reason =
        StatedReason::parse(reason).map_err(|m| RetentionError::Invalid(vec![("reason", m)]))?;
    write_tx(conn, |c| {
        let Some(case) = deleted_case_for(c, user, agency, id)? else {
            audit::record(
                c,
                actor,
                Entry::new("case.view_retained", "case", id.0).outcome(Outcome::Denied),
            )?;
            return Err(RetentionError::NotAllowedToView);
        };
        audit::record(
            c,
            actor,
            Entry::new("case.view_retained", "case", case.id)
                .reason(reason.as_str())
                .details(format!(
                    "logically deleted case {} opened by an administrator",
                    case.display_number()
                )),
        )?;
        Ok(case)
    })
}
