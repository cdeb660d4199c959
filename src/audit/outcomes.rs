//! The published monthly audit outcomes (issue 14; LACRIS FR Policy "Audits" and
//! "Accountability and Enforcement"): per month, counts only — member agencies whose monthly
//! audit was due, signed off and overdue, audits acted on with a corrective action, and
//! corrective actions by kind. Shown without login at `/transparency/audits` (and CSV), with
//! re-reviews of a random sample of the month's concluded examinations and their outcomes
//! (`crate::audit::rereview`), under the month examined; with the transparency report's small-cell and complementary suppression
//! ([`crate::transparency::suppress`], months as rows, the period's total as the total row).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::store::Agency;
use crate::audit::monthly_report::Month;
use crate::domain::audit_calendar::{CalendarRules, month_period};
use crate::domain::corrective::CorrectiveKind;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{audit_reports, corrective_actions};
use crate::transparency::Cell;

/// The measures, in column order.
pub const MEASURES: [&str; 10] = [
    "Monthly audits due",
    "Signed off",
    "Overdue (past the due date, not signed off)",
    "Audits with a finding acted on (a corrective action recorded)",
    "Corrective actions: re-training",
    "Corrective actions: restricted access",
    "Corrective actions: revoked access",
    "Concluded examinations re-reviewed at random (NY MPTC §VI.C)",
    "Re-reviews consistent with the conclusion",
    "Re-reviews with concerns",
];

/// One month's published cells (`cells` in [`MEASURES`] order).
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeRow {
    /// `YYYY-MM`, or "All months" for the total.
    pub label: String,
    pub cells: Vec<Cell>,
}

/// The outcomes for a range of months, newest first, with the period's total.
#[derive(Debug, Clone, Serialize)]
pub struct AuditOutcomes {
    pub from: String,
    pub to: String,
    pub months: Vec<OutcomeRow>,
    pub total: OutcomeRow,
}

/// Builds the outcomes of the monthly audits of `from..=to` as of `today`. A member agency owes
/// a month's audit when it existed before the month ended; the audit counts as overdue once its
/// due date (`rules`) has passed unsigned. Corrective actions count under the audited month.
///
/// Errors: database errors.
pub fn build(
    conn: &mut DbConnection,
    rules: &CalendarRules,
    from: Month,
    to: Month,
    today: NaiveDate,
) -> QueryResult<AuditOutcomes> {
    let agencies: Vec<Agency> = Agency::all(conn)?
        .into_iter()
        .filter(|a| !a.is_service)
        .collect();
    let mut months = Vec::new();
    let mut m = to;
    loop {
        months.push(m);
        if m <= from {
            break;
        }
        m = m.previous();
    }
    let labels: Vec<String> = months.iter().map(Month::to_string).collect();
    let signed: Vec<(i64, String)> = audit_reports::table
        .filter(audit_reports::month.eq_any(&labels))
        .select((audit_reports::agency_id, audit_reports::month))
        .load(conn)?;
    let actions: Vec<(i64, String, String)> = corrective_actions::table
        .filter(corrective_actions::month.eq_any(&labels))
        .select((
            corrective_actions::audit_report_id,
            corrective_actions::month,
            corrective_actions::kind,
        ))
        .load(conn)?;
    let mut raw: Vec<[u64; 10]> = Vec::new();
    for m in &months {
        let label = m.to_string();
        let start: NaiveDateTime = m.start();
        let period = month_period(start.year(), start.month(), rules);
        let owing: Vec<&Agency> = agencies.iter().filter(|a| a.created_at < m.end()).collect();
        let signed_here: Vec<i64> = signed
            .iter()
            .filter(|(a, mm)| *mm == label && owing.iter().any(|o| o.id == *a))
            .map(|(a, _)| *a)
            .collect();
        let due = owing.len() as u64;
        let signed_n = signed_here.len() as u64;
        let overdue = if today > period.due {
            due.saturating_sub(signed_n)
        } else {
            0
        };
        let mine: Vec<&(i64, String, String)> =
            actions.iter().filter(|(_, mm, _)| *mm == label).collect();
        let mut reports: BTreeMap<i64, ()> = BTreeMap::new();
        for (r, _, _) in &mine {
            reports.insert(*r, ());
        }
        let kind =
            |k: CorrectiveKind| mine.iter().filter(|(_, _, x)| x == k.as_str()).count() as u64;
        let (sampled, consistent, concerns) = crate::audit::rereview::counts_for(conn, &label)?;
        raw.push([
            due,
            signed_n,
            overdue,
            reports.len() as u64,
            kind(CorrectiveKind::Retraining),
            kind(CorrectiveKind::RestrictedAccess),
            kind(CorrectiveKind::Revocation),
            sampled,
            consistent,
            concerns,
        ]);
    }
    let (cells, totals) = crate::transparency::suppress(&raw);
    Ok(AuditOutcomes {
        from: from.to_string(),
        to: to.to_string(),
        months: labels
            .into_iter()
            .zip(cells)
            .map(|(label, cells)| OutcomeRow { label, cells })
            .collect(),
        total: OutcomeRow {
            label: "All months".into(),
            cells: totals,
        },
    })
}

impl AuditOutcomes {
    /// CSV: one row per month and the total, cells as published (formulas neutralised).
    ///
    /// Errors: the CSV writer's.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = crate::platform::csv::CsvOut::new();
        let mut header = vec!["month".to_string()];
        header.extend(MEASURES.iter().map(|s| s.to_string()));
        w.row(&header)?;
        for r in self.months.iter().chain(std::iter::once(&self.total)) {
            let mut rec = vec![r.label.clone()];
            rec.extend(r.cells.iter().map(|c| c.to_string()));
            w.row(&rec)?;
        }
        w.finish()
    }
}
