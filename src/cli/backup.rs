//! `frdesk backup --out DIR` and `frdesk restore --from DIR` (docs/OPERATIONS.md, "Back-ups"):
//! the work is `crate::operations::backup` and `crate::operations::restore`.

use std::path::Path;
use std::process::ExitCode;

use crate::audit::{self, Actor, Entry};
use crate::config::Settings;

/// Makes the backup, records it in the audit trail (after the snapshot, so in the live trail
/// only) and prints what it holds.
///
/// Errors: see [`crate::operations::backup::backup`].
pub fn run_backup(settings: &Settings, out: &Path) -> anyhow::Result<ExitCode> {
    let m = crate::operations::backup::backup(settings, out)?;
    let bytes: u64 = m.files.iter().map(|f| f.bytes).sum();
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    audit::record(
        &mut conn,
        &Actor::cli("backup"),
        Entry::new("backup.create", "backup", 0).details(format!(
            "{} backup: {} file(s), {bytes} bytes, manifest SHA-256 in {}",
            m.backend,
            m.files.len(),
            out.display()
        )),
    )?;
    println!(
        "Backed up the {} database and {} file(s), {bytes} bytes, into {} (manifest.json lists the SHA-256 of each).",
        m.backend,
        m.files.len() - 1,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Restores a backup and prints what was put back.
///
/// Errors: see [`crate::operations::restore::restore`].
pub fn run_restore(settings: &Settings, from: &Path) -> anyhow::Result<ExitCode> {
    let r = crate::operations::restore::restore(settings, from)?;
    println!(
        "Restored the {} database and {} file(s), {} bytes, of the backup made {} into {}. Check it with `frdesk audit verify`.",
        r.backend,
        r.files,
        r.bytes,
        r.created_at,
        settings.data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
