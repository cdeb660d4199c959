//! `frdesk retention run [--dry-run] [--json]`: the retention pass the server runs daily
//! (see [`crate::retention::daily`]).

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::audit::Actor;
use crate::config::Settings;
use crate::platform::time::now;
use crate::retention::daily::{RetentionContext, run as run_pass};

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// List what is due for logical deletion and purge (cases, audit records older than five
    /// years) and which accounts are idle, then do it, each an audit record. Cases under a
    /// legal hold are listed and never touched.
    Run {
        /// Only list; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command. Errors: database errors; a file of a purged case that cannot be deleted.
pub fn run(settings: &Settings, cmd: RetentionCommand) -> anyhow::Result<ExitCode> {
    let RetentionCommand::Run { dry_run, json } = cmd;
    let pool = settings.database.connect()?;
    let mut conn = pool.get().context("Failed to get a database connection")?;
    let ctx = RetentionContext::from_settings(settings, settings.file_store(&pool)?);
    let report = run_pass(
        &mut conn,
        &ctx,
        &Actor::cli("retention run"),
        now(),
        dry_run,
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}
