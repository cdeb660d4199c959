//! `frdesk packet verify FILE.pdf [--json]`: checks a result packet that comes back (from a
//! court, a prosecutor, an email): is the signature valid, was it signed with a certificate this
//! desk has signed with (the current one or an earlier, retired one) and recorded here, and is it
//! still the current result of its case? The check itself is `crate::result::verify`, shared
//! with the public page `/verify`.
//!
//! Exit code 0 only when all three hold; 1 otherwise. Each check is an audit record.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::audit::Actor;
use crate::config::Settings;

#[derive(Subcommand)]
pub enum PacketCommand {
    /// Verify a signed result packet.
    Verify {
        /// The PDF file.
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub use crate::result::verify::PacketReport;

/// Checks `pdf` against every certificate this desk has signed with and its packet records
/// ([`crate::result::verify::verify_packet`]); the check is an audit record of the operator.
pub fn verify_packet(settings: &Settings, pdf: &[u8]) -> anyhow::Result<PacketReport> {
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    Ok(crate::result::verify::verify_packet(
        &mut conn,
        &Actor::cli("packet verify"),
        pdf,
    )?)
}

pub fn run(settings: &Settings, cmd: PacketCommand) -> anyhow::Result<ExitCode> {
    let PacketCommand::Verify { file, json } = cmd;
    let pdf = std::fs::read(&file).with_context(|| format!("Failed to read {}", file.display()))?;
    let report = verify_packet(settings, &pdf)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}\n  case: {}\n  packet: {}\n  signature valid: {}\n  issued by this desk: {}\n  current: {}\n  signing certificate: {}",
            report.detail,
            if report.case.is_empty() {
                "(none)"
            } else {
                &report.case
            },
            report.packet_id.as_deref().unwrap_or("(none)"),
            yes(report.signature_valid),
            yes(report.issued_by_this_server),
            yes(report.current),
            certificate_line(&report),
        );
    }
    Ok(if report.current {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// "SHA-256 <fingerprint> (<subject>), in use" / ", retired <time>" / "(none of this desk's)".
fn certificate_line(report: &PacketReport) -> String {
    match &report.signing_certificate {
        None => "(none of this desk's)".to_string(),
        Some(c) => format!(
            "SHA-256 {}{}, {}",
            c.fingerprint_sha256,
            if c.subject.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.subject)
            },
            match &c.retired_at {
                Some(at) => format!("retired {at}"),
                None => "in use".to_string(),
            }
        ),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}
