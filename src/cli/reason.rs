//! `frdesk reason check [--json] TEXT`: the same verdict the form and the review page show.

use std::process::ExitCode;

use clap::Subcommand;

use crate::domain::reason::{self, Verdict};

#[derive(Subcommand)]
pub enum ReasonCommand {
    /// Assess a search reason against the LACRIS rules. Without `--json` the exit code is
    /// 0 compliant, 1 non-compliant, 2 needs review; with `--json` it is 0 whenever JSON printed.
    Check {
        /// Print `{"verdict": …, "findings": [{"code", "message"}]}`.
        #[arg(long)]
        json: bool,
        /// The reason text.
        text: String,
    },
}

pub fn run(cmd: &ReasonCommand) -> anyhow::Result<ExitCode> {
    let ReasonCommand::Check { json, text } = cmd;
    let a = reason::assess(text);
    if *json {
        println!("{}", serde_json::to_string(&a)?);
        return Ok(ExitCode::SUCCESS);
    } else {
        println!("{}", a.verdict.label());
        for f in &a.findings {
            println!("  [{}] {}", f.code, f.message);
        }
    }
    Ok(match a.verdict {
        Verdict::Compliant => ExitCode::SUCCESS,
        Verdict::NonCompliant => ExitCode::from(1),
        Verdict::NeedsReview => ExitCode::from(2),
    })
}
