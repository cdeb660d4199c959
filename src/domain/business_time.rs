//! Business time in the service's time zone (issue 16, "Turnaround clocks"): working hours on
//! weekdays that are not holidays, counted in the zone's local time so that a change of
//! daylight saving time moves the UTC instants, never the local hours. Pure: instants are UTC
//! `NaiveDateTime`s (what the `Timestamp` columns hold); nothing here reads a clock.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// How many local days a computation looks ahead before it gives up (ten years).
const HORIZON_DAYS: i64 = 3_660;

/// The service's working calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    /// The service's IANA time zone (e.g. `America/Los_Angeles`).
    pub zone: Tz,
    /// Local dates on which the clock does not run.
    pub holidays: BTreeSet<NaiveDate>,
    /// Start and end of the working day, local time (`day_start < day_end`).
    pub day_start: NaiveTime,
    pub day_end: NaiveTime,
}

impl Default for BusinessCalendar {
    /// UTC, 08:00 to 17:00, no holidays (the settings replace it with the configured one).
    fn default() -> Self {
        BusinessCalendar {
            zone: Tz::UTC,
            holidays: BTreeSet::new(),
            day_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// An interval during which the clock does not run (a request back with its requester), UTC.
/// `to: None`: still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: NaiveDateTime,
    pub to: Option<NaiveDateTime>,
}

/// A target: whole business days (each the length of one working day) or business hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Days(u32),
    Hours(u32),
}

/// Why a target did not parse; the message names the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("give a whole number of business days or hours, e.g. \"3d\" or \"8h\"")]
pub struct BadTarget;

impl Target {
    /// Parses `"3d"` (business days) or `"8h"` (business hours); 1..=365 days, 1..=2000 hours.
    pub fn parse(s: &str) -> Result<Target, BadTarget> {
        let s = s.trim().to_ascii_lowercase();
        let (n, unit) = s.split_at(s.len().saturating_sub(1));
        let n: u32 = n.trim().parse().map_err(|_| BadTarget)?;
        match unit {
            "d" if (1..=365).contains(&n) => Ok(Target::Days(n)),
            "h" if (1..=2000).contains(&n) => Ok(Target::Hours(n)),
            _ => Err(BadTarget),
        }
    }

    /// The target as business time: days × the working day's length, or hours.
    pub fn duration(self, cal: &BusinessCalendar) -> Duration {
        match self {
            Target::Days(d) => cal.day_length() * i32::try_from(d).unwrap_or(i32::MAX),
            Target::Hours(h) => Duration::hours(i64::from(h)),
        }
    }

    /// "1 business day", "8 business hours".
    pub fn label(self) -> String {
        match self {
            Target::Days(1) => "1 business day".into(),
            Target::Days(d) => format!("{d} business days"),
            Target::Hours(1) => "1 business hour".into(),
            Target::Hours(h) => format!("{h} business hours"),
        }
    }
}

impl BusinessCalendar {
    /// The length of one working day.
    pub fn day_length(&self) -> Duration {
        self.day_end - self.day_start
    }

    /// Whether the clock runs on local date `d` (Monday to Friday, not a holiday).
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        d.weekday().num_days_from_monday() < 5 && !self.holidays.contains(&d)
    }

    /// The local date of UTC instant `t`.
    pub fn local_date(&self, t: NaiveDateTime) -> NaiveDate {
        self.zone.from_utc_datetime(&t).date_naive()
    }

    /// The UTC instant of local `d` at `time`: the earlier one when the local time occurs twice
    /// (autumn), the first valid minute after it when it is skipped (spring).
    fn utc_of(&self, d: NaiveDate, time: NaiveTime) -> NaiveDateTime {
        let local = d.and_time(time);
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.naive_utc(),
            LocalResult::Ambiguous(a, _) => a.naive_utc(),
            LocalResult::None => (1..=180)
                .find_map(|m| {
                    self.zone
                        .from_local_datetime(&(local + Duration::minutes(m)))
                        .earliest()
                })
                .map_or(local, |t| t.naive_utc()),
        }
    }

    /// The working window of local date `d` in UTC, if it is a business day.
    fn window(&self, d: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        self.is_business_day(d)
            .then(|| (self.utc_of(d, self.day_start), self.utc_of(d, self.day_end)))
    }

    /// The pieces of `[a, b)` outside every pause, in order.
    fn running(
        a: NaiveDateTime,
        b: NaiveDateTime,
        pauses: &[Pause],
    ) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        let mut pieces = vec![(a, b)];
        for p in pauses {
            let mut next = Vec::new();
            for (s, e) in pieces {
                let (ps, pe) = (p.from, p.to.unwrap_or(NaiveDateTime::MAX));
                if pe <= s || ps >= e {
                    next.push((s, e));
                    continue;
                }
                if ps > s {
                    next.push((s, ps));
                }
                if pe < e {
                    next.push((pe, e));
                }
            }
            pieces = next;
        }
        pieces
    }

    /// Business time between `from` and `to` (UTC), not counting `pauses`; zero when
    /// `to <= from`.
    pub fn elapsed(&self, from: NaiveDateTime, to: NaiveDateTime, pauses: &[Pause]) -> Duration {
        let mut total = Duration::zero();
        if to <= from {
            return total;
        }
        let (first, last) = (self.local_date(from), self.local_date(to));
        let mut d = first;
        while d <= last {
            if let Some((ws, we)) = self.window(d) {
                let (a, b) = (ws.max(from), we.min(to));
                if a < b {
                    for (s, e) in Self::running(a, b, pauses) {
                        total += e - s;
                    }
                }
            }
            let Some(n) = d.succ_opt() else { break };
            d = n;
        }
        total
    }

    /// The instant (UTC) at which `amount` of business time has run from `start`, not counting
    /// `pauses`. `None` while the clock is stopped by a pause that has not ended before then,
    /// or beyond ten years.
    pub fn add(
        &self,
        start: NaiveDateTime,
        amount: Duration,
        pauses: &[Pause],
    ) -> Option<NaiveDateTime> {
        let mut left = amount;
        let open = pauses
            .iter()
            .filter(|p| p.to.is_none())
            .map(|p| p.from)
            .min();
        let mut d = self.local_date(start);
        for _ in 0..HORIZON_DAYS {
            if let Some((ws, we)) = self.window(d) {
                let a = ws.max(start);
                if open.is_some_and(|o| o <= a.max(start)) && a < we {
                    return None;
                }
                if a < we {
                    for (s, e) in Self::running(a, we, pauses) {
                        if left <= e - s {
                            return Some(s + left);
                        }
                        left -= e - s;
                    }
                }
            }
            d = d.succ_opt()?;
        }
        None
    }

    /// `YYYY-MM-DD HH:MM` in the service's zone with its abbreviation, e.g.
    /// `2026-11-24 10:00 PST`.
    pub fn format(&self, t: NaiveDateTime) -> String {
        self.zone
            .from_utc_datetime(&t)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// The zone's abbreviation at `t` ("PST", "PDT").
    pub fn abbreviation(&self, t: NaiveDateTime) -> String {
        self.zone.from_utc_datetime(&t).format("%Z").to_string()
    }

    /// Local wall-clock time of UTC `t` (for rules in local hours, e.g. "after hours").
    pub fn local(&self, t: NaiveDateTime) -> NaiveDateTime {
        self.zone.from_utc_datetime(&t).naive_local()
    }

    /// The UTC instant at which local date `d` ends (midnight after it).
    pub fn end_of_local_day(&self, d: NaiveDate) -> NaiveDateTime {
        d.succ_opt().map_or(d.and_time(NaiveTime::MIN), |n| {
            self.utc_of(n, NaiveTime::MIN)
        })
    }
}

/// A business duration in hours, one decimal ("13.5").
pub fn hours(d: Duration) -> f64 {
    (d.num_minutes() as f64 / 60.0 * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(holidays: &[&str]) -> BusinessCalendar {
        BusinessCalendar {
            zone: chrono_tz::America::Los_Angeles,
            holidays: holidays
                .iter()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
                .collect(),
            day_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        }
    }
    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn targets_parse_in_days_or_hours() {
        assert_eq!(Target::parse("1d"), Ok(Target::Days(1)));
        assert_eq!(Target::parse(" 8H "), Ok(Target::Hours(8)));
        for bad in ["", "d", "0d", "3", "3w", "-1d", "1.5d", "366d"] {
            assert_eq!(Target::parse(bad), Err(BadTarget), "{bad}");
        }
        assert_eq!(Target::Days(3).duration(&cal(&[])), Duration::hours(27));
    }

    #[test]
    fn a_business_day_skips_the_weekend() {
        // Friday 2026-11-20 10:00 PST (18:00 UTC) + 1 business day = Monday 10:00 PST.
        let c = cal(&[]);
        let due = c.add(at("2026-11-20 18:00"), Target::Days(1).duration(&c), &[]);
        assert_eq!(due, Some(at("2026-11-23 18:00")));
        assert_eq!(c.format(at("2026-11-23 18:00")), "2026-11-23 10:00 PST");
        assert_eq!(
            c.elapsed(at("2026-11-20 18:00"), at("2026-11-23 18:00"), &[]),
            Duration::hours(9)
        );
    }

    #[test]
    fn a_holiday_is_skipped() {
        // Monday 2026-11-23 a holiday: due Tuesday 10:00 PST.
        let c = cal(&["2026-11-23"]);
        let due = c.add(at("2026-11-20 18:00"), Target::Days(1).duration(&c), &[]);
        assert_eq!(due, Some(at("2026-11-24 18:00")));
    }

    #[test]
    fn daylight_saving_moves_the_utc_instant_not_the_local_hour() {
        // Friday 2026-10-30 10:00 PDT (17:00 UTC); DST ends Sunday 2026-11-01; due Monday
        // 10:00 PST = 18:00 UTC.
        let c = cal(&[]);
        let due = c.add(at("2026-10-30 17:00"), Target::Days(1).duration(&c), &[]);
        assert_eq!(due, Some(at("2026-11-02 18:00")));
        assert_eq!(c.format(at("2026-10-30 17:00")), "2026-10-30 10:00 PDT");
        // Spring: Friday 2027-03-12 10:00 PST (18:00 UTC) → Monday 10:00 PDT (17:00 UTC).
        let due = c.add(at("2027-03-12 18:00"), Target::Days(1).duration(&c), &[]);
        assert_eq!(due, Some(at("2027-03-15 17:00")));
    }

    #[test]
    fn out_of_hours_starts_count_from_the_next_working_morning() {
        // Saturday 12:00 PST → clock starts Monday 08:00; 8 business hours → Monday 16:00.
        let c = cal(&[]);
        let due = c.add(at("2026-11-21 20:00"), Target::Hours(8).duration(&c), &[]);
        assert_eq!(due, Some(at("2026-11-24 00:00")));
    }

    #[test]
    fn a_pause_moves_the_due_time_by_the_business_time_paused() {
        // Monday 2026-11-16 09:00 PST submitted; returned 10:00; resubmitted Wednesday 10:00.
        // 1 business day = 9 h: 1 h ran before the return, 8 h after: Thursday 09:00 PST.
        let c = cal(&[]);
        let pause = Pause {
            from: at("2026-11-16 18:00"),
            to: Some(at("2026-11-18 18:00")),
        };
        let due = c.add(
            at("2026-11-16 17:00"),
            Target::Days(1).duration(&c),
            &[pause],
        );
        assert_eq!(due, Some(at("2026-11-19 17:00")));
        assert_eq!(
            c.elapsed(at("2026-11-16 17:00"), at("2026-11-19 17:00"), &[pause]),
            Duration::hours(9)
        );
        // Still paused: no due time.
        let open = Pause {
            from: at("2026-11-16 18:00"),
            to: None,
        };
        assert_eq!(
            c.add(
                at("2026-11-16 17:00"),
                Target::Days(1).duration(&c),
                &[open]
            ),
            None
        );
        assert_eq!(
            c.elapsed(at("2026-11-16 17:00"), at("2026-11-30 17:00"), &[open]),
            Duration::hours(1)
        );
    }

    #[test]
    fn hours_round_to_one_decimal() {
        assert_eq!(hours(Duration::minutes(90)), 1.5);
        assert_eq!(hours(Duration::minutes(100)), 1.7);
    }
}
