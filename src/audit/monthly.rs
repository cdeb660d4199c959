//! Producing and signing off monthly audit reports ([`crate::audit::monthly_report`]): the signed PDF
//! and the CSV, written atomically under `<data_dir>/audit_reports/`, the `audit_reports` row,
//! and the audit record — in one transaction after the files are in place.

use anyhow::Context;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::audit::entry::{Actor, Entry};
use crate::audit::monthly_report::{AuditReportRecord, BadMonth, Month, MonthlyReport};
use crate::config::AuditSettings;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::audit_reports;
use crate::platform::pdf::Signer;
use crate::platform::storage::Storage;
use crate::platform::time::now;

/// Why a report action was refused; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum AuditReportError {
    #[error(transparent)]
    BadMonth(#[from] BadMonth),
    #[error("Write your findings (at least 10 characters) before signing off.")]
    NoFindings,
    #[error("This month's audit of your agency is already signed off.")]
    AlreadySignedOff,
    #[error("That month has not begun yet.")]
    FutureMonth,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The report as a signed PDF and as CSV bytes.
pub fn render(
    report: &MonthlyReport,
    service: &str,
    signer: &Signer,
    signoff: Option<(&str, &str)>,
) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let doc = report.to_document(service, signoff);
    let unsigned = crate::platform::pdf::flow::render_document(&doc)
        .context("Failed to render the audit report")?;
    let pdf = crate::platform::pdf::sign(
        &unsigned,
        signer,
        &format!(
            "{service}: monthly audit of {} for {}",
            report.ori, report.month
        ),
        chrono::Utc::now(),
    )
    .context("Failed to sign the audit report")?;
    let csv = report.to_csv()?;
    Ok((pdf, csv))
}

/// The folder of the desk's file store signed-off reports are kept in
/// (`audit_reports/<ORI>-<month>.pdf|csv`).
pub const REPORTS_FOLDER: &str = "audit_reports/";

/// Everything a sign-off needs from the running desk.
pub struct SignOff<'a> {
    /// The desk's file store.
    pub files: &'a Storage,
    pub service: &'a str,
    pub signer: &'a Signer,
    pub rules: &'a AuditSettings,
}

impl SignOff<'_> {
    /// Signs off the month's audit of `agency_id` by the user (id, name) acting as `actor`,
    /// with `findings`:
    /// builds the report now, renders and signs it with the findings included, stores both files
    /// and records the sign-off. Refuses a second sign-off of the same month.
    pub fn run(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        (user_id, user_name): (i64, &str),
        agency_id: i64,
        month: Month,
        findings: &str,
    ) -> Result<AuditReportRecord, AuditReportError> {
        let findings = crate::domain::request::clean(findings);
        if findings.chars().count() < 10 {
            return Err(AuditReportError::NoFindings);
        }
        if month.start() > now() {
            return Err(AuditReportError::FutureMonth);
        }
        if AuditReportRecord::for_month(conn, agency_id, month)?.is_some() {
            return Err(AuditReportError::AlreadySignedOff);
        }
        let report = MonthlyReport::build(conn, agency_id, month, self.rules)?;
        let (pdf, csv) = render(
            &report,
            self.service,
            self.signer,
            Some((user_name, findings.as_str())),
        )?;
        let stem = format!("{REPORTS_FOLDER}{}-{}", report.ori, month);
        let (pdf_path, csv_path) = (format!("{stem}.pdf"), format!("{stem}.csv"));
        self.files.put(&pdf_path, &pdf)?;
        self.files.put(&csv_path, &csv)?;
        let pdf_sha256 = hex::encode(Sha256::digest(&pdf));
        let csv_sha256 = hex::encode(Sha256::digest(&csv));
        let record = crate::platform::db::write_tx(conn, |conn| -> Result<_, AuditReportError> {
            if AuditReportRecord::for_month(conn, agency_id, month)?.is_some() {
                return Err(AuditReportError::AlreadySignedOff);
            }
            diesel::insert_into(audit_reports::table)
                .values((
                    audit_reports::agency_id.eq(agency_id),
                    audit_reports::month.eq(month.to_string()),
                    audit_reports::findings.eq(&findings),
                    audit_reports::record_count
                        .eq(i32::try_from(report.records.len()).unwrap_or(i32::MAX)),
                    audit_reports::flagged_count
                        .eq(i32::try_from(report.highlights.len()).unwrap_or(i32::MAX)),
                    audit_reports::pdf_path.eq(&pdf_path),
                    audit_reports::pdf_sha256.eq(&pdf_sha256),
                    audit_reports::csv_path.eq(&csv_path),
                    audit_reports::csv_sha256.eq(&csv_sha256),
                    audit_reports::signed_off_by.eq(user_id),
                    audit_reports::signed_off_at.eq(now()),
                ))
                .execute(conn)?;
            let record = AuditReportRecord::for_month(conn, agency_id, month)?
                .ok_or_else(|| anyhow::anyhow!("the sign-off row was not stored"))?;
            crate::audit::entry::record(
                conn,
                actor,
                Entry::new("audit_report.signoff", "audit_report", record.id).details(format!(
                    "{} {}: {} records, {} highlighted; PDF sha256 {pdf_sha256}",
                    report.ori,
                    month,
                    report.records.len(),
                    report.highlights.len()
                )),
            )?;
            Ok(record)
        })?;
        Ok(record)
    }
}
