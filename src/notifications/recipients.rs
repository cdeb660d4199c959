//! Who is told of a case event: active accounts holding the role (effective in their agency,
//! so only the service's staff for service roles), trained where the role needs training
//! (examiners and supervisors: `crate::domain::training::makes_examiner`), and allowed the duty
//! on this case by the separation-of-duties rules (`crate::domain::duties`) — nobody is told of
//! work on their own request, nor of work they may not do.

use chrono::NaiveDate;

use crate::accounts::store::User;
use crate::cases::store::Case;
use crate::domain::Role;
use crate::domain::duties::Duty;
use crate::notifications::NotifyContext;
use crate::platform::db::DbConnection;

/// Active reviewers who may review `case` (not its requester).
///
/// Errors: database errors.
pub fn reviewers(conn: &mut DbConnection, case: &Case) -> diesel::QueryResult<Vec<User>> {
    let mut out = Vec::new();
    for u in User::active_with_role(conn, Role::Reviewer)? {
        if crate::examination::duties::check(conn, case, u.id, Duty::Review, true)?.is_ok() {
            out.push(u);
        }
    }
    Ok(out)
}

/// Trained examiners (active, current facial-comparison training) who may examine `case`,
/// without `except` (the examiner of the first review, for the blind second review).
///
/// Errors: database errors.
pub fn examiners(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    case: &Case,
    today: NaiveDate,
    except: Option<i64>,
) -> diesel::QueryResult<Vec<User>> {
    let mut out = Vec::new();
    for u in crate::accounts::training::trained_examiners(conn, today)? {
        // Not the first examiner; not one whose examining is restricted after an audit finding
        // (the workflow would refuse them).
        if Some(u.id) == except || crate::accounts::restriction::check(conn, u.id)?.is_err() {
            continue;
        }
        if crate::examination::duties::check(
            conn,
            case,
            u.id,
            Duty::Examine,
            ctx.approver_may_examine,
        )?
        .is_ok()
        {
            out.push(u);
        }
    }
    Ok(out)
}

/// Trained supervisors (active, current facial-comparison training) who may adjudicate `case`
/// (they neither submitted, approved nor examined it).
///
/// Errors: database errors.
pub fn supervisors(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    case: &Case,
    today: NaiveDate,
) -> diesel::QueryResult<Vec<User>> {
    let sups = User::active_with_role(conn, Role::Supervisor)?;
    let ids: Vec<i64> = sups.iter().map(|u| u.id).collect();
    let records = crate::accounts::training::records_by_user(conn, &ids)?;
    let mut out = Vec::new();
    for u in sups {
        // `active_with_role` already applied the agency rule (effective roles).
        let trained = crate::domain::examination::may_adjudicate(
            &u.stored_roles(),
            records.get(&u.id).map(Vec::as_slice).unwrap_or(&[]),
            today,
        )
        .is_ok();
        if trained
            && crate::accounts::restriction::check(conn, u.id)?.is_ok()
            && crate::examination::duties::check(
                conn,
                case,
                u.id,
                Duty::Adjudicate,
                ctx.approver_may_examine,
            )?
            .is_ok()
        {
            out.push(u);
        }
    }
    Ok(out)
}
