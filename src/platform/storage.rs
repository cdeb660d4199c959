//! Where the desk keeps its files — probe images, gallery photos, packets, audit reports,
//! disclosure files, policy documents (issue 18, docs/DEPLOYMENT.md "Stored files").
//!
//! Every file is named by its path relative to `data_dir`, as it lies on disk with the default
//! back-end: `images/ab/cd/<sha256>.jpg`, `packets/<packet id>.pdf`,
//! `audit_reports/<ORI>-<month>.pdf`, `disclosures/<sha256>.zip`, `policies/…`,
//! `published/…`, `gallery/ab/cd/<sha256>.jpg`. The back-end is chosen by
//! `storage.backend` and never switched automatically:
//!
//! - **filesystem** (default): the file under `data_dir`, written atomically
//!   ([`crate::platform::files::write_atomic_with`]);
//! - **database** (PostgreSQL only): a row in `stored_files` (path, SHA-256, size) and its content
//!   in `stored_file_chunks` (chunks of at most [`CHUNK_BYTES`]), written in one transaction,
//!   so every instance on the database sees the same files.
//!
//! `frdesk storage migrate --to database|filesystem` ([`migrate`]) copies every file from one
//! back-end to the other and checks each copy's SHA-256.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::platform::db::schema::{stored_file_chunks, stored_files};
use crate::platform::db::{DbConnection, DbPool};
use crate::platform::files::Access;

/// The largest chunk of a stored file's content in the database, in bytes (1 MiB).
pub const CHUNK_BYTES: usize = 1 << 20;

/// The folders (first path segment) the desk keeps files in; [`migrate`] copies these.
pub const FOLDERS: [&str; 7] = [
    "images",
    "gallery",
    "packets",
    "audit_reports",
    "disclosures",
    "policies",
    "published",
];

/// The two back-ends (`storage.backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    /// Files under `data_dir` (default).
    Filesystem,
    /// Files in the database's `stored_files` tables (PostgreSQL).
    Database,
}

impl StorageKind {
    /// Parses `"filesystem"` or `"database"`. Errors: any other text (the message lists both).
    pub fn parse(s: &str) -> Result<StorageKind, String> {
        match s.trim() {
            "filesystem" => Ok(StorageKind::Filesystem),
            "database" => Ok(StorageKind::Database),
            other => Err(format!(
                "{other:?} is not a storage back-end; use \"filesystem\" or \"database\""
            )),
        }
    }

    /// The configuration value: `"filesystem"` or `"database"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Filesystem => "filesystem",
            StorageKind::Database => "database",
        }
    }
}

/// One stored file as [`Storage::list`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Path relative to `data_dir`, `/`-separated.
    pub path: String,
    /// When it was stored (database back-end; `None` on the filesystem).
    pub stored_at: Option<NaiveDateTime>,
}

/// The desk's file store: cheap to clone (a path and a pool handle).
#[derive(Clone)]
pub struct Storage {
    root: PathBuf,
    db: Option<DbPool>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("kind", &self.kind())
            .field("root", &self.root)
            .finish()
    }
}

/// Checks a stored file's name: relative, `/`-separated plain segments (no `..`, no empty or
/// hidden segment). Returns it as a relative path.
///
/// Errors: any other shape (the file is then neither read nor written).
pub fn checked_path(rel: &str) -> anyhow::Result<PathBuf> {
    let ok = !rel.is_empty()
        && !rel.starts_with('/')
        && !rel.contains('\\')
        && rel
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.'))
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !ok {
        bail!("{rel:?} is not a stored file's name");
    }
    Ok(PathBuf::from(rel))
}

impl Storage {
    /// Files under `data_dir`.
    pub fn filesystem(data_dir: impl Into<PathBuf>) -> Storage {
        Storage {
            root: data_dir.into(),
            db: None,
        }
    }

    /// Files in the database of `pool` (`data_dir` only names them in messages).
    pub fn database(data_dir: impl Into<PathBuf>, pool: DbPool) -> Storage {
        Storage {
            root: data_dir.into(),
            db: Some(pool),
        }
    }

    /// Which back-end this is.
    pub fn kind(&self) -> StorageKind {
        if self.db.is_some() {
            StorageKind::Database
        } else {
            StorageKind::Filesystem
        }
    }

    /// The data folder the paths are relative to.
    pub fn data_dir(&self) -> &Path {
        &self.root
    }

    /// Where `rel` is, for messages and logs: the file's path, or `database:<rel>`.
    pub fn describe(&self, rel: &str) -> String {
        match self.db {
            None => self.root.join(rel).display().to_string(),
            Some(_) => format!("database:{rel}"),
        }
    }

    fn conn(&self) -> anyhow::Result<Option<crate::platform::db::PooledConn>> {
        match &self.db {
            None => Ok(None),
            Some(pool) => Ok(Some(
                pool.get()
                    .context("Failed to get a database connection for the file store")?,
            )),
        }
    }

    /// Stores `rel` with the bytes `write` produces, atomically: a reader sees the old file or
    /// the whole new one. An existing file is replaced.
    ///
    /// Errors: the I/O error of the step that failed (filesystem; a full disk stays
    /// recognisable as ENOSPC), or the database error wrapped in an I/O error of kind `Other`.
    pub fn put_with(
        &self,
        rel: &str,
        access: Access,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let invalid = |e: anyhow::Error| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let path = checked_path(rel).map_err(invalid)?;
        match &self.db {
            None => {
                let full = self.root.join(&path);
                let (dir, name) = crate::platform::files::split(&full).map_err(invalid)?;
                crate::platform::files::write_atomic_with(dir, name, access, |f| write(f))
                    .map(|_| ())
            }
            Some(pool) => {
                let mut bytes = Vec::new();
                write(&mut bytes)?;
                let mut conn = pool.get().map_err(std::io::Error::other)?;
                store_in_db(&mut conn, rel, &bytes).map_err(std::io::Error::other)
            }
        }
    }

    /// Stores `bytes` as `rel` (see [`Storage::put_with`]). Errors name the file.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.put_with(rel, Access::Default, |f| f.write_all(bytes))
            .with_context(|| format!("Failed to write {}", self.describe(rel)))
    }

    /// The bytes of `rel`, `None` when there is no such file.
    ///
    /// Errors: a malformed name, an I/O or database error (named).
    pub fn get(&self, rel: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let path = checked_path(rel)?;
        let Some(mut conn) = self.conn()? else {
            let full = self.root.join(path);
            return match std::fs::read(&full) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("Failed to read {}", full.display())),
            };
        };
        read_from_db(&mut conn, rel)
            .with_context(|| format!("Failed to read {}", self.describe(rel)))
    }

    /// Whether `rel` is stored. Errors: as [`Storage::get`].
    pub fn exists(&self, rel: &str) -> anyhow::Result<bool> {
        let path = checked_path(rel)?;
        let Some(mut conn) = self.conn()? else {
            return Ok(self.root.join(path).is_file());
        };
        Ok(stored_files::table
            .find(rel)
            .select(stored_files::path)
            .first::<String>(&mut conn)
            .optional()?
            .is_some())
    }

    /// Deletes `rel`; returns whether there was such a file (a missing one is not an error).
    ///
    /// Errors: a malformed name, an I/O or database error (named).
    pub fn remove(&self, rel: &str) -> anyhow::Result<bool> {
        let path = checked_path(rel)?;
        let Some(mut conn) = self.conn()? else {
            let full = self.root.join(path);
            return match std::fs::remove_file(&full) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e).with_context(|| format!("Failed to delete {}", full.display())),
            };
        };
        crate::platform::db::write_tx(&mut conn, |c| -> anyhow::Result<bool> {
            diesel::delete(stored_file_chunks::table.filter(stored_file_chunks::path.eq(rel)))
                .execute(c)?;
            Ok(diesel::delete(stored_files::table.find(rel)).execute(c)? > 0)
        })
        .with_context(|| format!("Failed to delete {}", self.describe(rel)))
    }

    /// Every stored file under `folder` (one of [`FOLDERS`], or any plain folder name), in path
    /// order; temporary files of interrupted writes on the filesystem are left out.
    ///
    /// Errors: an I/O or database error.
    pub fn list(&self, folder: &str) -> anyhow::Result<Vec<StoredEntry>> {
        checked_path(folder)?;
        let Some(mut conn) = self.conn()? else {
            let mut out = Vec::new();
            let mut stack = vec![self.root.join(folder)];
            while let Some(dir) = stack.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(e).with_context(|| format!("Failed to list {}", dir.display()));
                    }
                };
                for entry in entries {
                    let entry =
                        entry.with_context(|| format!("Failed to list {}", dir.display()))?;
                    let p = entry.path();
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push(p);
                    } else if !entry.file_name().to_string_lossy().starts_with('.')
                        && let Ok(rel) = p.strip_prefix(&self.root)
                    {
                        out.push(StoredEntry {
                            path: rel.to_string_lossy().replace('\\', "/"),
                            stored_at: None,
                        });
                    }
                }
            }
            out.sort_by(|a, b| a.path.cmp(&b.path));
            return Ok(out);
        };
        let prefix = format!("{folder}/");
        let rows: Vec<(String, NaiveDateTime)> = stored_files::table
            .filter(stored_files::path.ge(&prefix))
            .filter(stored_files::path.lt(format!("{folder}0")))
            .order(stored_files::path.asc())
            .select((stored_files::path, stored_files::stored_at))
            .load(&mut conn)?;
        Ok(rows
            .into_iter()
            .map(|(path, at)| StoredEntry {
                path,
                stored_at: Some(at),
            })
            .collect())
    }
}

/// Writes `bytes` as `rel` into `stored_files`/`stored_file_chunks` in one transaction,
/// replacing an earlier file of that name.
fn store_in_db(conn: &mut DbConnection, rel: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let sha = hex::encode(Sha256::digest(bytes));
    crate::platform::db::write_tx(conn, |c| -> anyhow::Result<()> {
        diesel::delete(stored_file_chunks::table.filter(stored_file_chunks::path.eq(rel)))
            .execute(c)?;
        diesel::delete(stored_files::table.find(rel)).execute(c)?;
        diesel::insert_into(stored_files::table)
            .values((
                stored_files::path.eq(rel),
                stored_files::sha256.eq(&sha),
                stored_files::byte_size.eq(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                stored_files::stored_at.eq(crate::platform::time::now()),
            ))
            .execute(c)?;
        for (n, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
            diesel::insert_into(stored_file_chunks::table)
                .values((
                    stored_file_chunks::path.eq(rel),
                    stored_file_chunks::chunk_no.eq(i32::try_from(n).unwrap_or(i32::MAX)),
                    stored_file_chunks::bytes.eq(chunk),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}

/// Reads `rel` back from the database and checks it against the SHA-256 recorded with it.
fn read_from_db(conn: &mut DbConnection, rel: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let Some((sha, size)) = stored_files::table
        .find(rel)
        .select((stored_files::sha256, stored_files::byte_size))
        .first::<(String, i64)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let chunks: Vec<Vec<u8>> = stored_file_chunks::table
        .filter(stored_file_chunks::path.eq(rel))
        .order(stored_file_chunks::chunk_no.asc())
        .select(stored_file_chunks::bytes)
        .load(conn)?;
    let bytes = chunks.concat();
    if i64::try_from(bytes.len()).ok() != Some(size) || hex::encode(Sha256::digest(&bytes)) != sha {
        bail!("the stored content does not match its recorded size and SHA-256");
    }
    Ok(Some(bytes))
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Files copied and verified, per folder.
    pub copied: Vec<(String, usize)>,
    /// Bytes copied.
    pub bytes: u64,
    /// Files already in the target with the same content (a re-run), not copied again.
    pub already_there: usize,
}

/// Copies every file in [`FOLDERS`] from `from` to `to`, reading each copy back and checking
/// its SHA-256 against the source's. A file already in the target with the same content is
/// left as it is, so an interrupted run can be started again. The source is not changed:
/// switch `storage.backend` once the report is good, then remove the old copies.
///
/// Errors: the first file that cannot be read, written, or does not read back the same.
pub fn migrate(from: &Storage, to: &Storage) -> anyhow::Result<MigrationReport> {
    if from.kind() == to.kind() {
        bail!(
            "The files are already in the {} back-end",
            to.kind().as_str()
        );
    }
    let mut report = MigrationReport::default();
    for folder in FOLDERS {
        let mut n = 0;
        for entry in from.list(folder)? {
            let bytes = from.get(&entry.path)?.with_context(|| {
                format!("{} disappeared while copying", from.describe(&entry.path))
            })?;
            let sha = hex::encode(Sha256::digest(&bytes));
            let same = |b: &Option<Vec<u8>>| {
                b.as_ref()
                    .is_some_and(|b| hex::encode(Sha256::digest(b)) == sha)
            };
            if same(&to.get(&entry.path)?) {
                report.already_there += 1;
                continue;
            }
            to.put(&entry.path, &bytes)?;
            if !same(&to.get(&entry.path)?) {
                bail!(
                    "{} does not read back with the SHA-256 of {} ({sha})",
                    to.describe(&entry.path),
                    from.describe(&entry.path)
                );
            }
            n += 1;
            report.bytes += bytes.len() as u64;
        }
        report.copied.push((folder.to_string(), n));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_relative_plain_paths() {
        for ok in ["images/ab/cd/x.jpg", "packets/12.pdf", "disclosures/a.zip"] {
            assert!(checked_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "images/../../x",
            "images//x",
            "images/.tmp1",
            "a\\b",
            "images/./x",
        ] {
            assert!(checked_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_filesystem_back_end_stores_lists_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::filesystem(dir.path());
        s.put("packets/7.pdf", b"pdf").unwrap();
        s.put("images/ab/cd/f.jpg", b"jpg").unwrap();
        assert_eq!(
            s.get("packets/7.pdf").unwrap().as_deref(),
            Some(&b"pdf"[..])
        );
        assert!(s.exists("images/ab/cd/f.jpg").unwrap());
        assert_eq!(s.get("packets/8.pdf").unwrap(), None);
        let listed: Vec<String> = s
            .list("images")
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(listed, ["images/ab/cd/f.jpg"]);
        assert!(s.remove("packets/7.pdf").unwrap());
        assert!(!s.remove("packets/7.pdf").unwrap());
        assert!(s.put("../escape", b"x").is_err());
    }
}
