//! Loads who has acted on a case, for the separation-of-duties rules of
//! [`crate::domain::duties`].

use diesel::prelude::*;

use crate::cases::store::Case;
use crate::compliance::store::Decision;
use crate::domain::CaseId;
use crate::domain::duties::{CaseParties, Duty, DutyRefusal, may_take};
use crate::examination::standing::ExaminationRound;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::examinations;

/// The requester, the approving reviewers and the examiners of `case`.
///
/// Errors: the database query failed.
pub fn parties(conn: &mut DbConnection, case: &Case) -> QueryResult<CaseParties> {
    let approvers = Decision::for_case(conn, CaseId(case.id))?
        .into_iter()
        .filter(|d| d.decision == crate::compliance::decision::DecisionKind::Approve.as_str())
        .map(|d| d.reviewer_id)
        .collect();
    let examiners = examinations::table
        .filter(examinations::case_id.eq(case.id))
        .filter(examinations::round.ne(ExaminationRound::Adjudication.as_str()))
        .select(examinations::examiner_id)
        .load::<i64>(conn)?;
    Ok(CaseParties {
        requester: case.requester_id,
        approvers,
        examiners,
    })
}

/// Whether `user` may take `duty` on `case` (see [`may_take`]).
///
/// Errors: the outer `Result` is a failed database query.
pub fn check(
    conn: &mut DbConnection,
    case: &Case,
    user: i64,
    duty: Duty,
    approver_may_examine: bool,
) -> QueryResult<Result<(), DutyRefusal>> {
    let p = parties(conn, case)?;
    Ok(may_take(user, duty, &p, approver_may_examine))
}
