//! Retention rules (no I/O). LACRIS FR Policy "Data Retention" (audit records and reports five
//! years); LAPD's ALPR order (logical deletion after a period, permanent deletion later, legal
//! holds naming a DR or case number and a reason); NY MPTC §VI (records kept per the agency's
//! retention policy); CJIS AC-2 (idle accounts disabled).

use chrono::{Duration, NaiveDateTime};

/// Audit records are kept at least five years and a day (LACRIS "Data Retention").
pub const MIN_AUDIT_DAYS: u32 = 1827;

/// Logical deletion comes no earlier than two years after a case's last activity (LAPD ALPR
/// order, "Retention and Deletion of ALPR Data": "retained for a period of two years").
pub const MIN_CASE_HIDE_DAYS: u32 = 730;

/// Permanent deletion: "after five years, and 24 hours and one minute" (LAPD ALPR order). The
/// configured `case_purge_days` counts the five years in whole days and must be at least 1827
/// (five calendar years hold at most two leap days, so 1827 days are never less than five
/// years); the 24 hours and one minute of the seed are added by [`RetentionPolicy::purge_before`].
pub const MIN_CASE_PURGE_DAYS: u32 = 1827;

/// What the seed adds to the five years before permanent deletion: 24 hours and one minute.
pub fn purge_grace() -> Duration {
    Duration::hours(24) + Duration::minutes(1)
}

/// The configured periods, in whole days; 0 turns a case or account rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub case_hide_days: u32,
    pub case_purge_days: u32,
    pub audit_days: u32,
    pub account_idle_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            case_hide_days: 730,
            case_purge_days: MIN_CASE_PURGE_DAYS,
            audit_days: MIN_AUDIT_DAYS,
            account_idle_days: 90,
        }
    }
}

impl RetentionPolicy {
    /// Cases whose last activity is before this instant are due for logical deletion.
    pub fn hide_before(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        (self.case_hide_days > 0).then(|| now - Duration::days(i64::from(self.case_hide_days)))
    }
    /// Logically deleted cases whose last activity is before this instant are due for
    /// permanent deletion: a case is purged at the first pass strictly after last activity +
    /// `case_purge_days` days + 24 hours + 1 minute (LAPD ALPR order).
    pub fn purge_before(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        (self.case_purge_days > 0)
            .then(|| now - Duration::days(i64::from(self.case_purge_days)) - purge_grace())
    }
    /// Audit records written before this instant are purged (never fewer than five years).
    pub fn audit_before(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - Duration::days(i64::from(self.audit_days.max(MIN_AUDIT_DAYS)))
    }
    /// Accounts whose last login (or creation, if never used) is before this are disabled.
    pub fn idle_before(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        (self.account_idle_days > 0)
            .then(|| now - Duration::days(i64::from(self.account_idle_days)))
    }
}

/// A reason someone stated (to view a logically deleted case; to request, reject, review or
/// release a legal hold; to deactivate an account): trimmed, 10–1000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedReason(String);

impl StatedReason {
    /// Errors: a message for the field.
    pub fn parse(s: &str) -> Result<StatedReason, String> {
        let t = s.trim();
        let n = t.chars().count();
        if n < 10 {
            Err("State the reason in at least 10 characters.".into())
        } else if n > 1000 {
            Err("Keep the reason under 1000 characters.".into())
        } else {
            Ok(StatedReason(t.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A legal hold as requested (LAPD ALPR order, "Retaining ALPR Data Beyond the Two-Year
/// Logical Deletion Period": the DR or case number, the specific reason, and the
/// investigator's name and contact information).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHoldRequest {
    pub reference: String,
    pub reason: StatedReason,
    /// The investigating officer's name, 2–200 characters.
    pub investigator_name: String,
    /// The investigating officer's phone number (at least 7 digits) or email address.
    pub investigator_contact: String,
}

impl LegalHoldRequest {
    /// Errors: `(field, message)` pairs for `reference`, `reason`, `investigator_name` and
    /// `investigator_contact`.
    pub fn parse(
        reference: &str,
        reason: &str,
        investigator_name: &str,
        investigator_contact: &str,
    ) -> Result<LegalHoldRequest, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let r = reference.trim();
        if r.is_empty() || r.chars().count() > 100 {
            errors.push((
                "reference",
                "Give the case or DR number the hold serves (up to 100 characters).".to_string(),
            ));
        }
        let reason = match StatedReason::parse(reason) {
            Ok(x) => Some(x),
            Err(e) => {
                errors.push(("reason", e));
                None
            }
        };
        let name = investigator_name.trim();
        let n = name.chars().count();
        if !(2..=200).contains(&n) {
            errors.push((
                "investigator_name",
                "Give the investigating officer's name.".to_string(),
            ));
        }
        let contact = investigator_contact.trim();
        if !is_contact(contact) {
            errors.push((
                "investigator_contact",
                "Give the investigator's phone number or email address.".to_string(),
            ));
        }
        match reason {
            Some(reason) if errors.is_empty() => Ok(LegalHoldRequest {
                reference: r.to_string(),
                reason,
                investigator_name: name.to_string(),
                investigator_contact: contact.to_string(),
            }),
            _ => Err(errors),
        }
    }
}

/// A phone number (7–15 digits, with the usual separators) or an email address, up to 200
/// characters.
fn is_contact(s: &str) -> bool {
    if s.is_empty() || s.chars().count() > 200 {
        return false;
    }
    if let Some((local, domain)) = s.split_once('@') {
        return !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(char::is_whitespace);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-().x".contains(c))
}

/// Legal holds are reviewed every two years (LAPD ALPR order: "Every two years, ITB shall
/// verify with the investigating officer if the information is eligible for deletion").
pub const HOLD_REVIEW_MONTHS: u32 = 24;

/// Reminders of a hold review start this many days before it is due.
pub const HOLD_REMINDER_DAYS: i64 = 30;

/// When the next review of a hold is due: two years after `from` (the approval or the last
/// review). A 29 February maps to 28 February.
pub fn hold_review_due(from: NaiveDateTime) -> NaiveDateTime {
    from.checked_add_months(chrono::Months::new(HOLD_REVIEW_MONTHS))
        .unwrap_or(from + Duration::days(730))
}

/// Which review reminder is due for a hold (each is sent once per due date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderStage {
    /// The review is due within [`HOLD_REMINDER_DAYS`].
    DueSoon,
    /// The review date has passed.
    Overdue,
}

impl ReminderStage {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderStage::DueSoon => "due_soon",
            ReminderStage::Overdue => "overdue",
        }
    }
    /// The stage a hold with review due at `due` is in at `now`; `None` more than 30 days
    /// before.
    pub fn at(due: NaiveDateTime, now: NaiveDateTime) -> Option<ReminderStage> {
        if now >= due {
            Some(ReminderStage::Overdue)
        } else if now >= due - Duration::days(HOLD_REMINDER_DAYS) {
            Some(ReminderStage::DueSoon)
        } else {
            None
        }
    }
    /// The reminder to send now, given the stage already reminded for this due date (stored
    /// as [`ReminderStage::as_str`]): `None` when it was already sent.
    pub fn to_send(
        due: NaiveDateTime,
        now: NaiveDateTime,
        sent: Option<&str>,
    ) -> Option<ReminderStage> {
        let stage = ReminderStage::at(due, now)?;
        match (stage, sent) {
            (_, Some("overdue")) => None,
            (ReminderStage::DueSoon, Some("due_soon")) => None,
            _ => Some(stage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let p = RetentionPolicy::default();
        assert_eq!(p.idle_before(now), Some(now - Duration::days(90)));
        let off = RetentionPolicy {
            case_hide_days: 0,
            audit_days: 10,
            ..p
        };
        assert_eq!(off.hide_before(now), None);
        assert_eq!(off.audit_before(now), now - Duration::days(1827));
        assert_eq!(
            p.purge_before(now),
            Some(now - Duration::days(1827) - Duration::minutes(24 * 60 + 1))
        );
    }

    #[test]
    fn reasons_and_holds() {
        assert!(StatedReason::parse("  short ").is_err());
        assert!(StatedReason::parse("Court order 24-1187 disclosure").is_ok());
        let e = LegalHoldRequest::parse("", "x", "", "call me").unwrap_err();
        assert_eq!(e.len(), 4);
        let h = LegalHoldRequest::parse(
            " DR 24-0117 ",
            "Pending prosecution, DA request",
            "Det. Ana Ruiz",
            "(213) 555-0199",
        )
        .unwrap();
        assert_eq!(h.reference, "DR 24-0117");
        assert!(
            LegalHoldRequest::parse("DR 1", "Pending prosecution", "Ana Ruiz", "a.ruiz@pd.gov")
                .is_ok()
        );
        assert!(
            LegalHoldRequest::parse("DR 1", "Pending prosecution", "Ana Ruiz", "ruiz@pd").is_err()
        );
    }

    #[test]
    fn hold_reviews_every_two_years_with_reminders_once_per_stage() {
        let t = |y, m, d| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap()
        };
        assert_eq!(hold_review_due(t(2026, 3, 1)), t(2028, 3, 1));
        assert_eq!(hold_review_due(t(2028, 2, 29)), t(2030, 2, 28));
        let due = t(2028, 3, 1);
        assert_eq!(ReminderStage::to_send(due, t(2028, 1, 15), None), None);
        assert_eq!(
            ReminderStage::to_send(due, t(2028, 2, 10), None),
            Some(ReminderStage::DueSoon)
        );
        assert_eq!(
            ReminderStage::to_send(due, t(2028, 2, 11), Some("due_soon")),
            None
        );
        assert_eq!(
            ReminderStage::to_send(due, t(2028, 3, 2), Some("due_soon")),
            Some(ReminderStage::Overdue)
        );
        assert_eq!(
            ReminderStage::to_send(due, t(2029, 3, 2), Some("overdue")),
            None
        );
    }
}
