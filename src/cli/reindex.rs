//! `frdesk reindex`: rebuilds the case-history search index from the database.

use std::process::ExitCode;

use anyhow::Context;

use crate::audit::{self, Actor, Entry};
use crate::config::Settings;
use crate::history::HistoryIndex;

/// Rebuilds `<data_dir>/history-index` (creating it, or replacing an unreadable one) and prints
/// the number of cases and the time taken. Safe while the server runs: the two take turns at
/// the index's writer lock, and the server keeps catching up afterwards.
///
/// Errors: database errors; the index folder cannot be written.
pub fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let pool = settings.database.connect()?;
    let dir = HistoryIndex::dir_in(&settings.data_dir);
    let index = match HistoryIndex::open(&dir) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(problem = %format!("{e:#}"), "Creating a new history index");
            HistoryIndex::create(&dir)?
        }
    };
    let r = index.rebuild(&pool)?;
    let mut conn = pool.get().context("Failed to get a database connection")?;
    audit::record(
        &mut conn,
        &Actor::cli("reindex"),
        Entry::new("history.reindex", "history", 0)
            .details(format!("{} case(s) in {:.2} s", r.cases, r.seconds)),
    )?;
    println!(
        "Indexed {} case(s) in {:.2} s into {}.",
        r.cases,
        r.seconds,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
