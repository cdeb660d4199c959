//! The manifest of a backup folder (`manifest.json`, written last: a folder without one is an
//! unfinished backup): the back-end, the database file and every file copied, each with its
//! size and SHA-256, so a restore can check every byte before it writes anything.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's file name in a backup folder.
pub const MANIFEST: &str = "manifest.json";
/// Format of the manifest this build writes and reads.
pub const FORMAT: u32 = 1;
/// The database of a SQLite back-end, in the backup folder (a SQLite file).
pub const SQLITE_FILE: &str = "database.sqlite3";
/// The database of a PostgreSQL back-end, in the backup folder (`pg_dump` custom format).
pub const PG_DUMP_FILE: &str = "database.pgdump";
/// The folder holding the copy of `data_dir` in the backup folder.
pub const DATA: &str = "data";

/// What a backup folder holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// When the backup was made (UTC, RFC 3339).
    pub created_at: String,
    /// The frdesk version that made it.
    pub frdesk_version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The database's file in the folder ([`SQLITE_FILE`] or [`PG_DUMP_FILE`]); also in `files`.
    pub database: String,
    /// Every file of the backup but the manifest, paths relative to the folder with `/`.
    pub files: Vec<FileEntry>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

impl Manifest {
    /// Reads `<dir>/manifest.json`.
    ///
    /// Errors: missing (an unfinished backup), unreadable, another format, or a path that
    /// leaves the folder.
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{} has no readable {MANIFEST} (not a backup, or an unfinished one)",
                dir.display()
            )
        })?;
        let m: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a backup manifest", path.display()))?;
        if m.format != FORMAT {
            bail!(
                "{} has format {}, this frdesk reads format {FORMAT}",
                path.display(),
                m.format
            );
        }
        for f in &m.files {
            relative(&f.path)?;
        }
        if !m.files.iter().any(|f| f.path == m.database) {
            bail!("{} does not list its database file", path.display());
        }
        Ok(m)
    }

    /// Writes `<dir>/manifest.json` atomically.
    ///
    /// Errors: the folder cannot be written.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        crate::platform::files::write_atomic(dir, MANIFEST, &json)?;
        Ok(())
    }

    /// Checks every file against its size and SHA-256.
    ///
    /// Errors: the first file that is missing, of another size or another hash, named.
    pub fn verify(&self, dir: &Path) -> anyhow::Result<()> {
        for f in &self.files {
            let path = dir.join(relative(&f.path)?);
            let (bytes, sha256) = hash_file(&path)
                .with_context(|| format!("Backup file {} is missing or unreadable", f.path))?;
            if bytes != f.bytes || sha256 != f.sha256 {
                bail!(
                    "Backup file {} does not match the manifest ({} bytes, SHA-256 {}; the manifest says {} bytes, {})",
                    f.path,
                    bytes,
                    sha256,
                    f.bytes,
                    f.sha256
                );
            }
        }
        Ok(())
    }
}

/// `path` (with `/`) as a relative path that stays inside its folder.
///
/// Errors: absolute, empty, or with `..`.
pub fn relative(path: &str) -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(path);
    if path.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("Backup manifest names a path outside the backup folder: {path:?}");
    }
    Ok(p)
}

/// Size and SHA-256 (hex) of a file, read in 64 KiB chunks.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Copies `from` to a new file `to` (refusing to replace one) with the mode `mode`, synced;
/// returns the size and SHA-256 of the bytes written.
pub fn copy_hashed(from: &Path, to: &Path, mode: u32) -> std::io::Result<(u64, String)> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut src = std::fs::File::open(from)?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(to)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = src.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        dst.write_all(&buf[..k])?;
        n += k as u64;
    }
    dst.sync_all()?;
    Ok((n, hex::encode(h.finalize())))
}

/// Creates `dir` and its missing parents with mode 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// The first entries of a folder (up to `n`, sorted); empty when it does not exist.
pub fn entries_of(dir: &Path, n: usize) -> std::io::Result<Vec<String>> {
    let mut names = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<Vec<_>>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    names.sort();
    names.truncate(n);
    Ok(names)
}
