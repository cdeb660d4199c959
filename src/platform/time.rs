//! How times are shown: one formatter for pages, mail and PDFs.

use chrono::NaiveDateTime;

/// A date-time as shown to users: UTC, to the second.
pub fn fmt_time(t: &chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The time of day, `HH:MM UTC` (a claim's expiry on the examiners' queue).
pub fn clock(t: &NaiveDateTime) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02} UTC", t.hour(), t.minute())
}

/// Current UTC time without an offset (what the `Timestamp` columns hold), to microseconds.
pub fn now() -> NaiveDateTime {
    let n = chrono::Utc::now().naive_utc();
    n.with_nanosecond_trunc()
}

trait TruncNanos {
    fn with_nanosecond_trunc(self) -> Self;
}
impl TruncNanos for NaiveDateTime {
    fn with_nanosecond_trunc(self) -> Self {
        use chrono::Timelike;
        let micros = self.nanosecond() / 1000 * 1000;
        self.with_nanosecond(micros).unwrap_or(self)
    }
}
/// `YYYY-MM-DD HH:MM UTC` (written out directly: `format` parses its pattern on every call,
/// and the case list prints two of these per row).
pub fn label(t: &NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}
