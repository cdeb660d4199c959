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

/// A reason someone stated (to view a logically deleted case, place or lift a legal hold,
/// deactivate an account): trimmed, 10–1000 characters.
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

/// A legal hold as requested: the case or DR number it serves and why (LAPD ALPR order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHoldRequest {
    pub reference: String,
    pub reason: StatedReason,
}

impl LegalHoldRequest {
    /// Errors: `(field, message)` pairs for `reference` and `reason`.
    pub fn parse(
        reference: &str,
        reason: &str,
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
        match reason {
            Some(reason) if errors.is_empty() => Ok(LegalHoldRequest {
                reference: r.to_string(),
                reason,
            }),
            _ => Err(errors),
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
        let e = LegalHoldRequest::parse("", "x").unwrap_err();
        assert_eq!(e.len(), 2);
        let h = LegalHoldRequest::parse(" DR 24-0117 ", "Pending prosecution, DA request").unwrap();
        assert_eq!(h.reference, "DR 24-0117");
    }
}
