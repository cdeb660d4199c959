//! When a case's searches are done: every probe of the approved version finished (searched, no
//! face, left out at the assessment, or failed for good) moves the case to `searched`; with
//! nothing to examine, the no-lead result is queued at once.

use crate::platform::db::DbConnection;
use crate::platform::time::now;
use crate::search::{ProbeSearch, ProbeSearchState};

/// Moves an approved case to `searched` once every probe search is finished; when no probe of
/// the current version was searched (no face in any, or the examiner's assessment left every
/// one out), queues the no-lead result (there is nothing to examine). Returns whether this call
/// moved the case to `searched` with candidate lists to examine (the examiners are then told).
///
/// Errors: the database failed; a transition error cannot happen (checked state).
pub fn complete_if_finished(
    conn: &mut DbConnection,
    case: &crate::cases::store::Case,
) -> anyhow::Result<bool> {
    use crate::domain::{CaseAction, CaseStatus};
    let all = ProbeSearch::for_case(conn, case.case_id())?;
    if all.is_empty() || !all.iter().all(|p| p.status.is_finished()) {
        return Ok(false);
    }
    // A probe whose analysis failed was never assessed: the case waits (approved) for an
    // examiner to run the analysis again and assess it.
    if all
        .iter()
        .any(|p| p.status == ProbeSearchState::Failed && p.started_by.is_none())
    {
        return Ok(false);
    }
    let current: Vec<&ProbeSearch> = all
        .iter()
        .filter(|p| p.version == case.current_version)
        .collect();
    let anything_to_examine = current.iter().any(|p| {
        !matches!(
            p.status,
            ProbeSearchState::NoFace | ProbeSearchState::NotSelected
        )
    });
    let any_face = current.iter().any(|p| p.status != ProbeSearchState::NoFace);
    let mut moved = false;
    if case.status() == CaseStatus::Approved {
        let to = CaseStatus::Approved.apply(CaseAction::CompleteSearch)?;
        if crate::cases::store::Case::transition(
            conn,
            case.case_id(),
            CaseStatus::Approved,
            to,
            now(),
        )? {
            moved = true;
            crate::cases::timeline::timeline(
                conn,
                case.id,
                None,
                "searched",
                if anything_to_examine {
                    "Every probe image searched: awaiting examiner review"
                } else if any_face {
                    "No probe image was searched (examiner's assessment): a no-lead result \
                     will be issued"
                } else {
                    "No face found in any probe image: no search possible; a no-lead result \
                     will be issued"
                },
                None,
            )?;
        }
    }
    // With nothing to examine the result (a no-lead packet saying why) is queued now — also
    // when a re-run of a failed search found no face. No review exists, so the single-examiner
    // setting cannot matter; `queue_if_concluded` checks the case is `searched` and queues at
    // most once.
    if !anything_to_examine {
        crate::result::job::queue_if_concluded(conn, case.id, false)?;
    }
    Ok(moved && anything_to_examine)
}
