//! The gallery index saved in the instance's data directory, so that a large gallery starts
//! without reading every template from the database.
//!
//! Two files per model in `<data_dir>/gallery-index/` ([`IndexFiles`]):
//! - `<model>.index`: a header — magic `FRDGIDX1`, format, dim, rows, the [`GalleryVersion`] it
//!   was built from, the model key, the error-bound norms, the CRC-32 of the body and of the
//!   whole rows file as written, and the CRC-32 of the header itself — then the body: template
//!   ids, subject ids (i64 LE), live flags (u8), scales (f32 LE), the CRC-32 of each f32 row
//!   (u32 LE) and the interleaved int8 codes;
//! - `<model>.f32`: every row's f32 vector (LE), read row by row for the exact re-rank.
//!
//! The database stays the truth: a missing file, a file of another model or dim, a file whose
//! version differs from the database's ([`LoadError::Stale`]) or whose header or body checksum
//! does not match ([`LoadError::Corrupt`]) is not used; the caller rebuilds it from the
//! database. The rows file is not read at start-up (at 10M templates it is 5 GB: about ten
//! seconds from a cold disk); its size is checked, and each row is checked against its own
//! CRC-32 whenever a search reads it, so a changed byte is caught before that row is used and
//! the gallery then rebuilds the index ([`crate::gallery::Gallery::search`]). New files are
//! written beside the old ones and renamed over them (rows first, then the index), so a crash
//! leaves either the old pair, or a pair whose checksums refuse it.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::gallery::index::{ExactRows, TemplateIndex};
use crate::gallery::quant::{LANES, block_bytes};

const MAGIC: &[u8; 8] = b"FRDGIDX1";
/// Format of the index file; a file of another format is rebuilt.
pub const FORMAT: u32 = 2;

/// What the gallery of one model holds, as far as its index is concerned: the number of
/// active templates of the model, the largest template id and a hash of every active template
/// id in id order. Enrolling adds a larger id; removing deactivates templates and lowers the
/// count; either changes the version. (The append-only gallery log of issues 17/18 can replace
/// it with its last sequence number.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GalleryVersion {
    pub templates: u64,
    pub max_template_id: i64,
    pub id_hash: u64,
}

impl GalleryVersion {
    /// Adds the next active template id (call in increasing id order).
    pub fn add(&mut self, template_id: i64) {
        self.templates += 1;
        self.max_template_id = self.max_template_id.max(template_id);
        // splitmix64 finaliser over the running hash and the id: order-dependent, no crate.
        let mut z = (self.id_hash ^ template_id as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.id_hash = z ^ (z >> 31);
    }
}

/// Why a saved index was not used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no index file")]
    Missing,
    #[error("stale index file: {0}")]
    Stale(String),
    #[error("corrupt index file: {0}")]
    Corrupt(String),
    #[error("reading the index file: {0}")]
    Io(#[from] std::io::Error),
}

/// The two files of a model's saved index.
#[derive(Debug, Clone)]
pub struct IndexFiles {
    pub index: PathBuf,
    pub rows: PathBuf,
}

impl IndexFiles {
    /// The files of `model_key` (`id/version`) in `dir`.
    pub fn new(dir: &Path, model_key: &str) -> IndexFiles {
        let safe: String = model_key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        IndexFiles {
            index: dir.join(format!("{safe}.index")),
            rows: dir.join(format!("{safe}.f32")),
        }
    }

    /// Where a rebuild writes the rows before they are renamed into place.
    pub fn rows_tmp(&self) -> PathBuf {
        self.rows.with_extension("f32.tmp")
    }

    fn index_tmp(&self) -> PathBuf {
        self.index.with_extension("index.tmp")
    }
}

struct Header {
    dim: usize,
    rows: usize,
    version: GalleryVersion,
    code_norm_max: f64,
    residual_max: f64,
    rows_crc: u32,
    body_crc: u32,
    model_key: String,
}

impl Header {
    fn bytes(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(96 + self.model_key.len());
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&FORMAT.to_le_bytes());
        h.extend_from_slice(&(self.dim as u32).to_le_bytes());
        h.extend_from_slice(&(self.rows as u64).to_le_bytes());
        h.extend_from_slice(&self.version.templates.to_le_bytes());
        h.extend_from_slice(&self.version.max_template_id.to_le_bytes());
        h.extend_from_slice(&self.version.id_hash.to_le_bytes());
        h.extend_from_slice(&self.code_norm_max.to_le_bytes());
        h.extend_from_slice(&self.residual_max.to_le_bytes());
        h.extend_from_slice(&self.rows_crc.to_le_bytes());
        h.extend_from_slice(&self.body_crc.to_le_bytes());
        h.extend_from_slice(&(self.model_key.len() as u32).to_le_bytes());
        h.extend_from_slice(self.model_key.as_bytes());
        let crc = crc32fast::hash(&h);
        h.extend_from_slice(&crc.to_le_bytes());
        h
    }

    fn read(r: &mut impl Read) -> Result<Header, LoadError> {
        let mut fixed = [0u8; 8 + 4 + 4 + 8 * 6 + 4 * 3];
        r.read_exact(&mut fixed).map_err(short)?;
        if &fixed[..8] != MAGIC {
            return Err(LoadError::Corrupt("not a gallery index file".into()));
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&fixed[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let key_len = u32_at(fixed.len() - 4) as usize;
        if key_len > 4096 {
            return Err(LoadError::Corrupt("model key length".into()));
        }
        let mut key = vec![0u8; key_len];
        r.read_exact(&mut key).map_err(short)?;
        let mut crc = [0u8; 4];
        r.read_exact(&mut crc).map_err(short)?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&fixed);
        hasher.update(&key);
        if hasher.finalize() != u32::from_le_bytes(crc) {
            return Err(LoadError::Corrupt("header checksum".into()));
        }
        if u32_at(8) != FORMAT {
            return Err(LoadError::Stale(format!(
                "format {} (now {FORMAT})",
                u32_at(8)
            )));
        }
        Ok(Header {
            dim: u32_at(12) as usize,
            rows: usize::try_from(u64_at(16))
                .map_err(|_| LoadError::Corrupt("row count".into()))?,
            version: GalleryVersion {
                templates: u64_at(24),
                max_template_id: u64_at(32) as i64,
                id_hash: u64_at(40),
            },
            code_norm_max: f64::from_bits(u64_at(48)),
            residual_max: f64::from_bits(u64_at(56)),
            rows_crc: u32_at(64),
            body_crc: u32_at(68),
            model_key: String::from_utf8(key)
                .map_err(|_| LoadError::Corrupt("model key".into()))?,
        })
    }
}

fn short(e: std::io::Error) -> LoadError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        LoadError::Corrupt("file is truncated".into())
    } else {
        LoadError::Io(e)
    }
}

/// Writes `idx` (every row, with its f32 rows already in `files.rows_tmp()` with CRC-32
/// `rows_crc`) as the saved index of `model_key` built from `version`: renames the rows file,
/// then writes and renames the index file. Errors: I/O.
pub fn save(
    files: &IndexFiles,
    model_key: &str,
    version: &GalleryVersion,
    idx: &TemplateIndex,
    rows_crc: u32,
) -> std::io::Result<()> {
    let mut body = crc32fast::Hasher::new();
    let sections = body_sections(idx);
    for s in &sections {
        s.for_each_chunk(|c| body.update(c));
    }
    let header = Header {
        dim: idx.dim,
        rows: idx.rows(),
        version: *version,
        code_norm_max: idx.code_norm_max,
        residual_max: idx.residual_max,
        rows_crc,
        body_crc: body.finalize(),
        model_key: model_key.to_string(),
    };
    let tmp = files.index_tmp();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    out.write_all(&header.bytes())?;
    for s in &sections {
        let mut err = Ok(());
        s.for_each_chunk(|c| {
            if err.is_ok() {
                err = out.write_all(c);
            }
        });
        err?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(files.rows_tmp(), &files.rows)?;
    std::fs::rename(&tmp, &files.index)?;
    Ok(())
}

/// The body, section by section, as byte chunks (no copy of the codes).
enum Section<'a> {
    I64(&'a [i64]),
    U32(&'a [u32]),
    Bool(&'a [bool]),
    F32(&'a [f32]),
    Bytes(&'a [u8]),
}

impl Section<'_> {
    fn for_each_chunk(&self, mut f: impl FnMut(&[u8])) {
        const N: usize = 8192;
        let mut buf = Vec::with_capacity(N * 8);
        match self {
            Section::I64(v) => {
                for c in v.chunks(N) {
                    buf.clear();
                    c.iter()
                        .for_each(|x| buf.extend_from_slice(&x.to_le_bytes()));
                    f(&buf);
                }
            }
            Section::U32(v) => {
                for c in v.chunks(N) {
                    buf.clear();
                    c.iter()
                        .for_each(|x| buf.extend_from_slice(&x.to_le_bytes()));
                    f(&buf);
                }
            }
            Section::Bool(v) => {
                for c in v.chunks(N) {
                    buf.clear();
                    buf.extend(c.iter().map(|x| u8::from(*x)));
                    f(&buf);
                }
            }
            Section::F32(v) => {
                for c in v.chunks(N) {
                    buf.clear();
                    c.iter()
                        .for_each(|x| buf.extend_from_slice(&x.to_le_bytes()));
                    f(&buf);
                }
            }
            Section::Bytes(v) => {
                for c in v.chunks(1 << 20) {
                    f(c);
                }
            }
        }
    }
}

fn body_sections(idx: &TemplateIndex) -> [Section<'_>; 6] {
    [
        Section::I64(&idx.template_ids),
        Section::I64(&idx.subject_ids),
        Section::Bool(&idx.live),
        Section::F32(&idx.scales),
        Section::U32(idx.exact.row_crcs()),
        Section::Bytes(&idx.codes),
    ]
}

/// Reads `n` little-endian 8-, 4- or 1-byte values through `crc`.
fn read_values<T>(
    r: &mut impl Read,
    n: usize,
    width: usize,
    crc: &mut crc32fast::Hasher,
    conv: impl Fn(&[u8]) -> T,
) -> Result<Vec<T>, LoadError> {
    let mut out = Vec::with_capacity(n);
    let mut buf = vec![0u8; 8192 * width];
    let mut left = n;
    while left > 0 {
        let k = left.min(8192);
        let b = &mut buf[..k * width];
        r.read_exact(b).map_err(short)?;
        crc.update(b);
        out.extend(b.chunks_exact(width).map(&conv));
        left -= k;
    }
    Ok(out)
}

/// Loads the saved index of `model_key` (`dim` values per row) if it was built from exactly
/// `expected` and its header and body checksums match (the rows file's size is checked; each of
/// its rows is checked against its CRC-32 when a search reads it). Errors: see [`LoadError`].
pub fn load(
    files: &IndexFiles,
    model_key: &str,
    dim: usize,
    expected: &GalleryVersion,
) -> Result<TemplateIndex, LoadError> {
    let file = match File::open(&files.index) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LoadError::Missing),
        Err(e) => return Err(e.into()),
    };
    let mut r = BufReader::with_capacity(1 << 22, file);
    let h = Header::read(&mut r)?;
    if h.model_key != model_key {
        return Err(LoadError::Stale(format!(
            "built for model {}, the gallery searches {model_key}",
            h.model_key
        )));
    }
    if h.dim != dim {
        return Err(LoadError::Stale(format!("dim {} (model: {dim})", h.dim)));
    }
    if h.version != *expected {
        return Err(LoadError::Stale(format!(
            "built from {} templates up to id {}, the database has {} up to id {}",
            h.version.templates,
            h.version.max_template_id,
            expected.templates,
            expected.max_template_id
        )));
    }
    let n = h.rows;
    let mut crc = crc32fast::Hasher::new();
    let i64le = |c: &[u8]| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        i64::from_le_bytes(b)
    };
    let template_ids = read_values(&mut r, n, 8, &mut crc, i64le)?;
    let subject_ids = read_values(&mut r, n, 8, &mut crc, i64le)?;
    let live = read_values(&mut r, n, 1, &mut crc, |c| c[0] != 0)?;
    let scales = read_values(&mut r, n, 4, &mut crc, |c| {
        f32::from_le_bytes([c[0], c[1], c[2], c[3]])
    })?;
    let row_crcs = read_values(&mut r, n, 4, &mut crc, |c| {
        u32::from_le_bytes([c[0], c[1], c[2], c[3]])
    })?;
    let mut codes = vec![0u8; n.div_ceil(LANES) * block_bytes(dim)];
    r.read_exact(&mut codes).map_err(short)?;
    crc.update(&codes);
    let mut rest = [0u8; 1];
    if r.read(&mut rest)? != 0 {
        return Err(LoadError::Corrupt("trailing bytes".into()));
    }
    if crc.finalize() != h.body_crc {
        return Err(LoadError::Corrupt("body checksum".into()));
    }
    let rows_file = File::open(&files.rows).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LoadError::Corrupt("rows file missing".into())
        } else {
            LoadError::Io(e)
        }
    })?;
    if rows_file.metadata()?.len() != (n * dim * 4) as u64 {
        return Err(LoadError::Corrupt("rows file size".into()));
    }
    let exact = ExactRows::from_file(&rows_file, n, dim, row_crcs)?;
    Ok(TemplateIndex::from_parts(
        dim,
        codes,
        scales,
        template_ids,
        subject_ids,
        live,
        (h.code_norm_max, h.residual_max),
        exact,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gallery::index::IndexBuilder;
    use rand::{Rng, SeedableRng};

    fn build(dir: &Path, key: &str, n: usize) -> (IndexFiles, GalleryVersion, Vec<Vec<f32>>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let files = IndexFiles::new(dir, key);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(files.rows_tmp())
            .expect("rows");
        let mut b = IndexBuilder::new(16, n, f);
        let mut v = GalleryVersion::default();
        let mut vs = Vec::new();
        for i in 0..n {
            let x: Vec<f32> = (0..16).map(|_| rng.r#gen::<f32>() - 0.5).collect();
            b.push(i as i64 + 1, i as i64 % 7, &x).expect("push");
            v.add(i as i64 + 1);
            vs.push(x);
        }
        let (idx, crc) = b.finish().expect("finish");
        save(&files, key, &v, &idx, crc).expect("save");
        (files, v, vs)
    }

    #[test]
    fn a_saved_index_loads_and_a_changed_one_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let (files, v, vs) = build(dir.path(), "m/1", 100);
        let idx = load(&files, "m/1", 16, &v).expect("load");
        assert_eq!(idx.search(&vs[5], 3), idx.search_exact(&vs[5], 3));
        assert_eq!(idx.search(&vs[5], 3)[0].template_id, 6);
        // Another model never reads this file.
        assert!(matches!(
            load(&files, "m/2", 16, &v),
            Err(LoadError::Stale(_))
        ));
        // Another gallery version (one more template).
        let mut v2 = v;
        v2.add(500);
        assert!(matches!(
            load(&files, "m/1", 16, &v2),
            Err(LoadError::Stale(_))
        ));
        // One byte flipped anywhere in the index file: refused.
        let good = std::fs::read(&files.index).expect("read");
        for at in [3, good.len() / 2, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x40;
            std::fs::write(&files.index, &bad).expect("write");
            assert!(
                matches!(
                    load(&files, "m/1", 16, &v),
                    Err(LoadError::Corrupt(_) | LoadError::Stale(_))
                ),
                "index byte {at}"
            );
        }
        std::fs::write(&files.index, &good).expect("restore");
        // One byte flipped in the rows file: the file loads (it is not read at start-up), and
        // the row fails its checksum when a search reads it.
        let good = std::fs::read(&files.rows).expect("read");
        for row in [0usize, 50, 99] {
            let mut bad = good.clone();
            bad[row * 16 * 4 + 5] ^= 0x40;
            std::fs::write(&files.rows, &bad).expect("write");
            let idx = load(&files, "m/1", 16, &v).expect("load");
            let (_, stats) = idx.search_with_stats(&vs[row], 3);
            assert_eq!(stats.unreadable, 1, "row {row}");
            let (_, stats) = idx.search_with_stats(&vs[(row + 1) % 100], 3);
            assert!(stats.unreadable <= 1, "row {row}");
        }
        std::fs::write(&files.rows, &good).expect("restore");
        let (_, stats) = load(&files, "m/1", 16, &v)
            .expect("load")
            .search_with_stats(&vs[0], 3);
        assert_eq!(stats.unreadable, 0);
        // A shorter rows file is refused at once.
        std::fs::write(&files.rows, &good[..good.len() - 4]).expect("write");
        assert!(matches!(
            load(&files, "m/1", 16, &v),
            Err(LoadError::Corrupt(_))
        ));
        std::fs::write(&files.rows, &good).expect("restore");
        assert!(load(&files, "m/1", 16, &v).is_ok());
        std::fs::remove_file(&files.index).expect("rm");
        assert!(matches!(
            load(&files, "m/1", 16, &v),
            Err(LoadError::Missing)
        ));
    }
}
