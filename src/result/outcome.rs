//! The outcome rule: when a case's examinations have concluded, and with which result.

use diesel::prelude::*;

use crate::cases::store::Case;
use crate::domain::examination::Consensus;
use crate::examination::standing::Examination;
use crate::examination::standing::Standing;
use crate::examination::standing::standing;
use crate::platform::db::DbConnection;
use crate::search::{ProbeSearch, ProbeSearchState};

/// Where a case's examinations stand, over every probe of the approved version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Some probe still needs a search, a face choice, a review or an adjudication.
    Pending,
    /// A search failed: staff must look at it before any result can be issued.
    Blocked,
    /// Every probe is finished and at least one candidate list was examined.
    Concluded {
        /// (probe search id, ranks) of every possible lead.
        leads: Vec<(i64, Vec<u32>)>,
        single_examiner: bool,
    },
    /// Every probe is finished and none held a face: nothing was searched or examined. The
    /// result is a no-lead packet that says no search was possible.
    NothingExamined,
}

/// Combines the standings of every probe of the case's current version. With
/// `single_examiner_allowed`, one examiner's review concludes a probe. Errors: the database's.
pub fn case_outcome(
    conn: &mut DbConnection,
    case: &Case,
    single_examiner_allowed: bool,
) -> QueryResult<CaseOutcome> {
    let probes: Vec<ProbeSearch> = ProbeSearch::for_case(conn, case.case_id())?
        .into_iter()
        .filter(|p| p.version == case.current_version)
        .collect();
    if probes.is_empty() {
        return Ok(CaseOutcome::Pending);
    }
    let mut leads = Vec::new();
    let mut single = false;
    let mut examined = 0;
    for p in &probes {
        match p.status {
            ProbeSearchState::NoFace | ProbeSearchState::NotSelected => continue,
            ProbeSearchState::Failed => return Ok(CaseOutcome::Blocked),
            ProbeSearchState::Searched => {}
            _ => return Ok(CaseOutcome::Pending),
        }
        let exams = Examination::for_probe(conn, p.id)?;
        match standing(&exams, single_examiner_allowed) {
            Standing::Concluded(Consensus::PossibleLead {
                ranks,
                single_examiner,
            }) => {
                leads.push((p.id, ranks));
                single |= single_examiner;
            }
            Standing::Concluded(Consensus::NoLead { single_examiner }) => {
                single |= single_examiner;
            }
            _ => return Ok(CaseOutcome::Pending),
        }
        examined += 1;
    }
    Ok(if examined == 0 {
        CaseOutcome::NothingExamined
    } else {
        CaseOutcome::Concluded {
            leads,
            single_examiner: single,
        }
    })
}
