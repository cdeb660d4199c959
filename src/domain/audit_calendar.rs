//! The audit calendar's rules (LACRIS FR Policy "Audits": the local administrator "must conduct
//! monthly audits of all DMS user actions" and "quarterly audits of their personnel access
//! privileges"): when each audit is due, which are still owed, and which reminder stage an owed
//! audit is in. Pure: the caller passes the periods already done and today's date.

use chrono::{Datelike, Duration, NaiveDate};

/// The calendar's settings (`[audit]` in frdesk.toml; see docs/OPERATIONS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarRules {
    /// Day of month M + 1 by which month M's audit is due (1..=28). Default 15.
    pub monthly_due_day: u32,
    /// Days after a quarter ends by which its access review is due. Default 15.
    pub access_review_due_days: u32,
    /// Days before the due date from which the "due soon" reminder is sent. Default 7.
    pub reminder_days_before: u32,
}

impl Default for CalendarRules {
    fn default() -> Self {
        CalendarRules {
            monthly_due_day: 15,
            access_review_due_days: 15,
            reminder_days_before: 7,
        }
    }
}

/// How far back the calendar looks for owed audits (months); older periods are not listed.
pub const LOOKBACK_MONTHS: u32 = 24;

/// Which audit a period is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuditKind {
    /// The monthly audit of user actions (signed off on `/audits/monthly`).
    MonthlyAudit,
    /// The quarterly access review (submitted on `/admin/access-review`).
    AccessReview,
}

impl AuditKind {
    /// Stored in `audit_reminders.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::MonthlyAudit => "monthly_audit",
            AuditKind::AccessReview => "access_review",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            AuditKind::MonthlyAudit => "Monthly audit of user actions",
            AuditKind::AccessReview => "Quarterly access review",
        }
    }
}

/// One period to audit: `label` is `YYYY-MM` or `YYYY-Qn`; `start..end` (end exclusive) the
/// days it covers; `due` the last day to sign it off without being overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub kind: AuditKind,
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub due: NaiveDate,
}

fn first_of(year: i32, month: u32) -> NaiveDate {
    // Months are 1..=12 by construction; the fallback is never taken.
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// Month `year-month`'s audit: due on `monthly_due_day` of the next month.
pub fn month_period(year: i32, month: u32, rules: &CalendarRules) -> Period {
    let (ny, nm) = next_month(year, month);
    let end = first_of(ny, nm);
    let day = rules.monthly_due_day.clamp(1, 28);
    Period {
        kind: AuditKind::MonthlyAudit,
        label: format!("{year:04}-{month:02}"),
        start: first_of(year, month),
        end,
        due: end + Duration::days(i64::from(day) - 1),
    }
}

/// Quarter `q` (1..=4) of `year`'s access review: due `access_review_due_days` after it ends.
pub fn quarter_period(year: i32, q: u32, rules: &CalendarRules) -> Period {
    let first = (q.clamp(1, 4) - 1) * 3 + 1;
    let (ey, em) = if first + 3 > 12 {
        (year + 1, 1)
    } else {
        (year, first + 3)
    };
    let end = first_of(ey, em);
    Period {
        kind: AuditKind::AccessReview,
        label: format!("{year:04}-Q{}", q.clamp(1, 4)),
        start: first_of(year, first),
        end,
        due: end + Duration::days(i64::from(rules.access_review_due_days)),
    }
}

/// The months from `since`'s month (at most [`LOOKBACK_MONTHS`] before `today`) through
/// `today`'s month, oldest first.
pub fn months(since: NaiveDate, today: NaiveDate, rules: &CalendarRules) -> Vec<Period> {
    let floor = today
        .checked_sub_months(chrono::Months::new(LOOKBACK_MONTHS))
        .unwrap_or(today);
    let from = since.max(floor);
    let (mut y, mut m) = (from.year(), from.month());
    let mut out = Vec::new();
    while (y, m) <= (today.year(), today.month()) {
        out.push(month_period(y, m, rules));
        (y, m) = next_month(y, m);
    }
    out
}

/// The quarters from `since`'s quarter (within the look-back) through `today`'s, oldest first.
pub fn quarters(since: NaiveDate, today: NaiveDate, rules: &CalendarRules) -> Vec<Period> {
    let floor = today
        .checked_sub_months(chrono::Months::new(LOOKBACK_MONTHS))
        .unwrap_or(today);
    let from = since.max(floor);
    let q_of = |d: NaiveDate| (d.year(), (d.month() - 1) / 3 + 1);
    let (mut y, mut q) = q_of(from);
    let mut out = Vec::new();
    while (y, q) <= q_of(today) {
        out.push(quarter_period(y, q, rules));
        (y, q) = if q == 4 { (y + 1, 1) } else { (y, q + 1) };
    }
    out
}

/// The quarters still owed, given the dates access reviews were submitted: each review, oldest
/// first, settles the oldest owed quarter that had begun when it was submitted (so a late review
/// settles the late quarter, and the current quarter then needs its own).
pub fn owed_quarters(quarters: Vec<Period>, reviews: &[NaiveDate]) -> Vec<Period> {
    let mut reviews: Vec<NaiveDate> = reviews.to_vec();
    reviews.sort();
    let mut owed: Vec<Period> = Vec::new();
    let mut next = reviews.into_iter().peekable();
    for q in quarters {
        // Reviews before this quarter began that settled nothing are spent on nothing.
        while next.peek().is_some_and(|d| *d < q.start) {
            next.next();
        }
        if next.next().is_none() {
            owed.push(q);
        }
    }
    owed
}

/// Where an owed audit stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Overdue: `weeks` whole weeks since the day after the due date (0 in the first week).
    Overdue { weeks: i64 },
    /// Due within `reminder_days_before` days (or today).
    DueSoon,
    /// Not due for a while.
    Upcoming,
}

/// The stage of an audit due on `due`, on `today`.
pub fn stage(due: NaiveDate, today: NaiveDate, rules: &CalendarRules) -> Stage {
    if today > due {
        Stage::Overdue {
            weeks: (today - due - Duration::days(1)).num_days() / 7,
        }
    } else if (due - today).num_days() <= i64::from(rules.reminder_days_before) {
        Stage::DueSoon
    } else {
        Stage::Upcoming
    }
}

impl Stage {
    /// The reminder of this stage (`audit_reminders.stage`): `due_soon`, `overdue_w<n>` (one a
    /// week), or none while upcoming.
    pub fn reminder_key(self) -> Option<String> {
        match self {
            Stage::Overdue { weeks } => Some(format!("overdue_w{weeks}")),
            Stage::DueSoon => Some("due_soon".into()),
            Stage::Upcoming => None,
        }
    }
    pub fn is_overdue(self) -> bool {
        matches!(self, Stage::Overdue { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn due_dates() {
        let r = CalendarRules::default();
        assert_eq!(month_period(2026, 11, &r).due, d(2026, 12, 15));
        assert_eq!(month_period(2026, 12, &r).due, d(2027, 1, 15));
        assert_eq!(quarter_period(2026, 4, &r).due, d(2027, 1, 16));
        assert_eq!(quarter_period(2026, 1, &r).start, d(2026, 1, 1));
        assert_eq!(quarter_period(2026, 1, &r).end, d(2026, 4, 1));
    }

    #[test]
    fn stages() {
        let r = CalendarRules::default();
        let due = d(2026, 12, 15);
        assert_eq!(stage(due, d(2026, 12, 1), &r), Stage::Upcoming);
        assert_eq!(stage(due, d(2026, 12, 8), &r), Stage::DueSoon);
        assert_eq!(stage(due, d(2026, 12, 15), &r), Stage::DueSoon);
        assert_eq!(stage(due, d(2026, 12, 16), &r), Stage::Overdue { weeks: 0 });
        assert_eq!(stage(due, d(2026, 12, 22), &r), Stage::Overdue { weeks: 0 });
        assert_eq!(stage(due, d(2026, 12, 23), &r), Stage::Overdue { weeks: 1 });
    }

    #[test]
    fn periods_and_owed_quarters() {
        let r = CalendarRules::default();
        let m = months(d(2026, 9, 20), d(2026, 12, 2), &r);
        assert_eq!(
            m.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            ["2026-09", "2026-10", "2026-11", "2026-12"]
        );
        let q = quarters(d(2026, 5, 1), d(2026, 12, 2), &r);
        assert_eq!(q.len(), 3);
        let owed = owed_quarters(q.clone(), &[d(2026, 11, 3)]);
        assert_eq!(
            owed.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            ["2026-Q3", "2026-Q4"]
        );
        let owed = owed_quarters(q, &[d(2026, 6, 1), d(2026, 8, 1), d(2026, 10, 2)]);
        assert!(owed.is_empty());
    }
}
