//! The service's figures, computed from the case history (no snapshot table, no worker):
//! turnaround per stage per month (median and 90th percentile of the business hours each stage
//! took, pauses excluded) and the queue depth per stage over the last days.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::clocks::spans::{CaseFacts, Clocks, spans};
use crate::domain::CaseStatus;
use crate::domain::business_time::BusinessCalendar;
use crate::domain::business_time::hours;
use crate::domain::clock::{Stage, StageSpan, median_and_p90};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::cases;

/// The turnaround of one stage in one month (stages that ended in it).
#[derive(Debug, Clone, PartialEq)]
pub struct Turnaround {
    /// `YYYY-MM` (UTC, as the monthly audit report's months).
    pub month: String,
    pub stage: Stage,
    /// Stages ended in the month.
    pub count: usize,
    /// Business hours, one decimal.
    pub median_hours: f64,
    pub p90_hours: f64,
}

/// The number of items waiting in each stage at the end of one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Depth {
    pub day: NaiveDate,
    /// In [`Stage::ALL`] order.
    pub counts: [usize; 5],
}

/// Cases whose stages may matter from `from` on: submitted, and open or changed since `from`
/// (a terminal case's last change is at or after every stage's end); optionally one agency's.
fn relevant_cases(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    agency: Option<i64>,
) -> QueryResult<Vec<CaseFacts>> {
    let open = [
        CaseStatus::Submitted,
        CaseStatus::Returned,
        CaseStatus::Approved,
        CaseStatus::Searched,
    ]
    .map(CaseStatus::as_str);
    let mut q = cases::table
        .filter(cases::submitted_at.is_not_null())
        .filter(cases::status.eq_any(open).or(cases::updated_at.ge(from)))
        .into_boxed();
    if let Some(a) = agency {
        q = q.filter(cases::agency_id.eq(a));
    }
    let rows: Vec<(i64, String, i32, NaiveDateTime)> = q
        .select((
            cases::id,
            cases::status,
            cases::current_version,
            cases::updated_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, status, current_version, updated_at)| {
            Ok(CaseFacts {
                id,
                status: CaseStatus::parse(&status)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?,
                current_version,
                updated_at,
            })
        })
        .collect()
}

/// Turnaround per stage for every UTC month of `[from, to)` in which a stage ended, optionally
/// for one agency's cases; ordered by month, then stage.
///
/// Errors: a database query failed.
pub fn turnaround(
    conn: &mut DbConnection,
    calendar: &BusinessCalendar,
    from: NaiveDateTime,
    to: NaiveDateTime,
    agency: Option<i64>,
) -> QueryResult<Vec<Turnaround>> {
    let facts = relevant_cases(conn, from, agency)?;
    // Only finished stages count, and those do not depend on the single-examiner setting.
    let all = spans(conn, false, &facts)?;
    Ok(turnaround_of(all.values().flatten(), calendar, from, to))
}

/// [`turnaround`] over given spans (pure).
pub fn turnaround_of<'a>(
    spans: impl Iterator<Item = &'a StageSpan>,
    calendar: &BusinessCalendar,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Vec<Turnaround> {
    let mut by: BTreeMap<(String, Stage), Vec<f64>> = BTreeMap::new();
    for s in spans {
        let Some(end) = s.ended.filter(|e| *e >= from && *e < to) else {
            continue;
        };
        let h = hours(calendar.elapsed(s.started, end, &s.pauses));
        by.entry((end.format("%Y-%m").to_string(), s.stage))
            .or_default()
            .push(h);
    }
    by.into_iter()
        .filter_map(|((month, stage), v)| {
            median_and_p90(&v).map(|(m, p)| Turnaround {
                month,
                stage,
                count: v.len(),
                median_hours: (m * 10.0).round() / 10.0,
                p90_hours: p,
            })
        })
        .collect()
}

/// Items waiting per stage at the end of each of the last `days` local days (today: now);
/// an item back with its requester is not waiting on the service and is not counted.
///
/// Errors: a database query failed.
pub fn queue_depth(
    conn: &mut DbConnection,
    clocks: &Clocks,
    now: NaiveDateTime,
    days: u32,
) -> QueryResult<Vec<Depth>> {
    let today = clocks.calendar.local_date(now);
    let first = today - Duration::days(i64::from(days.saturating_sub(1)));
    let from = clocks.calendar.end_of_local_day(first) - Duration::days(1);
    let facts = relevant_cases(conn, from, None)?;
    let all = spans(conn, clocks.single_examiner_allowed, &facts)?;
    let mut out = Vec::new();
    let mut d = first;
    while d <= today {
        let t = clocks.calendar.end_of_local_day(d).min(now);
        let mut counts = [0usize; 5];
        for s in all.values().flatten() {
            let end = s.ended.or(s.stopped);
            let waiting = s.started <= t
                && end.is_none_or(|e| e > t)
                && !s
                    .pauses
                    .iter()
                    .any(|p| p.from <= t && p.to.is_none_or(|pt| pt > t));
            if waiting && let Some(i) = Stage::ALL.iter().position(|x| *x == s.stage) {
                counts[i] += 1;
            }
        }
        out.push(Depth { day: d, counts });
        let Some(n) = d.succ_opt() else { break };
        d = n;
    }
    Ok(out)
}

/// What waits in each stage now (items back with their requester not counted): per stage in
/// [`Stage::ALL`] order, the number of items and when the oldest started waiting.
///
/// Errors: a database query failed.
pub fn waiting_now(
    conn: &mut DbConnection,
    clocks: &Clocks,
    now: NaiveDateTime,
) -> QueryResult<Vec<(Stage, usize, Option<NaiveDateTime>)>> {
    let facts = relevant_cases(conn, now, None)?;
    let all = spans(conn, clocks.single_examiner_allowed, &facts)?;
    let mut out: Vec<(Stage, usize, Option<NaiveDateTime>)> =
        Stage::ALL.iter().map(|s| (*s, 0, None)).collect();
    for s in all.values().flatten() {
        let open = s.ended.or(s.stopped).is_none()
            && !s.pauses.iter().any(|p| p.from <= now && p.to.is_none());
        if open && let Some(slot) = out.iter_mut().find(|o| o.0 == s.stage) {
            slot.1 += 1;
            slot.2 = Some(
                slot.2
                    .map_or(s.started, |o: NaiveDateTime| o.min(s.started)),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::business_time::Pause;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn turnaround_is_per_month_and_stage_in_business_hours() {
        let cal = BusinessCalendar {
            zone: chrono_tz::America::Los_Angeles,
            ..Default::default()
        };
        let span = |started: &str, ended: &str, pauses: Vec<Pause>| StageSpan {
            stage: Stage::ComplianceReview,
            probe_search_id: None,
            started: at(started),
            ended: Some(at(ended)),
            stopped: None,
            pauses,
        };
        // Monday 2026-11-16 09:00 PST start; 1 h, 2 h, 9 h (over a night), 3 h with a 2 h pause.
        let list = [
            span("2026-11-16 17:00", "2026-11-16 18:00", vec![]),
            span("2026-11-16 17:00", "2026-11-16 19:00", vec![]),
            span("2026-11-16 17:00", "2026-11-17 17:00", vec![]),
            span(
                "2026-11-16 17:00",
                "2026-11-16 22:00",
                vec![Pause {
                    from: at("2026-11-16 18:00"),
                    to: Some(at("2026-11-16 20:00")),
                }],
            ),
            // Ended in December: its own month.
            span("2026-12-01 17:00", "2026-12-01 21:00", vec![]),
        ];
        let t = turnaround_of(
            list.iter(),
            &cal,
            at("2026-11-01 00:00"),
            at("2027-01-01 00:00"),
        );
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].month.as_str(), t[0].count), ("2026-11", 4));
        assert_eq!((t[0].median_hours, t[0].p90_hours), (2.5, 9.0));
        assert_eq!((t[1].month.as_str(), t[1].median_hours), ("2026-12", 4.0));
    }
}
