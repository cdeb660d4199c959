//! Who may see a case's candidate lists and booking photos (docs/POLICIES.md, "Candidate
//! lists"; NY MPTC §IV.A, §IV.E): examiners of the service with current facial-comparison
//! training, and supervisors (trained examiners) for adjudication — each only on a case whose
//! separation-of-duties rules let them take that duty. A reviewer without examiner training sees
//! the outcome on the case page, never the candidates. Every refusal is an audit record (the
//! caller writes it with [`refusal_entry`]).

use chrono::NaiveDate;

use crate::accounts::store::User;
use crate::audit::{Entry, Outcome};
use crate::cases::store::Case;
use crate::domain::duties::Duty;
use crate::domain::examination::{may_adjudicate, may_examine};
use crate::domain::{Role, Roles};
use crate::platform::db::DbConnection;

/// In which capacity the user sees the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateAccess {
    /// A trained examiner who may examine this case.
    Examiner,
    /// A trained supervisor who may adjudicate this case.
    Supervisor,
}

/// Whether `user` (with effective `roles`) may see the candidates of `case`; `Err` holds the
/// refusal shown to the user and written to the audit record.
///
/// Errors: the outer `Result` is a failed database query.
pub fn candidate_access(
    conn: &mut DbConnection,
    user: &User,
    roles: &Roles,
    case: &Case,
    today: NaiveDate,
    approver_may_examine: bool,
) -> diesel::QueryResult<Result<CandidateAccess, String>> {
    let training = crate::accounts::training::records_of(conn, user.user_id())?;
    let as_examiner = may_examine(roles, &training, today);
    let as_supervisor = may_adjudicate(roles, &training, today);
    let mut refusal = match (&as_examiner, &as_supervisor) {
        (Err(e), Err(_)) if roles.has(Role::Examiner) || roles.has(Role::Supervisor) => {
            e.to_string()
        }
        (Err(_), Err(_)) => {
            return Ok(Err(NOT_FOR_YOU.into()));
        }
        _ => String::new(),
    };
    if as_examiner.is_ok() {
        match crate::examination::duties::check(
            conn,
            case,
            user.id,
            Duty::Examine,
            approver_may_examine,
        )? {
            Ok(()) => return Ok(Ok(CandidateAccess::Examiner)),
            Err(e) => refusal = e.to_string(),
        }
    }
    if as_supervisor.is_ok() {
        match crate::examination::duties::check(
            conn,
            case,
            user.id,
            Duty::Adjudicate,
            approver_may_examine,
        )? {
            Ok(()) => return Ok(Ok(CandidateAccess::Supervisor)),
            Err(e) => refusal = e.to_string(),
        }
    }
    Ok(Err(refusal))
}

/// The audit record of a refused look at candidates (`action` e.g. `examine.view_candidates`
/// or `subject.view`).
pub fn refusal_entry<'a>(
    action: &'a str,
    object_type: &'a str,
    object_id: i64,
    why: &str,
) -> Entry<'a> {
    Entry::new(action, object_type, object_id)
        .outcome(Outcome::Denied)
        .details(why.to_string())
}

/// The first half of [`candidate_access`], before any case is loaded: whether the person may
/// see candidate lists at all (a trained examiner, or a trained supervisor). `Err` holds the
/// refusal, as [`candidate_access`] words it.
///
/// Errors: the outer `Result` is a failed database query.
pub fn trained_for_candidates(
    conn: &mut DbConnection,
    user: &User,
    roles: &Roles,
    today: NaiveDate,
) -> diesel::QueryResult<Result<(), String>> {
    let training = crate::accounts::training::records_of(conn, user.user_id())?;
    let as_examiner = may_examine(roles, &training, today);
    let as_supervisor = may_adjudicate(roles, &training, today);
    Ok(match (as_examiner, as_supervisor) {
        (Ok(()), _) | (_, Ok(())) => Ok(()),
        (Err(e), Err(_)) if roles.has(Role::Examiner) || roles.has(Role::Supervisor) => {
            Err(e.to_string())
        }
        _ => Err(NOT_FOR_YOU.to_string()),
    })
}

const NOT_FOR_YOU: &str = "Candidate lists and booking photos are for trained examiners and supervisors of the service; the case page shows the outcome.";

/// The `subject.view` details of one served candidate photo: case, probe search and rank, so
/// a later review can tell which candidates this examiner was shown.
pub fn subject_view_details(case_number: &str, ps_id: i64, rank: u32, booking: &str) -> String {
    format!("case {case_number}; probe search {ps_id}; rank {rank}; booking {booking}")
}

/// What `examiner_id` could see of each candidate of `ps`, in rank order: removed from the
/// gallery since the search, shown to them (a `subject.view` audit record), or never shown.
///
/// Errors: database errors only.
pub fn candidate_sights(
    conn: &mut DbConnection,
    examiner_id: i64,
    ps: &crate::search::ProbeSearch,
) -> diesel::QueryResult<Vec<(u32, crate::domain::examination::CandidateSight)>> {
    use crate::domain::examination::CandidateSight;
    let cands = ps.candidates();
    let ids: Vec<i64> = cands.iter().map(|c| c.subject_id).collect();
    let removed = crate::gallery::Subject::removed_among(conn, &ids)?;
    let seen: std::collections::BTreeSet<u32> = crate::audit::store::AuditRecord::subject_views(
        conn,
        examiner_id,
        &format!("case %; probe search {}; rank %", ps.id),
    )?
    .iter()
    .filter_map(|d| d.split("; rank ").nth(1)?.split(';').next()?.parse().ok())
    .collect();
    Ok(cands
        .iter()
        .map(|c| {
            let sight = if removed.contains(&c.subject_id) {
                CandidateSight::Removed
            } else if seen.contains(&c.rank) {
                CandidateSight::Seen
            } else {
                CandidateSight::NotSeen
            };
            (c.rank, sight)
        })
        .collect())
}
