//! `frdesk audit verify [--json]`: walks the audit trail's hash chain. Exit code 0 when intact;
//! 1 naming the first record that was altered, removed or inserted. The result is itself an
//! audit record. `frdesk audit report --agency ORI --month YYYY-MM --out DIR` writes one
//! agency's monthly audit report (signed PDF and CSV).

use std::process::ExitCode;

use clap::Subcommand;

use crate::audit::{self, Actor, Entry, Outcome};
use crate::config::Settings;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the audit trail's hash chain.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write one agency's monthly audit report as a signed PDF and a CSV (LACRIS "Audits").
    Report {
        /// The agency's ORI.
        #[arg(long)]
        agency: String,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Folder to write `audit-<ORI>-<YYYY-MM>.pdf` and `.csv` into (created if missing).
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

pub fn run(settings: &Settings, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let json = match cmd {
        AuditCommand::Verify { json } => json,
        AuditCommand::Report { agency, month, out } => {
            return report(settings, &agency, &month, &out);
        }
    };
    let pool = crate::platform::db::connect(&settings.database.url)?;
    let mut conn = pool.get()?;
    let report = audit::chain::verify(&mut conn)?;
    let entry = Entry::new("audit.verify", "audit", "chain").details(match &report.problem {
        None => format!(
            "intact: {} records, head {} {}",
            report.records, report.head_id, report.head_hash
        ),
        Some(p) => format!("{}: {}", p.kind, p.message),
    });
    let entry = if report.is_intact() {
        entry
    } else {
        entry.outcome(Outcome::Failed)
    };
    // A broken chain cannot be extended meaningfully, but the failed check must still be on
    // record: appending links it to the current (broken) head, which the next check reports.
    audit::record(&mut conn, &Actor::cli("audit verify"), entry)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        match &report.problem {
            None => println!(
                "Audit trail intact: {} records; head #{} {}",
                report.records, report.head_id, report.head_hash
            ),
            Some(p) => println!(
                "Audit trail BROKEN at record {}: {}",
                p.record_id, p.message
            ),
        }
    }
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `frdesk audit report`: builds, signs and writes the report; prints the two paths.
fn report(
    settings: &Settings,
    ori: &str,
    month: &str,
    out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let month = crate::audit::monthly_report::Month::parse(month)?;
    let pool = crate::platform::db::connect(&settings.database.url)?;
    let mut conn = pool.get()?;
    let agency = crate::accounts::store::Agency::by_ori(&mut conn, ori)?
        .with_context(|| format!("No agency with ORI {ori}"))?;
    let signer = settings.packet_signer()?;
    let report = crate::audit::monthly_report::MonthlyReport::build(
        &mut conn,
        agency.id,
        month,
        &settings.audit,
    )?;
    let (pdf, csv) = crate::audit::monthly::render(&report, &settings.service.name, &signer, None)?;
    let stem = format!("audit-{}-{month}", agency.ori);
    let pdf_path = crate::platform::files::write_atomic(out, &format!("{stem}.pdf"), &pdf)?;
    let csv_path = crate::platform::files::write_atomic(out, &format!("{stem}.csv"), &csv)?;
    audit::record(
        &mut conn,
        &Actor::cli("audit report"),
        Entry::new("audit_report.generate", "agency", agency.id).details(format!(
            "month {month}; {} records, {} highlighted; written to {}",
            report.records.len(),
            report.highlights.len(),
            out.display()
        )),
    )?;
    println!("{}", pdf_path.display());
    println!("{}", csv_path.display());
    Ok(ExitCode::SUCCESS)
}
