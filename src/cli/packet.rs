//! `frdesk packet verify FILE.pdf [--json]`: checks a result packet that comes back (from a
//! court, a prosecutor, an email): is the signature valid, was it signed by this desk's key and
//! recorded here, and is it still the current result of its case?
//!
//! Exit code 0 only when all three hold; 1 otherwise. Each check is an audit record.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, Actor, Entry, Outcome};
use crate::config::Settings;
use crate::result::store::PacketRecord;

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

/// What `frdesk packet verify` reports.
#[derive(Debug, Serialize)]
pub struct PacketReport {
    /// The signature covers the whole file, the digest matches and the CMS verifies.
    pub signature_valid: bool,
    /// Valid, signed with this desk's signing certificate, and recorded as issued here with the
    /// same bytes (SHA-256).
    pub issued_by_this_server: bool,
    /// The case number the packet names (empty when none could be read).
    pub case: String,
    /// Issued here and not superseded by a corrected packet or a withdrawal of the result.
    pub current: bool,
    pub packet_id: Option<String>,
    /// One sentence for people.
    pub detail: String,
}

/// Builds the report for `pdf` against this desk's key and packet records.
pub fn verify_packet(settings: &Settings, pdf: &[u8]) -> anyhow::Result<PacketReport> {
    let v = crate::platform::pdf::verify(pdf);
    let our_fingerprint = if !settings.packet.pkcs12_path.trim().is_empty()
        || settings
            .data_dir
            .join("signing")
            .join(crate::platform::pdf::signer::KEY_FILE)
            .exists()
    {
        Some(settings.packet_signer()?.fingerprint_sha256())
    } else {
        None
    };
    let ours = our_fingerprint
        .as_deref()
        .is_some_and(|f| v.is_valid_for(f));
    let pool = crate::platform::db::connect(&settings.database.url)?;
    let mut conn = pool.get()?;
    let record = match &v.packet_id {
        Some(id) => PacketRecord::by_packet_id(&mut conn, id)?,
        None => None,
    };
    let sha = hex::encode(Sha256::digest(pdf));
    let recorded = record.as_ref().is_some_and(|r| r.file_sha256 == sha);
    let issued = ours && recorded;
    let current = issued && record.as_ref().is_some_and(PacketRecord::is_current);
    let detail = if !v.signature_valid {
        format!("Signature NOT valid: {}", v.detail)
    } else if !ours {
        "The signature is valid but was not made with this desk's signing key.".to_string()
    } else if !recorded {
        "Signed with this desk's key, but no packet with these exact bytes is on record here."
            .to_string()
    } else if !current {
        let why = record
            .as_ref()
            .and_then(|r| r.superseded_reason.clone())
            .unwrap_or_default();
        format!("Issued by this desk but NO LONGER CURRENT: {why}")
    } else {
        "Valid, issued by this desk, and the current result of its case.".to_string()
    };
    let report = PacketReport {
        signature_valid: v.signature_valid,
        issued_by_this_server: issued,
        case: v.case_number.clone().unwrap_or_default(),
        current,
        packet_id: v.packet_id.clone(),
        detail,
    };
    let entry = Entry::new(
        "packet.verify",
        "packet",
        report.packet_id.clone().unwrap_or_else(|| "unknown".into()),
    )
    .details(format!("sha256 {sha}; {}", report.detail));
    audit::record(
        &mut conn,
        &Actor::cli("packet verify"),
        if report.current {
            entry
        } else {
            entry.outcome(Outcome::Failed)
        },
    )?;
    Ok(report)
}

pub fn run(settings: &Settings, cmd: PacketCommand) -> anyhow::Result<ExitCode> {
    let PacketCommand::Verify { file, json } = cmd;
    let pdf = std::fs::read(&file).with_context(|| format!("Failed to read {}", file.display()))?;
    let report = verify_packet(settings, &pdf)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}\n  case: {}\n  packet: {}\n  signature valid: {}\n  issued by this desk: {}\n  current: {}",
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
        );
    }
    Ok(if report.current {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}
