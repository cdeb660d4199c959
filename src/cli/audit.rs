//! `frdesk audit verify [--json]`: walks the audit trail's hash chain. Exit code 0 when intact;
//! 1 naming the first record that was altered, removed or inserted. The result is itself an
//! audit record.

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
}

pub fn run(settings: &Settings, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { json } = cmd;
    let pool = crate::db::connect(&settings.database.url)?;
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
