//! The monthly audit report (LACRIS "Audits": each agency's local administrator audits its
//! users' use of the system monthly; LACRIS reviews those audits). One agency, one calendar
//! month (UTC): every audit record of the agency's users, a per-user summary (logins, failed
//! logins, cases viewed, subjects viewed, searches), the searches run for the agency's cases with
//! their stated reasons, and highlights — refused or failed actions, flagged search reasons,
//! after-hours activity, unusual volumes and examiner actions by users without current training.
//! Rendered as a signed PDF (the packet signer) and as CSV; the rules are in docs/AUDIT.md.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::store::{Agency, User};
use crate::audit::store::AuditRecord;
use crate::config::AuditSettings;
use crate::domain::examination::may_examine;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{audit_records, audit_reports, cases, probe_searches, users};
use crate::platform::pdf::flow::{Block, PlainDocument};

/// A calendar month, parsed from `YYYY-MM` (years 2000–2999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Month {
    year: i32,
    month: u32,
}

/// Why a month did not parse; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Give the month as YYYY-MM, e.g. 2026-11.")]
pub struct BadMonth;

impl Month {
    pub fn parse(s: &str) -> Result<Month, BadMonth> {
        let s = s.trim();
        let (y, m) = s.split_once('-').ok_or(BadMonth)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(BadMonth);
        }
        let year: i32 = y.parse().map_err(|_| BadMonth)?;
        let month: u32 = m.parse().map_err(|_| BadMonth)?;
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(BadMonth);
        }
        Ok(Month { year, month })
    }

    /// The month containing `t`.
    pub fn of(t: NaiveDateTime) -> Month {
        Month {
            year: t.year(),
            month: t.month(),
        }
    }

    /// The month before this one.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// First instant of the month (UTC).
    pub fn start(self) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    }

    /// First instant of the next month (exclusive end).
    pub fn end(self) -> NaiveDateTime {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        Month { year: y, month: m }.start()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One user's month.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserSummary {
    pub user_id: Option<i64>,
    pub email: String,
    pub name: String,
    pub roles: String,
    pub training: String,
    pub logins: usize,
    pub failed_logins: usize,
    pub cases_viewed: usize,
    pub subjects_viewed: usize,
    pub searches: usize,
    pub after_hours: usize,
    pub refused: usize,
    pub actions: usize,
    /// Why this user is highlighted (empty: nothing to look at).
    pub flags: Vec<String>,
}

/// A search run for one of the agency's cases, with its stated reason.
#[derive(Debug, Clone, Serialize)]
pub struct SearchLine {
    pub case_number: String,
    pub searched_at: NaiveDateTime,
    pub search_reason: String,
    pub reason_verdict: String,
    pub requester: String,
}

/// One highlighted audit record or search.
#[derive(Debug, Clone, Serialize)]
pub struct Highlight {
    pub at: NaiveDateTime,
    pub who: String,
    pub what: String,
    pub why: String,
    /// Audit record id, when the highlight is one.
    pub record_id: Option<i64>,
}

/// The whole report; [`MonthlyReport::build`] makes it.
#[derive(Debug, Clone, Serialize)]
pub struct MonthlyReport {
    pub agency_id: i64,
    pub agency_name: String,
    pub ori: String,
    pub month: Month,
    pub generated_at: NaiveDateTime,
    pub users: Vec<UserSummary>,
    pub searches: Vec<SearchLine>,
    pub highlights: Vec<Highlight>,
    /// Every audit record of the month attributed to the agency, oldest first.
    #[serde(skip)]
    pub records: Vec<AuditRecord>,
    /// Per record id, why it is highlighted (for the CSV).
    #[serde(skip)]
    pub record_flags: BTreeMap<i64, Vec<String>>,
    /// The volume threshold applied (actions of interest per user).
    pub volume_threshold: usize,
    /// Turnaround of the agency's cases' stages finished this month (issue 16): median and
    /// 90th percentile in business hours of `service.time_zone`, pauses excluded.
    #[serde(skip)]
    pub turnaround: Vec<crate::clocks::figures::Turnaround>,
    /// The highlight rules in words (printed with the report).
    pub rules_text: String,
}

/// (case number, searched at, search reason, reason verdict, requester id).
type SearchRow = (Option<String>, Option<NaiveDateTime>, String, String, i64);

impl AuditRecord {
    /// Audit records attributed to `agency_id` with `from <= at < to`, oldest first.
    pub fn for_agency_between(
        conn: &mut DbConnection,
        agency_id: i64,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> QueryResult<Vec<AuditRecord>> {
        audit_records::table
            .filter(audit_records::agency_id.eq(agency_id))
            .filter(audit_records::at.ge(from))
            .filter(audit_records::at.lt(to))
            .order(audit_records::id.asc())
            .select(AuditRecord::as_select())
            .load(conn)
    }
}

fn is_after_hours(at: NaiveDateTime, rules: &AuditSettings) -> bool {
    let local = rules.service_calendar.local(at);
    let weekend = matches!(local.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
    weekend || local.hour() < rules.business_start_hour || local.hour() >= rules.business_end_hour
}

fn is_examiner_action(action: &str) -> bool {
    action.starts_with("examine.") || action == "subject.view"
}

impl MonthlyReport {
    /// Builds the report of `agency_id` for `month` from the audit trail and the case tables.
    /// Errors: database errors only.
    pub fn build(
        conn: &mut DbConnection,
        agency_id: i64,
        month: Month,
        rules: &AuditSettings,
    ) -> anyhow::Result<MonthlyReport> {
        let agency = Agency::find(conn, crate::domain::AgencyId(agency_id))?;
        let (from, to) = (month.start(), month.end());
        let records = AuditRecord::for_agency_between(conn, agency_id, from, to)?;
        let agency_users: Vec<User> = users::table
            .filter(users::agency_id.eq(agency_id))
            .select(User::as_select())
            .load(conn)?;
        let today = crate::platform::time::now().date();
        let ids: Vec<i64> = agency_users.iter().map(|u| u.id).collect();
        let training = crate::accounts::training::records_by_user(conn, &ids)?;
        let records_of = |id: i64| training.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let mut by_user: BTreeMap<String, UserSummary> = BTreeMap::new();
        for u in &agency_users {
            by_user.insert(
                u.email.clone(),
                UserSummary {
                    user_id: Some(u.id),
                    email: u.email.clone(),
                    name: u.name.clone(),
                    roles: u.roles.clone(),
                    training: crate::domain::training::summary(records_of(u.id)),
                    ..UserSummary::default()
                },
            );
        }
        let trained: BTreeMap<i64, bool> = agency_users
            .iter()
            .map(|u| {
                (
                    u.id,
                    may_examine(&u.roles_in(&agency), records_of(u.id), today).is_ok(),
                )
            })
            .collect();
        let mut record_flags: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let mut highlights = Vec::new();
        for r in &records {
            let s = by_user
                .entry(r.user_email.clone())
                .or_insert_with(|| UserSummary {
                    user_id: r.user_id,
                    email: r.user_email.clone(),
                    name: "(not a user of this agency)".into(),
                    ..UserSummary::default()
                });
            s.actions += 1;
            let mut why = Vec::new();
            match (r.action.as_str(), r.outcome.as_str()) {
                ("auth.login", "success") => s.logins += 1,
                ("auth.login", _) => {
                    s.failed_logins += 1;
                    why.push("failed login".to_string());
                }
                ("case.view" | "case.view_retained", "success") => s.cases_viewed += 1,
                ("subject.view", "success") => s.subjects_viewed += 1,
                ("request.submit" | "search.run" | "history.search", "success") => s.searches += 1,
                _ => {}
            }
            if r.outcome == "denied" {
                s.refused += 1;
                why.push(format!(
                    "refused{}",
                    r.details
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ));
            } else if r.outcome == "failed" && r.action != "auth.login" {
                why.push("failed".into());
            }
            if is_after_hours(r.at, rules) {
                s.after_hours += 1;
                why.push("after hours".into());
            }
            if is_examiner_action(&r.action)
                && r.outcome == "success"
                && r.user_id
                    .is_some_and(|id| !trained.get(&id).copied().unwrap_or(false))
            {
                why.push("examiner action without current training on record".into());
            }
            if !why.is_empty() {
                highlights.push(Highlight {
                    at: r.at,
                    who: r.user_email.clone(),
                    what: format!("{} {} {}", r.action, r.object_type, r.object_id),
                    why: why.join("; "),
                    record_id: Some(r.id),
                });
                record_flags.insert(r.id, why);
            }
        }

        // Searches run for the agency's cases this month, with their stated reasons.
        let rows: Vec<SearchRow> = probe_searches::table
            .inner_join(cases::table.on(cases::id.eq(probe_searches::case_id)))
            .filter(cases::agency_id.eq(agency_id))
            .filter(probe_searches::searched_at.ge(from))
            .filter(probe_searches::searched_at.lt(to))
            .order(probe_searches::searched_at.asc())
            .select((
                cases::case_number,
                probe_searches::searched_at,
                cases::search_reason,
                cases::reason_verdict,
                cases::requester_id,
            ))
            .load(conn)?;
        let mut searches = Vec::new();
        for (number, at, reason, verdict, requester_id) in rows {
            let requester = agency_users
                .iter()
                .find(|u| u.id == requester_id)
                .map(|u| u.email.clone())
                .unwrap_or_else(|| format!("user {requester_id}"));
            let at = at.unwrap_or(from);
            let number = number.unwrap_or_else(|| "(no number)".into());
            if !verdict.is_empty() && verdict != "compliant" {
                highlights.push(Highlight {
                    at,
                    who: requester.clone(),
                    what: format!("search for case {number}: \u{201c}{reason}\u{201d}"),
                    why: format!(
                        "search reason flagged by the compliance rules ({})",
                        verdict.replace('_', " ")
                    ),
                    record_id: None,
                });
            }
            searches.push(SearchLine {
                case_number: number,
                searched_at: at,
                search_reason: reason,
                reason_verdict: verdict,
                requester,
            });
        }

        // Unusual volume: above max(floor, factor x median of active users).
        let mut volumes: Vec<usize> = by_user
            .values()
            .filter(|s| s.actions > 0)
            .map(|s| s.cases_viewed + s.subjects_viewed + s.searches)
            .collect();
        volumes.sort_unstable();
        // The lower median: with few active users it stays low, so one heavy user stands out.
        let median = volumes
            .get(volumes.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or(0);
        let threshold = (rules.volume_floor as usize)
            .max((median as f64 * rules.volume_factor).ceil() as usize);
        let mut users: Vec<UserSummary> = by_user.into_values().collect();
        for s in &mut users {
            let volume = s.cases_viewed + s.subjects_viewed + s.searches;
            if volume > threshold {
                s.flags.push(format!(
                    "unusual volume: {volume} case/subject views and searches (threshold {threshold})"
                ));
            }
            if s.failed_logins > 0 {
                s.flags.push(format!("{} failed login(s)", s.failed_logins));
            }
            if s.refused > 0 {
                s.flags.push(format!("{} refused action(s)", s.refused));
            }
            if s.after_hours > 0 {
                s.flags
                    .push(format!("{} action(s) after hours", s.after_hours));
            }
        }
        highlights.sort_by_key(|h| h.at);
        let turnaround = crate::clocks::figures::turnaround(
            conn,
            &rules.service_calendar,
            from,
            to,
            Some(agency_id),
        )?;
        Ok(MonthlyReport {
            agency_id,
            agency_name: agency.name,
            ori: agency.ori,
            month,
            generated_at: crate::platform::time::now(),
            users,
            searches,
            highlights,
            records,
            record_flags,
            volume_threshold: threshold,
            turnaround,
            rules_text: format!(
                "After hours = outside {:02}:00-{:02}:00 local time ({}) or a \
                 weekend. Unusual volume = more than {threshold} case views, subject views and \
                 searches in the month (the larger of {} and {} x the agency's median). Examiner \
                 training is as on record when the report was generated.",
                rules.business_start_hour,
                rules.business_end_hour,
                rules.service_calendar.zone.name(),
                rules.volume_floor,
                rules.volume_factor
            ),
        })
    }

    /// One CSV row per audit record (oldest first) with its highlight reasons; UTF-8, header row;
    /// formulas neutralised ([`crate::platform::csv`]).
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = crate::platform::csv::CsvOut::new();
        w.row([
            "record_id",
            "at_utc",
            "user",
            "role",
            "action",
            "object_type",
            "object_id",
            "outcome",
            "source_ip",
            "search_reason",
            "details",
            "highlighted_because",
        ])?;
        for r in &self.records {
            let flags = self
                .record_flags
                .get(&r.id)
                .map(|f| f.join("; "))
                .unwrap_or_default();
            w.row([
                r.id.to_string(),
                r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                r.user_email.clone(),
                r.role.clone(),
                r.action.clone(),
                r.object_type.clone(),
                r.object_id.clone(),
                r.outcome.clone(),
                r.source_ip.clone(),
                r.search_reason.clone().unwrap_or_default(),
                r.details.clone().unwrap_or_default(),
                flags,
            ])?;
        }
        w.finish()
    }

    /// The report as a document for [`crate::platform::pdf::flow::render_document`]. `signoff` is the local
    /// administrator's name and findings when the report is being signed off.
    pub fn to_document(&self, service: &str, signoff: Option<(&str, &str)>) -> PlainDocument {
        let t = |t: &NaiveDateTime| crate::platform::time::fmt_time(t);
        let mut b =
            vec![
            Block::Title(format!("Monthly audit — {} — {}", self.agency_name, self.month)),
            Block::Field("Agency".into(), format!("{} ({})", self.agency_name, self.ori)),
            Block::Field(
                "Period".into(),
                format!("{} to {} (UTC)", t(&self.month.start()), t(&self.month.end())),
            ),
            Block::Field("Generated".into(), t(&self.generated_at)),
            Block::Field("Audit records".into(), self.records.len().to_string()),
            Block::Field("Highlights".into(), self.highlights.len().to_string()),
            Block::Paragraph(
                "LACRIS policy, \u{201c}Audits\u{201d}: the agency's local administrator audits \
                 its users' use of the system every month; the results are kept five years and \
                 reviewed by LACRIS. Highlights are prompts for the auditor, not findings."
                    .into(),
            ),
            Block::Heading("Users".into()),
        ];
        for u in &self.users {
            b.push(Block::Strong(format!(
                "{} <{}> — {}",
                u.name,
                u.email,
                if u.roles.is_empty() { "-" } else { &u.roles }
            )));
            b.push(Block::Paragraph(format!(
                "Logins {}, failed logins {}, cases viewed {}, subjects viewed {}, searches {}, \
                 actions after hours {}, refused {}, all actions {}. Training: {}.",
                u.logins,
                u.failed_logins,
                u.cases_viewed,
                u.subjects_viewed,
                u.searches,
                u.after_hours,
                u.refused,
                u.actions,
                if u.training.is_empty() {
                    "-"
                } else {
                    &u.training
                }
            )));
            for f in &u.flags {
                b.push(Block::Strong(format!("Highlighted: {f}")));
            }
        }
        b.push(Block::Heading("Searches and their stated reasons".into()));
        if self.searches.is_empty() {
            b.push(Block::Paragraph(
                "No search was run for this agency this month.".into(),
            ));
        }
        for s in &self.searches {
            b.push(Block::Field(
                format!("{} · {}", s.case_number, t(&s.searched_at)),
                format!(
                    "{} — reason: {} ({})",
                    s.requester,
                    s.search_reason,
                    if s.reason_verdict.is_empty() {
                        "not checked".to_string()
                    } else {
                        s.reason_verdict.replace('_', " ")
                    }
                ),
            ));
        }
        b.push(Block::Heading("Turnaround of this agency's cases".into()));
        if self.turnaround.is_empty() {
            b.push(Block::Paragraph(
                "No stage of this agency's cases finished this month.".into(),
            ));
        }
        for t in &self.turnaround {
            b.push(Block::Field(
                t.stage.label().into(),
                format!(
                    "{} finished; median {} business hours, 90th percentile {} business hours",
                    t.count,
                    crate::clocks::chart::fmt(t.median_hours),
                    crate::clocks::chart::fmt(t.p90_hours)
                ),
            ));
        }
        b.push(Block::Heading("Highlights".into()));
        if self.highlights.is_empty() {
            b.push(Block::Paragraph("Nothing was highlighted.".into()));
        }
        for h in &self.highlights {
            b.push(Block::Field(
                t(&h.at),
                format!("{} — {} — {}", h.who, h.what, h.why),
            ));
        }
        b.push(Block::Small(format!("Rules: {}", self.rules_text)));
        if let Some((name, findings)) = signoff {
            b.push(Block::Heading(
                "Local administrator's findings and sign-off".into(),
            ));
            b.push(Block::Paragraph(findings.to_string()));
            b.push(Block::Field("Signed off by".into(), name.to_string()));
        }
        PlainDocument {
            title: format!("Monthly audit {} {}", self.ori, self.month),
            banner: "LAW ENFORCEMENT SENSITIVE — MONTHLY AUDIT RECORD".into(),
            header_left: service.to_string(),
            header_right: format!("{} · {}", self.ori, self.month),
            footer_left: format!("Audit report {} {}", self.ori, self.month),
            author: service.to_string(),
            blocks: b,
        }
    }
}

/// A stored sign-off (`audit_reports` row).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = audit_reports)]
pub struct AuditReportRecord {
    pub id: i64,
    pub agency_id: i64,
    pub month: String,
    pub findings: String,
    pub record_count: i32,
    pub flagged_count: i32,
    pub pdf_path: String,
    pub pdf_sha256: String,
    pub csv_path: String,
    pub csv_sha256: String,
    pub signed_off_by: i64,
    pub signed_off_at: NaiveDateTime,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
}

impl AuditReportRecord {
    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<AuditReportRecord>> {
        audit_reports::table
            .find(id)
            .select(AuditReportRecord::as_select())
            .first(conn)
            .optional()
    }

    pub fn for_month(
        conn: &mut DbConnection,
        agency_id: i64,
        month: Month,
    ) -> QueryResult<Option<AuditReportRecord>> {
        audit_reports::table
            .filter(audit_reports::agency_id.eq(agency_id))
            .filter(audit_reports::month.eq(month.to_string()))
            .select(AuditReportRecord::as_select())
            .first(conn)
            .optional()
    }

    /// Every sign-off of `month` (all agencies).
    pub fn all_for_month(
        conn: &mut DbConnection,
        month: Month,
    ) -> QueryResult<Vec<AuditReportRecord>> {
        audit_reports::table
            .filter(audit_reports::month.eq(month.to_string()))
            .select(AuditReportRecord::as_select())
            .load(conn)
    }

    /// Sign-offs recorded before `cutoff` (due for purge after the retention period).
    pub fn signed_off_before(
        conn: &mut DbConnection,
        cutoff: NaiveDateTime,
    ) -> QueryResult<Vec<AuditReportRecord>> {
        audit_reports::table
            .filter(audit_reports::signed_off_at.lt(cutoff))
            .select(AuditReportRecord::as_select())
            .load(conn)
    }

    /// Deletes a sign-off row (retention purge only; its files are removed by the caller).
    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(audit_reports::table.filter(audit_reports::id.eq(id))).execute(conn)
    }

    /// Marks a sign-off reviewed by service staff; `false` when it already was.
    pub fn mark_reviewed(
        conn: &mut DbConnection,
        id: i64,
        reviewer: i64,
        note: &str,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            audit_reports::table
                .filter(audit_reports::id.eq(id))
                .filter(audit_reports::reviewed_at.is_null()),
        )
        .set((
            audit_reports::reviewed_by.eq(Some(reviewer)),
            audit_reports::reviewed_at.eq(Some(crate::platform::time::now())),
            audit_reports::review_note.eq(Some(note)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_strictly() {
        let m = Month::parse("2026-02").unwrap_or_else(|_| panic!("valid"));
        assert_eq!(m.to_string(), "2026-02");
        assert_eq!(
            m.end(),
            Month::parse("2026-03")
                .map(|m| m.start())
                .unwrap_or_default()
        );
        assert_eq!(
            Month::parse("2026-12").map(|m| m.end().to_string()),
            Ok("2027-01-01 00:00:00".into())
        );
        for bad in [
            "2026-13", "2026-1", "26-01", "2026/01", "", "abcd-ef", "1999-01",
        ] {
            assert_eq!(Month::parse(bad), Err(BadMonth), "{bad}");
        }
        assert_eq!(
            Month::parse("2026-01").map(|m| m.previous().to_string()),
            Ok("2025-12".into())
        );
    }

    #[test]
    fn after_hours_uses_the_local_offset_and_weekends() {
        let rules = AuditSettings {
            business_start_hour: 7,
            business_end_hour: 19,
            service_calendar: crate::domain::business_time::BusinessCalendar {
                zone: chrono_tz::America::Los_Angeles,
                ..Default::default()
            },
            volume_floor: 50,
            volume_factor: 3.0,
            monthly_due_day: 15,
            access_review_due_days: 15,
            reminder_days_before: 7,
            rereview_sample_percent: 10,
        };
        let at = |s: &str| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_else(|_| panic!("{s}"))
        };
        // Monday 2026-11-16: 18:00 UTC = 10:00 Pacific (business); 04:00 UTC = 20:00 Sunday.
        // In summer (daylight saving) 14:30 UTC is 07:30 PDT: business; in winter 06:30 PST.
        assert!(!is_after_hours(at("2026-07-15 14:30"), &rules));
        assert!(is_after_hours(at("2026-11-18 14:30"), &rules));
        assert!(!is_after_hours(at("2026-11-16 18:00"), &rules));
        assert!(is_after_hours(at("2026-11-17 04:00"), &rules));
        assert!(is_after_hours(at("2026-11-16 14:59"), &rules)); // 06:59 local
        assert!(!is_after_hours(at("2026-11-16 15:00"), &rules)); // 07:00 local
        assert!(is_after_hours(at("2026-11-21 18:00"), &rules)); // Saturday
    }
}
