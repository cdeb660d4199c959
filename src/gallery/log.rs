//! The append-only gallery log (issue 17): every enrollment and removal of a template, with its
//! time, reason, who made it and the photo's source — the booking system and the booking
//! number — so the gallery's state at any past time can be stated to a court
//! (`docs/DISCLOSURE.md`). The templates in the gallery when the log began are one dated
//! `baseline` (migration `2026-12-03-000024_gallery_log`); before that moment the state is
//! reconstructed from enrollment and removal times, and says so.
//!
//! Rows are written in the same transaction as the change they record
//! ([`super::Gallery::enroll`], [`super::Subject::remove`]); the database refuses UPDATE and
//! DELETE on the table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::gallery_log;
use crate::platform::db::DbConnection;

/// A row's action: the templates present when the log began.
pub const BASELINE: &str = "baseline";
/// A row's action: a template enrolled.
pub const ENROLL: &str = "enroll";
/// A row's action: a template removed from search (logical deletion of its subject).
pub const REMOVE: &str = "remove";

/// Who makes a change to the gallery and why (kept on each log row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryChange {
    /// The person or process, e.g. `command line (frdesk gallery enroll)`.
    pub actor: String,
    /// Why, e.g. `new booking` or `record sealed by court order 2026-CR-123`.
    pub reason: String,
}

impl GalleryChange {
    pub fn new(actor: impl Into<String>, reason: impl Into<String>) -> Self {
        GalleryChange {
            actor: actor.into(),
            reason: reason.into(),
        }
    }
}

/// Sources a photo may never come from: California DMV images through Cal-Photo "shall not
/// be saved or downloaded to create a local database or used for facial recognition purposes"
/// (LACRIS policy, citing Cal-Photo CP 7.21). Matched case-insensitively, ignoring spaces,
/// dashes and underscores.
const FORBIDDEN_SOURCES: [&str; 5] = [
    "dmv",
    "calphoto",
    "motorvehicle",
    "driverlicen",
    "driverslicen",
];

/// Why a declared source is refused, or `None` when it may be enrolled.
///
/// Examples: `"DMV"`, `"Cal-Photo"`, `"cal photo (DMV)"` are refused; `"LASD booking system"`
/// is accepted.
pub fn forbidden_source(source: &str) -> Option<String> {
    let folded: String = source
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.' | '\'' | '’'))
        .flat_map(char::to_lowercase)
        .collect();
    FORBIDDEN_SOURCES
        .iter()
        .any(|f| folded.contains(f))
        .then(|| {
            format!(
                "source `{source}` is a DMV/Cal-Photo image: DMV images are never used for face recognition (Cal-Photo CP 7.21, LACRIS policy); not enrolled"
            )
        })
}

/// One row of the log.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = gallery_log)]
pub struct LogEntry {
    pub id: i64,
    pub at: NaiveDateTime,
    /// [`BASELINE`], [`ENROLL`] or [`REMOVE`].
    pub action: String,
    pub template_id: i64,
    pub subject_id: i64,
    pub subject_key: String,
    pub model_id: String,
    pub model_version: String,
    /// SHA-256 (hex) of the photo file (`<sha>:<n>` for the n-th face of a demo group photo).
    pub photo_sha256: String,
    pub booking_number: String,
    /// The system the photo came from (e.g. the county booking system).
    pub source_system: String,
    pub reason: String,
    pub actor: String,
}

/// A row to append.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = gallery_log)]
pub struct NewLogEntry {
    pub at: NaiveDateTime,
    pub action: String,
    pub template_id: i64,
    pub subject_id: i64,
    pub subject_key: String,
    pub model_id: String,
    pub model_version: String,
    pub photo_sha256: String,
    pub booking_number: String,
    pub source_system: String,
    pub reason: String,
    pub actor: String,
}

/// Appends rows (inside the caller's transaction).
pub fn append(conn: &mut DbConnection, rows: &[NewLogEntry]) -> QueryResult<()> {
    // One statement per row: batch inserts do not work over diesel's multi-backend connection.
    for row in rows {
        diesel::insert_into(gallery_log::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// The source system recorded when `template_id` entered the log (its `enroll` or `baseline`
/// row); empty when the log has no such row.
pub fn source_of(conn: &mut DbConnection, template_id: i64) -> QueryResult<String> {
    Ok(gallery_log::table
        .filter(gallery_log::template_id.eq(template_id))
        .filter(gallery_log::action.ne(REMOVE))
        .order(gallery_log::id.asc())
        .select(gallery_log::source_system)
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// The gallery of one model at one moment, from the log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GalleryAt {
    /// Templates searchable at that moment.
    pub templates: i64,
    /// Distinct subjects among them.
    pub subjects: i64,
    /// Templates by source system (`source → count`), sorted by source.
    pub sources: Vec<(String, i64)>,
    /// When the log began (its baseline or first row); `None` when the log is empty.
    pub log_began: Option<NaiveDateTime>,
    /// True when `at` is before the log began: the figures are then not from the log.
    pub before_log: bool,
}

/// The state of the gallery of `model_id`/`model_version` at `at`: every template with a
/// `baseline` or `enroll` row at or before `at` and no `remove` row at or before `at`.
///
/// Errors: database errors.
pub fn state_at(
    conn: &mut DbConnection,
    model_id: &str,
    model_version: &str,
    at: NaiveDateTime,
) -> QueryResult<GalleryAt> {
    let log_began: Option<NaiveDateTime> = gallery_log::table
        .select(diesel::dsl::min(gallery_log::at))
        .first(conn)?;
    let rows: Vec<(String, i64, i64, String)> = gallery_log::table
        .filter(gallery_log::model_id.eq(model_id))
        .filter(gallery_log::model_version.eq(model_version))
        .filter(gallery_log::at.le(at))
        .order(gallery_log::id.asc())
        .select((
            gallery_log::action,
            gallery_log::template_id,
            gallery_log::subject_id,
            gallery_log::source_system,
        ))
        .load(conn)?;
    let mut live: std::collections::BTreeMap<i64, (i64, String)> = Default::default();
    for (action, template, subject, source) in rows {
        if action == REMOVE {
            live.remove(&template);
        } else {
            live.insert(template, (subject, source));
        }
    }
    let mut subjects: Vec<i64> = live.values().map(|(s, _)| *s).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let mut sources: std::collections::BTreeMap<String, i64> = Default::default();
    for (_, source) in live.values() {
        *sources.entry(source.clone()).or_default() += 1;
    }
    Ok(GalleryAt {
        templates: live.len() as i64,
        subjects: subjects.len() as i64,
        sources: sources.into_iter().collect(),
        log_began,
        before_log: log_began.is_none_or(|b| at < b),
    })
}

/// The log rows of one subject, oldest first (what a court may ask about one candidate).
pub fn of_subject(conn: &mut DbConnection, subject_id: i64) -> QueryResult<Vec<LogEntry>> {
    gallery_log::table
        .filter(gallery_log::subject_id.eq(subject_id))
        .order(gallery_log::id.asc())
        .select(LogEntry::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmv_and_cal_photo_sources_are_refused_and_booking_systems_are_not() {
        for s in [
            "DMV",
            "Cal-Photo",
            "cal photo",
            "CALPHOTO export",
            "Dept. of Motor Vehicles",
            "driver licence photos",
            "Driver's license",
        ] {
            assert!(forbidden_source(s).is_some(), "{s} must be refused");
        }
        assert!(forbidden_source("LASD booking system").is_none());
        assert!(forbidden_source("demo gallery").is_none());
    }
}
