//! `frdesk backup --out DIR`: a consistent online backup while the server runs.
//!
//! First the database, as one consistent snapshot — SQLite: `VACUUM INTO` (one read
//! transaction, so the copy is the database at one moment, whatever the server writes
//! meanwhile); PostgreSQL: `pg_dump --format=custom` (one repeatable-read snapshot). Then every
//! file of `data_dir` (images, packets, audit reports, published documents, agencies' policies,
//! keys, the outbox), each copied and hashed. Files are written before the transaction that
//! names them commits, so every file the snapshot names is already there when the copy
//! starts; a file written after the snapshot is an extra that nothing names. Left out: the
//! indexes rebuilt from the database (`history-index/`, `gallery-index/`), the live SQLite
//! files and temporary files. Last, `manifest.json` with the size and SHA-256 of every file
//! ([`super::manifest`]).
//!
//! Booking photos of the gallery stay where they were enrolled from (their paths are in the
//! database): they are the booking system's, backed up there.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::config::Settings;
use crate::operations::manifest::{
    DATA, FORMAT, FileEntry, Manifest, PG_DUMP_FILE, SQLITE_FILE, copy_hashed, create_private_dir,
    entries_of, hash_file,
};
use crate::platform::db::Backend;

/// Folders of `data_dir` that are copies of the database, rebuilt at start-up.
const REBUILT: [&str; 2] = ["history-index", "gallery-index"];

/// Makes a backup of the configured database and data folder in `out` (created with mode
/// 0700; it must be empty or not exist). Returns the manifest written.
///
/// Errors: `out` is not empty; the database cannot be read (`pg_dump` missing or failing);
/// a file cannot be copied. A failed backup leaves no manifest.
pub fn backup(settings: &Settings, out: &Path) -> anyhow::Result<Manifest> {
    let present = entries_of(out, 3)
        .with_context(|| format!("Failed to read the backup folder {}", out.display()))?;
    if !present.is_empty() {
        bail!(
            "The backup folder {} is not empty ({}): give a new or empty folder",
            out.display(),
            present.join(", ")
        );
    }
    create_private_dir(out)
        .with_context(|| format!("Failed to create the backup folder {}", out.display()))?;
    let backend = Backend::of_url(&settings.database.url);
    let database = match backend {
        Backend::Sqlite => {
            let path = out.join(SQLITE_FILE);
            snapshot_sqlite(&sqlite_path(&settings.database.url), &path)?;
            SQLITE_FILE
        }
        Backend::Postgres => {
            let path = out.join(PG_DUMP_FILE);
            let status = crate::operations::postgres::tool("pg_dump", &settings.database.url)
                .args(["--format=custom", "--no-password", "--file"])
                .arg(&path)
                .status()
                .context("Failed to run pg_dump (install the PostgreSQL client tools)")?;
            if !status.success() {
                bail!("pg_dump failed ({status}); see its message above");
            }
            PG_DUMP_FILE
        }
    };
    let (bytes, sha256) = hash_file(&out.join(database))?;
    let mut files = vec![FileEntry {
        path: database.to_string(),
        bytes,
        sha256,
    }];
    let skip = Skip::new(settings, out);
    copy_tree(
        &settings.data_dir,
        &out.join(DATA),
        Path::new(""),
        &skip,
        &mut files,
    )?;
    let manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        frdesk_version: env!("CARGO_PKG_VERSION").to_string(),
        backend: backend_name(backend).to_string(),
        database: database.to_string(),
        files,
    };
    manifest.write(out)?;
    Ok(manifest)
}

/// `sqlite` or `postgres`.
pub fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// The SQLite file of a `database.url` (an optional `sqlite://` prefix removed).
pub fn sqlite_path(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url))
}

/// `VACUUM INTO`: a consistent, compacted copy of the live database in `to`.
fn snapshot_sqlite(db: &Path, to: &Path) -> anyhow::Result<()> {
    if !db.is_file() {
        bail!("The SQLite database {} does not exist", db.display());
    }
    let mut conn = diesel::SqliteConnection::establish(&db.to_string_lossy())
        .with_context(|| format!("Failed to open the SQLite database {}", db.display()))?;
    let target = to.to_string_lossy().replace('\'', "''");
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = 10000; VACUUM INTO '{target}';"
    ))
    .with_context(|| format!("Failed to copy the SQLite database into {}", to.display()))?;
    Ok(())
}

/// What the copy of `data_dir` leaves out.
struct Skip {
    /// The live SQLite file and its `-wal`, `-shm`, `-journal` companions, when in `data_dir`.
    sqlite: Vec<PathBuf>,
    /// The backup folder itself, when it is inside `data_dir`.
    out: Option<PathBuf>,
}

impl Skip {
    fn new(settings: &Settings, out: &Path) -> Skip {
        let sqlite = if settings.is_postgres() {
            Vec::new()
        } else {
            let db = sqlite_path(&settings.database.url);
            let db = db.canonicalize().unwrap_or(db);
            ["", "-wal", "-shm", "-journal"]
                .iter()
                .map(|s| PathBuf::from(format!("{}{s}", db.display())))
                .collect()
        };
        Skip {
            sqlite,
            out: out.canonicalize().ok(),
        }
    }

    fn skips(&self, path: &Path, rel: &Path) -> bool {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if rel.components().count() == 1 && REBUILT.contains(&name.as_str()) {
            return true;
        }
        // Temporary files of the atomic writer (`tempfile`): a write in progress.
        if name.starts_with(".tmp") {
            return true;
        }
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.sqlite.contains(&canonical) || self.out.as_ref() == Some(&canonical)
    }
}

/// Copies the files under `from/rel` to `to/rel`, in name order, appending their entries.
fn copy_tree(
    from: &Path,
    to: &Path,
    rel: &Path,
    skip: &Skip,
    files: &mut Vec<FileEntry>,
) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = from.join(rel);
    let mut entries = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .collect::<std::io::Result<Vec<_>>>()
            .with_context(|| format!("Failed to list {}", dir.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("Failed to list {}", dir.display())),
    };
    entries.sort_by_key(|e| e.file_name());
    create_private_dir(&to.join(rel))?;
    for e in entries {
        let r = rel.join(e.file_name());
        let path = from.join(&r);
        if skip.skips(&path, &r) {
            continue;
        }
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            // Removed since it was listed (a purge, a temporary file renamed): not part of it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("Failed to read {}", path.display())),
        };
        if meta.is_dir() {
            copy_tree(from, to, &r, skip, files)?;
        } else if meta.is_file() {
            let mode = meta.permissions().mode() & 0o777;
            match copy_hashed(&path, &to.join(&r), mode) {
                Ok((bytes, sha256)) => files.push(FileEntry {
                    path: format!("{DATA}/{}", slashed(&r)),
                    bytes,
                    sha256,
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("Failed to copy {}", path.display()));
                }
            }
        } else {
            tracing::warn!(path = %path.display(), "Not a regular file or folder: left out of the backup");
        }
    }
    Ok(())
}

/// A relative path with `/` between its parts.
fn slashed(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
