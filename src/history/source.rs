//! Reading [`CaseDoc`]s from the database: a few set-based queries per batch of cases, never one
//! query per case. The blindness rule for examiner notes lives here.

use std::collections::HashMap;

use anyhow::Context;
use diesel::prelude::*;

use crate::cases::store::Case;
use crate::domain::examination::Review;
use crate::history::doc::CaseDoc;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{
    agencies, cases, decisions, examinations, timeline_events, users,
};

/// Timeline kind and summary prefix written when a probe's examination is concluded
/// (`workflow::examine::announce`).
pub const CONCLUDED_KIND: &str = "examination_result";
pub const CONCLUDED_PREFIX: &str = "Examination concluded";

/// Largest `IN (…)` list sent at once.
const CHUNK: usize = 500;

/// The documents of the cases `ids` that exist (missing ids are skipped), in id order.
///
/// Errors: any database error, with context.
pub fn load(conn: &mut DbConnection, ids: &[i64]) -> anyhow::Result<Vec<CaseDoc>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(load_chunk(conn, chunk)?);
    }
    Ok(out)
}

/// Up to `limit` case ids greater than `after`, ascending (for a full rebuild in batches).
pub fn case_ids_after(conn: &mut DbConnection, after: i64, limit: i64) -> anyhow::Result<Vec<i64>> {
    cases::table
        .filter(cases::id.gt(after))
        .order(cases::id.asc())
        .limit(limit)
        .select(cases::id)
        .load(conn)
        .context("Failed to list cases for the history index")
}

/// The highest timeline event id, 0 when there is none.
pub fn max_event_id(conn: &mut DbConnection) -> anyhow::Result<i64> {
    let m: Option<i64> = timeline_events::table
        .select(diesel::dsl::max(timeline_events::id))
        .first(conn)
        .context("Failed to read the newest timeline event")?;
    Ok(m.unwrap_or(0))
}

/// `(event id, case id)` of timeline events with an id above `after`, ascending, at most
/// `limit`.
pub fn events_after(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<(i64, i64)>> {
    timeline_events::table
        .filter(timeline_events::id.gt(after))
        .order(timeline_events::id.asc())
        .limit(limit)
        .select((timeline_events::id, timeline_events::case_id))
        .load(conn)
        .context("Failed to read new timeline events")
}

/// `(event id, case id)` of the given event ids that exist now.
pub fn events_with_ids(conn: &mut DbConnection, ids: &[i64]) -> anyhow::Result<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = timeline_events::table
            .filter(timeline_events::id.eq_any(chunk))
            .select((timeline_events::id, timeline_events::case_id))
            .load(conn)
            .context("Failed to re-read timeline events")?;
        out.extend(rows);
    }
    Ok(out)
}

type EventRow = (i64, String, String, Option<String>);

fn load_chunk(conn: &mut DbConnection, ids: &[i64]) -> anyhow::Result<Vec<CaseDoc>> {
    let rows: Vec<(Case, String, String)> = cases::table
        .inner_join(agencies::table)
        .inner_join(users::table.on(users::id.eq(cases::requester_id)))
        .filter(cases::id.eq_any(ids))
        // Logically deleted cases (retention) leave the index.
        .filter(cases::hidden_at.is_null())
        .order(cases::id.asc())
        .select((Case::as_select(), agencies::name, users::name))
        .load(conn)
        .context("Failed to read cases for the history index")?;
    let events: Vec<(i64, String, String, Option<String>)> = timeline_events::table
        .filter(timeline_events::case_id.eq_any(ids))
        .order((timeline_events::case_id, timeline_events::id))
        .select((
            timeline_events::case_id,
            timeline_events::kind,
            timeline_events::summary,
            timeline_events::comment,
        ))
        .load(conn)
        .context("Failed to read timelines for the history index")?;
    let decided: Vec<(i64, String, String)> = decisions::table
        .filter(decisions::case_id.eq_any(ids))
        .order((decisions::case_id, decisions::id))
        .select((decisions::case_id, decisions::decision, decisions::comment))
        .load(conn)
        .context("Failed to read decisions for the history index")?;
    let exams: Vec<(i64, i64, String)> = examinations::table
        .filter(examinations::case_id.eq_any(ids))
        .order((examinations::case_id, examinations::id))
        .select((
            examinations::case_id,
            examinations::probe_search_id,
            examinations::review_json,
        ))
        .load(conn)
        .context("Failed to read examinations for the history index")?;

    let mut messages_by_case: HashMap<i64, Vec<String>> = HashMap::new();
    for (c, text) in crate::cases::messages::Message::texts_of(conn, ids)
        .context("Failed to read messages for the history index")?
    {
        messages_by_case.entry(c).or_default().push(text);
    }
    let mut by_case: HashMap<i64, Vec<EventRow>> = HashMap::new();
    for e in events {
        by_case.entry(e.0).or_default().push(e);
    }
    let mut decisions_by_case: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for (c, d, comment) in decided {
        decisions_by_case.entry(c).or_default().push((d, comment));
    }
    let mut exams_by_case: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (c, ps, json) in exams {
        exams_by_case.entry(c).or_default().push((ps, json));
    }

    Ok(rows
        .into_iter()
        .map(|(case, agency_name, requester_name)| {
            let events = by_case.remove(&case.id).unwrap_or_default();
            let decisions = decisions_by_case.remove(&case.id).unwrap_or_default();
            let exams = exams_by_case.remove(&case.id).unwrap_or_default();
            CaseDoc {
                case_id: case.id,
                case_number: case.case_number,
                agency_id: case.agency_id,
                agency_name,
                requester_name,
                search_reason: case.search_reason,
                case_file_number: case.case_file_number,
                status: case.status.as_str().to_string(),
                created_at: case.created_at,
                submitted_at: case.submitted_at,
                history: history_text(&events, &decisions),
                examiner_notes: examiner_notes(&events, &exams),
                messages: messages_by_case
                    .remove(&case.id)
                    .unwrap_or_default()
                    .join("\n"),
            }
        })
        .collect())
}

/// Timeline summaries and comments, then decisions and their comments, one a line.
fn history_text(events: &[EventRow], decisions: &[(String, String)]) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for (_, _, summary, comment) in events {
        lines.push(summary);
        if let Some(c) = comment.as_deref().filter(|c| !c.is_empty()) {
            lines.push(c);
        }
    }
    for (decision, comment) in decisions {
        lines.push(decision);
        if !comment.is_empty() {
            lines.push(comment);
        }
    }
    lines.join("\n")
}

/// The examiner notes of a case, or nothing while any examination is open.
///
/// Blind review: a second examiner must not read the first examiner's notes, through search
/// either. Each probe whose examination concludes gets one timeline event of kind
/// [`CONCLUDED_KIND`] starting with [`CONCLUDED_PREFIX`]; the notes are released only when there
/// are at least as many such events as probes with examinations, i.e. every examination of the
/// case is concluded.
pub fn examiner_notes(events: &[EventRow], exams: &[(i64, String)]) -> String {
    let concluded = events
        .iter()
        .filter(|(_, kind, summary, _)| {
            kind == CONCLUDED_KIND && summary.starts_with(CONCLUDED_PREFIX)
        })
        .count();
    let mut probes: Vec<i64> = exams.iter().map(|(ps, _)| *ps).collect();
    probes.sort_unstable();
    probes.dedup();
    if probes.is_empty() || concluded < probes.len() {
        return String::new();
    }
    let mut notes = Vec::new();
    for (_, json) in exams {
        // Adjudications hold no notes (their comment is in the timeline already).
        if let Ok(review) = serde_json::from_str::<Review>(json) {
            notes.extend(
                review
                    .assessments
                    .into_iter()
                    .map(|a| a.notes)
                    .filter(|n| !n.is_empty()),
            );
        }
    }
    notes.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(notes: &str) -> String {
        serde_json::json!({"assessments": [
            {"rank": 1, "disposition": "excluded", "features": ["eyes"], "notes": notes}
        ]})
        .to_string()
    }

    fn ev(kind: &str, summary: &str) -> EventRow {
        (1, kind.into(), summary.into(), None)
    }

    #[test]
    fn notes_stay_out_until_the_examination_is_concluded() {
        let exams = vec![(7, review("tattoo on the left forearm"))];
        let open = vec![ev("examination", "First examiner review recorded")];
        assert_eq!(examiner_notes(&open, &exams), "");
        let disputed = vec![ev(
            CONCLUDED_KIND,
            "Examiners disagree: supervisor adjudication needed",
        )];
        assert_eq!(examiner_notes(&disputed, &exams), "");
        let done = vec![ev(CONCLUDED_KIND, "Examination concluded: no lead")];
        assert_eq!(examiner_notes(&done, &exams), "tattoo on the left forearm");
    }

    #[test]
    fn notes_stay_out_while_another_probe_is_still_open() {
        let exams = vec![
            (7, review("scar above the right eyebrow")),
            (7, review("agree: scar matches")),
            (8, review("first look at the second probe")),
        ];
        let one_done = vec![ev(CONCLUDED_KIND, "Examination concluded: possible lead")];
        assert_eq!(examiner_notes(&one_done, &exams), "");
        let both = vec![
            ev(CONCLUDED_KIND, "Examination concluded: possible lead"),
            ev(CONCLUDED_KIND, "Examination concluded: no lead"),
        ];
        assert!(examiner_notes(&both, &exams).contains("first look"));
    }

    #[test]
    fn history_lists_timeline_and_decisions() {
        let events = vec![(1, "submitted".into(), "Request submitted".into(), None)];
        let decisions = vec![("returned".into(), "Add the booking number".into())];
        assert_eq!(
            history_text(&events, &decisions),
            "Request submitted\nreturned\nAdd the booking number"
        );
    }
}
