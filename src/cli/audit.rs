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
    /// What a security breach may have exposed (LAPD ALPR order "Security Breach of
    /// Notification"): writes the window's audit records as CSV and a JSON summary — cases
    /// reached, subjects viewed, agencies to tell with their local administrators, persons
    /// potentially affected and whether the Attorney General's form is required (500 or more).
    BreachScope {
        /// Start of the window, UTC: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
        #[arg(long)]
        from: String,
        /// End of the window (exclusive), UTC, same forms.
        #[arg(long)]
        to: String,
        /// Limit to one account (the compromised one), by email.
        #[arg(long)]
        user: Option<String>,
        /// Folder to write `breach-scope.csv` and `breach-scope.json` into (created if missing).
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
        AuditCommand::BreachScope {
            from,
            to,
            user,
            out,
        } => return breach_scope(settings, &from, &to, user.as_deref(), &out),
    };
    let pool = settings.database.connect()?;
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
    let pool = settings.database.connect()?;
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

/// A window bound: `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM[:SS]`.
fn parse_bound(name: &str, v: &str) -> anyhow::Result<chrono::NaiveDateTime> {
    use chrono::{NaiveDate, NaiveDateTime};
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN));
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Ok(t);
        }
    }
    anyhow::bail!("--{name} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), not {v:?}")
}

/// `frdesk audit breach-scope`: writes the records and the summary, prints the summary, and is
/// itself an audit record.
fn breach_scope(
    settings: &Settings,
    from: &str,
    to: &str,
    user: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let (from, to) = (parse_bound("from", from)?, parse_bound("to", to)?);
    anyhow::ensure!(from < to, "--from must be before --to");
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    let user_id = match user {
        Some(email) => Some(
            crate::accounts::store::User::by_email(&mut conn, email)?
                .with_context(|| format!("No account with email {email}"))?
                .id,
        ),
        None => None,
    };
    let window = crate::audit::breach::BreachWindow { from, to, user_id };
    let (scope, records) =
        crate::audit::breach::scope(&mut conn, &window, user.map(str::to_string))?;
    let csv = crate::audit::breach::records_csv(&records)?;
    let json = serde_json::to_vec_pretty(&scope)?;
    let csv_path = crate::platform::files::write_atomic(out, "breach-scope.csv", &csv)?;
    let json_path = crate::platform::files::write_atomic(out, "breach-scope.json", &json)?;
    audit::record(
        &mut conn,
        &Actor::cli("audit breach-scope"),
        Entry::new("audit.breach_scope", "audit", "chain").details(format!(
            "window {} to {}{}; {} records, {} cases, {} subjects viewed, {} persons potentially affected; written to {}",
            scope.from,
            scope.to,
            user.map(|u| format!(" for {u}")).unwrap_or_default(),
            scope.records,
            scope.cases.len(),
            scope.subjects_viewed.len(),
            scope.persons_potentially_affected,
            out.display()
        )),
    )?;
    println!("{}", String::from_utf8_lossy(&json));
    println!("{}", csv_path.display());
    println!("{}", json_path.display());
    Ok(ExitCode::SUCCESS)
}
