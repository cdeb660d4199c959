//! `frdesk restore --from DIR`: puts a backup made by `frdesk backup`
//! ([`super::backup`]) into the configured data folder and database, which must both be empty.
//!
//! Every file is checked against the manifest's size and SHA-256 before anything is written;
//! then the files of the data folder are copied (and hashed again as they are written), then
//! the database: SQLite — the snapshot becomes the database file; PostgreSQL — `pg_restore`
//! in one transaction into the configured, empty database. Last the database is opened as the
//! server opens it (pending migrations of a newer frdesk run) and the restore is recorded in
//! the audit trail.

use std::path::Path;

use anyhow::{Context, bail};
use diesel::prelude::*;

use crate::audit::{self, Actor, Entry};
use crate::config::Settings;
use crate::operations::backup::{backend_name, sqlite_path};
use crate::operations::manifest::{
    DATA, Manifest, copy_hashed, create_private_dir, entries_of, relative,
};
use crate::platform::db::Backend;

/// What a restore put back.
#[derive(Debug, Clone)]
pub struct Restored {
    /// Files of the data folder (the database not counted).
    pub files: usize,
    pub bytes: u64,
    pub backend: &'static str,
    /// When the backup was made.
    pub created_at: String,
}

/// Restores the backup in `from` into the configured data folder and database.
///
/// Errors, before anything is written: no manifest; a file that does not match it; a backup of
/// the other back-end; a data folder that is not empty, a SQLite file that exists or a
/// PostgreSQL database that has tables (each named). After: a failed copy or `pg_restore`
/// (empty the targets and run it again).
pub fn restore(settings: &Settings, from: &Path) -> anyhow::Result<Restored> {
    let manifest = Manifest::read(from)?;
    let backend = Backend::of_url(&settings.database.url);
    if manifest.backend != backend_name(backend) {
        bail!(
            "The backup in {} is of a {} database; the configured database.url is {}",
            from.display(),
            manifest.backend,
            backend_name(backend)
        );
    }
    manifest.verify(from)?;
    refuse_non_empty(settings, backend)?;
    create_private_dir(&settings.data_dir).with_context(|| {
        format!(
            "Failed to create the data folder {}",
            settings.data_dir.display()
        )
    })?;
    let prefix = format!("{DATA}/");
    let (mut files, mut bytes) = (0usize, 0u64);
    for f in &manifest.files {
        let Some(rel) = f.path.strip_prefix(&prefix) else {
            continue;
        };
        let to = settings.data_dir.join(relative(rel)?);
        put(&from.join(relative(&f.path)?), &to, &f.sha256)?;
        files += 1;
        bytes += f.bytes;
    }
    let db_file = from.join(relative(&manifest.database)?);
    match backend {
        Backend::Sqlite => {
            let db = sqlite_path(&settings.database.url);
            let sha = manifest
                .files
                .iter()
                .find(|f| f.path == manifest.database)
                .map(|f| f.sha256.clone())
                .unwrap_or_default();
            put(&db_file, &db, &sha)?;
        }
        Backend::Postgres => {
            let status = crate::operations::postgres::tool("pg_restore", &settings.database.url)
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-password",
                ])
                .arg(&db_file)
                .status()
                .context("Failed to run pg_restore (install the PostgreSQL client tools)")?;
            if !status.success() {
                bail!("pg_restore failed ({status}); see its message above");
            }
        }
    }
    let pool = settings
        .database
        .connect()
        .context("The restored database does not open")?;
    let mut conn = pool.get().context("Failed to get a database connection")?;
    audit::record(
        &mut conn,
        &Actor::cli("restore"),
        Entry::new("backup.restore", "backup", 0).details(format!(
            "Backup of {} restored: {files} file(s), {bytes} bytes",
            manifest.created_at
        )),
    )?;
    Ok(Restored {
        files,
        bytes,
        backend: backend_name(backend),
        created_at: manifest.created_at,
    })
}

/// Copies one backup file into place (mode as in the backup, folders 0700) and checks the
/// bytes written against `sha256`.
fn put(from: &Path, to: &Path, sha256: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = to.parent() {
        create_private_dir(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    }
    let mode = std::fs::metadata(from)
        .with_context(|| format!("Failed to read {}", from.display()))?
        .permissions()
        .mode()
        & 0o777;
    let (_, written) =
        copy_hashed(from, to, mode).with_context(|| format!("Failed to write {}", to.display()))?;
    if written != sha256 {
        bail!(
            "{} changed while it was restored (SHA-256 {written}, the manifest says {sha256})",
            from.display()
        );
    }
    Ok(())
}

/// Refuses a data folder with anything in it, an existing SQLite file, or a PostgreSQL
/// database with tables — naming what is not empty.
fn refuse_non_empty(settings: &Settings, backend: Backend) -> anyhow::Result<()> {
    let present = entries_of(&settings.data_dir, 5).with_context(|| {
        format!(
            "Failed to read the data folder {}",
            settings.data_dir.display()
        )
    })?;
    if !present.is_empty() {
        bail!(
            "The data folder {} is not empty (it holds {}): restore only into an empty data_dir",
            settings.data_dir.display(),
            present.join(", ")
        );
    }
    match backend {
        Backend::Sqlite => {
            let db = sqlite_path(&settings.database.url);
            if db.exists() {
                bail!(
                    "The SQLite database {} exists: restore only into a database.url whose file does not exist yet",
                    db.display()
                );
            }
        }
        Backend::Postgres => {
            let name = crate::operations::postgres::database_name(&settings.database.url);
            let mut conn = diesel::PgConnection::establish(&settings.database.url)
                .with_context(|| {
                    format!("Failed to connect to the PostgreSQL database {name} (create it, empty, first)")
                })?;
            #[derive(QueryableByName)]
            struct Table {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
            }
            let tables: Vec<Table> = diesel::sql_query(
                "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables \
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
                 ORDER BY 1 LIMIT 5",
            )
            .load(&mut conn)
            .context("Failed to list the tables of the PostgreSQL database")?;
            if !tables.is_empty() {
                bail!(
                    "The PostgreSQL database {name} is not empty (it has tables: {}): restore only into an empty database",
                    tables
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    Ok(())
}
