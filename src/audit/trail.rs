//! The audit trail page's search (issue 16, "Finding and exporting"): the form's fields
//! ([`TrailForm`]) turned into a [`TrailFilter`] with a message beside each field that cannot be
//! used, and the CSV of the records. Dates are whole days in UTC (the service time zone,
//! `service.time_zone`, will replace UTC here once configured).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use crate::audit::Outcome;
use crate::audit::store::{AuditRecord, TrailCase, TrailFilter};
use crate::domain::AgencyId;
use crate::platform::csv::CsvOut;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{cases, packets, probe_searches};

/// Records per page of the audit trail page.
pub const PAGE_SIZE: i64 = 100;
/// Records per chunk of the streamed CSV export.
pub const EXPORT_CHUNK: i64 = 1_000;

/// The filter form as submitted (GET parameters); every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TrailForm {
    pub user: Option<String>,
    pub action: Option<String>,
    pub case: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Keyset paging: show records older than this id.
    pub before: Option<String>,
    /// Keyset paging: show records newer than this id.
    pub after: Option<String>,
}

/// A field that could not be used, with the message shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The input's `name` (`user`, `action`, `case`, `outcome`, `from`, `to`).
    pub field: &'static str,
    pub message: String,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl TrailForm {
    /// The filled-in filter fields as `(name, value)` pairs (page links keep them).
    pub fn kept(&self) -> Vec<(&'static str, String)> {
        [
            ("user", &self.user),
            ("action", &self.action),
            ("case", &self.case),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| (k, v.to_string())))
        .collect()
    }

    /// The typed value of input `name` (empty if none).
    pub fn value(&self, name: &str) -> &str {
        let v = match name {
            "user" => &self.user,
            "action" => &self.action,
            "case" => &self.case,
            "outcome" => &self.outcome,
            "from" => &self.from,
            "to" => &self.to,
            _ => &None,
        };
        v.as_deref().unwrap_or("")
    }

    /// The page asked for (`before` wins over `after`; anything unreadable is the newest page).
    pub fn page(&self) -> crate::audit::store::TrailPage {
        use crate::audit::store::TrailPage;
        let id = |v: &Option<String>| given(v).and_then(|s| s.parse::<i64>().ok());
        match (id(&self.before), id(&self.after)) {
            (Some(b), _) => TrailPage::Before(b),
            (None, Some(a)) => TrailPage::After(a),
            _ => TrailPage::Newest,
        }
    }

    /// Validates the form for a reader confined to `agency` (`None`: every agency). Problems
    /// name the field; a field with a problem is left out of the filter. The dates are whole
    /// local days of the service's time zone (`cal`), daylight saving included.
    ///
    /// Errors: database errors (looking up the case).
    pub fn filter(
        &self,
        conn: &mut DbConnection,
        agency: Option<AgencyId>,
        cal: &crate::domain::business_time::BusinessCalendar,
    ) -> QueryResult<(TrailFilter, Vec<FieldProblem>)> {
        let mut problems = Vec::new();
        let mut problem = |field, message: &str| {
            problems.push(FieldProblem {
                field,
                message: message.to_string(),
            })
        };
        let user_email = given(&self.user).map(str::to_lowercase);
        if user_email.as_deref().is_some_and(|e| !e.contains('@')) {
            problem(
                "user",
                "Enter the user's full e-mail address, e.g. dana.reyes@example.gov.",
            );
        }
        let action = given(&self.action).map(str::to_string);
        if action.as_deref().is_some_and(|a| {
            !a.chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
        }) {
            problem(
                "action",
                "Enter an action as it is written in the trail, e.g. case.view.",
            );
        }
        let outcome = given(&self.outcome).and_then(|o| {
            let known = Outcome::ALL.iter().any(|x| x.as_str() == o);
            if !known {
                problem("outcome", "Choose an outcome from the list.");
            }
            known.then(|| o.to_string())
        });
        let mut date = |field, v: &Option<String>| {
            given(v).and_then(|s| match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    problem(field, "Enter a date as YYYY-MM-DD, e.g. 2026-03-31.");
                    None
                }
            })
        };
        let from = date("from", &self.from);
        let mut to = date("to", &self.to);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            problem("to", "The end date is before the start date.");
            to = None;
        }
        let case = match given(&self.case) {
            None => None,
            Some(c) => {
                let found = find_case(conn, c, agency)?;
                if found.is_none() {
                    problem(
                        "case",
                        if agency.is_some() {
                            "No case of your agency has this number."
                        } else {
                            "No case has this number."
                        },
                    );
                }
                found
            }
        };
        // Local midnight before `from` and after `to`, as UTC instants.
        let start = from
            .and_then(|d| d.pred_opt())
            .map(|d| cal.end_of_local_day(d));
        let end = to.map(|d| cal.end_of_local_day(d));
        Ok((
            TrailFilter {
                agency,
                user_email: user_email.filter(|e| e.contains('@')),
                action: action.filter(|a| {
                    a.chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                }),
                case,
                outcome,
                from: start,
                to: end,
            },
            problems,
        ))
    }
}

/// The case with number `number` (or id, for a draft: digits only), within `agency` if given,
/// with its probe searches and packets.
fn find_case(
    conn: &mut DbConnection,
    number: &str,
    agency: Option<AgencyId>,
) -> QueryResult<Option<TrailCase>> {
    let mut q = cases::table
        .select((cases::id, cases::agency_id))
        .into_boxed();
    q = match number.parse::<i64>() {
        Ok(id) => q.filter(cases::id.eq(id)),
        Err(_) => q.filter(cases::case_number.eq(number.to_uppercase())),
    };
    let Some((id, of)) = q.first::<(i64, i64)>(conn).optional()? else {
        return Ok(None);
    };
    if agency.is_some_and(|a| a.0 != of) {
        return Ok(None);
    }
    let probe_searches: Vec<i64> = probe_searches::table
        .filter(probe_searches::case_id.eq(id))
        .select(probe_searches::id)
        .load(conn)?;
    let packets: Vec<String> = packets::table
        .filter(packets::case_id.eq(id))
        .select(packets::packet_id)
        .load(conn)?;
    Ok(Some(TrailCase {
        case_id: id.to_string(),
        probe_searches: probe_searches.iter().map(i64::to_string).collect(),
        packets,
    }))
}

/// The CSV header of an audit trail export.
pub const CSV_HEADER: [&str; 14] = [
    "id",
    "at_utc",
    "user",
    "role",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "source_ip",
    "user_agent",
    "search_reason",
    "details",
    "hash",
];

/// Appends `records` to `w` as CSV rows (formulas neutralised by [`CsvOut`]).
///
/// Errors: the CSV writer's.
pub fn write_rows(w: &mut CsvOut, records: &[AuditRecord]) -> anyhow::Result<()> {
    for r in records {
        w.row([
            r.id.to_string(),
            r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            r.user_email.clone(),
            r.role.clone(),
            r.agency_id.map(|a| a.to_string()).unwrap_or_default(),
            r.action.clone(),
            r.object_type.clone(),
            r.object_id.clone(),
            r.outcome.clone(),
            r.source_ip.clone(),
            r.user_agent.clone(),
            r.reason_text(),
            r.details_text(),
            r.hash.clone(),
        ])?;
    }
    Ok(())
}

/// What the audit record of a page view or export says about the filter.
pub fn describe(f: &TrailFilter) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "any".into());
    let day = |t: Option<NaiveDateTime>| t.map(|t| t.format("%Y-%m-%d %H:%M").to_string());
    format!(
        "scope {}; user {}; action {}; case {}; outcome {}; from {}; to (excl.) {}",
        f.agency
            .map(|a| format!("agency {}", a.0))
            .unwrap_or_else(|| "all agencies".into()),
        opt(f.user_email.clone()),
        opt(f.action.clone()),
        opt(f.case.as_ref().map(|c| c.case_id.clone())),
        opt(f.outcome.clone()),
        opt(day(f.from)),
        opt(day(f.to)),
    )
}
