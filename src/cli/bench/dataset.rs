//! LFW-style dataset folders (`<dir>/<Person>/<Person>_NNNN.jpg`).

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Identities (sorted) and their photos (sorted by name) of an LFW-style folder.
pub fn lfw_identities(dir: &Path) -> anyhow::Result<Vec<(String, Vec<PathBuf>)>> {
    let mut ids = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if !p.is_dir() {
            continue;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut photos: Vec<PathBuf> = std::fs::read_dir(&p)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|x| x.eq_ignore_ascii_case("jpg")))
            .collect();
        photos.sort();
        if !photos.is_empty() {
            ids.push((name, photos));
        }
    }
    ids.sort();
    Ok(ids)
}

/// The first `n` photos of the dataset (identities and photos in name order).
pub fn first_photos(dataset: &Path, n: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for (_, ps) in lfw_identities(dataset)? {
        out.extend(ps);
        if out.len() >= n {
            break;
        }
    }
    out.truncate(n);
    Ok(out)
}
