//! `frdesk keys show|accept` (issue 18, docs/DEPLOYMENT.md "Keys"): the desk's key
//! fingerprints as recorded, beside this configuration's; and the record of a deliberate
//! replacement.

use std::process::ExitCode;

use clap::Subcommand;

use crate::audit::Actor;
use crate::config::Settings;
use crate::operations::keys;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// The recorded fingerprints and this configuration's; exits 1 when any differs.
    Show,
    /// Record this configuration's keys as the desk's (after replacing a key on purpose).
    Accept,
}

pub fn run(settings: &Settings, cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    let ours = keys::of_settings(settings)?;
    match cmd {
        KeysCommand::Show => {
            let recorded = keys::recorded(&mut conn)?;
            let mut all_match = true;
            for k in &ours {
                let theirs = recorded.iter().find(|r| r.name == k.name);
                let state = match theirs {
                    Some(r) if r.fingerprint == k.fingerprint => "matches the desk's",
                    Some(_) => {
                        all_match = false;
                        "DIFFERS from the desk's"
                    }
                    None => "not recorded yet",
                };
                println!("{:<15} {}  {state}", k.name, k.fingerprint);
                if let Some(r) = theirs.filter(|r| r.fingerprint != k.fingerprint) {
                    println!("{:<15} {}  the desk's", "", r.fingerprint);
                }
            }
            Ok(if all_match {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        KeysCommand::Accept => {
            let changed = keys::accept(&mut conn, &Actor::cli("keys accept"), &ours)?;
            if changed.is_empty() {
                println!("The desk's keys are already this configuration's.");
            } else {
                println!(
                    "Recorded as the desk's: {}. Give every instance the same key files.",
                    changed.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
