//! Writing files the desk keeps: secrets readable by the owner only.

use anyhow::Context;

/// Writes a secret file readable by the owner only.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("Failed to create {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("Failed to write {}", path.display()))?;
    Ok(())
}
