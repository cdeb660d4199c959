//! What an examiner does to a probe search by hand: choosing the probe face in a multi-face
//! image, and running a failed search again. Each is one transaction with its timeline event
//! and audit record, and returns what to wake after the commit (the search worker).

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry};
use crate::platform::db::DbConnection;
use crate::platform::jobs::effects::AfterCommit;
use crate::search::ProbeSearch;

/// Records the examiner's choice of `face` (0-based) in `probe` and queues its search.
/// `Ok(None)` when a face was already chosen (a double submit changes nothing).
///
/// Errors: the database failed (nothing changed).
pub fn choose_face(
    conn: &mut DbConnection,
    user: &User,
    actor: &Actor,
    case_id: i64,
    probe: &ProbeSearch,
    face: i32,
) -> diesel::QueryResult<Option<AfterCommit>> {
    crate::platform::db::write_tx(conn, |c| {
        if !crate::search::choose_face(c, probe.id, face, user.id)? {
            return Ok(None);
        }
        crate::cases::timeline::timeline(
            c,
            case_id,
            Some((user, "examiner")),
            "face_chosen",
            format!(
                "Face {} chosen in probe image {}; search queued",
                face + 1,
                probe.image_sha256.get(..12).unwrap_or("")
            ),
            None,
        )?;
        audit::record(
            c,
            actor,
            Entry::new("examine.choose_face", "image", &probe.image_sha256)
                .details(format!("case {case_id}; face {face}")),
        )?;
        Ok(Some(AfterCommit::none().and_search().and_history(case_id)))
    })
}

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
