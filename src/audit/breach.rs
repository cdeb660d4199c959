//! What a security breach may have exposed, read from the audit trail (LAPD ALPR order "Data
//! Security & Security Breach of Notification": disclose a breach immediately to the California
//! Attorney General; forms under Civil Code §§ 1798.29(e) and 1798.82(f) when 500 or more
//! persons may be affected). `frdesk audit breach-scope` writes the records and this summary
//! for the people who must decide and notify; the procedure is in `docs/OPERATIONS.md`.
//!
//! The scope is an upper bound built only from successful actions (a denied action exposed
//! nothing): every case whose record, probe image, packet or candidate list was read or written
//! in the window, and every gallery subject whose booking photo was opened. Each probe image of
//! such a case counts as one person who may be affected (a probe shows an unknown person; two
//! probes of one person are not merged), each subject viewed as one more.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::store::AuditRecord;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{
    agencies, audit_records, case_images, cases, packets, probe_searches,
};

/// Persons affected from which the Attorney General's breach forms are required (Civil Code
/// §§ 1798.29(e), 1798.82(f), as cited by the LAPD ALPR order).
pub const ATTORNEY_GENERAL_FORM_THRESHOLD: usize = 500;

/// The window to examine: audit records with `from <= at < to` (UTC), optionally of one account
/// (the compromised one).
#[derive(Debug, Clone)]
pub struct BreachWindow {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub user_id: Option<i64>,
}

/// One case whose data was reached in the window.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseReached {
    pub case_id: i64,
    pub case_number: String,
    pub agency_ori: String,
    pub agency_name: String,
    /// Distinct probe images (SHA-256) the case holds.
    pub probe_images: usize,
}

/// One agency to tell: its cases reached and its local administrators' addresses.
#[derive(Debug, Clone, Serialize)]
pub struct AgencyToTell {
    pub ori: String,
    pub name: String,
    pub cases: usize,
    pub local_admins: Vec<String>,
}

/// The summary `frdesk audit breach-scope` prints and writes as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct BreachScope {
    pub from: String,
    pub to: String,
    /// The account examined, if the scope is limited to one.
    pub account: Option<String>,
    /// Audit records in the window (all outcomes; they are in the CSV).
    pub records: usize,
    pub cases: Vec<CaseReached>,
    /// Gallery subject keys whose booking photo was opened.
    pub subjects_viewed: Vec<String>,
    pub agencies: Vec<AgencyToTell>,
    /// Upper bound: probe images of the cases reached plus subjects viewed.
    pub persons_potentially_affected: usize,
    /// Whether the count reaches [`ATTORNEY_GENERAL_FORM_THRESHOLD`].
    pub attorney_general_form_required: bool,
}

/// The case id an audit record's object belongs to, if any.
fn case_of(conn: &mut DbConnection, r: &AuditRecord) -> QueryResult<Option<i64>> {
    Ok(match r.object_type.as_str() {
        "case" => r.object_id.parse().ok(),
        "probe_search" => match r.object_id.parse::<i64>() {
            Ok(id) => probe_searches::table
                .find(id)
                .select(probe_searches::case_id)
                .first(conn)
                .optional()?,
            Err(_) => None,
        },
        "packet" => packets::table
            .filter(packets::packet_id.eq(&r.object_id))
            .select(packets::case_id)
            .first(conn)
            .optional()?,
        // Image records name the case in their details ("case N").
        "image" => r
            .details
            .as_deref()
            .and_then(|d| d.strip_prefix("case "))
            .and_then(|d| d.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok()),
        _ => None,
    })
}

/// Reads the window's audit records (oldest first) and works out what they reached.
///
/// Errors: database errors only.
pub fn scope(
    conn: &mut DbConnection,
    window: &BreachWindow,
    account: Option<String>,
) -> QueryResult<(BreachScope, Vec<AuditRecord>)> {
    let mut q = audit_records::table
        .filter(audit_records::at.ge(window.from))
        .filter(audit_records::at.lt(window.to))
        .into_boxed();
    if let Some(u) = window.user_id {
        q = q.filter(audit_records::user_id.eq(u));
    }
    let records: Vec<AuditRecord> = q
        .order(audit_records::id.asc())
        .select(AuditRecord::as_select())
        .load(conn)?;

    let mut case_ids = BTreeSet::new();
    let mut subjects = BTreeSet::new();
    for r in records.iter().filter(|r| r.outcome == "success") {
        if r.object_type == "subject" && r.action == "subject.view" {
            subjects.insert(r.object_id.clone());
        } else if let Some(id) = case_of(conn, r)? {
            case_ids.insert(id);
        }
    }

    let mut cases_reached = Vec::new();
    let mut by_agency: BTreeMap<i64, (String, String, usize)> = BTreeMap::new();
    let mut probe_total = 0usize;
    for id in case_ids {
        let Some((agency_id, number)) = cases::table
            .find(id)
            .select((cases::agency_id, cases::case_number))
            .first::<(i64, Option<String>)>(conn)
            .optional()?
        else {
            continue;
        };
        let (ori, name): (String, String) = agencies::table
            .find(agency_id)
            .select((agencies::ori, agencies::name))
            .first(conn)?;
        let shas: BTreeSet<String> = case_images::table
            .filter(case_images::case_id.eq(id))
            .select(case_images::sha256)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        probe_total += shas.len();
        by_agency
            .entry(agency_id)
            .or_insert_with(|| (ori.clone(), name.clone(), 0))
            .2 += 1;
        cases_reached.push(CaseReached {
            case_id: id,
            case_number: number.unwrap_or_else(|| format!("draft {id}")),
            agency_ori: ori,
            agency_name: name,
            probe_images: shas.len(),
        });
    }
    let mut agencies_out = Vec::new();
    for (agency_id, (ori, name, n)) in by_agency {
        let admins = crate::accounts::store::User::local_admins_of(
            conn,
            crate::domain::AgencyId(agency_id),
        )?;
        agencies_out.push(AgencyToTell {
            ori,
            name,
            cases: n,
            local_admins: admins.into_iter().map(|u| u.email).collect(),
        });
    }
    let persons = probe_total + subjects.len();
    Ok((
        BreachScope {
            from: crate::platform::time::fmt_time(&window.from),
            to: crate::platform::time::fmt_time(&window.to),
            account,
            records: records.len(),
            cases: cases_reached,
            subjects_viewed: subjects.into_iter().collect(),
            agencies: agencies_out,
            persons_potentially_affected: persons,
            attorney_general_form_required: persons >= ATTORNEY_GENERAL_FORM_THRESHOLD,
        },
        records,
    ))
}

/// The window's audit records as CSV (formula-like cells neutralised), oldest first.
///
/// Errors: CSV writing only.
pub fn records_csv(records: &[AuditRecord]) -> anyhow::Result<Vec<u8>> {
    let mut out = crate::platform::csv::CsvOut::new();
    out.row([
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
        "search_reason",
        "details",
    ])?;
    for r in records {
        out.row([
            r.id.to_string(),
            crate::platform::time::fmt_time(&r.at),
            r.user_email.clone(),
            r.role.clone(),
            r.agency_id.map(|a| a.to_string()).unwrap_or_default(),
            r.action.clone(),
            r.object_type.clone(),
            r.object_id.clone(),
            r.outcome.clone(),
            r.source_ip.clone(),
            r.reason_text(),
            r.details_text(),
        ])?;
    }
    out.finish()
}
