//! `frdesk disclosure export|verify` (issue 17): a disclosure package for court, and its check.
//!
//! - `frdesk disclosure export --case FR-YYYY-NNNNNN --basis TEXT [--unredacted --order TEXT]
//!   [--protective-order] --out DIR` prints the paths of the signed PDF report and the ZIP.
//!   From the command line the operator stands in for both the preparer and the approver.
//! - `frdesk disclosure verify FILE.zip [--against-db] [--json]` prints
//!   `{"case", "manifest_valid", "signature_valid", "audit_chain_valid", "files", …}` and exits
//!   1 when anything fails.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;

use crate::audit::{self, Actor, Entry, Outcome};
use crate::config::Settings;
use crate::disclosure::export::{ExportContext, ExportRequest, export};
use crate::disclosure::facts::FactsContext;
use crate::disclosure::verify::{against_db, verify_offline};

#[derive(Subcommand)]
pub enum DisclosureCommand {
    /// Make a disclosure package for a case: a signed PDF report and a signed ZIP.
    Export {
        /// The case number (FR-YYYY-NNNNNN).
        #[arg(long = "case")]
        case: String,
        /// The legal basis: discovery order, subpoena or prosecutor's request (court,
        /// docket/number, date, requesting party).
        #[arg(long, value_parser = crate::cli::args::text)]
        basis: String,
        /// Name every candidate (needs --order).
        #[arg(long)]
        unredacted: bool,
        /// The order that allows an unredacted package (reference and date).
        #[arg(long, value_parser = crate::cli::args::text)]
        order: Option<String>,
        /// Mark every page LAW ENFORCEMENT SENSITIVE — DISCLOSURE UNDER PROTECTIVE ORDER.
        #[arg(long)]
        protective_order: bool,
        /// Folder for the PDF and the ZIP.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a disclosure ZIP: manifest, signature, audit records.
    Verify {
        /// The ZIP file.
        file: PathBuf,
        /// Also compare every exported audit record with the live database.
        #[arg(long)]
        against_db: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn desk_fingerprint(settings: &Settings) -> anyhow::Result<Option<String>> {
    let have_key = !settings.packet.pkcs12_path.trim().is_empty()
        || settings
            .data_dir
            .join("signing")
            .join(crate::platform::pdf::signer::KEY_FILE)
            .exists();
    Ok(if have_key {
        Some(settings.packet_signer()?.fingerprint_sha256())
    } else {
        None
    })
}

pub fn run(settings: &Settings, cmd: DisclosureCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DisclosureCommand::Export {
            case,
            basis,
            unredacted,
            order,
            protective_order,
            out,
        } => {
            let pool = settings.database.connect()?;
            let mut conn = pool.get()?;
            let ctx = ExportContext {
                facts: FactsContext {
                    images: crate::cases::images::ImageStore::new(settings.file_store(&pool)?),
                    models_dir: settings.face.models_dir.clone(),
                    candidates: settings.face.candidates,
                    single_examiner_allowed: settings.face.single_examiner_allowed,
                    service_name: settings.service.name.clone(),
                },
                signer: Arc::new(settings.packet_signer()?),
                base_url: settings.service.base_url.clone(),
            };
            let made = export(
                &ctx,
                &mut conn,
                &Actor::cli("disclosure export"),
                &ExportRequest {
                    case_number: case,
                    basis,
                    unredacted_order: order,
                    unredacted,
                    protective_order,
                    out_dir: out,
                },
            )?;
            println!("{}", made.pdf.display());
            println!("{}", made.zip.display());
            Ok(ExitCode::SUCCESS)
        }
        DisclosureCommand::Verify {
            file,
            against_db: db,
            json,
        } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("Failed to read {}", file.display()))?;
            let fp = desk_fingerprint(settings)?;
            let mut report = verify_offline(&bytes, fp.as_deref());
            if db {
                let pool = settings.database.connect()?;
                let mut conn = pool.get()?;
                against_db(&mut conn, &bytes, &mut report)?;
                let entry = Entry::new("disclosure.verify", "disclosure", &report.disclosure_id)
                    .details(format!(
                        "sha256 {}; {}",
                        crate::disclosure::package::sha256_hex(&bytes),
                        if report.all_valid() {
                            "valid".to_string()
                        } else {
                            report.problems.join("; ")
                        }
                    ));
                audit::record(
                    &mut conn,
                    &Actor::cli("disclosure verify"),
                    if report.all_valid() {
                        entry
                    } else {
                        entry.outcome(Outcome::Failed)
                    },
                )?;
            }
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "{}\n  case: {}\n  package: {}\n  manifest valid: {}\n  signature valid: {}\n  audit chain valid: {}",
                    if report.all_valid() {
                        "Valid: every file matches the signed manifest and the audit records are whole."
                    } else {
                        "NOT VALID."
                    },
                    report.case,
                    report.disclosure_id,
                    yes(report.manifest_valid),
                    yes(report.signature_valid),
                    yes(report.audit_chain_valid),
                );
                if let Some(m) = report.database_matches {
                    println!("  matches the live audit trail: {}", yes(m));
                }
                for p in &report.problems {
                    println!("  - {p}");
                }
            }
            Ok(if report.all_valid() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}
