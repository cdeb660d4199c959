//! Stage clocks (issue 16, "Turnaround clocks"): each stage of a case has a target in business
//! time; its due time counts from when the stage started, not counting pauses (a request back
//! with its requester — NextRequest's "pause the clock"); a stage that ended (or a case that
//! reached a terminal state) has no due time. Turnaround figures are the median and the 90th
//! percentile of the business time stages took. Pure: `now` is given.

use chrono::{Duration, NaiveDateTime};

use crate::domain::business_time::{BusinessCalendar, Pause, Target};

/// A stage with a turnaround target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// A reviewer's compliance review, from the first submission (paused while returned).
    ComplianceReview,
    /// The examiner's probe assessment and the search, from approval to every probe searched.
    Search,
    /// A probe's first examiner review, from the case's searches being finished.
    FirstReview,
    /// A probe's blind second review, from its first review.
    SecondReview,
    /// A supervisor's adjudication of a disagreement, from the second review.
    Adjudication,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::ComplianceReview,
        Stage::Search,
        Stage::FirstReview,
        Stage::SecondReview,
        Stage::Adjudication,
    ];

    /// Short name, also the stage's key in `sla.*` settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::ComplianceReview => "compliance_review",
            Stage::Search => "search",
            Stage::FirstReview => "first_review",
            Stage::SecondReview => "second_review",
            Stage::Adjudication => "adjudication",
        }
    }

    /// What users read.
    pub fn label(self) -> &'static str {
        match self {
            Stage::ComplianceReview => "Compliance review",
            Stage::Search => "Probe assessment and search",
            Stage::FirstReview => "First review",
            Stage::SecondReview => "Blind second review",
            Stage::Adjudication => "Adjudication",
        }
    }
}

/// The target of every stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    pub compliance_review: Target,
    pub search: Target,
    pub first_review: Target,
    pub second_review: Target,
    pub adjudication: Target,
    /// A stage is "due soon" when at most this much business time is left.
    pub due_soon: Target,
}

impl Default for SlaTargets {
    /// The documented defaults: compliance review 1 business day, every other stage 3, due
    /// soon within 4 business hours.
    fn default() -> Self {
        SlaTargets {
            compliance_review: Target::Days(1),
            search: Target::Days(3),
            first_review: Target::Days(3),
            second_review: Target::Days(3),
            adjudication: Target::Days(3),
            due_soon: Target::Hours(4),
        }
    }
}

impl SlaTargets {
    pub fn of(&self, s: Stage) -> Target {
        match s {
            Stage::ComplianceReview => self.compliance_review,
            Stage::Search => self.search,
            Stage::FirstReview => self.first_review,
            Stage::SecondReview => self.second_review,
            Stage::Adjudication => self.adjudication,
        }
    }
}

/// One run of a stage, from the case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSpan {
    pub stage: Stage,
    /// The probe search an examination stage is about (none for case stages).
    pub probe_search_id: Option<i64>,
    pub started: NaiveDateTime,
    /// When the stage's work was done; `None` while open.
    pub ended: Option<NaiveDateTime>,
    /// When the case stopped (rejected, withdrawn, concluded) with the stage still open: the
    /// clock stops there and the stage has no due time.
    pub stopped: Option<NaiveDateTime>,
    pub pauses: Vec<Pause>,
}

/// Where a stage stands against its target, in words (never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DueState {
    Overdue,
    DueSoon,
    OnTime,
    /// Back with the requester: the clock does not run.
    Paused,
    /// The stage ended or the case stopped.
    Done,
}

impl DueState {
    pub fn as_str(self) -> &'static str {
        match self {
            DueState::Overdue => "overdue",
            DueState::DueSoon => "due-soon",
            DueState::OnTime => "on-time",
            DueState::Paused => "paused",
            DueState::Done => "done",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DueState::Overdue => "Overdue",
            DueState::DueSoon => "Due soon",
            DueState::OnTime => "On time",
            DueState::Paused => "Clock paused: with the requester",
            DueState::Done => "Done",
        }
    }
}

/// A span measured against its target at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageClock {
    pub span: StageSpan,
    pub target: Target,
    /// The due time (UTC); `None` while paused or when ended/stopped.
    pub due: Option<NaiveDateTime>,
    pub state: DueState,
    /// Business time the stage has taken (to its end, its stop, or `now`), pauses excluded.
    pub elapsed: Duration,
}

impl StageSpan {
    /// Measures the span against `targets` at `now`.
    pub fn measure(
        &self,
        cal: &BusinessCalendar,
        targets: &SlaTargets,
        now: NaiveDateTime,
    ) -> StageClock {
        let target = targets.of(self.stage);
        let end = self.ended.or(self.stopped).unwrap_or(now);
        let elapsed = cal.elapsed(self.started, end, &self.pauses);
        let open = self.ended.is_none() && self.stopped.is_none();
        let due = if open {
            cal.add(self.started, target.duration(cal), &self.pauses)
        } else {
            None
        };
        let state = match (open, due) {
            (false, _) => DueState::Done,
            (true, None) => DueState::Paused,
            (true, Some(d)) if d <= now => DueState::Overdue,
            (true, Some(d)) => {
                if cal.elapsed(now, d, &self.pauses) <= targets.due_soon.duration(cal) {
                    DueState::DueSoon
                } else {
                    DueState::OnTime
                }
            }
        };
        StageClock {
            span: self.clone(),
            target,
            due,
            state,
            elapsed,
        }
    }
}

impl StageClock {
    /// Sort key: overdue first, then due soon, on time, paused; earliest due first.
    pub fn urgency(&self) -> (DueState, NaiveDateTime) {
        (self.state, self.due.unwrap_or(NaiveDateTime::MAX))
    }
}

/// The median (the mean of the two middle values for an even count) and the 90th percentile
/// (nearest rank: the value at rank ⌈0.9·n⌉) of `values`; `None` when empty.
pub fn median_and_p90(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    let rank = ((n as f64) * 0.9).ceil() as usize;
    let p90 = v[rank.clamp(1, n) - 1];
    Some((median, p90))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    fn cal() -> BusinessCalendar {
        BusinessCalendar {
            zone: chrono_tz::America::Los_Angeles,
            holidays: [NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()]
                .into_iter()
                .collect(),
            day_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        }
    }
    fn targets() -> SlaTargets {
        SlaTargets {
            compliance_review: Target::Days(1),
            search: Target::Days(3),
            first_review: Target::Days(3),
            second_review: Target::Days(3),
            adjudication: Target::Days(3),
            due_soon: Target::Hours(4),
        }
    }
    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    fn span(started: &str) -> StageSpan {
        StageSpan {
            stage: Stage::ComplianceReview,
            probe_search_id: None,
            started: at(started),
            ended: None,
            stopped: None,
            pauses: vec![],
        }
    }

    #[test]
    fn open_stages_are_overdue_due_soon_or_on_time() {
        // Started Monday 2026-11-16 09:00 PST; due Tuesday 09:00 PST (17:00 UTC).
        let s = span("2026-11-16 17:00");
        let m = s.measure(&cal(), &targets(), at("2026-11-16 18:00"));
        assert_eq!(m.due, Some(at("2026-11-17 17:00")));
        assert_eq!(m.state, DueState::OnTime);
        // Tuesday 06:00 PST: 1 business hour left.
        let m = s.measure(&cal(), &targets(), at("2026-11-17 14:00"));
        assert_eq!(m.state, DueState::DueSoon);
        let m = s.measure(&cal(), &targets(), at("2026-11-17 17:01"));
        assert_eq!(m.state, DueState::Overdue);
        assert!(
            m.urgency()
                < s.measure(&cal(), &targets(), at("2026-11-16 18:00"))
                    .urgency()
        );
    }

    #[test]
    fn a_paused_or_stopped_stage_has_no_due_time() {
        let mut s = span("2026-11-16 17:00");
        s.pauses.push(Pause {
            from: at("2026-11-16 18:00"),
            to: None,
        });
        let m = s.measure(&cal(), &targets(), at("2026-11-30 18:00"));
        assert_eq!((m.due, m.state), (None, DueState::Paused));
        assert_eq!(m.elapsed, Duration::hours(1));
        let mut s = span("2026-11-16 17:00");
        s.stopped = Some(at("2026-11-16 20:00"));
        let m = s.measure(&cal(), &targets(), at("2026-11-30 18:00"));
        assert_eq!((m.due, m.state), (None, DueState::Done));
        assert_eq!(m.elapsed, Duration::hours(3));
    }

    #[test]
    fn median_and_p90_by_nearest_rank() {
        assert_eq!(median_and_p90(&[]), None);
        assert_eq!(median_and_p90(&[4.0]), Some((4.0, 4.0)));
        assert_eq!(median_and_p90(&[1.0, 9.0, 2.0, 3.0]), Some((2.5, 9.0)));
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median_and_p90(&v), Some((5.5, 9.0)));
        let v: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(median_and_p90(&v), Some((6.0, 10.0)));
    }
}
