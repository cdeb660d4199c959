//! The stages of cases as they happened, read from the database (the timeline events of the
//! workflow and the stored examinations) and measured against the service's targets.
//!
//! - Compliance review: from the first `submitted` event to the first `approved` or `rejected`;
//!   paused from each `returned` event to the next `submitted` (the request is back with the
//!   requester).
//! - Probe assessment and search: from `approved` to `searched`.
//! - Per probe with a candidate list: first review from `searched` to the first examination;
//!   blind second review from it to the second; adjudication (when the examiners disagree)
//!   from the second to the supervisor's.
//! - A case that is rejected, withdrawn or concluded stops every open stage at its last change.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::cases::store::Case;
use crate::config::Settings;
use crate::domain::CaseStatus;
use crate::domain::business_time::{BusinessCalendar, Pause};
use crate::domain::clock::{SlaTargets, Stage, StageClock, StageSpan};
use crate::examination::standing::{Examination, Standing, standing};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{examinations, probe_searches, timeline_events};
use crate::search::ProbeSearchState;

/// Ids per `IN (…)` list (well under SQLite's and PostgreSQL's parameter limits).
const CHUNK: usize = 500;

/// What measuring clocks needs from the settings.
#[derive(Debug, Clone)]
pub struct Clocks {
    pub calendar: BusinessCalendar,
    pub targets: SlaTargets,
    pub single_examiner_allowed: bool,
}

impl Clocks {
    pub fn of(s: &Settings) -> Clocks {
        Clocks {
            calendar: s.service.calendar.clone(),
            targets: s.sla.targets,
            single_examiner_allowed: s.face.single_examiner_allowed,
        }
    }
}

/// The case fields the stages depend on.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts {
    pub id: i64,
    pub status: CaseStatus,
    pub current_version: i32,
    pub updated_at: NaiveDateTime,
}

impl From<&Case> for CaseFacts {
    fn from(c: &Case) -> Self {
        CaseFacts {
            id: c.id,
            status: c.status(),
            current_version: c.current_version,
            updated_at: c.updated_at,
        }
    }
}

/// Timeline event kinds that start, pause or end a stage.
const KINDS: [&str; 5] = ["submitted", "returned", "approved", "rejected", "searched"];

/// Every stage span of each case in `cases` (keyed by case id; a case without any is absent).
///
/// Errors: a database query failed.
pub fn spans(
    conn: &mut DbConnection,
    single_examiner_allowed: bool,
    cases: &[CaseFacts],
) -> QueryResult<HashMap<i64, Vec<StageSpan>>> {
    let mut out = HashMap::new();
    for chunk in cases.chunks(CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|c| c.id).collect();
        let events: Vec<(i64, String, NaiveDateTime)> = timeline_events::table
            .filter(timeline_events::case_id.eq_any(&ids))
            .filter(timeline_events::kind.eq_any(KINDS))
            .order((timeline_events::at.asc(), timeline_events::id.asc()))
            .select((
                timeline_events::case_id,
                timeline_events::kind,
                timeline_events::at,
            ))
            .load(conn)?;
        let probes: Vec<(i64, i64, i32, String)> = probe_searches::table
            .filter(probe_searches::case_id.eq_any(&ids))
            .order(probe_searches::id.asc())
            .select((
                probe_searches::id,
                probe_searches::case_id,
                probe_searches::version,
                probe_searches::status,
            ))
            .load(conn)?;
        let exams: Vec<Examination> = examinations::table
            .filter(examinations::case_id.eq_any(&ids))
            .order(examinations::id.asc())
            .select(Examination::as_select())
            .load(conn)?;
        for c in chunk {
            let ev: Vec<(&str, NaiveDateTime)> = events
                .iter()
                .filter(|e| e.0 == c.id)
                .map(|e| (e.1.as_str(), e.2))
                .collect();
            let mut list = case_spans(&ev);
            let searched = ev.iter().find(|e| e.0 == "searched").map(|e| e.1);
            for (ps, _, _, _) in probes.iter().filter(|p| {
                p.1 == c.id
                    && p.2 == c.current_version
                    && p.3 == ProbeSearchState::Searched.as_str()
            }) {
                let mine: Vec<Examination> = exams
                    .iter()
                    .filter(|e| e.probe_search_id == *ps)
                    .cloned()
                    .collect();
                if let Some(from) = searched {
                    list.extend(probe_spans(*ps, from, &mine, single_examiner_allowed));
                }
            }
            // Every open stage stops at a final state (rejected, withdrawn, result withdrawn)
            // or when the result is issued.
            if c.status.is_final() || c.status == CaseStatus::Concluded {
                for s in list.iter_mut().filter(|s| s.ended.is_none()) {
                    s.stopped = Some(c.updated_at.max(s.started));
                    for p in s.pauses.iter_mut().filter(|p| p.to.is_none()) {
                        p.to = s.stopped;
                    }
                }
            }
            if !list.is_empty() {
                out.insert(c.id, list);
            }
        }
    }
    Ok(out)
}

/// The compliance review and search spans of one case from its events (oldest first).
fn case_spans(ev: &[(&str, NaiveDateTime)]) -> Vec<StageSpan> {
    let mut list = Vec::new();
    let Some(first) = ev.iter().position(|e| e.0 == "submitted") else {
        return list;
    };
    let mut review = StageSpan {
        stage: Stage::ComplianceReview,
        probe_search_id: None,
        started: ev[first].1,
        ended: None,
        stopped: None,
        pauses: Vec::new(),
    };
    let mut approved = None;
    for &(kind, at) in &ev[first + 1..] {
        match kind {
            "returned" if review.ended.is_none() => {
                review.pauses.push(Pause { from: at, to: None })
            }
            "submitted" => {
                if let Some(p) = review.pauses.last_mut().filter(|p| p.to.is_none()) {
                    p.to = Some(at);
                }
            }
            "approved" | "rejected" if review.ended.is_none() => {
                review.ended = Some(at);
                if kind == "approved" {
                    approved = Some(at);
                }
            }
            _ => {}
        }
    }
    list.push(review);
    if let Some(from) = approved {
        list.push(StageSpan {
            stage: Stage::Search,
            probe_search_id: None,
            started: from,
            ended: ev
                .iter()
                .find(|e| e.0 == "searched" && e.1 >= from)
                .map(|e| e.1),
            stopped: None,
            pauses: Vec::new(),
        });
    }
    list
}

/// The examination spans of one probe with a candidate list, from `searched` on.
fn probe_spans(
    ps: i64,
    searched: NaiveDateTime,
    exams: &[Examination],
    single_examiner_allowed: bool,
) -> Vec<StageSpan> {
    use crate::examination::standing::ExaminationRound as R;
    let at = |r: R| exams.iter().find(|e| e.round == r).map(|e| e.created_at);
    let span = |stage, started, ended| StageSpan {
        stage,
        probe_search_id: Some(ps),
        started,
        ended,
        stopped: None,
        pauses: Vec::new(),
    };
    let (first, second, adjudication) = (at(R::First), at(R::Second), at(R::Adjudication));
    let now = standing(exams, single_examiner_allowed);
    let mut list = vec![span(Stage::FirstReview, searched, first)];
    if let Some(f) = first
        && (second.is_some() || matches!(now, Standing::AwaitingSecond { .. }))
    {
        list.push(span(Stage::SecondReview, f, second));
    }
    if let Some(s) = second
        && (adjudication.is_some() || now == Standing::NeedsAdjudication)
    {
        list.push(span(Stage::Adjudication, s, adjudication));
    }
    list
}

/// Every stage of each case measured at `now` (keyed by case id).
///
/// Errors: a database query failed.
pub fn measure(
    conn: &mut DbConnection,
    clocks: &Clocks,
    cases: &[CaseFacts],
    now: NaiveDateTime,
) -> QueryResult<HashMap<i64, Vec<StageClock>>> {
    Ok(spans(conn, clocks.single_examiner_allowed, cases)?
        .into_iter()
        .map(|(id, list)| {
            let measured = list
                .iter()
                .map(|s| s.measure(&clocks.calendar, &clocks.targets, now))
                .collect();
            (id, measured)
        })
        .collect())
}
