//! What an examiner does to a probe search by hand besides the assessment
//! ([`crate::search::assessment`]): running a failed search again. One transaction with its
//! timeline event and audit record; returns what to wake after the commit (the search worker).

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry};
use crate::platform::db::DbConnection;
use crate::platform::jobs::effects::AfterCommit;
use crate::search::ProbeSearch;

/// Queues a failed search of `probe` again. `Ok(None)` when it has not failed or was already
/// queued again.
///
/// Errors: the database failed (nothing changed).
pub fn rerun(
    conn: &mut DbConnection,
    user: &User,
    actor: &Actor,
    case_id: i64,
    probe: &ProbeSearch,
) -> diesel::QueryResult<Option<AfterCommit>> {
    crate::platform::db::write_tx(conn, |c| {
        if !crate::search::rerun_failed(c, probe.id)? {
            return Ok(None);
        }
        crate::cases::timeline::timeline(
            c,
            case_id,
            Some((user, "examiner")),
            "search_rerun",
            format!(
                "Failed search of probe image {} queued again",
                probe.image_sha256.get(..12).unwrap_or("")
            ),
            probe.error.clone(),
        )?;
        audit::record(
            c,
            actor,
            Entry::new("search.rerun", "image", &probe.image_sha256)
                .details(format!("case {case_id}; probe search {}", probe.id)),
        )?;
        Ok(Some(AfterCommit::none().and_search().and_history(case_id)))
    })
}
