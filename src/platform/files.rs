//! Writing the files the desk keeps (probe images, packets, audit reports, keys): one atomic
//! writer — a temporary file in the target folder, written, synced, renamed into place, the
//! folder synced — so a crash leaves either the old file or the new one, never half of one.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Who may read a written file (Unix permission bits; elsewhere the platform default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The process's default (umask): packets, reports, images.
    Default,
    /// Readable by everyone (0644): a published certificate.
    Public,
    /// Readable by the owner only (0600): keys and secrets.
    Private,
}

/// Writes `dir/name` atomically with `write` filling the file; creates `dir` if needed.
///
/// `name` must be a plain file name (no separators, not hidden). On any error the temporary file
/// is removed and the old file, if any, is left as it was.
///
/// Errors: the I/O error of the step that failed (creating, writing, syncing, renaming), so a
/// caller can tell a full disk (`StorageFull`/ENOSPC) from other failures.
pub fn write_atomic_with(
    dir: &Path,
    name: &str,
    access: Access,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{name:?} is not a file name"),
        ));
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match access {
            Access::Default => None,
            Access::Public => Some(0o644),
            Access::Private => Some(0o600),
        };
        if let Some(mode) = mode {
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = access;
    write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    if let Ok(d) = File::open(dir) {
        // Best effort: the rename is durable once the folder is synced.
        let _ = d.sync_all();
    }
    Ok(path)
}

/// Writes `bytes` to `dir/name` atomically (see [`write_atomic_with`]).
///
/// Errors: as [`write_atomic_with`], with the path in the message.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    write_atomic_with(dir, name, Access::Default, |f| f.write_all(bytes))
        .with_context(|| format!("Failed to write {}", dir.join(name).display()))
}

/// Writes a secret file readable by the owner only (0600), atomically.
///
/// Errors: `path` has no folder or file name, or the write failed.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let (dir, name) = split(path)?;
    write_atomic_with(dir, name, Access::Private, |f| f.write_all(bytes))
        .with_context(|| format!("Failed to write {}", path.display()))?;
    Ok(())
}

/// The folder and file name of `path`.
///
/// Errors: `path` ends in `..` or has no file name.
pub fn split(path: &Path) -> anyhow::Result<(&Path, &str)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} has no file name", path.display()))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((dir, name))
}
