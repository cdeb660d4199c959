//! An examiner's unfinished review of one candidate list, kept on the server (issue 15: a
//! refused form, a closed tab or a crash loses nothing). Private to its examiner — the second
//! review stays blind — and discarded when the review is recorded or the case is purged.

use diesel::prelude::*;

use crate::domain::examination::AssessmentForm;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::examination_drafts;
use crate::platform::time::now;

/// Replaces `examiner_id`'s draft of probe search `ps_id` with `forms`.
///
/// Errors: database errors; a form that cannot be serialised (never in practice).
pub fn put(
    conn: &mut DbConnection,
    ps_id: i64,
    examiner_id: i64,
    forms: &[AssessmentForm],
) -> anyhow::Result<()> {
    let json = serde_json::to_string(forms)?;
    discard(conn, ps_id, examiner_id)?;
    diesel::insert_into(examination_drafts::table)
        .values((
            examination_drafts::probe_search_id.eq(ps_id),
            examination_drafts::examiner_id.eq(examiner_id),
            examination_drafts::form_json.eq(json),
            examination_drafts::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// `examiner_id`'s draft of probe search `ps_id` and when it was saved, if any. A draft that no
/// longer parses is treated as none.
pub fn of(
    conn: &mut DbConnection,
    ps_id: i64,
    examiner_id: i64,
) -> QueryResult<Option<(Vec<AssessmentForm>, chrono::NaiveDateTime)>> {
    let row: Option<(String, chrono::NaiveDateTime)> = examination_drafts::table
        .filter(examination_drafts::probe_search_id.eq(ps_id))
        .filter(examination_drafts::examiner_id.eq(examiner_id))
        .select((
            examination_drafts::form_json,
            examination_drafts::updated_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(json, at)| serde_json::from_str(&json).ok().map(|f| (f, at))))
}

/// Removes `examiner_id`'s draft of probe search `ps_id` (their review was recorded).
pub fn discard(conn: &mut DbConnection, ps_id: i64, examiner_id: i64) -> QueryResult<usize> {
    diesel::delete(
        examination_drafts::table
            .filter(examination_drafts::probe_search_id.eq(ps_id))
            .filter(examination_drafts::examiner_id.eq(examiner_id)),
    )
    .execute(conn)
}

/// Removes every draft of the probe searches of case `case_id` (the case is purged).
pub fn discard_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<usize> {
    use crate::platform::db::schema::probe_searches;
    let ids: Vec<i64> = probe_searches::table
        .filter(probe_searches::case_id.eq(case_id))
        .select(probe_searches::id)
        .load(conn)?;
    diesel::delete(
        examination_drafts::table.filter(examination_drafts::probe_search_id.eq_any(ids)),
    )
    .execute(conn)
}
